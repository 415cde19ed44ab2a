#include <time.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "internal/fast_clock.hpp"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace edgetrace::sdk::internal {

FastClockParams g_fast_clock;

namespace {

__extension__ typedef unsigned __int128 U128;

std::uint64_t realtime_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

#if defined(__x86_64__)

constexpr std::uint64_t kCalibrateNs = 20'000'000;  // first rate measured after 20 ms
constexpr std::uint64_t kResyncNs = 50'000'000;     // then re-anchored every 50 ms

bool read_file(const char* path, char* buf, std::size_t size) noexcept {
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr)
    return false;
  const std::size_t n = std::fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  std::fclose(f);
  return n > 0;
}

// The flags line of /proc/cpuinfo (the first processor's; they are the same on all).
bool read_cpu_flags(char* buf, std::size_t size) noexcept {
  std::FILE* f = std::fopen("/proc/cpuinfo", "r");
  if (f == nullptr)
    return false;
  bool found = false;
  while (std::fgets(buf, static_cast<int>(size), f) != nullptr) {
    if (std::strncmp(buf, "flags", 5) == 0) {
      found = true;
      break;
    }
  }
  std::fclose(f);
  return found;
}

bool tsc_allowed_here() noexcept {
  if (const char* e = std::getenv("EDGETRACE_FAST_CLOCK"); e != nullptr && std::strcmp(e, "0") == 0)
    return false;
  char current[64] = {};
  char available[256] = {};
  char flags[4096];  // the flags line of /proc/cpuinfo
  (void)read_file("/sys/devices/system/clocksource/clocksource0/current_clocksource", current,
                  sizeof current);
  (void)read_file("/sys/devices/system/clocksource/clocksource0/available_clocksource", available,
                  sizeof available);
  if (!read_cpu_flags(flags, sizeof flags))
    flags[0] = '\0';
  return tsc_usable(current, available, flags);
}

// Reads the TSC and the system clock as one pair: the TSC is read on both sides of the
// system clock and the pair is kept only when nothing (preemption, an interrupt) came
// between them. Returns false when no clean pair was read.
bool read_pair(std::uint64_t& tsc, std::uint64_t& ns) noexcept {
  constexpr std::uint64_t kMaxGapTicks = 20'000;  // a few microseconds at any TSC rate
  for (int attempt = 0; attempt < 4; ++attempt) {
    const std::uint64_t t1 = __rdtsc();
    ns = realtime_ns();
    const std::uint64_t t2 = __rdtsc();
    if (t2 >= t1 && t2 - t1 <= kMaxGapTicks) {
      tsc = t1 + (t2 - t1) / 2;
      return true;
    }
  }
  return false;
}

struct Calibration {
  std::atomic<bool> updating{false};
  // The first sample, for a rate measured over the whole life of the process.
  std::uint64_t origin_tsc = 0;
  std::uint64_t origin_ns = 0;
};

// -1 unknown, 0 no, 1 yes.
std::atomic<int> g_enabled{-1};
Calibration g_cal;
FastClockParams& g_params = g_fast_clock;

bool enabled() noexcept {
  int e = g_enabled.load(std::memory_order_relaxed);
  if (e < 0) {
    e = tsc_allowed_here() ? 1 : 0;
    if (e == 1) {
      bool expected = false;
      if (g_cal.updating.compare_exchange_strong(expected, true)) {
        if (!read_pair(g_cal.origin_tsc, g_cal.origin_ns))
          e = 0;  // the system clock is too slow to read against the TSC: don't use it
        g_params.anchor_tsc.store(g_cal.origin_tsc, std::memory_order_relaxed);
        g_params.anchor_ns.store(g_cal.origin_ns, std::memory_order_relaxed);
        g_cal.updating.store(false, std::memory_order_release);
      }
    }
    g_enabled.store(e, std::memory_order_relaxed);
    if (e == 0)
      g_params.realtime_only.store(true, std::memory_order_relaxed);
  }
  return e == 1;
}

