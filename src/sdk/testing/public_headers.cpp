// Compiled against edgetrace::sdk alone, whose include path has no generated protobuf
// headers: it fails to compile if the umbrella header or the OTLP layer's public header
// includes a generated .pb.h.
#include "edgetrace/edgetrace.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"

namespace edgetrace::sdk {
// Names the OTLP layer's public types so that the headers are really used.
std::size_t public_headers_check_size() {
  return sizeof(OtlpLayerOptions) + sizeof(OtlpLayerCounters) + sizeof(TracingConfig);
}
}  // namespace edgetrace::sdk
