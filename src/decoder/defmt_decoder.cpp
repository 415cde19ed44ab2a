// The defmt frame decoder and its text rendering (see defmt.hpp). Decoding follows
// knurling-rs/defmt decoder/src/decoder.rs (wire format v4); rendering follows
// decoder/src/frame.rs and the `{L:4} {s}` log format of defmt-print.

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>

#include "edgetrace/core/utf8.hpp"
#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/log_format.hpp"

namespace edgetrace::decoder {

using defmt::HintKind;
using defmt::int128;
using defmt::TimePrecision;
using defmt::Type;
using defmt::uint128;

namespace {

// Limits that keep a hostile frame from making the decoder allocate or recurse without
// bound (defmt itself has none).
constexpr std::size_t kMaxValuesPerFrame = std::size_t{1} << 16;
constexpr int kMaxDepth = 32;

enum class VKind : std::uint8_t {
  kUint,
  kInt,
  kF32,
  kF64,
  kBool,
  kChar,
  kStr,           // off/len in the frame
  kPreformatted,  // off/len in the frame (Debug2Format / Display2Format)
  kIStr,          // ptr: const std::string*
  kBytes,         // off/len in the frame
  kFormat,        // ptr: const DefmtEntry::Variant*; off/len: its arguments
  kFormatSlice,   // off/len: the elements (each a kFormat)
  kFormatSequence,
};

struct Value {
  uint128 bits = 0;
  const void* ptr = nullptr;
  std::uint32_t off = 0;
  std::uint32_t len = 0;
  VKind kind = VKind::kUint;
};

bool valid_utf8(const std::uint8_t* p, std::size_t n) {
  return core::is_valid_utf8(std::string_view(reinterpret_cast<const char*>(p), n));
}

// ---------------------------------------------------------------------------------------
// Decoding

enum class Fail : std::uint8_t { kNone, kEof, kMalformed };

class FrameReader {
 public:
  // `why` receives the reason a frame is malformed (a reused buffer: no string is built
  // per frame unless one is).
  FrameReader(const DefmtTable& table, std::span<const std::uint8_t> frame,
              std::vector<Value>& values, std::string& why)
      : table_(table),
        base_(frame.data()),
        pos_(frame.data()),
        end_(frame.data() + frame.size()),
        values_(values),
        why_(why) {}

  Fail fail() const { return fail_; }
  std::size_t consumed() const { return static_cast<std::size_t>(pos_ - base_); }

  bool read_uint(std::size_t n, uint128& out) {
    if (static_cast<std::size_t>(end_ - pos_) < n) {
      fail_ = Fail::kEof;
      return false;
    }
    uint128 v = 0;
    for (std::size_t k = n; k > 0; --k) {
      v = (v << 8) | pos_[k - 1];
    }
    pos_ += n;
    out = v;
    return true;
  }

  bool read_u16(std::uint16_t& out) {
    uint128 v = 0;
    if (!read_uint(2, v)) {
      return false;
    }
    out = static_cast<std::uint16_t>(v);
    return true;
  }