// Re-anchors to a fresh (tsc, realtime) pair and re-measures the rate since the origin.
// One thread at a time; others keep using the previous parameters meanwhile.
std::uint64_t resync() noexcept {
  std::uint64_t tsc = 0;
  std::uint64_t ns = 0;
  const bool clean = read_pair(tsc, ns);
  bool expected = false;
  if (!clean || !g_cal.updating.compare_exchange_strong(expected, true, std::memory_order_acquire))
    return ns;
  const std::uint64_t dt = tsc - g_cal.origin_tsc;
  const std::uint64_t dn = ns > g_cal.origin_ns ? ns - g_cal.origin_ns : 0;
  const auto mult = dn >= kCalibrateNs && dt > 0
                        ? static_cast<std::uint64_t>((static_cast<U128>(dn) << 32) / dt)
                        : 0;
  // The inline reader's one test (dt > limit) stands for "not in use" too: mult is never
  // published as 0 beside a non-zero limit.
  if (mult != 0) {
    const auto limit = static_cast<std::uint64_t>((static_cast<U128>(kResyncNs) << 32) / mult);
    g_params.seq.fetch_add(1, std::memory_order_acq_rel);  // odd: writing
    g_params.anchor_tsc.store(tsc, std::memory_order_relaxed);
    g_params.anchor_ns.store(ns, std::memory_order_relaxed);
    g_params.mult.store(mult, std::memory_order_relaxed);
    g_params.limit_ticks.store(limit, std::memory_order_relaxed);
    g_params.seq.fetch_add(1, std::memory_order_release);  // even: stable
  }
  g_cal.updating.store(false, std::memory_order_release);
  return ns;
}

#endif

}  // namespace

std::uint64_t now_unix_nanos_slow() noexcept {
#if defined(__x86_64__)
  if (!enabled())
    return realtime_ns();
  const std::uint64_t tsc = __rdtsc();
  for (;;) {
    const std::uint32_t s1 = g_params.seq.load(std::memory_order_acquire);
    if ((s1 & 1) != 0)
      return realtime_ns();  // being re-anchored right now
    const std::uint64_t mult = g_params.mult.load(std::memory_order_relaxed);
    const std::uint64_t anchor_tsc = g_params.anchor_tsc.load(std::memory_order_relaxed);
    const std::uint64_t anchor_ns = g_params.anchor_ns.load(std::memory_order_relaxed);
    const std::uint64_t limit = g_params.limit_ticks.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (g_params.seq.load(std::memory_order_relaxed) != s1)
      continue;
    const std::uint64_t dt = tsc - anchor_tsc;
    if (mult == 0 || dt > limit || tsc < anchor_tsc)
      return resync();
    return anchor_ns + static_cast<std::uint64_t>((static_cast<U128>(dt) * mult) >> 32);
  }
#else
  return realtime_ns();
#endif
}

bool fast_clock_active() noexcept {
#if defined(__x86_64__)
  return enabled() && g_params.mult.load(std::memory_order_relaxed) != 0;
#else
  return false;
#endif
}

}  // namespace edgetrace::sdk::internal

namespace edgetrace::sdk::internal {

namespace {
// `word` as a whole word of the space-separated `list`.
bool has_word(const char* list, const char* word) noexcept {
  const std::size_t n = std::strlen(word);
  for (const char* p = std::strstr(list, word); p != nullptr; p = std::strstr(p + 1, word)) {
    const bool starts = p == list || *(p - 1) == ' ' || *(p - 1) == '\t' || *(p - 1) == ':';
    const char after = p[n];
    const bool ends = after == '\0' || after == ' ' || after == '\n' || after == '\t';
    if (starts && ends)
      return true;
  }
  return false;
}
}  // namespace

bool tsc_usable(const char* current, const char* available, const char* cpu_flags) noexcept {
  if (std::strncmp(current, "tsc", 3) == 0 && (current[3] == '\0' || current[3] == '\n'))
    return true;
  // Another clocksource (kvm-clock, hpet): the TSC still counts at a constant rate through
  // frequency changes and sleep states when the CPU says so, and the kernel keeps it in the
  // available list only while it has not found it unstable.
  return has_word(available, "tsc") && has_word(cpu_flags, "constant_tsc") &&
         has_word(cpu_flags, "nonstop_tsc");
}

}  // namespace edgetrace::sdk::internal
