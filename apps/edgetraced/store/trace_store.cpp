#include "store/trace_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <mutex>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "edgetrace/core/ids.hpp"
#include "store/span_chunk.hpp"
#include "store/sqlite_connection.hpp"

namespace edgetrace::daemon::store {
namespace {

namespace v1 = ::opentelemetry::proto;
using core::Result;
using core::Status;
using core::StatusCode;
using internal::Connection;
using internal::SpanChunkReader;
using internal::SpanChunkWriter;
using internal::SpanEntry;
using internal::Statement;

// PRAGMA user_version of the schema below; a file with a higher one was written by a newer
// edgetraced and is refused rather than misread.
constexpr int kSchemaVersion = 2;
// Attribute values longer than this are kept in the span but not indexed for tag search:
// tag search is for ids, names and codes, and long values would bloat the index.
constexpr std::size_t kMaxIndexedValue = 256;
// Writes apply max_age at most this often (prune() applies it at once).
constexpr std::uint64_t kAgePruneIntervalNs = 60ull * 1'000'000'000ull;
// An operation's newest span start (operations.last_ns) is rewritten when a span is this
// much newer, not at every write; pruning allows for that lag (see prune_locked).
constexpr std::uint64_t kOperationRefreshNs = 60ull * 1'000'000'000ull;
// Caches of resource, scope and operation ids are cleared when they grow past this.
constexpr std::size_t kMaxCachedIds = 4096;
// A size prune never frees less than this fraction of the rows per round.
constexpr double kMinPruneFraction = 0.01;
constexpr int kMaxPruneRounds = 32;
// OTLP SpanFlags: bit 8 "is_remote is known", bit 9 "the parent is remote".
constexpr std::uint32_t kParentIsRemote = 0x100 | 0x200;
constexpr std::string_view kUnknownService = "unknown_service";

// The schema. Rows reference resources and scopes by id; spans and log records keep their
// OTLP protobuf encoding, the other columns are what queries filter on. `span_chunks` holds
// the spans of one trace that arrived under one resource in one write (span_chunk.hpp):
// a write of whole traces costs a row and two index entries per trace rather than per span,
// and searches read the small `entries` blob, decoding `bodies` only for tag conditions.
// `operations.last_ns` is the start of the operation's newest span, give or take
// kOperationRefreshNs, so pruning can drop operations without spans.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(
  key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS resources(
  id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, service TEXT NOT NULL, body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS resources_hash ON resources(hash);
CREATE TABLE IF NOT EXISTS resource_attrs(
  resource_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY(resource_id, key, value)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scopes(
  id INTEGER PRIMARY KEY, hash INTEGER NOT NULL, body BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS scopes_hash ON scopes(hash);
CREATE TABLE IF NOT EXISTS span_chunks(
  id INTEGER PRIMARY KEY,
  trace_id BLOB NOT NULL, service TEXT NOT NULL, resource_id INTEGER NOT NULL,
  start_min INTEGER NOT NULL, start_max INTEGER NOT NULL, span_count INTEGER NOT NULL,
  entries BLOB NOT NULL, bodies BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS span_chunks_trace ON span_chunks(trace_id);
CREATE INDEX IF NOT EXISTS span_chunks_service ON span_chunks(service, start_max);
CREATE TABLE IF NOT EXISTS operations(
  service TEXT NOT NULL, name TEXT NOT NULL, kind INTEGER NOT NULL, last_ns INTEGER NOT NULL,
  PRIMARY KEY(service, name, kind)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS traces(
  trace_id BLOB PRIMARY KEY, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
  root_name TEXT NOT NULL, has_root INTEGER NOT NULL, service TEXT NOT NULL,
  service_start_ns INTEGER NOT NULL, span_count INTEGER NOT NULL, error INTEGER NOT NULL,
  seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS traces_start ON traces(start_ns);
CREATE INDEX IF NOT EXISTS traces_seq ON traces(seq);
CREATE TABLE IF NOT EXISTS logs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ns INTEGER NOT NULL, severity_number INTEGER NOT NULL, service TEXT NOT NULL,
  trace_id BLOB, span_id BLOB, body TEXT NOT NULL,
  resource_id INTEGER NOT NULL, scope_id INTEGER NOT NULL, record BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS logs_time ON logs(time_ns);
CREATE INDEX IF NOT EXISTS logs_service ON logs(service);
CREATE INDEX IF NOT EXISTS logs_trace ON logs(trace_id) WHERE trace_id IS NOT NULL;
CREATE VIRTUAL TABLE IF NOT EXISTS logs_fts USING fts5(body, content='logs', content_rowid='id');
)sql";

std::uint64_t unix_now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// Timestamps are stored as SQLite's signed 64-bit integers (good until 2262).
std::int64_t as_db(std::uint64_t ns) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(ns, INT64_MAX));
}

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// The text a tag search compares with: "true", "42", "1.5", the string itself; bytes as
// hex; arrays and maps as their OTLP/JSON.
void append_value_text(std::string& out, const v1::common::v1::AnyValue& value) {
  using AnyValue = v1::common::v1::AnyValue;
  switch (value.value_case()) {
    case AnyValue::kStringValue:
      out += value.string_value();
      return;
    case AnyValue::kBoolValue:
      out += value.bool_value() ? "true" : "false";
      return;
    case AnyValue::kIntValue:
      out += std::to_string(value.int_value());
      return;
    case AnyValue::kDoubleValue: {
      char buffer[32];
      const auto r = std::to_chars(buffer, buffer + sizeof buffer, value.double_value());
      out.append(buffer, r.ptr);
      return;
    }
    case AnyValue::kBytesValue:
      out += core::to_hex(std::string_view(value.bytes_value()));
      return;
    case AnyValue::VALUE_NOT_SET:
      return;
    default:
      otlp::encode_json_message(value, out);
      return;
  }
}

// Whether the span has attribute `key` whose value, as append_value_text() writes it, is
// `value`. Values longer than kMaxIndexedValue are not searchable (as for resources).
bool has_attribute(const v1::trace::v1::Span& span, std::string_view key, std::string_view value,
                   std::string& scratch) {
  if (value.size() > kMaxIndexedValue)
    return false;
  for (const auto& kv : span.attributes()) {
    if (kv.key() != key)
      continue;
    if (kv.value().has_string_value()) {
      if (kv.value().string_value() == value)
        return true;
      continue;
    }
    scratch.clear();
    append_value_text(scratch, kv.value());
    if (scratch == value)
      return true;
  }
  return false;
}

// Whether `value` could be the text of an attribute that is not a string (append_value_text:
// "true"/"false", an integer, a double such as "1.5", "-1e+20" or "inf", bytes as
// lowercase hex, an array or map as JSON). If not, only a string attribute can match it,
// and then the value's bytes appear as they are in the span's encoding.
bool could_be_non_string(std::string_view value) {
  if (value == "true" || value == "false")
    return true;
  if (!value.empty() && (value.front() == '[' || value.front() == '{'))
    return true;
  const auto only = [&](std::string_view chars) {
    return value.find_first_not_of(chars) == std::string_view::npos;
  };
  return only("0123456789abcdef") || only("0123456789+-.einfa");
}

// A span id as a number, for sorting and searching the ids of one trace.
std::uint64_t span_id_number(std::string_view id) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < internal::kSpanIdSize && i < id.size(); ++i)
    n = (n << 8) | static_cast<unsigned char>(id[i]);
  return n;
}

std::string service_of(const v1::resource::v1::Resource& resource) {
  for (const auto& kv : resource.attributes()) {
    if (kv.key() == "service.name" && kv.value().has_string_value() &&
        !kv.value().string_value().empty())
      return kv.value().string_value();
  }
  return std::string(kUnknownService);
}

// The user's words as an FTS5 query: each whitespace-separated word quoted (so no word is
// read as an operator or column filter), all of them required.
std::string fts_query(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    const std::size_t begin = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
    if (i == begin)
      break;
    if (!out.empty())
      out += ' ';
    out += '"';
    for (char c : text.substr(begin, i - begin)) {
      if (c == '"')
        out += '"';
      out += c;
    }
    out += '"';
  }
  return out;
}

// What the live view and Jaeger's trace list show about one trace, gathered from the spans
// of one write before the upsert into `traces`.
struct TraceUpdate {
  std::int64_t seq = 0;
  std::uint64_t start = UINT64_MAX;
  std::uint64_t end = 0;
  std::string root_name;
  bool has_root = false;
  std::string service;  // the root's, else the earliest span's
  std::uint64_t service_start = UINT64_MAX;
  std::int64_t span_count = 0;
  bool error = false;
};

struct StoreCounters {
  std::atomic<std::uint64_t> trace_writes{0};
  std::atomic<std::uint64_t> log_writes{0};
  std::atomic<std::uint64_t> spans_written{0};
  std::atomic<std::uint64_t> spans_duplicate{0};
  std::atomic<std::uint64_t> spans_invalid{0};
  std::atomic<std::uint64_t> logs_written{0};
  std::atomic<std::uint64_t> write_errors{0};
  std::atomic<std::uint64_t> read_errors{0};
  std::atomic<std::uint64_t> prunes{0};
  std::atomic<std::uint64_t> prune_errors{0};
  std::atomic<std::uint64_t> pruned_traces{0};
  std::atomic<std::uint64_t> pruned_logs{0};
  std::atomic<std::uint64_t> file_bytes{0};
};

// The message of an open() failure: what is wrong with the file, named, and what to do.
Status open_error(const Status& cause, const std::string& path) {
  const std::string& detail = cause.message();
  switch (cause.code()) {
    case StatusCode::kDataLoss:
      if (detail.find("not a database") != std::string::npos)
        return Status(StatusCode::kDataLoss,
                      "store: " + path + " is not an SQLite database (" + detail +
                          "); move it away or set store.path to another file");
      return Status(StatusCode::kDataLoss, "store: " + path + " is corrupt (" + detail +
                                               "); move it away or set store.path to another "
                                               "file");
    case StatusCode::kUnavailable:
      if (detail.find("locked") != std::string::npos || detail.find("busy") != std::string::npos)
        return Status(StatusCode::kUnavailable,
                      "store: " + path + " is locked by another process or connection (" + detail +
                          "); is another edgetraced using it?");
      return Status(StatusCode::kUnavailable, "store: " + path + ": " + detail);
    case StatusCode::kPermissionDenied:
    case StatusCode::kNotFound:
      return Status(cause.code(),
                    "store: " + path + " cannot be opened for writing (" + detail + ")");
    default:
      return Status(cause.code(), "store: " + path + ": " + detail);
  }
}

class SqliteTraceStore final : public TraceStore {
 public:
  explicit SqliteTraceStore(const StoreOptions& options)
      : options_(options), path_(options.path.string()) {}

