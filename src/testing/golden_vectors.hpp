// The golden byte vectors of the device wire format (tests/vectors/device_*.txt), loaded for
// the two sides they pin: the device library's tests check that the encoder produces these
// bytes, the decoder's tests that the decoder reads them to the listed records.
//
//   auto v = edgetrace::testing::load_golden_vectors("device_session.txt");
//   ASSERT_TRUE(v.error.empty()) << v.error;
//   for (const auto& f : v.frames) { ... f.record, f.seq, f.bytes ... }
//   decode(v.stream) == v.expect;   // one line per record, "@<ticks> ..."
//
// File syntax (one item per line; blank lines and lines starting with # are ignored):
//   frame <name>          starts a frame vector; record / seq / bytes lines follow
//   record <hex>          the unframed record
//   seq <n>               the sequence number the framer had
//   bytes <hex>           the frame on the wire
//   site <tag> <log|span> <level> <signature hex or -> <format or span name>
//   stream <hex>          one frame of the session stream (lines are concatenated)
//   expect <text>         one decoded record, as edgetrace::decoder::render_text with ticks
//
// Thread-safety: pure functions. Allocation: the returned values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "testing/edgetrace_wire_writer.hpp"

namespace edgetrace::testing {

struct GoldenVectors {
  struct Frame {
    std::string name;
    std::vector<std::uint8_t> record;
    std::vector<std::uint8_t> bytes;
    int seq = 0;
  };
  std::vector<Frame> frames;
  std::vector<SiteSpec> sites;
  std::vector<std::uint8_t> stream;                      // every "stream" line, concatenated
  std::vector<std::vector<std::uint8_t>> stream_frames;  // one per "stream" line
  std::vector<std::string> expect;
  // Empty when the file was read and every line understood; otherwise "<path>:<line>: what".
  std::string error;
};

// Loads tests/vectors/<name> from the source tree (e.g. "device_frames.txt").
GoldenVectors load_golden_vectors(std::string_view name);

// Loads a vector file from an explicit path.
GoldenVectors load_golden_vectors_file(const std::string& path);

// Bytes of hex text; characters other than hex digits (spaces) are skipped.
std::vector<std::uint8_t> from_hex(std::string_view text);

// "aa bb cc", for readable test failures.
std::string hex(std::span<const std::uint8_t> bytes);

}  // namespace edgetrace::testing
