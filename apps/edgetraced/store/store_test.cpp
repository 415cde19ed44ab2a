#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "edgetrace/otlp/model.hpp"
#include "store/store_exporter.hpp"
#include "store/trace_store.hpp"
#include "testing/temp_dir.hpp"
#include "testing/wait.hpp"

namespace edgetrace::daemon::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

namespace v1 = ::opentelemetry::proto;

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kMinute = 60'000 * kMs;

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// A 16-byte trace id / 8-byte span id whose last bytes are `n` (never all zero).
std::string trace_bytes(std::uint32_t n) {
  std::string id(16, '\0');
  id[0] = '\x7e';
  for (int i = 0; i < 4; ++i)
    id[15 - i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return id;
}
std::string span_bytes(std::uint32_t n) {
  std::string id(8, '\0');
  id[0] = '\x5a';
  for (int i = 0; i < 4; ++i)
    id[7 - i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return id;
}
core::TraceId trace_id(std::uint32_t n) {
  const std::string bytes = trace_bytes(n);
  return core::TraceId(
      std::span<const std::uint8_t, 16>(reinterpret_cast<const std::uint8_t*>(bytes.data()), 16));
}

struct SpanSpec {
  std::uint32_t trace = 1;
  std::uint32_t id = 1;
  std::uint32_t parent = 0;  // 0: a root
  std::string name = "op";
  std::uint64_t start = 0;  // absolute unix ns
  std::uint64_t duration = kMs;
  bool error = false;
  std::vector<std::pair<std::string, std::string>> attributes{};
};

otlp::TraceRequest traces(const std::string& service, const std::vector<SpanSpec>& specs,
                          const std::string& device = "") {
  otlp::TraceRequest r;
  auto* rs = r.add_resource_spans();
  otlp::add_string_attribute(*rs->mutable_resource()->mutable_attributes(), "service.name",
                             service);
  if (!device.empty())
    otlp::add_string_attribute(*rs->mutable_resource()->mutable_attributes(), "device.id", device);
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("test-scope");
  ss->mutable_scope()->set_version("1.0");
  for (const SpanSpec& s : specs) {
    auto* span = ss->add_spans();
    span->set_trace_id(trace_bytes(s.trace));
    span->set_span_id(span_bytes(s.id));
    if (s.parent != 0)
      span->set_parent_span_id(span_bytes(s.parent));
    span->set_name(s.name);
    span->set_kind(v1::trace::v1::Span::SPAN_KIND_SERVER);
    span->set_start_time_unix_nano(s.start);
    span->set_end_time_unix_nano(s.start + s.duration);
    if (s.error)
      span->mutable_status()->set_code(v1::trace::v1::Status::STATUS_CODE_ERROR);
    for (const auto& [k, v] : s.attributes)
      otlp::add_string_attribute(*span->mutable_attributes(), k, v);
  }
  return r;
}

struct LogSpec {
  std::string body;
  std::uint64_t time = 0;
  int severity = 9;
  std::uint32_t trace = 0;
};

otlp::LogsRequest logs(const std::string& service, const std::vector<LogSpec>& specs) {
  otlp::LogsRequest r;
  auto* rl = r.add_resource_logs();
  otlp::add_string_attribute(*rl->mutable_resource()->mutable_attributes(), "service.name",
                             service);
  auto* sl = rl->add_scope_logs();
  for (const LogSpec& s : specs) {
    auto* log = sl->add_log_records();
    log->set_time_unix_nano(s.time);
    log->set_severity_number(static_cast<v1::logs::v1::SeverityNumber>(s.severity));
    log->mutable_body()->set_string_value(s.body);
    if (s.trace != 0) {
      log->set_trace_id(trace_bytes(s.trace));
      log->set_span_id(span_bytes(1));
    }
  }
  return r;
}

StoreOptions options_in(const testing::TempDir& dir) {
  StoreOptions options;
  options.path = dir.path() / "data" / "traces.db";
  options.busy_timeout = std::chrono::milliseconds(200);
  return options;
}

std::unique_ptr<TraceStore> open_store(const StoreOptions& options) {
  auto opened = TraceStore::open(options);
  EXPECT_TRUE(opened.ok()) << opened.status().to_string();
  if (!opened.ok())
    return nullptr;
  return std::move(opened).value();
}

std::vector<std::string> names_of(const std::vector<StoredSpan>& spans) {
  std::vector<std::string> out;
  for (const auto& s : spans)
    out.push_back(s.span.name());
  return out;
}

std::vector<std::string> bodies_of(const std::vector<LogRow>& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows)
    out.push_back(r.log.record.body().string_value());
  return out;
}

TEST(TraceStoreTest, StoresSpansExactlyAsTheyArrived) {
  testing::TempDir dir("et-store");
  auto store = open_store(options_in(dir));
  ASSERT_NE(store, nullptr);
  const std::uint64_t t0 = now_ns() - 10 * kMinute;
  otlp::TraceRequest request =
      traces("checkout",
             {{.trace = 1, .id = 1, .name = "GET /cart", .start = t0},
              {.trace = 1, .id = 2, .parent = 1, .name = "db", .start = t0 + kMs}},
             "65740001");
  auto* span = request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(1);
  otlp::add_int_attribute(*span->mutable_attributes(), "db.rows", 42);
  auto* event = span->add_events();
  event->set_name("retry");
  event->set_time_unix_nano(t0 + 2 * kMs);
  auto* link = span->add_links();
  link->set_trace_id(trace_bytes(9));
  link->set_span_id(span_bytes(9));
  span->set_flags(0x301);
  ASSERT_TRUE(store->write_traces(request).ok());

  auto trace = store->trace(trace_id(1));
  ASSERT_TRUE(trace.ok()) << trace.status().to_string();
  ASSERT_EQ(trace->size(), 2u);
  EXPECT_THAT(names_of(*trace), ElementsAre("GET /cart", "db"));
  const auto& sent = request.resource_spans(0);
  EXPECT_EQ((*trace)[1].span.SerializeAsString(), sent.scope_spans(0).spans(1).SerializeAsString());
  EXPECT_EQ((*trace)[1].resource.SerializeAsString(), sent.resource().SerializeAsString());
  EXPECT_EQ((*trace)[1].scope.name(), "test-scope");
  EXPECT_EQ((*trace)[1].scope.version(), "1.0");
  EXPECT_EQ((*trace)[1].span.events(0).name(), "retry");
  EXPECT_EQ((*trace)[1].span.links(0).trace_id(), trace_bytes(9));

  auto unknown = store->trace(trace_id(2));
  ASSERT_TRUE(unknown.ok());
  EXPECT_THAT(*unknown, IsEmpty());
}

TEST(TraceStoreTest, StoresASpanDeliveredTwiceOnce) {
  testing::TempDir dir("et-store");
  auto store = open_store(options_in(dir));
  ASSERT_NE(store, nullptr);
  const std::uint64_t t0 = now_ns() - kMinute;
  const auto request = traces("svc", {{.trace = 1, .id = 1, .start = t0}});
  ASSERT_TRUE(store->write_traces(request).ok());
  ASSERT_TRUE(store->write_traces(request).ok());
  auto trace = store->trace(trace_id(1));
  ASSERT_TRUE(trace.ok());
  EXPECT_EQ(trace->size(), 1u);
  auto summary = store->traces_after(0, 10);
  ASSERT_TRUE(summary.ok());
  ASSERT_EQ(summary->size(), 1u);
  EXPECT_EQ((*summary)[0].span_count, 1u);
}

TEST(TraceStoreTest, StoresASpanOnceWhenARequestCarriesItTwiceUnderTwoResources) {
  testing::TempDir dir("et-store");
  auto store = open_store(options_in(dir));
  ASSERT_NE(store, nullptr);
  const std::uint64_t t0 = now_ns() - kMinute;
  // Spans 1 and 2 under "a", then span 2 again (and a new span 3) under "b".
  otlp::TraceRequest request =
      traces("a", {{.trace = 1, .id = 2, .parent = 1, .name = "first", .start = t0 + kMs},
                   {.trace = 1, .id = 1, .name = "root", .start = t0}});
  const otlp::TraceRequest more =
      traces("b", {{.trace = 1, .id = 2, .parent = 1, .name = "again", .start = t0 + kMs},
                   {.trace = 1, .id = 3, .parent = 1, .name = "third", .start = t0 + 2 * kMs}});
  *request.add_resource_spans() = more.resource_spans(0);
  ASSERT_TRUE(store->write_traces(request).ok());
  auto trace = store->trace(trace_id(1));
  ASSERT_TRUE(trace.ok());
  EXPECT_THAT(names_of(*trace), ElementsAre("root", "first", "third"));
  EXPECT_EQ((*trace)[2].resource.attributes(0).value().string_value(), "b");
  // The same request again stores nothing (4 more duplicates), and the trace keeps its
  // count.
  ASSERT_TRUE(store->write_traces(request).ok());
  EXPECT_EQ(store->trace(trace_id(1))->size(), 3u);
  EXPECT_EQ(store->traces_after(0, 10)->front().span_count, 3u);
  EXPECT_EQ(store->stats()->spans, 3u);
  MetricsText metrics;
  store->write_metrics(metrics);
  EXPECT_THAT(metrics.text(), HasSubstr("edgetraced_store_spans_duplicate_total 5\n"));
}

TEST(TraceStoreTest, ATraceWrittenInPartsIsReadWholeInStartOrder) {
  testing::TempDir dir("et-store");
  auto store = open_store(options_in(dir));
  ASSERT_NE(store, nullptr);
  const std::uint64_t t0 = now_ns() - kMinute;
  ASSERT_TRUE(
      store
          ->write_traces(traces(
              "svc", {{.trace = 1, .id = 3, .parent = 1, .name = "late", .start = t0 + 3 * kMs},
                      {.trace = 2, .id = 1, .name = "other", .start = t0}}))
          .ok());
  ASSERT_TRUE(
      store
          ->write_traces(
              traces("svc", {{.trace = 1, .id = 2, .parent = 1, .name = "early", .start = t0 + kMs},
                             {.trace = 1, .id = 1, .name = "root", .start = t0}}))
          .ok());
  auto trace = store->trace(trace_id(1));
  ASSERT_TRUE(trace.ok());
  EXPECT_THAT(names_of(*trace), ElementsAre("root", "early", "late"));
}

// The schema of version 1 (one row per span), as that version created it.
constexpr const char* kSchemaVersion1 = R"sql(
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
CREATE TABLE IF NOT EXISTS spans(
  id INTEGER PRIMARY KEY,
  trace_id BLOB NOT NULL, span_id BLOB NOT NULL, parent_span_id BLOB NOT NULL,
  service TEXT NOT NULL, name TEXT NOT NULL, kind INTEGER NOT NULL,
  start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, duration_ns INTEGER NOT NULL,
  status_code INTEGER NOT NULL, resource_id INTEGER NOT NULL, scope_id INTEGER NOT NULL,
  seq INTEGER NOT NULL, tags TEXT NOT NULL, body BLOB NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS spans_trace ON spans(trace_id, span_id);
CREATE INDEX IF NOT EXISTS spans_service_name ON spans(service, name, start_ns, duration_ns);
CREATE INDEX IF NOT EXISTS spans_service_start ON spans(service, start_ns);
CREATE TABLE IF NOT EXISTS operations(
  service TEXT NOT NULL, name TEXT NOT NULL, kind INTEGER NOT NULL,
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

void exec_ok(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error != nullptr ? error : "") << " in " << sql;
  sqlite3_free(error);
}

TEST(TraceStoreTest, OpenConvertsASchemaVersion1File) {
  testing::TempDir dir("et-store");
  const StoreOptions options = options_in(dir);
  std::filesystem::create_directories(options.path.parent_path());
  const std::uint64_t t0 = now_ns() - 10 * kMinute;
  // What version 1 wrote for: trace 1, spans 1 and 2 from "checkout" (resource 1) and
  // span 3 from "fraud" (resource 2); trace 2, span 1 from "checkout".
  const otlp::TraceRequest checkout =
      traces("checkout", {{.trace = 1,
                           .id = 2,
                           .parent = 1,
                           .name = "charge",
                           .start = t0 + kMs,
                           .duration = 300 * kMs,
                           .attributes = {{"payment.method", "card"}}},
                          {.trace = 1, .id = 1, .name = "GET /checkout", .start = t0},
                          {.trace = 2, .id = 1, .name = "GET /checkout", .start = t0 + kMinute}});
  const otlp::TraceRequest fraud =
      traces("fraud", {{.trace = 1, .id = 3, .parent = 2, .name = "score", .start = t0 + 2 * kMs}});
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(options.path.c_str(), &db), SQLITE_OK);
    exec_ok(db, "PRAGMA page_size = 16384; PRAGMA auto_vacuum = INCREMENTAL;");
    exec_ok(db, kSchemaVersion1);
    sqlite3_stmt* insert = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "INSERT INTO spans(trace_id, span_id, parent_span_id, service, "
                                 "name, kind, start_ns, end_ns, duration_ns, status_code, "
                                 "resource_id, scope_id, seq, tags, body) VALUES(?1, ?2, ?3, ?4, "
                                 "?5, 2, ?6, ?7, ?8, 0, ?9, 1, 1, '', ?10)",
                                 -1, &insert, nullptr),
              SQLITE_OK);
    int resource = 0;
    for (const otlp::TraceRequest* request : {&checkout, &fraud}) {
      const auto& rs = request->resource_spans(0);
      ++resource;
      const std::string service = rs.resource().attributes(0).value().string_value();
      const std::string body = rs.resource().SerializeAsString();
      exec_ok(db, "INSERT INTO resources(id, hash, service, body) VALUES(" +
                      std::to_string(resource) + ", 0, '" + service + "', x'" + core::to_hex(body) +
                      "')");
      exec_ok(db, "INSERT INTO resource_attrs VALUES(" + std::to_string(resource) +
                      ", 'service.name', '" + service + "')");
      for (const auto& span : rs.scope_spans(0).spans()) {
        const std::string encoded = span.SerializeAsString();
        const auto start = static_cast<std::int64_t>(span.start_time_unix_nano());
        const auto end = static_cast<std::int64_t>(span.end_time_unix_nano());
        sqlite3_bind_blob(insert, 1, span.trace_id().data(), 16, SQLITE_TRANSIENT);
        sqlite3_bind_blob(insert, 2, span.span_id().data(), 8, SQLITE_TRANSIENT);
        sqlite3_bind_blob(insert, 3, span.parent_span_id().data(),
                          static_cast<int>(span.parent_span_id().size()), SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 4, service.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 5, span.name().c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert, 6, start);
        sqlite3_bind_int64(insert, 7, end);
        sqlite3_bind_int64(insert, 8, end - start);
        sqlite3_bind_int(insert, 9, resource);
        sqlite3_bind_blob(insert, 10, encoded.data(), static_cast<int>(encoded.size()),
                          SQLITE_TRANSIENT);
        ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE) << sqlite3_errmsg(db);
        sqlite3_reset(insert);
        exec_ok(db, "INSERT OR IGNORE INTO operations VALUES('" + service + "', '" + span.name() +
                        "', 2)");
      }
    }
    sqlite3_finalize(insert);
    exec_ok(db, "INSERT INTO scopes(id, hash, body) VALUES(1, 0, x'" +
                    core::to_hex(
                        checkout.resource_spans(0).scope_spans(0).scope().SerializeAsString()) +
                    "')");
    exec_ok(db, "INSERT INTO traces VALUES(x'" + core::to_hex(trace_bytes(1)) + "', " +
                    std::to_string(t0) + ", " + std::to_string(t0 + 301 * kMs) +
                    ", 'GET /checkout', 1, 'checkout', " + std::to_string(t0) + ", 3, 0, 1)");
    exec_ok(db, "INSERT INTO traces VALUES(x'" + core::to_hex(trace_bytes(2)) + "', " +
                    std::to_string(t0 + kMinute) + ", " + std::to_string(t0 + kMinute + kMs) +
                    ", 'GET /checkout', 1, 'checkout', " + std::to_string(t0 + kMinute) +
                    ", 1, 0, 2)");
    exec_ok(db, "INSERT INTO meta VALUES('trace_seq', 2); PRAGMA user_version = 1;");
    sqlite3_close(db);
  }

  auto store = open_store(options);
  ASSERT_NE(store, nullptr);
  auto trace = store->trace(trace_id(1));
  ASSERT_TRUE(trace.ok()) << trace.status().to_string();
  EXPECT_THAT(names_of(*trace), ElementsAre("GET /checkout", "charge", "score"));
  EXPECT_EQ((*trace)[1].span.SerializeAsString(),
            checkout.resource_spans(0).scope_spans(0).spans(0).SerializeAsString());
  EXPECT_EQ((*trace)[2].resource.attributes(0).value().string_value(), "fraud");
  EXPECT_EQ((*trace)[0].scope.name(), "test-scope");

  TraceQuery q;
  q.service = "checkout";
  q.operation = "charge";
  q.min_duration_ns = 200 * kMs;
  q.tags = {{"payment.method", "card"}};
  auto found = store->find_traces(q);
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().front().span.trace_id(), trace_bytes(1));
  EXPECT_THAT(*store->services(), ElementsAre("checkout", "fraud"));
  EXPECT_EQ(store->stats()->spans, 4u);
  // The live view's cursor goes on from version 1's.
  ASSERT_TRUE(store->write_traces(traces("svc", {{.trace = 3, .id = 1, .start = t0}})).ok());
  EXPECT_EQ(store->traces_after(0, 10)->back().seq, 3);
  // Span 1 of trace 2 is known: delivered again, it is not stored twice.
  ASSERT_TRUE(store->write_traces(checkout).ok());
  EXPECT_EQ(store->stats()->spans, 5u);
  store.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(options.path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* version = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT (SELECT user_version FROM pragma_user_version), "
                               "(SELECT count(*) FROM sqlite_schema WHERE name = 'spans')",
                               -1, &version, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(version), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(version, 0), 2);
  EXPECT_EQ(sqlite3_column_int(version, 1), 0);
  sqlite3_finalize(version);
  sqlite3_close(db);
}

class FindTracesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(options_in(dir_));
    ASSERT_NE(store_, nullptr);
    // Trace n starts at t0 + n minutes: 1..3 "checkout" (3 is slow and an error), 4 "cart".
    ASSERT_TRUE(
        store_
            ->write_traces(traces("checkout",
                                  {{.trace = 1, .id = 1, .name = "GET /checkout", .start = at(1)},
                                   {.trace = 1,
                                    .id = 2,
                                    .parent = 1,
                                    .name = "charge",
                                    .start = at(1) + kMs,
                                    .attributes = {{"payment.method", "card"}}},
                                   {.trace = 2, .id = 1, .name = "GET /checkout", .start = at(2)},
                                   {.trace = 2,
                                    .id = 2,
                                    .parent = 1,
                                    .name = "charge",
                                    .start = at(2) + kMs,
                                    .attributes = {{"payment.method", "cash"}}},
                                   {.trace = 3,
                                    .id = 1,
                                    .name = "GET /checkout",
                                    .start = at(3),
                                    .duration = 900 * kMs,
                                    .error = true}},
                                  "65740001"))
            .ok());
    ASSERT_TRUE(
        store_
            ->write_traces(traces(
                "cart", {{.trace = 4, .id = 1, .name = "GET /cart", .start = at(4)}}, "65740002"))
            .ok());
  }
  std::uint64_t at(int minute) const { return t0_ + static_cast<std::uint64_t>(minute) * kMinute; }

  testing::TempDir dir_{"et-store"};
  std::unique_ptr<TraceStore> store_;
  const std::uint64_t t0_ = now_ns() - 30 * kMinute;
};