  // Decodes the arguments of `format`; they land in values_[first, first + wire.size()).
  bool decode_args(const defmt::Format& format, std::uint32_t& first, int depth) {
    if (depth > kMaxDepth) {
      return malformed("formats nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    const std::size_t n = format.wire.size();
    if (!reserve(n, first)) {
      return false;
    }
    for (std::size_t i = 0; i < n; ++i) {
      Value v;
      if (!decode_param(format.wire[i], v, depth)) {
        return false;
      }
      values_[first + i] = v;
    }
    return true;
  }

 private:
  bool malformed(std::string why) {
    fail_ = Fail::kMalformed;
    why_ = std::move(why);
    return false;
  }

  bool reserve(std::size_t n, std::uint32_t& first) {
    if (values_.size() + n > kMaxValuesPerFrame) {
      return malformed("more than " + std::to_string(kMaxValuesPerFrame) + " values in one frame");
    }
    first = static_cast<std::uint32_t>(values_.size());
    values_.resize(values_.size() + n);
    return true;
  }

  bool take(std::size_t n, Value& v) {
    if (static_cast<std::size_t>(end_ - pos_) < n) {
      fail_ = Fail::kEof;
      return false;
    }
    v.off = static_cast<std::uint32_t>(pos_ - base_);
    v.len = static_cast<std::uint32_t>(n);
    pos_ += n;
    return true;
  }

  // A nested format: u16 index of a string without a level.
  bool read_entry(const DefmtEntry*& entry) {
    std::uint16_t index = 0;
    if (!read_u16(index)) {
      return false;
    }
    entry = table_.find(index);
    if (entry == nullptr) {
      return malformed("unknown nested format index " + std::to_string(index));
    }
    if (defmt_level(entry->tag)) {
      return malformed("nested format index " + std::to_string(index) + " is a log string");
    }
    return true;
  }

  // The string (or, for an enum, the variant the discriminant selects) to decode.
  bool select_variant(const DefmtEntry& entry, const DefmtEntry::Variant*& out) {
    if (entry.variants.empty()) {
      out = &entry.whole;
    } else {
      uint128 d = 0;
      if (!read_uint(entry.discriminant_size, d)) {
        return false;
      }
      if (d >= entry.variants.size()) {
        return malformed("enum discriminant " + std::to_string(static_cast<std::uint64_t>(d)) +
                         " of `" + entry.string + "` is out of range");
      }
      out = &entry.variants[static_cast<std::size_t>(d)];
    }
    if (!out->error.empty()) {
      return malformed("format `" + out->text + "` does not parse: " + out->error);
    }
    return true;
  }

  bool decode_nested(const DefmtEntry::Variant& variant, Value& v, int depth) {
    std::uint32_t first = 0;
    if (!decode_args(variant.format, first, depth + 1)) {
      return false;
    }
    v.kind = VKind::kFormat;
    v.ptr = &variant;
    v.off = first;
    v.len = static_cast<std::uint32_t>(variant.format.wire.size());
    return true;
  }

  bool decode_slice(std::uint64_t count, Value& v, int depth) {
    const DefmtEntry* entry = nullptr;
    if (!read_entry(entry)) {
      return false;
    }
    if (count > kMaxValuesPerFrame) {
      return malformed("a [?] of " + std::to_string(count) + " elements");
    }
    std::uint32_t first = 0;
    if (!reserve(static_cast<std::size_t>(count), first)) {
      return false;
    }
    for (std::uint64_t i = 0; i < count; ++i) {
      const DefmtEntry::Variant* variant = nullptr;
      Value element;
      if (!select_variant(*entry, variant) || !decode_nested(*variant, element, depth)) {
        return false;
      }
      values_[first + i] = element;
    }
    v.kind = VKind::kFormatSlice;
    v.off = first;
    v.len = static_cast<std::uint32_t>(count);
    return true;
  }

  bool decode_sequence(Value& v, int depth) {
    std::vector<Value> elements;
    for (;;) {
      std::uint16_t index = 0;
      if (!read_u16(index)) {
        return false;
      }
      if (index == 0) {
        break;
      }
      const DefmtEntry* entry = table_.find(index);
      if (entry == nullptr) {
        return malformed("unknown format index " + std::to_string(index) + " in a sequence");
      }
      if (defmt_level(entry->tag)) {
        return malformed("format index " + std::to_string(index) +
                         " in a sequence is a log string");
      }
      // A write!'s string is text, '|' included: only derived formats are enums here.
      const DefmtEntry::Variant* variant = nullptr;
      if (entry->tag == DefmtTag::kWrite) {
        variant = &entry->whole;
        if (!variant->error.empty())
          return malformed("format `" + variant->text + "` does not parse: " + variant->error);
      } else if (!select_variant(*entry, variant)) {
        return false;
      }
      Value element;
      if (!decode_nested(*variant, element, depth)) {
        return false;
      }
      elements.push_back(element);
      if (elements.size() > kMaxValuesPerFrame) {
        return malformed("a format sequence of more than " + std::to_string(kMaxValuesPerFrame) +
                         " elements");
      }
    }
    std::uint32_t first = 0;
    if (!reserve(elements.size(), first)) {
      return false;
    }
    std::copy(elements.begin(), elements.end(), values_.begin() + first);
    v.kind = VKind::kFormatSequence;
    v.off = first;
    v.len = static_cast<std::uint32_t>(elements.size());
    return true;
  }

  bool decode_signed(std::size_t n, Value& v) {
    uint128 u = 0;
    if (!read_uint(n, u)) {
      return false;
    }
    const unsigned shift = static_cast<unsigned>(128 - 8 * n);
    v.kind = VKind::kInt;
    v.bits = shift == 0 ? u : static_cast<uint128>(static_cast<int128>(u << shift) >> shift);
    return true;
  }

  bool decode_unsigned(std::size_t n, Value& v) {
    v.kind = VKind::kUint;
    return read_uint(n, v.bits);
  }

  bool decode_param(const defmt::Param& p, Value& v, int depth) {
    switch (p.type) {
      case Type::kI8:
        return decode_signed(1, v);
      case Type::kI16:
        return decode_signed(2, v);
      case Type::kI32:
      case Type::kIsize:
        return decode_signed(4, v);
      case Type::kI64:
        return decode_signed(8, v);
      case Type::kI128:
        return decode_signed(16, v);
      case Type::kU8:
        return decode_unsigned(1, v);
      case Type::kU16:
        return decode_unsigned(2, v);
      case Type::kU32:
      case Type::kUsize:
        return decode_unsigned(4, v);
      case Type::kU64:
        return decode_unsigned(8, v);
      case Type::kU128:
        return decode_unsigned(16, v);
      case Type::kF32:
        v.kind = VKind::kF32;
        return read_uint(4, v.bits);
      case Type::kF64:
        v.kind = VKind::kF64;
        return read_uint(8, v.bits);
      case Type::kBool:
        v.kind = VKind::kBool;
        if (!read_uint(1, v.bits)) {
          return false;
        }
        return v.bits <= 1
                   ? true
                   : malformed("bool byte " + std::to_string(static_cast<unsigned>(v.bits)) +
                               " is neither 0 nor 1");
      case Type::kChar:
        v.kind = VKind::kChar;
        if (!read_uint(4, v.bits)) {
          return false;
        }
        if (v.bits > 0x10FFFF || (v.bits >= 0xD800 && v.bits < 0xE000)) {
          return malformed("char " + std::to_string(static_cast<std::uint32_t>(v.bits)) +
                           " is not a Unicode scalar value");
        }
        return true;
      case Type::kStr: {
        uint128 len = 0;
        if (!read_uint(4, len) || !take(static_cast<std::size_t>(len), v)) {
          return false;
        }
        v.kind = VKind::kStr;
        return valid_utf8(base_ + v.off, v.len) ? true : malformed("str is not valid UTF-8");
      }
      case Type::kIStr: {
        const DefmtEntry* entry = nullptr;
        if (!read_entry(entry)) {
          return false;
        }
        v.kind = VKind::kIStr;
        v.ptr = &entry->string;
        return true;
      }
      case Type::kU8Slice: {
        uint128 len = 0;
        if (!read_uint(4, len) || !take(static_cast<std::size_t>(len), v)) {
          return false;
        }
        v.kind = VKind::kBytes;
        return true;
      }
      case Type::kU8Array:
        v.kind = VKind::kBytes;
        return take(p.array_len, v);
      case Type::kDebug:
      case Type::kDisplay: {
        const void* ff = std::memchr(pos_, 0xff, static_cast<std::size_t>(end_ - pos_));
        if (ff == nullptr) {
          fail_ = Fail::kEof;
          return false;
        }
        const auto n = static_cast<std::size_t>(static_cast<const std::uint8_t*>(ff) - pos_);
        take(n, v);
        ++pos_;  // the 0xff
        v.kind = VKind::kPreformatted;
        return valid_utf8(base_ + v.off, v.len)
                   ? true
                   : malformed("Debug2Format/Display2Format text is not valid UTF-8");
      }
      case Type::kBitField: {
        const unsigned lowest = p.bit_start / 8u;
        const unsigned highest = (p.bit_end - 1u) / 8u;
        const unsigned size = highest - lowest + 1;
        const std::size_t n = size == 1 ? 1 : size == 2 ? 2 : size <= 4 ? 4 : size <= 8 ? 8 : 16;
        v.kind = VKind::kUint;
        if (!read_uint(n, v.bits)) {
          return false;
        }
        v.bits <<= lowest * 8;
        return true;
      }
      case Type::kFormat: {
        const DefmtEntry* entry = nullptr;
        const DefmtEntry::Variant* variant = nullptr;
        return read_entry(entry) && select_variant(*entry, variant) &&
               decode_nested(*variant, v, depth);
      }
      case Type::kFormatSlice: {
        uint128 count = 0;
        return read_uint(4, count) && decode_slice(static_cast<std::uint64_t>(count), v, depth);
      }
      case Type::kFormatArray:
        return decode_slice(p.array_len, v, depth);
      case Type::kFormatSequence:
        return decode_sequence(v, depth);
    }
    return malformed("unknown argument type");
  }

  const DefmtTable& table_;
  const std::uint8_t* base_;
  const std::uint8_t* pos_;
  const std::uint8_t* end_;
  std::vector<Value>& values_;
  Fail fail_ = Fail::kNone;
  std::string& why_;
};

// ---------------------------------------------------------------------------------------
// Rendering

void append_u128_decimal(std::string& out, uint128 v) {
  char buf[40];
  char* p = buf + sizeof(buf);
  do {
    *--p = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<std::size_t>(buf + sizeof(buf) - p));
}

// Rust's `{:#0width$x}`-style integer formatting: sign, prefix, zero padding, digits.
void append_radix(std::string& out, uint128 magnitude, bool negative, unsigned base, bool upper,
                  bool alternate, std::size_t width) {
  char buf[130];
  char* p = buf + sizeof(buf);
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  do {
    *--p = digits[static_cast<unsigned>(magnitude % base)];
    magnitude /= base;
  } while (magnitude != 0);
  const auto ndigits = static_cast<std::size_t>(buf + sizeof(buf) - p);
  std::string_view prefix;
  if (alternate) {
    prefix = base == 16 ? "0x" : base == 8 ? "0o" : base == 2 ? "0b" : "";
  }
  const std::size_t used = (negative ? 1 : 0) + prefix.size() + ndigits;
  if (negative) {
    out.push_back('-');
  }
  out.append(prefix);
  if (width > used) {
    out.append(width - used, '0');
  }
  out.append(p, ndigits);
}

void append_padded(std::string& out, uint128 v, std::size_t width) {
  append_radix(out, v, false, 10, false, false, width);
}

// ryu's shortest round-trip formatting as Rust's defmt decoder prints floats ("1.0",
// "0.1", "1e-7", "1.5e300", "NaN", "inf").
void append_float(std::string& out, double v, bool is_f32) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::signbit(v)) {
    out.push_back('-');
    v = -v;
  }
  if (std::isinf(v)) {
    out += "inf";
    return;
  }
  if (v == 0) {
    out += "0.0";
    return;
  }
  char buf[64];
  std::to_chars_result r{};
  if (is_f32) {
    r = std::to_chars(buf, buf + sizeof(buf), static_cast<float>(v), std::chars_format::scientific);
  } else {
    r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  }
  const std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
  const std::size_t e_at = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_at)) {
    if (c != '.') {
      digits.push_back(c);
    }
  }
  int exp10 = 0;
  std::string_view es = sci.substr(e_at + 1);
  if (!es.empty() && es.front() == '+') {
    es.remove_prefix(1);
  }
  std::from_chars(es.data(), es.data() + es.size(), exp10);
  const int length = static_cast<int>(digits.size());
  const int k = exp10 - (length - 1);  // value = digits * 10^k
  const int kk = length + k;           // 10^(kk-1) <= value < 10^kk
  const int max_fixed = is_f32 ? 13 : 16;
  const int min_fixed = is_f32 ? -6 : -5;
  if (0 <= k && kk <= max_fixed) {
    out += digits;
    out.append(static_cast<std::size_t>(k), '0');
    out += ".0";
  } else if (0 < kk && kk <= max_fixed) {
    out.append(digits, 0, static_cast<std::size_t>(kk));
    out.push_back('.');
    out.append(digits, static_cast<std::size_t>(kk));
  } else if (min_fixed < kk && kk <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-kk), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (length > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.push_back('e');
    out += std::to_string(kk - 1);
  }
}

