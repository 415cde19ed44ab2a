#include "edgetrace/decoder/edgetrace_decoder.hpp"

#include <array>
#include <charconv>
#include <cstring>
#include <limits>

namespace edgetrace::decoder {

namespace {

constexpr std::array<std::uint16_t, 256> make_crc_table() {
  std::array<std::uint16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    unsigned crc = i << 8;
    for (int b = 0; b < 8; ++b) {
      crc = (crc & 0x8000u) ? ((crc << 1) ^ 0x1021u) : (crc << 1);
    }
    t[i] = static_cast<std::uint16_t>(crc & 0xffffu);
  }
  return t;
}
constexpr std::array<std::uint16_t, 256> kCrcTable = make_crc_table();

inline std::uint16_t crc16_update(std::uint16_t crc, const std::uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    crc = static_cast<std::uint16_t>((crc << 8) ^ kCrcTable[((crc >> 8) ^ p[i]) & 0xffu]);
  }
  return crc;
}

__extension__ using Int128 = __int128;

constexpr const char* kArgNames[8] = {"arg0", "arg1", "arg2", "arg3",
                                      "arg4", "arg5", "arg6", "arg7"};

// Bounds-checked reader of one record.
struct Reader {
  const std::uint8_t* p;
  const std::uint8_t* end;
  bool ok = true;

  std::uint64_t varint() noexcept {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p == end) {
        ok = false;
        return 0;
      }
      const std::uint8_t b = *p++;
      if (shift == 63 && (b & 0xfe) != 0) {  // over 64 bits
        ok = false;
        return 0;
      }
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    ok = false;
    return 0;
  }
  std::uint8_t byte() noexcept {
    if (p == end) {
      ok = false;
      return 0;
    }
    return *p++;
  }
  const std::uint8_t* take(std::size_t n) noexcept {
    if (static_cast<std::size_t>(end - p) < n) {
      ok = false;
      p = end;
      return nullptr;
    }
    const std::uint8_t* at = p;
    p += n;
    return at;
  }
  bool at_end() const noexcept { return p == end; }
};

// A decoded argument before it becomes an Argument (keeps the raw bits for hex display).
struct RawArg {
  ArgClass cls = ArgClass::kI32;
  int width = 4;
  std::uint64_t bits = 0;  // integers (two's complement for signed), bool, char
  double f = 0;
  const std::uint8_t* data = nullptr;  // strings and bytes, borrowed from the frame
  std::size_t len = 0;
  bool truncated = false;
};

inline std::int64_t unzigzag(std::uint64_t z) noexcept {
  return static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_arg(std::string& out, const RawArg& a, char spec, bool alternate) {
  switch (a.cls) {
    case ArgClass::kBool:
      out += a.bits != 0 ? "true" : "false";
      return;
    case ArgClass::kChar:
      out += static_cast<char>(a.bits);
      return;
    case ArgClass::kF32:
    case ArgClass::kF64: {
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, a.f, std::chars_format::general, 6);
      out.append(buf, r.ptr);
      return;
    }
    case ArgClass::kCstr:
    case ArgClass::kStr:
      out.append(reinterpret_cast<const char*>(a.data), a.len);
      if (a.truncated) {
        out += "...";
      }
      return;
    case ArgClass::kBytes: {
      static constexpr char kDigits[] = "0123456789abcdef";
      out += '[';
      for (std::size_t i = 0; i < a.len; ++i) {
        if (i != 0) {
          out += ' ';
        }
        out += kDigits[a.data[i] >> 4];
        out += kDigits[a.data[i] & 0x0f];
      }
      out += a.truncated ? " ...]" : "]";
      return;
    }
    default:
      break;
  }
  const bool is_signed = a.cls == ArgClass::kI32 || a.cls == ArgClass::kI64;
  if (spec == '\0') {
    if (is_signed) {
      append_int(out, static_cast<std::int64_t>(a.bits));
    } else {
      append_uint(out, a.bits);
    }
    return;
  }
  std::uint64_t bits = a.bits;
  if (a.width < 8) {
    bits &= (std::uint64_t{1} << (8 * a.width)) - 1;
  }
  char buf[70];
  std::to_chars_result r{};
  if (spec == 'b') {
    if (alternate) {
      out += "0b";
    }
    r = std::to_chars(buf, buf + sizeof buf, bits, 2);
  } else {
    if (alternate) {
      out += "0x";
    }
    r = std::to_chars(buf, buf + sizeof buf, bits, 16);
    if (spec == 'X') {
      for (char* c = buf; c != r.ptr; ++c) {
        if (*c >= 'a' && *c <= 'f') {
          *c = static_cast<char>(*c - 'a' + 'A');
        }
      }
    }
  }
  out.append(buf, r.ptr);
}

