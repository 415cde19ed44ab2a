// Fuzzes the OTLP/JSON decoder with arbitrary bytes read as each of the six Export
// messages. Beyond memory safety it checks that whatever decodes
//   - encodes to OTLP/JSON that decodes again to the same JSON text, and
//   - survives the protobuf round trip unchanged.
// Limits are lowered so that the caps on depth, array length and string size are reached
// by small inputs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "edgetrace/otlp/codec.hpp"

using namespace edgetrace;

namespace {

void check(bool condition) {
  if (!condition)
    std::abort();
}

template <otlp::ExportMessage M>
void fuzz_one(std::string_view text, const otlp::DecodeLimits& limits) {
  core::Result<M> decoded = otlp::decode_json<M>(text, limits);
  if (!decoded.ok()) {
    check(decoded.status().message().rfind("json: ", 0) == 0);
    return;
  }
  const std::string json = otlp::encode_json(decoded.value());
  core::Result<M> again = otlp::decode_json<M>(json, limits);
  check(again.ok());
  check(otlp::encode_json(again.value()) == json);

  core::Result<M> from_wire =
      otlp::decode_protobuf<M>(otlp::encode_protobuf(decoded.value()), limits);
  check(from_wire.ok());
  check(otlp::encode_json(from_wire.value()) == json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  otlp::DecodeLimits limits;
  limits.max_depth = 24;
  limits.max_array_length = 64;
  limits.max_string_bytes = 256;
  fuzz_one<otlp::TraceRequest>(text, limits);
  fuzz_one<otlp::LogsRequest>(text, limits);
  fuzz_one<otlp::MetricsRequest>(text, limits);
  fuzz_one<otlp::TraceResponse>(text, limits);
  fuzz_one<otlp::LogsResponse>(text, limits);
  fuzz_one<otlp::MetricsResponse>(text, limits);
  return 0;
}
