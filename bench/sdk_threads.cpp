// Spans and events per second into the OTLP layer from 1 and from 2 application threads
// (docs/benchmarks.md, "SDK hot path and export"): do the hand-overs scale with the threads?
//
//   sdk_threads [rounds] [spans-per-thread-per-round] [cases]   (defaults: 30 8192, all cases)
//
// The OTLP layer exports over loopback HTTP/protobuf to an in-process receiver that discards.
// Its batch is larger than a round, so the export thread sleeps while a round runs: what is
// timed is the application threads' own path (span start and end, the hand-over, the record
// pool), as in sdk_bench's accepting regime. Between rounds the layer is flushed, untimed.
// Two application threads live for the whole run, as a service's threads do. Each round
// starts one or both together at a barrier and takes the wall time until the last one is
// done; then the same round runs into a layer that does nothing (shares nothing between the
// threads), which tells what the machine itself gave two threads just then. Prints, for
// plain spans, spans with 10 attributes and events with 2 fields (log records): the median
// calls/s with 1 and 2 threads, the median of the rounds' 2-vs-1 ratios, the median of the
// null layer's ratios (the machine's ceiling), and the median ratio of the rounds whose
// ceiling was at least 1.8x (the machine gave two whole cores), with how many they were.
#define ET_TARGET "bench"
#include <pthread.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
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

// Two application threads that live for the whole run, as a service's threads do: their
// per-thread rings and caches persist across rounds, and creating or ending a thread is no
// part of what is measured. A round runs `body(per_thread)` on the first `threads` of them,
// started together; it returns the wall seconds from the start until the last one is done.
class Workers {
 public:
  static constexpr int kMax = 2;

  Workers() {
    for (int t = 0; t < kMax; ++t)
      threads_.emplace_back([this, t] {
        // Named for profilers: perf report --comm worker1 shows the second thread alone.
        const char* names[kMax] = {"worker0", "worker1"};
        pthread_setname_np(pthread_self(), names[t]);
        loop(static_cast<std::size_t>(t));
      });
  }
  ~Workers() {
    stop_.store(true);
    for (std::atomic<unsigned>& g : wake_) {
      g.fetch_add(1, std::memory_order_release);
      g.notify_one();
    }
    for (std::thread& t : threads_)
      t.join();
  }

  double timed_round(int threads, int per_thread, void (*body)(int)) {
    // Only the threads woken below read these, and each is done before the next round.
    per_thread_ = per_thread;
    body_ = body;
    ready_.store(0);
    done_.store(0);
    go_.store(false);
    for (std::size_t t = 0; t < static_cast<std::size_t>(threads); ++t) {
      wake_[t].fetch_add(1, std::memory_order_release);
      wake_[t].notify_one();
    }
    while (ready_.load() != threads) {
    }
    const Clock::time_point start = Clock::now();
    go_.store(true, std::memory_order_release);
    // Blocks rather than spins: the machine has as many cores as the round has threads.
    for (int d = done_.load(std::memory_order_acquire); d != threads;
         d = done_.load(std::memory_order_acquire))
      done_.wait(d, std::memory_order_acquire);
    const Clock::time_point end =
        *std::max_element(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(threads));
    return std::chrono::duration<double>(end - start).count();
  }

 private:
  void loop(std::size_t t) {
    unsigned seen = 0;
    for (;;) {
      wake_[t].wait(seen, std::memory_order_acquire);
      seen = wake_[t].load(std::memory_order_acquire);
      if (stop_.load())
        return;
      ready_.fetch_add(1);
      while (!go_.load(std::memory_order_acquire)) {
      }
      body_(per_thread_);
      ends_[t] = Clock::now();
      done_.fetch_add(1, std::memory_order_release);
      done_.notify_one();
    }
  }

  int per_thread_ = 0;
  void (*body_)(int) = nullptr;
  std::atomic<bool> stop_{false};
  std::array<std::atomic<unsigned>, kMax> wake_{};
  std::atomic<int> ready_{0};
  std::atomic<bool> go_{false};
  std::atomic<int> done_{0};
  std::array<Clock::time_point, kMax> ends_{};
  std::vector<std::thread> threads_;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 30;
  const int per_thread = argc > 2 ? std::atoi(argv[2]) : 8192;
  if (rounds < 1 || per_thread < 1) {
    std::fprintf(stderr,
                 "usage: sdk_threads [rounds] [spans-per-thread-per-round] [spans,attrs,events]\n");
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

  // Which cases run: all, or those named in the third argument (for profiling one alone).
  const std::string_view only = argc > 3 ? std::string_view(argv[3]) : std::string_view();
  struct Case {
    const char* key;
    const char* name;
    void (*body)(int);
  };
  Workers workers;
  std::printf("%-22s %12s %12s %7s %8s %16s\n", "case", "1 thread /s", "2 threads /s", "ratio",
              "ceiling", "ratio, 2 cores");
  for (const Case& c : {Case{"spans", "span start+end", plain_spans},
                        Case{"attrs", "span, 10 attributes", spans_with_10_attributes},
                        Case{"events", "event, 2 fields", events_with_2_fields}}) {
    if (!only.empty() && only.find(c.key) == std::string_view::npos)
      continue;
    // Warm-up: pools and rings of both thread counts reach their steady size.
    for (int w = 0; w < 3; ++w) {
      set_global_subscriber(tracing);
      workers.timed_round(2, per_thread, c.body);
      flush();
      set_global_subscriber(null_tracing);
      workers.timed_round(2, per_thread, c.body);
    }
    std::vector<double> one;
    std::vector<double> two;
    std::vector<double> ratios;
    std::vector<double> ceilings;
    std::vector<double> ratios_on_two_cores;
    for (int r = 0; r < rounds; ++r) {
      set_global_subscriber(tracing);
      const double r1 = per_thread / workers.timed_round(1, per_thread, c.body);
      flush();
      const double r2 = 2.0 * per_thread / workers.timed_round(2, per_thread, c.body);
      flush();
      // The same calls into the null layer right after: what the machine gave two threads
      // just then (a VM's two cores are sometimes two threads of one core).
      set_global_subscriber(null_tracing);
      // Four times the calls: into the null layer they are several times cheaper, and a
      // round much shorter than the thread wake-ups would measure those instead.
      const int null_calls = 4 * per_thread;
      const double n1 = null_calls / workers.timed_round(1, null_calls, c.body);
      const double n2 = 2.0 * null_calls / workers.timed_round(2, null_calls, c.body);
      one.push_back(r1);
      two.push_back(r2);
      ratios.push_back(r2 / r1);
      ceilings.push_back(n2 / n1);
      if (n2 / n1 >= 1.8)
        ratios_on_two_cores.push_back(r2 / r1);
    }
    char on_two_cores[32] = "-";
    if (!ratios_on_two_cores.empty()) {
      std::snprintf(on_two_cores, sizeof on_two_cores, "%.2fx (%zu of %d)",
                    median(ratios_on_two_cores), ratios_on_two_cores.size(), rounds);
    }
    std::printf("%-22s %12.0f %12.0f %6.2fx %7.2fx %16s\n", c.name, median(one), median(two),
                median(ratios), median(ceilings), on_two_cores);
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
