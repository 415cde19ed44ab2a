// The text `edgetraced --print-config` prints: every key with its default, commented.
// server/config_test.cpp proves that it parses to DaemonConfig{} (keep them in step).
#include "server/config.hpp"

namespace edgetrace::daemon {

std::string_view default_config_text() noexcept {
  return R"(# edgetraced configuration (TOML). Every key is shown with its default.
# Run `edgetraced --check-config FILE` to validate a file, `--set KEY=VALUE` to override a key.
# Sizes: an integer (bytes) or "64KiB", "10MB", "1GiB". Durations: milliseconds or "250ms",
# "5s", "10m", "2h", "7d".

# How long SIGTERM/SIGINT waits for the queue to drain to the exporters before exiting.
shutdown_timeout = "10s"

[admin]
# /healthz, /readyz, /metrics (Prometheus) and the symbol service /v1/symbols. "" disables.
listen = "127.0.0.1:7701"

[symbols]
# Where firmware ELF files are kept, by GNU build-id (edgetrace symbols upload puts them here).
store = "edgetraced-data/symbols"
# File holding the bearer token that PUT/DELETE /v1/symbols require. "": uploads refused.
token_file = ""
# Another daemon's admin URL (e.g. "http://symbols.internal:7701"): build-ids missing here are
# fetched from it once and kept in `store`.
server = ""
server_token_file = ""
# Memory for parsed tables (LRU), and the largest ELF accepted.
cache_bytes = "64MiB"
max_elf_bytes = "64MiB"
# A stream whose build-id is unknown is held this long (and at most these many bytes) waiting
# for its ELF; then it is counted as expired and reported with the build-id.
hold_time = "10m"
hold_max_bytes = "1MiB"
hold_total_bytes = "64MiB"

[receivers.device_tcp]
# Devices connect and stream frames: one stream per connection. "" disables.
listen = "0.0.0.0:7700"
max_connections = 16384
# Read buffer of one connection (its memory while idle, with the decoder's state).
buffer_bytes = 4096
# A connection that sends nothing this long is closed; max_connection_age "0" is no limit.
idle_timeout = "5m"
max_connection_age = "0"
io_threads = 1
# edgetrace | defmt-rzcobs | defmt-raw
format = "edgetrace"

[receivers.device_mqtt]
# Devices publish frames to an MQTT broker (MQTT 5, QoS 1); "" disables. mqtt://host[:port] or
# mqtts://host[:port] (TLS, tls_ca_file or the system's CAs).
url = ""
# The `+` level is the device id (an MQTT 5 user property `device-id` wins; `build-id` names the
# firmware when the payload has no handshake).
topic = "edgetrace/+/frames"
# Several daemons with the same group split the fleet ($share/<group>/<topic>).
group = ""
# "" is edgetraced-<hostname>-<pid>; set a fixed one so the broker keeps the session (and the
# messages published while the daemon is down) across restarts.
client_id = ""
username = ""
password_file = ""
tls_ca_file = ""
keepalive = "30s"
reconnect_min = "1s"
reconnect_max = "30s"
clean_start = false
session_expiry = "60m"
receive_maximum = 64
# A device's stream ends after this long without a message (open spans end as incomplete).
device_idle_timeout = "5m"
max_devices = 100000
format = "edgetrace"

[receivers.device_http]
# POST /v1/device/frames: 202 once the frames are in the durable queue. "" disables
# (e.g. "0.0.0.0:7702").
listen = ""
max_body_bytes = "1MiB"
# File holding the bearer token devices must send; "" accepts any request.
token_file = ""
io_threads = 1
handler_threads = 2
max_connections = 1024
idle_timeout = "1m"
read_timeout = "30s"
# The Retry-After of a 503 (the queue refused the data).
retry_after = "5s"

[receivers.serial]
# A tty (raw mode at `baud`), a named pipe (reopened for each writer) or a file (replayed;
# follow = true keeps reading what is appended). "" disables.
path = ""
baud = 115200
format = "edgetrace"
# Hex ids for a stream without a handshake (defmt needs build_id).
device_id = ""
build_id = ""
follow = false
# An unplugged port is opened again after reopen_initial, doubling up to reopen_max.
reopen_initial = "200ms"
reopen_max = "10s"
follow_interval = "250ms"
buffer_bytes = 4096

[receivers.otlp]
# The standard OTLP receivers, for OpenTelemetry SDKs and Collectors: OTLP/HTTP
# (/v1/traces, /v1/logs, /v1/metrics; protobuf or JSON; gzip) and OTLP/gRPC. "" disables one.
http = "0.0.0.0:4318"
grpc = "0.0.0.0:4317"
# OTLP/HTTP bodies as sent, and once gzip-inflated: 413 past them.
max_body_bytes = 20971520
max_decompressed_bytes = 20971520
# Largest OTLP/gRPC message (after decompression): RESOURCE_EXHAUSTED past it.
grpc_max_message_bytes = 4194304
# Origins allowed to send OTLP/HTTP from a browser ("*" for any); [] sends no CORS headers.
cors_allowed_origins = []
# When the queue is full: 429 (HTTP) / RESOURCE_EXHAUSTED (gRPC) asking to retry after this.
retry_after = "5s"
# Threads checking OTLP/HTTP requests and appending them to the queue; 0: the I/O thread
# does it (no hand-off: the queue's appends are serialized anyway). More help processors.
handler_threads = 0
# An OTLP/HTTP request must arrive whole within this time from its first byte.
read_timeout = "30s"

[queue]
# The durable queue between receivers and exporters: what was accepted survives a backend
# outage and a crash, within max_bytes (then the lowest severity, oldest first, is dropped).
dir = "edgetraced-data/queue"
max_bytes = "1GiB"
# interval | always | never (kill -9 is survived with all three; power loss: see docs).
fsync = "interval"
fsync_interval = "100ms"
batch_records = 64
# Longest wait between two attempts while a backend is unavailable.
retry_max = "30s"

[exporters.otlp]
# The OTLP backend: "http://collector:4318" (HTTP) or "collector:4317" (grpc). "" disables,
# unless OTEL_EXPORTER_OTLP_ENDPOINT (or a per-signal variable) is set.
endpoint = ""
# http/protobuf | http/json | grpc
protocol = "http/protobuf"
# none | gzip
compression = "none"
timeout = "10s"
insecure = false
ca_file = ""
# Extra request headers (values are secrets: never logged).
headers = {}

[exporters.console]
# Print each finished trace as a tree on stdout, with per-span durations.
enabled = false
# ASCII tree lines and "us" for microseconds instead of box drawing and the micro sign.
ascii = false
# Also print each log record as one line.
logs = false
# Spans are buffered per trace until the root arrives (at most these many); a trace whose
# root has not come root_timeout after its latest span is printed as it is.
max_traces = 1024
max_spans = 16384
root_timeout = "10s"

[exporters.file]
# Append every request as a line of OTLP/JSON (as the Collector's file exporter). "" disables.
path = ""
# Rotate to path.1 ... path.N before the file would pass max_bytes (0: never); keep max_files.
max_bytes = 0
max_files = 5

[devices]
# Resource attributes added to every device's telemetry.
attributes = {}
# Service rules: the first matching rule names the firmware's service.
#   [[devices.services]]
#   build_id = "..."          # or elf = "sensor-*.elf"
#   service_name = "sensor"
#   service_version = "2.1.0"
services = []

[processors.resource]
# Set on every resource the daemon exports (device or not), replacing one of the same name.
attributes = {}

[processors.logs]
# Drop log records below this level before the queue (counted): trace | debug | info | warn |
# error | fatal; "" keeps everything.
min_severity = ""

# Redaction, sampling and rate caps (docs/processors.md), for every pipeline. A pipeline's
# own tables change keys on top of these: [processors.device.redaction],
# [processors.otlp.sampling], [processors.proxy.rate_cap], ...
[processors.redaction]
enabled = false
# true: every built-in pattern (email, bearer_token, api_key, ipv4, ipv6, card); false: none;
# or a list of their names.
default_patterns = true
# Extra RE2 patterns; each whole match is replaced.
patterns = []
replacement = "[REDACTED]"
# Allow-list mode when not empty: other string attributes of spans, events, links and log
# records are masked.
allowed_attributes = []
# Trim absolute paths in exception.stacktrace and code.filepath to the part after one of
# stack_path_roots (else the file name).
trim_stack_paths = false
stack_path_roots = []

[processors.sampling]
# Fraction of traces kept, by trace id: the same traces are kept on every daemon.
trace_ratio = 1.0
# Fractions of log records kept by level (ERROR and FATAL are always kept).
debug_log_ratio = 1.0
info_log_ratio = 1.0
warn_log_ratio = 1.0

[processors.rate_cap]
# Log records per second per instrumentation scope (logger name); 0: no cap.
per_second = 0.0
burst = 0.0
max_scopes = 10000

[proxy]
# The authenticated endpoint for browsers and phones: POST /api/v1/telemetry/traces and
# /api/v1/telemetry/logs with a bearer JWT. On when upstream.endpoint is set or mode = "queue".
listen = "0.0.0.0:4320"
# forward: send each request to the upstream and answer with its outcome (200 only when it
# accepted); queue: put it in the durable queue (exported like everything else), 200 once
# persisted.
mode = "forward"
# The verified subject (the token's sub) is set as this attribute on every span and record.
subject_attribute = "enduser.id"
# Limits on the body as read (chunked included) and once gzip-inflated: 413 past them.
max_body_bytes = 1048576
max_decompressed_bytes = 8388608
# Queue mode: threads decoding bodies and appending them to the durable queue.
handler_threads = 16
# A request must arrive whole within this time from its first byte (slow clients are closed).
read_timeout = "30s"

[proxy.upstream]
# OTLP/HTTP base URL: /v1/traces and /v1/logs are appended.
endpoint = ""
# A file of "Name: value" lines added to every forwarded request (the backend's write
# token, e.g. "Authorization: <token>"). Never logged.
header_file = ""
# The name of an environment variable holding such lines.
header_env = ""
timeout = "10s"
ca_file = ""

[proxy.jwt]
# One of these is needed when the proxy is on: an HS256 secret (file contents), a PEM public
# key (RS256 or ES256), or a JWKS file (reloaded when it changes).
hs256_secret_file = ""
public_key_file = ""
jwks_file = ""
# Checked when set ("aud" may be a string or an array in the token).
issuer = ""
audience = ""
# Allowed clock difference for exp and nbf.
clock_skew = "30s"
subject_claim = "sub"
# Verified tokens remembered until they expire, so a busy client costs one signature check.
token_cache_entries = 65536

[proxy.rate_limit]
# Token buckets: sustained requests per second and burst (0 per second: no limit). The
# address bucket is taken before the token is checked, the subject's after it.
address_per_second = 50.0
address_burst = 100.0
subject_per_second = 20.0
subject_burst = 40.0
global_per_second = 0.0
global_burst = 0.0

[proxy.cors]
# Origins allowed to call from a browser ("https://app.example.com", or "*").
allowed_origins = []

[store]
# The embedded trace store: every span and log the daemon receives is also kept in one
# SQLite file, searchable through the [ui] listener (docs/query-api.md). A file that cannot
# be opened (corrupt, locked) is logged and the daemon runs without the store.
enabled = false
path = "edgetraced-data/traces.db"
# The file is kept under this size (oldest traces pruned first); 0: no size cap.
max_bytes = "1GiB"
# Traces older than this are pruned; 0: kept until max_bytes needs the room.
max_age = "7d"

[ui]
# The query API (Jaeger's /api/traces..., so Grafana's Jaeger data source works, and
# edgetrace's /api/v1/logs, /api/v1/live) and the web viewer; on when store.enabled is.
# "" disables.
listen = "0.0.0.0:16686"
# Origins allowed to call the API from other pages ("https://grafana.example.com" or "*").
cors_allowed_origins = []

[telemetry]
# The daemon's own log (stderr): trace | debug | info | warn | error, or a filter directive.
log_level = "info"
# Also send the daemon's own logs and spans to this OTLP/HTTP endpoint (directly, never
# through its own pipeline). "" disables.
otlp_endpoint = ""
# How often the counts of what was dropped (by processors, the queue, exporters) are sent
# through the pipeline as OTLP metrics (edgetraced.logs.dropped ... with a reason attribute),
# so they show up where the data is looked at. "0s" disables.
drop_report_interval = "60s"
)";
}

}  // namespace edgetrace::daemon
