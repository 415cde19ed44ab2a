// Processors: what the daemon does to telemetry between its receivers and the durable queue,
// in place, on the receiving thread, before the append (so nothing dropped here takes disk
// or export time). Configured under [processors]; applied to every device stream (and to
// what later receivers accept).
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

#include "edgetrace/core/attributes.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "pipeline/metrics_text.hpp"

namespace edgetrace::daemon {

struct ProcessorOptions {
  // Set on every resource (spans and logs); an attribute of the same name is replaced.
  core::Attributes resource_attributes;
  // Log records with a SeverityNumber below this are dropped (0: keep everything). Records
  // without a severity (0) are kept.
  int min_log_severity = 0;
};

class Processors {
 public:
  explicit Processors(ProcessorOptions options);
  void process(otlp::TraceRequest& request);
  void process(otlp::LogsRequest& request);
  void write_metrics(MetricsText& out) const;

  std::uint64_t logs_dropped() const noexcept { return logs_dropped_.load(); }

 private:
  ProcessorOptions options_;
  std::atomic<std::uint64_t> resources_{0};
  std::atomic<std::uint64_t> logs_dropped_{0};
};

}  // namespace edgetrace::daemon
