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
//   core::Result<TracingConfig> tracing = load_config_file("mitosis.toml", "worker.tracing");
//   // or: TracingBuilder("worker").with_config_file("mitosis.toml", "worker.tracing")
//
// When the table asked for is absent and the file has exactly one other tracing table
// ("[coordinator.tracing]" when "tracing" was asked for), TracingConfig::warnings names it:
// a table the program never reads is never ignored silently.
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
//                       (other names: compact = true for format = "compact", with_target
//                       for show_target, with_ansi = true/false for ansi = "always"/"never")
//   [tracing.file]      enabled, level, path, prefix, suffix, rotation, max_files, format,
//                       worker_prefix
//   [tracing.otlp]      enabled, level, endpoint, protocol, headers, timeout, compression,
//   (or [tracing.       sampler, sampler_arg, export_spans, export_logs,
//    opentelemetry])    service_name_override, preset, max_queue_size, max_export_batch_size,
//                       scheduled_delay (or export_interval), export_timeout,
//                       export_immediately_on_error, [tracing.otlp.processors.*]
//
// Precedence, lowest first: the defaults written below < the config file < environment
// variables (apply_environment) < explicit TracingBuilder calls. docs/sdk.md has the table
// and every key's meaning; docs/configuration.md the rules of the loader.
//
// Thread-safety: plain values and functions without shared state. Only load_config_file()
// does I/O (one read of a file of at most kMaxConfigBytes); apply_environment() reads the
// environment only through the EnvLookup it is given, or not at all.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
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
inline constexpr std::array<config::EnumName<LineFormat>, 4> kConsoleFormatNames = {{
    {"full", LineFormat::kFull},
    {"compact", LineFormat::kCompact},
    {"pretty", LineFormat::kPretty},
    {"json", LineFormat::kJson},
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

// The OTLP protocol names of the file: the standard ones, then the spellings of Rust's
// OtlpProtocol enum (seed configs write protocol = "Grpc" or "HttpProtobuf"; any case).
inline constexpr std::array<config::EnumName<otlp::Protocol>, 5> kOtlpProtocolNames = {{
    {"grpc", otlp::Protocol::kGrpc},
    {"http/protobuf", otlp::Protocol::kHttpProtobuf},
    {"http/json", otlp::Protocol::kHttpJson},
    {"HttpProtobuf", otlp::Protocol::kHttpProtobuf},
    {"HttpJson", otlp::Protocol::kHttpJson},
}};

// Named batch settings for the OTLP layer (`preset` in [tracing.otlp]).
enum class OtlpPreset : std::uint8_t {
  kDefault,  // the OpenTelemetry defaults (OTEL_BSP_* / OTEL_BLRP_* defaults)
  // A phone or battery-powered device: few radio wake-ups. Batches of 256 records, sent
  // every 30 s, at most 1024 queued per signal (the lowest severity is dropped first when
  // full), ERROR and FATAL records sent at once.
  kMobile,
};
inline constexpr std::array<config::EnumName<OtlpPreset>, 2> kOtlpPresetNames = {{
    {"default", OtlpPreset::kDefault},
    {"mobile", OtlpPreset::kMobile},
}};

// [tracing.console]: human-readable lines on stdout or stderr.
struct ConsoleConfig {
  bool enabled = true;
  // Filter directives (filter.hpp). Empty: $EDGETRACE_LOG, then "info".
  std::string level;
  LineFormat format = LineFormat::kFull;  // full | compact | pretty | json
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
  std::string level;  // as ConsoleConfig::level
  // A directory (an existing one, or a path ending in '/', or a last part without a '.'),
  // or a file ("/var/log/app/coordinator.log": directory /var/log/app, prefix
  // "coordinator", suffix "log"; rotated files are coordinator.<date>.log). Empty: the
  // user's cache directory, $XDG_CACHE_HOME/<service> or ~/.cache/<service>
  // (resolve_file_location()).
  std::string path;
  std::string prefix;                     // empty: the service name (or the file's stem)
  std::string suffix = "log";             // file name: <prefix>.<date>.<suffix>
  Rotation rotation = Rotation::kDaily;   // never | minutely | hourly | daily
  std::size_t max_files = 7;              // files kept per prefix; 0: all
  LineFormat format = LineFormat::kFull;  // full | compact | json (pretty is console-only)
  // Text written, with a space, at the start of every line, so that several processes can
  // share one file (each line is one write(2) in O_APPEND mode, so lines never tear).
  // "{instance_id}" (or "{uuid}") is replaced by service.instance.id, "{pid}" by the
  // process id.
  // Not with format = json (a prefix would break the JSON line). Empty: none.
  std::string worker_prefix{};
};

// Where the file layer writes, as resolve_file_location() derives it from FileConfig.
struct FileLocation {
  std::string directory;
  std::string prefix;
  std::string suffix;
};

// [tracing.otlp] (or [tracing.opentelemetry]): spans as OTLP traces, events as OTLP logs.
struct OtlpConfig {
  bool enabled = false;
  // The layer also turns on when OTEL_EXPORTER_OTLP_ENDPOINT (or a per-signal
  // OTEL_EXPORTER_OTLP_{TRACES,LOGS}_ENDPOINT) holds a usable endpoint. The file's
  // `enabled = false` sets this to false: the config then says "no" whatever the environment.
  bool enable_from_environment = true;
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
  // The resource's service.name for this layer (over service_name; OTEL_SERVICE_NAME still
  // wins, as over every file value). Empty: service_name.
  std::string service_name_override{};

  // Batching, for both signals: the preset, then the keys below over it, then OTEL_BSP_* /
  // OTEL_BLRP_* over those (edgetrace::sdk_otlp's otlp_layer_options()).
  OtlpPreset preset = OtlpPreset::kDefault;
  std::optional<std::size_t> max_queue_size;                 // records queued per signal
  std::optional<std::size_t> max_export_batch_size;          // records per request
  std::optional<std::chrono::milliseconds> scheduled_delay;  // export interval
  std::optional<std::chrono::milliseconds> export_timeout;   // one batch, retries included
  // ERROR and FATAL log records are exported at once instead of at the next interval.
  // Unset: true (both presets).
  std::optional<bool> export_immediately_on_error;

  // [tracing.otlp.processors]: its [redaction], [sampling] and [rate_cap] tables, as
  // docs/processors.md describes them. Kept unread here (edgetrace::sdk links no RE2); the
  // OTLP layer factory reads it with processors::read_processors_options() and a bad table
  // turns OTLP export off with one warning (build(), fail closed for export).
  std::optional<config::Table> processors;
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
  // Problems found while loading that did not stop it: a tracing table at another path than
  // the one read. build() adds them to the guard's warnings.
  std::vector<std::string> warnings;
};

// Parses TOML text and reads its tracing table (at `table_path`, e.g. "worker.tracing").
// `source_name` prefixes errors: "<source>:<line>:<column>: <problem>". Keys outside the
// table are ignored (the file may configure other things); inside it every key is checked:
// an unknown key names the valid ones, a wrong type or value says what was expected, and a
// key given under both of its names (format and compact) is an error.
core::Result<TracingConfig> parse_config(std::string_view toml_text,
                                         std::string_view source_name = "config",
                                         std::string_view table_path = "tracing");

// Reads and parses a file (at most kMaxConfigBytes).
core::Result<TracingConfig> load_config_file(const std::string& path,
                                             std::string_view table_path = "tracing");

// Reads the tracing table at `table_path` ("tracing", "worker.tracing") of a loaded document;
// the defaults when the table is absent (with a warning when exactly one other table of the
// document is named "tracing": the one the application probably meant).
core::Result<TracingConfig> read_tracing_config(const config::Document& document,
                                                std::string_view table_path = "tracing");

// Where the file layer of `file` writes for service `service_name`: see FileConfig::path.
// The cache directory comes from XDG_CACHE_HOME (when absolute) or HOME, read through `env`.
// Looks at the file system once (is `path` an existing directory). Errors: no cache
// directory (neither variable set) or a prefix given beside a path that names a file.
core::Result<FileLocation> resolve_file_location(const FileConfig& file,
                                                 std::string_view service_name,
                                                 const core::EnvLookup& env);

// Warnings for an OTLP endpoint on the other protocol's well-known port: 4317 (OTLP/gRPC)
// with an HTTP protocol, 4318 (OTLP/HTTP) with gRPC. Checks the config's endpoint and the
// per-signal OTEL_EXPORTER_OTLP_{TRACES,LOGS}_ENDPOINT values with their protocols. Each
// warning names the endpoint and the fix.
std::vector<std::string> check_otlp_ports(const OtlpConfig& config,
                                          const config::OtelEnvironment& env);

// Applies the standard variables, as config::read_otel_environment() parsed them, over
// `config`. Returns the problems found while applying (an OTLP/HTTP endpoint without a
// scheme); the parse warnings stay in `env`. Applied:
//   OTEL_SDK_DISABLED                   sdk_disabled
//   OTEL_SERVICE_NAME                   service_name
//   OTEL_RESOURCE_ATTRIBUTES            service.name (below OTEL_SERVICE_NAME),
//                                       service.version, service.instance.id
//   OTEL_EXPORTER_OTLP_ENDPOINT, _PROTOCOL, _HEADERS, _TIMEOUT, _COMPRESSION   otlp.*
//   OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG                               otlp.sampler*
//   OTEL_SAMPLING_RATIO (not a standard variable, but common): when OTEL_TRACES_SAMPLER is
//     unset, otlp.sampler = parentbased_traceidratio with this ratio; ignored (a warning)
//     when OTEL_TRACES_SAMPLER is set
// The per-signal OTEL_EXPORTER_OTLP_TRACES_* / _LOGS_* values, the TLS ones and the batch
// ones are applied when the OTLP layer is built (otlp_layer_options(), edgetrace::sdk_otlp).
// EDGETRACE_LOG is read by the builder (the filter of a layer whose level is empty) and
// EDGETRACE_CONFIG by TracingBuilder::build().
std::vector<std::string> apply_environment(TracingConfig& config,
                                           const config::OtelEnvironment& env);

// read_otel_environment(env), then the above. Returns one warning per invalid value among the
// variables listed above (which is ignored; warnings never contain header values).
std::vector<std::string> apply_environment(TracingConfig& config, const core::EnvLookup& env);

// Checks a config built in code: the file format is not pretty, no worker_prefix with the
// json format, sampler_arg is in [0, 1], batch sizes are at least 1; the same messages as
// the file loader.
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