  Status init();

  Status write_traces(const otlp::TraceRequest& request) override;
  Status write_logs(const otlp::LogsRequest& request) override;
  Status prune(std::uint64_t now_unix_nano) override;

  Result<std::vector<std::string>> services() override;
  Result<std::vector<OperationInfo>> operations(const std::string& service) override;
  Result<std::vector<StoredSpan>> trace(const core::TraceId& trace_id) override;
  Result<std::vector<std::vector<StoredSpan>>> find_traces(const TraceQuery& query) override;
  Result<std::vector<LogRow>> logs(const LogQuery& query) override;
  Result<std::vector<LogRow>> logs_after(std::int64_t after_id, std::size_t limit) override;
  Result<std::vector<TraceSummary>> traces_after(std::int64_t after_seq,
                                                 std::size_t limit) override;
  Result<StoreStats> stats() override;
  void write_metrics(MetricsText& out) const override;

 private:
  // A reader connection checked out of the pool; returned at destruction.
  class Reader {
   public:
    Reader(SqliteTraceStore* store, std::unique_ptr<Connection> connection)
        : store_(store), connection_(std::move(connection)) {}
    Reader(Reader&&) = default;
    ~Reader() {
      if (connection_ != nullptr)
        store_->return_reader(std::move(connection_));
    }
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    SqliteTraceStore* store_;
    std::unique_ptr<Connection> connection_;
  };

  // Decoded resources and scopes of one read, by id.
  struct Decoded {
    std::unordered_map<std::int64_t, v1::resource::v1::Resource> resources;
    std::unordered_map<std::int64_t, v1::common::v1::InstrumentationScope> scopes;
  };

  Result<Reader> reader();
  void return_reader(std::unique_ptr<Connection> connection);
  template <typename T>
  Result<T> read_error(const Status& status) const {
    counters_.read_errors.fetch_add(1, std::memory_order_relaxed);
    return status.with_context("store: read " + path_);
  }

  // Writer side; write_mutex_ held.
  template <typename Body>
  Status in_transaction(Body&& body);
  Status insert_traces(const otlp::TraceRequest& request);
  Status insert_logs(const otlp::LogsRequest& request);
  Result<std::int64_t> resource_id(const v1::resource::v1::Resource& resource);
  Result<std::int64_t> scope_id(const v1::common::v1::InstrumentationScope& scope);
  // The id of the row `find_sql` selects for (hash, encoded_), or 0 when there is none.
  Result<std::int64_t> find_encoded(const char* find_sql, std::int64_t hash, const char* what);
  Status add_operation(std::string_view service, std::string_view name, int kind,
                       std::uint64_t start);
  Status load_stored_ids(std::string_view trace_id);
  Status migrate_spans_from_version_1();
  void forget_cached_ids();
  void after_write();
  Status prune_locked(std::uint64_t now_unix_nano);
  Result<std::uint64_t> delete_doomed_traces();
  Result<std::uint64_t> delete_logs_where(const std::string& condition, std::int64_t value);
  Result<std::uint64_t> file_bytes(Connection& c);
  Result<std::uint64_t> used_bytes(Connection& c);

  // Reader side.
  Status load_spans(Connection& c, std::string_view trace_id, Decoded& decoded,
                    std::vector<StoredSpan>& out);
  Status load_resource(Connection& c, std::int64_t id, Decoded& decoded);
  Status load_scope(Connection& c, std::int64_t id, Decoded& decoded);
  Result<std::vector<LogRow>> read_logs(Connection& c, Statement& s);

  const StoreOptions options_;
  const std::string path_;
  mutable StoreCounters counters_;

  std::mutex write_mutex_;
  std::unique_ptr<Connection> writer_;
  std::int64_t trace_seq_ = 0;
  std::uint64_t last_age_prune_ = 0;
  std::unordered_map<std::string, std::int64_t> resource_ids_;  // encoded -> id
  std::unordered_map<std::string, std::int64_t> scope_ids_;
  // service \0 name \0 kind -> the last_ns written for it
  std::unordered_map<std::string, std::uint64_t> operations_;
  std::string encoded_;  // reused encoding buffer
  std::string text_;     // reused text buffer
  // Reused by insert_traces(): the valid spans of one request, grouped by trace and
  // resource; the span ids of the trace at hand already stored; the chunk being built.
  struct PendingSpan {
    const v1::trace::v1::Span* span;
    std::int64_t resource_id;
    std::int64_t scope_id;
    std::size_t service;  // index into batch_services_
  };
  std::vector<PendingSpan> pending_;
  std::vector<std::string> batch_services_;
  std::vector<std::uint64_t> stored_ids_;
  SpanChunkWriter chunk_;

  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
};

Status SqliteTraceStore::init() {
  if (options_.path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(options_.path.parent_path(), ec);
    if (ec)
      return Status(StatusCode::kPermissionDenied,
                    "store: cannot create the directory of " + path_ + ": " + ec.message());
  }
  auto opened = Connection::open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                 options_.busy_timeout, options_.cache_bytes);
  if (!opened)
    return open_error(opened.status(), path_);
  writer_ = std::move(opened).value();
  Connection& c = *writer_;

  // The first read of the file: "not a database", corruption of page 1 and another
  // process's exclusive lock show here.
  auto version = c.query_int("PRAGMA user_version");
  if (!version)
    return open_error(version.status(), path_);
  if (*version > kSchemaVersion)
    return Status(StatusCode::kFailedPrecondition,
                  "store: " + path_ + " has schema version " + std::to_string(*version) +
                      ", newer than this edgetraced's " + std::to_string(kSchemaVersion));
  if (*version == 0) {
    auto tables = c.query_int("SELECT count(*) FROM sqlite_schema");
    if (!tables)
      return open_error(tables.status(), path_);
    if (*tables > 0)
      return Status(StatusCode::kFailedPrecondition,
                    "store: " + path_ +
                        " is an SQLite database of another program (it has tables but no "
                        "edgetraced schema version); set store.path to another file");
  }
  if (options_.quick_check && *version != 0) {
    auto check = c.statement("PRAGMA quick_check(1)");
    if (!check)
      return open_error(check.status(), path_);
    const int rc = check->step();
    if (rc != SQLITE_ROW)
      return open_error(c.error(rc, "quick_check"), path_);
    if (check->column_text(0) != "ok")
      return Status(StatusCode::kDataLoss, "store: " + path_ + " is corrupt (quick_check: " +
                                               std::string(check->column_text(0)) +
                                               "); move it away or set store.path to another file");
  }
  if (sqlite3_db_readonly(c.db(), "main") == 1)
    return Status(StatusCode::kPermissionDenied,
                  "store: " + path_ + " cannot be opened for writing (read-only file)");

