#include "edgetrace/decoder/defmt_format.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace edgetrace::decoder::defmt {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Leading decimal digits of `s` as an unsigned number; nullopt if none or too large.
std::optional<std::uint64_t> leading_number(std::string_view s, std::size_t& used) {
  used = 0;
  while (used < s.size() && is_digit(s[used])) {
    ++used;
  }
  if (used == 0) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + used, v);
  if (ec != std::errc()) {
    return std::nullopt;
  }
  return v;
}

std::optional<Type> simple_type(std::string_view s) {
  struct Entry {
    std::string_view name;
    Type type;
  };
  static constexpr Entry kTypes[] = {
      {"u8", Type::kU8},
      {"u16", Type::kU16},
      {"u32", Type::kU32},
      {"u64", Type::kU64},
      {"u128", Type::kU128},
      {"usize", Type::kUsize},
      {"i8", Type::kI8},
      {"i16", Type::kI16},
      {"i32", Type::kI32},
      {"i64", Type::kI64},
      {"i128", Type::kI128},
      {"isize", Type::kIsize},
      {"f32", Type::kF32},
      {"f64", Type::kF64},
      {"bool", Type::kBool},
      {"str", Type::kStr},
      {"istr", Type::kIStr},
      {"__internal_Debug", Type::kDebug},
      {"__internal_Display", Type::kDisplay},
      {"__internal_FormatSequence", Type::kFormatSequence},
      {"[u8]", Type::kU8Slice},
      {"?", Type::kFormat},
      {"[?]", Type::kFormatSlice},
      {"char", Type::kChar},
  };
  for (const Entry& e : kTypes) {
    if (e.name == s) {
      return e.type;
    }
  }
  return std::nullopt;
}

// "  12]" -> 12 (defmt-parser's parse_array).
core::Result<std::uint32_t> parse_array_length(std::string_view s) {
  const std::size_t start = s.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    return core::invalid_argument("invalid array specifier (missing length)");
  }
  s.remove_prefix(start);
  std::size_t used = 0;
  const auto len = leading_number(s, used);
  if (used == s.size()) {
    return core::invalid_argument("invalid array specifier (missing `]`)");
  }
  if (!len) {
    return core::invalid_argument("invalid array specifier (bad length)");
  }
  if (s.substr(used) != "]") {
    return core::invalid_argument("invalid array specifier (missing `]`)");
  }
  if (*len > kMaxArrayLength) {
    return core::invalid_argument("array length " + std::to_string(*len) + " is over the limit");
  }
  return static_cast<std::uint32_t>(*len);
}

// "a..b" with a < b <= 128; sets `used` to the characters consumed.
bool parse_range(std::string_view s, std::uint8_t& start, std::uint8_t& end, std::size_t& used) {
  std::size_t n1 = 0;
  const auto a = leading_number(s, n1);
  if (!a || s.substr(n1, 2) != "..") {
    return false;
  }
  std::size_t n2 = 0;
  const auto b = leading_number(s.substr(n1 + 2), n2);
  if (!b || *b <= *a || *a >= 128 || *b > 128) {
    return false;
  }
  start = static_cast<std::uint8_t>(*a);
  end = static_cast<std::uint8_t>(*b);
  used = n1 + 2 + n2;
  return true;
}

