// DeviceClock: device ticks -> wall-clock time, for one device stream.
//
//   bridge::DeviceClock clock(bridge::TimeMode::kLive);
//   clock.observe(record.device_ticks, record.tick_hz, receive_unix_nanos);
//   std::uint64_t t = clock.to_unix_nanos(record.device_ticks, record.tick_hz);
//
// Live streams (kLive): each record observed with the time its bytes arrived gives an
// upper bound of the device clock's offset (a record cannot arrive before it was written),
// so the offset is the lower envelope of (receive time - device time): the first handshake
// anchors it, and later records with less transport delay refine it. Drift between the
// device's oscillator and the host clock is estimated from the envelope's slope between
// the first and the latest 10-second window (once 30 s of device time apart) and
// corrected; drift_ppm() and error_nanos() report the estimate and the remaining
// uncertainty (the smallest delay seen in the latest window). A mapped time is never
// later than the latest receive time.
//
// Captures (kAnchored): the first timed record observed maps to the anchor given to the
// constructor (the capture's start: `--anchor-time`, or derived from the file's
// modification time by the caller). Device clocks are taken as exact.
//
// A new boot restarts the device's ticks (new_boot()): live streams re-anchor on the next
// observation; captures chain, mapping the new boot's first record to the last time mapped
// in the previous boot (the reset is taken as immediate).
//
// Records without a device time map to their receive time (live) or to the last time
// mapped (captures; the anchor before any), so no record is ever at time 0.
//
// Thread-safety: one clock per stream, one thread. Allocation: none.
#pragma once

#include <cstdint>

namespace edgetrace::bridge {

enum class TimeMode : std::uint8_t { kLive, kAnchored };

class DeviceClock {
 public:
  explicit DeviceClock(TimeMode mode = TimeMode::kLive, std::uint64_t anchor_unix_nanos = 0)
      : mode_(mode), anchor_(anchor_unix_nanos) {}

  TimeMode mode() const noexcept { return mode_; }

  // A record written at `ticks` (at `tick_hz` ticks per second; 0 means unknown and is
  // ignored) arrived at `receive_unix_nanos` (ignored in kAnchored mode).
  void observe(std::uint64_t ticks, std::uint64_t tick_hz, std::uint64_t receive_unix_nanos);
  // The wall-clock time of `ticks` in the current boot. Before any observation: kLive, the
  // latest receive time; kAnchored, the anchor.
  std::uint64_t to_unix_nanos(std::uint64_t ticks, std::uint64_t tick_hz) const noexcept;
  // The time of a record without device time that arrived at `receive_unix_nanos`.
  std::uint64_t untimed(std::uint64_t receive_unix_nanos) const noexcept;
  // The device rebooted: its ticks restart.
  void new_boot() noexcept;

  // Estimated device clock drift relative to the host, in parts per million (positive:
  // the device's clock runs slow, falling behind the host's); 0 until estimated or in
  // kAnchored mode.
  double drift_ppm() const noexcept { return slope_ * 1e6; }
  // The remaining uncertainty of mapped times (kLive), 0 when unknown or in kAnchored mode.
  std::uint64_t error_nanos() const noexcept { return error_; }
  // The latest time mapped or observed.
  std::uint64_t last_unix_nanos() const noexcept { return last_; }

  // Device ticks as nanoseconds (exact for tick rates up to 18 GHz).
  static std::uint64_t ticks_to_nanos(std::uint64_t ticks, std::uint64_t tick_hz) noexcept;

 private:
  struct Point {
    std::int64_t device_nanos = 0;
    std::int64_t offset = 0;  // receive - device
  };
  std::int64_t offset_at(std::int64_t device_nanos) const noexcept;

  TimeMode mode_;
  std::uint64_t anchor_;
  bool anchored_ = false;    // an offset is known for this boot
  std::int64_t offset_ = 0;  // receive - device, the envelope (or the anchor's offset)
  double slope_ = 0;         // drift correction, offset change per device nanosecond
  bool has_first_ = false;   // first window complete
  Point first_;              // the first window's lowest point
  Point window_;             // the current window's lowest point
  std::int64_t window_start_ = 0;
  std::uint64_t last_ = 0;
  std::uint64_t latest_receive_ = 0;
  std::uint64_t error_ = 0;
};

}  // namespace edgetrace::bridge