  // page_size and auto_vacuum must be set before the first table; on an existing file
  // they are no-ops. 16 KiB pages: a third fewer CPU-seconds per span written than 4 KiB
  // (fewer pages split, fewer WAL frames written one pwrite each; docs/benchmarks.md).
  for (const char* pragma :
       {"PRAGMA page_size = 16384", "PRAGMA auto_vacuum = INCREMENTAL",
        "PRAGMA synchronous = NORMAL", "PRAGMA temp_store = MEMORY",
        "PRAGMA journal_size_limit = 67108864",
        // Checkpoints (and their fsync) every 16 MiB of WAL (1024 pages of 16 KiB) rather
        // than 4 MiB: the index pages each batch touches are copied into the file less often.
        "PRAGMA wal_autocheckpoint = 1024"}) {
    if (Status s = c.exec(pragma); !s.ok())
      return open_error(s, path_);
  }
  {
    auto mode = c.statement("PRAGMA journal_mode = WAL");
    if (!mode)
      return open_error(mode.status(), path_);
    const int rc = mode->step();
    if (rc != SQLITE_ROW)
      return open_error(c.error(rc, "journal_mode"), path_);
    if (mode->column_text(0) != "wal")
      return Status(StatusCode::kUnavailable,
                    "store: " + path_ + " cannot be switched to WAL mode (journal_mode is " +
                        std::string(mode->column_text(0)) +
                        "); is another process using it in exclusive mode?");
  }
  // The schema, and a write that proves no other process holds the write lock.
  // A version 1 file (one row per span) is converted in the same transaction: all or
  // nothing.
  Status schema = in_transaction([&]() -> Status {
    if (*version == 1) {
      if (Status s = c.exec("ALTER TABLE operations ADD COLUMN last_ns INTEGER NOT NULL DEFAULT 0");
          !s.ok())
        return s;
    }
    if (Status s = c.exec(kSchema); !s.ok())
      return s;
    if (*version == 1) {
      if (Status s = migrate_spans_from_version_1(); !s.ok())
        return s.with_context("convert from schema version 1");
    }
    return c.exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
  });
  if (!schema.ok())
    return open_error(schema, path_);
  if (*version == 1) {
    // Gives the pages of the dropped `spans` table back to the file system.
    if (Status s = c.exec("PRAGMA incremental_vacuum"); !s.ok())
      return open_error(s, path_);
  }
  if (Status s = c.exec("CREATE TEMP TABLE IF NOT EXISTS doomed(trace_id BLOB PRIMARY KEY) "
                        "WITHOUT ROWID");
      !s.ok())
    return open_error(s, path_);
  auto seq = c.query_int(
      "SELECT max(coalesce((SELECT value FROM meta WHERE key = 'trace_seq'), 0), "
      "coalesce((SELECT max(seq) FROM traces), 0))");
  if (!seq)
    return open_error(seq.status(), path_);
  trace_seq_ = *seq;
  // One reader now, so a file that only the writer can open fails here, not at the first
  // query.
  auto first_reader = reader();
  if (!first_reader)
    return open_error(first_reader.status(), path_);
  if (auto bytes = file_bytes(c); bytes)
    counters_.file_bytes.store(*bytes, std::memory_order_relaxed);
  return Status();
}

// Schema version 1 kept one row per span in `spans` (body, service, name, start_ns,
// duration_ns, resource_id, scope_id, ...). Its rows become span chunks, one per (trace,
// resource), read in the order of its (trace_id, span_id) index so no sort is needed; the
// operations get their last_ns; then `spans` is dropped. Runs inside init()'s transaction.
Status SqliteTraceStore::migrate_spans_from_version_1() {
  Connection& c = *writer_;
  if (Status s = c.exec("UPDATE operations SET last_ns = coalesce((SELECT max(s.start_ns) FROM "
                        "spans s WHERE s.service = operations.service AND s.name = "
                        "operations.name), 0)");
      !s.ok())
    return s;
  auto read = c.statement(
      "SELECT trace_id, resource_id, service, span_id, start_ns, duration_ns, scope_id, name, "
      "body FROM spans ORDER BY trace_id, span_id");
  if (!read)
    return read.status();
  auto insert_chunk = c.statement(
      "INSERT INTO span_chunks(trace_id, service, resource_id, start_min, start_max, "
      "span_count, entries, bodies) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!insert_chunk)
    return insert_chunk.status();
  struct Row {
    std::int64_t resource_id;
    std::string service;
    std::string span_id;
    std::uint64_t start;
    std::uint64_t duration;
    std::int64_t scope_id;
    std::string name;
    std::string body;
  };
  std::string trace_id;
  std::vector<Row> rows;  // the spans of one trace
  const auto flush = [&]() -> Status {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return a.resource_id < b.resource_id; });
    for (std::size_t g = 0; g < rows.size();) {
      std::size_t group_end = g + 1;
      while (group_end < rows.size() && rows[group_end].resource_id == rows[g].resource_id)
        ++group_end;
      chunk_.clear();
      std::uint64_t start_min = UINT64_MAX;
      std::uint64_t start_max = 0;
      for (std::size_t k = g; k < group_end; ++k) {
        const Row& r = rows[k];
        chunk_.add(r.span_id, r.start, r.duration, r.scope_id, r.name,
                   [&](std::string& out) { out += r.body; });
        start_min = std::min(start_min, r.start);
        start_max = std::max(start_max, r.start);
      }
      Statement& s = *insert_chunk;
      s.bind_blob(1, trace_id);
      s.bind_text(2, rows[g].service);
      s.bind_int(3, rows[g].resource_id);
      s.bind_int(4, as_db(start_min));
      s.bind_int(5, as_db(start_max));
      s.bind_int(6, static_cast<std::int64_t>(chunk_.size()));
      s.bind_blob(7, chunk_.entries());
      s.bind_blob(8, chunk_.bodies());
      if (Status st = c.run(s); !st.ok())
        return st;
      s.reset();
      g = group_end;
    }
    rows.clear();
    return Status();
  };
  int rc;
  while ((rc = read->step()) == SQLITE_ROW) {
    const std::string_view id = read->column_blob(0);
    const std::string_view span_id = read->column_blob(3);
    if (span_id.size() != internal::kSpanIdSize)
      continue;  // version 1 stored only 8-byte span ids; anything else is not a span
    if (id != trace_id) {
      if (Status st = flush(); !st.ok())
        return st;
      trace_id.assign(id);
    }
    Row& r = rows.emplace_back();
    r.resource_id = read->column_int(1);
    r.service.assign(read->column_text(2));
    r.span_id.assign(span_id);
    r.start = static_cast<std::uint64_t>(read->column_int(4));
    r.duration = static_cast<std::uint64_t>(read->column_int(5));
    r.scope_id = read->column_int(6);
    r.name.assign(read->column_text(7));
    r.body.assign(read->column_blob(8));
  }
  if (rc != SQLITE_DONE)
    return c.error(rc, "spans");
  if (Status st = flush(); !st.ok())
    return st;
  read->reset();
  return c.exec("DROP TABLE spans");
}

// ---------------------------------------------------------------------------------------
// Writer side.

template <typename Body>
Status SqliteTraceStore::in_transaction(Body&& body) {
  Connection& c = *writer_;
  auto begin = c.statement("BEGIN IMMEDIATE");
  if (!begin)
    return begin.status();
  if (Status s = c.run(*begin); !s.ok())
    return s;
  const std::int64_t seq_before = trace_seq_;
  Status s = body();
  if (s.ok()) {
    auto commit = c.statement("COMMIT");
    if (!commit)
      s = commit.status();
    else
      s = c.run(*commit);
  }
  if (!s.ok()) {
    if (!sqlite3_get_autocommit(c.db()))
      c.exec("ROLLBACK").ignore();
    // The caches may name rows the rollback removed.
    trace_seq_ = seq_before;
    forget_cached_ids();
  }
  return s;
}

void SqliteTraceStore::forget_cached_ids() {
  resource_ids_.clear();
  scope_ids_.clear();
  operations_.clear();
}

Result<std::int64_t> SqliteTraceStore::find_encoded(const char* find_sql, std::int64_t hash,
                                                    const char* what) {
  Connection& c = *writer_;
  auto find = c.statement(find_sql);
  if (!find)
    return find.status();
  find->bind_int(1, hash);
  find->bind_blob(2, encoded_);
  const int rc = find->step();
  if (rc == SQLITE_ROW)
    return find->column_int(0);
  if (rc != SQLITE_DONE)
    return c.error(rc, what);
  return std::int64_t{0};
}

Result<std::int64_t> SqliteTraceStore::resource_id(const v1::resource::v1::Resource& resource) {
  encoded_.clear();
  resource.SerializeToString(&encoded_);
  if (auto it = resource_ids_.find(encoded_); it != resource_ids_.end())
    return it->second;
  Connection& c = *writer_;
  const std::int64_t hash = static_cast<std::int64_t>(fnv1a(encoded_));
  Result<std::int64_t> found =
      find_encoded("SELECT id FROM resources WHERE hash = ?1 AND body = ?2", hash, "find resource");
  if (!found)
    return found.status();
  std::int64_t id = found.value();
  if (id == 0) {
    auto insert = c.statement("INSERT INTO resources(hash, service, body) VALUES(?1, ?2, ?3)");
    if (!insert)
      return insert.status();
    insert->bind_int(1, hash);
    const std::string service = service_of(resource);
    insert->bind_text(2, service);
    insert->bind_blob(3, encoded_);
    if (Status s = c.run(*insert); !s.ok())
      return s;
    id = sqlite3_last_insert_rowid(c.db());
    auto attr = c.statement(
        "INSERT OR IGNORE INTO resource_attrs(resource_id, key, value) VALUES(?1, ?2, ?3)");
    if (!attr)
      return attr.status();
    for (const auto& kv : resource.attributes()) {
      text_.clear();
      append_value_text(text_, kv.value());
      if (text_.size() > kMaxIndexedValue)
        continue;
      attr->bind_int(1, id);
      attr->bind_text(2, kv.key());
      attr->bind_text(3, text_);
      if (Status s = c.run(*attr); !s.ok())
        return s;
      attr->reset();
    }
  }
  if (resource_ids_.size() >= kMaxCachedIds)
    resource_ids_.clear();
  resource_ids_.emplace(encoded_, id);
  return id;
}

