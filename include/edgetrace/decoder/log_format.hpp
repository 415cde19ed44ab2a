// defmt-print's log format strings (`--log-format "{t} {L} {s}"`): parsed once, then used to
// render decoded Records into the line defmt-print prints for the same record.
//
//   auto format = edgetrace::decoder::LogFormat::parse("{t} [{L}] {s} ({f}:{l})");
//   if (!format) { std::cerr << format.status().message() << "\n"; return 2; }
//   decoder.feed(bytes, [&](const edgetrace::decoder::Record& r) {
//     std::cout << format->render(r) << "\n";   // "0.001000 [INFO ] x=42 (main.rs:8   )"
//   });
//   // defmt-print's built-in line (no --log-format): "{L} {s}", or "{t} {L} {s}" when the
//   // firmware defines `defmt::timestamp!`.
//   const LogFormat& line = LogFormat::defmt_default(table.timestamp() != nullptr);
//
// The grammar, the defaults and the padding follow defmt-decoder (knurling-rs/defmt,
// decoder/src/log/format/parser.rs and format/mod.rs); docs/defmt.md lists each rule and
// where it comes from. In short:
//   {s} message   {L} level (5 wide by default)   {t} timestamp   {l} line (4 wide)
//   {f} file name, {ff} its last two path components, ... {F} full path   {m} module path
//   {c} crate (the module path's first part)
//   parameters after `:`: a width with optional alignment (`<` `^` `>`, `0` first pads with
//   zeros: `{L:>5}`, `{l:03}`), a colour (`red`, ..., `severity`, `werror`), styles
//   (`bold`, `italic`, `underline`, `strike`, `dimmed`); groups `{[{L}]%bold:<8}` format
//   several segments together (parameters after `%`).
// Colours and styles are checked as defmt-print checks them but not printed: the output is
// what defmt-print prints when its standard output is not a terminal. Fields a record does
// not have print as defmt-print prints them: `<time>`, `<file>`, `<mod path>`, `<crate>`,
// line 0. A record without a level (defmt println!, edgetrace span and handshake records)
// prints its message alone, whatever the format, as defmt-print does for println!.
//
// Thread-safety: a LogFormat is immutable once parsed; share it freely. Allocation: parse()
// allocates the segments; render()/append() allocate only the output string (and a small
// scratch string for padded or grouped segments). No I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/result.hpp"
#include "edgetrace/decoder/record.hpp"

namespace edgetrace::decoder {

// One part of a log format.
struct LogSegment {
  enum class Field : std::uint8_t {
    kLiteral,     // text between specifiers
    kTimestamp,   // {t}
    kLevel,       // {L}
    kMessage,     // {s}
    kFileName,    // {f}, {ff}, ... (file_components)
    kFilePath,    // {F}
    kLine,        // {l}
    kModulePath,  // {m}
    kCrateName,   // {c}
    kGroup,       // {...%...}: `children` formatted together
  };
  enum class Align : std::uint8_t { kLeft, kCenter, kRight };
  enum class Color : std::uint8_t {
    kNone,
    kBlack,
    kRed,
    kGreen,
    kYellow,
    kBlue,
    kMagenta,
    kCyan,
    kWhite,
    kSeverity,   // the level's colour
    kWarnError,  // the level's colour for WARN and ERROR only
  };
  // Style bits.
  static constexpr std::uint8_t kBold = 1, kItalic = 2, kUnderline = 4, kStrike = 8, kDimmed = 16;

  Field field = Field::kLiteral;
  std::string literal;               // kLiteral
  std::uint8_t file_components = 0;  // kFileName: the number of `f`s (defmt keeps it in a u8)
  std::optional<std::size_t> width;  // nullopt: the field's default (L: 5, l: 4, others 0)
  Align align = Align::kLeft;        // `<` is also the default
  bool zero_fill = false;            // the width was written with a leading 0
  Color color = Color::kNone;        // parsed, not printed (see the banner)
  std::uint8_t styles = 0;           // parsed, not printed
  std::vector<LogSegment> children;  // kGroup

  friend bool operator==(const LogSegment&, const LogSegment&) = default;
};

class LogFormat {
 public:
  // Parses a defmt-print log format. Errors (invalid_argument) say what is wrong and where:
  // an unknown specifier or parameter, a repeated parameter or style, a group without a
  // specifier, a width over kMaxWidth, and a format without `{s}` (which defmt-print
  // requires). Like defmt-print, text after an unmatched `{` or a `%` outside a group is
  // ignored.
  static core::Result<LogFormat> parse(std::string_view text);

  // defmt-print's line when no --log-format is given (decoder/src/log/format/mod.rs,
  // DefaultStyle): "{L} {s}", or "{t} {L} {s}" when the firmware has a timestamp; with
  // `with_location` (defmt-print -v) a second line "└─ {m} @ {F}:{l}" follows.
  static const LogFormat& defmt_default(bool has_timestamp, bool with_location = false);

  // The line for `record`, without a newline.
  std::string render(const Record& record) const;
  void append(const Record& record, std::string& out) const;

  // The format as given to parse().
  const std::string& text() const noexcept { return text_; }
  const std::vector<LogSegment>& segments() const noexcept { return segments_; }
  // True when a {t} appears (defmt-print warns when this disagrees with the firmware).
  bool has_timestamp() const noexcept;

  // Widths above this are refused (defmt-print would try to pad to any usize).
  static constexpr std::size_t kMaxWidth = 4096;

 private:
  std::string text_;
  std::vector<LogSegment> segments_;
};

}  // namespace edgetrace::decoder
