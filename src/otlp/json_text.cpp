#include "internal/json_text.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

namespace edgetrace::otlp::internal {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// Length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 when the
// bytes there do not form one (overlong forms, surrogates and values above U+10FFFF are
// invalid, as RFC 3629 says).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  const std::size_t left = s.size() - i;
  const auto cont = [&](std::size_t k) { return (byte(k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) {
    return left >= 2 && cont(i + 1) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !cont(i + 1) || !cont(i + 2))
      return 0;
    const unsigned char c1 = byte(i + 1);
    if (c == 0xE0 && c1 < 0xA0)
      return 0;  // overlong
    if (c == 0xED && c1 >= 0xA0)
      return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !cont(i + 1) || !cont(i + 2) || !cont(i + 3))
      return 0;
    const unsigned char c1 = byte(i + 1);
    if (c == 0xF0 && c1 < 0x90)
      return 0;  // overlong
    if (c == 0xF4 && c1 >= 0x90)
      return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// 0: copy as is; 1: needs escaping or UTF-8 checking.
constexpr std::array<std::uint8_t, 256> make_special_table() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<std::size_t>(c)] = (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) ? 1 : 0;
  }
  return t;
}
constexpr std::array<std::uint8_t, 256> kSpecial = make_special_table();

std::uint64_t load_u64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Whether any byte of `v` needs attention in a JSON string (see kSpecial). Bytes >= 0x80
// set their own high bit; the others are found with the classic "has zero byte" and
// "has byte less than n" tricks on the low seven bits.
bool has_special_byte(std::uint64_t v) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const std::uint64_t less_than_space = (v - kOnes * 0x20) & ~v & kHigh;
  return ((v & kHigh) | less_than_space | has_zero(v ^ (kOnes * '"')) |
          has_zero(v ^ (kOnes * '\\'))) != 0;
}

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

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  std::size_t run_start = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    // Skip 8 plain ASCII bytes at a time: none below 0x20, none '"' or '\\', none >= 0x80.
    while (i + 8 <= text.size() && !has_special_byte(load_u64(text.data() + i)))
      i += 8;
    if (i >= text.size())
      break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (kSpecial[c] == 0) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence_length(text, i);
      if (n != 0) {
        i += n;
        continue;
      }
    }
    out.append(text.data() + run_start, i - run_start);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default:
        if (c < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', kHexDigits[c >> 4], kHexDigits[c & 0xF]};
          out.append(esc, sizeof esc);
        } else {
          out.append(kReplacement);
        }
    }
    ++i;
    run_start = i;
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out.push_back('"');
}

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