Result<std::int64_t> SqliteTraceStore::scope_id(const v1::common::v1::InstrumentationScope& scope) {
  encoded_.clear();
  scope.SerializeToString(&encoded_);
  if (auto it = scope_ids_.find(encoded_); it != scope_ids_.end())
    return it->second;
  Connection& c = *writer_;
  const std::int64_t hash = static_cast<std::int64_t>(fnv1a(encoded_));
  Result<std::int64_t> found =
      find_encoded("SELECT id FROM scopes WHERE hash = ?1 AND body = ?2", hash, "find scope");
  if (!found)
    return found.status();
  std::int64_t id = found.value();
  if (id == 0) {
    auto insert = c.statement("INSERT INTO scopes(hash, body) VALUES(?1, ?2)");
    if (!insert)
      return insert.status();
    insert->bind_int(1, hash);
    insert->bind_blob(2, encoded_);
    if (Status s = c.run(*insert); !s.ok())
      return s;
    id = sqlite3_last_insert_rowid(c.db());
  }
  if (scope_ids_.size() >= kMaxCachedIds)
    scope_ids_.clear();
  scope_ids_.emplace(encoded_, id);
  return id;
}

Status SqliteTraceStore::add_operation(std::string_view service, std::string_view name, int kind,
                                       std::uint64_t start) {
  text_.assign(service);
  text_ += '\0';
  text_ += name;
  text_ += '\0';
  text_ += std::to_string(kind);
  auto it = operations_.find(text_);
  if (it != operations_.end() && start <= it->second + kOperationRefreshNs)
    return Status();
  Connection& c = *writer_;
  auto upsert = c.statement(
      "INSERT INTO operations(service, name, kind, last_ns) VALUES(?1, ?2, ?3, ?4) "
      "ON CONFLICT(service, name, kind) DO UPDATE SET last_ns = max(last_ns, excluded.last_ns)");
  if (!upsert)
    return upsert.status();
  upsert->bind_text(1, service);
  upsert->bind_text(2, name);
  upsert->bind_int(3, kind);
  upsert->bind_int(4, as_db(start));
  if (Status s = c.run(*upsert); !s.ok())
    return s;
  if (it != operations_.end()) {
    it->second = std::max(it->second, start);
    return Status();
  }
  if (operations_.size() >= kMaxCachedIds)
    operations_.clear();
  operations_.emplace(text_, start);
  return Status();
}

// stored_ids_: the span ids of `trace_id` already in the store, sorted; empty for a new
// trace (the common case: one lookup in `traces`).
Status SqliteTraceStore::load_stored_ids(std::string_view trace_id) {
  stored_ids_.clear();
  Connection& c = *writer_;
  auto known = c.statement("SELECT 1 FROM traces WHERE trace_id = ?1");
  if (!known)
    return known.status();
  known->bind_blob(1, trace_id);
  const int rc = known->step();
  if (rc == SQLITE_DONE)
    return Status();
  if (rc != SQLITE_ROW)
    return c.error(rc, "find trace");
  auto chunks = c.statement("SELECT entries FROM span_chunks WHERE trace_id = ?1");
  if (!chunks)
    return chunks.status();
  chunks->bind_blob(1, trace_id);
  int step;
  while ((step = chunks->step()) == SQLITE_ROW) {
    SpanChunkReader read(chunks->column_blob(0));
    SpanEntry e;
    while (read.next(e))
      stored_ids_.push_back(span_id_number(e.span_id));
    if (!read.ok())
      return Status(StatusCode::kDataLoss,
                    "the spans of trace " + core::to_hex(trace_id) + " are unreadable");
  }
  if (step != SQLITE_DONE)
    return c.error(step, "spans of a trace");
  std::sort(stored_ids_.begin(), stored_ids_.end());
  return Status();
}