// Rust's `{:?}` of a str: quoted, with \t \r \n \0 \\ \" escaped and control characters as
// \u{..}.
void append_debug_str(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    const core::Utf8CodePoint decoded = core::decode_utf8(s, i);
    const std::uint32_t cp = decoded.code_point;
    const std::size_t len = decoded.length;
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case 0:
        out += "\\0";
        break;
      default:
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
          char hex[16];
          const auto r = std::to_chars(hex, hex + sizeof(hex), cp, 16);
          out += "\\u{";
          out.append(hex, static_cast<std::size_t>(r.ptr - hex));
          out.push_back('}');
        } else if (decoded.valid) {
          out.append(s.substr(i, len));
        } else {
          out += core::kUtf8Replacement;
        }
    }
    i += len;
  }
  out.push_back('"');
}

// Days since 1970-01-01 -> civil date (proleptic Gregorian).
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) {
    ++y;
  }
}

class Renderer {
 public:
  Renderer(const DefmtTable& table, const std::vector<Value>& values, const std::uint8_t* base,
           std::string& out)
      : table_(table), values_(values), base_(base), out_(out) {}

  void format(const defmt::Format& f, std::uint32_t first, const defmt::Hint* parent) {
    for (const defmt::Fragment& frag : f.fragments) {
      if (!frag.is_param) {
        out_ += frag.literal;
        continue;
      }
      const defmt::Param& p = frag.param;
      const defmt::Hint* hint = p.hint.kind != HintKind::kNone ? &p.hint : parent;
      value(p, values_[first + p.index], hint, parent);
    }
  }

