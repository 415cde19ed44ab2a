#include "internal/segment.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace edgetrace::otlp::internal {
namespace {

void put16(std::uint8_t* p, std::uint16_t v) noexcept {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
void put32(std::uint8_t* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put64(std::uint8_t* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint16_t get16(const std::uint8_t* p) noexcept {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t get32(const std::uint8_t* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}
std::uint64_t get64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

// Offset of the next sync word at or after `from`, or bytes.size().
std::size_t find_sync(std::span<const std::uint8_t> bytes, std::size_t from) noexcept {
  if (from >= bytes.size())
    return bytes.size();
  auto it = std::search(bytes.begin() + static_cast<std::ptrdiff_t>(from), bytes.end(),
                        std::begin(kRecordSync), std::end(kRecordSync));
  return static_cast<std::size_t>(it - bytes.begin());
}

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> bytes) noexcept {
  // zlib takes uInt lengths; feed it in chunks so any span size is correct.
  uLong crc = ::crc32(0L, Z_NULL, 0);
  const std::uint8_t* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const uInt n = static_cast<uInt>(std::min<std::size_t>(left, 1u << 30));
    crc = ::crc32(crc, p, n);
    p += n;
    left -= n;
  }
  return static_cast<std::uint32_t>(crc);
}

std::vector<std::uint8_t> encode_segment_header(std::uint64_t segment_id) {
  std::vector<std::uint8_t> out(kSegmentHeaderSize);
  std::memcpy(out.data(), kSegmentMagic, 4);
  put16(out.data() + 4, kFormatVersion);
  put16(out.data() + 6, static_cast<std::uint16_t>(kSegmentHeaderSize));
  put64(out.data() + 8, segment_id);
  put32(out.data() + 16, crc32({out.data(), 16}));
  return out;
}

void encode_record_header(std::uint64_t sequence, std::uint8_t priority,
                          std::span<const std::uint8_t> payload,
                          std::uint8_t (&out)[kRecordHeaderSize]) noexcept {
  std::memcpy(out, kRecordSync, 4);
  put32(out + 4, static_cast<std::uint32_t>(payload.size()));
  put64(out + 8, sequence);
  out[16] = priority;
  out[17] = out[18] = out[19] = 0;
  put32(out + 20, crc32(payload));
  put32(out + 24, crc32({out, 24}));
}

std::optional<RecordHeader> decode_record_header(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < kRecordHeaderSize || std::memcmp(bytes.data(), kRecordSync, 4) != 0)
    return std::nullopt;
  const std::uint8_t* p = bytes.data();
  if (get32(p + 24) != crc32({p, 24}))
    return std::nullopt;
  RecordHeader h;
  h.payload_size = get32(p + 4);
  h.sequence = get64(p + 8);
  h.priority = p[16];
  h.payload_crc = get32(p + 20);
  if (h.payload_size > kMaxPayloadBytes)
    return std::nullopt;
  return h;
}

SegmentScan scan_segment(std::span<const std::uint8_t> bytes, std::uint64_t min_sequence) {
  SegmentScan scan;
  std::size_t pos = 0;
  if (bytes.size() >= kSegmentHeaderSize) {
    const std::uint8_t* p = bytes.data();
    if (std::memcmp(p, kSegmentMagic, 4) == 0 && get32(p + 16) == crc32({p, 16})) {
      scan.version = get16(p + 4);
      scan.segment_id = get64(p + 8);
      const std::uint16_t header_size = get16(p + 6);
      if (scan.version != kFormatVersion) {
        scan.header = SegmentScan::Header::kUnsupportedVersion;
        return scan;
      }
      scan.header = header_size == kSegmentHeaderSize ? SegmentScan::Header::kValid
                                                      : SegmentScan::Header::kCorrupt;
    } else {
      scan.header = SegmentScan::Header::kCorrupt;
    }
    pos = kSegmentHeaderSize;
  } else if (!bytes.empty()) {
    scan.header = SegmentScan::Header::kCorrupt;
    scan.torn_tail_bytes = bytes.size();
    return scan;
  }
  // With a damaged header the records may still be intact: look for them from byte 20.

  std::uint64_t next_min = min_sequence;
  std::size_t damage_start = bytes.size();  // start of the current damaged stretch, if any
  auto end_damage = [&](std::size_t at) {
    if (damage_start < at) {
      ++scan.corrupt_records;
      scan.corrupt_bytes += at - damage_start;
    }
    damage_start = bytes.size();
  };
  auto mark_damage = [&](std::size_t at) { damage_start = std::min(damage_start, at); };

  while (pos < bytes.size()) {
    if (bytes.size() - pos < kRecordHeaderSize) {
      mark_damage(pos);
      break;
    }
    std::optional<RecordHeader> h = decode_record_header(bytes.subspan(pos));
    if (!h) {
      mark_damage(pos);
      pos = find_sync(bytes, pos + 1);
      continue;
    }
    const std::size_t end = pos + kRecordHeaderSize + h->payload_size;
    if (end > bytes.size()) {
      // A valid header whose payload runs past the end: a write cut short.
      mark_damage(pos);
      break;
    }
    if (crc32(bytes.subspan(pos + kRecordHeaderSize, h->payload_size)) != h->payload_crc ||
        h->sequence < next_min) {
      // The header holds, so its length can be trusted to skip the whole record.
      end_damage(pos);
      ++scan.corrupt_records;
      scan.corrupt_bytes += end - pos;
      pos = end;
      continue;
    }
    end_damage(pos);
    scan.records.push_back({pos, h->sequence, h->payload_size, h->priority});
    next_min = h->sequence + 1;
    pos = end;
  }
  // Damage still open at the end of the bytes is the tail.
  if (damage_start < bytes.size())
    scan.torn_tail_bytes = bytes.size() - damage_start;
  return scan;
}

std::vector<std::uint8_t> encode_state(const QueueState& state) {
  std::vector<std::uint8_t> out(kStateFixedSize + 8 * state.dropped.size());
  std::uint8_t* p = out.data();
  std::memcpy(p, kStateMagic, 4);
  put16(p + 4, kFormatVersion);
  put16(p + 6, 0);
  put64(p + 8, state.generation);
  put64(p + 16, state.acked_sequence);
  put64(p + 24, state.next_sequence);
  put32(p + 32, static_cast<std::uint32_t>(state.dropped.size()));
  for (std::size_t i = 0; i < state.dropped.size(); ++i)
    put64(p + 36 + 8 * i, state.dropped[i]);
  const std::size_t body = out.size() - 4;
  put32(p + body, crc32({p, body}));
  return out;
}

std::optional<QueueState> decode_state(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kStateFixedSize || std::memcmp(bytes.data(), kStateMagic, 4) != 0)
    return std::nullopt;
  const std::uint8_t* p = bytes.data();
  if (get16(p + 4) != kFormatVersion)
    return std::nullopt;
  const std::uint32_t n = get32(p + 32);
  if (n > (bytes.size() - kStateFixedSize) / 8)
    return std::nullopt;
  const std::size_t body = 36 + 8 * static_cast<std::size_t>(n);
  if (get32(p + body) != crc32({p, body}))
    return std::nullopt;
  QueueState state;
  state.generation = get64(p + 8);
  state.acked_sequence = get64(p + 16);
  state.next_sequence = get64(p + 24);
  state.dropped.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i)
    state.dropped.push_back(get64(p + 36 + 8 * i));
  return state;
}

std::optional<QueueState> decode_state_file(std::span<const std::uint8_t> file) {
  const std::size_t slot = file.size() / 2;
  std::optional<QueueState> a = decode_state(file.first(slot));
  std::optional<QueueState> b = decode_state(file.subspan(slot, slot));
  if (a && b)
    return a->generation >= b->generation ? a : b;
  return a ? a : b;
}

std::size_t state_slot_size(std::size_t max_dropped) noexcept {
  const std::size_t bytes = kStateFixedSize + 8 * max_dropped;
  return (bytes + 511) / 512 * 512;
}

std::string segment_file_name(std::uint64_t segment_id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name(16, '0');
  for (int i = 15; i >= 0; --i) {
    name[static_cast<std::size_t>(i)] = kHex[segment_id & 0xF];
    segment_id >>= 4;
  }
  return name + ".seg";
}

std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) noexcept {
  if (name.size() != 20 || name.substr(16) != ".seg")
    return std::nullopt;
  std::uint64_t id = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    const char c = name[i];
    int digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else
      return std::nullopt;
    id = (id << 4) | static_cast<std::uint64_t>(digit);
  }
  return id;
}

}  // namespace edgetrace::otlp::internal
