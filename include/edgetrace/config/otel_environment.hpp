// OtelEnvironment: every standard OTEL_* variable edgetrace honours, read and parsed in one
// place into typed values. Programs apply these values to their own typed options; nothing
// else in edgetrace parses an OTEL_* variable.
//
//   config::OtelEnvironment env = config::read_otel_environment(core::process_environment());
//   for (const std::string& w : env.all_warnings()) report(w);   // never a header value
//   if (env.sdk_disabled.value_or(false)) return;
//   otlp::LoadedExporterOptions o = otlp::exporter_options(otlp::Signal::kTraces, env.otlp);
//
// Variables (unset or blank: nullopt; invalid: nullopt and a warning naming the variable):
//   OTEL_SDK_DISABLED          true | false (any case)                      sdk_disabled
//   OTEL_SERVICE_NAME          any text                                     service_name
//   OTEL_RESOURCE_ATTRIBUTES   key=value,... percent-decoded; bad entries    resource_attributes
//                              are skipped with a warning, the others kept
//   OTEL_TRACES_SAMPLER        always_on | always_off | traceidratio |      traces_sampler
//                              parentbased_always_on | parentbased_always_off |
//                              parentbased_traceidratio
//   OTEL_TRACES_SAMPLER_ARG    a ratio in [0, 1]                            traces_sampler_arg
//   OTEL_SAMPLING_RATIO        a ratio in [0, 1]; not an OpenTelemetry      sampling_ratio
//                              variable, but common in deployments (the SDK reads it as a
//                              parent-based trace-id ratio when OTEL_TRACES_SAMPLER is unset)
//   OTEL_PROPAGATORS           comma-separated names, lower-cased           propagators
//   OTEL_ATTRIBUTE_COUNT_LIMIT, OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, OTEL_SPAN_*_LIMIT,
//   OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT, OTEL_LINK_ATTRIBUTE_COUNT_LIMIT,
//   OTEL_LOGRECORD_ATTRIBUTE_{COUNT,VALUE_LENGTH}_LIMIT
//                              a non-negative integer                       limits
//   OTEL_EXPORTER_OTLP_*, OTEL_EXPORTER_OTLP_{TRACES,LOGS,METRICS}_*, OTEL_BSP_*, OTEL_BLRP_*
//                              otlp (otlp::read_otlp_environment(), exporter_options.hpp)
//
// Thread-safety: plain values; read_otel_environment() reads only through the EnvLookup.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/config/values.hpp"
#include "edgetrace/core/attributes.hpp"
#include "edgetrace/core/env.hpp"
#include "edgetrace/otlp/exporter_options.hpp"

namespace edgetrace::config {

// The OpenTelemetry sampler names (OTEL_TRACES_SAMPLER).
enum class TracesSampler : std::uint8_t {
  kParentBasedAlwaysOn,
  kParentBasedAlwaysOff,
  kParentBasedTraceIdRatio,
  kAlwaysOn,
  kAlwaysOff,
  kTraceIdRatio,
};
inline constexpr std::array<EnumName<TracesSampler>, 6> kTracesSamplerNames = {{
    {"parentbased_always_on", TracesSampler::kParentBasedAlwaysOn},
    {"parentbased_always_off", TracesSampler::kParentBasedAlwaysOff},
    {"parentbased_traceidratio", TracesSampler::kParentBasedTraceIdRatio},
    {"always_on", TracesSampler::kAlwaysOn},
    {"always_off", TracesSampler::kAlwaysOff},
    {"traceidratio", TracesSampler::kTraceIdRatio},
}};

// OTLP protocol and compression names, as files and variables spell them.
inline constexpr std::array<EnumName<otlp::Protocol>, 3> kProtocolNames = {{
    {"grpc", otlp::Protocol::kGrpc},
    {"http/protobuf", otlp::Protocol::kHttpProtobuf},
    {"http/json", otlp::Protocol::kHttpJson},
}};
inline constexpr std::array<EnumName<otlp::Compression>, 2> kCompressionNames = {{
    {"gzip", otlp::Compression::kGzip},
    {"none", otlp::Compression::kNone},
}};

struct OtelEnvironment {
  std::optional<bool> sdk_disabled;
  std::optional<std::string> service_name;
  std::optional<core::Attributes> resource_attributes;  // the valid entries
  std::optional<TracesSampler> traces_sampler;
  std::optional<double> traces_sampler_arg;
  std::optional<double> sampling_ratio;  // OTEL_SAMPLING_RATIO (non-standard)
  std::optional<std::vector<std::string>> propagators;
  // OTEL_*_LIMIT: attribute, event and link limits, each a non-negative integer. The
  // general ones (attribute_*) apply where a specific one is not set (sdk::otlp_limits()).
  struct Limits {
    std::optional<std::size_t> attribute_count;              // OTEL_ATTRIBUTE_COUNT_LIMIT
    std::optional<std::size_t> attribute_value_length;       // OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT
    std::optional<std::size_t> span_attribute_count;         // OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT
    std::optional<std::size_t> span_attribute_value_length;  // OTEL_SPAN_ATTRIBUTE_VALUE_...
    std::optional<std::size_t> span_event_count;             // OTEL_SPAN_EVENT_COUNT_LIMIT
    std::optional<std::size_t> span_link_count;              // OTEL_SPAN_LINK_COUNT_LIMIT
    std::optional<std::size_t> event_attribute_count;        // OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT
    std::optional<std::size_t> link_attribute_count;         // OTEL_LINK_ATTRIBUTE_COUNT_LIMIT
    std::optional<std::size_t> logrecord_attribute_count;    // OTEL_LOGRECORD_ATTRIBUTE_...
    std::optional<std::size_t> logrecord_attribute_value_length;  // OTEL_LOGRECORD_...
  } limits;
  otlp::OtlpEnvironment otlp;
  // Warnings about the variables above otlp's (those are in otlp.warnings()).
  std::vector<std::string> warnings;

  // warnings, then otlp.warnings().
  std::vector<std::string> all_warnings() const;
};

OtelEnvironment read_otel_environment(const core::EnvLookup& env);

}  // namespace edgetrace::config
