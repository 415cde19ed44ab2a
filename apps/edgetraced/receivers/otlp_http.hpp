// OtlpHttpReceiver: the standard OTLP/HTTP receiver (receivers.otlp.http; default listen
// "0.0.0.0:4318", the port the OTLP specification assigns to OTLP/HTTP), on its own
// net::HttpServer, into an Intake (the pipeline's processors, then the durable queue).
//
//   POST /v1/traces | /v1/logs | /v1/metrics
//     Content-Type: application/x-protobuf | application/json   (parameters ignored)
//     Content-Encoding: gzip                                      (optional)
//     body: Export{Trace,Logs,Metrics}ServiceRequest
//
//   200  everything kept is in the durable queue. Body: the Export...ServiceResponse in the
//        request's encoding, Content-Type as the request's media type; partial_success set
//        (rejected_spans / rejected_log_records / rejected_data_points, error_message) when
//        the pipeline refused some items.
//   400  the body is not a valid request of that signal in that encoding (or the gzip data
//        is malformed). Body: google.rpc.Status {code INVALID_ARGUMENT, message saying what
//        and where} in the request's encoding. (The specification's "Bad Data" says the
//        details SHOULD hold a google.rpc.BadRequest; proto/google/rpc/error_details.proto
//        has only RetryInfo so far, and the message already names the field path.)
//   413  body over max_body_bytes, or over max_decompressed_bytes once inflated (a gzip bomb
//        costs at most that cap), including chunked bodies; refused as soon as the limit is
//        passed, before the body is buffered.
//   415  a Content-Type other than the two above, or a Content-Encoding other than gzip.
//   429  the durable queue is full. 503: the daemon is stopping (or the queue failed to
//        write). Both with Retry-After: <retry_after seconds> and a google.rpc.Status body
//        {RESOURCE_EXHAUSTED | UNAVAILABLE, details [google.rpc.RetryInfo]}.
//   404 / 405  other paths / other methods (405 carries Allow: POST, or POST, OPTIONS).
//   OPTIONS (CORS preflight): 204 with Access-Control-Allow-* for an origin listed in
//        cors_allowed_origins ("*" for any), 403 otherwise; responses to allowed origins
//        carry Access-Control-Allow-Origin. No CORS at all when the list is empty.
//
// Where each rule comes from (OTLP specification, opentelemetry-proto
// docs/specification.md, "OTLP/HTTP"):
//   - paths, POST, both encodings on one port, gzip request bodies: "OTLP/HTTP Request",
//     "OTLP/HTTP Connection";
//   - response Content-Type equal to the request's: "OTLP/HTTP Response";
//   - 200 with partial_success: "Partial Success"; an empty request is a success: "Full
//     Success";
//   - 4xx/5xx bodies are a google.rpc.Status: "Failures"; 400 for data that cannot be
//     decoded: "Bad Data";
//   - body limit including after decompression, 413: "OTLP/HTTP Request" (the specification
//     recommends a 20 MiB default, which is ours);
//   - 429/503 with Retry-After under back-pressure: "OTLP/HTTP Throttling" and "Retryable
//     Response Codes" (429, 502, 503, 504 are the retryable ones).
// Where the specification is silent, the OpenTelemetry Collector's receiver/otlpreceiver
// (otlphttp.go) is the reference: 415 with a text/plain body naming the two supported media
// types for any other Content-Type; 405 text/plain for other methods. 404, 405, 413, 415
// (encoding), 431 and the 400 of malformed gzip come from net::HttpServer before this
// receiver sees the request, so their bodies are text/plain rather than a Status: the
// server refuses them before it knows the request's encoding is one of OTLP's.
//
//   OtlpHttpReceiver http({.listen = "0.0.0.0:4318"}, intake);
//   if (core::Status s = http.start(); !s.ok()) ...     // "receivers.otlp.http: ...: in use"
//
// Each request is decoded, handed to Intake::accept() and answered after accept() returned:
// a 200 is sent only for data the queue persisted (the daemon's rule: accepted means
// durable). A protobuf request that no processor would change (Intake::takes_protobuf) is
// not decoded: otlp::scan_protobuf checks and counts it on the wire, and its bytes go to
// the queue as received (Intake::accept_protobuf); the answers are the same. Decoding and the
// queue's file I/O run on `handler_threads`, or on the I/O thread when that is 0 (the
// default). Memory per request in
// flight: the body (max_body_bytes), its inflated form (max_decompressed_bytes) and the decoded
// message (up to about 25 times the inflated size for a hostile protobuf body; see
// otlp::DecodeLimits).
//
// This header also holds what the OTLP/HTTP and OTLP/gRPC receivers share (signals,
// outcomes, counters, export_otlp()), so that both answer the same request the same way.
//
// Thread-safety: as Receiver; counters() from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/net/http_server.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "pipeline/intake.hpp"
#include "pipeline/receiver.hpp"