TEST_F(FindTracesTest, ByServiceNewestFirst) {
  TraceQuery q;
  q.service = "checkout";
  auto found = store_->find_traces(q);
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  ASSERT_EQ(found->size(), 3u);
  EXPECT_EQ((*found)[0].front().span.trace_id(), trace_bytes(3));
  EXPECT_EQ((*found)[1].front().span.trace_id(), trace_bytes(2));
  EXPECT_EQ((*found)[2].front().span.trace_id(), trace_bytes(1));
  // Whole traces: both spans of trace 2.
  EXPECT_THAT(names_of((*found)[1]), ElementsAre("GET /checkout", "charge"));
}

TEST_F(FindTracesTest, ByOperationAndSpanTag) {
  TraceQuery q;
  q.service = "checkout";
  q.operation = "charge";
  q.tags = {{"payment.method", "cash"}};
  auto found = store_->find_traces(q);
  ASSERT_TRUE(found.ok()) << found.status().to_string();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().front().span.trace_id(), trace_bytes(2));

  // A tag is a whole key and a whole value: no prefix or suffix of either matches.
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"method", "cash"}, {"payment.method", "cas"}, {"payment.method", "ash"}}) {
    q.tags = {{key, value}};
    found = store_->find_traces(q);
    ASSERT_TRUE(found.ok());
    EXPECT_THAT(*found, IsEmpty()) << key << "=" << value;
  }
}

