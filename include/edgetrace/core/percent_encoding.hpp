// Percent-encoding (RFC 3986 §2.1) as used by W3C Baggage values and
// OTEL_RESOURCE_ATTRIBUTES.
//
//   Result<std::string> v = percent_decode("hello%20world");   // "hello world"
//   std::string e = percent_encode_baggage_value("a,b");       // "a%2Cb"
//
// Thread-safety: pure functions. Allocation: the returned string.
#pragma once

#include <string>
#include <string_view>

#include "edgetrace/core/result.hpp"

namespace edgetrace::core {

// Decodes %XX sequences (either hex case). A '%' not followed by two hex digits is an
// error naming its offset. Other characters are copied as they are.
Result<std::string> percent_decode(std::string_view text);

// Encodes every byte that is not a W3C baggage-octet (and '%' itself) as %XX (uppercase).
std::string percent_encode_baggage_value(std::string_view text);

}  // namespace edgetrace::core