  // One argument as defmt's Frame::format_fragment prints it.
  void value(const defmt::Param& p, const Value& a, const defmt::Hint* hint,
             const defmt::Hint* parent) {
    switch (a.kind) {
      case VKind::kBool:
        out_ += a.bits != 0 ? "true" : "false";
        return;
      case VKind::kF32: {
        float f = 0;
        const auto bits = static_cast<std::uint32_t>(a.bits);
        std::memcpy(&f, &bits, sizeof(f));
        append_float(out_, static_cast<double>(f), true);
        return;
      }
      case VKind::kF64: {
        double f = 0;
        const auto bits = static_cast<std::uint64_t>(a.bits);
        std::memcpy(&f, &bits, sizeof(f));
        append_float(out_, f, false);
        return;
      }
      case VKind::kUint:
        if (p.type == Type::kBitField) {
          const unsigned left = 128u - p.bit_end;
          const unsigned right = left + p.bit_start;
          const uint128 field = right >= 128 ? 0 : (a.bits << left) >> right;
          if (is(hint, HintKind::kAscii)) {
            std::array<std::uint8_t, 16> be{};
            for (std::size_t k = 0; k < 16; ++k) {
              be[k] = static_cast<std::uint8_t>(field >> (8 * (15 - k)));
            }
            const std::size_t skip = std::min<std::size_t>(right / 8, 16);
            bytes(std::span<const std::uint8_t>(be).subspan(skip), hint);
          } else {
            u128(field, hint);
          }
        } else if (is(hint, HintKind::kIso8601)) {
          iso8601(static_cast<std::uint64_t>(a.bits), hint->precision);
        } else if (is(hint, HintKind::kDebug)) {
          u128(a.bits, parent);
        } else {
          u128(a.bits, hint);
        }
        return;
      case VKind::kInt:
        i128(static_cast<int128>(a.bits), p.type, hint);
        return;
      case VKind::kStr:
      case VKind::kPreformatted:
        str(std::string_view(reinterpret_cast<const char*>(base_ + a.off), a.len), hint);
        return;
      case VKind::kIStr:
        str(*static_cast<const std::string*>(a.ptr), hint);
        return;
      case VKind::kFormat: {
        const auto* variant = static_cast<const DefmtEntry::Variant*>(a.ptr);
        format(variant->format, a.off, is(parent, HintKind::kAscii) ? parent : hint);
        return;
      }
      case VKind::kFormatSequence:
        for (std::uint32_t i = 0; i < a.len; ++i) {
          const Value& e = values_[a.off + i];
          const auto* variant = static_cast<const DefmtEntry::Variant*>(e.ptr);
          format(variant->format, e.off, hint);
        }
        return;
      case VKind::kFormatSlice:
        slice(a, hint);
        return;
      case VKind::kBytes:
        bytes(std::span<const std::uint8_t>(base_ + a.off, a.len), hint);
        return;
      case VKind::kChar:
        core::append_utf8(out_, static_cast<char32_t>(a.bits));
        return;
    }
  }

 private:
  static bool is(const defmt::Hint* h, HintKind k) { return h != nullptr && h->kind == k; }

  void slice(const Value& a, const defmt::Hint* hint) {
    if (is(hint, HintKind::kAscii)) {
      bool any_u8 = false;
      for (std::uint32_t i = 0; i < a.len && !any_u8; ++i) {
        any_u8 = static_cast<const DefmtEntry::Variant*>(values_[a.off + i].ptr)->text == "{=u8}";
      }
      if (any_u8) {
        std::vector<std::uint8_t> raw;
        raw.reserve(a.len);
        for (std::uint32_t i = 0; i < a.len; ++i) {
          const Value& e = values_[a.off + i];
          raw.push_back(e.len == 1 ? static_cast<std::uint8_t>(values_[e.off].bits) : 0);
        }
        bytes(raw, hint);
        return;
      }
    }
    out_.push_back('[');
    for (std::uint32_t i = 0; i < a.len; ++i) {
      if (i != 0) {
        out_ += ", ";
      }
      const Value& e = values_[a.off + i];
      format(static_cast<const DefmtEntry::Variant*>(e.ptr)->format, e.off, hint);
    }
    out_.push_back(']');
  }

  void u128(uint128 x, const defmt::Hint* hint) {
    if (hint == nullptr) {
      append_u128_decimal(out_, x);
      return;
    }
    switch (hint->kind) {
      case HintKind::kPlain:
        append_padded(out_, x, hint->zero_pad);
        return;
      case HintKind::kBinary:
        append_radix(out_, x, false, 2, false, hint->alternate, hint->zero_pad);
        return;
      case HintKind::kOctal:
        append_radix(out_, x, false, 8, false, hint->alternate, hint->zero_pad);
        return;
      case HintKind::kHex:
        append_radix(out_, x, false, 16, hint->uppercase, hint->alternate, hint->zero_pad);
        return;
      case HintKind::kSeconds:
        if (hint->precision == TimePrecision::kMicros) {
          append_u128_decimal(out_, x / 1000000);
          out_.push_back('.');
          append_padded(out_, x % 1000000, 6);
        } else {
          append_u128_decimal(out_, x / 1000);
          out_.push_back('.');
          append_padded(out_, x % 1000, 3);
        }
        return;
      case HintKind::kTime:
        time(x, hint->precision);
        return;
      case HintKind::kBitflags:
        bitflags(x, hint->text);
        return;
      default:
        append_u128_decimal(out_, x);
        return;
    }
  }

