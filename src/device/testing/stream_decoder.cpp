#include "testing/stream_decoder.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace edgetrace::device::testing {
namespace {

constexpr std::uint32_t kSiteMagic = 0x31535445u;
constexpr std::uint8_t kArgI32 = 1, kArgU32 = 2, kArgI64 = 3, kArgU64 = 4, kArgBool = 5,
                       kArgChar = 6, kArgF32 = 7, kArgF64 = 8, kArgCstr = 9, kArgStr = 10,
                       kArgBytes = 11;

std::uint16_t crc16(const std::vector<std::uint8_t>& data, std::size_t len) {
  std::uint16_t crc = 0xffff;
  for (std::size_t i = 0; i < len; ++i) {
    crc ^= static_cast<std::uint16_t>(data[i] << 8);
    for (int b = 0; b < 8; ++b) {
      crc = static_cast<std::uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
    }
  }
  return crc;
}

template <typename T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

struct Reader {
  const std::vector<std::uint8_t>& b;
  std::size_t pos = 0;
  bool ok = true;

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos >= b.size()) {
        ok = false;
        return 0;
      }
      const std::uint8_t byte = b[pos++];
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        return v;
      }
    }
    ok = false;
    return 0;
  }
  std::uint8_t byte() {
    if (pos >= b.size()) {
      ok = false;
      return 0;
    }
    return b[pos++];
  }
  std::vector<std::uint8_t> bytes(std::size_t n) {
    if (pos + n > b.size()) {
      ok = false;
      return {};
    }
    std::vector<std::uint8_t> out(b.begin() + static_cast<std::ptrdiff_t>(pos),
                                  b.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
    return out;
  }
};

std::string format_int(const Arg& a, char spec, bool alt) {
  const int width = (a.sig >> 4) == 0 ? 4 : (a.sig >> 4);
  const std::uint8_t cls = a.sig & 0x0f;
  const bool is_signed = cls == kArgI32 || cls == kArgI64;
  std::uint64_t bits = is_signed ? static_cast<std::uint64_t>(a.i) : a.u;
  if (width < 8) {
    bits &= (std::uint64_t{1} << (8 * width)) - 1;
  }
  std::string out;
  if (spec == 'x' || spec == 'X') {
    char buf[32];
    std::snprintf(buf, sizeof buf, spec == 'x' ? "%llx" : "%llX",
                  static_cast<unsigned long long>(bits));
    out = buf;
    if (alt) {
      out = "0x" + out;
    }
  } else if (spec == 'b') {
    do {
      out.insert(out.begin(), static_cast<char>('0' + (bits & 1)));
      bits >>= 1;
    } while (bits != 0);
    if (alt) {
      out = "0b" + out;
    }
  } else {
    out = is_signed ? std::to_string(a.i) : std::to_string(a.u);
  }
  return out;
}

std::string format_arg(const Arg& a, const std::string& spec) {
  const std::uint8_t cls = a.sig & 0x0f;
  const bool alt = !spec.empty() && spec[0] == '#';
  const char kind = spec.empty() ? '\0' : spec.back();
  switch (cls) {
    case kArgBool:
      return a.u ? "true" : "false";
    case kArgChar:
      return std::string(1, static_cast<char>(a.u));
    case kArgF32:
    case kArgF64: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", a.f);
      return buf;
    }
    case kArgCstr:
    case kArgStr:
      return a.bytes + (a.truncated ? "..." : "");
    case kArgBytes: {
      std::string out = "[";
      for (std::size_t i = 0; i < a.bytes.size(); ++i) {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%s%02x", i ? " " : "",
                      static_cast<unsigned>(static_cast<std::uint8_t>(a.bytes[i])));
        out += buf;
      }
      return out + (a.truncated ? " ...]" : "]");
    }
    default:
      return format_int(a, kind, alt);
  }
}

const char* kLevelNames[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};

}  // namespace

SiteTable SiteTable::from_memory(const std::uint8_t* begin, const std::uint8_t* end,
                                 std::uint64_t ids_base, int pointer_size) {
  SiteTable table;
  const std::size_t header = static_cast<std::size_t>(pointer_size) + 24;
  const std::uint8_t* p = begin;
  while (p + header <= end) {
    if (load<std::uint32_t>(p) != kSiteMagic) {
      p += 4;  // alignment padding between records
      continue;
    }
    Site s;
    s.line = load<std::uint32_t>(p + 4);
    const std::uint64_t id =
        pointer_size == 8 ? load<std::uint64_t>(p + 8) : load<std::uint32_t>(p + 8);
    const std::uint8_t* q = p + 8 + pointer_size;
    const std::uint16_t size = load<std::uint16_t>(q);
    s.kind = q[2];
    s.level = q[3];
    s.nargs = q[4];
    std::memcpy(s.sig, q + 5, 8);
    if (size < header || p + size > end) {
      break;
    }
    const char* text = reinterpret_cast<const char*>(p + header);
    const std::size_t text_len = size - header;
    s.file = std::string(text, strnlen(text, text_len));
    const std::size_t second = s.file.size() + 1;
    if (second < text_len) {
      s.text = std::string(text + second, strnlen(text + second, text_len - second));
    }
    s.tag = static_cast<std::uint32_t>(id - ids_base) + 8;
    table.sites_[s.tag] = s;
    p += (size + 3u) & ~std::size_t{3};
  }
  return table;
}

