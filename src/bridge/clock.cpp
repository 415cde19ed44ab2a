#include "edgetrace/bridge/clock.hpp"

#include <algorithm>
#include <limits>

namespace edgetrace::bridge {
namespace {

constexpr std::int64_t kWindowNanos = 10'000'000'000;        // envelope window: 10 s of device time
constexpr std::int64_t kMinDriftSpanNanos = 30'000'000'000;  // drift estimated over >= 30 s

std::int64_t as_signed(std::uint64_t v) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(
      v, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
}

std::uint64_t as_unsigned(std::int64_t v) {
  return v < 1 ? 1 : static_cast<std::uint64_t>(v);  // never 0: "no record at time 0"
}

}  // namespace

std::uint64_t DeviceClock::ticks_to_nanos(std::uint64_t ticks, std::uint64_t tick_hz) noexcept {
  if (tick_hz == 0)
    return 0;
  const std::uint64_t seconds = ticks / tick_hz;
  const std::uint64_t rest = ticks % tick_hz;  // < tick_hz, so rest * 1e9 fits below 18 GHz
  return seconds * 1'000'000'000 + rest * 1'000'000'000 / tick_hz;
}

std::int64_t DeviceClock::offset_at(std::int64_t device_nanos) const noexcept {
  if (slope_ == 0 || !has_first_)
    return offset_;
  return first_.offset + static_cast<std::int64_t>(
                             slope_ * static_cast<double>(device_nanos - first_.device_nanos));
}

void DeviceClock::observe(std::uint64_t ticks, std::uint64_t tick_hz,
                          std::uint64_t receive_unix_nanos) {
  if (tick_hz == 0)
    return;
  const std::int64_t device = as_signed(ticks_to_nanos(ticks, tick_hz));
  if (mode_ == TimeMode::kAnchored) {
    if (!anchored_) {
      // The first record of the capture maps to the anchor; the first of a later boot to the
      // last time of the previous boot.
      const std::uint64_t at = last_ != 0 ? last_ : anchor_;
      offset_ = as_signed(at) - device;
      anchored_ = true;
    }
    last_ = std::max(last_, as_unsigned(device + offset_));
    return;
  }

  latest_receive_ = std::max(latest_receive_, receive_unix_nanos);
  const std::int64_t offset = as_signed(receive_unix_nanos) - device;
  if (!anchored_) {
    anchored_ = true;
    offset_ = offset;
    has_first_ = false;
    slope_ = 0;
    window_ = {device, offset};
    window_start_ = device;
  }
  // The envelope: the smallest delay seen so far.
  offset_ = std::min(offset_, offset);
  if (device - window_start_ >= kWindowNanos) {
    // A window is complete: the first one anchors the drift estimate, later ones move it.
    if (!has_first_) {
      first_ = window_;
      has_first_ = true;
    } else if (window_.device_nanos - first_.device_nanos >= kMinDriftSpanNanos) {
      slope_ = static_cast<double>(window_.offset - first_.offset) /
               static_cast<double>(window_.device_nanos - first_.device_nanos);
    }
    window_ = {device, offset};
    window_start_ = device;
  } else if (offset < window_.offset) {
    window_ = {device, offset};
  }
  const std::int64_t mapped_offset = offset_at(device);
  const std::int64_t delay = offset - mapped_offset;
  error_ = delay > 0 ? static_cast<std::uint64_t>(delay) : 0;
  if (window_.offset - mapped_offset >= 0)
    error_ =
        std::min<std::uint64_t>(error_, static_cast<std::uint64_t>(window_.offset - mapped_offset));
  last_ = std::max(last_, std::min(as_unsigned(device + mapped_offset), latest_receive_));
}

std::uint64_t DeviceClock::to_unix_nanos(std::uint64_t ticks,
                                         std::uint64_t tick_hz) const noexcept {
  if (!anchored_ || tick_hz == 0)
    return mode_ == TimeMode::kLive ? as_unsigned(as_signed(latest_receive_))
                                    : as_unsigned(as_signed(last_ != 0 ? last_ : anchor_));
  const std::int64_t device = as_signed(ticks_to_nanos(ticks, tick_hz));
  const std::uint64_t t = as_unsigned(device + offset_at(device));
  // A live record cannot have been written after it arrived.
  return mode_ == TimeMode::kLive && latest_receive_ != 0 ? std::min(t, latest_receive_) : t;
}

std::uint64_t DeviceClock::untimed(std::uint64_t receive_unix_nanos) const noexcept {
  if (mode_ == TimeMode::kLive)
    return as_unsigned(as_signed(receive_unix_nanos != 0 ? receive_unix_nanos : latest_receive_));
  return as_unsigned(as_signed(last_ != 0 ? last_ : anchor_));
}

void DeviceClock::new_boot() noexcept {
  anchored_ = false;
  has_first_ = false;
  slope_ = 0;
  error_ = 0;
}

}  // namespace edgetrace::bridge