  void i128(int128 x, Type type, const defmt::Hint* hint) {
    const bool negative = x < 0;
    const uint128 magnitude = negative ? uint128{0} - static_cast<uint128>(x) : uint128(x);
    const HintKind kind = hint == nullptr ? HintKind::kNone : hint->kind;
    switch (kind) {
      case HintKind::kPlain:
        append_radix(out_, magnitude, negative, 10, false, false, hint->zero_pad);
        return;
      case HintKind::kBinary:  // two's complement over 128 bits, as Rust prints an i128
        append_radix(out_, static_cast<uint128>(x), false, 2, false, hint->alternate,
                     hint->zero_pad);
        return;
      case HintKind::kOctal:
        append_radix(out_, static_cast<uint128>(x), false, 8, false, hint->alternate,
                     hint->zero_pad);
        return;
      case HintKind::kHex: {
        // Two's complement at the argument's own width (defmt's I128Hex).
        unsigned bits = 128;
        switch (type) {
          case Type::kI8:
            bits = 8;
            break;
          case Type::kI16:
            bits = 16;
            break;
          case Type::kI32:
          case Type::kIsize:
            bits = 32;
            break;
          case Type::kI64:
            bits = 64;
            break;
          default:
            break;
        }
        uint128 u = static_cast<uint128>(x);
        if (bits < 128) {
          u &= (uint128{1} << bits) - 1;
        }
        append_radix(out_, u, false, 16, hint->uppercase, hint->alternate, hint->zero_pad);
        return;
      }
      default:
        append_radix(out_, magnitude, negative, 10, false, false, 0);
        return;
    }
  }

  void str(std::string_view s, const defmt::Hint* hint) {
    if (is(hint, HintKind::kDebug)) {
      append_debug_str(out_, s);
    } else {
      out_ += s;
    }
  }

  void bytes(std::span<const std::uint8_t> b, const defmt::Hint* hint) {
    const HintKind kind = hint == nullptr ? HintKind::kNone : hint->kind;
    if (kind == HintKind::kAscii) {
      out_ += "b\"";
      for (std::uint8_t c : b) {
        switch (c) {
          case '\t':
            out_ += "\\t";
            break;
          case '\n':
            out_ += "\\n";
            break;
          case '\r':
            out_ += "\\r";
            break;
          case '"':
            out_ += "\\\"";
            break;
          case '\\':
            out_ += "\\\\";
            break;
          default:
            if (c >= 0x20 && c < 0x7F) {
              out_.push_back(static_cast<char>(c));
            } else {
              static constexpr char kHex[] = "0123456789abcdef";
              out_ += "\\x";
              out_.push_back(kHex[c >> 4]);
              out_.push_back(kHex[c & 15]);
            }
        }
      }
      out_.push_back('"');
      return;
    }
    const bool radix =
        kind == HintKind::kHex || kind == HintKind::kOctal || kind == HintKind::kBinary;
    out_.push_back('[');
    bool first = true;
    for (std::uint8_t c : b) {
      if (!first) {
        out_ += ", ";
      }
      first = false;
      if (radix) {
        u128(c, hint);
      } else {
        append_u128_decimal(out_, c);
      }
    }
    out_.push_back(']');
  }

  void time(uint128 t, TimePrecision precision) {
    uint128 decimals = 0;
    if (precision == TimePrecision::kMicros) {
      decimals = t % 1000000;
      t /= 1000000;
    } else if (precision == TimePrecision::kMillis) {
      decimals = t % 1000;
      t /= 1000;
    }
    const uint128 seconds = t % 60;
    t /= 60;
    const uint128 minutes = t % 60;
    t /= 60;
    const uint128 hours = t % 24;
    const uint128 days = t / 24;
    if (days != 0) {
      append_u128_decimal(out_, days);
      out_.push_back(':');
    }
    append_padded(out_, hours, 2);
    out_.push_back(':');
    append_padded(out_, minutes, 2);
    out_.push_back(':');
    append_padded(out_, seconds, 2);
    if (precision != TimePrecision::kSeconds) {
      out_.push_back('.');
      append_padded(out_, decimals, precision == TimePrecision::kMicros ? 6 : 3);
    }
  }

  void iso8601(std::uint64_t t, TimePrecision precision) {
    std::uint64_t sub = 0;
    if (precision == TimePrecision::kMillis) {
      sub = t % 1000;
      t /= 1000;
    } else if (precision == TimePrecision::kMicros) {
      sub = t % 1000000;
      t /= 1000000;
    }
    const auto days = static_cast<std::int64_t>(t / 86400);
    const std::uint64_t secs = t % 86400;
    std::int64_t y = 0;
    unsigned m = 0, d = 0;
    civil_from_days(days, y, m, d);
    // ISO 8601's expanded year, as defmt-print's date library writes it: four digits up
    // to 9999, then a sign (+53271). Where that library has no such date defmt-print
    // panics; the year is printed the same way here (docs/defmt.md).
    if (y > 9999) {
      out_.push_back('+');
    }
    append_padded(out_, static_cast<uint128>(y), 4);
    out_.push_back('-');
    append_padded(out_, m, 2);
    out_.push_back('-');
    append_padded(out_, d, 2);
    out_.push_back('T');
    append_padded(out_, secs / 3600, 2);
    out_.push_back(':');
    append_padded(out_, secs / 60 % 60, 2);
    out_.push_back(':');
    append_padded(out_, secs % 60, 2);
    if (precision != TimePrecision::kSeconds) {
      out_.push_back('.');
      append_padded(out_, sub, precision == TimePrecision::kMillis ? 3 : 6);
    }
    out_.push_back('Z');
  }

