// Cost of the processors' redaction (RE2) on a 2 KiB log batch: 16 records whose bodies and
// attributes mix clean text with e-mails, tokens, addresses and card numbers, as a receiver
// of application logs sees them.
//
//   ninja -C build/h processors_bench && build/h/bench/processors_bench
//
// BM_CopyBatch is the baseline (copying the request, which every other case also does);
// BM_ProcessBatch/<redaction> runs Processors::process() on a fresh copy; BM_Redact* run the
// Redactor on the batch's strings alone, all clean or as they come.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "edgetrace/otlp/model.hpp"
#include "edgetrace/processors/processors.hpp"
#include "edgetrace/processors/redaction.hpp"

namespace {

using namespace edgetrace;

const std::vector<std::string>& bodies() {
  static const std::vector<std::string> b = {
      "GET /api/v1/orders/8812 200 in 12ms",
      "user bob.smith@example.com logged in from 192.168.10.42",
      "cache miss for key product:1842, loading from db",
      "payment accepted card=4111 1111 1111 1111 amount=12.00 EUR",
      "request headers: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc",
      "worker 3 finished batch 77 (512 items) in 340ms",
      "retrying upstream call to inventory-service (attempt 2 of 5)",
      "peer fe80::1ff:fe23:4567:890a closed the connection",
      "config reloaded: 14 routes, 3 upstreams, tls=on",
      "slow query: SELECT id, name FROM customers WHERE region = 'eu-west' took 812ms",
      "POST /api/v1/login?api_key=0a9b8c7d6e5f4a3b2c1d 401",
      "scheduled job nightly-report started by cron",
      "queue depth 1204, consumers 8, lag 2.4s",
      "template rendered in 3ms: checkout/summary.html",
      "websocket session 77f1c2 upgraded, protocol v13",
      "healthy: db ok, cache ok, broker ok (version 2.14.1)",
  };
  return b;
}

otlp::LogsRequest make_batch() {
  otlp::LogsRequest req;
  auto* rl = req.add_resource_logs();
  otlp::add_string_attribute(*rl->mutable_resource()->mutable_attributes(), "service.name",
                             "checkout");
  auto* sl = rl->add_scope_logs();
  sl->mutable_scope()->set_name("app.http");
  for (const std::string& body : bodies()) {
    auto* r = sl->add_log_records();
    r->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_INFO);
    r->mutable_body()->set_string_value(body);
    otlp::add_string_attribute(*r->mutable_attributes(), "http.route", "/api/v1/orders/{id}");
    otlp::add_string_attribute(*r->mutable_attributes(), "thread.name", "worker-3");
    otlp::add_string_attribute(*r->mutable_attributes(), "user_agent.original",
                               "Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0");
    otlp::add_int_attribute(*r->mutable_attributes(), "http.status_code", 200);
  }
  return req;
}

std::size_t string_bytes(const otlp::LogsRequest& req) {
  std::size_t n = 0;
  for (const auto& rl : req.resource_logs()) {
    for (const auto& kv : rl.resource().attributes())
      n += kv.value().string_value().size();
    for (const auto& sl : rl.scope_logs()) {
      for (const auto& r : sl.log_records()) {
        n += r.body().string_value().size();
        for (const auto& kv : r.attributes())
          n += kv.value().string_value().size();
      }
    }
  }
  return n;
}

void BM_CopyBatch(benchmark::State& state) {
  const otlp::LogsRequest batch = make_batch();
  for (auto _ : state) {
    otlp::LogsRequest copy = batch;
    benchmark::DoNotOptimize(copy);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * string_bytes(batch)));
}
BENCHMARK(BM_CopyBatch);

void BM_ProcessBatch(benchmark::State& state) {
  processors::ProcessorsOptions o;
  o.redaction.enabled = state.range(0) != 0;
  auto p = processors::Processors::create(o);
  if (!p) {
    state.SkipWithError(p.status().to_string().c_str());
    return;
  }
  const otlp::LogsRequest batch = make_batch();
  state.counters["batch_string_bytes"] = static_cast<double>(string_bytes(batch));
  const auto now = std::chrono::steady_clock::now();
  std::uint64_t redacted = 0;
  for (auto _ : state) {
    otlp::LogsRequest copy = batch;
    redacted += (*p)->process(copy, now).redacted_values;
    benchmark::DoNotOptimize(copy);
  }
  state.counters["redacted_per_batch"] =
      static_cast<double>(redacted) / static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * string_bytes(batch)));
}
BENCHMARK(BM_ProcessBatch)->Arg(0)->Arg(1)->ArgName("redaction");

void redact_strings(benchmark::State& state, const std::vector<std::string>& strings) {
  processors::RedactionOptions o;
  auto r = processors::Redactor::create(o);
  if (!r) {
    state.SkipWithError(r.status().to_string().c_str());
    return;
  }
  std::size_t bytes = 0;
  for (const std::string& s : strings)
    bytes += s.size();
  std::string work;
  for (auto _ : state) {
    for (const std::string& s : strings) {
      work = s;
      benchmark::DoNotOptimize((*r)->redact(work));
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void BM_RedactMixed(benchmark::State& state) {
  redact_strings(state, bodies());
}
BENCHMARK(BM_RedactMixed);

void BM_RedactClean(benchmark::State& state) {
  std::vector<std::string> clean;
  for (const std::string& s : bodies()) {
    auto r = processors::Redactor::create({});
    std::string copy = s;
    if (r && !(*r)->redact(copy))
      clean.push_back(s);
  }
  redact_strings(state, clean);
}
BENCHMARK(BM_RedactClean);

// One 256 KiB string of pseudo-random words, digits and punctuation (a large body, such as a
// dumped payload): the DFA meets many distinct states.
void BM_RedactLongString(benchmark::State& state) {
  std::string text;
  std::uint64_t x = 88172645463325252u;
  const char alphabet[] = "abcdefxyzABC0123456789.:-_@=/ ";
  while (text.size() < 256 * 1024) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    text += alphabet[x % (sizeof(alphabet) - 1)];
  }
  redact_strings(state, {text});
}
BENCHMARK(BM_RedactLongString);

}  // namespace

BENCHMARK_MAIN();