namespace edgetrace::daemon {

// ---- Shared by the OTLP receivers ------------------------------------------------------

enum class OtlpSignal : unsigned char { kTraces, kLogs, kMetrics };
inline constexpr std::size_t kOtlpSignals = 3;
// "traces", "logs", "metrics": the `signal` label.
std::string_view to_string(OtlpSignal signal) noexcept;

// What became of one Export request: the `outcome` label.
enum class OtlpOutcome : unsigned char {
  kAccepted,     // 200 / OK, nothing refused
  kPartial,      // 200 / OK with partial_success (some items refused by a processor)
  kInvalid,      // 400 / INVALID_ARGUMENT: the request could not be decoded
  kExhausted,    // 429 / RESOURCE_EXHAUSTED: the durable queue is full
  kUnavailable,  // 503 / UNAVAILABLE: stopping, or the queue could not write
};
inline constexpr std::size_t kOtlpOutcomes = 5;
// "accepted", "partial", "invalid", "exhausted", "unavailable".
std::string_view to_string(OtlpOutcome outcome) noexcept;

// Counts of one OTLP receiver, by signal, encoding (protobuf, json) and outcome. Monotonic;
// readable from any thread.
struct OtlpReceiverCounters {
  template <typename T, std::size_t N>
  using Array = std::array<T, N>;
  using Counter = std::atomic<std::uint64_t>;
  Array<Array<Array<Counter, kOtlpOutcomes>, 2>, kOtlpSignals> requests{};
  Array<Array<Counter, 2>, kOtlpSignals> body_bytes{};  // decoded bodies (after inflation)
  Array<Counter, kOtlpSignals> items_accepted{};        // spans, log records, data points kept
  Array<Counter, kOtlpSignals> items_rejected{};        // refused by a processor (partial success)
  Counter unsupported_media_type{0};                    // HTTP 415 for the Content-Type