  void bitflags(uint128 x, const std::string& key) {
    const auto* flags = table_.bitflags(key);
    if (flags == nullptr) {
      append_u128_decimal(out_, x);
      return;
    }
    bool any = false;
    for (const auto& [name, value] : *flags) {
      const bool set = (value == 0 && x != 0) ? false : (x & value) == value;
      if (!set) {
        continue;
      }
      if (any) {
        out_ += " | ";
      }
      out_ += name;
      any = true;
    }
    if (!any) {
      out_ += "(empty)";
    }
  }

  const DefmtTable& table_;
  const std::vector<Value>& values_;
  const std::uint8_t* base_;
  std::string& out_;
};

std::string hint_of(const defmt::Format& f, std::uint32_t index) {
  for (const defmt::Fragment& frag : f.fragments) {
    if (frag.is_param && frag.param.index == index) {
      return frag.param.hint.raw;
    }
  }
  return {};
}

// The timestamp as numbers (Record::device_ticks, tick_hz, time_unix_nano): a timestamp
// format with a single integer argument gives its value as ticks, and its display hint the
// unit; any other timestamp is text only.
void set_device_time(const defmt::Format& f, const std::vector<Value>& values, std::uint32_t first,
                     Record& out) {
  if (f.wire.size() != 1 || f.wire[0].type == Type::kBitField) {
    return;
  }
  const Value& v = values[first];
  const bool non_negative =
      v.kind == VKind::kUint || (v.kind == VKind::kInt && static_cast<int128>(v.bits) >= 0);
  if (!non_negative || v.bits > std::numeric_limits<std::uint64_t>::max()) {
    return;
  }
  const auto ticks = static_cast<std::uint64_t>(v.bits);
  const defmt::Hint* hint = nullptr;
  for (const defmt::Fragment& frag : f.fragments) {
    if (frag.is_param && frag.param.index == 0) {
      hint = &frag.param.hint;
      break;
    }
  }
  out.device_ticks = ticks;
  out.has_ticks = true;
  out.tick_hz = 0;  // a plain integer: unit unknown
  if (hint == nullptr) {
    return;
  }
  const std::uint64_t per_second = hint->precision == TimePrecision::kMicros   ? 1000000
                                   : hint->precision == TimePrecision::kMillis ? 1000
                                                                               : 1;
  switch (hint->kind) {
    case HintKind::kSeconds:  // `:us` `:ms`
    case HintKind::kTime:     // `:tus` `:tms` `:ts`
      out.tick_hz = per_second;
      return;
    case HintKind::kIso8601: {  // `:iso8601ms` `:iso8601s`: Unix time
      out.tick_hz = per_second;
      const std::uint64_t nanos_per_tick = 1000000000 / per_second;
      if (ticks <= std::numeric_limits<std::uint64_t>::max() / nanos_per_tick) {
        out.time_unix_nano = ticks * nanos_per_tick;
      }
      return;
    }
    default:
      return;
  }
}

}  // namespace

struct DefmtDecoder::Scratch {
  std::vector<Value> values;
  std::string text;
  std::string why;  // the last frame's problem, for messages
};

namespace {

DecoderOptions with_defmt_defaults(DecoderOptions options) {
  if (options.max_frame_bytes == 0)
    options.max_frame_bytes = kDefmtMaxFrameBytes;
  return options;
}

}  // namespace

DefmtDecoder::DefmtDecoder(std::shared_ptr<const DefmtTable> table, DecoderOptions options,
                           std::optional<DefmtEncoding> encoding)
    : table_(std::move(table)),
      options_(with_defmt_defaults(std::move(options))),
      encoding_(encoding.value_or(table_ ? table_->encoding() : DefmtEncoding::kRzcobs)),
      deframer_(options_.max_frame_bytes),
      scratch_(std::make_unique<Scratch>()) {
  if (!table_) {
    table_ = std::make_shared<const DefmtTable>();
  }
}

DefmtDecoder::~DefmtDecoder() = default;
DefmtDecoder::DefmtDecoder(DefmtDecoder&&) noexcept = default;
DefmtDecoder& DefmtDecoder::operator=(DefmtDecoder&&) noexcept = default;

