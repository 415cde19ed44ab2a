// The OTLP layer's part of TracingBuilder, compiled into edgetrace::sdk_otlp.
#include "edgetrace/processors/config.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "edgetrace/sdk/tracing_builder.hpp"

namespace edgetrace::sdk {
namespace {

std::string signal_endpoint(const OtlpConfig& c, otlp::Signal signal) {
  if (c.endpoint.empty() || c.protocol == otlp::Protocol::kGrpc)
    return c.endpoint;
  std::string out = c.endpoint;
  if (out.back() != '/')
    out.push_back('/');
  out += "v1/";
  out += otlp::to_string(signal);
  return out;
}

void append(std::vector<std::string>* to, const std::vector<std::string>& from) {
  if (to != nullptr)
    to->insert(to->end(), from.begin(), from.end());
}

// The config's preset and batch keys over `base` (before the OTEL_BSP_* / OTEL_BLRP_* values).
otlp::BatchOptions configured_batch(const OtlpConfig& c, otlp::BatchOptions base) {
  if (c.preset == OtlpPreset::kMobile) {
    base.max_export_batch_size = 256;
    base.schedule_delay = std::chrono::seconds(30);
    base.max_queue_size = 1024;
  }
  if (c.max_queue_size)
    base.max_queue_size = *c.max_queue_size;
  if (c.max_export_batch_size)
    base.max_export_batch_size = *c.max_export_batch_size;
  if (c.scheduled_delay)
    base.schedule_delay = *c.scheduled_delay;
  if (c.export_timeout)
    base.export_timeout = *c.export_timeout;
  return base;
}

}  // namespace

OtlpLimits otlp_limits(const config::OtelEnvironment& env) {
  const config::OtelEnvironment::Limits& l = env.limits;
  OtlpLimits out;
  const auto pick = [](std::optional<std::size_t> specific, std::optional<std::size_t> general,
                       std::size_t fallback) {
    return specific.value_or(general.value_or(fallback));
  };
  out.span_attribute_count =
      pick(l.span_attribute_count, l.attribute_count, out.span_attribute_count);
  out.span_attribute_value_length =
      pick(l.span_attribute_value_length, l.attribute_value_length, OtlpLimits::kNone);
  out.span_event_count = l.span_event_count.value_or(out.span_event_count);
  out.span_link_count = l.span_link_count.value_or(out.span_link_count);
  out.event_attribute_count =
      pick(l.event_attribute_count, l.attribute_count, out.event_attribute_count);
  out.link_attribute_count =
      pick(l.link_attribute_count, l.attribute_count, out.link_attribute_count);
  out.log_attribute_count =
      pick(l.logrecord_attribute_count, l.attribute_count, out.log_attribute_count);
  out.log_attribute_value_length =
      pick(l.logrecord_attribute_value_length, l.attribute_value_length, OtlpLimits::kNone);
  return out;
}

OtlpLayerOptions otlp_layer_options(const OtlpConfig& c, const config::OtelEnvironment& env,
                                    std::vector<std::string>* warnings) {
  // The generic endpoint, protocol, headers, timeout and compression are in `c` already
  // (apply_environment); the generic TLS values and the per-signal ones apply here.
  otlp::OtlpEnvironment rest = env.otlp;
  rest.generic.protocol.reset();
  rest.generic.endpoint.reset();
  rest.generic.headers.reset();
  rest.generic.timeout.reset();
  rest.generic.compression.reset();
  auto load = [&](otlp::Signal signal) {
    otlp::OtlpExporterOptions base;
    base.protocol = c.protocol;
    base.endpoint = signal_endpoint(c, signal);
    base.headers = c.headers;
    base.timeout = c.timeout;
    base.compression = c.compression;
    append(warnings, env.otlp.signal(signal).warnings);
    otlp::LoadedExporterOptions loaded = otlp::exporter_options(signal, rest, std::move(base));
    append(warnings, loaded.warnings);
    return loaded.options;
  };
  OtlpLayerOptions o;
  o.traces = load(otlp::Signal::kTraces);
  o.logs = load(otlp::Signal::kLogs);
  o.metrics = load(otlp::Signal::kMetrics);  // the self-metrics
  append(warnings, env.otlp.span_batch.warnings);
  o.span_batch = otlp::batch_options(configured_batch(c, otlp::BatchOptions{}), env.otlp.span_batch,
                                     "OTEL_BSP_", warnings);
  append(warnings, env.otlp.log_batch.warnings);
  o.log_batch = otlp::batch_options(configured_batch(c, otlp::default_log_batch_options()),
                                    env.otlp.log_batch, "OTEL_BLRP_", warnings);
  o.limits = otlp_limits(env);
  o.export_immediately_on_error = c.export_immediately_on_error.value_or(true);
  o.export_spans = c.export_spans;
  o.export_logs = c.export_logs;
  return o;
}

core::Status read_otlp_processors(const OtlpConfig& c, processors::ProcessorsOptions& out) {
  if (!c.processors)
    return {};
  config::TableReader r(*c.processors);
  // Only the processors' own sub-tables belong here: an unknown key is an error.
  r.custom("redaction", [](const config::Value&) { return core::Status(); })
      .custom("sampling", [](const config::Value&) { return core::Status(); })
      .custom("rate_cap", [](const config::Value&) { return core::Status(); });
  if (core::Status s = r.finish(); !s.ok())
    return s;
  return processors::read_processors_options(*c.processors, out);
}

core::Result<std::unique_ptr<Layer>> make_otlp_layer(const OtlpLayerRequest& request) {
  OtlpLayerOptions options =
      otlp_layer_options(request.config, request.environment, &request.warnings);
  if (core::Status s = read_otlp_processors(request.config, options.processors); !s.ok())
    return s;
  options.resource = request.resource;
  core::Result<std::unique_ptr<OtlpLayer>> layer = OtlpLayer::create(std::move(options));
  if (!layer)
    return layer.status();
  return std::unique_ptr<Layer>(std::move(layer).value());
}

TracingBuilder& TracingBuilder::with_otlp(std::string filter) {
  if (otlp_factory_ == nullptr)
    otlp_factory_ = &make_otlp_layer;
  otlp_explicit_ = nullptr;
  otlp_filter_ = std::move(filter);
  otlp_disabled_ = false;
  otlp_from_env_ = true;
  return *this;
}

TracingBuilder& TracingBuilder::with_otlp(OtlpLayerOptions options, std::string filter) {
  otlp_explicit_ =
      [options = std::move(options)](
          const core::Resource& resource) mutable -> core::Result<std::unique_ptr<Layer>> {
    if (options.resource.attributes().empty())
      options.resource = resource;
    core::Result<std::unique_ptr<OtlpLayer>> layer = OtlpLayer::create(std::move(options));
    if (!layer)
      return layer.status();
    return std::unique_ptr<Layer>(std::move(layer).value());
  };
  otlp_filter_ = std::move(filter);
  otlp_disabled_ = false;
  otlp_from_env_ = false;
  return *this;
}

}  // namespace edgetrace::sdk
