// Processors: what the daemon does to telemetry between its receivers and the durable queue,
// in place, on the receiving thread, before the append (so nothing dropped here takes disk
// or export time). One per pipeline ("device", "otlp", "proxy"), configured under
// [processors] (shared) and [processors.<pipeline>] (that pipeline's redaction, sampling and
// rate caps): the minimum log severity, then edgetrace::processors (sampling, rate caps,
// redaction), then the resource attributes.
//
//   ProcessorOptions o;
//   o.resource_attributes.set("deployment.environment.name", "prod");
//   o.min_log_severity = 9;                       // SeverityNumber: INFO and above
//   Processors processors(o);
//   processors.process(traces);                   // adds the attributes to every resource
//   processors.process(logs);                     // also drops records below INFO (counted)
//
// Memory: none of its own (requests are changed in place). Thread-safety: process() from any
// number of receiving threads at once; counters are atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "edgetrace/core/attributes.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "edgetrace/otlp/exporter_options.hpp"
#include "edgetrace/processors/processors.hpp"
#include "pipeline/drop_report.hpp"
#include "pipeline/metrics_text.hpp"

namespace edgetrace::daemon {

struct ProcessorOptions {
  // Set on every resource (spans and logs); an attribute of the same name is replaced.
  core::Attributes resource_attributes;
  // Log records with a SeverityNumber below this are dropped (0: keep everything). Records
  // without a severity (0) are kept.
  int min_log_severity = 0;
  // Sampling, rate caps and redaction (null: none). Shared so a test can keep a handle.
  std::shared_ptr<processors::Processors> chain;
  // The `pipeline` label of the metrics: "device", "otlp", "proxy".
  std::string pipeline = "device";
};

// Items a process() call refused (rate caps): reported to senders as a partial success.
// Sampled-out items are not refusals.
struct ProcessResult {
  std::uint64_t rate_capped = 0;
};

class Processors {
 public:
  explicit Processors(ProcessorOptions options);
  ProcessResult process(otlp::TraceRequest& request);
  ProcessResult process(otlp::LogsRequest& request);
  // Whether process() may change or drop anything of a request of `signal` (metrics: never
  // processed). When not, receivers pass the request's bytes on without decoding them.
  bool changes(otlp::Signal signal) const noexcept;
  void write_metrics(MetricsText& out) const;
  // What it dropped, for the drop report (by signal and reason, labelled with the pipeline).
  void drop_counts(DropCounts& out) const;
  const std::string& pipeline() const noexcept { return options_.pipeline; }
  // Totals of the sampling / rate-cap / redaction stage (zeros without one).
  processors::ProcessorsCounters chain_counters() const;

  std::uint64_t logs_dropped() const noexcept { return logs_dropped_.load(); }

 private:
  ProcessorOptions options_;
  std::atomic<std::uint64_t> resources_{0};
  std::atomic<std::uint64_t> logs_dropped_{0};
};

}  // namespace edgetrace::daemon
