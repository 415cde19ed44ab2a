// JSON text primitives for the OTLP/JSON codec: numbers, hex and base64. Strings are
// written by core::append_json_string with core::JsonEscape::kShortForms.
//
// Every append_* function appends to `out` and never fails; the parse_* and decode_*
// functions return false on malformed input and leave `out` unspecified.
// Thread-safety: pure functions. Allocation: only growth of `out`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <google/protobuf/message.h>

namespace edgetrace::otlp::internal {

// Appends a quoted decimal integer ("123", "-5"): how OTLP/JSON writes 64-bit integers.
void append_quoted_int(std::string& out, std::int64_t value);
void append_quoted_uint(std::string& out, std::uint64_t value);
// Appends a bare decimal number: how 32-bit integers and enums are written.
void append_int(std::string& out, std::int64_t value);
// Appends the shortest decimal that reads back as the same double; NaN and the
// infinities as the strings "NaN", "Infinity", "-Infinity" (proto3 JSON).
void append_double(std::string& out, double value);

// Appends a quoted lowercase hex string of `bytes`.
void append_quoted_hex(std::string& out, std::string_view bytes);
// Appends a quoted standard base64 string (RFC 4648, with padding).
void append_quoted_base64(std::string& out, std::string_view bytes);

// Decodes base64, standard or URL-safe alphabet, padding optional. On failure returns
// false and sets `bad_offset` to the offending character.
bool decode_base64(std::string_view text, std::string& out, std::size_t& bad_offset);

// Parses a whole decimal integer string ("-12"); no spaces, signs only where allowed.
bool parse_int64(std::string_view text, std::int64_t& value);
bool parse_uint64(std::string_view text, std::uint64_t& value);
// Parses a JSON-number-like string or "NaN" / "Infinity" / "-Infinity".
bool parse_double(std::string_view text, double& value);

// encode_json_message without the generated-accessor shortcut for attributes: every field
// through reflection. Same output; kept so that tests can prove it.
void encode_json_by_reflection(const google::protobuf::Message& message, std::string& out);

}  // namespace edgetrace::otlp::internal
