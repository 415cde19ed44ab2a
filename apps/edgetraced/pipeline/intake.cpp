#include "pipeline/intake.hpp"

#include "edgetrace/otlp/exporter.hpp"

#include "pipeline/processors.hpp"
#include "pipeline/telemetry_queue.hpp"

namespace edgetrace::daemon {
namespace {

template <typename Request>
IntakeResult append(TelemetryQueue& queue, const Request& request) {
  IntakeResult result;
  result.accepted = otlp::count_items(request);  // spans, log records, data points
  if (result.accepted == 0)
    return result;
  result.status = queue.append(request);
  if (!result.status.ok())
    result.accepted = 0;
  return result;
}

template <typename Request>
IntakeResult process_and_append(Processors* processors, TelemetryQueue& queue, Request& request) {
  std::uint64_t capped = 0;
  if (processors != nullptr)
    capped = processors->process(request).rate_capped;
  IntakeResult result = append(queue, request);
  if (capped > 0 && result.status.ok()) {
    result.rejected = capped;
    result.message = "rate cap of the instrumentation scope reached";
  }
  return result;
}

}  // namespace

IntakeResult QueueIntake::accept(otlp::TraceRequest& request) {
  return process_and_append(processors_, queue_, request);
}

IntakeResult QueueIntake::accept(otlp::LogsRequest& request) {
  return process_and_append(processors_, queue_, request);
}

IntakeResult QueueIntake::accept(otlp::MetricsRequest& request) {
  return append(queue_, request);
}

bool QueueIntake::takes_protobuf(otlp::Signal signal) const {
  return processors_ == nullptr || !processors_->changes(signal);
}

IntakeResult QueueIntake::accept_protobuf(otlp::Signal signal, std::string_view bytes,
                                          const otlp::WireSummary& summary) {
  IntakeResult result;
  result.accepted = summary.items;
  if (result.accepted == 0)
    return result;
  result.status = queue_.append_protobuf(signal, bytes, summary);
  if (!result.status.ok())
    result.accepted = 0;
  return result;
}

}  // namespace edgetrace::daemon
