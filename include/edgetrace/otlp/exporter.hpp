// OtlpExporter: sends OTLP export requests to one destination and applies the OTLP rules
// for retry, splitting, dropping and the auth circuit breaker, counting everything.
//
//   auto exporter = OtlpExporter::create(load_exporter_options(Signal::kTraces,
//                                                              process_environment()).options);
//   if (!exporter) { report(exporter.status()); return; }
//   ExportOutcome out = (*exporter)->export_traces(request, Clock::now() + 30s);
//   // out.delivered / out.failed items; details in (*exporter)->counters()
//
// Rules (see retry.hpp for the classification):
//  - retryable results are retried with exponential backoff and jitter, honouring the
//    server's Retry-After / RetryInfo, until RetryPolicy::max_elapsed or the deadline;
//  - a request that is too large (HTTP 413, gRPC RESOURCE_EXHAUSTED without RetryInfo) is
//    split in halves and each half sent; a request whose encoding exceeds
//    max_request_bytes is split before it is ever sent; a single item that is still too
//    large is dropped and counted;
//  - a rejected request (400 and other non-retryable results) is dropped, counted, and the
//    server's message reported;
//  - 401/403 (gRPC UNAUTHENTICATED/PERMISSION_DENIED) are fatal; after 3 consecutive fatal
//    results the circuit breaker opens and nothing is sent until reset_circuit_breaker();
//  - partial success: the rejected items are counted and the message reported; no retry.
//
// Diagnostics go to the ErrorCallback (default: stderr, rate-limited), never into the
// telemetry pipeline the exporter serves. No configured header value (Authorization,
// API keys) and no URL userinfo ever appears in a diagnostic or counter.
//
// Thread-safety: export_* may be called from several threads at once; at most
// max_concurrent_requests requests are in flight, the others wait. shutdown() makes
// waiting and retrying calls return promptly. Destroying the exporter shuts it down and
// waits for calls still inside it, which takes at most one request timeout.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "edgetrace/core/result.hpp"
#include "edgetrace/otlp/batch_processor.hpp"
#include "edgetrace/otlp/exporter_options.hpp"
#include "edgetrace/otlp/retry.hpp"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace edgetrace::otlp {

using ExportTraceServiceRequest =
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using ExportLogsServiceRequest =
    opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using ExportMetricsServiceRequest =
    opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;

enum class DropReason : std::uint8_t {
  kRejected,        // 400 and other non-retryable answers
  kUnauthorized,    // 401/403, UNAUTHENTICATED/PERMISSION_DENIED
  kRetryExhausted,  // retryable failures until max_elapsed or the deadline
  kTooLarge,        // a single item larger than the receiver accepts
  kCircuitOpen,     // not sent: the circuit breaker is open
  kShutdown,        // not sent: the exporter was shut down
  kEncodeFailed,    // the request could not be encoded
  kCount
};
std::string_view to_string(DropReason reason) noexcept;

// One struct with every counter of an exporter. Items are spans, log records or metric
// data points.
struct ExporterCounters {
  std::atomic<std::uint64_t> items_accepted{0};          // handed to export_*
  std::atomic<std::uint64_t> items_exported{0};          // acknowledged by the receiver
  std::atomic<std::uint64_t> items_rejected_partial{0};  // rejected in a partial success
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(DropReason::kCount)>
      items_dropped{};
  std::atomic<std::uint64_t> requests{0};  // requests sent (attempts)
  std::atomic<std::uint64_t> retries{0};   // attempts after the first
  std::atomic<std::uint64_t> splits{0};    // requests split in halves
  std::array<std::atomic<std::uint64_t>, 5> failed_requests_by_action{};  // index: Action
  std::atomic<std::uint64_t> bytes_sent{0};  // request bodies, after compression
  std::atomic<std::uint64_t> circuit_opened{0};

  std::uint64_t dropped(DropReason r) const noexcept {
    return items_dropped[static_cast<std::size_t>(r)].load(std::memory_order_relaxed);
  }
  std::uint64_t dropped_total() const noexcept;
};

// Receives the exporter's diagnostics. Must not emit telemetry through the exporter.
using ErrorCallback = std::function<void(std::string_view message)>;
// Writes to stderr, at most `burst` messages per minute; the number suppressed is
// reported with the next message that gets through.
ErrorCallback stderr_error_callback(int burst = 10);

// What a transport saw for one request.
struct TransportResponse {
  Verdict verdict;
  // Filled on a successful reply: the receiver's partial_success.
  std::int64_t rejected_items = 0;
  // The server's message (partial success, or an error body / gRPC message), or a
  // description of the connection failure. May contain anything: it is redacted before
  // reporting.
  std::string message;
  // Bytes put on the wire for the request body (after compression).
  std::size_t bytes_sent = 0;
  // OTLP/HTTP: the response's status code (0: no response, e.g. connection refused).
  int http_status = 0;
};

// A way of sending encoded requests: OTLP/HTTP (protobuf or JSON) or OTLP/gRPC.
class Transport {
 public:
  virtual ~Transport() = default;
  // Encodes a request the way send() will put it on the wire (before compression).
  virtual core::Result<std::string> encode(Signal signal,
                                           const google::protobuf::Message& request) = 0;
  // Sends one encoded request; must return by `deadline`. Thread-safe.
  virtual TransportResponse send(Signal signal, const std::string& body, Deadline deadline) = 0;
};

