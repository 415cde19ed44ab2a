// internal::Connection: one SQLite connection with its prepared statements cached by SQL
// text, and internal::Statement, a scoped use of one cached statement (reset and unbound
// when it goes out of scope, so a cached statement never holds a read transaction open).
//
//   auto c = internal::Connection::open(path, flags, 5000ms, 16 << 20);
//   internal::Statement s = c->statement("SELECT body FROM spans WHERE trace_id = ?1");
//   s.bind_blob(1, id);
//   while (s.step() == SQLITE_ROW) use(s.column_blob(0));
//
// Private to the trace store (store/trace_store.cpp and its tests). Thread-safety: a
// Connection is used by one thread at a time (SQLite's multi-thread mode, no mutex per
// call); the trace store hands each connection to one thread at a time.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "edgetrace/core/result.hpp"

namespace edgetrace::daemon::store::internal {

// The Status for an SQLite result code: busy and I/O errors are kUnavailable (worth a
// retry), a full disk kResourceExhausted, corruption kDataLoss, the rest kInternal.
core::StatusCode status_code_for(int sqlite_code) noexcept;

class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }

  void bind_int(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void bind_text(int index, std::string_view text) {
    sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  }
  void bind_blob(int index, std::string_view bytes) {
    sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC);
  }
  void bind_null(int index) { sqlite3_bind_null(stmt_, index); }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  // Steps once more after a reset (for statements run many times in one transaction).
  void reset() { sqlite3_reset(stmt_); }

  std::int64_t column_int(int column) const { return sqlite3_column_int64(stmt_, column); }
  // Valid until the next step() or reset().
  std::string_view column_text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return p == nullptr
               ? std::string_view()
               : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  std::string_view column_blob(int column) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    return p == nullptr
               ? std::string_view()
               : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

class Connection {
 public:
  // Opens `path` with sqlite3_open_v2 `flags` (SQLITE_OPEN_NOMUTEX is added), sets the busy
  // timeout and a page cache of about `cache_bytes`. Errors name the path.
  static core::Result<std::unique_ptr<Connection>> open(const std::string& path, int flags,
                                                        std::chrono::milliseconds busy_timeout,
                                                        std::uint64_t cache_bytes);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const noexcept { return db_; }
  const std::string& path() const noexcept { return path_; }

  // The cached statement for `sql`, prepared on first use. Errors: the SQL's or the
  // database's (e.g. "file is not a database"), as `error()`.
  core::Result<Statement> statement(const std::string& sql);
  // Runs statements without results (DDL, BEGIN, COMMIT, PRAGMA setters).
  core::Status exec(const char* sql);
  // Steps a statement to SQLITE_DONE, discarding rows.
  core::Status run(Statement& statement);
  // A single integer result (PRAGMA page_count, count(*)).
  core::Result<std::int64_t> query_int(const std::string& sql);

  // The Status for SQLite result `code` on this connection: "<what>: <sqlite message>".
  core::Status error(int code, std::string_view what) const;
  // The last result code with its extended code.
  int last_code() const noexcept { return sqlite3_extended_errcode(db_); }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace edgetrace::daemon::store::internal
