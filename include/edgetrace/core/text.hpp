// Small ASCII text helpers shared by the header, environment and config parsers.
//
//   trim_ows("  a b\t")          == "a b"     (spaces and horizontal tabs, as HTTP's OWS)
//   to_lower_ascii("Content-Type") == "content-type"
//   iequals_ascii("GZIP", "gzip")  == true
//
// Only ASCII letters change case; other bytes (UTF-8 included) are left as they are.
// Thread-safety: pure functions. Allocation: to_lower_ascii/to_upper_ascii return a string.
#pragma once

#include <string>
#include <string_view>

namespace edgetrace::core {

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

}  // namespace edgetrace::core
