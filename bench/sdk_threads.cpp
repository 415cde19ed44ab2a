// Spans and events per second into the OTLP layer from 1 and from 2 application threads
// (docs/benchmarks.md, "SDK hot path and export"): do the hand-overs scale with the threads?
//
//   sdk_threads [rounds] [spans-per-thread-per-round]      (defaults: 30 8192)
//
// The OTLP layer exports over loopback HTTP/protobuf to an in-process receiver that discards.
// Its batch is larger than a round, so the export thread sleeps while a round runs: what is
// timed is the application threads' own path (span start and end, the hand-over, the record
// pool), as in sdk_bench's accepting regime. Between rounds the layer is flushed, untimed.
// Each round starts the threads together at a barrier and takes the wall time until the last
// one finishes; the 1-thread and 2-thread rounds alternate, so the machine's drift affects
// both alike. Prints the median calls/s of each and their ratio, for plain spans, spans with
// 10 attributes and events with 2 fields (log records).
#define ET_TARGET "bench"
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "edgetrace/edgetrace.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "testing/fake_http_receiver.hpp"

namespace {

using edgetrace::field;
using namespace edgetrace::sdk;
using Clock = std::chrono::steady_clock;

void plain_spans(int n) {
  for (int i = 0; i < n; ++i) {
    auto span = ET_SPAN("work");
    (void)span;
  }
}

void spans_with_10_attributes(int n) {
  for (int i = 0; i < n; ++i) {
    auto span =
        ET_SPAN("work", field<"a0">(i), field<"a1">(1), field<"a2">(2.5), field<"a3">("GET"),
                field<"a4">(true), field<"a5">(5), field<"a6">("/users/{id}"), field<"a7">(7u),
                field<"a8">(8), field<"a9">("x"));
    (void)span;
  }
}

void events_with_2_fields(int n) {
  for (int i = 0; i < n; ++i)
    ET_INFO("request handled", field<"status">(200), field<"route">("/users/{id}"));
}

// Runs `body(per_thread)` on `threads` threads started together; returns the wall seconds
// from the start until the last one is done.
double timed_round(int threads, int per_thread, void (*body)(int)) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  std::vector<Clock::time_point> ends(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      body(per_thread);
      ends[static_cast<std::size_t>(t)] = Clock::now();
    });
  while (ready.load() != threads) {
  }
  const Clock::time_point start = Clock::now();
  go.store(true, std::memory_order_release);
  for (std::thread& t : pool)
    t.join();
  const Clock::time_point end = *std::max_element(ends.begin(), ends.end());
  return std::chrono::duration<double>(end - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 30;
  const int per_thread = argc > 2 ? std::atoi(argv[2]) : 8192;
  if (rounds < 1 || per_thread < 1) {
    std::fprintf(stderr, "usage: sdk_threads [rounds] [spans-per-thread-per-round]\n");
    return 2;
  }

  edgetrace::testing::FakeOtlpHttpReceiver receiver;
  receiver.set_discard(true);
  OtlpLayerOptions o;
  o.traces.endpoint = receiver.url("/v1/traces");
  o.logs.endpoint = receiver.url("/v1/logs");
  o.export_self_metrics = false;
  // Room for two threads' round: the export thread only runs on the flush between rounds.
  o.span_batch.max_queue_size = 4 * static_cast<std::size_t>(per_thread);
  o.span_batch.max_export_batch_size = o.span_batch.max_queue_size;
  o.span_batch.schedule_delay = std::chrono::hours(1);
  o.log_batch = o.span_batch;
  o.resource = edgetrace::core::Resource(edgetrace::core::Attributes{{"service.name", "bench"}});
  o.on_error = [](std::string_view) {};
  auto created = OtlpLayer::create(std::move(o));
  if (!created) {
    std::fprintf(stderr, "sdk_threads: %s\n", created.status().to_string().c_str());
    return 1;
  }
  OtlpLayer* layer = created->get();
  auto tracing = std::make_shared<Tracing>(Tracing::Options{.sampler = Sampler::always_on()});
  tracing->add_layer(std::move(*created), Filter::parse("info").value());
  set_global_subscriber(tracing);
  auto flush = [&] { tracing->force_flush(Clock::now() + std::chrono::seconds(30)); };

  // The machine's own ceiling: the same spans into a layer that does nothing, so that
  // nothing is shared between the threads but the machine (cores, caches, memory).
  class NullLayer : public Layer {};
  auto null_tracing = std::make_shared<Tracing>(Tracing::Options{.sampler = Sampler::always_on()});
  null_tracing->add_layer(std::make_unique<NullLayer>(), Filter::parse("info").value());

  struct Case {
    const char* name;
    void (*body)(int);
    std::shared_ptr<Tracing> into;
  };
  std::printf("%-24s %14s %14s %8s\n", "case", "1 thread /s", "2 threads /s", "ratio");
  for (const Case& c : {Case{"span start+end", plain_spans, tracing},
                        Case{"span, 10 attributes", spans_with_10_attributes, tracing},
                        Case{"event, 2 fields", events_with_2_fields, tracing},
                        Case{"span, null layer", plain_spans, null_tracing}}) {
    set_global_subscriber(c.into);
    // Warm-up: pools and rings of both thread counts reach their steady size.
    for (int w = 0; w < 3; ++w) {
      timed_round(2, per_thread, c.body);
      flush();
    }
    std::vector<double> one;
    std::vector<double> two;
    for (int r = 0; r < rounds; ++r) {
      one.push_back(per_thread / timed_round(1, per_thread, c.body));
      flush();
      two.push_back(2.0 * per_thread / timed_round(2, per_thread, c.body));
      flush();
    }
    const double m1 = median(one);
    const double m2 = median(two);
    std::printf("%-24s %14.0f %14.0f %7.2fx\n", c.name, m1, m2, m2 / m1);
  }
  set_global_subscriber(tracing);
  const OtlpLayer::Counters counters = layer->counters();
  std::printf("exported %llu spans, dropped %llu; exported %llu log records, dropped %llu\n",
              static_cast<unsigned long long>(counters.spans_exported),
              static_cast<unsigned long long>(counters.spans_dropped),
              static_cast<unsigned long long>(counters.logs_exported),
              static_cast<unsigned long long>(counters.logs_dropped));
  set_global_subscriber(nullptr);
  tracing->shutdown(Clock::now() + std::chrono::seconds(10));
  return counters.spans_dropped == 0 && counters.logs_dropped == 0 ? 0 : 1;
}
