// Renderings of a decoded Record: one text line (like defmt-print or a console logger) or
// one JSON object (for tools; the schema is in docs/decoder.md and does not change
// incompatibly).
//
//   decoder.feed(bytes, [&](const Record& r) {
//     std::cout << render_text(r, {.color = isatty(1)}) << "\n";
//     // or: std::cout << render_json(r) << "\n";
//   });
//
// Text lines:
//   @4101 [INFO] temp=21 hum=40                       (time: ticks)
//   1.234567 [WARN] battery low (main.c:42)            (time: seconds, with location)
//   span enter measure id=1 parent=0
//   span exit measure id=1 parent=0 root=1 duration=11 trace=4bf9...
//   frames dropped: 2
//   handshake v1 hz=1000 boot=3 device=0102 dropped=0 build-id=4B
// The shapes without a time prefix are what firmware/expected_stream.txt and the device
// library's tests compare against.
//
// Thread-safety: pure functions. Allocation: the returned or appended-to string.
#pragma once

#include <cstdint>
#include <string>

#include "edgetrace/core/json.hpp"
#include "edgetrace/decoder/record.hpp"

namespace edgetrace::decoder {

struct TextOptions {
  enum class Time : std::uint8_t {
    kAuto,       // wall clock if anchored, else seconds if the tick rate is known, else ticks
    kNone,       // no time (and no span durations)
    kTicks,      // "@<device ticks>"
    kSeconds,    // "<seconds>.<micros>" of device time
    kWallClock,  // "2026-11-21T14:03:07.123456Z" (records without wall time: ticks)
  };
  Time time = Time::kAuto;
  bool location = false;  // append " (file:line)" / " (module file:line)"
  bool color = false;     // ANSI colours for the level
};

// One line, without a newline.
std::string render_text(const Record& record, const TextOptions& options = {});
void append_text(const Record& record, const TextOptions& options, std::string& out);

// One JSON object, without a newline. Strings that are not valid UTF-8 have the bad bytes
// replaced by U+FFFD.
std::string render_json(const Record& record);
void append_json(const Record& record, std::string& out);

// How the decoder's JSON output (these lines, the CLI's OTLP/JSON, the symbol server's
// answers) escapes strings: control characters and DEL as \u00XX, so nothing a terminal
// acts on is written raw. Use with core::append_json_string.
inline constexpr core::JsonEscape kJsonEscape = core::JsonEscape::kControlsAndDelAsUnicode;

}  // namespace edgetrace::decoder