TEST_F(FindTracesTest, ByTagOfANumberWithoutAService) {
  const std::uint64_t t = at(5);
  otlp::TraceRequest request =
      traces("sensor", {{.trace = 5, .id = 1, .name = "read", .start = t}});
  otlp::add_int_attribute(*request.mutable_resource_spans(0)
                               ->mutable_scope_spans(0)
                               ->mutable_spans(0)
                               ->mutable_attributes(),
                          "db.rows", 42);
  ASSERT_TRUE(store_->write_traces(request).ok());
  TraceQuery q;
  q.tags = {{"db.rows", "42"}};
  auto found = store_->find_traces(q);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().front().span.trace_id(), trace_bytes(5));
  q.tags = {{"db.rows", "4"}};
  found = store_->find_traces(q);
  ASSERT_TRUE(found.ok());
  EXPECT_THAT(*found, IsEmpty());
  // Booleans, doubles and bytes compare as their text too.
  auto* attributes = request.mutable_resource_spans(0)
                         ->mutable_scope_spans(0)
                         ->mutable_spans(0)
                         ->mutable_attributes();
  attributes->Clear();
  auto* flag = attributes->Add();
  flag->set_key("cached");
  flag->mutable_value()->set_bool_value(true);
  auto* ratio = attributes->Add();
  ratio->set_key("ratio");
  ratio->mutable_value()->set_double_value(1.5);
  auto* raw = attributes->Add();
  raw->set_key("raw");
  raw->mutable_value()->set_bytes_value(std::string("\x0a\xff", 2));
  request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->set_trace_id(
      trace_bytes(6));
  ASSERT_TRUE(store_->write_traces(request).ok());
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"cached", "true"}, {"ratio", "1.5"}, {"raw", "0aff"}}) {
    q.tags = {{key, value}};
    found = store_->find_traces(q);
    ASSERT_TRUE(found.ok());
    ASSERT_EQ(found->size(), 1u) << key;
    EXPECT_EQ(found->front().front().span.trace_id(), trace_bytes(6)) << key;
  }
  // Operation and duration without a service: the trace's spans are searched.
  q.tags.clear();
  q.operation = "charge";
  found = store_->find_traces(q);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].front().span.trace_id(), trace_bytes(2));
  q.operation.clear();
  q.min_duration_ns = 500 * kMs;
  found = store_->find_traces(q);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().front().span.trace_id(), trace_bytes(3));
}

TEST_F(FindTracesTest, LimitKeepsTheTracesWithTheLatestMatchingSpans) {
  // Trace 6 starts first but its matching span is the latest of all; trace 7 starts last
  // and matches early. Written in one request, so both are in one scan.
  ASSERT_TRUE(store_
                  ->write_traces(traces(
                      "late", {{.trace = 6, .id = 1, .name = "root", .start = at(6)},
                               {.trace = 6, .id = 2, .parent = 1, .name = "hit", .start = at(9)},
                               {.trace = 7, .id = 1, .name = "hit", .start = at(7)},
                               {.trace = 8, .id = 1, .name = "hit", .start = at(8)}}))
                  .ok());
  TraceQuery q;
  q.service = "late";
  q.operation = "hit";
  q.limit = 2;
  auto found = store_->find_traces(q);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  // Traces 6 (hit at minute 9) and 8 (minute 8), newest trace start first.
  EXPECT_EQ((*found)[0].front().span.trace_id(), trace_bytes(8));
  EXPECT_EQ((*found)[1].front().span.trace_id(), trace_bytes(6));
  // The time range applies to the matching span: from minute 7.5, trace 7's hit is out.
  q.limit = 20;
  q.start_unix_nano = at(7) + kMinute / 2;
  found = store_->find_traces(q);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->size(), 2u);
}

TEST_F(FindTracesTest, ByResourceTagAndNoMatch) {
  TraceQuery q;
  q.tags = {{"device.id", "65740002"}};
  auto found = store_->find_traces(q);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().front().span.trace_id(), trace_bytes(4));

  // A span must carry every tag: the cash payment is not on device 65740002.
  q.tags.emplace_back("payment.method", "cash");
  found = store_->find_traces(q);
  ASSERT_TRUE(found.ok());
  EXPECT_THAT(*found, IsEmpty());
}

TEST_F(FindTracesTest, ByDuration) {
  TraceQuery q;
  q.service = "checkout";
  q.min_duration_ns = 500 * kMs;
  auto found = store_->find_traces(q);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().front().span.trace_id(), trace_bytes(3));

  q.min_duration_ns.reset();
  q.max_duration_ns = 500 * kMs;
  q.operation = "GET /checkout";
  found = store_->find_traces(q);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].front().span.trace_id(), trace_bytes(2));
  EXPECT_EQ((*found)[1].front().span.trace_id(), trace_bytes(1));
}

