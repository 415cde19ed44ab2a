#include "internal/json_text.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

namespace edgetrace::otlp::internal {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
int base64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

}  // namespace

void append_int(std::string& out, std::int64_t value) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

void append_quoted_int(std::string& out, std::int64_t value) {
  char buf[24];
  buf[0] = '"';
  auto r = std::to_chars(buf + 1, buf + sizeof buf - 1, value);
  *r.ptr = '"';
  out.append(buf, r.ptr + 1);
}

void append_quoted_uint(std::string& out, std::uint64_t value) {
  char buf[24];
  buf[0] = '"';
  auto r = std::to_chars(buf + 1, buf + sizeof buf - 1, value);
  *r.ptr = '"';
  out.append(buf, r.ptr + 1);
}

void append_double(std::string& out, double value) {
  if (std::isnan(value)) {
    out.append("\"NaN\"");
    return;
  }
  if (std::isinf(value)) {
    out.append(value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  if (value == 0 && std::signbit(value)) {
    // "-0" would read back as the integer 0 and lose the sign.
    out.append("-0.0");
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, value);
  // Shortest form may be a long run of digits (6.5e19 as "65000000000000000000"). Such a
  // value would read back as an integer too large for 64 bits, which JSON parsers
  // (simdjson included) reject; write it with an exponent instead.
  const std::size_t digits = static_cast<std::size_t>(r.ptr - buf) - (value < 0 ? 1 : 0);
  if (digits > 15 && std::memchr(buf, '.', static_cast<std::size_t>(r.ptr - buf)) == nullptr &&
      std::memchr(buf, 'e', static_cast<std::size_t>(r.ptr - buf)) == nullptr) {
    r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  }
  out.append(buf, r.ptr);
}

void append_quoted_hex(std::string& out, std::string_view bytes) {
  const std::size_t start = out.size();
  out.resize(start + 2 * bytes.size() + 2);
  char* p = out.data() + start;
  *p++ = '"';
  for (char b : bytes) {
    const auto c = static_cast<unsigned char>(b);
    *p++ = kHexDigits[c >> 4];
    *p++ = kHexDigits[c & 0xF];
  }
  *p = '"';
}

void append_quoted_base64(std::string& out, std::string_view bytes) {
  const std::size_t start = out.size();
  out.resize(start + 4 * ((bytes.size() + 2) / 3) + 2);
  char* p = out.data() + start;
  *p++ = '"';
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v =
        (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    *p++ = kBase64[(v >> 18) & 63];
    *p++ = kBase64[(v >> 12) & 63];
    *p++ = kBase64[(v >> 6) & 63];
    *p++ = kBase64[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (rest == 2)
      v |= std::uint32_t{in[i + 1]} << 8;
    *p++ = kBase64[(v >> 18) & 63];
    *p++ = kBase64[(v >> 12) & 63];
    *p++ = rest == 2 ? kBase64[(v >> 6) & 63] : '=';
    *p++ = '=';
  }
  *p = '"';
}

bool decode_base64(std::string_view text, std::string& out, std::size_t& bad_offset) {
  out.clear();
  std::size_t len = text.size();
  // Up to two '=' of padding, only at the end, and only completing a group of four.
  std::size_t padding = 0;
  while (len > 0 && text[len - 1] == '=' && padding < 2) {
    --len;
    ++padding;
  }
  if (padding > 0 && text.size() % 4 != 0) {
    bad_offset = len;
    return false;
  }
  if (len % 4 == 1) {
    bad_offset = len - 1;
    return false;
  }
  out.reserve(len / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < len; ++i) {
    const int v = base64_value(text[i]);
    if (v < 0) {
      bad_offset = i;
      return false;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Leftover bits of a final partial group are ignored, as most decoders do.
  return true;
}

bool parse_int64(std::string_view text, std::int64_t& value) {
  if (text.empty() || text.front() == '+')
    return false;
  auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

bool parse_uint64(std::string_view text, std::uint64_t& value) {
  if (text.empty() || text.front() == '+' || text.front() == '-')
    return false;
  auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

bool parse_double(std::string_view text, double& value) {
  if (text == "NaN") {
    value = std::nan("");
    return true;
  }
  if (text == "Infinity") {
    value = HUGE_VAL;
    return true;
  }
  if (text == "-Infinity") {
    value = -HUGE_VAL;
    return true;
  }
  // from_chars would also accept "inf", "nan" and hex forms; JSON numbers start with a
  // digit or '-' followed by a digit.
  const std::size_t first = !text.empty() && text.front() == '-' ? 1 : 0;
  if (text.size() <= first || text[first] < '0' || text[first] > '9')
    return false;
  auto r =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

}  // namespace edgetrace::otlp::internal