void set_string(core::AttributeValue& v, const char* data, std::size_t len) {
  if (auto* s = std::get_if<std::string>(&v.variant())) {
    s->assign(data, len);
  } else {
    v.variant().emplace<std::string>(data, len);
  }
}

}  // namespace

StreamDecoder::StreamDecoder(std::shared_ptr<const EdgetraceTable> table, DecoderOptions options)
    : table_(std::move(table)), options_(std::move(options)) {
  if (options_.max_frame_bytes == 0) {
    options_.max_frame_bytes = kEdgetraceMaxFrameBytes;
  } else if (options_.max_frame_bytes < 8) {
    options_.max_frame_bytes = 8;
  }
  pending_.reserve(options_.max_frame_bytes);
  raw_.resize(options_.max_frame_bytes);
  record_.args.reserve(8);
}

void StreamDecoder::reset() noexcept {
  pending_.clear();
  synced_ = false;
  discarding_ = false;
  has_seq_ = false;
  next_seq_ = 0;
  now_ = 0;
  has_time_ = false;
  time_uncertain_ = false;
  skip_callsites_ = false;
  unsupported_ = false;
  has_handshake_ = false;
}

void StreamDecoder::finish(const RecordSink&) {
  // A frame cut off by the end of the stream: its bytes are counted, not decoded.
  if (!discarding_)
    counters_.bytes_skipped += pending_.size();
  pending_.clear();
  discarding_ = false;
}

void StreamDecoder::set_table(std::shared_ptr<const EdgetraceTable> table) {
  table_ = std::move(table);
  skip_callsites_ = false;
}

void StreamDecoder::set_table_resolver(TableResolver resolver) {
  resolver_ = std::move(resolver);
}

void StreamDecoder::set_anchor(std::uint64_t device_ticks, std::uint64_t unix_nanos,
                               std::uint64_t tick_hz) {
  anchored_ = true;
  anchor_ticks_ = device_ticks;
  anchor_nanos_ = unix_nanos;
  anchor_hz_ = tick_hz;
  anchor_boot_ = handshake_.boot_counter;
  anchor_boot_known_ = has_handshake_;
}

void StreamDecoder::clear_anchor() noexcept {
  anchored_ = false;
}

void StreamDecoder::problem(std::string_view what) {
  if (options_.on_problem) {
    options_.on_problem(what);
  }
}

void StreamDecoder::feed(std::span<const std::uint8_t> bytes, const RecordSink& sink) {
  counters_.bytes += bytes.size();
  const std::uint8_t* p = bytes.data();
  const std::uint8_t* const end = p + bytes.size();
  const std::size_t max = options_.max_frame_bytes;
  while (p != end) {
    const auto* zero =
        static_cast<const std::uint8_t*>(std::memchr(p, 0, static_cast<std::size_t>(end - p)));
    const std::uint8_t* stop = zero != nullptr ? zero : end;
    const std::size_t n = static_cast<std::size_t>(stop - p);
    if (discarding_) {
      counters_.bytes_skipped += n;
    } else if (pending_.empty() && zero != nullptr && n <= max) {
      // The whole frame is in this chunk: decode it in place.
      if (n != 0) {
        on_frame(p, n, !synced_, sink);
      }
    } else if (pending_.size() + n > max) {
      counters_.bytes_skipped += pending_.size() + n;
      if (synced_) {
        ++counters_.oversized_frames;
        ++counters_.corrupt_frames;
        problem("oversized frame (over " + std::to_string(max) + " bytes): skipped");
      }
      pending_.clear();
      discarding_ = true;
    } else {
      pending_.insert(pending_.end(), p, stop);
      if (zero != nullptr) {
        if (!pending_.empty()) {
          on_frame(pending_.data(), pending_.size(), !synced_, sink);
        }
        pending_.clear();
      }
    }
    if (zero == nullptr) {
      break;
    }
    discarding_ = false;
    synced_ = true;
    p = zero + 1;
  }
}