std::optional<SiteTable> SiteTable::from_elf(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open " + path;
    return std::nullopt;
  }
  std::vector<std::uint8_t> f((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
  if (f.size() < 52 ||
      std::memcmp(f.data(),
                  "\x7f"
                  "ELF",
                  4) != 0 ||
      f[5] != 1) {
    *error = path + ": not a little-endian ELF file";
    return std::nullopt;
  }
  const bool is64 = f[4] == 2;
  const std::uint64_t shoff = is64 ? load<std::uint64_t>(&f[0x28]) : load<std::uint32_t>(&f[0x20]);
  const std::uint16_t shentsize = load<std::uint16_t>(&f[is64 ? 0x3a : 0x2e]);
  const std::uint16_t shnum = load<std::uint16_t>(&f[is64 ? 0x3c : 0x30]);
  const std::uint16_t shstrndx = load<std::uint16_t>(&f[is64 ? 0x3e : 0x32]);
  if (shoff + std::uint64_t{shnum} * shentsize > f.size() || shstrndx >= shnum) {
    *error = path + ": section headers out of range";
    return std::nullopt;
  }
  struct Section {
    std::uint32_t name;
    std::uint64_t addr, offset, size;
  };
  auto section = [&](std::size_t i) {
    const std::uint8_t* h = &f[shoff + i * shentsize];
    Section s{};
    s.name = load<std::uint32_t>(h);
    if (is64) {
      s.addr = load<std::uint64_t>(h + 0x10);
      s.offset = load<std::uint64_t>(h + 0x18);
      s.size = load<std::uint64_t>(h + 0x20);
    } else {
      s.addr = load<std::uint32_t>(h + 0x0c);
      s.offset = load<std::uint32_t>(h + 0x10);
      s.size = load<std::uint32_t>(h + 0x14);
    }
    return s;
  };
  const Section strtab = section(shstrndx);
  std::optional<Section> ids, meta, note;
  for (std::size_t i = 0; i < shnum; ++i) {
    const Section s = section(i);
    if (strtab.offset + s.name >= f.size()) {
      continue;
    }
    const char* name = reinterpret_cast<const char*>(&f[strtab.offset + s.name]);
    if (std::strcmp(name, "edgetrace_ids") == 0) {
      ids = s;
    } else if (std::strcmp(name, "edgetrace_meta") == 0) {
      meta = s;
    } else if (std::strcmp(name, ".note.gnu.build-id") == 0) {
      note = s;
    }
  }
  if (!ids || !meta || meta->offset + meta->size > f.size()) {
    *error = path + ": no edgetrace_ids / edgetrace_meta sections";
    return std::nullopt;
  }
  SiteTable table =
      from_memory(&f[meta->offset], &f[meta->offset + meta->size], ids->addr, is64 ? 8 : 4);
  if (note && note->offset + note->size <= f.size() && note->size >= 16) {
    const std::uint8_t* n = &f[note->offset];
    const std::uint32_t descsz = load<std::uint32_t>(n + 4);
    if (16 + descsz <= note->size) {
      table.build_id_.assign(n + 16, n + 16 + descsz);
    }
  }
  return table;
}

std::vector<std::string> SiteTable::check() const {
  std::vector<std::string> problems;
  for (const auto& [tag, site] : sites_) {
    if (site.kind != 1) {
      continue;
    }
    int count = 0;
    bool bad = false;
    const std::string& f = site.text;
    for (std::size_t i = 0; i < f.size() && !bad; ++i) {
      if ((f[i] == '{' || f[i] == '}') && i + 1 < f.size() && f[i + 1] == f[i]) {
        ++i;
      } else if (f[i] == '}') {
        bad = true;
      } else if (f[i] == '{') {
        const std::size_t close = f.find('}', i);
        const std::string spec = close == std::string::npos ? "?" : f.substr(i + 1, close - i - 1);
        bad = !(spec.empty() || spec == ":x" || spec == ":X" || spec == ":b" || spec == ":#x" ||
                spec == ":#X" || spec == ":#b");
        ++count;
        i = close;
      }
    }
    const std::string where = site.file + ":" + std::to_string(site.line) + ": ";
    if (bad) {
      problems.push_back(where + "malformed format string \"" + f + "\"");
    } else if (count != site.nargs) {
      problems.push_back(where + std::to_string(count) + " placeholders but " +
                         std::to_string(site.nargs) + " arguments in \"" + f + "\"");
    }
  }
  return problems;
}

const Site* SiteTable::find(std::uint32_t tag) const {
  auto it = sites_.find(tag);
  return it == sites_.end() ? nullptr : &it->second;
}

std::optional<std::vector<std::uint8_t>> cobsr_decode(const std::vector<std::uint8_t>& in) {
  std::vector<std::uint8_t> out;
  std::size_t i = 0;
  while (i < in.size()) {
    const std::uint8_t code = in[i++];
    if (code == 0) {
      return std::nullopt;
    }
    const std::size_t take = code - 1u;
    if (i + take > in.size()) {  // COBS/R: the code byte was the last data byte
      out.insert(out.end(), in.begin() + static_cast<std::ptrdiff_t>(i), in.end());
      out.push_back(code);
      return out;
    }
    out.insert(out.end(), in.begin() + static_cast<std::ptrdiff_t>(i),
               in.begin() + static_cast<std::ptrdiff_t>(i + take));
    i += take;
    if (i < in.size() && code != 0xff) {
      out.push_back(0);
    }
  }
  return out;
}

std::vector<Frame> Deframer::feed(const std::vector<std::uint8_t>& bytes) {
  std::vector<Frame> frames;
  for (std::uint8_t b : bytes) {
    if (b != 0) {
      pending_.push_back(b);
      continue;
    }
    if (pending_.empty()) {
      continue;
    }
    auto raw = cobsr_decode(pending_);
    pending_.clear();
    if (!raw || raw->size() < 4 || (raw->back() & 0x80) == 0) {
      ++corrupt_;
      continue;
    }
    const std::size_t n = raw->size();
    const std::uint16_t got = static_cast<std::uint16_t>((*raw)[n - 3] | (*raw)[n - 2] << 8);
    std::vector<std::uint8_t> covered(raw->begin(), raw->end() - 3);
    covered.push_back(raw->back());
    if (crc16(covered, covered.size()) != got) {
      ++corrupt_;
      continue;
    }
    Frame f;
    f.seq = raw->back() & 0x7f;
    f.record.assign(raw->begin(), raw->end() - 3);
    // A device restarts its sequence at 0 with a handshake: not a loss.
    const bool restart = f.seq == 0 && !f.record.empty() && f.record[0] == 0;
    if (next_seq_ && !restart) {
      lost_ += static_cast<std::uint8_t>((f.seq - *next_seq_) & 0x7f);
    }
    next_seq_ = static_cast<std::uint8_t>((f.seq + 1) & 0x7f);
    frames.push_back(std::move(f));
  }
  return frames;
}

std::optional<Event> RecordDecoder::decode(const std::vector<std::uint8_t>& record,
                                           std::string* error) {
  Reader r{record};
  Event e;
  const std::uint64_t tag = r.varint();
  if (!r.ok) {
    *error = "empty record";
    return std::nullopt;
  }
  e.tag = static_cast<std::uint32_t>(tag);
  if (tag == 0) {
    e.kind = Event::Kind::kHandshake;
    if (r.byte() != 'E' || r.byte() != 'T') {
      *error = "bad handshake magic";
      return std::nullopt;
    }
    e.version = r.byte();
    if (e.version != 1) {
      *error = "unsupported wire version " + std::to_string(e.version);
      return std::nullopt;
    }
    now_ = r.varint();
    e.time = now_;
    e.tick_hz = static_cast<std::uint32_t>(r.varint());
    e.boot_counter = static_cast<std::uint32_t>(r.varint());
    e.dropped_total = static_cast<std::uint32_t>(r.varint());
    e.device_id = r.bytes(r.byte());
    e.build_id = r.bytes(r.byte());
  } else if (tag == 1) {
    e.kind = Event::Kind::kSpanExit;
    now_ += r.varint();
    e.time = now_;
    e.duration = r.varint();
    e.tag = static_cast<std::uint32_t>(r.varint());
    e.span_id = static_cast<std::uint32_t>(r.varint());
    e.parent_id = static_cast<std::uint32_t>(r.varint());
    e.root_id = static_cast<std::uint32_t>(r.varint());
    e.flags = r.byte();
    if (e.flags & 0x01) {
      e.trace_id = r.bytes(16);
    }
    if (e.flags & 0x02) {
      e.remote_parent = r.bytes(8);
    }
  } else if (tag == 2) {
    e.kind = Event::Kind::kDropped;
    now_ += r.varint();
    e.time = now_;
    e.dropped = static_cast<std::uint32_t>(r.varint());
  } else if (tag < 8) {
    *error = "reserved tag " + std::to_string(tag);
    return std::nullopt;
  } else {
    const Site* site = table_->find(e.tag);
    if (site == nullptr) {
      *error = "unknown call site " + std::to_string(tag);
      return std::nullopt;
    }
    now_ += r.varint();
    e.time = now_;
    if (site->kind == 2) {
      e.kind = Event::Kind::kSpanEnter;
      e.span_id = static_cast<std::uint32_t>(r.varint());
      e.parent_id = static_cast<std::uint32_t>(r.varint());
    } else {
      e.kind = Event::Kind::kLog;
      for (int i = 0; i < site->nargs && r.ok; ++i) {
        Arg a;
        a.sig = site->sig[i];
        switch (a.sig & 0x0f) {
          case kArgI32:
          case kArgI64: {
            const std::uint64_t z = r.varint();
            a.i = static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);
            break;
          }
          case kArgU32:
          case kArgU64:
            a.u = r.varint();
            break;
          case kArgBool:
          case kArgChar:
            a.u = r.byte();
            break;
          case kArgF32: {
            auto b = r.bytes(4);
            if (r.ok) {
              a.f = load<float>(b.data());
            }
            break;
          }
          case kArgF64: {
            auto b = r.bytes(8);
            if (r.ok) {
              a.f = load<double>(b.data());
            }
            break;
          }
          case kArgCstr:
          case kArgStr:
          case kArgBytes: {
            const std::uint64_t len = r.varint();
            a.truncated = len & 1;
            auto b = r.bytes(len >> 1);
            a.bytes.assign(b.begin(), b.end());
            break;
          }
          default:
            *error = "unknown argument type in the table";
            return std::nullopt;
        }
        e.args.push_back(std::move(a));
      }
    }
  }
  if (!r.ok) {
    *error = "record ends early";
    return std::nullopt;
  }
  if (r.pos != record.size()) {
    *error = "trailing bytes in record";
    return std::nullopt;
  }
  return e;
}

