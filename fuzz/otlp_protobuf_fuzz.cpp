// Fuzzes the protobuf decoder with arbitrary bytes read as each of the six Export
// messages. Beyond memory safety it checks two properties of whatever decodes:
//   - re-encoding gives bytes that decode to the same message (compared as OTLP/JSON);
//   - the OTLP/JSON encoding decodes again, unless an id has a length OTLP forbids
//     (protobuf accepts any bytes there; OTLP/JSON checks the size), and gives the same
//     JSON text back.
// And of otlp::scan_protobuf (the receivers' pass-through check): whenever it vouches for
// the bytes as a TraceRequest or LogsRequest, the decoder accepts them and finds the same
// number of spans or log records.
// A libFuzzer input is capped to small sizes, so default DecodeLimits apply, with a
// lower depth so that deep nesting is reached.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "edgetrace/otlp/codec.hpp"

using namespace edgetrace;

namespace {

void check(bool condition) {
  if (!condition)
    std::abort();
}

template <otlp::ExportMessage M>
void fuzz_one(std::string_view bytes, const otlp::DecodeLimits& limits) {
  core::Result<M> decoded = otlp::decode_protobuf<M>(bytes, limits);
  if (!decoded.ok()) {
    check(!decoded.status().message().empty());
    return;
  }
  M& message = decoded.value();
  const std::string json = otlp::encode_json(message);

  core::Result<M> again = otlp::decode_protobuf<M>(otlp::encode_protobuf(message), limits);
  check(again.ok());
  check(otlp::encode_json(again.value()) == json);

  core::Result<M> from_json = otlp::decode_json<M>(json, limits);
  if (!from_json.ok()) {
    check(from_json.status().message().find("hex characters") != std::string::npos);
    return;
  }
  check(otlp::encode_json(from_json.value()) == json);
}

std::size_t items_of(const otlp::TraceRequest& r) {
  std::size_t n = 0;
  for (const auto& rs : r.resource_spans())
    for (const auto& ss : rs.scope_spans())
      n += static_cast<std::size_t>(ss.spans_size());
  return n;
}
std::size_t items_of(const otlp::LogsRequest& r) {
  std::size_t n = 0;
  for (const auto& rl : r.resource_logs())
    for (const auto& sl : rl.scope_logs())
      n += static_cast<std::size_t>(sl.log_records_size());
  return n;
}

template <typename M>
void fuzz_scan(std::string_view bytes, const otlp::DecodeLimits& limits) {
  const std::optional<otlp::WireSummary> summary =
      otlp::scan_protobuf(bytes, std::is_same_v<M, otlp::LogsRequest>, limits);
  if (!summary)
    return;
  core::Result<M> decoded = otlp::decode_protobuf<M>(bytes, limits);
  check(decoded.ok());
  check(summary->items == items_of(decoded.value()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  otlp::DecodeLimits limits;
  limits.max_depth = 32;
  fuzz_one<otlp::TraceRequest>(bytes, limits);
  fuzz_one<otlp::LogsRequest>(bytes, limits);
  fuzz_one<otlp::MetricsRequest>(bytes, limits);
  fuzz_one<otlp::TraceResponse>(bytes, limits);
  fuzz_one<otlp::LogsResponse>(bytes, limits);
  fuzz_one<otlp::MetricsResponse>(bytes, limits);
  fuzz_scan<otlp::TraceRequest>(bytes, limits);
  fuzz_scan<otlp::LogsRequest>(bytes, limits);
  return 0;
}
