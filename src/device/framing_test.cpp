#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "edgetrace/device/edgetrace.h"
#include "testing/device_fixture.hpp"

namespace edgetrace::device::test {
namespace {

using edgetrace::testing::deframe;

std::vector<std::uint8_t> frame(const std::vector<std::uint8_t>& record, std::uint8_t* seq) {
  std::vector<std::uint8_t> out(ETD_MAX_RECORD + 4);
  const std::size_t n = et_frame_record(record.data(), record.size(), seq, out.data());
  out.resize(n);
  return out;
}

std::vector<std::uint8_t> random_record(std::mt19937& rng, std::size_t len) {
  std::vector<std::uint8_t> r(len);
  for (auto& b : r) {
    // Plenty of zeros, so COBS has blocks to stuff.
    b = (rng() % 4 == 0) ? 0 : static_cast<std::uint8_t>(rng());
  }
  return r;
}

TEST(FramingTest, Crc16IsCcittFalse) {
  const std::uint8_t kCheck[] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  EXPECT_EQ(et_crc16(0xffff, kCheck, sizeof kCheck), 0x29b1);
}

TEST(FramingTest, OverheadIsExactlyFourBytesForEveryRecordLength) {
  std::mt19937 rng(1);
  std::uint8_t seq = 0;
  for (std::size_t len = 1; len <= ETD_MAX_RECORD; ++len) {
    for (int round = 0; round < 20; ++round) {
      const auto rec = random_record(rng, len);
      const auto f = frame(rec, &seq);
      ASSERT_EQ(f.size(), len + 4) << "len " << len;
      // One zero only: the delimiter.
      for (std::size_t i = 0; i + 1 < f.size(); ++i) {
        ASSERT_NE(f[i], 0) << "len " << len;
      }
      ASSERT_EQ(f.back(), 0);
    }
  }
}

TEST(FramingTest, RejectsEmptyAndOversizedRecords) {
  std::uint8_t seq = 0;
  std::uint8_t out[ETD_MAX_RECORD + 8];
  std::vector<std::uint8_t> big(ETD_MAX_RECORD + 1, 1);
  EXPECT_EQ(et_frame_record(big.data(), 0, &seq, out), 0u);
  EXPECT_EQ(et_frame_record(big.data(), big.size(), &seq, out), 0u);
}

TEST(FramingTest, RoundTripsAndNumbersFrames) {
  std::mt19937 rng(2);
  std::uint8_t seq = 0;
  std::vector<std::vector<std::uint8_t>> records;
  std::vector<std::uint8_t> stream;
  for (int i = 0; i < 300; ++i) {
    records.push_back(random_record(rng, 1 + rng() % ETD_MAX_RECORD));
    auto f = frame(records.back(), &seq);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  decoder::DecoderCounters c;
  auto frames = deframe(stream, &c);
  ASSERT_EQ(frames.size(), records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(frames[i].record, records[i]);
    EXPECT_EQ(frames[i].seq, i % 128);
  }
  EXPECT_EQ(c.lost_frames, 0u);
  EXPECT_EQ(c.corrupt_frames, 0u);
  EXPECT_EQ(c.bytes_skipped, 0u);
}

TEST(FramingTest, SequenceGapsCountLostFrames) {
  std::uint8_t seq = 0;
  std::vector<std::uint8_t> stream;
  for (int i = 0; i < 10; ++i) {
    auto f = frame({static_cast<std::uint8_t>(i + 1)}, &seq);
    if (i == 3 || i == 4 || i == 7) {
      continue;  // lost on the link
    }
    stream.insert(stream.end(), f.begin(), f.end());
  }
  decoder::DecoderCounters c;
  EXPECT_EQ(deframe(stream, &c).size(), 7u);
  EXPECT_EQ(c.lost_frames, 3u);
  EXPECT_EQ(c.corrupt_frames, 0u);
}

TEST(FramingTest, ReaderJoiningMidStreamResynchronisesAtTheNextDelimiter) {
  std::uint8_t seq = 0;
  std::vector<std::uint8_t> stream = {0x13, 0x37, 0xff, 0x42};  // garbage, no delimiter
  auto a = frame({8, 1, 2}, &seq);
  auto b = frame({9, 0, 0, 3}, &seq);
  // Start in the middle of frame a: its tail is garbage ending in a delimiter.
  stream.insert(stream.end(), a.begin() + 2, a.end());
  const std::size_t garbage = stream.size();
  stream.insert(stream.end(), b.begin(), b.end());
  decoder::DecoderCounters c;
  auto frames = deframe(stream, &c);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].record, (std::vector<std::uint8_t>{9, 0, 0, 3}));
  // A frame holds no 0x00 but its delimiter, so what precedes the first one is a frame's
  // tail: skipped (without the delimiter), and every later frame decodes.
  EXPECT_EQ(c.bytes_skipped, garbage - 1);
  EXPECT_EQ(c.corrupt_frames, 0u);
}

TEST(FramingTest, EverySingleBitErrorIsDetectedNeverDecodedAsAnotherRecord) {
  std::mt19937 rng(3);
  std::uint8_t seq = 0;
  for (int round = 0; round < 40; ++round) {
    const auto rec = random_record(rng, 1 + rng() % 40);
    const auto f = frame(rec, &seq);
    for (std::size_t byte = 0; byte + 1 < f.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        auto bad = f;
        bad[byte] ^= static_cast<std::uint8_t>(1u << bit);
        auto frames = deframe(bad);
        EXPECT_TRUE(frames.empty()) << "round " << round << " byte " << byte << " bit " << bit;
      }
    }
  }
}

}  // namespace
}  // namespace edgetrace::device::test
