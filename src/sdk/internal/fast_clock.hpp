// Wall-clock timestamps for events and spans at a fraction of clock_gettime's cost.
//
// On x86-64 with an invariant TSC, time is read with rdtsc and converted with a rate that is
// re-measured against CLOCK_REALTIME every kResyncNs (so it follows NTP adjustments and
// converges on the TSC's true rate). The TSC is used when the kernel uses it as its
// clocksource, and also when the kernel chose another one (kvm-clock in most virtual
// machines) while the CPU declares the TSC invariant (constant_tsc and nonstop_tsc) and the
// kernel still lists "tsc" as a usable clocksource (it drops it when it finds the TSC
// unstable). EDGETRACE_FAST_CLOCK=0 turns it off. Elsewhere, and during the first
// milliseconds of the process, it is CLOCK_REALTIME.
//
// Thread-safety: lock-free (a sequence lock around the conversion parameters).
#pragma once

#include <time.h>

#include <atomic>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace edgetrace::sdk::internal {

struct FastClockParams {
  std::atomic<std::uint32_t> seq{0};
  std::atomic<std::uint64_t> anchor_tsc{0};
  std::atomic<std::uint64_t> anchor_ns{0};
  std::atomic<std::uint64_t> mult{0};         // ns per tick << 32; 0 = not in use (yet)
  std::atomic<std::uint64_t> limit_ticks{0};  // re-anchor after this many ticks; 0 with mult
  // Set once the TSC was found unusable here (or turned off): every read is then
  // CLOCK_REALTIME straight away, without the TSC read and the checks of the fast path.
  std::atomic<bool> realtime_only{false};
};
extern FastClockParams g_fast_clock;

// Everything but the common case: not calibrated yet, due for re-anchoring, not in use.
std::uint64_t now_unix_nanos_slow() noexcept;

// Nanoseconds since the Unix epoch.
inline std::uint64_t now_unix_nanos() noexcept {
#if defined(__x86_64__)
  if (g_fast_clock.realtime_only.load(std::memory_order_relaxed)) {
    timespec ts;  // written by clock_gettime, which cannot fail for CLOCK_REALTIME
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
           static_cast<std::uint64_t>(ts.tv_nsec);
  }
  const std::uint32_t s1 = g_fast_clock.seq.load(std::memory_order_acquire);
  const std::uint64_t mult = g_fast_clock.mult.load(std::memory_order_relaxed);
  const std::uint64_t anchor_tsc = g_fast_clock.anchor_tsc.load(std::memory_order_relaxed);
  const std::uint64_t anchor_ns = g_fast_clock.anchor_ns.load(std::memory_order_relaxed);
  const std::uint64_t limit = g_fast_clock.limit_ticks.load(std::memory_order_relaxed);
  const std::uint64_t tsc = __rdtsc();
  std::atomic_thread_fence(std::memory_order_acquire);
  // A TSC behind the anchor (another core's) wraps dt above any limit: the slow path. Until
  // the first calibration limit is 0 (mult too), so that test also covers "not in use".
  const std::uint64_t dt = tsc - anchor_tsc;
  if (dt > limit || (s1 & 1) != 0 || g_fast_clock.seq.load(std::memory_order_relaxed) != s1)
      [[unlikely]]
    return now_unix_nanos_slow();
  __extension__ typedef unsigned __int128 U128;
  return anchor_ns + static_cast<std::uint64_t>((static_cast<U128>(dt) * mult) >> 32);
#else
  return now_unix_nanos_slow();
#endif
}

// True when timestamps come from the TSC (for diagnostics and benchmarks).
bool fast_clock_active() noexcept;

// Whether the TSC may be used, from the kernel's clocksource files and the CPU flags (the
// contents of current_clocksource, available_clocksource and /proc/cpuinfo's flags line).
bool tsc_usable(const char* current, const char* available, const char* cpu_flags) noexcept;

}  // namespace edgetrace::sdk::internal
