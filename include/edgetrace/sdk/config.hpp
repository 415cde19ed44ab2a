// TracingConfig: what TracingBuilder builds, as plain values, and the loader that fills it
// from a TOML file and the standard environment variables.
//
//   core::Result<TracingConfig> config = load_config_file("/etc/checkout/edgetrace.toml");
//   if (!config) { std::fprintf(stderr, "%s\n", config.status().message().c_str()); return 1; }
//   std::vector<std::string> warnings = apply_environment(*config, otlp::process_environment());
//   auto guard = TracingBuilder("checkout").with_config(*config).build();   // tracing_builder.hpp
//
// The file (every key is optional; unknown keys are errors that list the valid ones):
//
//   [tracing]
//   service_name = "checkout"          service_version = "1.4.2"
//   service_instance_id = "pod-7"      log_spans = false
//   log_thread_ids = false             log_thread_names = false
//   sdk_disabled = false
//   [tracing.console]   enabled, level, format, ansi, stderr, show_target,
//                       show_source_location, show_span_list, show_trace_ids
//   [tracing.file]      enabled, level, path, prefix, suffix, rotation, max_files, format
//   [tracing.otlp]      enabled, level, endpoint, protocol, headers, timeout, compression,
//                       sampler, sampler_arg, export_spans, export_logs
//
// Precedence, lowest first: the defaults written below < the config file < environment
// variables (apply_environment) < explicit TracingBuilder calls. docs/sdk.md has the table
// and every key's meaning.
//
// Thread-safety: plain values and functions without shared state. Only load_config_file()
// does I/O (one read of a file of at most kMaxConfigBytes); apply_environment() reads the
// environment only through the EnvLookup it is given.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/result.hpp"
#include "edgetrace/otlp/exporter_options.hpp"

namespace edgetrace::sdk {

// Largest config file load_config_file() reads.
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

// [tracing.console]: human-readable lines on stdout or stderr.
struct ConsoleConfig {
  bool enabled = true;
  // Filter directives (filter.hpp). Empty: $EDGETRACE_LOG, then "info".
  std::string level;
  std::string format = "full";  // full | compact | pretty | json
  std::string ansi = "auto";    // auto (a terminal without NO_COLOR) | always | never
  bool to_stderr = false;       // key `stderr`: write to stderr instead of stdout
  bool show_target = true;
  bool show_source_location = false;
  bool show_span_list = true;
  bool show_trace_ids = true;
};

// [tracing.file]: the same lines in rolling files, written by a background thread.
struct FileConfig {
  bool enabled = false;
  std::string level;               // as ConsoleConfig::level
  std::string path = "logs";       // directory; created when missing
  std::string prefix;              // empty: the service name
  std::string suffix = "log";      // file name: <prefix>.<date>.<suffix>
  std::string rotation = "daily";  // never | minutely | hourly | daily
  std::size_t max_files = 0;       // files kept per prefix; 0: all
  std::string format = "full";     // full | compact | json (pretty is console-only)
};

// [tracing.otlp]: spans as OTLP traces, events as OTLP logs.
struct OtlpConfig {
  bool enabled = false;
  std::string level;  // as ConsoleConfig::level
  // Base URL, like OTEL_EXPORTER_OTLP_ENDPOINT: for HTTP "/v1/traces" and "/v1/logs" are
  // appended. Empty: http://localhost:4318 (http/*) or http://localhost:4317 (grpc).
  std::string endpoint;
  otlp::Protocol protocol =
      otlp::Protocol::kHttpProtobuf;         // "grpc" | "http/protobuf" | "http/json"
  std::vector<otlp::Header> headers;         // secret values: never printed
  std::chrono::milliseconds timeout{10000};  // per export request
  otlp::Compression compression = otlp::Compression::kNone;  // "gzip" | "none"
  // OTEL_TRACES_SAMPLER names (sampler.hpp); sampler_arg is the ratio of *traceidratio.
  std::string sampler = "parentbased_always_on";
  std::optional<double> sampler_arg;
  bool export_spans = true;
  bool export_logs = true;
};

// [tracing]
struct TracingConfig {
  std::string service_name;         // empty: the name given to TracingBuilder
  std::string service_version;      // resource service.version; empty: not set
  std::string service_instance_id;  // resource service.instance.id; empty: not set
  bool log_spans = false;           // console and file print span new/close lines
  bool log_thread_ids = false;      // console and file print the OS thread id
  bool log_thread_names = false;    // console and file print the thread name
  bool sdk_disabled = false;        // true: build() installs nothing (OTEL_SDK_DISABLED)
  ConsoleConfig console;
  FileConfig file;
  OtlpConfig otlp;
};

// Parses TOML text. `source_name` prefixes errors: "<source>:<line>:<column>: <problem>".
// Keys outside [tracing] are ignored (the file may configure other things); inside it every
// key is checked: an unknown key names the valid ones, a wrong type or value says what was
// expected.
core::Result<TracingConfig> parse_config(std::string_view toml_text,
                                         std::string_view source_name = "config");

// Reads and parses a file (at most kMaxConfigBytes).
core::Result<TracingConfig> load_config_file(const std::string& path);

// Applies the standard variables over `config` and returns one warning per invalid value
// (which is ignored; warnings never contain header values):
//   OTEL_SDK_DISABLED                   "true" (any case) disables, "false" enables
//   OTEL_SERVICE_NAME                   service_name
//   OTEL_RESOURCE_ATTRIBUTES            service.name (below OTEL_SERVICE_NAME),
//                                       service.version, service.instance.id
//   OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS, _TIMEOUT, _COMPRESSION   otlp.*
//   OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG                               otlp.sampler*
// The per-signal OTEL_EXPORTER_OTLP_TRACES_* / _LOGS_* variables and the TLS ones are
// applied later, by otlp::load_exporter_options(), when the OTLP layer is built.
// EDGETRACE_LOG is read by the builder (the filter of a layer whose level is empty) and
// EDGETRACE_CONFIG by TracingBuilder::from_config_file().
std::vector<std::string> apply_environment(TracingConfig& config, const otlp::EnvLookup& env);

// Checks the string-valued choices of a config built in code (format, ansi, rotation,
// sampler): the same messages as the file loader.
core::Status validate_config(const TracingConfig& config);

// Parses a duration: a whole number of milliseconds, or a number with a unit suffix
// ("250ms", "10s", "2m"). Used for `timeout`.
core::Result<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace edgetrace::sdk