struct ExportOutcome {
  std::size_t delivered = 0;
  std::size_t failed = 0;
};

class OtlpExporter {
 public:
  // Builds the transport the options ask for (HTTP or gRPC). Fails on unusable options
  // (bad endpoint, unreadable certificate files).
  static core::Result<std::unique_ptr<OtlpExporter>> create(OtlpExporterOptions options,
                                                            ErrorCallback on_error = {});

  OtlpExporter(OtlpExporterOptions options, std::unique_ptr<Transport> transport,
               ErrorCallback on_error = {});
  ~OtlpExporter();
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  ExportOutcome export_traces(const ExportTraceServiceRequest& request, Deadline deadline);
  ExportOutcome export_logs(const ExportLogsServiceRequest& request, Deadline deadline);
  ExportOutcome export_metrics(const ExportMetricsServiceRequest& request, Deadline deadline);
  // Whether the transport sends protobuf (OTLP/HTTP protobuf, OTLP/gRPC): then a request the
  // caller encoded itself goes out as it is.
  bool accepts_encoded() const noexcept;
  // Exports a request of `signal` given as its protobuf encoding (`body`, which holds
  // `items` items and which the decoder accepts), under the same rules as export_*
  // (retries, back-off, counters). When accepts_encoded() the bytes are sent as they are
  // (no decode, no encode); they are decoded only when the request must be split (over
  // max_request_bytes, or refused as too large) or, with OTLP/HTTP JSON, re-encoded.
  ExportOutcome export_protobuf(Signal signal, const std::string& body, std::size_t items,
                                Deadline deadline);
  // export_protobuf() of an ExportTraceServiceRequest holding `items` spans.
  ExportOutcome export_encoded_traces(const std::string& body, std::size_t items,
                                      Deadline deadline);

  // Makes in-progress backoff waits return and later calls fail fast (counted kShutdown).
  void shutdown();
  void reset_circuit_breaker() noexcept { breaker_.reset(); }
  bool circuit_open() const noexcept { return breaker_.open(); }

  const ExporterCounters& counters() const noexcept { return counters_; }
  const OtlpExporterOptions& options() const noexcept { return options_; }

  // Removes every configured header value and URL userinfo from `text`.
  std::string redact(std::string_view text) const;

 private:
  template <typename Request>
  ExportOutcome export_request(Signal signal, const Request& request, Deadline deadline);
  template <typename Request>
  ExportOutcome send_with_retry(Signal signal, const Request& request, std::size_t items,
                                Deadline deadline, int depth);
  template <typename Request>
  ExportOutcome split_and_send(Signal signal, const Request& request, std::size_t items,
                               Deadline deadline, int depth);
  // Sends an encoded body with retries; `split` sends it as two halves instead (over
  // max_request_bytes, or refused as too large).
  template <typename SplitFn>
  ExportOutcome send_body(Signal signal, const std::string& body, std::size_t items,
                          Deadline deadline, SplitFn&& split);
  // Counts the call (active_calls_) for the destructor; false when nothing may be sent now
  // (shut down, circuit open: the items are counted as dropped).
  bool admit(std::size_t items, ExportOutcome& refused);
  void report(std::string_view message);
  void drop(DropReason reason, std::size_t items);
  bool acquire_slot(Deadline deadline);
  void release_slot();
  // Sleeps until `until` unless shut down first; returns false when shut down.
  bool sleep_until(Clock::time_point until);

  OtlpExporterOptions options_;
  std::unique_ptr<Transport> transport_;
  ErrorCallback on_error_;
  CircuitBreaker breaker_;
  ExporterCounters counters_;

  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
  int active_calls_ = 0;  // export_* calls inside the exporter; the destructor waits for 0
  bool shut_down_ = false;
};

// The transport the options ask for (OTLP/HTTP or OTLP/gRPC), for a caller that sends
// requests itself and wants each answer as it came (e.g. a proxy passing a backend's
// throttling back to its client): no retry, no split, no circuit breaker.
core::Result<std::unique_ptr<Transport>> create_transport(const OtlpExporterOptions& options);

// Item counting and halving, for every request type (spans / log records / data points).
std::size_t count_items(const ExportTraceServiceRequest& request);
std::size_t count_items(const ExportLogsServiceRequest& request);
std::size_t count_items(const ExportMetricsServiceRequest& request);
// Two requests holding the first half and the second half of the items, with their
// resource and scope wrappers copied. Requires count_items(request) >= 2.
std::pair<ExportTraceServiceRequest, ExportTraceServiceRequest> split_in_halves(
    const ExportTraceServiceRequest& request);
std::pair<ExportLogsServiceRequest, ExportLogsServiceRequest> split_in_halves(
    const ExportLogsServiceRequest& request);
std::pair<ExportMetricsServiceRequest, ExportMetricsServiceRequest> split_in_halves(
    const ExportMetricsServiceRequest& request);

}  // namespace edgetrace::otlp
