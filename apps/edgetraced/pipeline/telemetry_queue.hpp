// TelemetryQueue: the durable queue between every receiver and every exporter of the
// daemon, and the one thread that drains it into the exporters.
//
//   TelemetryQueue queue(options, exporters);          // exporters: borrowed, outlive it
//   if (core::Status s = queue.open(); !s.ok()) ...     // recovers what a crash left
//   queue.start();                                     // the consumer thread
//   core::Status st = queue.append(trace_request);     // OK: on disk, will be delivered
//   ...
//   queue.stop(deadline);                              // drains until the deadline
//
// Records are OTLP export requests, each stored as one byte of signal then the request's
// protobuf encoding, with a priority used when the disk budget is full: a logs request has
// the highest SeverityNumber of its records, a traces request kTracePriority, a metrics
// request kMetricsPriority. append() returns OK only once the record is in the queue's files
// (it survives kill -9); receivers acknowledge their senders only after that. When the
// budget is full, the lowest-priority (then oldest) records are dropped and counted (the
// DurableQueue's drop policy); append() of a record that is itself the lowest fails with
// kResourceExhausted and the receiver must not acknowledge it.
//
// The consumer reads batches in order (letting records gather for up to batch_delay first)
// and hands each record to every exporter in turn.
// An exporter answering kRetryLater stops the batch: the queue is rewound and the same
// record is offered again after a backoff (retry.initial .. retry.max, doubling), so a
// backend outage keeps data in the queue (within the budget) instead of dropping it.
// Exporters that already took a record are not called again for it in this run. A record
// is acknowledged (removed) once every exporter delivered or dropped it.
//
// Thread-safety: append*() from any thread, concurrently. open(), start() and stop() from
// one controlling thread. counters()/write_metrics() from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "edgetrace/core/result.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "edgetrace/otlp/durable_queue.hpp"
#include "edgetrace/otlp/exporter_options.hpp"
#include "pipeline/drop_report.hpp"
#include "pipeline/exporter.hpp"
#include "pipeline/metrics_text.hpp"

namespace edgetrace::daemon {

// SeverityNumber of INFO4: spans rank above DEBUG/TRACE logs and below WARN when the
// budget forces drops.
inline constexpr std::uint8_t kTracePriority = 12;
inline constexpr std::uint8_t kMetricsPriority = 12;

struct TelemetryQueueOptions {
  otlp::DurableQueueOptions queue;  // directory, max_bytes, fsync...
  // Records read per batch.
  std::size_t batch_records = 64;
  // How long the consumer lets records gather, once one arrives, before it reads them
  // (unless batch_records are already waiting, or the queue is stopping): the records then
  // go out as one export request per signal instead of one each. At the OpenTelemetry
  // Collector's load-test point (100 requests/s) this divides the exporter's requests, and
  // the consumer's wake-ups, by about 20 (docs/benchmarks.md), for at most this much more
  // delay before export; the data is already durable meanwhile. The Collector's batch
  // processor waits 200 ms by default too. 0: read each record as soon as it is appended.
  std::chrono::milliseconds batch_delay{200};
  // Time given to one export call.
  std::chrono::milliseconds export_timeout{10000};
  // Backoff between attempts of a record that an exporter asked to retry.
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{30000};
};

struct TelemetryQueueCounters {
  std::atomic<std::uint64_t> appended_traces{0};
  std::atomic<std::uint64_t> appended_logs{0};
  std::atomic<std::uint64_t> appended_metrics{0};
  std::atomic<std::uint64_t> spans_appended{0};
  std::atomic<std::uint64_t> logs_appended{0};
  std::atomic<std::uint64_t> append_refused{0};  // append() failed (full at lowest priority, I/O)
  std::atomic<std::uint64_t> unreadable{0};      // a record that did not decode (dropped)
  std::atomic<std::uint64_t> retries{0};         // records offered again after kRetryLater
};

class TelemetryQueue {
 public:
  TelemetryQueue(TelemetryQueueOptions options, std::vector<Exporter*> exporters);
  ~TelemetryQueue();  // stop() with no deadline left
  TelemetryQueue(const TelemetryQueue&) = delete;
  TelemetryQueue& operator=(const TelemetryQueue&) = delete;

  // Opens the queue directory (DurableQueue::open): errors name the directory.
  core::Status open();
  void start();
  // Stops taking appends (they fail with kUnavailable), lets the consumer deliver what it can
  // until `deadline`, then shuts the exporters down and joins. What is left stays on disk.
  void stop(std::chrono::steady_clock::time_point deadline);

  core::Status append(const otlp::TraceRequest& request);
  core::Status append(const otlp::LogsRequest& request);
  core::Status append(const otlp::MetricsRequest& request);
  // Appends a request of `signal` given as its protobuf bytes (stored as they are), which
  // the decoder accepts; `summary` counts its items (for logs: their highest severity, the
  // record's priority). Nothing is appended for a request without items.
  core::Status append_protobuf(otlp::Signal signal, std::string_view bytes,
                               const otlp::WireSummary& summary);
  // Blocks until the consumer has caught up with every append made so far (or `deadline`):
  // true when it did. For tests and orderly shutdown.
  bool wait_idle(std::chrono::steady_clock::time_point deadline);

  const TelemetryQueueCounters& counters() const noexcept { return counters_; }
  otlp::DurableQueueCounters queue_counters() const;
  void write_metrics(MetricsText& out) const;
  // Records it dropped, for the drop report.
  void drop_counts(DropCounts& out) const;

 private:
  core::Status append_encoded(std::uint8_t signal, const google::protobuf::Message& request,
                              std::uint8_t priority);
  core::Status append_payload(const std::string& payload, std::uint8_t priority);
  void run();
  // Delivers one record to every exporter that has not taken it: false to retry later.
  enum class Delivery : std::uint8_t { kDone, kRetry, kUnreadable };
  // Records of one signal, in sequence order.
  using Group = std::span<const otlp::QueuedRecord* const>;
  // Delivers the group as one request to every exporter that has not taken it yet.
  // kRetry: an exporter asked to retry later; kUnreadable: the records do not decode.
  Delivery deliver(Group group);
  // deliver(), falling back to one record at a time when the group does not decode.
  Delivery deliver_group(Group group);
  // Payload signal bytes: 1 traces, 2 logs, 3 metrics (0: unknown).
  static constexpr std::size_t kSignals = 4;

  TelemetryQueueOptions options_;
  std::vector<Exporter*> exporters_;
  // Per exporter and signal: the last sequence taken.
  std::vector<std::array<std::uint64_t, kSignals>> done_up_to_;
  std::optional<otlp::DurableQueue> queue_;
  TelemetryQueueCounters counters_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool accepting_ = true;
  std::chrono::steady_clock::time_point stop_deadline_{};
  std::uint64_t appended_seq_ = 0;  // last sequence appended
  std::uint64_t acked_seq_ = 0;     // last sequence acknowledged
  std::uint64_t read_seq_ = 0;      // last sequence read by the consumer
  bool retry_pending_ = false;      // a record waits for an exporter's retry
  bool idle_ = true;                // the consumer has nothing left to deliver
  std::thread thread_;
};

}  // namespace edgetrace::daemon
