// Caller's-thread cost of the SDK's instrumentation: disabled call sites, events and spans
// through the Tracing subscriber into a layer.
#define ET_TARGET "bench"
#include <benchmark/benchmark.h>

#include <memory>

#include "edgetrace/edgetrace.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "testing/fake_http_receiver.hpp"

namespace {

using edgetrace::field;
using namespace edgetrace::sdk;

// A layer that only touches what it is given (the SDK's own cost, no output).
class TouchLayer : public Layer {
 public:
  void on_event(const Event& e) override { benchmark::DoNotOptimize(e.fields.size()); }
  void on_close(const SpanRecord& s) override { benchmark::DoNotOptimize(s.end_unix_nano); }
};

std::shared_ptr<Tracing> install(std::unique_ptr<Layer> layer, const char* filter) {
  auto tracing = std::make_shared<Tracing>(Tracing::Options{.sampler = Sampler::always_on()});
  tracing->add_layer(std::move(layer), Filter::parse(filter).value());
  set_global_subscriber(tracing);
  return tracing;
}

void BM_DisabledCallsite(benchmark::State& state) {
  auto t = install(std::make_unique<TouchLayer>(), "warn");
  int i = 0;
  for (auto _ : state) {
    ET_DEBUG("disabled", field<"i">(i), field<"name">("x"));
    ++i;
  }
  set_global_subscriber(nullptr);
}
BENCHMARK(BM_DisabledCallsite);

void BM_EventTwoFieldsNullLayer(benchmark::State& state) {
  auto t = install(std::make_unique<TouchLayer>(), "info");
  int i = 0;
  for (auto _ : state) {
    ET_INFO("payment accepted", field<"order_id">(i), field<"amount">(12.5));
    ++i;
  }
  set_global_subscriber(nullptr);
}
BENCHMARK(BM_EventTwoFieldsNullLayer);

void BM_SpanStartEndNullLayer(benchmark::State& state) {
  auto t = install(std::make_unique<TouchLayer>(), "info");
  for (auto _ : state) {
    auto span = ET_SPAN("work");
    benchmark::DoNotOptimize(span.record());
  }
  set_global_subscriber(nullptr);
}
BENCHMARK(BM_SpanStartEndNullLayer);

void BM_SpanTenAttributesNullLayer(benchmark::State& state) {
  auto t = install(std::make_unique<TouchLayer>(), "info");
  int i = 0;
  for (auto _ : state) {
    auto span =
        ET_SPAN("work", field<"a0">(i), field<"a1">(1), field<"a2">(2.5), field<"a3">("GET"),
                field<"a4">(true), field<"a5">(5), field<"a6">("/users/{id}"), field<"a7">(7u),
                field<"a8">(8), field<"a9">("x"));
    benchmark::DoNotOptimize(span.record());
    ++i;
  }
  set_global_subscriber(nullptr);
}
BENCHMARK(BM_SpanTenAttributesNullLayer);

// The OTLP layer exporting over loopback HTTP to an in-process receiver that discards.
//
// Two regimes, both measured on the caller's thread:
//  - accepting: the queue has room (as when the exporter keeps up). Every 1024 iterations
//    the timer is paused while the queue is exported, so the loop never meets a full
//    queue and the exporter never competes with it for the CPU;
//  - saturated: the exporter runs while the loop produces far faster than any exporter can
//    send, so the queue is full and every push evicts the oldest item (the drop path).
constexpr int kDrainEvery = 1024;

struct OtlpSetup {
  edgetrace::testing::FakeOtlpHttpReceiver receiver;
  std::shared_ptr<Tracing> tracing;
  OtlpLayer* layer = nullptr;

