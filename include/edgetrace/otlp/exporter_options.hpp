// Options of the OTLP exporters and how the standard OTEL_EXPORTER_OTLP_* variables set them.
//
//   LoadedExporterOptions loaded = load_exporter_options(Signal::kTraces, process_environment());
//   for (const std::string& w : loaded.warnings) report(w);   // never contains header values
//   OtlpExporterOptions options = loaded.options;
//   options.max_concurrent_requests = 4;                      // code can still override
//
// Variables, for each option the per-signal form (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, ...)
// wins over the generic one (OTEL_EXPORTER_OTLP_ENDPOINT, ...), and both win over the
// options passed in as `base`:
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
// Defaults: http/protobuf, http://localhost:4318 (gRPC: http://localhost:4317), 10 s,
// no compression.
//
// Thread-safety: plain values and pure functions; only process_environment() reads the
// process environment.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup process_environment();

struct LoadedExporterOptions {
  OtlpExporterOptions options;
  // Invalid values found (and ignored, keeping the previous value). They name the variable
  // and the problem, never a header value.
  std::vector<std::string> warnings;
};

LoadedExporterOptions load_exporter_options(Signal signal, const EnvLookup& env,
                                            OtlpExporterOptions base = {});

// The URL an exporter posts to (HTTP) or connects to (gRPC) for `signal`.
std::string resolved_endpoint(const OtlpExporterOptions& options, Signal signal);

// Parses the OTEL_EXPORTER_OTLP_HEADERS syntax. Errors name the entry by position only.
core::Result<std::vector<Header>> parse_headers(std::string_view text);

}  // namespace edgetrace::otlp
