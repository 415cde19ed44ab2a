// JSON string escaping: the one writer of JSON string literals in edgetrace.
//
// The output is always a valid JSON string (RFC 8259) holding valid UTF-8: each byte of
// `text` that is not part of a valid UTF-8 sequence becomes U+FFFD (see utf8.hpp), '"' and
// '\\' are escaped, and so is every control character below U+0020. '/' and valid non-ASCII
// characters are written as they are. The modes differ only in how control characters are
// spelled, which matters to readers of the bytes (terminals, diff-based tests), not to JSON
// parsers:
//
//   mode                       \b \f      other C0   DEL (0x7F)   used by
//   kShortForms                \b \f      \u00XX     as is        OTLP/JSON (otlp codec)
//   kControlsAsUnicode         \u0008..   \u00XX     as is        the SDK's JSON lines
//   kControlsAndDelAsUnicode   \u0008..   \u00XX     \u007f       the decoder's JSON lines
//
// \n \r \t \" \\ use their short forms in every mode.
//
//   std::string out = "{\"name\":";
//   core::append_json_string(out, name, core::JsonEscape::kShortForms);   // "name" quoted
//   out += '}';
//
// Thread-safety: pure functions. Allocation: only the growth of `out`. Plain ASCII is
// scanned eight bytes at a time, so long clean strings cost little more than a copy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace edgetrace::core {

enum class JsonEscape : std::uint8_t {
  kShortForms,               // \b \f \n \r \t short; other C0 as \u00XX; DEL as is
  kControlsAsUnicode,        // \n \r \t short; other C0 as \u00XX; DEL as is
  kControlsAndDelAsUnicode,  // \n \r \t short; other C0 and DEL as \u00XX
};

// Appends `text` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view text, JsonEscape mode);
// Appends the escaped contents only, without the quotes (for a string built in pieces).
void append_json_escaped(std::string& out, std::string_view text, JsonEscape mode);

}  // namespace edgetrace::core
