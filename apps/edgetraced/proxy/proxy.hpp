// TelemetryProxy: the authenticated, rate-limited OTLP endpoint for browsers and phones.
// Apps cannot hold a backend's write token (a browser shows it to anyone), so they send
// OTLP here with the user's JWT; the proxy checks who they are, limits how much they may
// send, stamps their subject on every record and forwards with the server-side credential.
//
//   ProxyOptions o;
//   o.listen = "0.0.0.0:4320";
//   o.upstream.endpoint = "https://logfire-api.pydantic.dev";   // OTLP/HTTP base URL
//   o.upstream.headers = {{"Authorization", write_token}};      // never logged
//   o.jwt.hs256_secret = secret;
//   o.cors.allowed_origins = {"https://app.example.com"};
//   TelemetryProxy proxy(o, processors, nullptr);               // forward mode
//   proxy.start();
//
// POST /api/v1/telemetry/traces and /api/v1/telemetry/logs take an OTLP export request
// (application/json or application/x-protobuf, gzip allowed). In order, before any body
// byte is read: the client address's token bucket (429), the bearer JWT (401 with a reason
// code), the subject's bucket (429 with Retry-After); the global bucket is taken with the
// address's, so that signature checks are bounded too. Then the body
// (413 over max_body_bytes as read, chunked included, and over max_decompressed_bytes once
// inflated; 400 malformed; 415 other media types), `enduser.id` = subject on every span
// and log record (replacing what the client sent), the pipeline's processors, and:
//   - forward mode: the request, as protobuf, to <endpoint>/v1/traces|logs with the
//     upstream headers. 200 (with the upstream's partial success) only when the upstream
//     answered 2xx; its 429 (or 503 with Retry-After) passed back as 429 with its
//     Retry-After; anything else, or no answer, 502. Requests that wait for the upstream
//     at the same time go in one upstream request (their resource spans or logs merged, in
//     arrival order), and every client of that request gets its answer: under load one
//     upstream round trip serves many clients. When the upstream reports a partial success
//     for such a batch, each client is told min(its items, the batch's rejected items): an
//     upper bound, since the upstream does not say whose items it refused. 503 "busy" when
//     max_pending_bytes of bodies already wait.
//   - queue mode: into the durable queue (Intake); 200 once persisted, 429/503 when full or
//     stopping.
// Refusals carry {"error":"<reason code>"} and never echo a token; docs/gateway.md lists
// the codes.
//
// Threads: the listener's I/O threads run the checks and, in forward mode, decode (into a
// per-thread arena), stamp, process and encode the bodies (nothing there waits); what one
// round of the I/O thread handled is released to the senders at the round's end, and
// `upstream_senders` threads per signal send the batches and answer the clients. In queue
// mode `handler_threads` do the body's work and the queue append.
// Thread-safety: start()/stop() from the controlling thread; write_metrics() from any.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgetrace/net/http_server.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "pipeline/intake.hpp"
#include "pipeline/receiver.hpp"
#include "proxy/jwt.hpp"
#include "proxy/token_bucket.hpp"

