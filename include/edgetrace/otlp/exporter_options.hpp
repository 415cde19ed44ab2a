// Options of the OTLP exporters, and the typed values of the standard OTEL_EXPORTER_OTLP_*,
// OTEL_BSP_* and OTEL_BLRP_* variables that set them.
//
//   OtlpEnvironment env = read_otlp_environment(core::process_environment());  // parsed once
//   LoadedExporterOptions loaded = exporter_options(Signal::kTraces, env);     // typed values
//   for (const std::string& w : env.warnings()) report(w);   // never contains header values
//   for (const std::string& w : loaded.warnings) report(w);
//   OtlpExporterOptions options = loaded.options;
//   options.max_concurrent_requests = 4;                      // code can still override
//
// read_otlp_environment() is the one place these variables are parsed (config::
// read_otel_environment() calls it for the whole OTEL_* set); exporter_options() and the batch
// functions only apply typed values. For each option the per-signal form
// (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, ...) wins over the generic one
// (OTEL_EXPORTER_OTLP_ENDPOINT, ...), and both win over the options passed in as `base`:
//   ENDPOINT            generic: for HTTP, "v1/<signal>" is appended to its path; for gRPC it
//                       is used as given. Per-signal: used exactly as given.
//   HEADERS             "k1=v1,k2=v2", values percent-decoded
//   TIMEOUT             milliseconds per export request
//   PROTOCOL            grpc | http/protobuf | http/json
//   COMPRESSION         gzip | none
//   CERTIFICATE         CA bundle file for verifying the server
//   CLIENT_KEY          client private key file (mTLS)
//   CLIENT_CERTIFICATE  client certificate file (mTLS)
//   INSECURE            true | false: plaintext gRPC to an endpoint given without a scheme
// An invalid value is ignored with a warning (the generic value, or `base`, applies). An
// HTTP endpoint without http:// or https:// is refused when the options are applied, because
// the protocol may come from another layer.
// Defaults: http/protobuf, http://localhost:4318 (gRPC: http://localhost:4317), 10 s,
// no compression.
//
// Thread-safety: plain values and pure functions; only the EnvLookup given to
// read_otlp_environment() reads the environment.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgetrace/core/env.hpp"
#include "edgetrace/core/result.hpp"

