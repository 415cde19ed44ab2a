// TracingConfig: what TracingBuilder builds, as plain typed values, and the loader that fills
// it from a TOML file (through the config component's loader) and the standard environment
// variables (through config::read_otel_environment()).
//
//   core::Result<TracingConfig> config = load_config_file("/etc/checkout/edgetrace.toml");
//   if (!config) { std::fprintf(stderr, "%s\n", config.status().message().c_str()); return 1; }
//   auto guard = TracingBuilder("checkout").with_config(*config).build();   // tracing_builder.hpp
//
// An application with its own config file reads the tracing table from any path:
//
//   core::Result<config::Document> doc = config::Document::load_file("worker.toml");
//   core::Result<TracingConfig> tracing = read_tracing_config(*doc, "worker.tracing");
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
// and every key's meaning; docs/configuration.md the rules of the loader.
//
// Thread-safety: plain values and functions without shared state. Only load_config_file()
// does I/O (one read of a file of at most kMaxConfigBytes); apply_environment() reads the
// environment only through the EnvLookup it is given, or not at all.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/config/loader.hpp"
#include "edgetrace/config/otel_environment.hpp"
#include "edgetrace/config/values.hpp"
#include "edgetrace/core/env.hpp"
#include "edgetrace/core/result.hpp"
#include "edgetrace/otlp/exporter_options.hpp"
#include "edgetrace/sdk/file_layer.hpp"
#include "edgetrace/sdk/line_format.hpp"

namespace edgetrace::sdk {

// Largest config file load_config_file() reads.
using config::kMaxConfigBytes;

// The names the file uses for the enums below (the first of each value is its canonical name).
inline constexpr std::array<config::EnumName<LineFormat>, 5> kConsoleFormatNames = {{
    {"full", LineFormat::kFull},
    {"compact", LineFormat::kCompact},
    {"pretty", LineFormat::kPretty},
    {"json", LineFormat::kJson},
    {"tree", LineFormat::kTree},
}};
// pretty is console-only.
inline constexpr std::array<config::EnumName<LineFormat>, 3> kFileFormatNames = {{
    {"full", LineFormat::kFull},
    {"compact", LineFormat::kCompact},
    {"json", LineFormat::kJson},
}};
inline constexpr std::array<config::EnumName<Ansi>, 3> kAnsiNames = {{
    {"auto", Ansi::kAuto},
    {"always", Ansi::kAlways},
    {"never", Ansi::kNever},
}};
inline constexpr std::array<config::EnumName<Rotation>, 4> kRotationNames = {{
    {"never", Rotation::kNever},
    {"minutely", Rotation::kMinutely},
    {"hourly", Rotation::kHourly},
    {"daily", Rotation::kDaily},
}};

// [tracing.console]: human-readable lines on stdout or stderr.
struct ConsoleConfig {
  bool enabled = true;
  // Filter directives (filter.hpp). Empty: $EDGETRACE_LOG, then "info".
  std::string level;
  LineFormat format = LineFormat::kFull;  // full | compact | pretty | json | tree
  Ansi ansi = Ansi::kAuto;                // auto (a terminal without NO_COLOR) | always | never
  bool to_stderr = false;                 // key `stderr`: write to stderr instead of stdout
  bool show_target = true;
  bool show_source_location = false;
  bool show_span_list = true;
  bool show_trace_ids = true;
};

// [tracing.file]: the same lines in rolling files, written by a background thread.
struct FileConfig {
  bool enabled = false;
  std::string level;                      // as ConsoleConfig::level
  std::string path = "logs";              // directory; created when missing
  std::string prefix;                     // empty: the service name
  std::string suffix = "log";             // file name: <prefix>.<date>.<suffix>
  Rotation rotation = Rotation::kDaily;   // never | minutely | hourly | daily
  std::size_t max_files = 0;              // files kept per prefix; 0: all
  LineFormat format = LineFormat::kFull;  // full | compact | json (pretty is console-only)
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
  config::TracesSampler sampler = config::TracesSampler::kParentBasedAlwaysOn;
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

// Parses TOML text and reads its [tracing] table. `source_name` prefixes errors:
// "<source>:<line>:<column>: <problem>". Keys outside [tracing] are ignored (the file may
// configure other things); inside it every key is checked: an unknown key names the valid
// ones, a wrong type or value says what was expected.
core::Result<TracingConfig> parse_config(std::string_view toml_text,
                                         std::string_view source_name = "config");

// Reads and parses a file (at most kMaxConfigBytes).
core::Result<TracingConfig> load_config_file(const std::string& path);

// Reads the tracing table at `table_path` ("tracing", "worker.tracing") of a loaded document;
// the defaults when the table is absent.
core::Result<TracingConfig> read_tracing_config(const config::Document& document,
                                                std::string_view table_path = "tracing");

// Applies the standard variables, as config::read_otel_environment() parsed them, over
// `config`. Returns the problems found while applying (an OTLP/HTTP endpoint without a
// scheme); the parse warnings stay in `env`. Applied:
//   OTEL_SDK_DISABLED                   sdk_disabled
//   OTEL_SERVICE_NAME                   service_name
//   OTEL_RESOURCE_ATTRIBUTES            service.name (below OTEL_SERVICE_NAME),
//                                       service.version, service.instance.id
//   OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS, _TIMEOUT, _COMPRESSION   otlp.*
//   OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG                               otlp.sampler*
// The per-signal OTEL_EXPORTER_OTLP_TRACES_* / _LOGS_* values, the TLS ones and the batch
// ones are applied when the OTLP layer is built (otlp_layer_options(), edgetrace::sdk_otlp).
// EDGETRACE_LOG is read by the builder (the filter of a layer whose level is empty) and
// EDGETRACE_CONFIG by TracingBuilder::build().
std::vector<std::string> apply_environment(TracingConfig& config,
                                           const config::OtelEnvironment& env);

// read_otel_environment(env), then the above. Returns one warning per invalid value among the
// variables listed above (which is ignored; warnings never contain header values).
std::vector<std::string> apply_environment(TracingConfig& config, const core::EnvLookup& env);

// Checks a config built in code: the file format is not pretty, the file path is not empty
// when the file layer is on, sampler_arg is in [0, 1]; the same messages as the file loader.
core::Status validate_config(const TracingConfig& config);

// Reads an OTLP exporter's `headers` key: a table of names and string values, or one string
// in the OTEL_EXPORTER_OTLP_HEADERS syntax ("name=value,name2=value2"). Names are lowered and
// must be visible ASCII without ':'; values must not hold CR, LF or NUL. Errors name the
// header, never its value. Used by the SDK's [otlp] table and edgetraced's [exporters.otlp].
core::Status read_otlp_headers(const config::Value& value, std::vector<otlp::Header>& out);

// Parses a duration: a whole number of milliseconds, or a number with a unit suffix
// ("250ms", "10s", "2m"). Used for `timeout` (config/values.hpp).
using config::parse_duration;

}  // namespace edgetrace::sdk