void StreamDecoder::on_frame(const std::uint8_t* in, std::size_t n, bool first,
                             const RecordSink& sink) {
  // COBS/R decode (docs/wire-format.md): the output is never longer than the input.
  std::uint8_t* out = raw_.data();
  std::size_t o = 0;
  std::size_t i = 0;
  bool structure_ok = true;
  while (i < n) {
    const std::uint8_t code = in[i++];
    if (code == 0) {
      structure_ok = false;
      break;
    }
    const std::size_t take = code - 1u;
    if (take > n - i) {  // COBS/R: the code byte was the last data byte
      std::memcpy(out + o, in + i, n - i);
      o += n - i;
      out[o++] = code;
      break;
    }
    std::memcpy(out + o, in + i, take);
    o += take;
    i += take;
    if (i < n && code != 0xff) {
      out[o++] = 0;
    }
  }
  const char* why = nullptr;
  if (!structure_ok) {
    why = "invalid COBS/R structure";
  } else if (o < 4) {
    why = "frame shorter than 4 bytes";
  } else if ((out[o - 1] & 0x80) == 0) {
    why = "sequence byte lacks bit 7";
  } else {
    std::uint16_t crc = crc16_update(0xffff, out, o - 3);
    crc = crc16_update(crc, out + o - 1, 1);
    const std::uint16_t got = static_cast<std::uint16_t>(out[o - 3] | out[o - 2] << 8);
    if (crc != got) {
      why = "CRC mismatch";
    }
  }
  if (why != nullptr) {
    if (first) {
      // The tail of a frame that started before we joined the stream.
      counters_.bytes_skipped += n;
    } else {
      ++counters_.corrupt_frames;
      if (options_.on_problem) {
        problem(std::string("corrupt frame (") + why + ", " + std::to_string(n) +
                " bytes): discarded");
      }
    }
    return;
  }
  ++counters_.frames;
  const std::uint8_t seq = out[o - 1] & 0x7f;
  const std::size_t record_size = o - 3;
  if (options_.accept_frame &&
      !options_.accept_frame(std::span<const std::uint8_t>(out, record_size), seq)) {
    ++counters_.duplicate_frames;
    return;
  }
  // A device restarts its sequence at 0 with a handshake: not a loss.
  const bool restart = seq == 0 && record_size > 0 && out[0] == 0;
  if (has_seq_ && !restart) {
    const std::uint8_t lost = static_cast<std::uint8_t>((seq - next_seq_) & 0x7f);
    if (lost != 0) {
      counters_.lost_frames += lost;
      time_uncertain_ = true;
      if (options_.on_problem) {
        problem(std::to_string(lost) + " frame(s) lost (sequence " + std::to_string(next_seq_) +
                " expected, " + std::to_string(seq) + " received)");
      }
    }
  }
  has_seq_ = true;
  next_seq_ = static_cast<std::uint8_t>((seq + 1) & 0x7f);
  if (options_.on_frame) {
    options_.on_frame(std::span<const std::uint8_t>(out, record_size), seq);
  }
  on_record(out, record_size, sink);
}

void StreamDecoder::decode_record(std::span<const std::uint8_t> record, const RecordSink& sink) {
  on_record(record.data(), record.size(), sink);
}

void StreamDecoder::stamp(Record& r) const {
  r.device_ticks = now_;
  r.has_ticks = has_time_;
  r.time_uncertain = time_uncertain_;
  r.tick_hz = has_handshake_ ? handshake_.tick_hz : 0;
  if (anchored_ && has_time_) {
    const std::uint64_t hz = anchor_hz_ != 0 ? anchor_hz_ : r.tick_hz;
    if (hz != 0) {
      const Int128 dticks = static_cast<Int128>(now_) - static_cast<Int128>(anchor_ticks_);
      const Int128 nanos =
          static_cast<Int128>(anchor_nanos_) + dticks * 1000000000 / static_cast<Int128>(hz);
      if (nanos >= 0 && nanos <= static_cast<Int128>(std::numeric_limits<std::uint64_t>::max())) {
        r.time_unix_nano = static_cast<std::uint64_t>(nanos);
      }
    }
  }
}