  std::uint64_t requests_of(OtlpSignal signal, otlp::Encoding encoding,
                            OtlpOutcome outcome) const noexcept;
  // edgetraced_otlp_requests_total{receiver,signal,encoding,outcome},
  // edgetraced_otlp_items_{accepted,rejected}_total{receiver,signal},
  // edgetraced_otlp_received_bytes_total{receiver,signal,encoding}; encoding="json" series
  // only when `json` (the gRPC receiver has none).
  void write(MetricsText& out, std::string_view receiver, bool json) const;
};

// The transport-independent part of one Export call.
struct OtlpExportResult {
  OtlpOutcome outcome = OtlpOutcome::kAccepted;
  // The decode error (kInvalid) or the Intake's status (kExhausted, kUnavailable).
  core::Status status;
  // The Export...ServiceResponse, encoded in the request's encoding; set for kAccepted and
  // kPartial only.
  std::string response;
};

// Decodes `body` as `signal`'s Export request in `encoding` (within `limits`), passes it to
// `intake`, counts the outcome in `counters`, and for a success encodes the response, with
// partial_success when the Intake refused items or has a message (OTLP specification,
// "Partial Success": rejected_<items> and an English error_message). Intake codes map to
// outcomes: OK -> accepted/partial; kResourceExhausted -> exhausted; kInvalidArgument ->
// invalid; any other (kUnavailable, an I/O error of the queue) -> unavailable, which is
// retryable, as the Collector treats errors that are not known to be permanent
// (otlpreceiver internal/errors: GetStatusFromError defaults to Unavailable).
// Blocks for as long as Intake::accept() does.
OtlpExportResult export_otlp(OtlpSignal signal, otlp::Encoding encoding, std::string_view body,
                             const otlp::DecodeLimits& limits, Intake& intake,
                             OtlpReceiverCounters& counters);

// The google.rpc.Status an OTLP error is answered with (both receivers): `grpc_code` (the
// gRPC code number), `message`, and in its details a google.rpc.RetryInfo of `retry_delay`
// when it is not zero. Serialized as protobuf.
std::string otlp_error_status(int grpc_code, std::string_view message,
                              std::chrono::milliseconds retry_delay);

// ---- OTLP/HTTP -------------------------------------------------------------------------

inline constexpr std::string_view kOtlpTracesPath = "/v1/traces";
inline constexpr std::string_view kOtlpLogsPath = "/v1/logs";
inline constexpr std::string_view kOtlpMetricsPath = "/v1/metrics";

struct OtlpHttpReceiverOptions {
  std::string listen = "0.0.0.0:4318";  // "host:port"; empty: disabled
  // Body bytes as sent (before inflation). 20 MiB: the OTLP specification's recommended
  // limit, which is also the clients' recommended batch limit, so a conforming client's
  // largest batch is never refused (a 413 must not be retried: the data would be lost).
  // Lower it on small machines: memory per request is bounded by this, the inflated size
  // and the decoded message.
  std::size_t max_body_bytes = 20u << 20;
  // Body bytes after gzip inflation; also the decoder's max_message_bytes.
  std::size_t max_decompressed_bytes = 20u << 20;
  // Origins allowed to call from a browser ("https://app.example.com", or "*"); empty: no
  // CORS headers and OPTIONS answered 405.
  std::vector<std::string> cors_allowed_origins{};
  std::chrono::seconds cors_max_age{600};
  // The Retry-After of a 429 or 503, and the RetryInfo in its Status body.
  std::chrono::seconds retry_after{5};
  // One I/O thread serves thousands of connections; more threads on one io_context cost
  // wake-ups (bench/otlp_receivers_bench.cpp: about a third fewer spans per core with 2).
  std::size_t io_threads = 1;
  // Threads for checking or decoding + Intake::accept() (the queue's file I/O, an fsync
  // when due) per request, off the I/O thread. 0 runs them on the I/O threads: no hand-off
  // (about 1.35 times the spans per core in bench/otlp_receivers_bench.cpp, and a third
  // less CPU at the Collector's load-test point), while an fdatasync of the queue stalls
  // the connections for its duration; with threads, the appends would wait for the
  // queue's lock just the same. Threads help when processors are configured (their work
  // runs in parallel) or bodies are large JSON.
  std::size_t handler_threads = 0;
  std::size_t max_connections = 1024;
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds read_timeout{30000};
  net::TlsOptions tls{};  // HTTPS when tls.certificate_file is set
};

// The answer to one OTLP/HTTP Export request of `signal` whose body the server has read
// (and inflated): what OtlpHttpReceiver sends for it (200, 400, 415, 429, 503; see the top
// of this file). Blocks for as long as Intake::accept() does. Exposed for the fuzz target.
net::Response answer_otlp_http(OtlpSignal signal, std::string_view content_type,
                               std::string_view body, const OtlpHttpReceiverOptions& options,
                               Intake& intake, OtlpReceiverCounters& counters);

class OtlpHttpReceiver : public Receiver {
 public:
  // `intake` is borrowed and must outlive the receiver.
  OtlpHttpReceiver(OtlpHttpReceiverOptions options, Intake& intake);
  ~OtlpHttpReceiver() override;
  OtlpHttpReceiver(const OtlpHttpReceiver&) = delete;
  OtlpHttpReceiver& operator=(const OtlpHttpReceiver&) = delete;

  std::string_view name() const noexcept override { return "otlp_http"; }
  core::Status start() override;
  // Stops accepting, lets requests in flight finish (their data reaches the Intake and
  // they are answered), then joins the threads.
  void stop() override;
  void write_metrics(MetricsText& out) const override;
  bool ready() const override;          // listening, or disabled
  std::uint16_t port() const noexcept;  // the bound port after start(); 0 when disabled
  const OtlpReceiverCounters& counters() const noexcept { return counters_; }

 private:
  void handle(OtlpSignal signal, net::Request&& request, net::Responder responder);

  OtlpHttpReceiverOptions options_;
  Intake& intake_;
  OtlpReceiverCounters counters_;
  std::unique_ptr<net::HttpServer> server_;  // kept after stop(): write_metrics may read it
  std::atomic<bool> running_{false};
};

}  // namespace edgetrace::daemon
