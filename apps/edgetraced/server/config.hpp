// DaemonConfig: everything edgetraced can be told, as plain structs with their defaults, and
// the one function that reads them from a TOML file, --set overrides and the environment.
//
//   core::Result<config::Document> doc = config::Document::load_file(path);
//   doc->set("queue.max_bytes", "1073741824");                // --set KEY=VALUE
//   core::Result<DaemonConfig> cfg = read_daemon_config(*doc, core::process_environment());
//   if (!cfg) { fprintf(stderr, "%s\n", cfg.status().message().c_str()); return 2; }
//
// Layering, lowest first: the defaults below < the file < --set < the OTEL_EXPORTER_OTLP_*
// variables (for exporters.otlp only). Errors carry "file:line:col: [table] ..." (see
// config/loader.hpp). default_config_text() is the whole default config with every key
// commented (`edgetraced --print-config`); a test proves it parses to DaemonConfig{}.
//
// docs/daemon.md documents every key; keep the three (structs, text, doc) together.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/bridge/resource.hpp"
#include "edgetrace/config/loader.hpp"
#include "edgetrace/core/env.hpp"
#include "edgetrace/core/result.hpp"
#include "edgetrace/otlp/durable_queue.hpp"
#include "edgetrace/otlp/exporter_options.hpp"
#include "edgetrace/processors/processors.hpp"
#include "receivers/device_http.hpp"
#include "receivers/device_mqtt.hpp"
#include "receivers/device_tcp.hpp"
#include "receivers/otlp_grpc.hpp"
#include "receivers/otlp_http.hpp"
#include "receivers/serial.hpp"

namespace edgetrace::daemon {

struct AdminConfig {
  std::string listen = "127.0.0.1:7701";  // /healthz /readyz /metrics /v1/symbols; "" disables
};

struct SymbolsConfig {
  std::string store = "edgetraced-data/symbols";
  std::string token_file;  // bearer token for PUT/DELETE /v1/symbols; empty: read-only
  std::string server;      // another daemon's admin URL, used when a build-id is not local
  std::string server_token_file;
  std::uint64_t cache_bytes = 64ull << 20;
  std::uint64_t max_elf_bytes = 64ull << 20;
  std::chrono::milliseconds hold_time{600000};
  std::uint64_t hold_max_bytes = 1ull << 20;
  std::uint64_t hold_total_bytes = 64ull << 20;
};

struct QueueConfig {
  std::string dir = "edgetraced-data/queue";
  std::uint64_t max_bytes = 1ull << 30;
  otlp::FsyncMode fsync = otlp::FsyncMode::kInterval;
  std::chrono::milliseconds fsync_interval{100};
  std::size_t batch_records = 64;
  std::chrono::milliseconds retry_max{30000};
};

struct OtlpExporterConfig {
  std::string endpoint;  // base URL (http://host:4318) or gRPC target; "" and no OTEL_*: off
  otlp::Protocol protocol = otlp::Protocol::kHttpProtobuf;
  std::vector<otlp::Header> headers;  // secret values: never printed
  otlp::Compression compression = otlp::Compression::kNone;
  std::chrono::milliseconds timeout{10000};
  bool insecure = false;
  std::string ca_file;
  // Filled by read_daemon_config: one per signal (traces, logs, metrics), endpoints resolved,
  // OTEL_EXPORTER_OTLP_* applied. enabled: an endpoint was configured somewhere.
  bool enabled = false;
  std::array<otlp::OtlpExporterOptions, 3> per_signal{};
};

struct ConsoleExporterConfig {
  bool enabled = false;
  bool ascii = false;
  bool logs = false;              // also print each log record
  std::size_t max_traces = 1024;  // traces buffered until their root span arrives
  std::size_t max_spans = 16384;
  std::chrono::milliseconds root_timeout{10000};  // then a rootless trace is printed as is
};

struct FileExporterConfig {
  std::string path;  // "" disables
  std::uint64_t max_bytes = 0;
  std::size_t max_files = 5;
};

struct ProcessorsConfig {
  core::Attributes resource_attributes;  // [processors.resource] attributes
  std::string min_log_severity;          // [processors.logs] min_severity: "" or a level
  // [processors.redaction|sampling|rate_cap] (every pipeline), then
  // [processors.<pipeline>.redaction|sampling|rate_cap] on top: device, otlp, proxy.
  std::array<processors::ProcessorsOptions, 3> pipelines{};
};
inline constexpr std::array<std::string_view, 3> kPipelines = {"device", "otlp", "proxy"};

// [proxy]: the authenticated endpoint for browsers and phones (proxy/proxy.hpp). On when
// upstream.endpoint is set or mode is "queue".
struct ProxyConfig {
  std::string listen = "0.0.0.0:4320";
  std::string mode = "forward";  // "forward" | "queue"
  std::string subject_attribute = "enduser.id";
  std::uint64_t max_body_bytes = 1ull << 20;
  std::uint64_t max_decompressed_bytes = 8ull << 20;
  std::size_t handler_threads = 16;
  std::chrono::milliseconds read_timeout{30000};  // a whole request, from its first byte
  // [proxy.upstream]
  std::string upstream_endpoint;
  std::string upstream_header_file;  // "Name: value" lines
  std::string upstream_header_env;   // name of a variable holding "Name: value" lines
  std::chrono::milliseconds upstream_timeout{10000};
  std::string upstream_ca_file;
  // [proxy.jwt]
  std::string hs256_secret_file;
  std::string public_key_file;
  std::string jwks_file;
  std::string issuer;
  std::string audience;
  std::chrono::milliseconds clock_skew{30000};
  std::string subject_claim = "sub";
  std::size_t token_cache_entries = 65536;
  // [proxy.rate_limit]: requests per second and burst; 0 per second: no limit.
  double address_per_second = 50;
  double address_burst = 100;
  double subject_per_second = 20;
  double subject_burst = 40;
  double global_per_second = 0;
  double global_burst = 0;
  // [proxy.cors]
  std::vector<std::string> allowed_origins;
  // Read by read_daemon_config from the files and the variable: never printed.
  std::vector<otlp::Header> upstream_headers;
  std::string hs256_secret;

