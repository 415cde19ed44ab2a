// TraceStore: the daemon's embedded trace store. Spans, span events, links, log records and
// their resources in one SQLite file (WAL mode), indexed for the Jaeger query API and the
// web viewer (ui/), pruned by size and age.
//
//   store::StoreOptions options;
//   options.path = "edgetraced-data/traces.db";
//   auto opened = store::TraceStore::open(options);
//   if (!opened.ok()) { log(opened.status().message()); ... keep exporting elsewhere ... }
//   std::unique_ptr<store::TraceStore> db = std::move(opened).value();
//   db->write_traces(request);                      // one transaction per request
//   auto trace = db->trace(trace_id);               // every span of one trace
//   auto found = db->find_traces(query);            // Jaeger's /api/traces search
//
// In the daemon, StoreExporter (store/store_exporter.hpp) is the one writer: it takes the
// queue's requests and calls write_traces()/write_logs() on its own thread; the query API
// calls the reader side from its handler threads. Destroy the store after the exporter's
// shutdown().
//
// What is kept. Every span with its OTLP protobuf encoding, so a query returns the span
// exactly as it arrived (attributes, events, links, flags). The spans of one trace that
// arrive under one resource in one write are one row (a "chunk"): their encodings plus,
// per span, what searches compare (span id, start, duration, name, scope), indexed by trace
// id and by (service, latest start). Resources and scopes are stored once per distinct value
// and referenced. Tag search compares span attributes (decoding the candidate spans) and
// resource attributes (a table of (key, value text) pairs), values up to 256 bytes; log
// bodies are indexed with FTS5. A span whose (trace id, span id) is already stored is
// ignored, so a request delivered again (at-least-once) stores its spans once; log records
// have no such key. docs/store.md describes the schema.
//
// Pruning. `max_bytes` caps the file (page_count * page_size, checked after each write
// once it grows past the cap) and `max_age` the age of traces (by start time): the oldest
// traces (and logs) go first, whole traces at a time, until the file is under 90 % of the
// cap. Freed pages are reused (auto_vacuum = INCREMENTAL), so the file stops growing.
// Writes apply max_age at most once a minute (prune() at once); logs go by their time
// (time_unix_nano, else observed_time_unix_nano). Each prune is its own transaction, after
// the write's commit: a failed prune is counted (edgetraced_store_prune_errors_total), the
// write still succeeds.
//
// Errors. open() fails with a clear message naming the path when the file is not a
// database or is corrupt (kDataLoss; quick_check, see StoreOptions::quick_check), is locked
// by another process for longer than busy_timeout (kUnavailable), cannot be written
// (kPermissionDenied), or belongs to another program or a newer edgetraced
// (kFailedPrecondition); the daemon then runs without a store. A write that fails (disk
// full, I/O error, lock held elsewhere) is rolled back, returns the error and counts it;
// the store stays usable for later writes.
//
// Thread-safety: one writer at a time (the store exporter's thread) and any number of
// concurrent readers (the query API's handler threads): each thread uses its own
// connection from a small pool, so reads never wait for a write transaction (WAL). The
// pool keeps max_readers idle connections; a query beyond them opens one for its duration.
// Every call may block on file I/O. Memory: SQLite's page cache (cache_bytes) per
// connection, plus up to 256 MiB of address space per connection for the memory-mapped
// file (the kernel's page cache, shared). Results are owned by the caller.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/result.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "pipeline/metrics_text.hpp"

