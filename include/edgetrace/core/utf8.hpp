// UTF-8: validation, decoding one code point, encoding one, and replacing invalid bytes.
//
// The one set of UTF-8 rules every component uses (RFC 3629): no overlong forms, no UTF-16
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF. Whenever text must become valid,
// each byte that does not belong to a valid sequence becomes U+FFFD on its own (so
// "\xE0\x80" gives two replacement characters), which is what the OTLP/JSON writer, the
// line formats and the decoder's JSON have always written.
//
//   if (!core::is_valid_utf8(name)) {
//     std::string fixed;
//     core::append_valid_utf8(fixed, name);   // bad bytes -> U+FFFD
//   }
//   for (std::size_t i = 0; i < s.size();) {
//     const core::Utf8CodePoint cp = core::decode_utf8(s, i);   // U+FFFD, length 1 if bad
//     i += cp.length;
//   }
//
// Thread-safety: pure functions. Allocation: only the growth of `out`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace edgetrace::core {

// U+FFFD REPLACEMENT CHARACTER, encoded.
inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";

// Length (2..4) of the valid multi-byte sequence starting at text[offset], or 0 when the
// bytes there do not form one. text[offset] is expected to be >= 0x80 (an ASCII byte gives
// 0 too: it is not a multi-byte sequence).
std::size_t utf8_sequence_length(std::string_view text, std::size_t offset) noexcept;

// Offset of the first byte that is not part of a valid sequence, or npos.
std::size_t find_invalid_utf8(std::string_view text) noexcept;
inline bool is_valid_utf8(std::string_view text) noexcept {
  return find_invalid_utf8(text) == std::string_view::npos;
}

struct Utf8CodePoint {
  char32_t code_point = 0;
  std::size_t length = 0;  // bytes consumed: 1..4; 0 only at the end of the text
  bool valid = false;      // false: an invalid byte, decoded as U+FFFD with length 1
};
// Decodes the code point at text[offset] (offset < size). An invalid byte decodes as
// U+FFFD of length 1, so a loop that advances by `length` replaces each bad byte once.
Utf8CodePoint decode_utf8(std::string_view text, std::size_t offset) noexcept;

// Appends `code_point` encoded as UTF-8. Values above U+10FFFF and surrogates are written
// as U+FFFD.
void append_utf8(std::string& out, char32_t code_point);

// Appends `text`, with each byte that is not part of a valid sequence replaced by U+FFFD.
void append_valid_utf8(std::string& out, std::string_view text);

}  // namespace edgetrace::core
