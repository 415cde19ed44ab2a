// Exporter: where the daemon's durable queue delivers telemetry (OTLP, console trees,
// OTLP-JSON lines, and later the trace store).
//
//   class PrintingExporter : public daemon::Exporter {
//     std::string_view name() const noexcept override { return "print"; }
//     ExportResult export_traces(const otlp::TraceRequest& r, otlp::Deadline) override {
//       std::puts(r.DebugString().c_str());
//       return ExportResult::kDelivered;
//     }
//     ...
//   };
//
// The queue's consumer (TelemetryQueue) calls one exporter at a time, from its own thread,
// with each record in queue order; an exporter never sees the same record twice in one run
// (after a restart the last unacknowledged batch may be delivered again: at-least-once).
// kRetryLater keeps the record in the queue and the consumer calls again with the same
// record after a backoff; kDropped says the record was refused for good (counted by the
// exporter, by reason) and is acknowledged.
//
// Thread-safety: export_*() from the consumer thread only; write_metrics() from any thread
// (the admin listener) while exports run, so counters are atomics. shutdown() from any
// thread: makes a running or later export_*() return promptly (kRetryLater).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "edgetrace/otlp/batch_processor.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "edgetrace/otlp/exporter_options.hpp"
#include "pipeline/drop_report.hpp"
#include "pipeline/metrics_text.hpp"

namespace edgetrace::daemon {

enum class ExportResult : std::uint8_t {
  kDelivered,   // the destination has it
  kRetryLater,  // a temporary failure (destination down, throttled, shutting down)
  kDropped,     // refused for good (malformed, too large, unauthorized): counted, not retried
};

class Exporter {
 public:
  virtual ~Exporter() = default;
  // "otlp", "console", "file": the `exporter` label of its metrics.
  virtual std::string_view name() const noexcept = 0;
  virtual ExportResult export_traces(const otlp::TraceRequest& request,
                                     otlp::Deadline deadline) = 0;
  virtual ExportResult export_logs(const otlp::LogsRequest& request, otlp::Deadline deadline) = 0;
  // Metrics are forwarded by exporters that can carry them; the others ignore them.
  virtual ExportResult export_metrics(const otlp::MetricsRequest& request,
                                      otlp::Deadline deadline) {
    (void)request;
    (void)deadline;
    return ExportResult::kDelivered;
  }
  // Whether export_protobuf() takes requests of `signal` as protobuf bytes: the queue then
  // hands its records over as they are stored, without decoding them.
  virtual bool takes_protobuf(otlp::Signal signal) const {
    (void)signal;
    return false;
  }
  // A request of `signal` as its protobuf encoding (`body`, which the decoder accepts,
  // holding `items` items): called instead of export_*() only when takes_protobuf(signal).
  virtual ExportResult export_protobuf(otlp::Signal signal, const std::string& body,
                                       std::size_t items, otlp::Deadline deadline) {
    (void)signal;
    (void)body;
    (void)items;
    (void)deadline;
    return ExportResult::kDropped;
  }
  // Its counters, in Prometheus text, each sample labelled exporter="<name()>".
  virtual void write_metrics(MetricsText& out) const = 0;
  // Items it dropped for good, for the drop report (pipeline/drop_report.hpp).
  virtual void drop_counts(DropCounts& out) const { (void)out; }
  virtual void shutdown() {}
};

}  // namespace edgetrace::daemon
