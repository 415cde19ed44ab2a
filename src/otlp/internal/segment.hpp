// The durable queue's on-disk format: segment headers, record frames, the state file,
// and a scanner that finds every valid record in a segment's bytes and resynchronises
// after corruption. docs/durable-queue.md describes the same format byte by byte.
//
//   std::vector<std::uint8_t> bytes = read_whole_file(path);
//   SegmentScan scan = scan_segment(bytes, /*min_sequence=*/1);
//   for (const ScannedRecord& r : scan.records) use(r.sequence, r.offset, r.payload_size);
//
// Everything here is a pure function over bytes: no I/O, no locking. Thread-safety: none
// needed. Allocation: the encoders return fresh vectors; the scanner allocates its result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace edgetrace::otlp::internal {

// --- segment file ------------------------------------------------------------------------
// 0  4  magic "ETQS"
// 4  2  format version (little-endian), kFormatVersion
// 6  2  header size in bytes, kSegmentHeaderSize
// 8  8  segment id (little-endian); the file is named %016x of this id + ".seg"
// 16 4  CRC-32 (IEEE, as zlib's crc32) of bytes 0..15
inline constexpr std::uint8_t kSegmentMagic[4] = {'E', 'T', 'Q', 'S'};
inline constexpr std::uint16_t kFormatVersion = 1;
inline constexpr std::size_t kSegmentHeaderSize = 20;

// --- record frame ------------------------------------------------------------------------
// 0  4  sync word E7 51 0D 9A (chosen to be rare in text and protobuf)
// 4  4  payload length (little-endian), at most kMaxPayloadBytes
// 8  8  sequence number (little-endian), strictly increasing through the queue's life
// 16 1  priority (higher = more important)
// 17 3  reserved, written as zero, ignored when read
// 20 4  CRC-32 of the payload
// 24 4  CRC-32 of bytes 0..23
// 28 n  payload
inline constexpr std::uint8_t kRecordSync[4] = {0xE7, 0x51, 0x0D, 0x9A};
inline constexpr std::size_t kRecordHeaderSize = 28;
// A length field above this is treated as corruption even when its header checksum holds.
inline constexpr std::uint32_t kMaxPayloadBytes = 64u << 20;

// --- state file ("queue.state") ------------------------------------------------------------
// Two slots of equal size (the file is 2 * slot bytes); generation g is written in place to
// slot g % 2, so the slot not being written always holds the previous complete state. The
// reader takes the valid slot with the higher generation. A slot:
// 0    4  magic "ETQA"
// 4    2  format version, kFormatVersion
// 6    2  zero
// 8    8  generation, +1 per write
// 16   8  acknowledged sequence: every record with a sequence <= this is done
// 24   8  next sequence to assign (a hint; the scan of the segments may raise it)
// 32   4  n, the number of dropped sequences that follow
// 36   8n dropped sequences (records evicted by the drop policy but still in a segment)
// 36+8n 4 CRC-32 of the slot's bytes before it; the rest of the slot is ignored
inline constexpr std::uint8_t kStateMagic[4] = {'E', 'T', 'Q', 'A'};
inline constexpr std::size_t kStateFixedSize = 40;

std::uint32_t crc32(std::span<const std::uint8_t> bytes) noexcept;

std::vector<std::uint8_t> encode_segment_header(std::uint64_t segment_id);

// Writes the 28-byte frame header for `payload` into `out`.
void encode_record_header(std::uint64_t sequence, std::uint8_t priority,
                          std::span<const std::uint8_t> payload,
                          std::uint8_t (&out)[kRecordHeaderSize]) noexcept;

struct RecordHeader {
  std::uint32_t payload_size = 0;
  std::uint64_t sequence = 0;
  std::uint8_t priority = 0;
  std::uint32_t payload_crc = 0;
};

// Decodes a frame header whose sync word and header checksum are valid, else nullopt.
std::optional<RecordHeader> decode_record_header(std::span<const std::uint8_t> bytes) noexcept;

struct ScannedRecord {
  std::uint64_t offset = 0;  // of the frame header within the segment
  std::uint64_t sequence = 0;
  std::uint32_t payload_size = 0;
  std::uint8_t priority = 0;
};

struct SegmentScan {
  enum class Header : std::uint8_t { kValid, kMissing, kCorrupt, kUnsupportedVersion };
  Header header = Header::kMissing;
  std::uint64_t segment_id = 0;        // from the header, when valid
  std::uint16_t version = 0;           // from the header, when its checksum holds
  std::vector<ScannedRecord> records;  // valid records, in file order, sequences increasing
  // Damaged stretches skipped inside the segment (bad checksum, garbage before a sync word,
  // a sequence that does not increase). A torn tail is counted apart, in torn_tail_bytes.
  std::uint64_t corrupt_records = 0;
  std::uint64_t corrupt_bytes = 0;
  std::uint64_t torn_tail_bytes = 0;  // trailing bytes holding no complete valid record
};

// Finds every valid record in `bytes` (a whole segment file). Records must carry sequences
// >= min_sequence and increasing; others are skipped as corrupt. Never fails: damage is
// described in the result. Runs in O(size) and allocates O(number of records).
SegmentScan scan_segment(std::span<const std::uint8_t> bytes, std::uint64_t min_sequence);

struct QueueState {
  std::uint64_t generation = 0;
  std::uint64_t acked_sequence = 0;
  std::uint64_t next_sequence = 1;
  std::vector<std::uint64_t> dropped;
};

// One slot's bytes (not padded to the slot size).
std::vector<std::uint8_t> encode_state(const QueueState& state);
// Decodes the slot at the start of `bytes` (trailing bytes ignored); nullopt when it is not a
// complete slot of this version (bad magic, length or checksum).
std::optional<QueueState> decode_state(std::span<const std::uint8_t> bytes);
// The newest valid slot of a whole state file, or nullopt when neither slot is valid.
std::optional<QueueState> decode_state_file(std::span<const std::uint8_t> file);
// The slot size that holds `max_dropped` dropped sequences, rounded up to 512 bytes.
std::size_t state_slot_size(std::size_t max_dropped) noexcept;

// "00000000000000a3.seg"
std::string segment_file_name(std::uint64_t segment_id);
// The id of a segment file name, or nullopt for any other name.
std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) noexcept;

}  // namespace edgetrace::otlp::internal
