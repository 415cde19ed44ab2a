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

ProcessResult Processors::process(otlp::TraceRequest& request) {
  ProcessResult result;
  if (options_.chain)
    result.rate_capped =
        options_.chain->process(request, std::chrono::steady_clock::now()).rate_capped;
  if (options_.resource_attributes.empty())
    return result;
  for (auto& rs : *request.mutable_resource_spans()) {
    set_attributes(options_.resource_attributes, *rs.mutable_resource());
    resources_.fetch_add(1, std::memory_order_relaxed);
  }
  return result;
}

ProcessResult Processors::process(otlp::LogsRequest& request) {
  ProcessResult result;
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
  if (options_.chain)
    result.rate_capped =
        options_.chain->process(request, std::chrono::steady_clock::now()).rate_capped;
  if (options_.resource_attributes.empty())
    return result;
  for (auto& rl : *request.mutable_resource_logs()) {
    set_attributes(options_.resource_attributes, *rl.mutable_resource());
    resources_.fetch_add(1, std::memory_order_relaxed);
  }
  return result;
}

bool Processors::changes(otlp::Signal signal) const noexcept {
  switch (signal) {
    case otlp::Signal::kTraces:
      return options_.chain != nullptr || !options_.resource_attributes.empty();
    case otlp::Signal::kLogs:
      return options_.chain != nullptr || !options_.resource_attributes.empty() ||
             options_.min_log_severity > 0;
    case otlp::Signal::kMetrics:
      break;
  }
  return false;
}

void Processors::drop_counts(DropCounts& out) const {
  out.push_back({"edgetraced.logs.dropped", "below_min_severity", options_.pipeline,
                 logs_dropped_.load(std::memory_order_relaxed)});
  if (!options_.chain)
    return;
  const processors::ProcessorsCounters c = options_.chain->counters();
  for (const processors::DropReason reason :
       {processors::DropReason::kSampled, processors::DropReason::kRateCapped}) {
    out.push_back({"edgetraced.spans.dropped", std::string(processors::to_string(reason)),
                   options_.pipeline, c.dropped_count(processors::Signal::kTraces, reason)});
    out.push_back({"edgetraced.logs.dropped", std::string(processors::to_string(reason)),
                   options_.pipeline, c.dropped_count(processors::Signal::kLogs, reason)});
  }
}

processors::ProcessorsCounters Processors::chain_counters() const {
  return options_.chain ? options_.chain->counters() : processors::ProcessorsCounters{};
}

void Processors::write_metrics(MetricsText& out) const {
  const std::string_view pipeline = options_.pipeline;
  out.counter("edgetraced_processor_resources_total",
              "Resources given the [processors.resource] attributes.", {{"pipeline", pipeline}},
              resources_.load(std::memory_order_relaxed));
  out.counter("edgetraced_processor_log_records_dropped_total",
              "Log records below processors.logs.min_severity, dropped before the queue.",
              {{"pipeline", pipeline}}, logs_dropped_.load(std::memory_order_relaxed));
  if (!options_.chain)
    return;
  const processors::ProcessorsCounters c = options_.chain->counters();
  for (const processors::Signal signal : {processors::Signal::kTraces, processors::Signal::kLogs})
    for (const processors::DropReason reason :
         {processors::DropReason::kSampled, processors::DropReason::kRateCapped})
      out.counter("edgetraced_processor_items_dropped_total",
                  "Spans and log records dropped by sampling or rate caps, by pipeline.",
                  {{"pipeline", pipeline},
                   {"signal", processors::to_string(signal)},
                   {"reason", processors::to_string(reason)}},
                  c.dropped_count(signal, reason));
  out.counter("edgetraced_processor_values_redacted_total",
              "String values changed by a redaction pattern.", {{"pipeline", pipeline}},
              c.values_redacted);
  out.counter("edgetraced_processor_attributes_masked_total",
              "Attribute values masked by the redaction allow-list.", {{"pipeline", pipeline}},
              c.attributes_masked);
  out.counter("edgetraced_processor_stack_paths_trimmed_total",
              "Stack traces and file paths whose directories were trimmed.",
              {{"pipeline", pipeline}}, c.stack_paths_trimmed);
}

}  // namespace edgetrace::daemon