// defmt's DisplayHint::parse; nullopt for a hint it does not know.
std::optional<Hint> parse_hint(std::string_view s) {
  Hint h;
  if (!s.empty() && s.front() == '#') {
    h.alternate = true;
    s.remove_prefix(1);
  }
  if (!s.empty() && s.front() == '0') {
    s.remove_prefix(1);
    std::size_t used = 0;
    const auto pad = leading_number(s, used);
    if (!pad || *pad > 1024) {
      return std::nullopt;
    }
    h.zero_pad = static_cast<std::uint32_t>(*pad);
    s.remove_prefix(used);
  }
  constexpr std::string_view kBitflags = "__internal_bitflags_";
  if (s.starts_with(kBitflags)) {
    s.remove_prefix(kBitflags.size());
    const auto parts = std::count(s.begin(), s.end(), '@') + 1;
    if (parts < 3 || parts > 4) {
      h.kind = HintKind::kUnknown;
    } else {
      h.kind = HintKind::kBitflags;
    }
    h.text = std::string(s);
    return h;
  }
  if (s.empty()) {
    h.kind = HintKind::kPlain;
  } else if (s == "us" || s == "ms") {
    h.kind = HintKind::kSeconds;
    h.precision = s == "us" ? TimePrecision::kMicros : TimePrecision::kMillis;
  } else if (s == "tus" || s == "tms" || s == "ts") {
    h.kind = HintKind::kTime;
    h.precision = s == "tus"   ? TimePrecision::kMicros
                  : s == "tms" ? TimePrecision::kMillis
                               : TimePrecision::kSeconds;
  } else if (s == "a") {
    h.kind = HintKind::kAscii;
  } else if (s == "b") {
    h.kind = HintKind::kBinary;
  } else if (s == "o") {
    h.kind = HintKind::kOctal;
  } else if (s == "x" || s == "X") {
    h.kind = HintKind::kHex;
    h.uppercase = s == "X";
  } else if (s == "iso8601ms" || s == "iso8601s") {
    h.kind = HintKind::kIso8601;
    h.precision = s == "iso8601ms" ? TimePrecision::kMillis : TimePrecision::kSeconds;
  } else if (s == "cbor") {
    h.kind = HintKind::kCbor;
  } else if (s == "?") {
    h.kind = HintKind::kDebug;
  } else {
    return std::nullopt;
  }
  return h;
}

struct ParsedParam {
  std::optional<std::uint32_t> index;
  Param param;
};

core::Result<ParsedParam> parse_param(std::string_view in) {
  ParsedParam out;
  std::size_t used = 0;
  if (const auto idx = leading_number(in, used)) {
    if (*idx > kMaxArgumentIndex) {
      return core::invalid_argument("argument index " + std::to_string(*idx) +
                                    " is over the limit");
    }
    out.index = static_cast<std::uint32_t>(*idx);
  } else if (used != 0) {
    return core::invalid_argument("invalid argument index");
  }
  in.remove_prefix(used);
  Param& p = out.param;
  if (in.starts_with('=')) {
    in.remove_prefix(1);
    const std::size_t type_end = std::min(in.find(':'), in.size());
    const std::string_view ty = in.substr(0, type_end);
    if (const auto t = simple_type(ty)) {
      p.type = *t;
    } else if (in.starts_with("[u8;")) {
      auto len = parse_array_length(ty.substr(4));
      if (!len) {
        return len.status();
      }
      p.type = Type::kU8Array;
      p.array_len = *len;
    } else if (in.starts_with("[?;")) {
      auto len = parse_array_length(ty.substr(3));
      if (!len) {
        return len.status();
      }
      p.type = Type::kFormatArray;
      p.array_len = *len;
    } else {
      std::size_t range_used = 0;
      if (!parse_range(ty, p.bit_start, p.bit_end, range_used)) {
        return core::invalid_argument("malformed format string (invalid type specifier `" +
                                      std::string(in) + "`)");
      }
      if (range_used != ty.size()) {
        return core::invalid_argument("trailing data after bitfield range");
      }
      p.type = Type::kBitField;
    }
    in.remove_prefix(type_end);
  }
  if (in.starts_with(':')) {
    in.remove_prefix(1);
    if (auto h = parse_hint(in)) {
      p.hint = std::move(*h);
    } else {
      p.hint.kind = HintKind::kUnknown;
      p.hint.text = std::string(in);
    }
    p.hint.raw = std::string(in);
  } else if (!in.empty()) {
    return core::invalid_argument("unexpected content \"" + std::string(in) +
                                  "\" in format string");
  }
  return out;
}

core::Status push_literal(std::vector<Fragment>& out, std::string_view s) {
  bool open = false;
  bool close = false;
  for (char c : s) {
    if (c == '{') {
      open = !open;
    } else if (c == '}') {
      close = !close;
    } else if (open) {
      return core::invalid_argument("unmatched `{` in format string");
    } else if (close) {
      return core::invalid_argument("unmatched `}` in format string");
    }
  }
  if (open) {
    return core::invalid_argument("unmatched `{` in format string");
  }
  if (close) {
    return core::invalid_argument("unmatched `}` in format string");
  }
  Fragment f;
  f.literal.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    f.literal.push_back(s[i]);
    if ((s[i] == '{' || s[i] == '}') && i + 1 < s.size() && s[i + 1] == s[i]) {
      ++i;
    }
  }
  out.push_back(std::move(f));
  return core::Status();
}

}  // namespace

