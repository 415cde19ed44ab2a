// Text primitives of the line formats: escaping, numbers, thread identity, a scratch buffer.
//
// Thread-safety: pure functions, except ScratchLine (one per thread). Allocation: only by
// growing `out`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "edgetrace/core/attributes.hpp"
#include "edgetrace/core/json.hpp"
#include "edgetrace/sdk/value.hpp"

namespace edgetrace::sdk::internal {

// How strings are escaped in the text formats (JSON lines use core::append_json_string
// with kJsonEscape).
enum class Escape : std::uint8_t {
  kQuoted,  // the inside of a quoted text value, Rust Debug style: \" \\ \n \r \t \u{1b}
  kPlain,   // messages, names: only control characters (C0, DEL, C1) as \n \r \u{1b}; tab kept
};

// Appends `text` escaped for `mode`. Invalid UTF-8 becomes U+FFFD in every mode.
void append_escaped(std::string& out, std::string_view text, Escape mode);
// The JSON line format's string escaping: C0 controls as \u00XX, DEL and non-ASCII as they
// are (the line stays valid JSON and valid UTF-8).
inline constexpr core::JsonEscape kJsonEscape = core::JsonEscape::kControlsAsUnicode;

void append_int(std::string& out, std::int64_t value);
void append_uint(std::string& out, std::uint64_t value);
// Shortest form that reads back as the same double; "NaN", "inf", "-inf" for the others
// (quoted in JSON, so the line stays valid JSON).
void append_double_text(std::string& out, double value);
void append_double_json(std::string& out, double value);

// Field values: text formats quote strings ("a b") and render arrays as [1, 2]; JSON uses
// JSON types (bytes as a lowercase hex string).
void append_value_text(std::string& out, const Value& value);
void append_value_json(std::string& out, const Value& value);
void append_attribute_text(std::string& out, const core::AttributeValue& value);
void append_attribute_json(std::string& out, const core::AttributeValue& value);

// The calling thread's OS id (gettid), cached per thread.
std::uint64_t current_thread_id() noexcept;
// The calling thread's name (pthread_getname_np) in `buffer`; empty when unknown.
std::string_view current_thread_name(char (&buffer)[16]) noexcept;

// A per-thread reusable string for formatting a line before writing it. Falls back to a
// fresh string when the thread's buffer is in use (re-entrant logging) or already destroyed
// (logging from a thread_local destructor at thread exit).
class ScratchLine {
 public:
  ScratchLine() noexcept;
  ~ScratchLine();
  ScratchLine(const ScratchLine&) = delete;
  ScratchLine& operator=(const ScratchLine&) = delete;
  std::string& str() noexcept { return *line_; }

 private:
  std::string* line_;
  std::string fallback_;
  bool owns_thread_buffer_ = false;
};

}  // namespace edgetrace::sdk::internal
