// Fuzzes the protobuf decoder with arbitrary bytes read as each of the six Export
// messages. Beyond memory safety it checks two properties of whatever decodes:
//   - re-encoding gives bytes that decode to the same message (compared as OTLP/JSON);
//   - the OTLP/JSON encoding decodes again, unless an id has a length OTLP forbids
//     (protobuf accepts any bytes there; OTLP/JSON checks the size), and gives the same
//     JSON text back.
// A libFuzzer input is capped to small sizes, so default DecodeLimits apply, with a
// lower depth so that deep nesting is reached.
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
  return 0;
}
