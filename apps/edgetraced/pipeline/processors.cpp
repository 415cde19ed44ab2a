#include "pipeline/processors.hpp"

#include <algorithm>

#include "edgetrace/otlp/model.hpp"

namespace edgetrace::daemon {
namespace {

// Sets each configured attribute on one resource, replacing one of the same name.
void set_attributes(const core::Attributes& attributes,
                    opentelemetry::proto::resource::v1::Resource& resource) {
  auto& kvs = *resource.mutable_attributes();
  for (const core::KeyValue& kv : attributes) {
    auto it =
        std::find_if(kvs.begin(), kvs.end(), [&](const auto& e) { return e.key() == kv.key; });
    if (it != kvs.end())
      otlp::to_any_value(kv.value, *it->mutable_value());
    else
      otlp::add_attribute(kvs, kv.key, kv.value);
  }
}

}  // namespace

Processors::Processors(ProcessorOptions options) : options_(std::move(options)) {}

void Processors::process(otlp::TraceRequest& request) {
  if (options_.resource_attributes.empty())
    return;
  for (auto& rs : *request.mutable_resource_spans()) {
    set_attributes(options_.resource_attributes, *rs.mutable_resource());
    resources_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Processors::process(otlp::LogsRequest& request) {
  if (options_.min_log_severity > 0) {
    std::uint64_t dropped = 0;
    for (auto& rl : *request.mutable_resource_logs()) {
      for (auto& sl : *rl.mutable_scope_logs()) {
        auto& records = *sl.mutable_log_records();
        const auto keep_end =
            std::stable_partition(records.begin(), records.end(), [&](const auto& r) {
              const int n = static_cast<int>(r.severity_number());
              return n == 0 || n >= options_.min_log_severity;
            });
        const int remove = static_cast<int>(records.end() - keep_end);
        dropped += static_cast<std::uint64_t>(remove);
        records.DeleteSubrange(static_cast<int>(keep_end - records.begin()), remove);
      }
    }
    if (dropped > 0)
      logs_dropped_.fetch_add(dropped, std::memory_order_relaxed);
  }
  if (options_.resource_attributes.empty())
    return;
  for (auto& rl : *request.mutable_resource_logs()) {
    set_attributes(options_.resource_attributes, *rl.mutable_resource());
    resources_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Processors::write_metrics(MetricsText& out) const {
  out.counter("edgetraced_processor_resources_total",
              "Resources given the [processors.resource] attributes.", {},
              resources_.load(std::memory_order_relaxed));
  out.counter("edgetraced_processor_log_records_dropped_total",
              "Log records below processors.logs.min_severity, dropped before the queue.", {},
              logs_dropped_.load(std::memory_order_relaxed));
}

}  // namespace edgetrace::daemon