  bool enabled() const { return !upstream_endpoint.empty() || mode == "queue"; }
};

// [store]: the embedded trace store (store/trace_store.hpp) the UI queries.
struct StoreConfig {
  bool enabled = false;  // the demo config turns it on
  std::string path = "edgetraced-data/traces.db";
  std::uint64_t max_bytes = 1ull << 30;                       // 0: no size cap
  std::chrono::milliseconds max_age{7 * 24 * 3600 * 1000ll};  // 0: no age cap
};

// [ui]: the query API (Jaeger's and edgetrace's) and the web viewer (ui/query_api.hpp).
struct UiConfig {
  std::string listen = "0.0.0.0:16686";  // Jaeger's query port; "" disables
  std::vector<std::string> cors_allowed_origins;
};

struct TelemetryConfig {
  std::string log_level = "info";  // the daemon's own log: console on stderr
  std::string otlp_endpoint;       // also export its own logs/spans there (never its pipeline)
  // How often what was dropped is sent through the pipeline as OTLP metrics
  // (pipeline/drop_report.hpp); 0 disables.
  std::chrono::milliseconds drop_report_interval{60000};
};

struct DaemonConfig {
  AdminConfig admin;
  SymbolsConfig symbols;
  DeviceTcpOptions device_tcp;
  DeviceMqttOptions device_mqtt = [] {
    DeviceMqttOptions o;
    o.url = "";  // off unless configured
    return o;
  }();
  DeviceHttpOptions device_http;
  SerialOptions serial;
  OtlpHttpReceiverOptions otlp_http;  // [receivers.otlp] http = "0.0.0.0:4318" ...
  OtlpGrpcReceiverOptions otlp_grpc;  // [receivers.otlp] grpc = "0.0.0.0:4317" ...
  QueueConfig queue;
  OtlpExporterConfig otlp;
  ConsoleExporterConfig console;
  FileExporterConfig file;
  bridge::ResourceOptions devices;  // [[devices.services]], [devices.attributes]
  ProcessorsConfig processors;
  ProxyConfig proxy;
  StoreConfig store;
  UiConfig ui;
  TelemetryConfig telemetry;
  std::chrono::milliseconds shutdown_timeout{10000};
  // Warnings to log at start (ignored OTEL_* values).
  std::vector<std::string> warnings;
};

core::Result<DaemonConfig> read_daemon_config(const config::Document& doc,
                                              const core::EnvLookup& env);
std::string_view default_config_text() noexcept;

}  // namespace edgetrace::daemon