TEST_F(FindTracesTest, ByTimeRangeAndLimit) {
  TraceQuery q;
  q.start_unix_nano = at(2);
  q.end_unix_nano = at(3);
  auto found = store_->find_traces(q);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].front().span.trace_id(), trace_bytes(3));
  EXPECT_EQ((*found)[1].front().span.trace_id(), trace_bytes(2));

  TraceQuery newest;
  newest.limit = 2;
  found = store_->find_traces(newest);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].front().span.trace_id(), trace_bytes(4));
  EXPECT_EQ((*found)[1].front().span.trace_id(), trace_bytes(3));
}

TEST_F(FindTracesTest, ServicesAndOperations) {
  auto services = store_->services();
  ASSERT_TRUE(services.ok());
  EXPECT_THAT(*services, ElementsAre("cart", "checkout"));
  auto operations = store_->operations("checkout");
  ASSERT_TRUE(operations.ok());
  ASSERT_EQ(operations->size(), 2u);
  EXPECT_EQ((*operations)[0].name, "GET /checkout");
  EXPECT_EQ((*operations)[0].span_kind, v1::trace::v1::Span::SPAN_KIND_SERVER);
  EXPECT_EQ((*operations)[1].name, "charge");
  auto none = store_->operations("nobody");
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_F(FindTracesTest, TracesAfterIsTheLiveViewCursor) {
  auto all = store_->traces_after(0, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  const TraceSummary& slow = (*all)[2];
  EXPECT_EQ(slow.trace_id, trace_id(3));
  EXPECT_EQ(slow.root_name, "GET /checkout");
  EXPECT_EQ(slow.service, "checkout");
  EXPECT_EQ(slow.duration_ns, 900 * kMs);
  EXPECT_TRUE(slow.error);
  EXPECT_EQ((*all)[0].span_count, 2u);
  EXPECT_FALSE((*all)[0].error);

  auto page = store_->traces_after((*all)[1].seq, 1);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ(page->front().trace_id, trace_id(3));

  // More spans of trace 1 (from another service): it comes again, after the cursor.
  const std::int64_t cursor = all->back().seq;
  ASSERT_TRUE(store_
                  ->write_traces(traces("fraud", {{.trace = 1,
                                                   .id = 3,
                                                   .parent = 2,
                                                   .name = "score",
                                                   .start = at(1) + 2 * kMs,
                                                   .error = true}}))
                  .ok());
  auto again = store_->traces_after(cursor, 100);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(again->front().trace_id, trace_id(1));
  EXPECT_EQ(again->front().span_count, 3u);
  EXPECT_EQ(again->front().service, "checkout");  // the root's
  EXPECT_TRUE(again->front().error);
}

TEST(TraceStoreTest, TraceSummaryTakesTheRootWhenItArrivesLast) {
  testing::TempDir dir("et-store");
  auto store = open_store(options_in(dir));
  ASSERT_NE(store, nullptr);
  const std::uint64_t t0 = now_ns() - kMinute;
  ASSERT_TRUE(
      store
          ->write_traces(traces(
              "child-svc", {{.trace = 1, .id = 2, .parent = 1, .name = "c", .start = t0 + kMs}}))
          .ok());
  auto first = store->traces_after(0, 10);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ(first->front().root_name, "");
  EXPECT_EQ(first->front().service, "child-svc");
  ASSERT_TRUE(store
                  ->write_traces(traces(
                      "root-svc",
                      {{.trace = 1, .id = 1, .name = "root", .start = t0, .duration = 5 * kMs}}))
                  .ok());
  auto second = store->traces_after(first->front().seq, 10);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ(second->front().root_name, "root");
  EXPECT_EQ(second->front().service, "root-svc");
  EXPECT_EQ(second->front().start_unix_nano, t0);
  EXPECT_EQ(second->front().duration_ns, 5 * kMs);
  EXPECT_EQ(second->front().span_count, 2u);
}

class LogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(options_in(dir_));
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(
        store_
            ->write_logs(logs(
                "sensor",
                {{.body = "boot complete", .time = t0_, .severity = 9},
                 {.body = "battery low: 3.1 V", .time = t0_ + kMinute, .severity = 13, .trace = 7},
                 {.body = "i2c timeout on bus \"1\"", .time = t0_ + 2 * kMinute, .severity = 17}}))
            .ok());
    ASSERT_TRUE(store_
                    ->write_logs(logs("gateway", {{.body = "battery report sent",
                                                   .time = t0_ + 3 * kMinute,
                                                   .severity = 9,
                                                   .trace = 7}}))
                    .ok());
  }

  testing::TempDir dir_{"et-store"};
  std::unique_ptr<TraceStore> store_;
  const std::uint64_t t0_ = now_ns() - 30 * kMinute;
};

TEST_F(LogsTest, FullTextSearchNewestFirst) {
  LogQuery q;
  q.text = "battery";
  auto rows = store_->logs(q);
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  EXPECT_THAT(bodies_of(*rows), ElementsAre("battery report sent", "battery low: 3.1 V"));
  // Every word must match; quotes and operators in the text are words, not syntax.
  q.text = "battery low";
  rows = store_->logs(q);
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(bodies_of(*rows), ElementsAre("battery low: 3.1 V"));
  q.text = "\"1\" OR NEAR(";
  rows = store_->logs(q);
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  EXPECT_THAT(*rows, IsEmpty());
  q.text = "timeout \"1\"";
  rows = store_->logs(q);
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();
  EXPECT_THAT(bodies_of(*rows), ElementsAre("i2c timeout on bus \"1\""));
}

TEST_F(LogsTest, AnyTextIsAValidSearch) {
  // FTS5 has a query language; the store quotes every word, so no text is a syntax error.
  std::mt19937 random(7);
  const std::string alphabet = "ab \"*()^:+-{}NEARORANDNOT\x01\xc3\xa9\t";
  for (int i = 0; i < 500; ++i) {
    LogQuery q;
    for (std::size_t n = random() % 24; n > 0; --n)
      q.text += alphabet[random() % alphabet.size()];
    auto rows = store_->logs(q);
    ASSERT_TRUE(rows.ok()) << "text \"" << q.text << "\": " << rows.status().to_string();
  }
}