  explicit OtlpSetup(bool saturated) {
    receiver.set_discard(true);
    OtlpLayerOptions o;
    o.traces.endpoint = receiver.url("/v1/traces");
    o.logs.endpoint = receiver.url("/v1/logs");
    if (saturated) {
      o.span_batch.max_queue_size = 1 << 16;
      o.span_batch.max_export_batch_size = 2048;
      o.span_batch.schedule_delay = std::chrono::milliseconds(200);
    } else {
      o.span_batch.max_queue_size = 4096;
      o.span_batch.max_export_batch_size = 4096;
      o.span_batch.schedule_delay = std::chrono::hours(1);
    }
    o.log_batch = o.span_batch;
    o.resource = edgetrace::core::Resource(edgetrace::core::Attributes{{"service.name", "bench"}});
    o.on_error = [](std::string_view) {};
    auto created = OtlpLayer::create(std::move(o));
    layer = created->get();
    tracing = std::make_shared<Tracing>(Tracing::Options{.sampler = Sampler::always_on()});
    tracing->add_layer(std::move(*created), Filter::parse("info").value());
    set_global_subscriber(tracing);
    // Touch every pooled buffer and queue slot once, then export them, so that the
    // measurement sees warm memory (as a long-running service does).
    for (int i = 0; i < 8 * kDrainEvery; ++i) {
      auto span =
          ET_SPAN("warm", field<"a0">(i), field<"a1">(1), field<"a2">(2.5), field<"a3">("GET"),
                  field<"a4">(true), field<"a5">(5), field<"a6">("/users/{id}"), field<"a7">(7u),
                  field<"a8">(8), field<"a9">("x"));
      ET_INFO("warm", field<"i">(i), field<"amount">(1.5));
      if (i % kDrainEvery == kDrainEvery - 1)
        tracing->force_flush(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    }
    tracing->force_flush(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  }
  ~OtlpSetup() {
    set_global_subscriber(nullptr);
    tracing->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  }
  // In accepting mode, exports what is queued with the timer paused.
  void drain(benchmark::State& state, bool saturated, int i) {
    if (saturated || i % kDrainEvery != kDrainEvery - 1)
      return;
    state.PauseTiming();
    tracing->force_flush(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    state.ResumeTiming();
  }
  void report(benchmark::State& state) {
    const OtlpLayerCounters c = layer->counters();
    state.counters["dropped"] = static_cast<double>(c.spans_dropped + c.logs_dropped);
  }
};

void BM_EventTwoFieldsOtlp(benchmark::State& state) {
  const bool saturated = state.range(0) != 0;
  OtlpSetup setup(saturated);
  int i = 0;
  for (auto _ : state) {
    ET_INFO("payment accepted", field<"order_id">(i), field<"amount">(12.5));
    setup.drain(state, saturated, i++);
  }
  setup.report(state);
}

void BM_SpanStartEndOtlp(benchmark::State& state) {
  const bool saturated = state.range(0) != 0;
  OtlpSetup setup(saturated);
  int i = 0;
  for (auto _ : state) {
    {
      auto span = ET_SPAN("work");
      benchmark::DoNotOptimize(span.record());
    }
    setup.drain(state, saturated, i++);
  }
  setup.report(state);
}

void BM_SpanTenAttributesOtlp(benchmark::State& state) {
  const bool saturated = state.range(0) != 0;
  OtlpSetup setup(saturated);
  int i = 0;
  for (auto _ : state) {
    {
      auto span =
          ET_SPAN("work", field<"a0">(i), field<"a1">(1), field<"a2">(2.5), field<"a3">("GET"),
                  field<"a4">(true), field<"a5">(5), field<"a6">("/users/{id}"), field<"a7">(7u),
                  field<"a8">(8), field<"a9">("x"));
      benchmark::DoNotOptimize(span.record());
    }
    setup.drain(state, saturated, i++);
  }
  setup.report(state);
}

// Arg 0: accepting; arg 1: saturated.
#define ET_OTLP_CASES(bm) BENCHMARK(bm)->ArgName("saturated")->Arg(0)->Arg(1)
ET_OTLP_CASES(BM_EventTwoFieldsOtlp);
ET_OTLP_CASES(BM_SpanStartEndOtlp);
ET_OTLP_CASES(BM_SpanTenAttributesOtlp);

}  // namespace

BENCHMARK_MAIN();
