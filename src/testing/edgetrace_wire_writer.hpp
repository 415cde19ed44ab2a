// An independent writer of the edgetrace device wire format (docs/wire-format.md), for tests,
// fuzz targets and benchmarks: frames (COBS/R + CRC-16 + sequence byte + delimiter), varints,
// and the bytes of an edgetrace_meta section describing call sites. It shares no code with the
// device library or the decoder, so a test that feeds its output to either checks them against
// the written format, not against each other.
//
//   using namespace edgetrace::testing;
//   std::vector<std::uint8_t> rec = {0x08, 0x05};   // call site 0, 5 ticks later
//   put_varint(rec, zigzag(21));
//   auto frame = make_frame(rec, /*seq=*/0);        // ... 00
//   auto meta = make_meta({{.tag = 8, .sig = {0x41}, .text = "temp={}"}}, 0x1000, 8);
//
// Thread-safety: pure functions. Allocation: the returned vectors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace edgetrace::testing {

// CRC-16/CCITT-FALSE (poly 0x1021, init 0xffff) of `data`.
std::uint16_t crc16(const std::vector<std::uint8_t>& data);

// COBS/R encoding of `in` (without the delimiter).
std::vector<std::uint8_t> cobsr_encode(const std::vector<std::uint8_t>& in);

// One frame on the wire: COBS/R(record || crc || seq_byte) || 00.
std::vector<std::uint8_t> make_frame(const std::vector<std::uint8_t>& record, std::uint8_t seq);

// Appends `v` as an unsigned LEB128 varint.
void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v);

// Zigzag mapping of a signed integer (0, -1, 1, -2 -> 0, 1, 2, 3).
std::uint64_t zigzag(std::int64_t v);

// A call site as tests describe it (and as the golden vectors list them).
struct SiteSpec {
  std::uint32_t tag = 8;  // wire tag: call-site index + 8
  bool span = false;
  std::uint8_t level = 2;
  std::vector<std::uint8_t> sig{};  // signature bytes, one per argument
  std::string text{};               // format string or span name
  std::string file = "vector.c";
  std::uint32_t line = 0;
};

// The bytes of an edgetrace_meta section holding `sites`, whose anchors are
// ids_base + tag - 8, in the given pointer size (4 or 8) and byte order.
std::vector<std::uint8_t> make_meta(const std::vector<SiteSpec>& sites, std::uint64_t ids_base,
                                    std::size_t pointer_size, bool little_endian = true);

}  // namespace edgetrace::testing
