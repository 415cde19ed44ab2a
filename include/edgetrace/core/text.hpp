// Small ASCII text helpers shared by the header, environment and config parsers.
//
//   trim_ows("  a b\t")          == "a b"     (spaces and horizontal tabs, as HTTP's OWS)
//   to_lower_ascii("Content-Type") == "content-type"
//   iequals_ascii("GZIP", "gzip")  == true
//   bearer_token("Bearer abc")     == "abc"     (nullopt without the scheme or a token)
//   constant_time_equal(token, expected)       (time depends on the lengths only)
//   hex_digit_value('b')             == 11      (either case; -1 for a non-hex character)
//   parse_whole_number<std::size_t>("128") == 128  (nullopt: empty, a sign, other characters,
//                                                   out of range, or negative)
//
// Only ASCII letters change case; other bytes (UTF-8 included) are left as they are.
// Thread-safety: pure functions. Allocation: to_lower_ascii/to_upper_ascii return a string.
#pragma once

#include <charconv>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace edgetrace::core {

// The whole of `text` as a non-negative decimal number of type T: no spaces, no sign, no
// other characters, within T's range.
template <std::integral T>
std::optional<T> parse_whole_number(std::string_view text) noexcept {
  T n = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (text.empty() || ec != std::errc() || ptr != end)
    return std::nullopt;
  if constexpr (std::is_signed_v<T>) {
    if (n < 0)
      return std::nullopt;
  }
  return n;
}

constexpr bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back()))
    s.remove_suffix(1);
  return s;
}

// The value of one hexadecimal digit, either case; -1 when `c` is not one.
constexpr int hex_digit_value(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

constexpr char to_lower_ascii(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline std::string to_lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = to_lower_ascii(c);
  return out;
}

inline std::string to_upper_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
  return out;
}

constexpr bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower_ascii(a[i]) != to_lower_ascii(b[i]))
      return false;
  }
  return true;
}

// Equal strings in time that depends only on their lengths, not on where they differ: for
// comparing secrets (bearer tokens) without a timing side channel.
inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i)
    diff |=
        static_cast<unsigned>(static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]));
  return diff == 0;
}

// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive, RFC 6750),
// without surrounding whitespace; nullopt when the scheme or the token is missing.
constexpr std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept {
  constexpr std::string_view kScheme = "bearer ";
  const std::string_view value = trim_ows(authorization);
  if (value.size() <= kScheme.size() || !iequals_ascii(value.substr(0, kScheme.size()), kScheme))
    return std::nullopt;
  const std::string_view token = trim_ows(value.substr(kScheme.size()));
  if (token.empty())
    return std::nullopt;
  return token;
}

}  // namespace edgetrace::core