namespace edgetrace::otlp {

enum class Signal : std::uint8_t { kTraces, kLogs, kMetrics };
enum class Protocol : std::uint8_t { kGrpc, kHttpProtobuf, kHttpJson };
enum class Compression : std::uint8_t { kNone, kGzip };

std::string_view to_string(Signal signal) noexcept;      // "traces", "logs", "metrics"
std::string_view to_string(Protocol protocol) noexcept;  // "grpc", "http/protobuf", "http/json"

// Exponential backoff with jitter between attempts of one batch.
struct RetryPolicy {
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{32000};
  double multiplier = 2.0;
  // Each delay is drawn uniformly from [delay * (1 - jitter), delay * (1 + jitter)],
  // then capped at max_backoff.
  double jitter = 0.2;
  // A batch is given up (and counted as dropped) after this long since its first attempt.
  std::chrono::milliseconds max_elapsed{300000};
};

struct Header {
  std::string name;
  std::string value;  // secret: never printed, logged or used as a counter label
  friend bool operator==(const Header&, const Header&) = default;
};

struct OtlpExporterOptions {
  Protocol protocol = Protocol::kHttpProtobuf;
  // Full URL of the receiver. Empty: the default for the protocol and signal
  // (http://localhost:4318/v1/<signal>, or http://localhost:4317 for gRPC).
  std::string endpoint;
  std::vector<Header> headers;
  std::chrono::milliseconds timeout{10000};
  Compression compression = Compression::kNone;
  std::string ca_file;
  std::string client_certificate_file;
  std::string client_key_file;
  // gRPC only: use plaintext when the endpoint has no scheme.
  bool insecure = false;
  // Export requests in flight at once towards this destination.
  int max_concurrent_requests = 2;
  // A request whose encoded size would exceed this is split before sending; 0: no limit.
  std::size_t max_request_bytes = 4 * 1024 * 1024;
  RetryPolicy retry;
};

// Kept here for the code that reads the environment through the exporter's namespace.
using EnvLookup = core::EnvLookup;
using core::process_environment;

// One set of OTEL_EXPORTER_OTLP[_<SIGNAL>]_* values, parsed; nullopt: unset, blank or invalid.
struct ExporterSettings {
  std::optional<Protocol> protocol;
  std::optional<std::string> endpoint;  // trimmed; its scheme is checked when applied
  std::optional<std::vector<Header>> headers;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<Compression> compression;
  std::optional<std::string> ca_file;
  std::optional<std::string> client_key_file;
  std::optional<std::string> client_certificate_file;
  std::optional<bool> insecure;
  // One per invalid variable: its name and the problem, never a header value.
  std::vector<std::string> warnings;
};

// OTEL_BSP_* or OTEL_BLRP_*, parsed (whole non-negative numbers; delays in milliseconds).
struct BatchSettings {
  std::optional<std::chrono::milliseconds> schedule_delay;
  std::optional<std::chrono::milliseconds> export_timeout;
  std::optional<std::size_t> max_queue_size;
  std::optional<std::size_t> max_export_batch_size;
  std::vector<std::string> warnings;
};

// Every variable of the OTLP exporters, parsed once.
struct OtlpEnvironment {
  ExporterSettings generic;  // OTEL_EXPORTER_OTLP_*
  ExporterSettings traces;   // OTEL_EXPORTER_OTLP_TRACES_*
  ExporterSettings logs;     // OTEL_EXPORTER_OTLP_LOGS_*
  ExporterSettings metrics;  // OTEL_EXPORTER_OTLP_METRICS_*
  BatchSettings span_batch;  // OTEL_BSP_*
  BatchSettings log_batch;   // OTEL_BLRP_*

  const ExporterSettings& signal(Signal s) const noexcept;
  // The warnings of every part above, in that order.
  std::vector<std::string> warnings() const;
};

// Reads and parses the variables above through `env`.
OtlpEnvironment read_otlp_environment(const EnvLookup& env);

struct LoadedExporterOptions {
  OtlpExporterOptions options;
  // Invalid values found (and ignored, keeping the previous value). They name the variable
  // and the problem, never a header value.
  std::vector<std::string> warnings;
};

// `base` < the generic settings < the settings of `signal`. The warnings are those of
// applying (an endpoint without a scheme for an HTTP protocol); parse warnings stay in `env`.
LoadedExporterOptions exporter_options(Signal signal, const OtlpEnvironment& env,
                                       OtlpExporterOptions base = {});

// read_otlp_environment() then exporter_options(), with the parse warnings of the generic and
// `signal`'s variables followed by the apply warnings.
LoadedExporterOptions load_exporter_options(Signal signal, const EnvLookup& env,
                                            OtlpExporterOptions base = {});

// The names of the variables (the per-signal form when `signal` is given).
std::string otlp_variable(std::optional<Signal> signal, std::string_view option);

// Parses a protocol or compression name as the variables and config files spell it
// (lower-case; callers fold case).
std::optional<Protocol> parse_protocol(std::string_view name) noexcept;
std::optional<Compression> parse_compression(std::string_view name) noexcept;

// The URL of `signal` under a base endpoint read as OTEL_EXPORTER_OTLP_ENDPOINT is: for
// HTTP, "v1/<signal>" appended to its path (http://host:4318 -> http://host:4318/v1/logs);
// for gRPC, the base itself.
std::string signal_endpoint(std::string_view base, Protocol protocol, Signal signal);

// The URL an exporter posts to (HTTP) or connects to (gRPC) for `signal`.
std::string resolved_endpoint(const OtlpExporterOptions& options, Signal signal);

// Parses the OTEL_EXPORTER_OTLP_HEADERS syntax. Errors name the entry by position only.
core::Result<std::vector<Header>> parse_headers(std::string_view text);

}  // namespace edgetrace::otlp
