// Arbitrary bytes through HttpServer's request-reading steps: the Beast parser with the
// server's header and body limits, the mapping of errors to statuses, and the bounded gzip
// inflater (src/net/internal/request_reading.hpp). Checks that every outcome is one of the
// statuses the server documents and that no limit is exceeded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "internal/request_reading.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using edgetrace::net::internal::ReadLimits;
  ReadLimits limits;
  limits.max_header_bytes = 2048;
  limits.max_body_bytes = 4096;
  limits.max_decompressed_bytes = 16384;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto parsed = edgetrace::net::internal::parse_request_bytes(bytes, limits);
  switch (parsed.status) {
    case 0:
    case 400:
    case 413:
    case 415:
    case 431:
      break;
    default:
      std::abort();
  }
  if (parsed.complete && parsed.status == 0 &&
      parsed.request.body.size() > limits.max_decompressed_bytes &&
      parsed.request.body.size() > limits.max_body_bytes)
    std::abort();
  // The inflater alone, on the raw bytes.
  auto inflated = edgetrace::net::internal::gunzip(bytes, limits.max_decompressed_bytes);
  if (inflated && inflated->size() > limits.max_decompressed_bytes)
    std::abort();
  return 0;
}
