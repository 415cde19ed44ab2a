#include "edgetrace/config/otel_environment.hpp"

#include <charconv>
#include <cmath>

#include "edgetrace/core/resource.hpp"
#include "edgetrace/core/text.hpp"

namespace edgetrace::config {

std::vector<std::string> OtelEnvironment::all_warnings() const {
  std::vector<std::string> out = warnings;
  std::vector<std::string> o = otlp.warnings();
  out.insert(out.end(), o.begin(), o.end());
  return out;
}

OtelEnvironment read_otel_environment(const core::EnvLookup& lookup) {
  OtelEnvironment out;
  auto get = [&](std::string_view name) { return core::env_value(lookup, name); };
  auto warn = [&](std::string_view name, const std::string& what) {
    out.warnings.push_back(std::string(name) + ": " + what + "; ignored");
  };

  if (auto v = get("OTEL_SDK_DISABLED")) {
    if (core::Result<bool> b = parse_bool(*v))
      out.sdk_disabled = *b;
    else
      warn("OTEL_SDK_DISABLED", b.status().message());
  }
  if (auto v = get("OTEL_RESOURCE_ATTRIBUTES")) {
    core::ParsedResourceAttributes parsed = core::parse_resource_attributes(*v);
    for (std::string& e : parsed.errors)
      out.warnings.push_back("OTEL_RESOURCE_ATTRIBUTES: " + e);
    out.resource_attributes = std::move(parsed.attributes);
  }
  if (auto v = get("OTEL_SERVICE_NAME"))
    out.service_name = *v;
  if (auto v = get("OTEL_TRACES_SAMPLER")) {
    if (core::Result<TracesSampler> s = parse_enum(*v, kTracesSamplerNames, "sampler"))
      out.traces_sampler = *s;
    else
      warn("OTEL_TRACES_SAMPLER", s.status().message());
  }
  const auto read_ratio = [&](std::string_view name, std::optional<double>& into) {
    std::optional<std::string> v = get(name);
    if (!v)
      return;
    double ratio = 0;
    const char* end = v->data() + v->size();
    auto [ptr, ec] = std::from_chars(v->data(), end, ratio);
    if (ec != std::errc() || ptr != end || std::isnan(ratio) || ratio < 0.0 || ratio > 1.0)
      warn(name, "'" + *v + "' is not a ratio between 0 and 1");
    else
      into = ratio;
  };
  read_ratio("OTEL_TRACES_SAMPLER_ARG", out.traces_sampler_arg);
  read_ratio("OTEL_SAMPLING_RATIO", out.sampling_ratio);
  if (auto v = get("OTEL_PROPAGATORS")) {
    std::vector<std::string> names = split_list(*v);
    for (std::string& n : names)
      n = core::to_lower_ascii(n);
    out.propagators = std::move(names);
  }
  const auto read_limit = [&](std::string_view name, std::optional<std::size_t>& into) {
    std::optional<std::string> v = get(name);
    if (!v)
      return;
    if (std::optional<std::size_t> n = core::parse_whole_number<std::size_t>(*v))
      into = *n;
    else
      warn(name, "'" + *v + "' is not a non-negative integer");
  };
  OtelEnvironment::Limits& l = out.limits;
  read_limit("OTEL_ATTRIBUTE_COUNT_LIMIT", l.attribute_count);
  read_limit("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", l.attribute_value_length);
  read_limit("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", l.span_attribute_count);
  read_limit("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", l.span_attribute_value_length);
  read_limit("OTEL_SPAN_EVENT_COUNT_LIMIT", l.span_event_count);
  read_limit("OTEL_SPAN_LINK_COUNT_LIMIT", l.span_link_count);
  read_limit("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", l.event_attribute_count);
  read_limit("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", l.link_attribute_count);
  read_limit("OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", l.logrecord_attribute_count);
  read_limit("OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", l.logrecord_attribute_value_length);
  out.otlp = otlp::read_otlp_environment(lookup);
  return out;
}

}  // namespace edgetrace::config
