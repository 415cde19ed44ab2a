// Core benchmarks: id generation, traceparent parse + format, resource merge.
// Targets (2-core machine): id generation <= 10 ns, traceparent parse + format <= 60 ns.
// Results: docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include "edgetrace/core/baggage.hpp"
#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/resource.hpp"
#include "edgetrace/core/trace_context.hpp"

namespace {

using namespace edgetrace::core;

void BM_SpanIdRandom(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(SpanId::random());
}
BENCHMARK(BM_SpanIdRandom);

void BM_TraceIdRandom(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(TraceId::random());
}
BENCHMARK(BM_TraceIdRandom);

void BM_TraceIdRandomThreaded(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(TraceId::random());
}
BENCHMARK(BM_TraceIdRandomThreaded)->Threads(2);

constexpr std::string_view kHeader = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

void BM_TraceparentParse(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(parse_traceparent(kHeader));
  }
}
BENCHMARK(BM_TraceparentParse);

void BM_TraceparentParseFormat(benchmark::State& state) {
  char out[kTraceParentSize];
  for (auto _ : state) {
    Result<TraceParent> tp = parse_traceparent(kHeader);
    format_traceparent(*tp, out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_TraceparentParseFormat);

void BM_TracestateParse(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(TraceState::parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"));
  }
}
BENCHMARK(BM_TracestateParse);

void BM_BaggageParse(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(Baggage::parse("userId=alice,serverNode=DF%2028,isProduction=false"));
  }
}
BENCHMARK(BM_BaggageParse);

void BM_ResourceBuild(benchmark::State& state) {
  ResourceEnvironment env;
  env.executable_name = "bench";
  env.resource_attributes =
      "service.version=1.2.3,deployment.environment=prod,host.name=node-17,cloud.region=eu-west-1";
  env.service_name = "checkout";
  Attributes code{{"service.instance.id", "627cc493-f310-47de-96bd-71410b7dec09"}};
  for (auto _ : state)
    benchmark::DoNotOptimize(build_resource(code, env));
}
BENCHMARK(BM_ResourceBuild);

void BM_ResourceMerge(benchmark::State& state) {
  Resource base = default_resource("bench");
  Resource update(Attributes{{"service.name", "checkout"}, {"service.version", "1.2.3"}});
  for (auto _ : state)
    benchmark::DoNotOptimize(base.merge(update));
}
BENCHMARK(BM_ResourceMerge);

}  // namespace

BENCHMARK_MAIN();