// One row of span_chunks per (trace, resource) of the request, one upsert of `traces` per
// trace, one of `meta`: a request of 32 traces of 16 spans under one resource is 32 rows
// (and their two index entries each) rather than 512 rows with three index entries each.
Status SqliteTraceStore::insert_traces(const otlp::TraceRequest& request) {
  Connection& c = *writer_;
  pending_.clear();
  batch_services_.clear();
  std::uint64_t invalid = 0;
  for (const auto& rs : request.resource_spans()) {
    auto resource = resource_id(rs.resource());
    if (!resource)
      return resource.status();
    batch_services_.push_back(service_of(rs.resource()));
    for (const auto& ss : rs.scope_spans()) {
      auto scope = scope_id(ss.scope());
      if (!scope)
        return scope.status();
      for (const auto& span : ss.spans()) {
        if (span.trace_id().size() != core::TraceId::kSize ||
            span.span_id().size() != core::SpanId::kSize) {
          ++invalid;
          continue;
        }
        pending_.push_back({&span, *resource, *scope, batch_services_.size() - 1});
      }
    }
  }
  // By trace, then resource, then span id; stable, so of two copies of a span in one
  // request the first is kept.
  std::stable_sort(pending_.begin(), pending_.end(),
                   [](const PendingSpan& a, const PendingSpan& b) {
                     if (const int t = a.span->trace_id().compare(b.span->trace_id()); t != 0)
                       return t < 0;
                     if (a.resource_id != b.resource_id)
                       return a.resource_id < b.resource_id;
                     return a.span->span_id() < b.span->span_id();
                   });

  auto insert_chunk = c.statement(
      "INSERT INTO span_chunks(trace_id, service, resource_id, start_min, start_max, "
      "span_count, entries, bodies) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!insert_chunk)
    return insert_chunk.status();
  auto upsert = c.statement(
      "INSERT INTO traces(trace_id, start_ns, end_ns, root_name, has_root, service, "
      "service_start_ns, span_count, error, seq) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
      "ON CONFLICT(trace_id) DO UPDATE SET "
      "start_ns = min(start_ns, excluded.start_ns), "
      "end_ns = max(end_ns, excluded.end_ns), "
      "root_name = CASE WHEN has_root THEN root_name ELSE excluded.root_name END, "
      "service = CASE WHEN has_root THEN service WHEN excluded.has_root THEN excluded.service "
      "  WHEN excluded.service_start_ns < service_start_ns THEN excluded.service "
      "  ELSE service END, "
      "service_start_ns = CASE WHEN has_root THEN service_start_ns "
      "  WHEN excluded.has_root THEN excluded.service_start_ns "
      "  ELSE min(service_start_ns, excluded.service_start_ns) END, "
      "has_root = has_root OR excluded.has_root, "
      "span_count = span_count + excluded.span_count, "
      "error = error OR excluded.error, "
      "seq = excluded.seq");
  if (!upsert)
    return upsert.status();

  std::uint64_t written = 0;
  std::uint64_t duplicates = 0;
  bool any_trace = false;
  for (std::size_t i = 0; i < pending_.size();) {
    const std::string& trace_id = pending_[i].span->trace_id();
    std::size_t trace_end = i + 1;
    while (trace_end < pending_.size() && pending_[trace_end].span->trace_id() == trace_id)
      ++trace_end;
    if (Status st = load_stored_ids(trace_id); !st.ok())
      return st;
    TraceUpdate update;
    for (std::size_t g = i; g < trace_end;) {
      const std::int64_t resource = pending_[g].resource_id;
      std::size_t group_end = g + 1;
      while (group_end < trace_end && pending_[group_end].resource_id == resource)
        ++group_end;
      const std::string& service = batch_services_[pending_[g].service];
      const std::size_t stored_before = stored_ids_.size();
      chunk_.clear();
      std::uint64_t start_min = UINT64_MAX;
      std::uint64_t start_max = 0;
      for (std::size_t k = g; k < group_end; ++k) {
        const v1::trace::v1::Span& span = *pending_[k].span;
        const std::uint64_t id = span_id_number(span.span_id());
        // Delivered again (at-least-once), or twice in one request: the first copy stays.
        if ((k > g && pending_[k - 1].span->span_id() == span.span_id()) ||
            std::binary_search(stored_ids_.begin(),
                               stored_ids_.begin() + static_cast<std::ptrdiff_t>(stored_before),
                               id)) {
          ++duplicates;
          continue;
        }
        stored_ids_.push_back(id);
        const std::uint64_t start = span.start_time_unix_nano();
        const std::uint64_t end = std::max(span.end_time_unix_nano(), start);
        chunk_.add(span.span_id(), start, end - start, pending_[k].scope_id, span.name(),
                   [&](std::string& out) { span.AppendToString(&out); });
        start_min = std::min(start_min, start);
        start_max = std::max(start_max, start);
        if (Status st = add_operation(service, span.name(), span.kind(), start); !st.ok())
          return st;

        const bool root =
            span.parent_span_id().empty() || (span.flags() & kParentIsRemote) == kParentIsRemote;
        update.start = std::min(update.start, start);
        update.end = std::max(update.end, end);
        ++update.span_count;
        update.error |= span.status().code() == v1::trace::v1::Status::STATUS_CODE_ERROR;
        if (root && !update.has_root) {
          update.has_root = true;
          update.root_name = span.name();
          update.service = service;
          update.service_start = start;
        } else if (!update.has_root && start < update.service_start) {
          update.service = service;
          update.service_start = start;
        }
      }
      // Later groups of this trace (other resources) see these ids too.
      std::inplace_merge(stored_ids_.begin(),
                         stored_ids_.begin() + static_cast<std::ptrdiff_t>(stored_before),
                         stored_ids_.end());
      if (chunk_.size() > 0) {
        Statement& s = *insert_chunk;
        s.bind_blob(1, trace_id);
        s.bind_text(2, service);
        s.bind_int(3, resource);
        s.bind_int(4, as_db(start_min));
        s.bind_int(5, as_db(start_max));
        s.bind_int(6, static_cast<std::int64_t>(chunk_.size()));
        s.bind_blob(7, chunk_.entries());
        s.bind_blob(8, chunk_.bodies());
        if (Status st = c.run(s); !st.ok())
          return st;
        s.reset();
        written += chunk_.size();
      }
      g = group_end;
    }
    i = trace_end;
    if (update.span_count == 0)
      continue;  // every span was a duplicate: nothing new for the live view
    update.seq = ++trace_seq_;
    any_trace = true;
    Statement& s = *upsert;
    s.bind_blob(1, trace_id);
    s.bind_int(2, as_db(update.start));
    s.bind_int(3, as_db(update.end));
    s.bind_text(4, update.root_name);
    s.bind_int(5, update.has_root ? 1 : 0);
    s.bind_text(6, update.service);
    s.bind_int(7, as_db(update.service_start));
    s.bind_int(8, update.span_count);
    s.bind_int(9, update.error ? 1 : 0);
    s.bind_int(10, update.seq);
    if (Status st = c.run(s); !st.ok())
      return st;
    s.reset();
  }
  if (any_trace) {
    auto seq = c.statement(
        "INSERT INTO meta(key, value) VALUES('trace_seq', ?1) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    if (!seq)
      return seq.status();
    seq->bind_int(1, trace_seq_);
    if (Status st = c.run(*seq); !st.ok())
      return st;
  }
  counters_.spans_written.fetch_add(written, std::memory_order_relaxed);
  counters_.spans_duplicate.fetch_add(duplicates, std::memory_order_relaxed);
  counters_.spans_invalid.fetch_add(invalid, std::memory_order_relaxed);
  return Status();
}

Status SqliteTraceStore::insert_logs(const otlp::LogsRequest& request) {
  Connection& c = *writer_;
  auto insert_log = c.statement(
      "INSERT INTO logs(time_ns, severity_number, service, trace_id, span_id, body, "
      "resource_id, scope_id, record) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!insert_log)
    return insert_log.status();
  auto insert_fts = c.statement("INSERT INTO logs_fts(rowid, body) VALUES(?1, ?2)");
  if (!insert_fts)
    return insert_fts.status();
  std::string record;
  std::uint64_t written = 0;
  for (const auto& rl : request.resource_logs()) {
    auto resource = resource_id(rl.resource());
    if (!resource)
      return resource.status();
    const std::string service = service_of(rl.resource());
    for (const auto& sl : rl.scope_logs()) {
      auto scope = scope_id(sl.scope());
      if (!scope)
        return scope.status();
      for (const auto& log : sl.log_records()) {
        const std::uint64_t time =
            log.time_unix_nano() != 0 ? log.time_unix_nano() : log.observed_time_unix_nano();
        record.clear();
        log.SerializeToString(&record);
        text_.clear();
        append_value_text(text_, log.body());
        Statement& s = *insert_log;
        s.bind_int(1, as_db(time));
        s.bind_int(2, log.severity_number());
        s.bind_text(3, service);
        if (log.trace_id().size() == core::TraceId::kSize)
          s.bind_blob(4, log.trace_id());
        else
          s.bind_null(4);
        if (log.span_id().size() == core::SpanId::kSize)
          s.bind_blob(5, log.span_id());
        else
          s.bind_null(5);
        s.bind_text(6, text_);
        s.bind_int(7, *resource);
        s.bind_int(8, *scope);
        s.bind_blob(9, record);
        if (Status st = c.run(s); !st.ok())
          return st;
        s.reset();
        Statement& f = *insert_fts;
        f.bind_int(1, sqlite3_last_insert_rowid(c.db()));
        f.bind_text(2, text_);
        if (Status st = c.run(f); !st.ok())
          return st;
        f.reset();
        ++written;
      }
    }
  }
  counters_.logs_written.fetch_add(written, std::memory_order_relaxed);
  return Status();
}

Status SqliteTraceStore::write_traces(const otlp::TraceRequest& request) {
  std::lock_guard lock(write_mutex_);
  Status s = in_transaction([&] { return insert_traces(request); });
  if (!s.ok()) {
    counters_.write_errors.fetch_add(1, std::memory_order_relaxed);
    return s.with_context("store: write spans to " + path_);
  }
  counters_.trace_writes.fetch_add(1, std::memory_order_relaxed);
  after_write();
  return Status();
}

Status SqliteTraceStore::write_logs(const otlp::LogsRequest& request) {
  std::lock_guard lock(write_mutex_);
  Status s = in_transaction([&] { return insert_logs(request); });
  if (!s.ok()) {
    counters_.write_errors.fetch_add(1, std::memory_order_relaxed);
    return s.with_context("store: write logs to " + path_);
  }
  counters_.log_writes.fetch_add(1, std::memory_order_relaxed);
  after_write();
  return Status();
}

// The write committed; pruning is the store's own business from here, so its failure is
// counted (edgetraced_store_prune_errors_total) rather than reported as the write's.
void SqliteTraceStore::after_write() {
  auto bytes = file_bytes(*writer_);
  if (!bytes)
    return;
  counters_.file_bytes.store(*bytes, std::memory_order_relaxed);
  const std::uint64_t now = unix_now_ns();
  const bool over_size = options_.max_bytes != 0 && *bytes > options_.max_bytes;
  const bool age_due = options_.max_age.count() > 0 && now - last_age_prune_ >= kAgePruneIntervalNs;
  if (over_size || age_due) {
    if (!prune_locked(now).ok())
      counters_.prune_errors.fetch_add(1, std::memory_order_relaxed);
  }
}

Result<std::uint64_t> SqliteTraceStore::file_bytes(Connection& c) {
  auto pages = c.query_int("PRAGMA page_count");
  if (!pages)
    return pages.status();
  auto page_size = c.query_int("PRAGMA page_size");
  if (!page_size)
    return page_size.status();
  return static_cast<std::uint64_t>(*pages) * static_cast<std::uint64_t>(*page_size);
}

Result<std::uint64_t> SqliteTraceStore::used_bytes(Connection& c) {
  auto pages = c.query_int("PRAGMA page_count");
  if (!pages)
    return pages.status();
  auto free_pages = c.query_int("PRAGMA freelist_count");
  if (!free_pages)
    return free_pages.status();
  auto page_size = c.query_int("PRAGMA page_size");
  if (!page_size)
    return page_size.status();
  return static_cast<std::uint64_t>(*pages - *free_pages) * static_cast<std::uint64_t>(*page_size);
}

// Deletes the traces listed in the temp table `doomed` (spans, their attributes, the
// summary) and empties it. Returns how many traces went.
Result<std::uint64_t> SqliteTraceStore::delete_doomed_traces() {
  Connection& c = *writer_;
  auto count = c.query_int("SELECT count(*) FROM temp.doomed");
  if (!count)
    return count.status();
  for (const char* sql :
       {"DELETE FROM span_chunks WHERE trace_id IN (SELECT trace_id FROM temp.doomed)",
        "DELETE FROM traces WHERE trace_id IN (SELECT trace_id FROM temp.doomed)",
        "DELETE FROM temp.doomed"}) {
    auto s = c.statement(sql);
    if (!s)
      return s.status();
    if (Status st = c.run(*s); !st.ok())
      return st;
  }
  return static_cast<std::uint64_t>(*count);
}

// Deletes the log records `WHERE <condition>` (one parameter), from the FTS index too.
Result<std::uint64_t> SqliteTraceStore::delete_logs_where(const std::string& condition,
                                                          std::int64_t value) {
  Connection& c = *writer_;
  auto fts = c.statement(
      "INSERT INTO logs_fts(logs_fts, rowid, body) SELECT 'delete', id, body FROM logs WHERE " +
      condition);
  if (!fts)
    return fts.status();
  fts->bind_int(1, value);
  if (Status st = c.run(*fts); !st.ok())
    return st;
  auto del = c.statement("DELETE FROM logs WHERE " + condition);
  if (!del)
    return del.status();
  del->bind_int(1, value);
  if (Status st = c.run(*del); !st.ok())
    return st;
  return static_cast<std::uint64_t>(sqlite3_changes(c.db()));
}

Status SqliteTraceStore::prune(std::uint64_t now_unix_nano) {
  std::lock_guard lock(write_mutex_);
  return prune_locked(now_unix_nano);
}

Status SqliteTraceStore::prune_locked(std::uint64_t now) {
  Connection& c = *writer_;
  counters_.prunes.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t traces_gone = 0;
  std::uint64_t logs_gone = 0;

  const auto age_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.max_age).count());
  if (age_ns > 0 && now > age_ns) {
    last_age_prune_ = now;
    const std::int64_t cutoff = as_db(now - age_ns);
    Status s = in_transaction([&]() -> Status {
      auto doom = c.statement(
          "INSERT OR IGNORE INTO temp.doomed(trace_id) SELECT trace_id FROM traces "
          "WHERE start_ns < ?1");
      if (!doom)
        return doom.status();
      doom->bind_int(1, cutoff);
      if (Status st = c.run(*doom); !st.ok())
        return st;
      auto traces = delete_doomed_traces();
      if (!traces)
        return traces.status();
      auto logs = delete_logs_where("time_ns < ?1", cutoff);
      if (!logs)
        return logs.status();
      traces_gone += *traces;
      logs_gone += *logs;
      return Status();
    });
    if (!s.ok())
      return s.with_context("store: prune " + path_ + " by age");
  }

  if (options_.max_bytes != 0) {
    auto bytes = file_bytes(c);
    if (!bytes)
      return bytes.status().with_context("store: prune " + path_);
    if (*bytes > options_.max_bytes) {
      const double target = 0.9 * static_cast<double>(options_.max_bytes);
      for (int round = 0; round < kMaxPruneRounds; ++round) {
        auto used = used_bytes(c);
        if (!used)
          return used.status().with_context("store: prune " + path_);
        if (static_cast<double>(*used) <= target)
          break;
        auto trace_count = c.query_int("SELECT count(*) FROM traces");
        auto log_count = c.query_int("SELECT count(*) FROM logs");
        if (!trace_count || !log_count)
          return (trace_count ? log_count.status() : trace_count.status())
              .with_context("store: prune " + path_);
        if (*trace_count == 0 && *log_count == 0)
          break;
        const double fraction = std::max(
            kMinPruneFraction, (static_cast<double>(*used) - target) / static_cast<double>(*used));
        const auto share = [&](std::int64_t n) {
          return static_cast<std::int64_t>(std::ceil(static_cast<double>(n) * fraction));
        };
        Status s = in_transaction([&]() -> Status {
          auto doom = c.statement(
              "INSERT OR IGNORE INTO temp.doomed(trace_id) SELECT trace_id FROM traces "
              "ORDER BY start_ns LIMIT ?1");
          if (!doom)
            return doom.status();
          doom->bind_int(1, share(*trace_count));
          if (Status st = c.run(*doom); !st.ok())
            return st;
          auto traces = delete_doomed_traces();
          if (!traces)
            return traces.status();
          traces_gone += *traces;
          if (*log_count > 0) {
            auto cut = c.statement("SELECT id FROM logs ORDER BY id LIMIT 1 OFFSET ?1");
            if (!cut)
              return cut.status();
            cut->bind_int(1, std::max<std::int64_t>(share(*log_count) - 1, 0));
            const int rc = cut->step();
            if (rc == SQLITE_ROW) {
              const std::int64_t last = cut->column_int(0);
              cut->reset();
              auto logs = delete_logs_where("id <= ?1", last);
              if (!logs)
                return logs.status();
              logs_gone += *logs;
            } else if (rc != SQLITE_DONE) {
              return c.error(rc, "oldest logs");
            }
          }
          return Status();
        });
        if (!s.ok())
          return s.with_context("store: prune " + path_ + " by size");
      }
    }
  }

  if (traces_gone > 0 || logs_gone > 0) {
    // Operations whose spans are all gone leave services() and operations(). Every span
    // left starts at or after the earliest trace start left; an operation's newest span
    // starts at most kOperationRefreshNs after its last_ns (add_operation), so one whose
    // last_ns is older than that by more has no span left. (One whose newest span was in
    // a pruned trace that started earlier stays until the cut passes that span.)
    Status s = in_transaction([&]() -> Status {
      auto gone = c.statement(
          "DELETE FROM operations WHERE last_ns < "
          "(SELECT coalesce(min(start_ns), 9223372036854775807) FROM traces) - ?1");
      if (!gone)
        return gone.status();
      gone->bind_int(1, static_cast<std::int64_t>(kOperationRefreshNs));
      return c.run(*gone);
    });
    if (!s.ok())
      return s.with_context("store: prune " + path_);
    operations_.clear();
    // Gives the freed pages back to the file system (auto_vacuum = INCREMENTAL).
    if (Status v = c.exec("PRAGMA incremental_vacuum"); !v.ok())
      return v.with_context("store: prune " + path_);
  }
  counters_.pruned_traces.fetch_add(traces_gone, std::memory_order_relaxed);
  counters_.pruned_logs.fetch_add(logs_gone, std::memory_order_relaxed);
  if (auto bytes = file_bytes(c); bytes)
    counters_.file_bytes.store(*bytes, std::memory_order_relaxed);
  return Status();
}

// ---------------------------------------------------------------------------------------
// Reader side.

Result<SqliteTraceStore::Reader> SqliteTraceStore::reader() {
  {
    std::lock_guard lock(readers_mutex_);
    if (!idle_readers_.empty()) {
      std::unique_ptr<Connection> c = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return Reader(this, std::move(c));
    }
  }
  auto opened =
      Connection::open(path_, SQLITE_OPEN_READWRITE, options_.busy_timeout, options_.cache_bytes);
  if (!opened)
    return opened.status();
  if (Status s = (*opened)->exec("PRAGMA query_only = 1"); !s.ok())
    return s;
  return Reader(this, std::move(opened).value());
}

void SqliteTraceStore::return_reader(std::unique_ptr<Connection> connection) {
  // A connection still inside a read transaction would pin its snapshot (and stop
  // checkpoints): end it, or drop the connection.
  if (!sqlite3_get_autocommit(connection->db()) && !connection->exec("ROLLBACK").ok())
    return;
  std::lock_guard lock(readers_mutex_);
  if (idle_readers_.size() < std::max<std::size_t>(options_.max_readers, 1))
    idle_readers_.push_back(std::move(connection));
}

Status SqliteTraceStore::load_resource(Connection& c, std::int64_t id, Decoded& decoded) {
  if (decoded.resources.contains(id))
    return Status();
  auto s = c.statement("SELECT body FROM resources WHERE id = ?1");
  if (!s)
    return s.status();
  s->bind_int(1, id);
  const int rc = s->step();
  auto& resource = decoded.resources[id];
  if (rc == SQLITE_ROW) {
    const std::string_view body = s->column_blob(0);
    if (!resource.ParseFromArray(body.data(), static_cast<int>(body.size())))
      return Status(StatusCode::kDataLoss, "resource " + std::to_string(id) + " is unreadable");
  } else if (rc != SQLITE_DONE) {
    return c.error(rc, "resource");
  }
  return Status();
}

Status SqliteTraceStore::load_scope(Connection& c, std::int64_t id, Decoded& decoded) {
  if (decoded.scopes.contains(id))
    return Status();
  auto s = c.statement("SELECT body FROM scopes WHERE id = ?1");
  if (!s)
    return s.status();
  s->bind_int(1, id);
  const int rc = s->step();
  auto& scope = decoded.scopes[id];
  if (rc == SQLITE_ROW) {
    const std::string_view body = s->column_blob(0);
    if (!scope.ParseFromArray(body.data(), static_cast<int>(body.size())))
      return Status(StatusCode::kDataLoss, "scope " + std::to_string(id) + " is unreadable");
  } else if (rc != SQLITE_DONE) {
    return c.error(rc, "scope");
  }
  return Status();
}

Status SqliteTraceStore::load_spans(Connection& c, std::string_view trace_id, Decoded& decoded,
                                    std::vector<StoredSpan>& out) {
  struct Loaded {
    StoredSpan stored;
    std::int64_t resource_id;
    std::int64_t scope_id;
  };
  std::vector<Loaded> loaded;
  {
    auto s =
        c.statement("SELECT resource_id, entries, bodies FROM span_chunks WHERE trace_id = ?1");
    if (!s)
      return s.status();
    s->bind_blob(1, trace_id);
    int rc;
    while ((rc = s->step()) == SQLITE_ROW) {
      const std::int64_t resource = s->column_int(0);
      SpanChunkReader read(s->column_blob(1), s->column_blob(2));
      SpanEntry e;
      while (read.next(e)) {
        const std::string_view body = read.body(e);
        Loaded& l = loaded.emplace_back();
        l.resource_id = resource;
        l.scope_id = e.scope_id;
        if (!read.ok() || !l.stored.span.ParseFromArray(body.data(), static_cast<int>(body.size())))
          return Status(StatusCode::kDataLoss,
                        "a span of trace " + core::to_hex(trace_id) + " is unreadable");
      }
      if (!read.ok())
        return Status(StatusCode::kDataLoss,
                      "the spans of trace " + core::to_hex(trace_id) + " are unreadable");
    }
    if (rc != SQLITE_DONE)
      return c.error(rc, "spans of a trace");
  }
  // By start time, then span id.
  std::sort(loaded.begin(), loaded.end(), [](const Loaded& a, const Loaded& b) {
    const std::uint64_t sa = a.stored.span.start_time_unix_nano();
    const std::uint64_t sb = b.stored.span.start_time_unix_nano();
    if (sa != sb)
      return sa < sb;
    return a.stored.span.span_id() < b.stored.span.span_id();
  });
  out.reserve(out.size() + loaded.size());
  for (Loaded& l : loaded) {
    if (Status st = load_resource(c, l.resource_id, decoded); !st.ok())
      return st;
    if (Status st = load_scope(c, l.scope_id, decoded); !st.ok())
      return st;
    StoredSpan& span = out.emplace_back(std::move(l.stored));
    span.resource = decoded.resources[l.resource_id];
    span.scope = decoded.scopes[l.scope_id];
  }
  return Status();
}

Result<std::vector<std::string>> SqliteTraceStore::services() {
  auto c = reader();
  if (!c)
    return read_error<std::vector<std::string>>(c.status());
  auto s = (*c)->statement("SELECT DISTINCT service FROM operations ORDER BY service");
  if (!s)
    return read_error<std::vector<std::string>>(s.status());
  std::vector<std::string> out;
  int rc;
  while ((rc = s->step()) == SQLITE_ROW)
    out.emplace_back(s->column_text(0));
  if (rc != SQLITE_DONE)
    return read_error<std::vector<std::string>>((*c)->error(rc, "services"));
  return out;
}

Result<std::vector<OperationInfo>> SqliteTraceStore::operations(const std::string& service) {
  auto c = reader();
  if (!c)
    return read_error<std::vector<OperationInfo>>(c.status());
  auto s =
      (*c)->statement("SELECT name, kind FROM operations WHERE service = ?1 ORDER BY name, kind");
  if (!s)
    return read_error<std::vector<OperationInfo>>(s.status());
  s->bind_text(1, service);
  std::vector<OperationInfo> out;
  int rc;
  while ((rc = s->step()) == SQLITE_ROW) {
    OperationInfo& op = out.emplace_back();
    op.name = std::string(s->column_text(0));
    op.span_kind = static_cast<int>(s->column_int(1));
  }
  if (rc != SQLITE_DONE)
    return read_error<std::vector<OperationInfo>>((*c)->error(rc, "operations"));
  return out;
}

Result<std::vector<StoredSpan>> SqliteTraceStore::trace(const core::TraceId& trace_id) {
  auto c = reader();
  if (!c)
    return read_error<std::vector<StoredSpan>>(c.status());
  const auto& bytes = trace_id.bytes();
  Decoded decoded;
  std::vector<StoredSpan> out;
  // The read transaction spans the statements below, so the trace is one snapshot.
  if (Status s = (*c)->exec("BEGIN"); !s.ok())
    return read_error<std::vector<StoredSpan>>(s);
  Status s =
      load_spans(**c, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                 decoded, out);
  (*c)->exec("COMMIT").ignore();
  if (!s.ok())
    return read_error<std::vector<StoredSpan>>(s);
  return out;
}

Result<std::vector<std::vector<StoredSpan>>> SqliteTraceStore::find_traces(
    const TraceQuery& query) {
  using Found = std::vector<std::vector<StoredSpan>>;
  auto c = reader();
  if (!c)
    return read_error<Found>(c.status());
  const std::size_t limit = query.limit == 0 ? 20 : query.limit;
  const std::uint64_t end = query.end_unix_nano == 0 ? unix_now_ns() : query.end_unix_nano;
  const bool by_span = !query.service.empty();
  const bool with_tags = !query.tags.empty();

  if (Status st = (*c)->exec("BEGIN"); !st.ok())
    return read_error<Found>(st);
  struct Done {
    Connection& c;
    ~Done() { c.exec("COMMIT").ignore(); }
  } done{**c};

  // Whether the chunk's resource carries tag i, per resource, asked once per query.
  std::unordered_map<std::int64_t, std::vector<bool>> resource_tags;
  const auto tags_of_resource = [&](std::int64_t resource) -> Result<const std::vector<bool>*> {
    auto [it, fresh] = resource_tags.try_emplace(resource);
    if (!fresh)
      return &it->second;
    auto s = (*c)->statement(
        "SELECT 1 FROM resource_attrs WHERE resource_id = ?1 AND key = ?2 AND value = ?3");
    if (!s)
      return s.status();
    for (const auto& [key, value] : query.tags) {
      s->bind_int(1, resource);
      s->bind_text(2, key);
      s->bind_text(3, value);
      const int rc = s->step();
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return (*c)->error(rc, "resource tags");
      it->second.push_back(rc == SQLITE_ROW);
      s->reset();
    }
    return &it->second;
  };
  // The latest start of a span of the chunk that matches every span condition of the
  // query (its start in the time range only when `check_time`), or nullopt.
  v1::trace::v1::Span span;
  std::string scratch;
  std::vector<char> string_only;  // per tag: only a string attribute can match its value
  for (const auto& [key, value] : query.tags)
    string_only.push_back(could_be_non_string(value) ? 0 : 1);
  const auto match = [&](std::int64_t resource, std::string_view entries, std::string_view bodies,
                         bool check_time) -> Result<std::optional<std::uint64_t>> {
    const std::vector<bool>* on_resource = nullptr;
    if (with_tags) {
      auto tags = tags_of_resource(resource);
      if (!tags)
        return tags.status();
      on_resource = *tags;
    }
    std::optional<std::uint64_t> latest;
    SpanChunkReader read(entries, bodies);
    SpanEntry e;
    while (read.next(e)) {
      if (check_time && (e.start_ns < query.start_unix_nano || e.start_ns > end))
        continue;
      if (!query.operation.empty() && e.name != query.operation)
        continue;
      if ((query.min_duration_ns && e.duration_ns < *query.min_duration_ns) ||
          (query.max_duration_ns && e.duration_ns > *query.max_duration_ns))
        continue;
      if (latest && e.start_ns <= *latest)
        continue;
      if (with_tags) {
        const std::string_view body = read.body(e);
        if (!read.ok())
          return Status(StatusCode::kDataLoss, "a span is unreadable");
        // A span attribute's key, and a string value, are in the encoding as they are:
        // a span without them is passed over without decoding it.
        bool possible = true;
        for (std::size_t i = 0; possible && i < query.tags.size(); ++i)
          possible =
              (*on_resource)[i] ||
              (body.find(query.tags[i].first) != std::string_view::npos &&
               (string_only[i] == 0 || body.find(query.tags[i].second) != std::string_view::npos));
        if (!possible)
          continue;
        if (!span.ParseFromArray(body.data(), static_cast<int>(body.size())))
          return Status(StatusCode::kDataLoss, "a span is unreadable");
        bool all = true;
        for (std::size_t i = 0; all && i < query.tags.size(); ++i)
          all = (*on_resource)[i] ||
                has_attribute(span, query.tags[i].first, query.tags[i].second, scratch);
        if (!all)
          continue;
      }
      latest = e.start_ns;
    }
    if (!read.ok())
      return Status(StatusCode::kDataLoss, "a row of span_chunks is unreadable");
    return latest;
  };
  const std::string columns =
      with_tags ? "resource_id, entries, bodies" : "resource_id, entries, x''";

  std::vector<std::string> trace_ids;
  if (by_span) {
    // Chunks of the service newest first (index span_chunks_service), each trace ranked by
    // its latest matching span: the `limit` traces with the latest matching spans, as if
    // the matching spans were read newest first. The scan stops once `limit` traces are
    // found and the next chunk starts before the limit-th of them.
    auto s = (*c)->statement("SELECT " + columns +
                             ", trace_id, start_max FROM span_chunks WHERE service = ?1 AND "
                             "start_max >= ?2 AND start_min <= ?3 ORDER BY start_max DESC");
    if (!s)
      return read_error<Found>(s.status());
    s->bind_text(1, query.service);
    s->bind_int(2, as_db(query.start_unix_nano));
    s->bind_int(3, as_db(end));
    std::unordered_map<std::string, std::uint64_t> latest;
    std::vector<std::uint64_t> ranks;
    std::uint64_t threshold = 0;
    int rc;
    while ((rc = s->step()) == SQLITE_ROW) {
      const auto start_max = static_cast<std::uint64_t>(s->column_int(4));
      if (latest.size() >= limit && start_max < threshold)
        break;
      auto m = match(s->column_int(0), s->column_blob(1), s->column_blob(2), true);
      if (!m)
        return read_error<Found>(m.status());
      if (!*m)
        continue;
      auto [it, fresh] = latest.try_emplace(std::string(s->column_blob(3)), **m);
      if (!fresh)
        it->second = std::max(it->second, **m);
      if (latest.size() >= limit) {
        ranks.clear();
        for (const auto& [id, start] : latest)
          ranks.push_back(start);
        std::nth_element(ranks.begin(), ranks.begin() + static_cast<std::ptrdiff_t>(limit - 1),
                         ranks.end(), std::greater<>());
        threshold = ranks[limit - 1];
      }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return read_error<Found>((*c)->error(rc, "find traces"));
    std::vector<std::pair<std::uint64_t, std::string>> ranked;
    for (auto& [id, start] : latest)
      ranked.emplace_back(start, id);
    std::sort(ranked.begin(), ranked.end(), std::greater<>());
    for (std::size_t i = 0; i < ranked.size() && i < limit; ++i)
      trace_ids.push_back(std::move(ranked[i].second));
  } else {
    // Traces newest first (index traces_start), each kept when one of its spans matches.
    const bool any_span =
        query.operation.empty() && !query.min_duration_ns && !query.max_duration_ns && !with_tags;
    auto s = (*c)->statement(
        "SELECT trace_id FROM traces WHERE start_ns >= ?1 AND start_ns <= ?2 "
        "ORDER BY start_ns DESC");
    if (!s)
      return read_error<Found>(s.status());
    s->bind_int(1, as_db(query.start_unix_nano));
    s->bind_int(2, as_db(end));
    auto chunks = (*c)->statement("SELECT " + columns + " FROM span_chunks WHERE trace_id = ?1");
    if (!chunks)
      return read_error<Found>(chunks.status());
    int rc;
    while (trace_ids.size() < limit && (rc = s->step()) == SQLITE_ROW) {
      const std::string_view id = s->column_blob(0);
      bool found = any_span;
      if (!found) {
        chunks->bind_blob(1, id);
        int chunk_rc;
        while (!found && (chunk_rc = chunks->step()) == SQLITE_ROW) {
          auto m =
              match(chunks->column_int(0), chunks->column_blob(1), chunks->column_blob(2), false);
          if (!m)
            return read_error<Found>(m.status());
          found = m->has_value();
        }
        if (!found && chunk_rc != SQLITE_DONE)
          return read_error<Found>((*c)->error(chunk_rc, "find traces"));
        chunks->reset();
      }
      if (found)
        trace_ids.emplace_back(id);
    }
    if (trace_ids.size() < limit && rc != SQLITE_DONE)
      return read_error<Found>((*c)->error(rc, "find traces"));
  }

  Decoded decoded;
  Found out;
  out.reserve(trace_ids.size());
  for (const std::string& id : trace_ids) {
    std::vector<StoredSpan> spans;
    if (Status st = load_spans(**c, id, decoded, spans); !st.ok())
      return read_error<Found>(st);
    if (!spans.empty())
      out.push_back(std::move(spans));
  }
  // Newest first by the trace's start (its earliest span, the first after load_spans).
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.front().span.start_time_unix_nano() > b.front().span.start_time_unix_nano();
  });
  return out;
}