std::string type_name(Type type) {
  switch (type) {
    case Type::kFormat:
      return "?";
    case Type::kFormatSlice:
      return "[?]";
    case Type::kFormatArray:
      return "[?;N]";
    case Type::kFormatSequence:
      return "__internal_FormatSequence";
    case Type::kDebug:
      return "__internal_Debug";
    case Type::kDisplay:
      return "__internal_Display";
    case Type::kBitField:
      return "bitfield";
    case Type::kBool:
      return "bool";
    case Type::kChar:
      return "char";
    case Type::kF32:
      return "f32";
    case Type::kF64:
      return "f64";
    case Type::kI8:
      return "i8";
    case Type::kI16:
      return "i16";
    case Type::kI32:
      return "i32";
    case Type::kI64:
      return "i64";
    case Type::kI128:
      return "i128";
    case Type::kIsize:
      return "isize";
    case Type::kU8:
      return "u8";
    case Type::kU16:
      return "u16";
    case Type::kU32:
      return "u32";
    case Type::kU64:
      return "u64";
    case Type::kU128:
      return "u128";
    case Type::kUsize:
      return "usize";
    case Type::kStr:
      return "str";
    case Type::kIStr:
      return "istr";
    case Type::kU8Slice:
      return "[u8]";
    case Type::kU8Array:
      return "[u8;N]";
  }
  return "?";
}

core::Result<Format> parse_format(std::string_view s) {
  Format out;
  std::size_t end_pos = 0;
  std::uint32_t next_index = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '{') {
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '{') {
      ++i;  // escaped `{{`
      continue;
    }
    if (i > end_pos) {
      if (auto st = push_literal(out.fragments, s.substr(end_pos, i - end_pos)); !st.ok()) {
        return st;
      }
    }
    const std::size_t close = s.find('}', i + 1);
    if (close == std::string_view::npos) {
      return core::invalid_argument("missing `}` in format string");
    }
    auto parsed = parse_param(s.substr(i + 1, close - i - 1));
    if (!parsed) {
      return parsed.status();
    }
    Fragment f;
    f.is_param = true;
    f.param = std::move(parsed->param);
    if (parsed->index) {
      f.param.index = *parsed->index;
    } else {
      if (next_index > kMaxArgumentIndex) {
        return core::invalid_argument("too many arguments in format string");
      }
      f.param.index = next_index++;
    }
    out.fragments.push_back(std::move(f));
    end_pos = close + 1;
    i = close;
  }
  if (end_pos < s.size()) {
    if (auto st = push_literal(out.fragments, s.substr(end_pos)); !st.ok()) {
      return st;
    }
  }

  // One wire parameter per argument index; types must agree; indices must be dense.
  std::vector<std::optional<Param>> args;
  for (const Fragment& f : out.fragments) {
    if (!f.is_param) {
      continue;
    }
    const Param& p = f.param;
    if (args.size() <= p.index) {
      args.resize(p.index + 1);
    }
    std::optional<Param>& slot = args[p.index];
    if (!slot) {
      slot = p;
      continue;
    }
    if (slot->type == Type::kBitField && p.type == Type::kBitField) {
      slot->bit_start = std::min(slot->bit_start, p.bit_start);
      slot->bit_end = std::max(slot->bit_end, p.bit_end);
      continue;
    }
    if (slot->type != p.type || slot->array_len != p.array_len) {
      return core::invalid_argument("conflicting types for argument " + std::to_string(p.index) +
                                    ": used as " + type_name(slot->type) + " and " +
                                    type_name(p.type));
    }
  }
  out.wire.reserve(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (!args[i]) {
      return core::invalid_argument("argument " + std::to_string(i) +
                                    " is not used in this format string");
    }
    out.wire.push_back(std::move(*args[i]));
    out.wire.back().hint = Hint{};  // the wire layout does not depend on hints
  }
  return out;
}

}  // namespace edgetrace::decoder::defmt