TEST_F(LogsTest, BySeverityServiceTraceAndTime) {
  LogQuery q;
  q.min_severity_number = 13;
  auto rows = store_->logs(q);
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(bodies_of(*rows), ElementsAre("i2c timeout on bus \"1\"", "battery low: 3.1 V"));

  LogQuery by_service;
  by_service.service = "gateway";
  rows = store_->logs(by_service);
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(bodies_of(*rows), ElementsAre("battery report sent"));

  LogQuery by_trace;
  by_trace.trace_id = trace_id(7);
  by_trace.text = "battery";
  rows = store_->logs(by_trace);
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(bodies_of(*rows), ElementsAre("battery report sent", "battery low: 3.1 V"));
  EXPECT_EQ(rows->front().log.resource.attributes(0).value().string_value(), "gateway");

  LogQuery by_time;
  by_time.start_unix_nano = t0_ + kMinute;
  by_time.end_unix_nano = t0_ + 2 * kMinute;
  rows = store_->logs(by_time);
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(bodies_of(*rows), ElementsAre("i2c timeout on bus \"1\"", "battery low: 3.1 V"));
}

TEST_F(LogsTest, PagesWithBeforeId) {
  LogQuery q;
  q.limit = 2;
  auto first = store_->logs(q);
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(bodies_of(*first), ElementsAre("battery report sent", "i2c timeout on bus \"1\""));
  q.before_id = first->back().id;
  auto second = store_->logs(q);
  ASSERT_TRUE(second.ok());
  EXPECT_THAT(bodies_of(*second), ElementsAre("battery low: 3.1 V", "boot complete"));
  q.before_id = second->back().id;
  auto third = store_->logs(q);
  ASSERT_TRUE(third.ok());
  EXPECT_THAT(*third, IsEmpty());

  // The same paging through a text search.
  LogQuery text;
  text.text = "battery";
  text.limit = 1;
  auto a = store_->logs(text);
  ASSERT_TRUE(a.ok());
  EXPECT_THAT(bodies_of(*a), ElementsAre("battery report sent"));
  text.before_id = a->front().id;
  auto b = store_->logs(text);
  ASSERT_TRUE(b.ok());
  EXPECT_THAT(bodies_of(*b), ElementsAre("battery low: 3.1 V"));
}

TEST_F(LogsTest, LogsAfterIsTheLiveTailCursor) {
  auto all = store_->logs_after(0, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ(all->front().log.record.body().string_value(), "boot complete");
  auto rest = store_->logs_after((*all)[1].id, 1);
  ASSERT_TRUE(rest.ok());
  EXPECT_THAT(bodies_of(*rest), ElementsAre("i2c timeout on bus \"1\""));
  auto none = store_->logs_after(all->back().id, 100);
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
}

TEST(TraceStoreTest, ReopenKeepsDataAndCursors) {
  testing::TempDir dir("et-store");
  const StoreOptions options = options_in(dir);
  const std::uint64_t t0 = now_ns() - kMinute;
  std::int64_t seq = 0;
  std::int64_t log_id = 0;
  {
    auto store = open_store(options);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->write_traces(traces("svc", {{.trace = 1, .id = 1, .start = t0}})).ok());
    ASSERT_TRUE(store->write_logs(logs("svc", {{.body = "hello", .time = t0}})).ok());
    seq = store->traces_after(0, 10)->back().seq;
    log_id = store->logs_after(0, 10)->back().id;
  }
  auto store = open_store(options);
  ASSERT_NE(store, nullptr);
  auto trace = store->trace(trace_id(1));
  ASSERT_TRUE(trace.ok());
  EXPECT_EQ(trace->size(), 1u);
  LogQuery q;
  q.text = "hello";
  EXPECT_EQ(store->logs(q)->size(), 1u);
  ASSERT_TRUE(store->write_traces(traces("svc", {{.trace = 2, .id = 1, .start = t0}})).ok());
  ASSERT_TRUE(store->write_logs(logs("svc", {{.body = "again", .time = t0}})).ok());
  auto after = store->traces_after(seq, 10);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ(after->front().trace_id, trace_id(2));
  auto tail = store->logs_after(log_id, 10);
  ASSERT_TRUE(tail.ok());
  EXPECT_THAT(bodies_of(*tail), ElementsAre("again"));
  auto stats = store->stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->spans, 2u);
  EXPECT_EQ(stats->traces, 2u);
  EXPECT_EQ(stats->logs, 2u);
  EXPECT_GT(stats->file_bytes, 0u);
}

// Checkpoints the WAL into the main file (as a last close would) and returns its size.
std::uintmax_t checkpointed_size(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  return std::filesystem::file_size(path);
}

TEST(TraceStoreTest, SizeCapKeepsTheNewestTracesAndTheFileStopsGrowing) {
  testing::TempDir dir("et-store");
  StoreOptions options = options_in(dir);
  options.max_bytes = 2u << 20;
  auto store = open_store(options);
  ASSERT_NE(store, nullptr);
  const std::uint64_t t0 = now_ns() - 60 * kMinute;
  const std::string padding(400, 'x');  // not indexed (too long), but stored
  std::uint32_t next_trace = 1;
  std::vector<std::uintmax_t> sizes;
  for (int round = 0; round < 3; ++round) {
    for (int batch = 0; batch < 150; ++batch) {
      std::vector<SpanSpec> specs;
      for (std::uint32_t i = 1; i <= 20; ++i)
        specs.push_back({.trace = next_trace,
                         .id = i,
                         .parent = i == 1 ? 0u : 1u,
                         .name = "op" + std::to_string(i),
                         .start = t0 + next_trace * kMs + i,
                         .attributes = {{"pad", padding}, {"i", std::to_string(i)}}});
      ++next_trace;
      ASSERT_TRUE(store->write_traces(traces("svc", specs)).ok());
      ASSERT_TRUE(store->write_logs(logs("svc", {{.body = "log " + padding, .time = t0}})).ok());
      auto stats = store->stats();
      ASSERT_TRUE(stats.ok());
      ASSERT_LE(stats->file_bytes, options.max_bytes);
    }
    sizes.push_back(checkpointed_size(options.path));
  }
  // Each round alone is larger than the cap: pruning ran, and the file did not grow past
  // the cap (one batch of slack for the pages the WAL had not yet given back).
  MetricsText metrics;
  store->write_metrics(metrics);
  EXPECT_THAT(metrics.text(),
              ::testing::Not(HasSubstr("edgetraced_store_pruned_traces_total 0\n")));
  for (std::uintmax_t size : sizes)
    EXPECT_LE(size, options.max_bytes + (64u << 10));
  // The newest traces are there, whole; the oldest are gone.
  auto newest = store->trace(trace_id(next_trace - 1));
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(newest->size(), 20u);
  auto oldest = store->trace(trace_id(1));
  ASSERT_TRUE(oldest.ok());
  EXPECT_THAT(*oldest, IsEmpty());
  auto summaries = store->traces_after(0, 100000);
  ASSERT_TRUE(summaries.ok());
  ASSERT_FALSE(summaries->empty());
  for (const auto& s : *summaries)
    EXPECT_EQ(s.span_count, 20u) << "a trace was pruned in part";
  // What remains is a suffix of the traces written: the oldest went first.
  const std::uint64_t kept = summaries->size();
  EXPECT_EQ(summaries->front().trace_id, trace_id(next_trace - static_cast<std::uint32_t>(kept)));
  auto stats = store->stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_LT(stats->logs, 450u);
  EXPECT_GT(stats->logs, 0u);
}