namespace edgetrace::daemon::store {

struct StoreOptions {
  std::filesystem::path path = "edgetraced-data/traces.db";
  std::uint64_t max_bytes = 1ull << 30;         // store.max_bytes; 0 = no size cap
  std::chrono::seconds max_age{7 * 24 * 3600};  // store.max_age; 0 = no age cap
  std::uint64_t cache_bytes = 16ull << 20;      // SQLite page cache per connection
  std::size_t max_readers = 4;                  // reader connections kept open
  // How long a statement waits for a lock another connection holds before it fails with
  // "locked" (open() included: a file another process keeps locked fails after this).
  std::chrono::milliseconds busy_timeout{5000};
  // open() runs PRAGMA quick_check, which reads every page: about 1.7 s per GiB on the
  // reference machine (docs/store.md). Off, a corrupt page is reported by the first query that
  // reads it instead.
  bool quick_check = true;
};

// One span as stored, with the resource and scope it arrived under.
struct StoredSpan {
  opentelemetry::proto::resource::v1::Resource resource;
  opentelemetry::proto::common::v1::InstrumentationScope scope;
  opentelemetry::proto::trace::v1::Span span;
};

struct StoredLog {
  opentelemetry::proto::resource::v1::Resource resource;
  opentelemetry::proto::common::v1::InstrumentationScope scope;
  opentelemetry::proto::logs::v1::LogRecord record;
};

// Jaeger's /api/traces search. Empty strings and nullopt mean "any".
struct TraceQuery {
  std::string service;    // resource service.name
  std::string operation;  // span name
  // Every pair must match one span of the trace (span or resource attribute, compared as
  // text: "true", "42", "1.5", the string itself).
  std::vector<std::pair<std::string, std::string>> tags;
  // Spans starting at or after, and at or before (0 = now). Without a service, the
  // trace's start (its earliest span) is compared instead.
  std::uint64_t start_unix_nano = 0;
  std::uint64_t end_unix_nano = 0;
  std::optional<std::uint64_t> min_duration_ns;
  std::optional<std::uint64_t> max_duration_ns;
  std::size_t limit = 20;  // traces, newest first (by trace start); 0 = 20
};

struct LogQuery {
  std::string text;                        // FTS5 match on the body; "" = any
  std::optional<int> min_severity_number;  // OpenTelemetry SeverityNumber, e.g. 13 = WARN
  std::string service;
  std::optional<core::TraceId> trace_id;
  std::uint64_t start_unix_nano = 0;
  std::uint64_t end_unix_nano = 0;  // 0 = now
  std::size_t limit = 100;          // newest first (by id, i.e. write order); 0 = 100
  std::int64_t before_id = 0;       // paging: only rows with id < before_id; 0 = from newest
};

struct LogRow {
  std::int64_t id = 0;  // increasing; also the live-tail cursor
  StoredLog log;
};

// A finished trace for the live view: one line per trace.
struct TraceSummary {
  std::int64_t seq = 0;  // increasing; the live-view cursor
  core::TraceId trace_id;
  std::string service;    // the root's (or earliest span's) service
  std::string root_name;  // the root span's name; "" when the root has not arrived
  std::uint64_t start_unix_nano = 0;
  std::uint64_t duration_ns = 0;
  std::size_t span_count = 0;
  bool error = false;  // any span with status ERROR
};

struct OperationInfo {
  std::string name;
  int span_kind = 0;  // opentelemetry SpanKind number
};

struct StoreStats {
  std::uint64_t file_bytes = 0;
  std::uint64_t spans = 0;
  std::uint64_t logs = 0;
  std::uint64_t traces = 0;
};

class TraceStore {
 public:
  static core::Result<std::unique_ptr<TraceStore>> open(const StoreOptions& options);
  virtual ~TraceStore() = default;

  // Writer side (one thread). Each call is one transaction; prunes when over a cap.
  virtual core::Status write_traces(const otlp::TraceRequest& request) = 0;
  virtual core::Status write_logs(const otlp::LogsRequest& request) = 0;
  // Applies max_age and max_bytes now (also done by writes). `now_unix_nano` for tests.
  virtual core::Status prune(std::uint64_t now_unix_nano) = 0;

  // Reader side (any thread).
  virtual core::Result<std::vector<std::string>> services() = 0;
  virtual core::Result<std::vector<OperationInfo>> operations(const std::string& service) = 0;
  // Every span of the trace, ordered by start time; empty when unknown.
  virtual core::Result<std::vector<StoredSpan>> trace(const core::TraceId& trace_id) = 0;
  // Whole traces (every span of each) matching the query, newest first.
  virtual core::Result<std::vector<std::vector<StoredSpan>>> find_traces(
      const TraceQuery& query) = 0;
  virtual core::Result<std::vector<LogRow>> logs(const LogQuery& query) = 0;
  // Logs with id > after_id, oldest first, at most `limit` (the live tail).
  virtual core::Result<std::vector<LogRow>> logs_after(std::int64_t after_id,
                                                       std::size_t limit) = 0;
  // Traces whose spans were written after cursor `after_seq`, oldest first (live view).
  // A trace appears again when more of its spans arrive (with a higher seq).
  virtual core::Result<std::vector<TraceSummary>> traces_after(std::int64_t after_seq,
                                                               std::size_t limit) = 0;
  virtual core::Result<StoreStats> stats() = 0;

  // edgetraced_store_* counters (writes, spans, logs, errors, pruned traces, file bytes).
  virtual void write_metrics(MetricsText& out) const = 0;
};

}  // namespace edgetrace::daemon::store