std::string hex(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  char buf[4];
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
    out += buf;
  }
  return out;
}

std::vector<std::uint8_t> from_hex(const std::string& text) {
  std::vector<std::uint8_t> out;
  int nibble = -1;
  for (char c : text) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;
    }
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(nibble << 4 | v));
      nibble = -1;
    }
  }
  return out;
}

std::string render(const Event& e, const SiteTable& table, bool with_time) {
  std::string out = with_time ? "@" + std::to_string(e.time) + " " : "";
  const Site* site = table.find(e.tag);
  auto site_name = [&] { return site ? site->text : "site#" + std::to_string(e.tag); };
  switch (e.kind) {
    case Event::Kind::kHandshake:
      return out + "handshake v" + std::to_string(e.version) + " hz=" + std::to_string(e.tick_hz) +
             " boot=" + std::to_string(e.boot_counter) + " device=" + hex(e.device_id) +
             " dropped=" + std::to_string(e.dropped_total) +
             " build-id=" + (e.build_id.empty() ? "none" : std::to_string(e.build_id.size()) + "B");
    case Event::Kind::kDropped:
      return out + "frames dropped: " + std::to_string(e.dropped);
    case Event::Kind::kSpanEnter:
      return out + "span enter " + site_name() + " id=" + std::to_string(e.span_id) +
             " parent=" + std::to_string(e.parent_id);
    case Event::Kind::kSpanExit: {
      std::string s = out + "span exit " + site_name() + " id=" + std::to_string(e.span_id) +
                      " parent=" + std::to_string(e.parent_id) +
                      " root=" + std::to_string(e.root_id) +
                      (with_time ? " duration=" + std::to_string(e.duration) : "");
      if (e.flags & 0x04) {
        s += " irq";
      }
      if (!e.trace_id.empty()) {
        s += " trace=" + hex(e.trace_id);
      }
      if (!e.remote_parent.empty()) {
        s += " remote-parent=" + hex(e.remote_parent);
      }
      return s;
    }
    case Event::Kind::kLog:
      break;
  }
  if (site == nullptr) {
    return out + "log site#" + std::to_string(e.tag);
  }
  out += std::string("[") + kLevelNames[site->level < 6 ? site->level : 0] + "] ";
  const std::string& fmt = site->text;
  std::size_t arg = 0;
  for (std::size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (fmt[i] == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (fmt[i] == '{') {
      const std::size_t close = fmt.find('}', i);
      if (close == std::string::npos) {
        out += fmt.substr(i);
        break;
      }
      std::string spec = fmt.substr(i + 1, close - i - 1);
      if (!spec.empty() && spec[0] == ':') {
        spec.erase(0, 1);
      }
      out += arg < e.args.size() ? format_arg(e.args[arg], spec) : "{?}";
      ++arg;
      i = close;
    } else {
      out += fmt[i];
    }
  }
  return out;
}

}  // namespace edgetrace::device::testing