Result<std::vector<LogRow>> SqliteTraceStore::read_logs(Connection& c, Statement& s) {
  std::vector<LogRow> out;
  std::vector<std::pair<std::int64_t, std::int64_t>> refs;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    LogRow& row = out.emplace_back();
    row.id = s.column_int(0);
    refs.emplace_back(s.column_int(1), s.column_int(2));
    const std::string_view record = s.column_blob(3);
    if (!row.log.record.ParseFromArray(record.data(), static_cast<int>(record.size())))
      return Status(StatusCode::kDataLoss,
                    "log record " + std::to_string(row.id) + " is unreadable");
  }
  if (rc != SQLITE_DONE)
    return c.error(rc, "logs");
  Decoded decoded;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (Status st = load_resource(c, refs[i].first, decoded); !st.ok())
      return st;
    if (Status st = load_scope(c, refs[i].second, decoded); !st.ok())
      return st;
    out[i].log.resource = decoded.resources[refs[i].first];
    out[i].log.scope = decoded.scopes[refs[i].second];
  }
  return out;
}

Result<std::vector<LogRow>> SqliteTraceStore::logs(const LogQuery& query) {
  using Rows = std::vector<LogRow>;
  auto c = reader();
  if (!c)
    return read_error<Rows>(c.status());
  const std::size_t limit = query.limit == 0 ? 100 : query.limit;
  const std::uint64_t end = query.end_unix_nano == 0 ? unix_now_ns() : query.end_unix_nano;
  const std::string match = fts_query(query.text);

  // With text, FTS5 drives the scan (its rowid order is the log id, newest first);
  // otherwise the id order of logs, narrowed by the service or trace index.
  std::string id = match.empty() ? "l.id" : "logs_fts.rowid";
  std::string sql = "SELECT l.id, l.resource_id, l.scope_id, l.record FROM ";
  sql += match.empty() ? "logs l" : "logs_fts JOIN logs l ON l.id = logs_fts.rowid";
  sql += " WHERE l.time_ns >= ?1 AND l.time_ns <= ?2";
  if (!match.empty())
    sql += " AND logs_fts MATCH ?3";
  if (query.before_id > 0)
    sql += " AND " + id + " < ?4";
  if (query.min_severity_number)
    sql += " AND l.severity_number >= ?5";
  if (!query.service.empty())
    sql += " AND l.service = ?6";
  if (query.trace_id)
    sql += " AND l.trace_id = ?7";
  sql += " ORDER BY " + id + " DESC LIMIT ?8";

  auto s = (*c)->statement(sql);
  if (!s)
    return read_error<Rows>(s.status());
  s->bind_int(1, as_db(query.start_unix_nano));
  s->bind_int(2, as_db(end));
  if (!match.empty())
    s->bind_text(3, match);
  if (query.before_id > 0)
    s->bind_int(4, query.before_id);
  if (query.min_severity_number)
    s->bind_int(5, *query.min_severity_number);
  if (!query.service.empty())
    s->bind_text(6, query.service);
  std::string trace_bytes;
  if (query.trace_id) {
    const auto& b = query.trace_id->bytes();
    trace_bytes.assign(reinterpret_cast<const char*>(b.data()), b.size());
    s->bind_blob(7, trace_bytes);
  }
  s->bind_int(8, static_cast<std::int64_t>(limit));
  auto rows = read_logs(**c, *s);
  if (!rows)
    return read_error<Rows>(rows.status());
  return rows;
}

