// Fuzzes rzCOBS: decoding arbitrary frames, deframing arbitrary streams in arbitrary
// chunks (bounded memory), and the round trip encode -> decode of arbitrary data.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "edgetrace/decoder/rzcobs.hpp"

using edgetrace::decoder::rzcobs_decode;
using edgetrace::decoder::rzcobs_encode;
using edgetrace::decoder::RzcobsDeframer;

namespace {

void check(bool condition) {
  if (!condition)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);

  std::vector<std::uint8_t> out;
  if (rzcobs_decode(in, out).ok()) {
    check(out.size() <= 8 * size + 8);
  }

  // Round trip: the decoded frame is the data plus at most 7 zeros.
  std::vector<std::uint8_t> enc;
  rzcobs_encode(in, enc);
  for (std::uint8_t b : enc)
    check(b != 0);
  if (!in.empty()) {
    check(rzcobs_decode(enc, out).ok());
    check(out.size() >= size && out.size() <= size + 7);
    for (std::size_t i = 0; i < size; ++i)
      check(out[i] == in[i]);
    for (std::size_t i = size; i < out.size(); ++i)
      check(out[i] == 0);
  }

  // Deframing in chunks whose sizes come from the data; memory stays bounded.
  RzcobsDeframer deframer(64);
  std::size_t pos = 0;
  std::size_t frames = 0;
  while (pos < size) {
    const std::size_t chunk = 1 + data[pos] % 23;
    const std::size_t n = chunk < size - pos ? chunk : size - pos;
    deframer.feed(in.subspan(pos, n), [&](std::span<const std::uint8_t> f) {
      check(!f.empty());
      ++frames;
    });
    check(deframer.pending_bytes() <= 64);
    pos += n;
  }
  check(deframer.counters().frames == frames);
  return 0;
}
