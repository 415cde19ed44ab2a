// What to do with an export result, exactly as the OTLP specification says, plus backoff,
// Retry-After parsing and the circuit breaker for fatal (auth) failures.
//
//   Verdict v = classify_http(503, retry_after_header, now);
//   if (v.action == Action::kRetry) sleep(v.retry_after.value_or(backoff.next()));
//
// Retryable: HTTP 429, 502, 503, 504 and connection failures; gRPC CANCELLED,
// DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS, and RESOURCE_EXHAUSTED
// only when the server sent RetryInfo. HTTP 413 and gRPC RESOURCE_EXHAUSTED without
// RetryInfo: split the batch in halves. 401/403 and UNAUTHENTICATED/PERMISSION_DENIED:
// fatal. Anything else that is not a success (400, other 4xx/5xx, other gRPC codes): drop
// the batch and count it.
//
// Thread-safety: classify_* and parse_retry_after are pure. Backoff and CircuitBreaker are
// not synchronized (CircuitBreaker is: see below).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "edgetrace/otlp/exporter_options.hpp"

namespace edgetrace::otlp {

enum class Action : std::uint8_t {
  kSuccess,
  kRetry,  // transient: try again after a delay
  kSplit,  // the request was too large: send each half
  kDrop,   // the receiver rejected the data (e.g. 400): count and give up on it
  kFatal,  // authentication/authorization failed: counts towards the circuit breaker
};

std::string_view to_string(Action action) noexcept;

struct Verdict {
  Action action = Action::kSuccess;
  // The server's requested delay (Retry-After / RetryInfo), when it gave one.
  std::optional<std::chrono::milliseconds> retry_after;
};

// `retry_after` is the raw Retry-After header value, if any; `now` is used for HTTP-dates.
Verdict classify_http(int status, std::optional<std::string_view> retry_after,
                      std::chrono::system_clock::time_point now);
// A connection failure (refused, reset, DNS, TLS handshake, timeout): always retryable.
Verdict classify_connection_failure();

// gRPC status codes, numbered as gRPC numbers them.
enum class GrpcCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// `retry_info_delay`: the delay from a google.rpc.RetryInfo detail, when the server sent one.
Verdict classify_grpc(GrpcCode code, std::optional<std::chrono::milliseconds> retry_info_delay);

// Parses a Retry-After value: delta-seconds ("120") or an HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT"; also the obsolete RFC 850 and asctime forms). A date
// in the past gives 0. nullopt when malformed.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// Exponential backoff with jitter for one batch. next() returns the delay before the next
// attempt; elapsed time is the caller's to track against RetryPolicy::max_elapsed.
class Backoff {
 public:
  explicit Backoff(const RetryPolicy& policy) noexcept : policy_(policy) {}
  std::chrono::milliseconds next() noexcept;
  int attempts() const noexcept { return attempts_; }

 private:
  RetryPolicy policy_;
  int attempts_ = 0;
  double current_ms_ = 0;
};

// Opens after `threshold` consecutive fatal results and stays open until reset(). While
// open, an exporter sends nothing to that destination. Thread-safe (atomics).
class CircuitBreaker {
 public:
  explicit CircuitBreaker(int threshold = 3) noexcept : threshold_(threshold) {}

  bool open() const noexcept { return open_.load(std::memory_order_acquire); }
  // Records one export outcome; returns true when this call opened the breaker.
  bool record(Action action) noexcept;
  void reset() noexcept;
  int consecutive_fatal() const noexcept { return fatal_.load(std::memory_order_relaxed); }

 private:
  int threshold_;
  std::atomic<int> fatal_{0};
  std::atomic<bool> open_{false};
};

}  // namespace edgetrace::otlp
