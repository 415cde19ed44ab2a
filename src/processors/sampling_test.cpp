#include "edgetrace/processors/sampling.hpp"

#include <gtest/gtest.h>

#include <string>

namespace edgetrace::processors {
namespace {

std::string id_with_randomness(std::uint64_t r) {
  std::string id(16, '\x5a');  // the high 9 bytes are not part of the randomness
  for (int i = 15; i >= 9; --i) {
    id[static_cast<std::size_t>(i)] = static_cast<char>(r & 0xff);
    r >>= 8;
  }
  return id;
}

// The specification's examples (tracestate-probability-sampling.md, "Rejection Threshold"):
// probability 1 -> 0; 0.5 -> 0x80000000000000 ("th:8"); 0.25 -> "th:c"; 1% -> 0xfd70a3d70a3d71
// (to 5 hex digits "fd70a4", the table's precision-5 value).
TEST(SamplingTest, ThresholdsFollowTheSpecification) {
  EXPECT_EQ(rejection_threshold(1.0), 0u);
  EXPECT_EQ(rejection_threshold(0.5), 0x80000000000000u);
  EXPECT_EQ(rejection_threshold(0.25), 0xc0000000000000u);
  EXPECT_EQ(rejection_threshold(0.0625), 0xf0000000000000u);
  EXPECT_EQ(rejection_threshold(0.01) >> 32, 0xfd70a3u);
  EXPECT_EQ(rejection_threshold(0.0), kMaxThreshold);
  EXPECT_EQ(rejection_threshold(-1.0), kMaxThreshold);
  EXPECT_EQ(rejection_threshold(2.0), 0u);
}

TEST(SamplingTest, RandomnessIsTheLast56BitsOfTheTraceId) {
  EXPECT_EQ(trace_randomness(id_with_randomness(0x0123456789abcd)), 0x0123456789abcdu);
  std::string id(16, '\0');
  id[8] = '\xff';  // byte 8 is outside the randomness
  id[15] = '\x01';
  EXPECT_EQ(trace_randomness(id), 1u);
}

TEST(SamplingTest, KeepWhenRandomnessReachesTheThreshold) {
  const std::uint64_t half = rejection_threshold(0.5);
  EXPECT_TRUE(keep_trace(id_with_randomness(half), half));
  EXPECT_FALSE(keep_trace(id_with_randomness(half - 1), half));
  EXPECT_TRUE(keep_trace(id_with_randomness(kMaxThreshold - 1), half));
  // Ratio 0: nothing, not even the largest randomness.
  EXPECT_FALSE(keep_trace(id_with_randomness(kMaxThreshold - 1), kMaxThreshold));
  // Invalid ids are kept: nothing consistent to decide on.
  EXPECT_TRUE(keep_trace(std::string(16, '\0'), kMaxThreshold));
  EXPECT_TRUE(keep_trace("short", kMaxThreshold));
  EXPECT_FALSE(valid_trace_id(std::string(16, '\0')));
  EXPECT_TRUE(valid_trace_id(id_with_randomness(1)));
}

TEST(SamplingTest, KeptAtALowRatioMeansKeptAtEveryHigherRatio) {
  for (std::uint64_t r = 1; r < kMaxThreshold; r = r * 3 + 7) {
    const std::string id = id_with_randomness(r);
    bool kept_before = false;
    for (double p : {0.001, 0.01, 0.1, 0.25, 0.5, 0.9, 1.0}) {
      const bool kept = keep_trace(id, rejection_threshold(p));
      EXPECT_TRUE(kept || !kept_before) << "randomness " << r << " ratio " << p;
      kept_before = kept;
    }
    EXPECT_TRUE(kept_before);
  }
}

}  // namespace
}  // namespace edgetrace::processors