void StreamDecoder::on_record(const std::uint8_t* data, std::size_t size, const RecordSink& sink) {
  Reader r{data, data + size};
  Record& rec = record_;
  const std::uint64_t tag = r.varint();
  if (!r.ok) {
    ++counters_.malformed_records;
    problem("malformed record: empty or bad tag");
    return;
  }
  auto malformed = [this](const char* what, std::uint64_t t) {
    ++counters_.malformed_records;
    if (options_.on_problem) {
      problem(std::string("malformed record (tag ") + std::to_string(t) + "): " + what);
    }
  };

  if (tag == 0) {
    // Handshake: absolute time, tick rate, boot counter, device id, build-id.
    const std::uint8_t* magic = r.take(2);
    if (magic == nullptr || magic[0] != 'E' || magic[1] != 'T') {
      malformed("bad handshake magic", tag);
      return;
    }
    const std::uint8_t version = r.byte();
    if (!r.ok) {
      malformed("handshake ends early", tag);
      return;
    }
    if (version != 1) {
      ++counters_.unsupported_versions;
      unsupported_ = true;
      problem("unsupported wire version " + std::to_string(version) +
              " (this decoder reads version 1): records skipped until a version 1 handshake");
      return;
    }
    const std::uint64_t now = r.varint();
    const std::uint64_t hz = r.varint();
    const std::uint64_t boot = r.varint();
    const std::uint64_t dropped_total = r.varint();
    const std::uint8_t dev_len = r.byte();
    const std::uint8_t* dev = r.ok && dev_len <= 16 ? r.take(dev_len) : nullptr;
    const std::uint8_t id_len = r.byte();
    const std::uint8_t* id = r.ok && id_len <= 32 ? r.take(id_len) : nullptr;
    if (!r.ok || dev_len > 16 || id_len > 32) {
      malformed("handshake ends early or has an oversized id", tag);
      return;
    }
    if (!r.at_end()) {
      malformed("trailing bytes after the handshake", tag);
      return;
    }
    const bool new_boot = has_handshake_ && boot != handshake_.boot_counter;
    handshake_.version = version;
    handshake_.tick_hz = hz;
    handshake_.boot_counter = boot;
    handshake_.dropped_total = dropped_total;
    handshake_.device_id.assign(dev, dev + dev_len);
    handshake_.build_id.assign(id, id + id_len);
    has_handshake_ = true;
    unsupported_ = false;
    ++counters_.handshakes;
    now_ = now;
    has_time_ = true;
    time_uncertain_ = false;
    if (options_.wall_clock) {
      anchored_ = true;
      anchor_ticks_ = now;
      anchor_nanos_ = options_.wall_clock();
      anchor_hz_ = 0;
      anchor_boot_ = boot;
      anchor_boot_known_ = true;
    } else if (anchored_ && !anchor_boot_known_) {
      anchor_boot_ = boot;  // anchored before any handshake: it belongs to this boot
      anchor_boot_known_ = true;
    } else if (anchored_ && (new_boot || anchor_boot_ != boot)) {
      anchored_ = false;  // ticks restarted: the anchor no longer holds
    }
    auto differs = [&](const EdgetraceTable& t) {
      return !t.build_id().empty() && id_len != 0 &&
             (t.build_id().size() != id_len || std::memcmp(t.build_id().data(), id, id_len) != 0);
    };
    bool matches = true;
    if (table_ == nullptr || differs(*table_)) {
      std::shared_ptr<const EdgetraceTable> found;
      if (resolver_ && id_len != 0) {
        found = resolver_(std::span<const std::uint8_t>(id, id_len));
      }
      if (found != nullptr && !differs(*found)) {
        table_ = std::move(found);
      } else if (table_ != nullptr) {
        matches = false;
      }
    }
    handshake_.build_id_matches = matches;
    skip_callsites_ = !matches && !options_.decode_despite_build_id_mismatch;
    if (!matches) {
      ++counters_.build_id_mismatches;
      if (options_.on_problem) {
        problem("build-id mismatch: the stream announces " + to_hex(handshake_.build_id) +
                ", the table is for " + to_hex(table_->build_id()) +
                (skip_callsites_ ? ": call-site records are not decoded" : ""));
      }
    }
    rec.clear();
    rec.kind = RecordKind::kHandshake;
    stamp(rec);
    rec.handshake = handshake_;
    ++counters_.records;
    sink(rec);
    return;
  }

  if (unsupported_) {
    ++counters_.records_skipped;  // an unsupported version: no guessing
    return;
  }
  if (tag >= 3 && tag < 8) {
    malformed("reserved tag", tag);
    return;
  }
  const std::uint64_t dt = r.varint();
  if (!r.ok) {
    malformed("ends before its time delta", tag);
    time_uncertain_ = true;
    return;
  }
  now_ += dt;
  const EdgetraceTable* table = skip_callsites_ ? nullptr : table_.get();

  if (tag == 2) {
    const std::uint64_t count = r.varint();
    if (!r.ok || !r.at_end()) {
      malformed(r.ok ? "trailing bytes" : "ends early", tag);
      return;
    }
    rec.clear();
    rec.kind = RecordKind::kDropped;
    stamp(rec);
    rec.dropped = count;
    counters_.dropped_records += count;
    ++counters_.records;
    sink(rec);
    return;
  }

  if (tag == 1) {
    const std::uint64_t duration = r.varint();
    const std::uint64_t site_tag = r.varint();
    const std::uint64_t span = r.varint();
    const std::uint64_t parent = r.varint();
    const std::uint64_t root = r.varint();
    const std::uint8_t flags = r.byte();
    const std::uint8_t* trace = (flags & 0x01) != 0 ? r.take(16) : nullptr;
    const std::uint8_t* remote = (flags & 0x02) != 0 ? r.take(8) : nullptr;
    if (!r.ok || !r.at_end()) {
      malformed(r.ok ? "trailing bytes" : "ends early", tag);
      return;
    }
    rec.clear();
    rec.kind = RecordKind::kSpanExit;
    stamp(rec);
    rec.callsite_id = static_cast<std::uint32_t>(site_tag);
    rec.span_id = span;
    rec.parent_span_id = parent;
    rec.root_span_id = root;
    rec.span_flags = flags;
    rec.in_interrupt = (flags & 0x04) != 0;
    rec.end_ticks = now_;
    rec.start_ticks = now_ - duration;
    if (trace != nullptr) {
      rec.trace_id = core::TraceId(std::span<const std::uint8_t, 16>(trace, 16));
    }
    if (remote != nullptr) {
      core::SpanContext ctx;
      ctx.trace_id = rec.trace_id.value_or(core::TraceId());
      ctx.span_id = core::SpanId(std::span<const std::uint8_t, 8>(remote, 8));
      ctx.flags.bits = (flags & 0x08) != 0 ? core::TraceFlags::kSampled : 0;
      ctx.remote = true;
      rec.remote_parent = std::move(ctx);
    }
    if (table != nullptr) {
      if (const CallSite* site = table->find(site_tag)) {
        rec.span_name = site->text;
        rec.level = site->level;
        rec.location.file = site->file;
        rec.location.line = site->line;
      } else {
        ++counters_.unknown_callsites;
        if (options_.on_problem) {
          problem("span exit names unknown call site " + std::to_string(site_tag));
        }
      }
    }
    ++counters_.records;
    sink(rec);
    return;
  }

  // A call site.
  if (table == nullptr) {
    ++counters_.records_skipped;
    return;
  }
  const CallSite* site = table->find(tag);
  if (site == nullptr) {
    ++counters_.unknown_callsites;
    if (options_.on_problem) {
      problem("unknown call site " + std::to_string(tag) + " (index " + std::to_string(tag - 8) +
              "): not in the table");
    }
    return;
  }
  if (site->kind == CallSite::Kind::kSpan) {
    const std::uint64_t span = r.varint();
    const std::uint64_t parent = r.varint();
    if (!r.ok || !r.at_end()) {
      malformed(r.ok ? "trailing bytes" : "ends early", tag);
      return;
    }
    rec.clear();
    rec.kind = RecordKind::kSpanEnter;
    stamp(rec);
    rec.callsite_id = static_cast<std::uint32_t>(tag);
    rec.level = site->level;
    rec.span_id = span;
    rec.parent_span_id = parent;
    rec.start_ticks = now_;
    rec.span_name = site->text;
    rec.location.file = site->file;
    rec.location.line = site->line;
    ++counters_.records;
    sink(rec);
    return;
  }

  std::array<RawArg, 8> raw;
  std::uint64_t truncated = 0;
  for (std::size_t i = 0; i < site->arg_count; ++i) {
    RawArg& a = raw[i];
    a.cls = site->arg_class(i);
    a.width = site->arg_width(i);
    switch (a.cls) {
      case ArgClass::kI32:
      case ArgClass::kI64:
        a.bits = static_cast<std::uint64_t>(unzigzag(r.varint()));
        break;
      case ArgClass::kU32:
      case ArgClass::kU64:
        a.bits = r.varint();
        break;
      case ArgClass::kBool:
      case ArgClass::kChar:
        a.bits = r.byte();
        break;
      case ArgClass::kF32: {
        const std::uint8_t* b = r.take(4);
        if (b != nullptr) {
          float f;
          std::uint32_t u =
              static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
              static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
          std::memcpy(&f, &u, 4);
          a.f = f;
        }
        break;
      }
      case ArgClass::kF64: {
        const std::uint8_t* b = r.take(8);
        if (b != nullptr) {
          std::uint64_t u = 0;
          for (int k = 7; k >= 0; --k) {
            u = (u << 8) | b[k];
          }
          std::memcpy(&a.f, &u, 8);
        }
        break;
      }
      case ArgClass::kCstr:
      case ArgClass::kStr:
      case ArgClass::kBytes: {
        const std::uint64_t len = r.varint();
        a.truncated = (len & 1) != 0;
        a.len = static_cast<std::size_t>(len >> 1);
        a.data = r.ok && (len >> 1) <= size ? r.take(a.len) : nullptr;
        if (a.data == nullptr) {
          r.ok = false;
          a.len = 0;
        }
        truncated += a.truncated ? 1 : 0;
        break;
      }
    }
    if (!r.ok) {
      break;
    }
  }
  if (!r.ok || !r.at_end()) {
    malformed(r.ok ? "trailing bytes after the arguments" : "ends before its arguments", tag);
    return;
  }
  counters_.truncated_args += truncated;

  rec.clear();
  rec.kind = RecordKind::kLog;
  stamp(rec);
  rec.callsite_id = static_cast<std::uint32_t>(tag);
  rec.level = site->level;
  rec.format = site->text;
  rec.location.file = site->file;
  rec.location.line = site->line;
  rec.args.resize(site->arg_count);
  for (std::size_t i = 0; i < site->arg_count; ++i) {
    const RawArg& a = raw[i];
    Argument& out = rec.args[i];
    out.name = kArgNames[i];
    out.type = site->arg_type(i);
    out.truncated = a.truncated;
    out.hint.clear();
    auto& v = out.value.variant();
    switch (a.cls) {
      case ArgClass::kI32:
      case ArgClass::kI64:
        v.emplace<std::int64_t>(static_cast<std::int64_t>(a.bits));
        break;
      case ArgClass::kU32:
      case ArgClass::kU64:
        if (a.bits > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          char buf[24];
          auto res = std::to_chars(buf, buf + sizeof buf, a.bits);
          set_string(out.value, buf, static_cast<std::size_t>(res.ptr - buf));
        } else {
          v.emplace<std::int64_t>(static_cast<std::int64_t>(a.bits));
        }
        break;
      case ArgClass::kBool:
        v.emplace<bool>(a.bits != 0);
        break;
      case ArgClass::kChar: {
        const char c = static_cast<char>(a.bits);
        set_string(out.value, &c, 1);
        break;
      }
      case ArgClass::kF32:
      case ArgClass::kF64:
        v.emplace<double>(a.f);
        break;
      case ArgClass::kCstr:
      case ArgClass::kStr:
        set_string(out.value, reinterpret_cast<const char*>(a.data), a.len);
        break;
      case ArgClass::kBytes:
        if (auto* b = std::get_if<core::Bytes>(&v)) {
          b->assign(a.data, a.data + a.len);
        } else {
          v.emplace<core::Bytes>(a.data, a.data + a.len);
        }
        break;
    }
  }
  for (const FormatPiece& piece : site->pieces) {
    if (piece.arg >= 0 && piece.arg < site->arg_count && piece.spec != '\0') {
      Argument& out = rec.args[static_cast<std::size_t>(piece.arg)];
      if (piece.alternate) {
        out.hint += '#';
      }
      out.hint += piece.spec;
    }
  }
  if (options_.render) {
    std::string& m = rec.message;
    for (const FormatPiece& piece : site->pieces) {
      m += piece.literal;
      if (piece.arg < 0) {
        continue;
      }
      if (piece.arg < site->arg_count) {
        append_arg(m, raw[static_cast<std::size_t>(piece.arg)], piece.spec, piece.alternate);
      } else {
        m += "{?}";
      }
    }
  }
  ++counters_.records;
  sink(rec);
}

}  // namespace edgetrace::decoder
