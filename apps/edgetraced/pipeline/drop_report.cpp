#include "pipeline/drop_report.hpp"

#include "edgetrace/otlp/model.hpp"

namespace edgetrace::daemon {
namespace {

using opentelemetry::proto::metrics::v1::AggregationTemporality;

std::string_view unit_of(std::string_view metric) {
  return metric.find(".records.") != std::string_view::npos ? "{record}" : "{item}";
}

std::string_view description_of(std::string_view metric) {
  if (metric == "edgetraced.spans.dropped")
    return "Spans dropped by the daemon's processors.";
  if (metric == "edgetraced.logs.dropped")
    return "Log records dropped by the daemon's processors.";
  if (metric == "edgetraced.queue.records.dropped")
    return "Requests dropped by the daemon's durable queue.";
  if (metric == "edgetraced.export.items.dropped")
    return "Items a backend refused for good.";
  return "Items dropped by the daemon.";
}

}  // namespace

otlp::MetricsRequest drop_report(const DropCounts& counts, const core::Attributes& resource,
                                 std::uint64_t start_unix_nano, std::uint64_t now_unix_nano) {
  otlp::MetricsRequest request;
  opentelemetry::proto::metrics::v1::ScopeMetrics* scope = nullptr;
  for (const DropCount& c : counts) {
    if (c.count == 0)
      continue;
    if (scope == nullptr) {
      auto* rm = request.add_resource_metrics();
      otlp::add_attributes(*rm->mutable_resource()->mutable_attributes(), resource);
      scope = rm->add_scope_metrics();
      scope->mutable_scope()->set_name("edgetraced");
    }
    opentelemetry::proto::metrics::v1::Metric* metric = nullptr;
    for (auto& m : *scope->mutable_metrics())
      if (m.name() == c.metric)
        metric = &m;
    if (metric == nullptr) {
      metric = scope->add_metrics();
      metric->set_name(c.metric);
      metric->set_unit(std::string(unit_of(c.metric)));
      metric->set_description(std::string(description_of(c.metric)));
      metric->mutable_sum()->set_is_monotonic(true);
      metric->mutable_sum()->set_aggregation_temporality(
          AggregationTemporality::AGGREGATION_TEMPORALITY_CUMULATIVE);
    }
    auto* point = metric->mutable_sum()->add_data_points();
    point->set_start_time_unix_nano(start_unix_nano);
    point->set_time_unix_nano(now_unix_nano);
    point->set_as_int(static_cast<std::int64_t>(c.count));
    otlp::add_attribute(*point->mutable_attributes(), "reason", c.reason);
    if (!c.pipeline.empty())
      otlp::add_attribute(*point->mutable_attributes(), "pipeline", c.pipeline);
  }
  return request;
}

}  // namespace edgetrace::daemon
