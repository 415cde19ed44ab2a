// OTLP codec benchmarks on the OpenTelemetry performance-benchmark span: 10 attributes,
// each a 20-character string, in batches of 512 spans (the default export batch).
// Reports spans/s and bytes/s for protobuf and OTLP/JSON, encoding and decoding.
// Target (one core): >= 1,000,000 spans/s for protobuf encoding. Results: docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include <google/protobuf/arena.h>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/otlp/codec.hpp"

namespace {

using namespace edgetrace;
namespace common = opentelemetry::proto::common::v1;
namespace trace = opentelemetry::proto::trace::v1;

constexpr int kBatch = 512;
constexpr int kAttributes = 10;

// The span as an SDK holds it before export.
struct SpanData {
  core::TraceId trace_id;
  core::SpanId span_id;
  core::SpanId parent_id;
  std::string name;
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::vector<std::pair<std::string, std::string>> attributes;
};

std::vector<SpanData> make_spans() {
  std::vector<SpanData> spans(kBatch);
  const core::TraceId trace_id = core::TraceId::random();
  for (int i = 0; i < kBatch; ++i) {
    SpanData& s = spans[static_cast<std::size_t>(i)];
    s.trace_id = trace_id;
    s.span_id = core::SpanId::random();
    s.parent_id = core::SpanId::random();
    s.name = "benchmark.operation";
    s.start = 1700000000000000000ULL + static_cast<std::uint64_t>(i) * 1000;
    s.end = s.start + 500000;
    for (int a = 0; a < kAttributes; ++a) {
      std::string value = "value-" + std::to_string(i) + "-" + std::to_string(a);
      value.resize(20, 'x');
      s.attributes.emplace_back("attribute.key." + std::to_string(a), std::move(value));
    }
  }
  return spans;
}

void fill_request(const std::vector<SpanData>& spans, otlp::TraceRequest& request) {
  request.Clear();
  trace::ResourceSpans* rs = request.add_resource_spans();
  common::KeyValue* service = rs->mutable_resource()->add_attributes();
  service->set_key("service.name");
  service->mutable_value()->set_string_value("benchmark");
  trace::ScopeSpans* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("edgetrace.bench");
  for (const SpanData& s : spans) {
    trace::Span* span = ss->add_spans();
    span->set_trace_id(s.trace_id.bytes().data(), s.trace_id.kSize);
    span->set_span_id(s.span_id.bytes().data(), s.span_id.kSize);
    span->set_parent_span_id(s.parent_id.bytes().data(), s.parent_id.kSize);
    span->set_name(s.name);
    span->set_kind(trace::Span::SPAN_KIND_INTERNAL);
    span->set_start_time_unix_nano(s.start);
    span->set_end_time_unix_nano(s.end);
    for (const auto& [key, value] : s.attributes) {
      common::KeyValue* kv = span->add_attributes();
      kv->set_key(key);
      kv->mutable_value()->set_string_value(value);
    }
  }
}

otlp::TraceRequest make_request() {
  otlp::TraceRequest request;
  fill_request(make_spans(), request);
  return request;
}

void report(benchmark::State& state, std::size_t bytes_per_batch) {
  state.counters["spans/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * kBatch,
                                                 benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(bytes_per_batch));
  state.counters["bytes/span"] = static_cast<double>(bytes_per_batch) / kBatch;
}

// Serializing a prepared generated message.
void BM_EncodeProtobuf(benchmark::State& state) {
  const otlp::TraceRequest request = make_request();
  std::string out;
  for (auto _ : state) {
    out.clear();
    otlp::encode_protobuf(request, out);
    benchmark::DoNotOptimize(out.data());
  }
  report(state, out.size());
}
BENCHMARK(BM_EncodeProtobuf);

// The exporter's real path: copy SDK spans into the (reused) generated message, then
// serialize.
void BM_BuildAndEncodeProtobuf(benchmark::State& state) {
  const std::vector<SpanData> spans = make_spans();
  otlp::TraceRequest request;
  std::string out;
  for (auto _ : state) {
    fill_request(spans, request);
    out.clear();
    otlp::encode_protobuf(request, out);
    benchmark::DoNotOptimize(out.data());
  }
  report(state, out.size());
}
BENCHMARK(BM_BuildAndEncodeProtobuf);

// The same with the message on a protobuf Arena that is reset after each batch: the
// per-attribute objects come from one growing block instead of malloc.
void BM_BuildOnArenaAndEncodeProtobuf(benchmark::State& state) {
  const std::vector<SpanData> spans = make_spans();
  google::protobuf::ArenaOptions options;
  options.start_block_size = 256 * 1024;
  options.max_block_size = 1024 * 1024;
  google::protobuf::Arena arena(options);
  std::string out;
  for (auto _ : state) {
    auto* request = google::protobuf::Arena::CreateMessage<otlp::TraceRequest>(&arena);
    fill_request(spans, *request);
    out.clear();
    otlp::encode_protobuf(*request, out);
    benchmark::DoNotOptimize(out.data());
    arena.Reset();
  }
  report(state, out.size());
}
BENCHMARK(BM_BuildOnArenaAndEncodeProtobuf);

void BM_EncodeJson(benchmark::State& state) {
  const otlp::TraceRequest request = make_request();
  std::string out;
  for (auto _ : state) {
    out.clear();
    otlp::encode_json(request, out);
    benchmark::DoNotOptimize(out.data());
  }
  report(state, out.size());
}
BENCHMARK(BM_EncodeJson);

void BM_DecodeProtobuf(benchmark::State& state) {
  const std::string wire = otlp::encode_protobuf(make_request());
  otlp::TraceRequest request;
  for (auto _ : state) {
    core::Status s = otlp::decode_protobuf(wire, request);
    if (!s.ok())
      state.SkipWithError(s.to_string().c_str());
    benchmark::DoNotOptimize(request.resource_spans_size());
  }
  report(state, wire.size());
}
BENCHMARK(BM_DecodeProtobuf);

void BM_DecodeJson(benchmark::State& state) {
  const std::string json = otlp::encode_json(make_request());
  otlp::TraceRequest request;
  for (auto _ : state) {
    core::Status s = otlp::decode_json(json, request);
    if (!s.ok())
      state.SkipWithError(s.to_string().c_str());
    benchmark::DoNotOptimize(request.resource_spans_size());
  }
  report(state, json.size());
}
BENCHMARK(BM_DecodeJson);

}  // namespace

BENCHMARK_MAIN();
