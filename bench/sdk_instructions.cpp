// Instructions per call on the caller's thread, for callgrind (bench/sdk_callgrind.sh):
//   valgrind --tool=callgrind --toggle-collect=measure_span10 sdk_instructions null-span10
// Each case runs its loop inside one non-inlined measure_* function, so callgrind counts
// only what the instrumented code costs the calling thread (the exporter's thread and the
// set-up are outside the toggle). Flushes of the OTLP layer happen between rounds, outside
// the measured functions, so the queue never fills (the "accepting" regime of sdk_bench).
#define ET_TARGET "bench"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "edgetrace/edgetrace.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "testing/fake_http_receiver.hpp"

namespace {

using edgetrace::field;
using namespace edgetrace::sdk;

volatile std::uint64_t g_sink = 0;

class TouchLayer : public Layer {
 public:
  void on_event(const Event& e) override { g_sink = g_sink + e.fields.size(); }
  void on_close(const SpanRecord& s) override { g_sink = g_sink + s.end_unix_nano; }
};

constexpr int kRound = 1000;

extern "C" __attribute__((noinline)) void measure_span(int n) {
  for (int i = 0; i < n; ++i) {
    auto span = ET_SPAN("work");
    g_sink = g_sink + (span.record() != nullptr);
  }
}

extern "C" __attribute__((noinline)) void measure_span10(int n) {
  for (int i = 0; i < n; ++i) {
    auto span =
        ET_SPAN("work", field<"a0">(i), field<"a1">(1), field<"a2">(2.5), field<"a3">("GET"),
                field<"a4">(true), field<"a5">(5), field<"a6">("/users/{id}"), field<"a7">(7u),
                field<"a8">(8), field<"a9">("x"));
    g_sink = g_sink + (span.record() != nullptr);
  }
}

extern "C" __attribute__((noinline)) void measure_event2(int n) {
  for (int i = 0; i < n; ++i)
    ET_INFO("payment accepted", field<"order_id">(i), field<"amount">(12.5));
}

using CaseFn = void (*)(int);

int run(CaseFn fn, int calls, Tracing& tracing) {
  // Warm-up outside the toggle: pools, queues and buffers reach their steady size.
  for (int round = 0; round < 4; ++round) {
    fn(0);  // keeps the symbol referenced; measures nothing
    for (int i = 0; i < kRound; ++i) {
      auto span = ET_SPAN("warm", field<"a0">(i), field<"a3">("GET"));
      // Longer than std::string's inline capacity, as the measured message is: the log
      // items' buffers are grown here, not in the measured loop.
      ET_INFO("warm-up, a message of some length", field<"i">(i), field<"amount">(1.5));
    }
    tracing.force_flush(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  }
  for (int done = 0; done < calls; done += kRound) {
    fn(kRound);
    tracing.force_flush(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr,
                 "usage: sdk_instructions <null|otlp>-<span|span10|event2> [calls]\n"
                 "Run under valgrind --tool=callgrind --toggle-collect=measure_<case>.\n");
    return argc < 2 ? 2 : 0;
  }
  const std::string_view which = argv[1];
  const int calls = argc > 2 ? std::atoi(argv[2]) : 10000;
  const auto dash = which.find('-');
  if (dash == std::string_view::npos) {
    std::fprintf(stderr, "sdk_instructions: unknown case %s\n", argv[1]);
    return 2;
  }
  const std::string_view layer = which.substr(0, dash);
  const std::string_view kase = which.substr(dash + 1);
  CaseFn fn = kase == "span"     ? &measure_span
              : kase == "span10" ? &measure_span10
              : kase == "event2" ? &measure_event2
                                 : nullptr;
  if (fn == nullptr || (layer != "null" && layer != "otlp")) {
    std::fprintf(stderr, "sdk_instructions: unknown case %s\n", argv[1]);
    return 2;
  }
  std::unique_ptr<edgetrace::testing::FakeOtlpHttpReceiver> receiver;
  auto tracing = std::make_shared<Tracing>(Tracing::Options{.sampler = Sampler::always_on()});
  if (layer == "null") {
    tracing->add_layer(std::make_unique<TouchLayer>(), Filter::parse("info").value());
  } else {
    receiver = std::make_unique<edgetrace::testing::FakeOtlpHttpReceiver>();
    receiver->set_discard(true);
    OtlpLayerOptions o;
    o.traces.endpoint = receiver->url("/v1/traces");
    o.logs.endpoint = receiver->url("/v1/logs");
    o.span_batch.max_queue_size = 4096;
    o.span_batch.max_export_batch_size = 4096;
    o.span_batch.schedule_delay = std::chrono::hours(1);
    o.log_batch = o.span_batch;
    o.resource = edgetrace::core::Resource(edgetrace::core::Attributes{{"service.name", "bench"}});
    o.on_error = [](std::string_view) {};
    auto created = OtlpLayer::create(std::move(o));
    if (!created.ok()) {
      std::fprintf(stderr, "sdk_instructions: %s\n", created.status().to_string().c_str());
      return 1;
    }
    tracing->add_layer(std::move(*created), Filter::parse("info").value());
  }
  set_global_subscriber(tracing);
  const int rc = run(fn, calls, *tracing);
  set_global_subscriber(nullptr);
  tracing->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  return rc;
}
