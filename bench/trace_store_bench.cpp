// Trace store benchmarks (apps/edgetraced/store): ingest rate, and query latency on a store
// holding 1,000,000 spans.
//
// - BM_Ingest/16: write_traces() of batches of 512 spans (32 traces of 16 spans, 8
//   attributes each, one resource per batch) into a fresh store; items/s is spans per
//   second on one core (one transaction per batch, WAL, synchronous = NORMAL).
//   BM_Ingest/1: the same with 512 traces of one span per batch, the store's worst case
//   (one row per span).
// - The query cases share one store built on first use: 1,000,000 spans (62,500 traces of
//   16 spans) spread over the last 24 hours, 10 services x 20 operations, and 200,000 log
//   records, written in batches of 512 as the daemon would. Building it takes about as long
//   as ingesting that many spans (BM_Ingest's rate); its figures are printed to stderr.
//   - BM_TraceById: trace() of a random trace (16 spans decoded).
//   - BM_FindServiceOperationMinDuration: find_traces() with service + operation +
//     minDuration over the last hour, limit 20 (Jaeger's search page).
//   - BM_FindNoMatch: searches that match nothing over the whole day, so they read every
//     row of a service (or every trace): the worst case of a search.
//   - BM_LogTextSearch: logs() with a word found in about 1 % of the records, limit 100.
//   Each reports p50 and p95 over its iterations (counters p50_ms, p95_ms).
//   - BM_PruneToSizeCap (last): one size prune of that store to 90 % of a cap set at 85 % of
//     its size (about a quarter of the data deleted, then incremental_vacuum).
//
// The stores live in a temporary directory under $EDGETRACE_BENCH_DIR, else the system
// temporary directory, removed at exit. Results: docs/benchmarks.md, "Trace store".
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "edgetrace/otlp/model.hpp"
#include "store/trace_store.hpp"

