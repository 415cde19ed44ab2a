// Reading defmt's interned-string table from a firmware ELF (see defmt.hpp).

#include <algorithm>
#include <cstring>
#include <map>
#include <string>

#include "edgetrace/core/utf8.hpp"
#include "edgetrace/decoder/defmt.hpp"

namespace edgetrace::decoder {

namespace {

constexpr std::string_view kVersionPrefix = "_defmt_version_ = ";
constexpr std::string_view kEncodingPrefix = "_defmt_encoding_ = ";
constexpr std::string_view kMarkerPrefix = "__DEFMT_MARKER";

// The value of a `_defmt_version_ = 4`-style symbol name (LLD keeps the linker script's
// quotes, so `"_defmt_version_ = 4"` is accepted too); nullopt for other names.
std::optional<std::string_view> metadata_value(std::string_view name, std::string_view prefix) {
  if (name.starts_with('"') && name.substr(1).starts_with(prefix)) {
    name.remove_prefix(1);
  }
  if (!name.starts_with(prefix)) {
    return std::nullopt;
  }
  name.remove_prefix(prefix.size());
  while (name.ends_with('"')) {
    name.remove_suffix(1);
  }
  return name;
}

// The fields of a defmt symbol name.
struct SymbolFields {
  std::string package;
  std::string tag;
  std::string data;
  std::string disambiguator;
  std::optional<std::string> crate_name;
};

// A small JSON reader for defmt's symbol names: one object whose values are strings (other
// value kinds are rejected; defmt writes none).
class JsonObjectReader {
 public:
  explicit JsonObjectReader(std::string_view text) : s_(text) {}

