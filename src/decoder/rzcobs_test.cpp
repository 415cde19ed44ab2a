#include "edgetrace/decoder/rzcobs.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace edgetrace::decoder {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes decode(const Bytes& in) {
  Bytes out;
  const auto st = rzcobs_decode(in, out);
  EXPECT_TRUE(st.ok()) << st.to_string();
  return out;
}

TEST(RzcobsTest, SevenByteGroupMarksZerosWithBits) {
  // Code 0x7a = 0b1111010: bit 0 clear (literal), bit 1 set (zero), bit 2 clear (literal),
  // bits 3..6 set (zeros). Read LSB first: 01 00 02 00 00 00 00.
  EXPECT_EQ(decode({0x01, 0x02, 0x7a}), (Bytes{0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00}));
}

TEST(RzcobsTest, RunCodeCarriesLiteralsThenAZero) {
  // 0x83: 3 + 7 = 10 literal bytes, then a zero.
  Bytes in{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x83};
  EXPECT_EQ(decode(in), (Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0}));
}

TEST(RzcobsTest, FullCodeCarries134LiteralsAndNoZero) {
  Bytes in(134, 0x11);
  in.push_back(0xff);
  EXPECT_EQ(decode(in), Bytes(134, 0x11));
}

TEST(RzcobsTest, EncoderOutputIsWhatTheDecoderReads) {
  Bytes out;
  rzcobs_encode(Bytes{0x01, 0x00, 0x2a}, out);
  EXPECT_EQ(out, (Bytes{0x01, 0x2a, 0x7a}));
  out.clear();
  rzcobs_encode(Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0}, out);
  EXPECT_EQ(out, (Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x83}));
}

TEST(RzcobsTest, RoundTripsRandomDataWithAtMostSevenPaddingZeros) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    Bytes data(rng() % 400);
    const unsigned zero_rate = rng() % 4;
    for (auto& b : data) {
      b = (rng() % 4) < zero_rate ? 0 : static_cast<std::uint8_t>(1 + rng() % 255);
    }
    Bytes enc;
    rzcobs_encode(data, enc);
    for (auto b : enc) {
      ASSERT_NE(b, 0);
    }
    const Bytes dec = decode(enc);
    ASSERT_GE(dec.size(), data.size());
    ASSERT_LE(dec.size(), data.size() + 7);
    EXPECT_TRUE(std::equal(data.begin(), data.end(), dec.begin()));
    for (std::size_t i = data.size(); i < dec.size(); ++i) {
      EXPECT_EQ(dec[i], 0);
    }
  }
}

TEST(RzcobsTest, RejectsZeroInsideAndTruncatedCodes) {
  Bytes out;
  EXPECT_EQ(rzcobs_decode(Bytes{0x01, 0x00, 0x7a}, out).code(), core::StatusCode::kDataLoss);
  // 0x85 asks for 12 literal bytes; there are 2.
  const auto st = rzcobs_decode(Bytes{0x01, 0x02, 0x85}, out);
  EXPECT_EQ(st.code(), core::StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("offset 2"), std::string::npos) << st.message();
  EXPECT_FALSE(rzcobs_decode(Bytes{0x01}, out).ok());  // 0x01 needs 6 literals
}

Bytes frame_stream(const std::vector<Bytes>& frames) {
  Bytes s;
  for (const Bytes& f : frames) {
    rzcobs_encode(f, s);
    s.push_back(0);
  }
  return s;
}

TEST(RzcobsDeframerTest, AnyChunkingGivesTheSameFrames) {
  std::mt19937 rng(11);
  std::vector<Bytes> frames;
  for (int i = 0; i < 100; ++i) {
    Bytes f(1 + rng() % 60);
    for (auto& b : f) {
      b = static_cast<std::uint8_t>(rng() % 3 == 0 ? 0 : rng());
    }
    f[0] = static_cast<std::uint8_t>(1 + i);  // never all zeros
    frames.push_back(f);
  }
  const Bytes stream = frame_stream(frames);
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u, 100000u}) {
    RzcobsDeframer d;
    std::vector<Bytes> got;
    for (std::size_t i = 0; i < stream.size(); i += chunk) {
      const std::size_t n = std::min(chunk, stream.size() - i);
      d.feed(std::span(stream).subspan(i, n),
             [&](std::span<const std::uint8_t> f) { got.emplace_back(f.begin(), f.end()); });
    }
    ASSERT_EQ(got.size(), frames.size()) << "chunk " << chunk;
    for (std::size_t k = 0; k < frames.size(); ++k) {
      ASSERT_GE(got[k].size(), frames[k].size());
      EXPECT_TRUE(std::equal(frames[k].begin(), frames[k].end(), got[k].begin()));
    }
    EXPECT_EQ(d.counters().frames, 100u);
    EXPECT_EQ(d.counters().corrupt_frames, 0u);
  }
}

TEST(RzcobsDeframerTest, OversizedFrameIsDroppedAndCountedThenDecodingGoesOn) {
  RzcobsDeframer d(16);
  Bytes stream(40, 0x42);
  stream.push_back(0);
  const Bytes good = frame_stream({{0x01, 0x00, 0x2a}});
  stream.insert(stream.end(), good.begin(), good.end());
  int frames = 0;
  d.feed(stream, [&](std::span<const std::uint8_t>) { ++frames; });
  EXPECT_EQ(frames, 1);
  EXPECT_EQ(d.counters().oversized_frames, 1u);
  EXPECT_EQ(d.counters().corrupt_frames, 1u);
  EXPECT_EQ(d.counters().bytes_skipped, 40u);
  EXPECT_LE(d.pending_bytes(), 16u);
}

TEST(RzcobsDeframerTest, RunsOfDelimitersAreNotFrames) {
  RzcobsDeframer d;
  int frames = 0;
  d.feed(Bytes{0, 0, 0, 0x01, 0x2a, 0x7a, 0, 0, 0}, [&](std::span<const std::uint8_t> f) {
    ++frames;
    EXPECT_EQ(f[0], 0x01);
    EXPECT_EQ(f[2], 0x2a);
  });
  EXPECT_EQ(frames, 1);
  EXPECT_EQ(d.counters().corrupt_frames, 0u);
}

TEST(RzcobsDeframerTest, ResetFrameDropsAPartialFrame) {
  RzcobsDeframer d;
  int frames = 0;
  d.feed(Bytes{0x01, 0x2a}, [&](std::span<const std::uint8_t>) { ++frames; });
  EXPECT_EQ(d.pending_bytes(), 2u);
  d.reset_frame();
  d.feed(Bytes{0x01, 0x2a, 0x7a, 0}, [&](std::span<const std::uint8_t>) { ++frames; });
  EXPECT_EQ(frames, 1);
  EXPECT_EQ(d.counters().bytes_skipped, 2u);
}

}  // namespace
}  // namespace edgetrace::decoder
