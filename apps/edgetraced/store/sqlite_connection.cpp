#include "store/sqlite_connection.hpp"

#include <algorithm>
#include <utility>

namespace edgetrace::daemon::store::internal {

core::StatusCode status_code_for(int sqlite_code) noexcept {
  switch (sqlite_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_PROTOCOL:
      return core::StatusCode::kUnavailable;
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_TOOBIG:
      return core::StatusCode::kResourceExhausted;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return core::StatusCode::kDataLoss;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return core::StatusCode::kPermissionDenied;
    case SQLITE_CANTOPEN:
      return core::StatusCode::kNotFound;
    default:
      return core::StatusCode::kInternal;
  }
}

core::Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, int flags,
                                                           std::chrono::milliseconds busy_timeout,
                                                           std::uint64_t cache_bytes) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message =
        "cannot open " + path + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return core::Status(status_code_for(rc), std::move(message));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
  std::unique_ptr<Connection> connection(new Connection(db, path));
  // A negative cache_size is in KiB.
  const std::string cache =
      "PRAGMA cache_size = -" + std::to_string(std::max<std::uint64_t>(cache_bytes / 1024, 64));
  if (core::Status s = connection->exec(cache.c_str()); !s.ok())
    return s;
  return connection;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : statements_)
    sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

core::Result<Statement> Connection::statement(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return error(rc, "prepare");
    }
    it = statements_.emplace(sql, stmt).first;
  }
  return Statement(it->second);
}

core::Status Connection::exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    return error(rc, sql);
  return core::Status();
}

core::Status Connection::run(Statement& statement) {
  int rc;
  while ((rc = statement.step()) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE)
    return error(rc, "step");
  return core::Status();
}

core::Result<std::int64_t> Connection::query_int(const std::string& sql) {
  auto s = statement(sql);
  if (!s)
    return s.status();
  const int rc = s->step();
  if (rc == SQLITE_ROW)
    return s->column_int(0);
  if (rc == SQLITE_DONE)
    return std::int64_t{0};
  return error(rc, sql);
}

core::Status Connection::error(int code, std::string_view what) const {
  std::string message(what);
  message += ": ";
  // sqlite3_errmsg describes the connection's latest error, which is `code` when called
  // right after the failing call; errstr is the generic text when they differ.
  if ((sqlite3_extended_errcode(db_) & 0xff) == (code & 0xff))
    message += sqlite3_errmsg(db_);
  else
    message += sqlite3_errstr(code);
  return core::Status(status_code_for(code), std::move(message));
}

}  // namespace edgetrace::daemon::store::internal