namespace {

using namespace edgetrace;
using daemon::store::TraceStore;
namespace v1 = ::opentelemetry::proto;

constexpr std::uint64_t kSecond = 1'000'000'000ull;
constexpr std::uint64_t kHour = 3600 * kSecond;
constexpr int kSpansPerTrace = 16;
constexpr int kBatchSpans = 512;
constexpr int kServices = 10;
constexpr int kOperations = 20;

class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("EDGETRACE_BENCH_DIR");
    std::filesystem::path root =
        base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
    std::string tmpl = (root / "edgetrace-store-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr)
      path_ = tmpl;
  }
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::string id_bytes(std::size_t size, std::uint64_t n, char tag) {
  std::string id(size, '\0');
  id[0] = tag;
  for (std::size_t i = 0; i < 8 && i + 1 < size; ++i)
    id[size - 1 - i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return id;
}

std::string service_name(int s) {
  return "service-" + std::to_string(s);
}
std::string operation_name(int o) {
  return "operation-" + std::to_string(o);
}

// Traces [first, first + count) of one service, 16 spans each (or `spans_per_trace`), the
// root first; trace n
// starts at `start_of(n)`. Durations: the root 1..1000 ms, children shorter.
template <typename StartOf>
otlp::TraceRequest make_batch(std::uint64_t first, int count, int service, StartOf start_of,
                              std::mt19937_64& random, int spans_per_trace = kSpansPerTrace) {
  otlp::TraceRequest r;
  auto* rs = r.add_resource_spans();
  auto& resource = *rs->mutable_resource()->mutable_attributes();
  otlp::add_string_attribute(resource, "service.name", service_name(service));
  otlp::add_string_attribute(resource, "host.name", "edge-" + std::to_string(service));
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("bench");
  for (int t = 0; t < count; ++t) {
    const std::uint64_t trace = first + static_cast<std::uint64_t>(t);
    const std::uint64_t start = start_of(trace);
    const std::uint64_t root_duration = (1 + random() % 1000) * 1'000'000ull;
    for (int s = 0; s < spans_per_trace; ++s) {
      auto* span = ss->add_spans();
      span->set_trace_id(id_bytes(16, trace, '\x7e'));
      span->set_span_id(id_bytes(8, static_cast<std::uint64_t>(s + 1), '\x5a'));
      if (s > 0)
        span->set_parent_span_id(id_bytes(8, 1, '\x5a'));
      span->set_name(operation_name(s == 0 ? static_cast<int>(trace % kOperations)
                                           : static_cast<int>(random() % kOperations)));
      span->set_kind(s == 0 ? v1::trace::v1::Span::SPAN_KIND_SERVER
                            : v1::trace::v1::Span::SPAN_KIND_INTERNAL);
      const std::uint64_t offset = s == 0 ? 0 : random() % (root_duration / 2);
      span->set_start_time_unix_nano(start + offset);
      span->set_end_time_unix_nano(start + offset +
                                   (s == 0 ? root_duration : random() % (root_duration / 2)));
      if (random() % 50 == 0)
        span->mutable_status()->set_code(v1::trace::v1::Status::STATUS_CODE_ERROR);
      auto& a = *span->mutable_attributes();
      otlp::add_string_attribute(a, "http.method", s % 2 == 0 ? "GET" : "POST");
      otlp::add_string_attribute(a, "http.route", "/api/v1/items/" + std::to_string(s));
      otlp::add_int_attribute(a, "http.status_code", random() % 20 == 0 ? 500 : 200);
      otlp::add_string_attribute(a, "user.id", "user-" + std::to_string(random() % 10000));
      otlp::add_int_attribute(a, "db.rows", static_cast<std::int64_t>(random() % 100));
      otlp::add_string_attribute(a, "net.peer.name", "db-" + std::to_string(random() % 8));
      otlp::add_string_attribute(a, "component", "handler");
      otlp::add_int_attribute(a, "retry", static_cast<std::int64_t>(random() % 3));
    }
  }
  return r;
}

const char* const kWords[] = {"sensor",  "battery", "reading", "timeout", "connected",
                              "request", "handled", "queue",   "flushed", "sample"};

otlp::LogsRequest make_logs(std::uint64_t first, int count, int service, std::uint64_t t0,
                            std::uint64_t spacing, std::mt19937_64& random) {
  otlp::LogsRequest r;
  auto* rl = r.add_resource_logs();
  otlp::add_string_attribute(*rl->mutable_resource()->mutable_attributes(), "service.name",
                             service_name(service));
  auto* sl = rl->add_scope_logs();
  for (int i = 0; i < count; ++i) {
    const std::uint64_t n = first + static_cast<std::uint64_t>(i);
    auto* log = sl->add_log_records();
    log->set_time_unix_nano(t0 + n * spacing);
    log->set_severity_number(static_cast<v1::logs::v1::SeverityNumber>(9 + 4 * (random() % 3)));
    std::string body = std::string(kWords[random() % 10]) + " " + kWords[random() % 10] +
                       " value=" + std::to_string(random() % 100000);
    // About 1 % of the records name a rare event.
    if (random() % 100 == 0)
      body += " brownout";
    log->mutable_body()->set_string_value(body);
  }
  return r;
}

// Arg: the spans of each trace in a batch of 512 (16: whole traces; 1: each span of a
// different trace, as when a trace's spans arrive in different requests).
void BM_Ingest(benchmark::State& state) {
  const int spans_per_trace = static_cast<int>(state.range(0));
  BenchDir dir;
  daemon::store::StoreOptions options;
  options.path = dir.path() / "ingest.db";
  options.max_bytes = 0;
  auto opened = TraceStore::open(options);
  if (!opened.ok()) {
    state.SkipWithError(opened.status().to_string().c_str());
    return;
  }
  auto store = std::move(opened).value();
  std::mt19937_64 random(1);
  const std::uint64_t t0 = now_ns() - kHour;
  std::uint64_t next = 0;
  const int traces_per_batch = kBatchSpans / spans_per_trace;
  for (auto _ : state) {
    state.PauseTiming();
    const auto batch = make_batch(
        next, traces_per_batch, static_cast<int>(next % kServices),
        [&](std::uint64_t n) { return t0 + n * 1000; }, random, spans_per_trace);
    next += static_cast<std::uint64_t>(traces_per_batch);
    state.ResumeTiming();
    if (!store->write_traces(batch).ok()) {
      state.SkipWithError("write failed");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatchSpans);
  if (auto stats = store->stats(); stats.ok())
    state.counters["bytes_per_span"] =
        static_cast<double>(stats->file_bytes) / static_cast<double>(stats->spans);
}
BENCHMARK(BM_Ingest)->Arg(16)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(5.0);

// The shared 1,000,000-span store.
struct BigStore {
  static constexpr std::uint64_t kTraces = 1'000'000 / kSpansPerTrace;
  static constexpr std::uint64_t kLogs = 200'000;

  BenchDir dir;
  std::unique_ptr<TraceStore> store;
  std::uint64_t end = 0;  // the newest trace starts just before this

  BigStore() {
    daemon::store::StoreOptions options;
    options.path = dir.path() / "big.db";
    options.max_bytes = 0;
    options.max_age = std::chrono::seconds(0);
    auto opened = TraceStore::open(options);
    if (!opened.ok()) {
      std::fprintf(stderr, "store: %s\n", opened.status().to_string().c_str());
      return;
    }
    store = std::move(opened).value();
    std::mt19937_64 random(2);
    end = now_ns();
    const std::uint64_t span = 24 * kHour;
    const std::uint64_t t0 = end - span;
    const auto start_of = [&](std::uint64_t n) { return t0 + n * (span / kTraces); };
    const auto begin = std::chrono::steady_clock::now();
    constexpr int kTracesPerBatch = kBatchSpans / kSpansPerTrace;
    for (std::uint64_t n = 0; n < kTraces; n += kTracesPerBatch) {
      const auto batch =
          make_batch(n, kTracesPerBatch, static_cast<int>((n / kTracesPerBatch) % kServices),
                     start_of, random);
      if (!store->write_traces(batch).ok()) {
        std::fprintf(stderr, "store: write failed\n");
        store.reset();
        return;
      }
    }
    const auto spans_done = std::chrono::steady_clock::now();
    for (std::uint64_t n = 0; n < kLogs; n += kBatchSpans) {
      const auto batch =
          make_logs(n, kBatchSpans, static_cast<int>(n % kServices), t0, span / kLogs, random);
      if (!store->write_logs(batch).ok()) {
        std::fprintf(stderr, "store: log write failed\n");
        store.reset();
        return;
      }
    }
    const auto done = std::chrono::steady_clock::now();
    const auto stats = store->stats();
    // What open() costs on this store (PRAGMA quick_check reads every page).
    const auto open_begin = std::chrono::steady_clock::now();
    auto second = TraceStore::open(options);
    const auto open_end = std::chrono::steady_clock::now();
    std::fprintf(stderr, "trace store: open() with quick_check: %.2f s (%s)\n",
                 std::chrono::duration<double>(open_end - open_begin).count(),
                 second.ok() ? "ok" : second.status().to_string().c_str());
    std::fprintf(stderr,
                 "trace store: 1,000,000 spans in %.1f s, %llu logs in %.1f s, %.0f MiB "
                 "(%.0f bytes per span and log)\n",
                 std::chrono::duration<double>(spans_done - begin).count(),
                 static_cast<unsigned long long>(kLogs),
                 std::chrono::duration<double>(done - spans_done).count(),
                 stats.ok() ? static_cast<double>(stats->file_bytes) / (1 << 20) : 0.0,
                 stats.ok() ? static_cast<double>(stats->file_bytes) /
                                  static_cast<double>(stats->spans + stats->logs)
                            : 0.0);
  }
};

BigStore& big_store() {
  static BigStore big;
  return big;
}

// Runs `query` once per iteration and reports the p50 and p95 of its latency.
template <typename Query>
void run_timed(benchmark::State& state, Query query) {
  std::vector<double> ms;
  for (auto _ : state) {
    const auto begin = std::chrono::steady_clock::now();
    if (!query()) {
      state.SkipWithError("query failed");
      return;
    }
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  if (!ms.empty()) {
    state.counters["p50_ms"] = ms[ms.size() / 2];
    state.counters["p95_ms"] = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
  }
}

void BM_TraceById(benchmark::State& state) {
  BigStore& big = big_store();
  if (big.store == nullptr) {
    state.SkipWithError("no store");
    return;
  }
  std::mt19937_64 random(3);
  std::size_t spans = 0;
  run_timed(state, [&] {
    const std::string id = id_bytes(16, random() % BigStore::kTraces, '\x7e');
    auto trace = big.store->trace(core::TraceId(
        std::span<const std::uint8_t, 16>(reinterpret_cast<const std::uint8_t*>(id.data()), 16)));
    if (!trace.ok() || trace->size() != kSpansPerTrace)
      return false;
    spans += trace->size();
    return true;
  });
  benchmark::DoNotOptimize(spans);
}
BENCHMARK(BM_TraceById)->Unit(benchmark::kMillisecond)->Iterations(500);

void BM_FindServiceOperationMinDuration(benchmark::State& state) {
  BigStore& big = big_store();
  if (big.store == nullptr) {
    state.SkipWithError("no store");
    return;
  }
  std::mt19937_64 random(4);
  std::size_t found = 0;
  run_timed(state, [&] {
    daemon::store::TraceQuery q;
    q.service = service_name(static_cast<int>(random() % kServices));
    q.operation = operation_name(static_cast<int>(random() % kOperations));
    q.min_duration_ns = 100'000'000;  // 100 ms
    q.start_unix_nano = big.end - kHour;
    q.end_unix_nano = big.end;
    q.limit = 20;
    auto traces = big.store->find_traces(q);
    if (!traces.ok())
      return false;
    found += traces->size();
    return true;
  });
  state.counters["traces_per_query"] =
      static_cast<double>(found) /
      static_cast<double>(std::max<std::int64_t>(state.iterations(), 1));
}
BENCHMARK(BM_FindServiceOperationMinDuration)->Unit(benchmark::kMillisecond)->Iterations(200);

// The searches that read the most: no trace matches, so every row of the service (or
// every trace) in the 24 hours is read. Arg 0: service + an operation no span has;
// 1: service + a tag no span has (span bodies decoded); 2: a tag alone, no service.
void BM_FindNoMatch(benchmark::State& state) {
  BigStore& big = big_store();
  if (big.store == nullptr) {
    state.SkipWithError("no store");
    return;
  }
  std::mt19937_64 random(5);
  run_timed(state, [&] {
    daemon::store::TraceQuery q;
    if (state.range(0) != 2)
      q.service = service_name(static_cast<int>(random() % kServices));
    if (state.range(0) == 0)
      q.operation = "operation-none";
    else
      q.tags = {{"user.id", "user-none"}};
    q.start_unix_nano = big.end - 24 * kHour;
    q.end_unix_nano = big.end;
    auto traces = big.store->find_traces(q);
    return traces.ok() && traces->empty();
  });
}
BENCHMARK(BM_FindNoMatch)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_LogTextSearch(benchmark::State& state) {
  BigStore& big = big_store();
  if (big.store == nullptr) {
    state.SkipWithError("no store");
    return;
  }
  const std::string text = state.range(0) == 0 ? "brownout" : "battery timeout";
  std::size_t found = 0;
  run_timed(state, [&] {
    daemon::store::LogQuery q;
    q.text = text;
    q.limit = 100;
    auto rows = big.store->logs(q);
    if (!rows.ok())
      return false;
    found += rows->size();
    return true;
  });
  state.counters["rows_per_query"] =
      static_cast<double>(found) /
      static_cast<double>(std::max<std::int64_t>(state.iterations(), 1));
}
// 0: a word in ~1 % of the records; 1: two common words (~2 % of the records have both).
BENCHMARK(BM_LogTextSearch)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(200);

// A size prune on the big store: a second handle on the same file with max_bytes at 85 %
// of its size, prune() once (deletes the oldest traces and logs until under 90 % of that
// cap, then incremental_vacuum). Registered last, although it removes only the oldest
// quarter of the day, far from the last hour the searches above read.
void BM_PruneToSizeCap(benchmark::State& state) {
  BigStore& big = big_store();
  if (big.store == nullptr) {
    state.SkipWithError("no store");
    return;
  }
  auto before = big.store->stats();
  if (!before.ok()) {
    state.SkipWithError("stats failed");
    return;
  }
  daemon::store::StoreOptions options;
  options.path = big.dir.path() / "big.db";
  options.max_bytes = before->file_bytes * 85 / 100;
  options.max_age = std::chrono::seconds(0);
  options.quick_check = false;
  auto opened = TraceStore::open(options);
  if (!opened.ok()) {
    state.SkipWithError(opened.status().to_string().c_str());
    return;
  }
  for (auto _ : state) {
    if (!(*opened)->prune(now_ns()).ok()) {
      state.SkipWithError("prune failed");
      return;
    }
  }
  auto after = big.store->stats();
  if (after.ok()) {
    state.counters["MiB_before"] = static_cast<double>(before->file_bytes) / (1 << 20);
    state.counters["MiB_after"] = static_cast<double>(after->file_bytes) / (1 << 20);
    state.counters["spans_deleted"] = static_cast<double>(before->spans - after->spans);
  }
}
BENCHMARK(BM_PruneToSizeCap)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
