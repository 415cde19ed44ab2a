#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "edgetrace/bridge/clock.hpp"

namespace edgetrace::bridge {
namespace {

constexpr std::uint64_t kSecond = 1'000'000'000;
constexpr std::uint64_t kT0 = 1'800'000'000 * kSecond;  // 2027-01-15

TEST(DeviceClockTest, TicksToNanosIsExactForOddRates) {
  EXPECT_EQ(DeviceClock::ticks_to_nanos(32768, 32768), kSecond);
  EXPECT_EQ(DeviceClock::ticks_to_nanos(1, 3), 333'333'333u);
  EXPECT_EQ(DeviceClock::ticks_to_nanos(std::uint64_t{1} << 40, 1'000'000),
            (std::uint64_t{1} << 40) * 1000);
  EXPECT_EQ(DeviceClock::ticks_to_nanos(5, 0), 0u);
}

TEST(DeviceClockTest, CaptureMapsTheFirstRecordToTheAnchor) {
  DeviceClock clock(TimeMode::kAnchored, kT0);
  EXPECT_EQ(clock.untimed(0), kT0);  // before any record: the anchor
  clock.observe(5'000, 1'000, 0);    // 5 s after boot
  EXPECT_EQ(clock.to_unix_nanos(5'000, 1'000), kT0);
  EXPECT_EQ(clock.to_unix_nanos(7'500, 1'000), kT0 + 2'500'000'000);
  clock.observe(9'000, 1'000, 0);
  EXPECT_EQ(clock.last_unix_nanos(), kT0 + 4 * kSecond);
  EXPECT_EQ(clock.untimed(123), kT0 + 4 * kSecond);
}

TEST(DeviceClockTest, CaptureChainsBootsAtTheLastTimeOfThePreviousOne) {
  DeviceClock clock(TimeMode::kAnchored, kT0);
  clock.observe(1'000, 1'000, 0);
  clock.observe(3'000, 1'000, 0);  // kT0 + 2 s
  clock.new_boot();
  clock.observe(10, 1'000, 0);  // the new boot's first record
  EXPECT_EQ(clock.to_unix_nanos(10, 1'000), kT0 + 2 * kSecond);
  EXPECT_EQ(clock.to_unix_nanos(1'010, 1'000), kT0 + 3 * kSecond);
}

TEST(DeviceClockTest, LiveTakesTheSmallestTransportDelay) {
  DeviceClock clock(TimeMode::kLive);
  // Device second 1 arrives 30 ms late, second 2 only 2 ms late, second 3 50 ms late.
  clock.observe(1'000'000, 1'000'000, kT0 + kSecond + 30'000'000);
  EXPECT_EQ(clock.to_unix_nanos(1'000'000, 1'000'000), kT0 + kSecond + 30'000'000);
  clock.observe(2'000'000, 1'000'000, kT0 + 2 * kSecond + 2'000'000);
  clock.observe(3'000'000, 1'000'000, kT0 + 3 * kSecond + 50'000'000);
  EXPECT_EQ(clock.to_unix_nanos(3'000'000, 1'000'000), kT0 + 3 * kSecond + 2'000'000);
  EXPECT_EQ(clock.error_nanos(), 0u);  // the window's best record sits on the envelope
}

TEST(DeviceClockTest, LiveNeverMapsAfterTheLatestReceiveTime) {
  DeviceClock clock(TimeMode::kLive);
  clock.observe(1'000, 1'000, kT0);
  // A span's end a second ahead of anything received: clamped.
  EXPECT_EQ(clock.to_unix_nanos(2'000, 1'000), kT0);
}

TEST(DeviceClockTest, LiveEstimatesAndCorrectsDrift) {
  // The device's oscillator runs 100 ppm slow: 1 device second is 1.0001 host seconds.
  DeviceClock clock(TimeMode::kLive);
  const double rate = 1.0001;
  std::uint64_t last_receive = 0;
  for (std::uint64_t s = 0; s <= 120; ++s) {
    const std::uint64_t device_ns = s * kSecond;
    const auto host = static_cast<std::uint64_t>(static_cast<double>(device_ns) * rate);
    // Delays vary between 1 and 9 ms; every 5th record has the 1 ms minimum.
    const std::uint64_t delay = s % 5 == 0 ? 1'000'000 : 1'000'000 + (s * 7 % 9) * 1'000'000;
    last_receive = kT0 + host + delay;
    clock.observe(s * 1'000, 1'000, last_receive);
  }
  EXPECT_NEAR(clock.drift_ppm(), 100.0, 5.0);
  // Device second 120 happened at kT0 + 120.012 s; the mapping is within 1 ms of it,
  // where ignoring drift would be 12 ms off.
  const std::uint64_t truth = kT0 + 120'012'000'000 + 1'000'000;
  const std::uint64_t mapped = clock.to_unix_nanos(120'000, 1'000);
  EXPECT_LT(std::llabs(static_cast<long long>(mapped - truth)), 1'000'000);
  EXPECT_LE(mapped, last_receive);
}

TEST(DeviceClockTest, LiveReanchorsAfterANewBoot) {
  DeviceClock clock(TimeMode::kLive);
  clock.observe(50'000, 1'000, kT0);
  clock.new_boot();
  clock.observe(100, 1'000, kT0 + 10 * kSecond);
  EXPECT_EQ(clock.to_unix_nanos(100, 1'000), kT0 + 10 * kSecond);
}

TEST(DeviceClockTest, UntimedRecordsUseTheReceiveTimeWhenLive) {
  DeviceClock clock(TimeMode::kLive);
  EXPECT_EQ(clock.untimed(kT0 + 5), kT0 + 5);
  EXPECT_NE(clock.untimed(0), 0u);
}

}  // namespace
}  // namespace edgetrace::bridge