TEST(TraceStoreTest, MaxAgePrunesOldTracesAndLogs) {
  testing::TempDir dir("et-store");
  StoreOptions options = options_in(dir);
  options.max_age = std::chrono::hours(1);
  auto store = open_store(options);
  ASSERT_NE(store, nullptr);
  const std::uint64_t now = now_ns();
  ASSERT_TRUE(store
                  ->write_traces(traces("svc", {{.trace = 1, .id = 1, .start = now - 50 * kMinute},
                                                {.trace = 2, .id = 1, .start = now - kMinute}}))
                  .ok());
  ASSERT_TRUE(store
                  ->write_logs(logs("svc", {{.body = "old", .time = now - 50 * kMinute},
                                            {.body = "new", .time = now - kMinute}}))
                  .ok());
  ASSERT_EQ(store->stats()->traces, 2u);  // both younger than an hour at write time

  ASSERT_TRUE(store->prune(now + 20 * kMinute).ok());
  EXPECT_THAT(*store->trace(trace_id(1)), IsEmpty());
  EXPECT_EQ(store->trace(trace_id(2))->size(), 1u);
  EXPECT_THAT(bodies_of(*store->logs_after(0, 10)), ElementsAre("new"));
  LogQuery q;
  q.text = "old";
  EXPECT_THAT(*store->logs(q), IsEmpty());
  // A span that arrives after its trace's max_age goes at the next prune.
  ASSERT_TRUE(
      store->write_traces(traces("svc", {{.trace = 3, .id = 1, .start = now - 2 * 60 * kMinute}}))
          .ok());
  ASSERT_TRUE(store->prune(now).ok());
  EXPECT_THAT(*store->trace(trace_id(3)), IsEmpty());
}

TEST(TraceStoreTest, PruningRemovesOperationsWithoutSpans) {
  testing::TempDir dir("et-store");
  StoreOptions options = options_in(dir);
  options.max_age = std::chrono::hours(1);
  auto store = open_store(options);
  ASSERT_NE(store, nullptr);
  const std::uint64_t now = now_ns();
  ASSERT_TRUE(
      store
          ->write_traces(traces(
              "old-svc", {{.trace = 1, .id = 1, .name = "gone", .start = now - 50 * kMinute}}))
          .ok());
  ASSERT_TRUE(store
                  ->write_traces(traces(
                      "svc", {{.trace = 2, .id = 1, .name = "kept", .start = now - 40 * kMinute},
                              {.trace = 3, .id = 1, .name = "recent", .start = now - kMinute}}))
                  .ok());
  EXPECT_THAT(*store->services(), ElementsAre("old-svc", "svc"));
  // At now + 15 minutes the cut is 45 minutes ago: trace 1 goes, trace 2 stays.
  ASSERT_TRUE(store->prune(now + 15 * kMinute).ok());
  EXPECT_THAT(*store->services(), ElementsAre("svc"));
  auto ops = store->operations("svc");
  ASSERT_TRUE(ops.ok());
  ASSERT_EQ(ops->size(), 2u);
  EXPECT_EQ((*ops)[0].name, "kept");
  // Trace 2 goes too; "kept" has no span left.
  ASSERT_TRUE(store->prune(now + 30 * kMinute).ok());
  ops = store->operations("svc");
  ASSERT_TRUE(ops.ok());
  ASSERT_EQ(ops->size(), 1u);
  EXPECT_EQ((*ops)[0].name, "recent");
}

TEST(TraceStoreTest, OpenRefusesAFileThatIsNotADatabase) {
  testing::TempDir dir("et-store");
  const StoreOptions options = options_in(dir);
  std::filesystem::create_directories(options.path.parent_path());
  {
    std::ofstream out(options.path, std::ios::binary);
    std::mt19937 random(42);
    for (int i = 0; i < 65536; ++i)
      out.put(static_cast<char>(random() & 0xff));
  }
  auto opened = TraceStore::open(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), core::StatusCode::kDataLoss);
  EXPECT_THAT(opened.status().message(), HasSubstr(options.path.string()));
  EXPECT_THAT(opened.status().message(), HasSubstr("not an SQLite database"));
}

TEST(TraceStoreTest, OpenRefusesATruncatedDatabase) {
  testing::TempDir dir("et-store");
  const StoreOptions options = options_in(dir);
  {
    auto store = open_store(options);
    ASSERT_NE(store, nullptr);
    std::vector<SpanSpec> specs;
    for (std::uint32_t i = 1; i <= 2000; ++i)
      specs.push_back({.trace = i,
                       .id = 1,
                       .start = now_ns() - kMinute,
                       .attributes = {{"k", std::to_string(i)}}});
    ASSERT_TRUE(store->write_traces(traces("svc", specs)).ok());
  }
  const auto size = checkpointed_size(options.path);
  ASSERT_GT(size, 100'000u);
  std::filesystem::resize_file(options.path, size / 2);
  auto opened = TraceStore::open(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), core::StatusCode::kDataLoss);
  EXPECT_THAT(opened.status().message(), HasSubstr(options.path.string()));
  EXPECT_THAT(opened.status().message(), HasSubstr("corrupt"));
}

TEST(TraceStoreTest, OpenRefusesAFileLockedByAnotherWriter) {
  testing::TempDir dir("et-store");
  const StoreOptions options = options_in(dir);
  { ASSERT_NE(open_store(options), nullptr); }
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(options.path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  auto opened = TraceStore::open(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), core::StatusCode::kUnavailable);
  EXPECT_THAT(opened.status().message(), HasSubstr(options.path.string()));
  EXPECT_THAT(opened.status().message(), HasSubstr("locked"));
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  // Released: the same file opens.
  EXPECT_NE(open_store(options), nullptr);
}