DefmtDecoder::Outcome DefmtDecoder::decode_into(std::span<const std::uint8_t> frame, Record& out,
                                                std::size_t& consumed) {
  const DefmtTable& table = *table_;
  std::vector<Value>& values = scratch_->values;
  values.clear();
  std::string& why = scratch_->why;
  why.clear();
  FrameReader reader(table, frame, values, why);
  std::uint16_t index = 0;
  if (!reader.read_u16(index)) {
    why = "the frame is shorter than its 2-byte index";
    return Outcome::kEof;
  }
  const DefmtEntry* ts = table.timestamp();
  std::uint32_t ts_first = 0;
  if (ts != nullptr) {
    if (!ts->whole.error.empty()) {
      why = "the timestamp format `" + ts->string + "` does not parse: " + ts->whole.error;
      return Outcome::kMalformed;
    }
    if (!reader.decode_args(ts->whole.format, ts_first, 0)) {
      // The reader wrote a malformed frame's reason into `why` already.
      why =
          reader.fail() == Fail::kEof ? "the frame ends inside its timestamp" : "timestamp: " + why;
      return reader.fail() == Fail::kEof ? Outcome::kEof : Outcome::kMalformed;
    }
  }
  const DefmtEntry* entry = table.find(index);
  if (entry == nullptr) {
    return Outcome::kUnknownIndex;
  }
  if (!entry->whole.error.empty()) {
    why = "its format `" + entry->string + "` does not parse: " + entry->whole.error;
    return Outcome::kMalformed;
  }
  std::uint32_t first = 0;
  if (!reader.decode_args(entry->whole.format, first, 0)) {
    if (reader.fail() == Fail::kEof) {
      why = "the frame ends before its arguments (" + std::to_string(frame.size()) + " bytes)";
    }
    return reader.fail() == Fail::kEof ? Outcome::kEof : Outcome::kMalformed;
  }
  consumed = reader.consumed();

  out.clear();
  out.level = defmt_level(entry->tag);
  out.kind = out.level ? RecordKind::kLog : RecordKind::kPrintln;
  out.callsite_id = index;
  out.format = entry->string;
  out.location = entry->location;
  if (ts != nullptr) {
    set_device_time(ts->whole.format, values, ts_first, out);
  }
  Renderer renderer(table, values, frame.data(), scratch_->text);
  if (options_.render) {
    Renderer message(table, values, frame.data(), out.message);
    message.format(entry->whole.format, first, nullptr);
    if (ts != nullptr) {
      Renderer stamp(table, values, frame.data(), out.timestamp_text);
      stamp.format(ts->whole.format, ts_first, nullptr);
    }
  }
  const defmt::Format& f = entry->whole.format;
  out.args.resize(f.wire.size());
  for (std::uint32_t i = 0; i < f.wire.size(); ++i) {
    const defmt::Param& p = f.wire[i];
    const Value& v = values[first + i];
    Argument& arg = out.args[i];
    arg.name = "arg" + std::to_string(i);
    arg.type = p.type == Type::kU8Array || p.type == Type::kFormatArray
                   ? (p.type == Type::kU8Array ? "[u8;" : "[?;") + std::to_string(p.array_len) + "]"
                   : defmt::type_name(p.type);
    arg.hint = hint_of(f, i);
    arg.truncated = false;
    switch (v.kind) {
      case VKind::kUint:
        if (v.bits <= static_cast<uint128>(std::numeric_limits<std::int64_t>::max())) {
          arg.value = static_cast<std::int64_t>(v.bits);
        } else {
          std::string s;
          append_u128_decimal(s, v.bits);
          arg.value = std::move(s);
        }
        break;
      case VKind::kInt: {
        const auto x = static_cast<int128>(v.bits);
        if (x >= std::numeric_limits<std::int64_t>::min() &&
            x <= std::numeric_limits<std::int64_t>::max()) {
          arg.value = static_cast<std::int64_t>(x);
        } else {
          std::string s;
          const bool neg = x < 0;
          if (neg) {
            s.push_back('-');
          }
          append_u128_decimal(s, neg ? uint128{0} - static_cast<uint128>(x) : uint128(x));
          arg.value = std::move(s);
        }
        break;
      }
      case VKind::kF32: {
        float fl = 0;
        const auto bits = static_cast<std::uint32_t>(v.bits);
        std::memcpy(&fl, &bits, sizeof(fl));
        arg.value = static_cast<double>(fl);
        break;
      }
      case VKind::kF64: {
        double d = 0;
        const auto bits = static_cast<std::uint64_t>(v.bits);
        std::memcpy(&d, &bits, sizeof(d));
        arg.value = d;
        break;
      }
      case VKind::kBool:
        arg.value = v.bits != 0;
        break;
      case VKind::kChar: {
        std::string s;
        core::append_utf8(s, static_cast<char32_t>(v.bits));
        arg.value = std::move(s);
        break;
      }
      case VKind::kStr:
      case VKind::kPreformatted:
        arg.value = std::string_view(reinterpret_cast<const char*>(frame.data() + v.off), v.len);
        break;
      case VKind::kIStr:
        arg.value = *static_cast<const std::string*>(v.ptr);
        break;
      case VKind::kBytes:
        arg.value = core::Bytes(frame.data() + v.off, frame.data() + v.off + v.len);
        break;
      case VKind::kFormat:
      case VKind::kFormatSlice:
      case VKind::kFormatSequence: {
        // A nested value's structure is its format; its value is its text.
        scratch_->text.clear();
        const defmt::Hint* hint = nullptr;
        for (const defmt::Fragment& frag : f.fragments) {
          if (frag.is_param && frag.param.index == i) {
            hint = frag.param.hint.kind != HintKind::kNone ? &frag.param.hint : nullptr;
            break;
          }
        }
        renderer.value(p, v, hint, nullptr);
        arg.value = scratch_->text;
        break;
      }
    }
  }
  return Outcome::kOk;
}

core::Status DefmtDecoder::decode_frame(std::span<const std::uint8_t> frame, Record& out,
                                        std::size_t* consumed) {
  std::size_t used = 0;
  switch (decode_into(frame, out, used)) {
    case Outcome::kOk:
      if (consumed != nullptr) {
        *consumed = used;
      }
      return core::Status();
    case Outcome::kEof:
      return core::out_of_range("defmt frame: " + scratch_->why);
    case Outcome::kUnknownIndex: {
      const unsigned index = frame.size() >= 2 ? frame[0] | (frame[1] << 8) : 0;
      return core::not_found("defmt frame has unknown string index " + std::to_string(index));
    }
    case Outcome::kMalformed:
      break;
  }
  return core::invalid_argument("defmt frame is malformed: " + scratch_->why);
}

void DefmtDecoder::problem(const std::string& what) {
  if (!options_.on_problem) {
    return;
  }
  // One line: format strings quoted in a description may hold newlines or other controls.
  std::string line;
  line.reserve(what.size());
  for (char c : what) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      line += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      line += "\\x";
      line.push_back(kHex[u >> 4]);
      line.push_back(kHex[u & 15]);
    } else {
      line.push_back(c);
    }
  }
  options_.on_problem(line);
}

