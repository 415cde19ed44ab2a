// Clocks: wall-clock time for timestamps on the wire, monotonic time for durations.
//
//   std::uint64_t start = monotonic_ns();
//   ...
//   std::uint64_t took = monotonic_ns() - start;
//   std::uint64_t now = unix_nanos();     // OTLP time_unix_nano
//
// Both read clock_gettime through the vDSO (tens of nanoseconds, no system call).
// Thread-safety: safe from any thread. Never allocates, never blocks.
#pragma once

#include <time.h>

#include <cstdint>

namespace edgetrace::core {

// Nanoseconds since the Unix epoch (CLOCK_REALTIME). May jump when the clock is set.
inline std::uint64_t unix_nanos() noexcept {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// Nanoseconds on a clock that never goes backwards (CLOCK_MONOTONIC); its epoch is
// unspecified, so only differences are meaningful.
inline std::uint64_t monotonic_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace edgetrace::core