  core::Result<SymbolFields> read() {
    SymbolFields out;
    bool seen_package = false, seen_tag = false, seen_data = false, seen_dis = false;
    skip_ws();
    if (!eat('{')) {
      return fail("expected `{`");
    }
    skip_ws();
    if (!eat('}')) {
      for (;;) {
        std::string key, value;
        if (auto st = string(key); !st.ok()) {
          return st;
        }
        skip_ws();
        if (!eat(':')) {
          return fail("expected `:`");
        }
        skip_ws();
        if (peek() == 'n' && s_.substr(i_, 4) == "null") {
          i_ += 4;  // "crate_name": null
        } else if (auto st = string(value); !st.ok()) {
          return st;
        } else if (key == "package") {
          out.package = std::move(value), seen_package = true;
        } else if (key == "tag") {
          out.tag = std::move(value), seen_tag = true;
        } else if (key == "data") {
          out.data = std::move(value), seen_data = true;
        } else if (key == "disambiguator") {
          out.disambiguator = std::move(value), seen_dis = true;
        } else if (key == "crate_name") {
          out.crate_name = std::move(value);
        }
        skip_ws();
        if (eat('}')) {
          break;
        }
        if (!eat(',')) {
          return fail("expected `,` or `}`");
        }
        skip_ws();
      }
    }
    skip_ws();
    if (i_ != s_.size()) {
      return fail("trailing characters");
    }
    if (!seen_package || !seen_tag || !seen_data || !seen_dis) {
      return core::invalid_argument(
          "missing field (package, tag, data and disambiguator are required)");
    }
    return out;
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool eat(char c) {
    if (peek() == c && i_ < s_.size()) {
      ++i_;
      return true;
    }
    return false;
  }
  void skip_ws() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }
  core::Status fail(const char* what) const {
    return core::invalid_argument(std::string(what) + " at offset " + std::to_string(i_));
  }
  bool hex4(std::uint32_t& v) {
    if (s_.size() - i_ < 4) {
      return false;
    }
    v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }
  core::Status string(std::string& out) {
    if (!eat('"')) {
      return fail("expected a string");
    }
    for (;;) {
      if (i_ >= s_.size()) {
        return fail("unterminated string");
      }
      const char c = s_[i_++];
      if (c == '"') {
        return core::Status();
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return fail("control character in string");
      }
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (i_ >= s_.size()) {
        return fail("unterminated escape");
      }
      const char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) {
            return fail("bad \\u escape");
          }
          if (cp >= 0xD800 && cp < 0xDC00) {
            std::uint32_t lo = 0;
            if (!eat('\\') || !eat('u') || !hex4(lo) || lo < 0xDC00 || lo >= 0xE000) {
              return fail("unpaired surrogate");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            return fail("unpaired surrogate");
          }
          core::append_utf8(out, cp);
          break;
        }
        default:
          return fail("bad escape");
      }
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

std::optional<DefmtTag> tag_from_string(std::string_view tag) {
  struct Entry {
    std::string_view name;
    DefmtTag tag;
  };
  static constexpr Entry kTags[] = {
      {"defmt_prim", DefmtTag::kPrim},
      {"defmt_derived", DefmtTag::kDerived},
      {"defmt_bitflags", DefmtTag::kBitflags},
      {"defmt_write", DefmtTag::kWrite},
      {"defmt_timestamp", DefmtTag::kTimestamp},
      {"defmt_bitflags_value", DefmtTag::kBitflagsValue},
      {"defmt_str", DefmtTag::kStr},
      {"defmt_println", DefmtTag::kPrintln},
      {"defmt_trace", DefmtTag::kTrace},
      {"defmt_debug", DefmtTag::kDebug},
      {"defmt_info", DefmtTag::kInfo},
      {"defmt_warn", DefmtTag::kWarn},
      {"defmt_error", DefmtTag::kError},
  };
  for (const Entry& e : kTags) {
    if (e.name == tag) {
      return e.tag;
    }
  }
  return std::nullopt;
}

// Rust's u128::from_str: an optional '+', then decimal digits, no overflow.
std::optional<defmt::uint128> parse_u128(std::string_view s) {
  if (s.starts_with('+')) {
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return std::nullopt;
  }
  defmt::uint128 v = 0;
  constexpr defmt::uint128 kMax = ~defmt::uint128{0};
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    const auto digit = static_cast<unsigned>(c - '0');
    if (v > (kMax - digit) / 10) {
      return std::nullopt;
    }
    v = v * 10 + digit;
  }
  return v;
}

DefmtEntry::Variant parse_variant(std::string text) {
  DefmtEntry::Variant v;
  auto parsed = defmt::parse_format(text);
  if (parsed) {
    v.format = std::move(*parsed);
  } else {
    v.error = parsed.status().message();
  }
  v.text = std::move(text);
  return v;
}

DefmtEntry make_entry(DefmtTag tag, std::string string, std::string symbol) {
  DefmtEntry e;
  e.tag = tag;
  e.symbol = std::move(symbol);
  e.whole = parse_variant(string);
  const auto bars = static_cast<std::size_t>(std::count(string.begin(), string.end(), '|'));
  if (bars > 0 && tag != DefmtTag::kStr) {
    e.discriminant_size = bars <= 0xFF ? 1 : bars <= 0xFFFF ? 2 : 4;
    std::size_t start = 0;
    for (;;) {
      const std::size_t bar = string.find('|', start);
      e.variants.push_back(parse_variant(string.substr(start, bar - start)));
      if (bar == std::string::npos) {
        break;
      }
      start = bar + 1;
    }
  }
  e.string = std::move(string);
  return e;
}

}  // namespace

std::string_view to_string(DefmtEncoding encoding) noexcept {
  return encoding == DefmtEncoding::kRaw ? "raw" : "rzcobs";
}

core::Result<DefmtEncoding> parse_defmt_encoding(std::string_view text) {
  if (text == "rzcobs") {
    return DefmtEncoding::kRzcobs;
  }
  if (text == "raw") {
    return DefmtEncoding::kRaw;
  }
  return core::invalid_argument("unknown defmt encoding `" + std::string(text) +
                                "` (supported: rzcobs, raw)");
}

std::string_view to_string(DefmtTag tag) noexcept {
  switch (tag) {
    case DefmtTag::kPrim:
      return "defmt_prim";
    case DefmtTag::kDerived:
      return "defmt_derived";
    case DefmtTag::kBitflags:
      return "defmt_bitflags";
    case DefmtTag::kWrite:
      return "defmt_write";
    case DefmtTag::kStr:
      return "defmt_str";
    case DefmtTag::kTimestamp:
      return "defmt_timestamp";
    case DefmtTag::kBitflagsValue:
      return "defmt_bitflags_value";
    case DefmtTag::kPrintln:
      return "defmt_println";
    case DefmtTag::kTrace:
      return "defmt_trace";
    case DefmtTag::kDebug:
      return "defmt_debug";
    case DefmtTag::kInfo:
      return "defmt_info";
    case DefmtTag::kWarn:
      return "defmt_warn";
    case DefmtTag::kError:
      return "defmt_error";
  }
  return "defmt_unknown";
}

std::optional<core::Level> defmt_level(DefmtTag tag) noexcept {
  switch (tag) {
    case DefmtTag::kTrace:
      return core::Level::kTrace;
    case DefmtTag::kDebug:
      return core::Level::kDebug;
    case DefmtTag::kInfo:
      return core::Level::kInfo;
    case DefmtTag::kWarn:
      return core::Level::kWarn;
    case DefmtTag::kError:
      return core::Level::kError;
    default:
      return std::nullopt;
  }
}

void DefmtTable::add(std::uint16_t index, DefmtTag tag, std::string string, std::string symbol) {
  if (slots_.size() <= index) {
    slots_.resize(std::size_t{index} + 1, -1);
  }
  DefmtEntry e = make_entry(tag, std::move(string), std::move(symbol));
  if (slots_[index] >= 0) {
    entries_[static_cast<std::size_t>(slots_[index])] = std::move(e);
    return;
  }
  slots_[index] = static_cast<std::int32_t>(entries_.size());
  entries_.push_back(std::move(e));
}

void DefmtTable::set_location(std::uint16_t index, Location location) {
  if (index < slots_.size() && slots_[index] >= 0) {
    entries_[static_cast<std::size_t>(slots_[index])].location = std::move(location);
  }
}

void DefmtTable::set_timestamp(std::string format) {
  timestamp_ = make_entry(DefmtTag::kTimestamp, std::move(format), {});
}

void DefmtTable::add_bitflags_value(const std::string& key, std::string flag,
                                    defmt::uint128 value) {
  bitflags_[key].emplace_back(std::move(flag), value);
}

const std::vector<std::pair<std::string, defmt::uint128>>* DefmtTable::bitflags(
    std::string_view key) const {
  const auto it = bitflags_.find(std::string(key));
  return it == bitflags_.end() ? nullptr : &it->second;
}

std::vector<std::uint16_t> DefmtTable::log_indices() const {
  std::vector<std::uint16_t> out;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i] < 0) {
      continue;
    }
    const DefmtTag tag = entries_[static_cast<std::size_t>(slots_[i])].tag;
    if (defmt_level(tag) || tag == DefmtTag::kPrintln) {
      out.push_back(static_cast<std::uint16_t>(i));
    }
  }
  return out;
}