void DefmtDecoder::on_frame(std::span<const std::uint8_t> frame, const RecordSink& sink) {
  std::size_t used = 0;
  const Outcome o = decode_into(frame, record_, used);
  if (o == Outcome::kOk) {
    ++counters_.records;
    if (sink) {
      sink(record_);
    }
    return;
  }
  const unsigned index = frame.size() >= 2 ? frame[0] | (frame[1] << 8) : 0;
  if (o == Outcome::kUnknownIndex) {
    ++counters_.unknown_callsites;
    problem("defmt frame with unknown string index " + std::to_string(index) + " skipped");
  } else {
    ++counters_.malformed_records;
    problem("defmt frame with index " + std::to_string(index) + " skipped: " + scratch_->why);
  }
}

void DefmtDecoder::drain_raw(const RecordSink& sink) {
  std::size_t start = 0;
  while (start < raw_.size()) {
    const std::span<const std::uint8_t> rest(raw_.data() + start, raw_.size() - start);
    std::size_t used = 0;
    const Outcome o = decode_into(rest, record_, used);
    if (o == Outcome::kOk) {
      start += used;
      raw_resyncing_ = false;
      ++counters_.frames;
      ++counters_.records;
      if (sink) {
        sink(record_);
      }
      continue;
    }
    if (o == Outcome::kEof && rest.size() < options_.max_frame_bytes) {
      break;  // wait for the rest of the frame
    }
    if (!raw_resyncing_) {
      // Count the bad frame once; then look for the next position that decodes.
      const unsigned index = rest.size() >= 2 ? rest[0] | (rest[1] << 8) : 0;
      problem("defmt raw stream: frame with index " + std::to_string(index) + " " +
              (o == Outcome::kUnknownIndex ? std::string("is not in the table")
               : o == Outcome::kEof        ? "is longer than max_frame_bytes (" +
                                          std::to_string(options_.max_frame_bytes) + ")"
                                    : "is malformed: " + scratch_->why) +
              "; resynchronising");
      if (o == Outcome::kUnknownIndex) {
        ++counters_.unknown_callsites;
      } else if (o == Outcome::kEof) {
        ++counters_.oversized_frames;
        ++counters_.corrupt_frames;
      } else {
        ++counters_.malformed_records;
      }
      raw_resyncing_ = true;
    }
    ++start;
    ++raw_skipped_;
  }
  raw_.erase(raw_.begin(), raw_.begin() + static_cast<std::ptrdiff_t>(start));
  counters_.bytes_skipped = raw_skipped_;
}

void DefmtDecoder::sync_rzcobs_counters() {
  const RzcobsCounters& dc = deframer_.counters();
  const std::uint64_t corrupt = dc.corrupt_frames + truncated_frames_;
  if (dc.oversized_frames > counters_.oversized_frames) {
    problem(std::to_string(dc.oversized_frames - counters_.oversized_frames) +
            " rzCOBS frame(s) longer than max_frame_bytes (" +
            std::to_string(options_.max_frame_bytes) + ") skipped");
  } else if (corrupt > counters_.corrupt_frames) {
    problem(std::to_string(corrupt - counters_.corrupt_frames) +
            " rzCOBS frame(s) with invalid encoding skipped (" +
            std::to_string(dc.bytes_skipped - counters_.bytes_skipped) +
            " bytes; garbage, a damaged byte or a stream joined mid-frame)");
  }
  counters_.frames = dc.frames;
  counters_.corrupt_frames = corrupt;
  counters_.oversized_frames = dc.oversized_frames;
  counters_.bytes_skipped = dc.bytes_skipped;
}

void DefmtDecoder::feed(std::span<const std::uint8_t> bytes, const RecordSink& sink) {
  counters_.bytes += bytes.size();
  if (encoding_ == DefmtEncoding::kRaw) {
    raw_.insert(raw_.end(), bytes.begin(), bytes.end());
    drain_raw(sink);
    return;
  }
  deframer_.feed(bytes, [&](std::span<const std::uint8_t> frame) { on_frame(frame, sink); });
  sync_rzcobs_counters();
}

void DefmtDecoder::reset() {
  if (encoding_ == DefmtEncoding::kRaw) {
    raw_skipped_ += raw_.size();
    counters_.bytes_skipped = raw_skipped_;
    raw_.clear();
    raw_resyncing_ = false;
    return;
  }
  deframer_.reset_frame();
  sync_rzcobs_counters();
}

void DefmtDecoder::finish(const RecordSink& sink) {
  if (encoding_ == DefmtEncoding::kRaw) {
    drain_raw(sink);
    if (!raw_.empty()) {
      if (!raw_resyncing_) {
        ++counters_.malformed_records;
        problem("defmt raw stream ends inside a frame (" + std::to_string(raw_.size()) +
                " bytes dropped)");
      }
      raw_skipped_ += raw_.size();
      counters_.bytes_skipped = raw_skipped_;
      raw_.clear();
    }
    raw_resyncing_ = false;
    return;
  }
  if (deframer_.pending_bytes() > 0) {
    ++truncated_frames_;
    ++counters_.corrupt_frames;  // described here, not again by sync_rzcobs_counters()
    problem("defmt stream ends inside an rzCOBS frame (" +
            std::to_string(deframer_.pending_bytes()) + " bytes dropped)");
  }
  deframer_.reset_frame();
  sync_rzcobs_counters();
}

void append_defmt_line(const Record& record, std::string& out) {
  LogFormat::defmt_default(!record.timestamp_text.empty()).append(record, out);
}

std::string format_defmt_line(const Record& record) {
  std::string out;
  append_defmt_line(record, out);
  return out;
}

}  // namespace edgetrace::decoder
