#include "edgetrace/core/utf8.hpp"

namespace edgetrace::core {

std::size_t utf8_sequence_length(std::string_view text, std::size_t offset) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(offset);
  const std::size_t left = text.size() - offset;
  const auto cont = [&](std::size_t k) { return (byte(offset + k) & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF)
    return left >= 2 && cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2))
      return 0;
    const unsigned char c1 = byte(offset + 1);
    if (c == 0xE0 && c1 < 0xA0)
      return 0;  // overlong
    if (c == 0xED && c1 >= 0xA0)
      return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3))
      return 0;
    const unsigned char c1 = byte(offset + 1);
    if (c == 0xF0 && c1 < 0x90)
      return 0;  // overlong
    if (c == 0xF4 && c1 >= 0x90)
      return 0;  // above U+10FFFF
    return 4;
  }
  return 0;  // ASCII, a continuation byte, 0xC0/0xC1 (always overlong) or 0xF5..0xFF
}

std::size_t find_invalid_utf8(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0)
      return i;
    i += n;
  }
  return std::string_view::npos;
}

Utf8CodePoint decode_utf8(std::string_view text, std::size_t offset) noexcept {
  if (offset >= text.size())
    return {};
  const auto c = static_cast<unsigned char>(text[offset]);
  if (c < 0x80)
    return {c, 1, true};
  const std::size_t n = utf8_sequence_length(text, offset);
  if (n == 0)
    return {U'\uFFFD', 1, false};
  char32_t cp = c & (n == 2 ? 0x1Fu : n == 3 ? 0x0Fu : 0x07u);
  for (std::size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(text[offset + k]) & 0x3Fu);
  return {cp, n, true};
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    out += kUtf8Replacement;
  } else if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void append_valid_utf8(std::string& out, std::string_view text) {
  std::size_t run = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(text, i);
    if (n != 0) {
      i += n;
      continue;
    }
    out.append(text.data() + run, i - run);
    out += kUtf8Replacement;
    run = ++i;
  }
  out.append(text.data() + run, text.size() - run);
}

}  // namespace edgetrace::core
