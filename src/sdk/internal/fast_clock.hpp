// Wall-clock timestamps for events and spans at a fraction of clock_gettime's cost.
//
// On x86-64 with an invariant TSC that the kernel itself uses as its clocksource, time is
// read with rdtsc and converted with a rate that is re-measured against CLOCK_REALTIME every
// kResyncNs (so it follows NTP adjustments and converges on the TSC's true rate). Elsewhere,
// and during the first milliseconds of the process, it is CLOCK_REALTIME.
//
// Thread-safety: lock-free (a sequence lock around the conversion parameters).
#pragma once

#include <cstdint>

namespace edgetrace::sdk::internal {

// Nanoseconds since the Unix epoch.
std::uint64_t now_unix_nanos() noexcept;

// True when timestamps come from the TSC (for diagnostics and benchmarks).
bool fast_clock_active() noexcept;

}  // namespace edgetrace::sdk::internal
