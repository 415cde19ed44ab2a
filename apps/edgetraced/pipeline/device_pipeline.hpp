// DevicePipeline: the device path of the daemon. A receiver opens one DeviceStream per
// device stream (a TCP connection, an MQTT device, an HTTP request, a serial port) and
// feeds it bytes; the stream finds the firmware's tables by build-id (SymbolSource),
// decodes, rebuilds spans and logs (bridge::StreamBridge) and appends them to the durable
// queue (TelemetryQueue) before feed() returns.
//
//   DevicePipeline pipeline(options, symbols, queue);
//   ReceiverCounters& counters = pipeline.receiver("device_tcp");
//   std::shared_ptr<DeviceStream> stream = pipeline.open({.receiver = "device_tcp",
//                                                         .peer = "10.0.0.7:50122"});
//   if (core::Status s = stream->feed(bytes); !s.ok()) { /* not accepted: do not ack */ }
//   stream->finish();                                       // connection closed
//
// Unknown build-id: a stream whose first handshake (or transport-given build-id) names a
// firmware the symbol source does not have is held: its bytes are kept (at most
// hold_max_bytes per stream, hold_total_bytes for all) for at most hold_time, and decoded
// as soon as the ELF arrives (retry_held(), called by a timer and after each symbol upload).
// A stream that expires is counted (held_expired, with its bytes) and reported on the
// daemon's log with the build-id; bytes beyond a bound are counted (held_bytes_dropped).
// feed() of a held stream returns OK: the bytes are accepted into memory, not the queue
// (docs/daemon.md says so).
//
// Thread-safety: open(), receiver(), retry_held() and write_metrics() from any thread.
// A DeviceStream is fed by one receiver thread at a time; retry_held() may run on another
// thread, so each stream has a mutex (uncontended on the hot path). feed() does file I/O
// (the queue append) and allocates only what the decoder and bridge need.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/bridge/bridge.hpp"
#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/result.hpp"
#include "edgetrace/decoder/decoder.hpp"
#include "pipeline/metrics_text.hpp"

namespace edgetrace::daemon {

class SymbolSource;
class TelemetryQueue;

// Where a stream comes from.
struct StreamOrigin {
  std::string receiver;     // "device_tcp", "device_mqtt", "device_http", "serial"
  std::string peer;         // for messages: "10.0.0.7:50122", a topic, a tty path
  core::Bytes device_id{};  // known from the transport; a handshake's replaces it
  core::Bytes build_id{};   // known from the transport (no handshake needed)
  decoder::StreamFormat format = decoder::StreamFormat::kEdgetrace;
  // Live streams take receive times; replayed files are anchored (bridge::TimeMode).
  bridge::TimeMode time = bridge::TimeMode::kLive;
  std::uint64_t anchor_unix_nanos = 0;
  // edgetrace streams: called with each valid frame's record bytes and sequence number
  // before it is decoded; false skips the frame (a duplicate of one already seen). MQTT
  // uses it to drop redelivered frames.
  std::function<bool(std::span<const std::uint8_t> record, std::uint8_t seq)> accept_frame{};
};

// Counters of one receiver's device streams.
struct ReceiverCounters {
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> frames_received{0};  // valid frames (framing and CRC)
  std::atomic<std::uint64_t> frames_decoded{0};   // records decoded
  std::atomic<std::uint64_t> frames_corrupt{0};
  std::atomic<std::uint64_t> bytes_skipped{0};     // outside whole frames (cut off, oversized)
  std::atomic<std::uint64_t> frames_lost{0};       // sequence gaps + the device's drop reports
  std::atomic<std::uint64_t> frames_unknown{0};    // unknown call sites, no table for the build-id
  std::atomic<std::uint64_t> frames_duplicate{0};  // refused by accept_frame
  std::atomic<std::uint64_t> spans{0};
  std::atomic<std::uint64_t> log_records{0};
  std::atomic<std::uint64_t> streams_opened{0};
  std::atomic<std::uint64_t> streams_active{0};
  std::atomic<std::uint64_t> queue_refusals{0};  // feed() failed: the queue did not take it
};

class Processors;

struct DevicePipelineOptions {
  bridge::ResourceOptions resource{};  // service rules, static attributes
  std::size_t batch_records = 512;     // bridge batch size
  Processors* processors = nullptr;    // applied to every batch before the queue append
  std::chrono::milliseconds hold_time{600000};
  std::size_t hold_max_bytes = 1u << 20;
  std::size_t hold_total_bytes = 64u << 20;
  // Called with a line for the daemon's own log (an expired held stream, ...).
  std::function<void(std::string_view)> log{};
  // Wall clock in Unix nanoseconds (tests replace it).
  std::function<std::uint64_t()> wall_clock{};
};

class DevicePipeline;

class DeviceStream {
 public:
  ~DeviceStream();
  DeviceStream(const DeviceStream&) = delete;
  DeviceStream& operator=(const DeviceStream&) = delete;

  // Decodes `bytes` (any chunking) and appends the finished spans and the log records to
  // the queue. OK: accepted (queued, or held for an unknown build-id). Otherwise the
  // queue's error: the caller must not acknowledge these bytes.
  core::Status feed(std::span<const std::uint8_t> bytes);
  // The stream ended: open spans end as incomplete, everything is flushed. A held stream
  // stays held (its ELF may still arrive).
  core::Status finish();
  // Whether the stream waits for its firmware's ELF.
  bool held() const;

 private:
  friend class DevicePipeline;
  struct State;
  explicit DeviceStream(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;  // shared with the held-stream registry
};

class DevicePipeline {
 public:
  DevicePipeline(DevicePipelineOptions options, SymbolSource& symbols, TelemetryQueue& queue);
  ~DevicePipeline();
  DevicePipeline(const DevicePipeline&) = delete;
  DevicePipeline& operator=(const DevicePipeline&) = delete;

  // The counters of a receiver (created on first use; the reference stays valid).
  ReceiverCounters& receiver(std::string_view name);
  std::shared_ptr<DeviceStream> open(StreamOrigin origin);
  // Tries the held streams again (decodes those whose ELF arrived, expires the old ones).
  void retry_held();
  std::size_t held_streams() const;
  void write_metrics(MetricsText& out) const;

  struct HeldCounters {
    std::atomic<std::uint64_t> streams_held{0};      // streams that had to wait
    std::atomic<std::uint64_t> streams_resolved{0};  // decoded after their ELF arrived
    std::atomic<std::uint64_t> streams_expired{0};   // hold_time passed: given up
    std::atomic<std::uint64_t> bytes_expired{0};
    std::atomic<std::uint64_t> bytes_dropped{0};  // beyond hold_max_bytes / hold_total_bytes
    std::atomic<std::uint64_t> bytes_held{0};     // gauge
  };
  const HeldCounters& held_counters() const noexcept { return held_; }

 private:
  friend class DeviceStream;
  struct Shared;
  std::shared_ptr<Shared> shared_;
  HeldCounters held_;
};

}  // namespace edgetrace::daemon