Result<std::vector<LogRow>> SqliteTraceStore::logs_after(std::int64_t after_id, std::size_t limit) {
  using Rows = std::vector<LogRow>;
  auto c = reader();
  if (!c)
    return read_error<Rows>(c.status());
  auto s = (*c)->statement(
      "SELECT id, resource_id, scope_id, record FROM logs WHERE id > ?1 ORDER BY id LIMIT ?2");
  if (!s)
    return read_error<Rows>(s.status());
  s->bind_int(1, after_id);
  s->bind_int(2, static_cast<std::int64_t>(limit));
  auto rows = read_logs(**c, *s);
  if (!rows)
    return read_error<Rows>(rows.status());
  return rows;
}

Result<std::vector<TraceSummary>> SqliteTraceStore::traces_after(std::int64_t after_seq,
                                                                 std::size_t limit) {
  using Rows = std::vector<TraceSummary>;
  auto c = reader();
  if (!c)
    return read_error<Rows>(c.status());
  auto s = (*c)->statement(
      "SELECT seq, trace_id, service, root_name, start_ns, end_ns, span_count, error "
      "FROM traces WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  if (!s)
    return read_error<Rows>(s.status());
  s->bind_int(1, after_seq);
  s->bind_int(2, static_cast<std::int64_t>(limit));
  Rows out;
  int rc;
  while ((rc = s->step()) == SQLITE_ROW) {
    TraceSummary& t = out.emplace_back();
    t.seq = s->column_int(0);
    const std::string_view id = s->column_blob(1);
    if (id.size() == core::TraceId::kSize)
      t.trace_id = core::TraceId(std::span<const std::uint8_t, core::TraceId::kSize>(
          reinterpret_cast<const std::uint8_t*>(id.data()), core::TraceId::kSize));
    t.service = std::string(s->column_text(2));
    t.root_name = std::string(s->column_text(3));
    const std::int64_t start = s->column_int(4);
    const std::int64_t end = s->column_int(5);
    t.start_unix_nano = static_cast<std::uint64_t>(start);
    t.duration_ns = end > start ? static_cast<std::uint64_t>(end - start) : 0;
    t.span_count = static_cast<std::size_t>(s->column_int(6));
    t.error = s->column_int(7) != 0;
  }
  if (rc != SQLITE_DONE)
    return read_error<Rows>((*c)->error(rc, "traces after"));
  return out;
}

Result<StoreStats> SqliteTraceStore::stats() {
  auto c = reader();
  if (!c)
    return read_error<StoreStats>(c.status());
  StoreStats stats;
  auto bytes = file_bytes(**c);
  // From the summaries (small rows) rather than span_chunks (whole spans): the same sum.
  auto spans = (*c)->query_int("SELECT coalesce(sum(span_count), 0) FROM traces");
  auto logs = (*c)->query_int("SELECT count(*) FROM logs");
  auto traces = (*c)->query_int("SELECT count(*) FROM traces");
  for (const Status& s : {bytes.status(), spans.status(), logs.status(), traces.status()})
    if (!s.ok())
      return read_error<StoreStats>(s);
  stats.file_bytes = *bytes;
  stats.spans = static_cast<std::uint64_t>(*spans);
  stats.logs = static_cast<std::uint64_t>(*logs);
  stats.traces = static_cast<std::uint64_t>(*traces);
  return stats;
}

void SqliteTraceStore::write_metrics(MetricsText& out) const {
  const auto load = [](const std::atomic<std::uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  out.counter("edgetraced_store_writes_total", "Write transactions committed, by signal.",
              {{"signal", "traces"}}, load(counters_.trace_writes));
  out.counter("edgetraced_store_writes_total", "Write transactions committed, by signal.",
              {{"signal", "logs"}}, load(counters_.log_writes));
  out.counter("edgetraced_store_spans_written_total", "Spans stored.", {},
              load(counters_.spans_written));
  out.counter("edgetraced_store_spans_duplicate_total",
              "Spans not stored because their trace and span id were already there "
              "(delivered again).",
              {}, load(counters_.spans_duplicate));
  out.counter("edgetraced_store_spans_invalid_total",
              "Spans not stored because their trace or span id has the wrong length.", {},
              load(counters_.spans_invalid));
  out.counter("edgetraced_store_logs_written_total", "Log records stored.", {},
              load(counters_.logs_written));
  out.counter("edgetraced_store_write_errors_total",
              "Write transactions that failed and were rolled back.", {},
              load(counters_.write_errors));
  out.counter("edgetraced_store_read_errors_total", "Queries that failed.", {},
              load(counters_.read_errors));
  out.counter("edgetraced_store_prunes_total", "Prune passes (by size or age).", {},
              load(counters_.prunes));
  out.counter("edgetraced_store_prune_errors_total", "Prune passes that failed.", {},
              load(counters_.prune_errors));
  out.counter("edgetraced_store_pruned_traces_total", "Traces deleted by pruning.", {},
              load(counters_.pruned_traces));
  out.counter("edgetraced_store_pruned_logs_total", "Log records deleted by pruning.", {},
              load(counters_.pruned_logs));
  out.gauge("edgetraced_store_file_bytes",
            "Size of the store's database (page_count * page_size), after the latest write.", {},
            static_cast<double>(load(counters_.file_bytes)));
}

}  // namespace

core::Result<std::unique_ptr<TraceStore>> TraceStore::open(const StoreOptions& options) {
  auto store = std::make_unique<SqliteTraceStore>(options);
  if (Status s = store->init(); !s.ok())
    return s;
  return std::unique_ptr<TraceStore>(std::move(store));
}

}  // namespace edgetrace::daemon::store
