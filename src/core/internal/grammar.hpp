// Character classes shared by the header and environment parsers of the core component.
#pragma once

#include "edgetrace/core/text.hpp"

namespace edgetrace::core::internal {

inline bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

// RFC 7230 tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" /
// "`" / "|" / "~" / DIGIT / ALPHA
inline bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
    return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// W3C baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
inline bool is_baggage_octet(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7e && u != 0x22 && u != 0x2c && u != 0x3b && u != 0x5c;
}

}  // namespace edgetrace::core::internal