TEST(TraceStoreTest, WriteWhileLockedFailsIsCountedAndTheStoreRecovers) {
  testing::TempDir dir("et-store");
  const StoreOptions options = options_in(dir);
  auto store = open_store(options);
  ASSERT_NE(store, nullptr);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(options.path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  const auto request = traces("svc", {{.trace = 1, .id = 1, .start = now_ns() - kMinute}});
  const core::Status failed = store->write_traces(request);
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), core::StatusCode::kUnavailable);
  EXPECT_THAT(failed.message(), HasSubstr(options.path.string()));
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  MetricsText metrics;
  store->write_metrics(metrics);
  EXPECT_THAT(metrics.text(), HasSubstr("edgetraced_store_write_errors_total 1\n"));
  ASSERT_TRUE(store->write_traces(request).ok());
  EXPECT_EQ(store->trace(trace_id(1))->size(), 1u);
}

TEST(StoreExporterTest, DeliversAfterTheCommitAndShutsDown) {
  testing::TempDir dir("et-store");
  auto store = open_store(options_in(dir));
  ASSERT_NE(store, nullptr);
  StoreExporter exporter(*store);
  EXPECT_EQ(exporter.name(), "store");
  const auto deadline = [] { return otlp::Clock::now() + std::chrono::seconds(30); };
  const std::uint64_t t0 = now_ns() - kMinute;
  EXPECT_EQ(exporter.export_traces(traces("svc", {{.trace = 1, .id = 1, .start = t0}}), deadline()),
            ExportResult::kDelivered);
  // Committed before kDelivered: readable at once.
  EXPECT_EQ(store->trace(trace_id(1))->size(), 1u);
  EXPECT_EQ(exporter.export_logs(logs("svc", {{.body = "stored", .time = t0}}), deadline()),
            ExportResult::kDelivered);
  EXPECT_THAT(bodies_of(*store->logs_after(0, 10)), ElementsAre("stored"));
  EXPECT_EQ(exporter.export_metrics(otlp::MetricsRequest(), deadline()), ExportResult::kDelivered);

  // Several callers at once: every request is written (in shared transactions).
  std::vector<std::thread> callers;
  std::atomic<int> delivered{0};
  for (std::uint32_t t = 0; t < 4; ++t)
    callers.emplace_back([&, t] {
      for (std::uint32_t i = 0; i < 25; ++i)
        if (exporter.export_traces(
                traces("svc", {{.trace = 100 + t * 100 + i, .id = 1, .start = t0}}), deadline()) ==
            ExportResult::kDelivered)
          ++delivered;
    });
  for (auto& c : callers)
    c.join();
  EXPECT_EQ(delivered.load(), 100);
  EXPECT_EQ(store->stats()->traces, 101u);

  MetricsText metrics;
  exporter.write_metrics(metrics);
  EXPECT_THAT(metrics.text(),
              HasSubstr("edgetraced_store_export_delivered_total{exporter=\"store\","
                        "signal=\"traces\"} 101\n"));
  EXPECT_THAT(metrics.text(), HasSubstr("edgetraced_store_spans_written_total 101\n"));

  exporter.shutdown();
  exporter.shutdown();  // idempotent
  EXPECT_EQ(exporter.export_traces(traces("svc", {{.trace = 2, .id = 1, .start = t0}}), deadline()),
            ExportResult::kRetryLater);
  EXPECT_THAT(*store->trace(trace_id(2)), IsEmpty());
}

TEST(StoreExporterTest, DeadlineBeforeTheCommitIsRetriedAndStoredOnce) {
  testing::TempDir dir("et-store");
  StoreOptions options = options_in(dir);
  options.busy_timeout = std::chrono::seconds(30);
  auto store = open_store(options);
  ASSERT_NE(store, nullptr);
  StoreExporter exporter(*store);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(options.path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  const auto request = traces("svc", {{.trace = 1, .id = 1, .start = now_ns() - kMinute}});
  // The writer waits for the lock: the caller's deadline passes first.
  EXPECT_EQ(exporter.export_traces(request, otlp::Clock::now() + std::chrono::milliseconds(50)),
            ExportResult::kRetryLater);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  // The queue's retry: the same request again.
  EXPECT_EQ(exporter.export_traces(request, otlp::Clock::now() + std::chrono::seconds(30)),
            ExportResult::kDelivered);
  EXPECT_EQ(store->trace(trace_id(1))->size(), 1u);
  exporter.shutdown();
}

TEST(StoreExporterTest, ShutdownReleasesAWaitingCallerAndStillWritesItsRequest) {
  testing::TempDir dir("et-store");
  StoreOptions options = options_in(dir);
  options.busy_timeout = std::chrono::seconds(30);
  auto store = open_store(options);
  ASSERT_NE(store, nullptr);
  StoreExporter exporter(*store);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(options.path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::atomic<int> result{-1};
  std::thread caller([&] {
    result = static_cast<int>(
        exporter.export_traces(traces("svc", {{.trace = 1, .id = 1, .start = now_ns()}}),
                               otlp::Clock::now() + std::chrono::seconds(60)));
  });
  // The writer has taken the request and waits for the lock.
  ASSERT_TRUE(edgetrace::testing::wait_until([&] {
    MetricsText m;
    exporter.write_metrics(m);
    return m.text().find("edgetraced_store_export_batches_total{exporter=\"store\"} 1\n") !=
           std::string::npos;
  }));
  std::thread stopper([&] { exporter.shutdown(); });
  ASSERT_TRUE(edgetrace::testing::wait_until([&] { return result.load() != -1; }));
  EXPECT_EQ(result.load(), static_cast<int>(ExportResult::kRetryLater));
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  stopper.join();
  caller.join();
  // The drain wrote it: delivered again after a restart, its span is stored once.
  EXPECT_EQ(store->trace(trace_id(1))->size(), 1u);
}

TEST(StoreExporterTest, AFailedWriteIsDroppedNotRetried) {
  testing::TempDir dir("et-store");
  StoreOptions options = options_in(dir);
  options.busy_timeout = std::chrono::milliseconds(20);
  auto store = open_store(options);
  ASSERT_NE(store, nullptr);
  StoreExporter exporter(*store);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(options.path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(exporter.export_traces(traces("svc", {{.trace = 1, .id = 1, .start = now_ns()}}),
                                   otlp::Clock::now() + std::chrono::seconds(30)),
            ExportResult::kDropped);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  MetricsText metrics;
  exporter.write_metrics(metrics);
  EXPECT_THAT(metrics.text(),
              HasSubstr("edgetraced_store_export_dropped_total{exporter=\"store\"} 1\n"));
}

}  // namespace
}  // namespace edgetrace::daemon::store
