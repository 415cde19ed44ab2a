// rzCOBS (reverse zero-compressing COBS), the default frame encoding of Rust's defmt, and a
// streaming deframer for it.
//
// A defmt stream is a sequence of rzCOBS-encoded frames, each followed by one 0x00 byte.
// The encoding is read backwards from the end of a frame; every code byte says which of the
// next 7 bytes are zeros, or how many literal bytes follow:
//
//   0xxxxxxx  seven bytes: bit i set = a 0x00, clear = one literal byte (LSB first)
//   1nnnnnnn  n + 7 literal bytes followed by one 0x00      (n < 127)
//   11111111  134 literal bytes
//
// Decoding may yield up to 7 extra zero bytes at the end of a frame (the encoder pads its
// last group); defmt frames ignore trailing bytes, so callers do too.
//
//   std::vector<std::uint8_t> frame;
//   if (auto st = edgetrace::decoder::rzcobs_decode(encoded, frame); !st.ok()) { ... }
//
//   edgetrace::decoder::RzcobsDeframer deframer;          // bounded: 16 KiB per frame
//   deframer.feed(bytes, [](std::span<const std::uint8_t> frame) { decode(frame); });
//   deframer.counters().corrupt_frames;
//
// Thread-safety: the free functions are pure; an RzcobsDeframer is used by one thread at a
// time. Allocation: the deframer keeps one buffer of at most `max_frame_size` encoded bytes
// plus its decoded form (grown once, then reused); nothing is allocated per frame after
// warm-up. The span handed to the callback is valid only during the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "edgetrace/core/result.hpp"

namespace edgetrace::decoder {

// Decodes one complete rzCOBS frame (without its 0x00 delimiter) into `out` (replaced).
// Error (data_loss) when the frame contains a 0x00 or a code byte asks for more bytes than
// the frame holds. `out` is left with whatever was decoded when an error is returned.
core::Status rzcobs_decode(std::span<const std::uint8_t> encoded, std::vector<std::uint8_t>& out);

// Encodes `data` as one rzCOBS frame appended to `out`, WITHOUT the trailing 0x00
// delimiter. rzcobs_decode() of the result is `data` followed by up to 7 zero bytes.
// Used by tests, the corpus generator and benchmarks (devices encode on their own).
void rzcobs_encode(std::span<const std::uint8_t> data, std::vector<std::uint8_t>& out);

// What an RzcobsDeframer has seen.
struct RzcobsCounters {
  std::uint64_t frames = 0;            // frames that decoded
  std::uint64_t corrupt_frames = 0;    // frames whose rzCOBS was invalid (incl. oversized)
  std::uint64_t oversized_frames = 0;  // frames longer than max_frame_size: dropped
  std::uint64_t bytes_skipped = 0;     // encoded bytes of corrupt and oversized frames
};

// Splits a byte stream at 0x00 delimiters and rzCOBS-decodes each frame. Accepts any
// chunking and any starting point: the bytes before the first delimiter are tried as a
// frame (a device stream starts without a delimiter), so joining a running stream costs at
// most one corrupt frame. Runs of delimiters are empty frames and are ignored.
class RzcobsDeframer {
 public:
  static constexpr std::size_t kDefaultMaxFrameSize = 16 * 1024;

  explicit RzcobsDeframer(std::size_t max_frame_size = kDefaultMaxFrameSize)
      : max_frame_size_(max_frame_size == 0 ? 1 : max_frame_size) {}

  // Feeds bytes; calls `on_frame(std::span<const std::uint8_t>)` for every frame that
  // decoded, in order. Bad frames are counted and skipped.
  template <typename OnFrame>
  void feed(std::span<const std::uint8_t> bytes, OnFrame&& on_frame) {
    std::size_t i = 0;
    while (i < bytes.size()) {
      const std::uint8_t* start = bytes.data() + i;
      const std::size_t left = bytes.size() - i;
      const std::size_t n = find_zero(start, left);
      if (n == left) {  // no delimiter in the rest: keep it for the next call
        append(start, left);
        return;
      }
      append(start, n);
      i += n + 1;
      if (end_frame()) {
        on_frame(std::span<const std::uint8_t>(decoded_));
      }
    }
  }

  // Drops a partially received frame (for example when the transport reconnects). The
  // dropped bytes are counted in bytes_skipped.
  void reset_frame() noexcept;

  const RzcobsCounters& counters() const noexcept { return counters_; }
  std::size_t max_frame_size() const noexcept { return max_frame_size_; }
  // Encoded bytes of the frame being received.
  std::size_t pending_bytes() const noexcept { return oversized_ ? 0 : pending_.size(); }

 private:
  static std::size_t find_zero(const std::uint8_t* p, std::size_t n) noexcept;
  void append(const std::uint8_t* p, std::size_t n);
  // Called at a delimiter: true when decoded_ holds a good frame.
  bool end_frame();

  std::size_t max_frame_size_;
  std::vector<std::uint8_t> pending_;
  std::vector<std::uint8_t> decoded_;
  bool oversized_ = false;
  std::uint64_t oversized_bytes_ = 0;
  RzcobsCounters counters_;
};

}  // namespace edgetrace::decoder