namespace edgetrace::daemon {

class Processors;
namespace internal {
template <typename Request>
class ForwardBatcher;
template <typename Request>
struct PendingForward;
}  // namespace internal

enum class ProxyMode : std::uint8_t { kForward, kQueue };

struct ProxyUpstreamOptions {
  std::string endpoint;               // OTLP/HTTP base URL; /v1/traces and /v1/logs are appended
  std::vector<otlp::Header> headers;  // added to every forwarded request; never logged
  std::chrono::milliseconds timeout{10000};
  std::string ca_file;
};

struct ProxyOptions {
  std::string listen = "0.0.0.0:4320";
  ProxyMode mode = ProxyMode::kForward;
  ProxyUpstreamOptions upstream;
  JwtOptions jwt;
  ProxyRateLimits::Options rate_limit;  // per address and global before the JWT, subject after
  std::vector<std::string> cors_allowed_origins;
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_decompressed_bytes = 8 << 20;
  std::string subject_attribute = "enduser.id";
  // 0: one per CPU the daemon may run on (its affinity mask), at most 4. More I/O threads
  // than CPUs only add context switches: each request is short, CPU-bound work.
  std::size_t io_threads = 0;
  std::size_t handler_threads = 16;
  std::chrono::milliseconds read_timeout{30000};
  // Forward mode: requests waiting for the upstream are sent together, several clients'
  // requests merged into one upstream request, by this many sender threads per signal; a
  // batch holds at most max_batch_bytes of client bodies. Past max_pending_bytes of bodies
  // waiting, requests are refused with 503 and Retry-After (the upstream is not keeping up).
  std::size_t upstream_senders = 4;
  std::size_t max_batch_bytes = 4 << 20;
  std::size_t max_pending_bytes = 64 << 20;
};

// Why a request was refused or failed: the `reason` label of its metric and, for client
// errors, the body's error code.
enum class ProxyOutcome : std::uint8_t {
  kForwarded,            // 200: the upstream accepted (or, queue mode, persisted)
  kRateLimitedAddress,   // 429
  kRateLimitedSubject,   // 429
  kRateLimitedGlobal,    // 429
  kUnauthorized,         // 401 (by JwtError: see the jwt counters)
  kMalformed,            // 400
  kUnsupportedMedia,     // 415
  kUpstreamThrottled,    // 429 from the upstream
  kUpstreamFailed,       // 502: the upstream answered an error
  kUpstreamUnreachable,  // 502: no answer
  kQueueFull,            // 429 (queue mode)
  kUnavailable,          // 503 (queue mode, stopping)
  kCount
};

class TelemetryProxy final : public Receiver {
 public:
  // `processors` (may be null) and `intake` (queue mode; may be null in forward mode) are
  // borrowed and outlive the proxy.
  TelemetryProxy(ProxyOptions options, Processors* processors, Intake* intake);
  ~TelemetryProxy() override;

  std::string_view name() const noexcept override { return "proxy"; }
  core::Status start() override;
  void stop() override;
  void write_metrics(MetricsText& out) const override;

  std::uint16_t port() const noexcept;

 private:
  std::optional<net::Response> check(const net::Request& headers_only);
  void handle(otlp::Signal signal, net::Request&& request, net::Responder responder);
  net::Response refuse(ProxyOutcome outcome, int status, std::string_view code,
                       std::chrono::seconds retry_after = std::chrono::seconds(0));
  // Decodes the body into the I/O thread's arena (see request_arena() in proxy.cpp).
  template <typename Request>
  void decode_and_process(otlp::Signal signal, const net::Request& request, otlp::Encoding encoding,
                          const std::string& subject, net::Responder responder);
  template <typename Request>
  void process(otlp::Signal signal, Request& request, otlp::Encoding encoding,
               const std::string& subject, std::size_t body_bytes, net::Responder responder);
  template <typename Request>
  void forward(const Request& request, otlp::Encoding encoding, std::uint64_t capped,
               std::size_t body_bytes, net::Responder responder);
  // Answers the clients whose requests went upstream together in one request.
  template <typename Request>
  void answer_batch(otlp::Signal signal, std::vector<internal::PendingForward<Request>>& batch,
                    const otlp::TransportResponse& sent);
  void count(ProxyOutcome outcome) noexcept;

  ProxyOptions options_;
  Processors* processors_;
  Intake* intake_;
  std::unique_ptr<JwtVerifier> jwt_;
  ProxyRateLimits limits_;
  std::array<std::unique_ptr<otlp::Transport>, 2> upstream_;  // traces, logs
  std::unique_ptr<internal::ForwardBatcher<otlp::TraceRequest>> trace_batcher_;
  std::unique_ptr<internal::ForwardBatcher<otlp::LogsRequest>> logs_batcher_;
  std::unique_ptr<net::HttpServer> server_;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(ProxyOutcome::kCount)>
      outcomes_{};
  std::array<std::atomic<std::uint64_t>, 2> items_forwarded_{};  // spans, log records
};

}  // namespace edgetrace::daemon
