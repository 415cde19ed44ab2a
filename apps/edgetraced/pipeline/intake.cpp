#include "pipeline/intake.hpp"

#include "pipeline/processors.hpp"
#include "pipeline/telemetry_queue.hpp"

namespace edgetrace::daemon {
namespace {

std::uint64_t count_items(const otlp::TraceRequest& r) {
  std::uint64_t n = 0;
  for (const auto& rs : r.resource_spans())
    for (const auto& ss : rs.scope_spans())
      n += static_cast<std::uint64_t>(ss.spans_size());
  return n;
}
std::uint64_t count_items(const otlp::LogsRequest& r) {
  std::uint64_t n = 0;
  for (const auto& rl : r.resource_logs())
    for (const auto& sl : rl.scope_logs())
      n += static_cast<std::uint64_t>(sl.log_records_size());
  return n;
}
std::uint64_t count_items(const otlp::MetricsRequest& r) {
  std::uint64_t n = 0;
  for (const auto& rm : r.resource_metrics())
    for (const auto& sm : rm.scope_metrics())
      n += static_cast<std::uint64_t>(sm.metrics_size());
  return n;
}

template <typename Request>
IntakeResult append(TelemetryQueue& queue, const Request& request) {
  IntakeResult result;
  result.accepted = count_items(request);
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

}  // namespace edgetrace::daemon
