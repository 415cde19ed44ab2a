// OtlpQueueExporter: the daemon's OTLP exporter (HTTP or gRPC, otlp::OtlpExporter) behind the
// durable queue.
//
//   auto e = OtlpQueueExporter::create(options);     // Result<unique_ptr<OtlpQueueExporter>>
//
// A request the backend cannot take now (unreachable, 429/503 after the exporter's own retries,
// 401/403) is kRetryLater: it stays in the queue and is offered again, so an outage costs
// disk, not data. A request the backend refuses for good (400, a single item too large, an
// encoding failure) is kDropped and counted by reason. Partial successes are delivered, with
// the rejected items counted.
//
// Thread-safety: as Exporter. Blocks on the network up to the export deadline.
#pragma once

#include <array>
#include <memory>

#include "edgetrace/core/result.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "pipeline/exporter.hpp"

namespace edgetrace::daemon {

class OtlpQueueExporter : public Exporter {
 public:
  // One OtlpExporter per signal (each has its endpoint: <base>/v1/traces, /v1/logs ...).
  static core::Result<std::unique_ptr<OtlpQueueExporter>> create(
      std::array<otlp::OtlpExporterOptions, 3> per_signal, otlp::ErrorCallback on_error);

  std::string_view name() const noexcept override { return "otlp"; }
  ExportResult export_traces(const otlp::TraceRequest& request, otlp::Deadline deadline) override;
  ExportResult export_logs(const otlp::LogsRequest& request, otlp::Deadline deadline) override;
  ExportResult export_metrics(const otlp::MetricsRequest& request,
                              otlp::Deadline deadline) override;
  // Over OTLP/HTTP protobuf and OTLP/gRPC the queue's bytes are sent as they are.
  bool takes_protobuf(otlp::Signal signal) const override;
  ExportResult export_protobuf(otlp::Signal signal, const std::string& body, std::size_t items,
                               otlp::Deadline deadline) override;
  void write_metrics(MetricsText& out) const override;
  void drop_counts(DropCounts& out) const override;
  void shutdown() override;

 private:
  OtlpQueueExporter() = default;
  // Runs `export_call` on the signal's exporter and turns its outcome into an ExportResult.
  template <typename Call>
  ExportResult send(otlp::Signal signal, Call&& export_call);

  std::array<std::unique_ptr<otlp::OtlpExporter>, 3> exporters_;  // by otlp::Signal
};

}  // namespace edgetrace::daemon
