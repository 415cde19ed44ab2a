#include "edgetrace/core/json.hpp"

#include <array>
#include <cstring>

#include "edgetrace/core/utf8.hpp"

namespace edgetrace::core {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

// 1 for the bytes the copy loop must stop at in some mode: C0 controls, '"', '\\', DEL and
// every byte >= 0x80 (a UTF-8 sequence to check).
constexpr std::array<std::uint8_t, 256> make_special_table() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[static_cast<std::size_t>(c)] = (c < 0x20 || c == '"' || c == '\\' || c >= 0x7F) ? 1 : 0;
  return t;
}
constexpr std::array<std::uint8_t, 256> kSpecial = make_special_table();

// Whether any byte of the eight at `p` is special (see kSpecial). Bytes >= 0x80 set their
// own high bit; the others are found with the "has zero byte" and "has byte less than n"
// tricks on the low seven bits (DEL + 1 sets the high bit). False positives only send the
// byte to the exact check.
bool has_special_byte(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const auto has_zero = [](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  return (((v - kOnes * 0x20) | v | (v + kOnes)) & kHigh) != 0 ||
         has_zero(v ^ (kOnes * '"')) != 0 || has_zero(v ^ (kOnes * '\\')) != 0;
}

// The letter of RFC 8259's two-character escape of a byte ('n' for "\n"), 0 if it has none.
constexpr std::array<char, 256> make_short_forms() {
  std::array<char, 256> t{};
  t['"'] = '"';
  t['\\'] = '\\';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['\b'] = 'b';
  t['\f'] = 'f';
  return t;
}
constexpr std::array<char, 256> kShortForms = make_short_forms();

void append_unicode_escape(std::string& out, unsigned char c) {
  const char esc[] = {'\\', 'u', '0', '0', kHexDigits[c >> 4], kHexDigits[c & 0xF]};
  out.append(esc, sizeof esc);
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view text, JsonEscape mode) {
  std::size_t run = 0;  // start of the bytes not yet copied
  std::size_t i = 0;
  while (i < text.size()) {
    while (i + 8 <= text.size() && !has_special_byte(text.data() + i))
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
    } else if (c == 0x7F && mode != JsonEscape::kControlsAndDelAsUnicode) {
      ++i;
      continue;
    }
    out.append(text.data() + run, i - run);
    if (c >= 0x80) {
      out += kUtf8Replacement;
    } else if (const char letter = kShortForms[c];
               letter != 0 && (mode == JsonEscape::kShortForms || (c != '\b' && c != '\f'))) {
      const char esc[] = {'\\', letter};
      out.append(esc, sizeof esc);
    } else {
      append_unicode_escape(out, c);  // a C0 control or DEL
    }
    run = ++i;
  }
  out.append(text.data() + run, text.size() - run);
}

void append_json_string(std::string& out, std::string_view text, JsonEscape mode) {
  out.push_back('"');
  append_json_escaped(out, text, mode);
  out.push_back('"');
}

}  // namespace edgetrace::core
