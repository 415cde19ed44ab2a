#include "internal/fast_clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "edgetrace/core/clock.hpp"

namespace edgetrace::sdk::internal {
namespace {

std::int64_t diff(std::uint64_t a, std::uint64_t b) {
  return static_cast<std::int64_t>(a - b);
}

TEST(FastClockTest, StaysWithinAMillisecondOfTheSystemClock) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  std::int64_t worst = 0;
  std::uint64_t previous = 0;
  int backwards = 0;
  while (std::chrono::steady_clock::now() < until) {
    const std::uint64_t before = core::unix_nanos();
    const std::uint64_t fast = now_unix_nanos();
    const std::uint64_t after = core::unix_nanos();
    // Outside [before, after] only by the conversion's error.
    std::int64_t error = 0;
    if (fast < before)
      error = diff(before, fast);
    else if (fast > after)
      error = diff(fast, after);
    worst = std::max(worst, error);
    if (fast + 10'000 < previous)  // re-anchoring may step back by the rate's tiny error
      ++backwards;
    previous = fast;
  }
  EXPECT_LT(worst, 1'000'000) << "ns";
  EXPECT_EQ(backwards, 0);
}

TEST(FastClockTest, MeasuresSleepsLikeTheSystemClock) {
  (void)now_unix_nanos();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::uint64_t a = now_unix_nanos();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::uint64_t b = now_unix_nanos();
  EXPECT_GE(diff(b, a), 19'000'000);
  EXPECT_LT(diff(b, a), 200'000'000);
}

}  // namespace
}  // namespace edgetrace::sdk::internal

namespace edgetrace::sdk::internal {
namespace {

// The rule for using the TSC, from the kernel's clocksource files and the CPU's flags.
TEST(FastClockTest, UsesTheTscWhenTheKernelDoesOrWhenItIsInvariant) {
  const char* invariant = "flags\t\t: fpu vme tsc msr constant_tsc rep_good nopl nonstop_tsc cpuid";
  // The kernel's own clocksource.
  EXPECT_TRUE(tsc_usable("tsc\n", "tsc kvm-clock \n", ""));
  // kvm-clock with an invariant TSC still listed as usable: the typical cloud VM.
  EXPECT_TRUE(tsc_usable("kvm-clock\n", "kvm-clock tsc acpi_pm \n", invariant));
  // The kernel marked the TSC unstable (it is gone from the list).
  EXPECT_FALSE(tsc_usable("kvm-clock\n", "kvm-clock acpi_pm \n", invariant));
  // Not invariant: the rate changes with frequency or stops in sleep states.
  EXPECT_FALSE(tsc_usable("hpet\n", "hpet tsc\n", "flags\t: fpu tsc constant_tsc"));
  EXPECT_FALSE(tsc_usable("hpet\n", "hpet tsc\n", "flags\t: fpu tsc nonstop_tsc"));
  // Whole words only.
  EXPECT_FALSE(tsc_usable("kvm-clock\n", "tsc_early kvm-clock\n", invariant));
  EXPECT_FALSE(tsc_usable("kvm-clock\n", "kvm-clock tsc\n", "flags : constant_tsc_x nonstop_tsc"));
  EXPECT_FALSE(tsc_usable("tsc_early\n", "", ""));
  EXPECT_FALSE(tsc_usable("", "", ""));
}

}  // namespace
}  // namespace edgetrace::sdk::internal
