#include "edgetrace/decoder/edgetrace_table.hpp"

#include <algorithm>
#include <cstring>

namespace edgetrace::decoder {

namespace {

constexpr std::uint32_t kSiteMagic = 0x31535445u;  // "ETS1"

bool valid_class(std::uint8_t sig) {
  const std::uint8_t cls = sig & 0x0f;
  return cls >= 1 && cls <= 11;
}

std::size_t string_heap(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

}  // namespace

int CallSite::arg_width(std::size_t i) const noexcept {
  const int declared = signature[i] >> 4;
  switch (arg_class(i)) {
    case ArgClass::kI32:
    case ArgClass::kU32:
      return declared == 1 || declared == 2 ? declared : 4;
    case ArgClass::kI64:
    case ArgClass::kU64:
      return 8;
    default:
      return declared == 0 ? 4 : declared;
  }
}

const char* CallSite::arg_type(std::size_t i) const noexcept {
  switch (arg_class(i)) {
    case ArgClass::kI32: {
      const int w = arg_width(i);
      return w == 1 ? "i8" : w == 2 ? "i16" : "i32";
    }
    case ArgClass::kU32: {
      const int w = arg_width(i);
      return w == 1 ? "u8" : w == 2 ? "u16" : "u32";
    }
    case ArgClass::kI64:
      return "i64";
    case ArgClass::kU64:
      return "u64";
    case ArgClass::kBool:
      return "bool";
    case ArgClass::kChar:
      return "char";
    case ArgClass::kF32:
      return "f32";
    case ArgClass::kF64:
      return "f64";
    case ArgClass::kCstr:
    case ArgClass::kStr:
      return "str";
    case ArgClass::kBytes:
      return "bytes";
  }
  return "unknown";
}

bool parse_format(const std::string& f, std::vector<FormatPiece>& pieces, int& count) {
  pieces.clear();
  count = 0;
  FormatPiece current;
  bool ok = true;
  for (std::size_t i = 0; i < f.size(); ++i) {
    const char c = f[i];
    if ((c == '{' || c == '}') && i + 1 < f.size() && f[i + 1] == c) {
      current.literal += c;
      ++i;
      continue;
    }
    if (c == '}') {
      ok = false;
      current.literal += c;
      continue;
    }
    if (c != '{') {
      current.literal += c;
      continue;
    }
    const std::size_t close = f.find('}', i);
    if (close == std::string::npos) {
      ok = false;
      current.literal.append(f, i, std::string::npos);
      break;
    }
    const std::string spec = f.substr(i + 1, close - i - 1);
    char kind = '\0';
    bool alternate = false;
    if (spec == ":x" || spec == ":X" || spec == ":b") {
      kind = spec[1];
    } else if (spec == ":#x" || spec == ":#X" || spec == ":#b") {
      kind = spec[2];
      alternate = true;
    } else if (!spec.empty()) {
      ok = false;
      current.literal.append(f, i, close - i + 1);
      i = close;
      continue;
    }
    current.arg = count++;
    current.spec = kind;
    current.alternate = alternate;
    pieces.push_back(std::move(current));
    current = FormatPiece{};
    i = close;
  }
  if (!current.literal.empty() || pieces.empty()) {
    pieces.push_back(std::move(current));
  }
  return ok;
}

core::Result<EdgetraceTable> EdgetraceTable::from_elf(const ElfFile& elf) {
  const ElfSection* meta = elf.find_section("edgetrace_meta");
  if (meta == nullptr) {
    return core::not_found(elf.name() +
                           ": ELF has no edgetrace call-site table (section edgetrace_meta "
                           "missing)");
  }
  const ElfSection* ids = elf.find_section("edgetrace_ids");
  if (ids == nullptr) {
    return core::not_found(elf.name() +
                           ": ELF has no edgetrace call-site table (section edgetrace_ids "
                           "missing)");
  }
  if (meta->data.size() != meta->size) {
    return core::invalid_argument(elf.name() +
                                  ": malformed call-site table: section edgetrace_meta has no "
                                  "contents in the file");
  }
  return from_sections(meta->data, ids->address, ids->size, elf.pointer_size(),
                       elf.is_little_endian(), elf.build_id().value_or(std::vector<std::uint8_t>{}),
                       elf.name());
}

core::Result<EdgetraceTable> EdgetraceTable::from_sections(
    std::span<const std::uint8_t> meta, std::uint64_t ids_address, std::uint64_t ids_size,
    std::size_t pointer_size, bool little_endian, std::vector<std::uint8_t> build_id,
    const std::string& name) {
  if (pointer_size != 4 && pointer_size != 8) {
    return core::invalid_argument(name + ": pointer size " + std::to_string(pointer_size));
  }
  auto read = [little_endian](const std::uint8_t* p, std::size_t n) {
    std::uint64_t v = 0;
    if (little_endian) {
      for (std::size_t i = n; i-- > 0;) {
        v = (v << 8) | p[i];
      }
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        v = (v << 8) | p[i];
      }
    }
    return v;
  };
  auto malformed = [&name](std::size_t offset, const std::string& what) {
    return core::invalid_argument(name + ": malformed call-site table: record at offset " +
                                  std::to_string(offset) + " of edgetrace_meta: " + what);
  };
  const std::size_t header = 24 + pointer_size;
  std::vector<CallSite> sites;
  std::size_t pos = 0;
  while (meta.size() - pos >= 4) {
    if (read(meta.data() + pos, 4) != kSiteMagic) {
      pos += 4;  // alignment padding between records
      continue;
    }
    if (meta.size() - pos < header) {
      return core::invalid_argument(name + ": truncated call-site table: record at offset " +
                                    std::to_string(pos) + " has " +
                                    std::to_string(meta.size() - pos) + " of its " +
                                    std::to_string(header) + " header bytes");
    }
    const std::uint8_t* p = meta.data() + pos;
    CallSite s;
    s.line = static_cast<std::uint32_t>(read(p + 4, 4));
    const std::uint64_t anchor = read(p + 8, pointer_size);
    const std::uint8_t* q = p + 8 + pointer_size;
    const std::size_t size = static_cast<std::size_t>(read(q, 2));
    if (size < header) {
      return malformed(pos, "size " + std::to_string(size) + " is smaller than its header");
    }
    if (size > meta.size() - pos) {
      return core::invalid_argument(name + ": truncated call-site table: record at offset " +
                                    std::to_string(pos) + " claims " + std::to_string(size) +
                                    " bytes, " + std::to_string(meta.size() - pos) + " left");
    }
    if (q[2] != 1 && q[2] != 2) {
      return malformed(pos, "unknown kind " + std::to_string(q[2]));
    }
    s.kind = static_cast<CallSite::Kind>(q[2]);
    if (q[3] > 5) {
      return malformed(pos, "unknown level " + std::to_string(q[3]));
    }
    s.level = static_cast<core::Level>(q[3]);
    s.arg_count = q[4];
    if (s.arg_count > 8) {
      return malformed(pos, std::to_string(s.arg_count) + " arguments (at most 8)");
    }
    std::memcpy(s.signature.data(), q + 5, 8);
    for (std::size_t i = 0; i < s.arg_count; ++i) {
      if (!valid_class(s.signature[i])) {
        return malformed(pos, "argument " + std::to_string(i) + " has unknown class " +
                                  std::to_string(s.signature[i] & 0x0f));
      }
    }
    if (anchor < ids_address || anchor - ids_address >= ids_size) {
      return malformed(pos,
                       "anchor address " + std::to_string(anchor) + " is outside edgetrace_ids");
    }
    const std::uint64_t index = anchor - ids_address;
    if (index >= kMaxSites) {
      return malformed(pos, "call-site index " + std::to_string(index) + " over the limit");
    }
    s.tag = static_cast<std::uint32_t>(index + 8);
    const char* text = reinterpret_cast<const char*>(p + header);
    const std::size_t text_len = size - header;
    const std::size_t file_len = strnlen(text, text_len);
    if (file_len == text_len) {
      return malformed(pos, "file name is not terminated");
    }
    s.file.assign(text, file_len);
    const std::size_t second = file_len + 1;
    s.text.assign(text + second, strnlen(text + second, text_len - second));
    sites.push_back(std::move(s));
    pos += (size + 3u) & ~std::size_t{3};
    if (pos > meta.size()) {
      break;
    }
  }
  return from_sites(std::move(sites), std::move(build_id));
}

core::Result<EdgetraceTable> EdgetraceTable::from_sites(std::vector<CallSite> sites,
                                                        std::vector<std::uint8_t> build_id) {
  std::sort(sites.begin(), sites.end(),
            [](const CallSite& a, const CallSite& b) { return a.tag < b.tag; });
  EdgetraceTable table;
  std::uint32_t max_tag = 0;
  for (std::size_t i = 0; i < sites.size(); ++i) {
    CallSite& s = sites[i];
    if (s.tag < 8 || s.tag - 8u >= kMaxSites) {
      return core::invalid_argument("call-site tag " + std::to_string(s.tag) + " out of range");
    }
    if (i > 0 && sites[i - 1].tag == s.tag) {
      return core::invalid_argument("malformed call-site table: two records for call site " +
                                    std::to_string(s.tag - 8) + " (" + sites[i - 1].file + ":" +
                                    std::to_string(sites[i - 1].line) + " and " + s.file + ":" +
                                    std::to_string(s.line) + ")");
    }
    if (s.arg_count > 8) {
      return core::invalid_argument("call site " + std::to_string(s.tag - 8) +
                                    ": more than 8 arguments");
    }
    for (std::size_t a = 0; a < s.arg_count; ++a) {
      if (!valid_class(s.signature[a])) {
        return core::invalid_argument("call site " + std::to_string(s.tag - 8) +
                                      ": unknown argument class");
      }
    }
    if (s.kind == CallSite::Kind::kLog) {
      s.format_ok = parse_format(s.text, s.pieces, s.placeholder_count);
    } else {
      s.pieces.clear();
      s.placeholder_count = 0;
      s.format_ok = true;
    }
    max_tag = s.tag;
  }
  table.slots_.assign(sites.empty() ? 0 : max_tag - 7u, 0);
  for (std::size_t i = 0; i < sites.size(); ++i) {
    table.slots_[sites[i].tag - 8] = static_cast<std::uint32_t>(i + 1);
  }
  table.sites_ = std::move(sites);
  table.build_id_ = std::move(build_id);
  return table;
}

std::vector<std::string> EdgetraceTable::check() const {
  std::vector<std::string> problems;
  for (const CallSite& site : sites_) {
    if (site.kind != CallSite::Kind::kLog) {
      continue;
    }
    const std::string where = site.file + ":" + std::to_string(site.line) + ": ";
    if (!site.format_ok) {
      problems.push_back(where + "malformed format string \"" + site.text + "\"");
    } else if (site.placeholder_count != site.arg_count) {
      problems.push_back(where + std::to_string(site.placeholder_count) + " placeholders but " +
                         std::to_string(site.arg_count) + " arguments in \"" + site.text + "\"");
    }
  }
  return problems;
}

std::size_t EdgetraceTable::memory_bytes() const noexcept {
  std::size_t total = sizeof(*this) + sites_.capacity() * sizeof(CallSite) +
                      slots_.capacity() * sizeof(std::uint32_t) + build_id_.capacity();
  for (const CallSite& s : sites_) {
    total += string_heap(s.file) + string_heap(s.text) + s.pieces.capacity() * sizeof(FormatPiece);
    for (const FormatPiece& piece : s.pieces) {
      total += string_heap(piece.literal);
    }
  }
  return total;
}

}  // namespace edgetrace::decoder
