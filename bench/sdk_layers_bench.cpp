// Console and file layers: formatting cost per line and the file layer on the caller's
// thread (docs/benchmarks.md, "SDK console and file layers").
#define ET_TARGET "shop::cart"
#include <benchmark/benchmark.h>
#include <filesystem>
#include <thread>
#include "edgetrace/edgetrace.hpp"
#include "edgetrace/sdk/line_format.hpp"

using namespace edgetrace::sdk;
using edgetrace::field;
namespace {

std::string bench_dir() {
  return (std::filesystem::temp_directory_path() / "edgetrace-layers-bench").string();
}

const Metadata kMeta{"event", "shop::cart", edgetrace::core::Level::kInfo, "src/cart.cpp",
                     42,      "add",        CallsiteKind::kEvent,          {}};
const Metadata kSpanMeta{"inner", "shop::cart", edgetrace::core::Level::kInfo, "src/cart.cpp",
                         10,      "h",          CallsiteKind::kSpan,           {}};
struct Spans {
  SpanRecord outer, inner;
  Spans() {
    outer.metadata = &kSpanMeta;
    inner.metadata = &kSpanMeta;
    inner.parent = &outer;
    outer.context.trace_id = edgetrace::core::TraceId::random();
    outer.context.span_id = edgetrace::core::SpanId::random();
    inner.context = outer.context;
    inner.context.span_id = edgetrace::core::SpanId::random();
    outer.attributes.set("user", Value::of_int(7));
    inner.attributes.set("path", Value::of(std::string_view("/cart/items")));
  }
};

void BM_Format(benchmark::State& state) {
  Spans spans;
  LineFormatter f({.format = static_cast<LineFormat>(state.range(0))}, false);
  const Field fields[] = {{"order_id", Value::of_int(123456)}, {"amount", Value::of(12.5)}};
  const Event e{kMeta, "payment accepted", fields, 1795269950123456789ULL, &spans.inner};
  std::string out;
  for (auto _ : state) {
    out.clear();
    f.format_event(e, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(std::to_string(out.size()) + " bytes");
}
BENCHMARK(BM_Format)->Arg(0)->Arg(1)->Arg(3);

void BM_FileLayerOnEvent(benchmark::State& state) {
  static std::unique_ptr<FileLayer> layer;
  static Spans spans;
  if (state.thread_index() == 0) {
    std::filesystem::create_directories(bench_dir());
    layer = FileLayer::create(
                {.directory = bench_dir(), .rotation = Rotation::kNever, .queue_capacity = 8192})
                .value();
  }
  const Field fields[] = {{"order_id", Value::of_int(123456)}, {"amount", Value::of(12.5)}};
  const Event e{kMeta, "payment accepted", fields, 1795269950123456789ULL, &spans.inner};
  for (auto _ : state)
    layer->on_event(e);
  if (state.thread_index() == 0) {
    (void)layer->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(30));
    const auto& c = layer->counters();
    state.counters["written"] = static_cast<double>(c.written.load());
    state.counters["dropped"] = static_cast<double>(c.dropped_queue_full.load());
    layer.reset();
    std::filesystem::remove_all(bench_dir());
  }
}
BENCHMARK(BM_FileLayerOnEvent)->Threads(1)->Threads(2)->UseRealTime();

// Blocking mode: throughput the writer sustains (every line is written).
void BM_FileLayerBlocking(benchmark::State& state) {
  std::filesystem::create_directories(bench_dir());
  auto layer =
      FileLayer::create({.directory = bench_dir(), .rotation = Rotation::kNever, .lossy = false})
          .value();
  Spans spans;
  const Field fields[] = {{"order_id", Value::of_int(123456)}, {"amount", Value::of(12.5)}};
  const Event e{kMeta, "payment accepted", fields, 1795269950123456789ULL, &spans.inner};
  for (auto _ : state)
    layer->on_event(e);
  (void)layer->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(60));
  state.counters["written"] = static_cast<double>(layer->counters().written.load());
  layer.reset();
  std::filesystem::remove_all(bench_dir());
}
BENCHMARK(BM_FileLayerBlocking)->UseRealTime();

void BM_ConsoleDevNull(benchmark::State& state) {
  FILE* f = std::fopen("/dev/null", "w");
  ConsoleLayer layer({.ansi = Ansi::kNever, .stream = f});
  Spans spans;
  const Field fields[] = {{"order_id", Value::of_int(123456)}, {"amount", Value::of(12.5)}};
  const Event e{kMeta, "payment accepted", fields, 1795269950123456789ULL, &spans.inner};
  for (auto _ : state)
    layer.on_event(e);
  std::fclose(f);
}
BENCHMARK(BM_ConsoleDevNull);

void BM_EtInfoIntoFileLayer(benchmark::State& state) {
  std::filesystem::create_directories(bench_dir());
  auto tracing = std::make_shared<Tracing>(Tracing::Options{});
  auto file = FileLayer::create({.directory = bench_dir(), .rotation = Rotation::kNever}).value();
  FileLayer* raw = file.get();
  tracing->add_layer(std::move(file), Filter::parse("info").value());
  set_global_subscriber(tracing);
  int i = 0;
  for (auto _ : state) {
    ET_INFO("payment accepted", field<"order_id">(++i), field<"amount">(12.5));
  }
  (void)raw->force_flush(std::chrono::steady_clock::now() + std::chrono::seconds(30));
  state.counters["dropped"] = static_cast<double>(raw->counters().dropped_queue_full.load());
  set_global_subscriber(nullptr);
  (void)tracing->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(30));
  std::filesystem::remove_all(bench_dir());
}
BENCHMARK(BM_EtInfoIntoFileLayer);
}  // namespace
BENCHMARK_MAIN();
