#include "exporters/otlp_exporter.hpp"

#include <string>

namespace edgetrace::daemon {

core::Result<std::unique_ptr<OtlpQueueExporter>> OtlpQueueExporter::create(
    std::array<otlp::OtlpExporterOptions, 3> per_signal, otlp::ErrorCallback on_error) {
  std::unique_ptr<OtlpQueueExporter> e(new OtlpQueueExporter());
  for (std::size_t i = 0; i < 3; ++i) {
    core::Result<std::unique_ptr<otlp::OtlpExporter>> made =
        otlp::OtlpExporter::create(std::move(per_signal[i]), on_error);
    if (!made)
      return core::Status(made.status().code(), "exporters.otlp: " + made.status().message());
    e->exporters_[i] = std::move(made).value();
  }
  return e;
}

template <typename Call>
ExportResult OtlpQueueExporter::send(otlp::Signal signal, Call&& export_call) {
  otlp::OtlpExporter& e = *exporters_[static_cast<std::size_t>(signal)];
  // The queue spaces its retries out; each of them should reach the backend.
  if (e.circuit_open())
    e.reset_circuit_breaker();
  const otlp::ExporterCounters& c = e.counters();
  using R = otlp::DropReason;
  const std::uint64_t temporary_before = c.dropped(R::kRetryExhausted) + c.dropped(R::kShutdown) +
                                         c.dropped(R::kCircuitOpen) + c.dropped(R::kUnauthorized);
  const otlp::ExportOutcome out = export_call(e);
  if (out.failed == 0)
    return ExportResult::kDelivered;
  const std::uint64_t temporary_after = c.dropped(R::kRetryExhausted) + c.dropped(R::kShutdown) +
                                        c.dropped(R::kCircuitOpen) + c.dropped(R::kUnauthorized);
  // Any item of this request that failed for a temporary reason: the whole request is
  // offered again (the items already delivered may be sent twice: at-least-once).
  return temporary_after > temporary_before ? ExportResult::kRetryLater : ExportResult::kDropped;
}

ExportResult OtlpQueueExporter::export_traces(const otlp::TraceRequest& request,
                                              otlp::Deadline deadline) {
  return send(otlp::Signal::kTraces,
              [&](otlp::OtlpExporter& e) { return e.export_traces(request, deadline); });
}
ExportResult OtlpQueueExporter::export_logs(const otlp::LogsRequest& request,
                                            otlp::Deadline deadline) {
  return send(otlp::Signal::kLogs,
              [&](otlp::OtlpExporter& e) { return e.export_logs(request, deadline); });
}
ExportResult OtlpQueueExporter::export_metrics(const otlp::MetricsRequest& request,
                                               otlp::Deadline deadline) {
  return send(otlp::Signal::kMetrics,
              [&](otlp::OtlpExporter& e) { return e.export_metrics(request, deadline); });
}

bool OtlpQueueExporter::takes_protobuf(otlp::Signal signal) const {
  return exporters_[static_cast<std::size_t>(signal)]->accepts_encoded();
}

ExportResult OtlpQueueExporter::export_protobuf(otlp::Signal signal, const std::string& body,
                                                std::size_t items, otlp::Deadline deadline) {
  return send(signal, [&](otlp::OtlpExporter& e) {
    return e.export_protobuf(signal, body, items, deadline);
  });
}

void OtlpQueueExporter::shutdown() {
  for (auto& e : exporters_)
    e->shutdown();
}

void OtlpQueueExporter::drop_counts(DropCounts& out) const {
  std::uint64_t partial = 0;
  std::array<std::uint64_t, 3> by_reason{};
  constexpr std::array<otlp::DropReason, 3> kForGood = {
      otlp::DropReason::kRejected, otlp::DropReason::kTooLarge, otlp::DropReason::kEncodeFailed};
  for (const auto& e : exporters_) {
    partial += e->counters().items_rejected_partial.load(std::memory_order_relaxed);
    for (std::size_t r = 0; r < kForGood.size(); ++r)
      by_reason[r] += e->counters().dropped(kForGood[r]);
  }
  for (std::size_t r = 0; r < kForGood.size(); ++r)
    out.push_back({"edgetraced.export.items.dropped", std::string(otlp::to_string(kForGood[r])), "",
                   by_reason[r]});
  out.push_back({"edgetraced.export.items.dropped", "partial_success", "", partial});
}

void OtlpQueueExporter::write_metrics(MetricsText& out) const {
  static constexpr std::array<std::string_view, 3> kSignals = {"traces", "logs", "metrics"};
  auto each = [&](std::string_view metric, std::string_view help, auto read) {
    for (std::size_t i = 0; i < 3; ++i)
      out.sample(metric, "counter", help, {{"exporter", "otlp"}, {"signal", kSignals[i]}},
                 static_cast<double>(read(exporters_[i]->counters())));
  };
  each("edgetraced_exported_items_total",
       "Items (spans, log records, metric points) the backend acknowledged.",
       [](const otlp::ExporterCounters& c) { return c.items_exported.load(); });
  each("edgetraced_export_rejected_items_total", "Items the backend rejected in a partial success.",
       [](const otlp::ExporterCounters& c) { return c.items_rejected_partial.load(); });
  each("edgetraced_export_requests_total", "Export requests sent (attempts).",
       [](const otlp::ExporterCounters& c) { return c.requests.load(); });
  each("edgetraced_export_bytes_total", "Request bytes sent (after compression).",
       [](const otlp::ExporterCounters& c) { return c.bytes_sent.load(); });
  for (std::size_t r = 0; r < static_cast<std::size_t>(otlp::DropReason::kCount); ++r) {
    const std::string reason(otlp::to_string(static_cast<otlp::DropReason>(r)));
    for (std::size_t i = 0; i < 3; ++i)
      out.sample(
          "edgetraced_export_failures_total", "counter",
          "Items an export attempt failed for, by class (temporary classes are "
          "retried from the queue: retry_exhausted, shutdown, circuit_open, "
          "unauthorized).",
          {{"exporter", "otlp"}, {"signal", kSignals[i]}, {"class", reason}},
          static_cast<double>(exporters_[i]->counters().dropped(static_cast<otlp::DropReason>(r))));
  }
}

}  // namespace edgetrace::daemon
