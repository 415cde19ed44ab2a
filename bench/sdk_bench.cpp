// Caller's-thread cost of the SDK's instrumentation: disabled call sites, events and spans
// through the Tracing subscriber into a layer.
#define ET_TARGET "bench"
#include <benchmark/benchmark.h>

#include <memory>

#include "edgetrace/edgetrace.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "internal/otlp_convert.hpp"
#include "internal/otlp_encode.hpp"
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

// The span export thread's work per span: records -> one ExportTraceServiceRequest, either
// encoded straight to protobuf (what the OTLP layer does without processors) or through
// message objects and SerializeToString (with processors, or before). Batches of 512 ended
// spans, arg 0: attributes per span (0 or 10), arg 1: 1 = direct encoder, 0 = messages.
class KeepLayer : public Layer {
 public:
  void on_close(const SpanRecord& s) override { kept.emplace_back(const_cast<SpanRecord*>(&s)); }
  std::vector<SpanRef> kept;
};

void BM_ExportEncode(benchmark::State& state) {
  const bool ten = state.range(0) != 0;
  const bool direct = state.range(1) != 0;
  auto keep = std::make_unique<KeepLayer>();
  KeepLayer* k = keep.get();
  auto t = install(std::move(keep), "info");
  for (int i = 0; i < 512; ++i) {
    if (ten) {
      auto span =
          ET_SPAN("work", field<"a0">(i), field<"a1">(1), field<"a2">(2.5), field<"a3">("GET"),
                  field<"a4">(true), field<"a5">(5), field<"a6">("/users/{id}"), field<"a7">(7u),
                  field<"a8">(8), field<"a9">("x"));
    } else {
      auto span = ET_SPAN("work");
    }
  }
  set_global_subscriber(nullptr);
  edgetrace::otlp::ExportTraceServiceRequest skeleton;
  auto* rs = skeleton.add_resource_spans();
  auto* a = rs->mutable_resource()->add_attributes();
  a->set_key("service.name");
  a->mutable_value()->set_string_value("bench");
  rs->add_scope_spans()->mutable_scope()->set_name("edgetrace");
  edgetrace::sdk::internal::SpanRequestEncoder encoder(skeleton);
  edgetrace::otlp::ExportTraceServiceRequest request = skeleton;
  std::string body;
  std::size_t bytes = 0;
  for (auto _ : state) {
    if (direct) {
      encoder.clear();
      for (const SpanRef& r : k->kept)
        encoder.add(*r);
      bytes = encoder.finish().size();
    } else {
      auto* spans = request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans();
      spans->Clear();
      for (const SpanRef& r : k->kept)
        edgetrace::sdk::internal::to_otlp_span(*r, *spans->Add());
      body.clear();
      request.SerializeToString(&body);
      bytes = body.size();
    }
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 512);
  state.counters["bytes_per_span"] = static_cast<double>(bytes) / 512.0;
}
BENCHMARK(BM_ExportEncode)
    ->ArgNames({"attrs10", "direct"})
    ->Args({0, 1})
    ->Args({0, 0})
    ->Args({1, 1})
    ->Args({1, 0});

// The log export thread's work per record: 512 log records of two targets (events with 2
// fields) -> one ExportLogsServiceRequest, encoded straight to protobuf (what the OTLP layer
// does without processors) or through message objects and SerializeToString (with
// processors). Arg: 1 = direct encoder, 0 = messages.
void BM_LogExportEncode(benchmark::State& state) {
  const bool direct = state.range(0) != 0;
  static const edgetrace::sdk::Metadata cart{
      "event cart.cpp:1", "shop::cart", edgetrace::core::Level::kInfo, "cart.cpp", 1, "", {}, {}};
  static const edgetrace::sdk::Metadata pay{
      "event pay.cpp:1", "shop::pay", edgetrace::core::Level::kWarn, "pay.cpp", 1, "", {}, {}};
  std::vector<edgetrace::sdk::internal::OtlpLogItem> items(512);
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& item = items[i];
    item.metadata = i % 4 == 0 ? &pay : &cart;
    item.time_unix_nano = 1'700'000'000'000'000'000ull + i;
    item.message.assign("request handled");
    item.fields.set("status", edgetrace::sdk::Value::of_int(200));
    item.fields.set("route", edgetrace::sdk::Value::of("/users/{id}"));
  }
  edgetrace::otlp::ExportLogsServiceRequest skeleton;
  auto* a = skeleton.add_resource_logs()->mutable_resource()->add_attributes();
  a->set_key("service.name");
  a->mutable_value()->set_string_value("bench");
  edgetrace::sdk::internal::LogRecordOptions options;
  edgetrace::sdk::internal::LogRequestEncoder encoder(skeleton, "edgetrace", "1.0", options);
  edgetrace::sdk::internal::LogRequestBuilder builder(skeleton, "edgetrace", "1.0", options);
  std::string body;
  std::size_t bytes = 0;
  for (auto _ : state) {
    if (direct) {
      encoder.clear();
      for (const auto& item : items)
        encoder.add(item);
      bytes = encoder.finish().size();
    } else {
      builder.clear();
      for (const auto& item : items)
        builder.add(item);
      body.clear();
      builder.request().SerializeToString(&body);
      bytes = body.size();
    }
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 512);
  state.counters["bytes_per_record"] = static_cast<double>(bytes) / 512.0;
}
BENCHMARK(BM_LogExportEncode)->ArgName("direct")->Arg(1)->Arg(0);

// Arg 0: accepting; arg 1: saturated.
#define ET_OTLP_CASES(bm) BENCHMARK(bm)->ArgName("saturated")->Arg(0)->Arg(1)
ET_OTLP_CASES(BM_EventTwoFieldsOtlp);
ET_OTLP_CASES(BM_SpanStartEndOtlp);
ET_OTLP_CASES(BM_SpanTenAttributesOtlp);

}  // namespace

BENCHMARK_MAIN();
