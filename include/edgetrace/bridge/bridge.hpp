// StreamBridge: the decoded records of one device stream become OTLP spans and log records.
//
//   bridge::BridgeOptions options;
//   options.firmware = *bridge::read_firmware_info(elf, path);
//   bridge::StreamBridge bridge(options, [&](bridge::Batch& batch) {
//     queue.push(otlp::encode_protobuf(batch.traces));   // or export, or print as JSON
//     queue.push(otlp::encode_protobuf(batch.logs));
//   });
//   decoder->feed(bytes, [&](const decoder::Record& r) {
//     bridge.add(r, decoder->counters(), receive_unix_nanos);
//   });
//   bridge.end_stream(now);   // connection closed: spans left open end as incomplete
//   bridge.flush();
//
// What it builds (docs/bridge.md has the whole mapping):
// - edgetrace streams: a span from its exit record alone (name, ids, parent, start, end,
//   remote W3C parent), with ids from bridge/ids.hpp, so any bridge instance emits the same
//   span. Enter records keep live state: a span still open when the stream ends, the device
//   reboots (a handshake with another boot counter) or the live state is full is emitted
//   with status ERROR and `edgetrace.span.incomplete = true`.
// - log records carry the trace and span id of the innermost span open on the device when
//   they were written; records outside any span carry none. A device does not say whether
//   a root span has a remote parent until a span of that trace exits, so log records inside
//   a trace not yet resolved are held (bounded: max_held_logs, max_log_hold_nanos) and
//   released with the right ids as soon as an exit resolves the trace (on timeout, on
//   overflow, or when the span ends without an exit in its trace: with the locally derived
//   trace id, counted in logs_correlation_guessed).
// - tracing-defmt streams (Rust firmware using tracing-defmt): its span enter/exit and
//   in-span event markers, recognised from the defmt table, become spans (ids from the
//   device) and log records correlated to them; plain defmt frames become log records.
// - loss: a sequence gap, a corrupt frame, an undecodable record or a device's drop report
//   (seen as a change of the decoder's counters) adds an `edgetrace.frames.lost` event to
//   every open span and a WARN log record, and is counted.
// - time: device ticks through a DeviceClock (bridge/clock.hpp); no record has time 0.
// - resource: one per device and boot (bridge/resource.hpp).
//
// Output: spans and log records accumulate in one TraceRequest and one LogsRequest, which
// are handed to the sink when batch_records are pending and on flush(). The sink may read,
// modify or swap out the messages; after it returns they are cleared and reused (their
// allocations are kept, so a warm bridge allocates little).
//
// Thread-safety: one bridge per stream, used from one thread; the sink runs on that thread.
// Blocking: only in the sink. Memory: bounded by max_open_spans, max_held_logs and
// batch_records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "edgetrace/bridge/clock.hpp"
#include "edgetrace/bridge/resource.hpp"
#include "edgetrace/decoder/record.hpp"
#include "edgetrace/otlp/codec.hpp"

namespace edgetrace::decoder {
class DefmtTable;
}

namespace edgetrace::bridge {

// What is handed to the sink. Either request may be empty (no resource entries).
struct Batch {
  otlp::TraceRequest& traces;
  otlp::LogsRequest& logs;
  std::size_t spans = 0;
  std::size_t log_records = 0;
};
using BatchSink = std::function<void(Batch&)>;

// Finds what the bridge should know about the firmware a handshake announced.
using FirmwareLookup =
    std::function<std::optional<FirmwareInfo>(std::span<const std::uint8_t> build_id)>;

struct BridgeOptions {
  ResourceOptions resource{};
  // The stream's firmware when known before any handshake (defmt streams, `--elf`).
  FirmwareInfo firmware{};
  // Firmware announced by an edgetrace handshake; unset or nullopt: a FirmwareInfo with
  // only the build-id.
  FirmwareLookup firmware_lookup{};
  // The device id known from the transport (MQTT topic, HTTP header); a handshake's
  // non-empty device id replaces it.
  core::Bytes device_id{};
  // Live streams or captures (see DeviceClock), and a capture's anchor.
  TimeMode time = TimeMode::kLive;
  std::uint64_t anchor_unix_nanos = 0;
  // Spans + log records pending before the sink is called.
  std::size_t batch_records = 512;
  // Live span state: at most this many spans open at once per stream (then the oldest is
  // ended as incomplete, counted in open_spans_evicted).
  std::size_t max_open_spans = 1024;
  // Log records held until their trace is known.
  std::size_t max_held_logs = 1024;
  std::uint64_t max_log_hold_nanos = 5'000'000'000;
};

// Every count of one bridge; they only grow, except the two clock gauges.
struct BridgeCounters {
  std::uint64_t records = 0;                    // records given to add()
  std::uint64_t spans = 0;                      // spans emitted (incomplete ones included)
  std::uint64_t incomplete_spans = 0;           // ended by a reset, disconnect or eviction
  std::uint64_t open_spans_evicted = 0;         // live state full: oldest open span ended
  std::uint64_t log_records = 0;                // log records emitted
  std::uint64_t logs_held = 0;                  // log records that waited for their trace
  std::uint64_t logs_correlation_guessed = 0;   // released with a locally derived trace id
  std::uint64_t loss_events = 0;                // edgetrace.frames.lost events/logs written
  std::uint64_t frames_lost = 0;                // sequence gaps seen in the decoder's counters
  std::uint64_t frames_corrupt = 0;             // corrupt frames seen likewise
  std::uint64_t records_dropped_by_device = 0;  // the device's drop reports
  std::uint64_t records_undecodable = 0;        // malformed records and unknown call sites
  std::uint64_t records_untimed = 0;            // records without device time (receive time
                                                // or anchor used)
  std::uint64_t resets = 0;                     // device reboots seen (new boot counter)
  std::uint64_t batches = 0;                    // sink calls
  double clock_drift_ppm = 0;                   // gauge: DeviceClock::drift_ppm()
  std::uint64_t clock_error_nanos = 0;          // gauge: DeviceClock::error_nanos()
};

class StreamBridge {
 public:
  StreamBridge(BridgeOptions options, BatchSink sink);
  ~StreamBridge();
  StreamBridge(const StreamBridge&) = delete;
  StreamBridge& operator=(const StreamBridge&) = delete;

  // The defmt table of the stream's firmware (defmt streams): its tracing-defmt markers are
  // found once here. "defmt" becomes the stream format of the resource.
  void set_defmt_table(std::shared_ptr<const decoder::DefmtTable> table);

  // One decoded record, the decoder's counters just after it, and when its bytes arrived
  // (live streams; ignored for captures).
  void add(const decoder::Record& record, const decoder::DecoderCounters& counters,
           std::uint64_t receive_unix_nanos = 0);
  // The decoder's counters after the stream ended without a further record (a corrupt
  // frame at the end still becomes a loss event).
  void note_counters(const decoder::DecoderCounters& counters,
                     std::uint64_t receive_unix_nanos = 0);
  // The stream ended or the connection dropped: open spans end as incomplete, held log
  // records are released. The bridge can then take a new stream of the same device.
  void end_stream(std::uint64_t receive_unix_nanos = 0);
  // Hands everything pending to the sink.
  void flush();

  const BridgeCounters& counters() const noexcept;
  // The resource of the latest records.
  const core::Resource& resource() const noexcept;
  const DeviceClock& clock() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace edgetrace::bridge
