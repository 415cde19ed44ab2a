// defmt format strings, parsed: the `{=u8:x}` placeholders of defmt's macros, with the
// argument types that say how each argument is laid out on the wire and the display hints
// that say how it is printed. Used by DefmtTable (which parses every string once, when the
// table is read) and by the defmt frame decoder; exposed for tests and tools.
//
//   auto f = edgetrace::decoder::defmt::parse_format("x={=u8:#04x} y={0=0..4:b}");
//   if (!f) { std::cerr << f.status().message() << "\n"; }
//   f->fragments;   // literal "x=", param {index 0, u8, hint #04x}, literal " y=", ...
//   f->wire;        // what a frame carries, in order: one entry per argument index
//
// The grammar and its corner cases follow defmt-parser (knurling-rs/defmt, parser/src) in
// its forwards-compatible mode: unknown display hints are kept as kUnknown and printed as
// if there were none.
//
// Thread-safety: plain values. Allocation: parse_format allocates the result.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/result.hpp"

namespace edgetrace::decoder::defmt {

// 128-bit integers (defmt's u128/i128 arguments and bitflags values).
__extension__ typedef unsigned __int128 uint128;
__extension__ typedef __int128 int128;

// Argument types (the part after `=`; `{}` alone is kFormat).
enum class Type : std::uint8_t {
  kFormat,          // `?` (or none): an interned format index, then its arguments
  kFormatSlice,     // `[?]`: u32 count, one format index, the elements
  kFormatArray,     // `[?;N]`: one format index, N elements
  kFormatSequence,  // `__internal_FormatSequence`: format indices until index 0
  kDebug,           // `__internal_Debug`: UTF-8 bytes until 0xff
  kDisplay,         // `__internal_Display`: UTF-8 bytes until 0xff
  kBitField,        // `a..b`: bits a..b of an integer
  kBool,
  kChar,
  kF32,
  kF64,
  kI8,
  kI16,
  kI32,
  kI64,
  kI128,
  kIsize,  // 4 bytes on the wire (wire format v4)
  kU8,
  kU16,
  kU32,
  kU64,
  kU128,
  kUsize,    // 4 bytes on the wire (wire format v4)
  kStr,      // u32 length + UTF-8 bytes
  kIStr,     // u16 interned string index
  kU8Slice,  // `[u8]`: u32 length + bytes
  kU8Array,  // `[u8;N]`: N bytes
};

// The spelling of a type in a format string ("u8", "[u8]", "?", "[?]", "0..4"...).
std::string type_name(Type type);

enum class TimePrecision : std::uint8_t { kMicros, kMillis, kSeconds };

enum class HintKind : std::uint8_t {
  kNone,      // no `:` at all
  kPlain,     // `:` with only a zero pad (`:08`)
  kHex,       // `:x` `:X` `:#x` `:#X` `:08x`...
  kOctal,     // `:o` `:#o`
  kBinary,    // `:b` `:#b`
  kAscii,     // `:a`
  kDebug,     // `:?`
  kSeconds,   // `:us` `:ms` (seconds with 6 or 3 decimals)
  kTime,      // `:tus` `:tms` `:ts` (hh:mm:ss)
  kIso8601,   // `:iso8601ms` `:iso8601s`
  kBitflags,  // `:__internal_bitflags_NAME@PACKAGE@DISAMBIGUATOR[@CRATE]`
  kCbor,      // `:cbor` (printed as plain bytes here; see docs/defmt.md)
  kUnknown,   // anything else
};

struct Hint {
  HintKind kind = HintKind::kNone;
  bool alternate = false;  // `#`
  bool uppercase = false;  // `X`
  TimePrecision precision = TimePrecision::kMicros;
  std::uint32_t zero_pad = 0;
  // kBitflags: "NAME@PACKAGE@DISAMBIGUATOR[@CRATE]" (the key of the bitflags' values).
  // kUnknown: the hint as written.
  std::string text;
  // The hint as written after the colon ("#04x", "?"); empty for kNone.
  std::string raw;

  friend bool operator==(const Hint&, const Hint&) = default;
};

struct Param {
  std::uint32_t index = 0;  // the argument it prints
  Type type = Type::kFormat;
  std::uint8_t bit_start = 0;  // kBitField: [bit_start, bit_end)
  std::uint8_t bit_end = 0;
  std::uint32_t array_len = 0;  // kU8Array, kFormatArray
  Hint hint;

  friend bool operator==(const Param&, const Param&) = default;
};

struct Fragment {
  bool is_param = false;
  std::string literal;  // braces unescaped
  Param param;

  friend bool operator==(const Fragment&, const Fragment&) = default;
};

struct Format {
  std::vector<Fragment> fragments;
  // The arguments as the frame carries them: one per argument index, in index order;
  // bitfields of one index merged into the smallest range covering them all.
  std::vector<Param> wire;
};

// Largest argument index and array length accepted (defmt itself has no limit; these keep
// a hostile table from making the decoder allocate without bound).
inline constexpr std::uint32_t kMaxArgumentIndex = 255;
inline constexpr std::uint32_t kMaxArrayLength = 1u << 16;

// Parses a defmt format string. Errors (invalid_argument) name the problem as defmt-parser
// does: unmatched braces, unknown types, conflicting types, unused argument indices.
core::Result<Format> parse_format(std::string_view format);

}  // namespace edgetrace::decoder::defmt