std::size_t DefmtTable::memory_bytes() const noexcept {
  std::size_t n = sizeof(*this) + slots_.capacity() * sizeof(std::int32_t);
  for (const DefmtEntry& e : entries_) {
    n += sizeof(e) + e.string.capacity() + e.symbol.capacity() + e.whole.text.capacity() +
         e.whole.format.fragments.size() * (sizeof(defmt::Fragment) + 16) +
         e.whole.format.wire.size() * sizeof(defmt::Param);
    for (const auto& v : e.variants) {
      n += sizeof(v) + v.text.capacity() + v.format.fragments.size() * sizeof(defmt::Fragment);
    }
  }
  return n;
}

bool has_defmt_table(const ElfFile& elf) {
  if (elf.find_section(".defmt") != nullptr) {
    return true;
  }
  bool found = false;
  elf.for_each_symbol([&](const ElfSymbol& s) {
       if (!found && metadata_value(s.name, kVersionPrefix)) {
         found = true;
       }
     })
      .ignore();
  return found;
}

core::Result<DefmtTable> DefmtTable::from_elf(const ElfFile& elf) {
  const std::string& file = elf.name();
  // First pass: the version and encoding symbols.
  std::optional<std::string> version;
  std::optional<std::string> encoding;
  core::Status meta_error;
  core::Status st = elf.for_each_symbol([&](const ElfSymbol& s) {
    if (!meta_error.ok()) {
      return;
    }
    if (auto v = metadata_value(s.name, kVersionPrefix)) {
      if (version && *version != *v) {
        meta_error = core::invalid_argument(file + ": multiple defmt versions in use: " + *version +
                                            " and " + std::string(*v) + " (only one is supported)");
      }
      version = std::string(*v);
    } else if (auto e = metadata_value(s.name, kEncodingPrefix)) {
      if (encoding && *encoding != *e) {
        meta_error = core::invalid_argument(file + ": multiple defmt encodings: " + *encoding +
                                            " and " + std::string(*e));
      }
      encoding = std::string(*e);
    }
  });
  if (!st.ok()) {
    return st.with_context(file);
  }
  if (!meta_error.ok()) {
    return meta_error;
  }
  const ElfSection* section = elf.find_section(".defmt");
  if (section == nullptr && !version) {
    return core::not_found(file + ": no defmt table (no `.defmt` section and no " +
                           "`_defmt_version_` symbol); is this a defmt firmware?");
  }
  if (section == nullptr) {
    return core::invalid_argument(file +
                                  ": defmt version found, but no `.defmt` section - check "
                                  "the linker configuration (defmt.x)");
  }
  if (!version) {
    return core::invalid_argument(file +
                                  ": `.defmt` section found, but no `_defmt_version_` symbol "
                                  "- check the linker configuration (defmt.x)");
  }
  if (*version != kSupportedVersion) {
    return core::Status(core::StatusCode::kFailedPrecondition,
                        file + ": defmt version " + *version +
                            " is not supported; this decoder reads defmt wire format version " +
                            std::string(kSupportedVersion) + " (defmt 0.3.4 and later)");
  }
  DefmtEncoding enc = DefmtEncoding::kRzcobs;  // defmt's default when the symbol is absent
  if (encoding) {
    auto parsed = parse_defmt_encoding(*encoding);
    if (!parsed) {
      return parsed.status().with_context(file);
    }
    enc = *parsed;
  }

  DefmtTable table(enc);
  table.version_ = *version;
  core::Status error;
  bool has_timestamp = false;
  struct PendingFlag {
    defmt::uint128 index;
    std::string name;
    defmt::uint128 value;
  };
  std::map<std::string, std::vector<PendingFlag>> flags;
  st = elf.for_each_symbol([&](const ElfSymbol& s) {
    if (!error.ok() || s.name.empty() || s.section != ".defmt") {
      return;
    }
    if (metadata_value(s.name, kVersionPrefix) || metadata_value(s.name, kEncodingPrefix) ||
        s.name.starts_with(kMarkerPrefix)) {
      return;
    }
    if (!s.name.starts_with('{')) {
      error = core::invalid_argument(file + ": defmt symbol `" + std::string(s.name) +
                                     "` is not a JSON object (mangled names are defmt wire "
                                     "format version 5, not supported)");
      return;
    }
    auto fields = JsonObjectReader(s.name).read();
    if (!fields) {
      error = core::invalid_argument(file + ": malformed defmt symbol `" + std::string(s.name) +
                                     "`: " + fields.status().message());
      return;
    }
    const auto tag = tag_from_string(fields->tag);
    if (!tag) {
      return;  // another tool's symbol (any tag defmt does not know is ignored)
    }
    if (*tag == DefmtTag::kTimestamp) {
      if (has_timestamp) {
        error = core::invalid_argument(file + ": multiple timestamp format specifications found");
        return;
      }
      has_timestamp = true;
      table.set_timestamp(std::move(fields->data));
      table.timestamp_->symbol = std::string(s.name);
      return;
    }
    if (*tag == DefmtTag::kBitflagsValue) {
      // A flag's value: 16 little-endian bytes at the symbol, NAME::INDEX::FLAG in `data`.
      const std::uint64_t off = s.value - section->address;
      if (s.size != 16 || s.value < section->address || section->data.size() < 16 ||
          off > section->data.size() - 16) {
        error = core::invalid_argument(file + ": bitflags value `" + fields->data +
                                       "` is not 16 bytes inside the .defmt section");
        return;
      }
      // defmt::bitflags! writes `NAME::IDX::FLAG` (macros/src/items/bitflags.rs);
      // defmt-decoder requires exactly these three parts, IDX a u128
      // (decoder/src/elf2table/mod.rs).
      const std::string& data = fields->data;
      const std::size_t sep1 = data.find("::");
      const std::size_t sep2 =
          sep1 == std::string::npos ? std::string::npos : data.find("::", sep1 + 2);
      if (sep2 == std::string::npos || data.find("::", sep2 + 2) != std::string::npos) {
        error = core::invalid_argument(file + ": malformed bitflags value string '" + data +
                                       "' (defmt writes NAME::INDEX::FLAG)");
        return;
      }
      const auto flag_index = parse_u128(std::string_view(data).substr(sep1 + 2, sep2 - sep1 - 2));
      if (!flag_index) {
        error = core::invalid_argument(file + ": malformed bitflags value string '" + data +
                                       "': its index is not a number");
        return;
      }
      defmt::uint128 v = 0;
      for (int k = 15; k >= 0; --k) {
        v = (v << 8) | section->data[off + static_cast<std::size_t>(k)];
      }
      std::string key = data.substr(0, sep1) + "@" + fields->package + "@" + fields->disambiguator;
      if (fields->crate_name) {
        key += "@" + *fields->crate_name;
      }
      flags[key].push_back(PendingFlag{*flag_index, data.substr(sep2 + 2), v});
      return;
    }
    if (s.value > 0xFFFF) {
      return;  // a u16 wire index can never name it
    }
    table.add(static_cast<std::uint16_t>(s.value), *tag, std::move(fields->data),
              std::string(s.name));
  });
  if (!st.ok()) {
    return st.with_context(file);
  }
  if (!error.ok()) {
    return error;
  }
  // The values' symbols come in no particular order; defmt-decoder lists a type's flags
  // by their index in the definition (a stable sort).
  for (auto& [key, values] : flags) {
    std::stable_sort(values.begin(), values.end(),
                     [](const PendingFlag& a, const PendingFlag& b) { return a.index < b.index; });
    for (PendingFlag& f : values) {
      table.add_bitflags_value(key, std::move(f.name), f.value);
    }
  }
  for (auto& [index, location] : read_defmt_locations(elf, table)) {
    table.set_location(index, std::move(location));
  }
  return table;
}

}  // namespace edgetrace::decoder
