// Processors: redaction, sampling and rate caps applied in place to OTLP requests, the same
// rules in the daemon (per pipeline: device, otlp, proxy) and in a C++ service's OTLP layer
// before export. docs/processors.md describes every option and the config keys.
//
//   processors::ProcessorsOptions o;
//   o.redaction.enabled = true;                    // default patterns: e-mail, tokens, keys,
//   o.redaction.allowed_attributes = {"http.route"};  //  IPv4/IPv6, card numbers
//   o.sampling.trace_ratio = 0.25;                 // the same traces kept on every daemon
//   o.sampling.debug_log_ratio = 0.1;              // ERROR and FATAL are always kept
//   o.scope_rate = {.per_second = 100, .burst = 500};
//   core::Result<std::unique_ptr<processors::Processors>> p =
//       processors::Processors::create(std::move(o));
//   if (!p) return p.status();                     // "invalid_argument: redaction pattern ..."
//   processors::Outcome out = (*p)->process(logs_request, std::chrono::steady_clock::now());
//   // out.kept, out.sampled_out, out.rate_capped, out.redacted_values
//
// Order, per request: sampling, then rate caps (on what sampling kept), then redaction (on
// what is still there). Scopes and resources left with no item are removed from the request.
// Every dropped item is counted by signal and reason (counters()); nothing is dropped
// silently.
//
// Sampling (sampling.hpp has the rule and where it comes from): a span is kept when the
// 56 least significant bits of its trace id are >= (1 - trace_ratio) * 2^56, the OpenTelemetry
// consistent probability sampling rule, so every span of a trace, on every daemon and SDK
// with the same ratio, gets the same decision. Log records: ERROR and FATAL always kept;
// TRACE/DEBUG, INFO and WARN at their ratios, by the same trace-id rule when the record
// carries a trace id (a trace kept at a ratio <= the log ratio keeps its logs), by a
// thread-local pseudo-random number otherwise. Spans and records without a valid trace id
// are kept by trace sampling.
//
// Rate caps: log records, per instrumentation scope name (the logger), a token bucket of
// `burst` records refilled at `per_second`; time is the `now` the caller passes (no clock is
// read here). At most `max_scopes` buckets; further scopes share one overflow bucket.
// Rate caps apply to every severity (a flood of errors is what they are for).
//
// Thread-safety: process() and counters() may be called from any number of threads at once.
// The compiled patterns are immutable; the rate-cap buckets are behind one mutex taken once
// per ScopeLogs when rate caps are on; counters are relaxed atomics. process() does no I/O
// and does not block (beyond that mutex); it allocates only where a redacted string is
// rewritten and for a scope's first bucket.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "edgetrace/core/result.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "edgetrace/processors/options.hpp"

namespace edgetrace::processors {

class Redactor;

class Processors {
 public:
  using Counters = ProcessorsCounters;
  using Clock = std::chrono::steady_clock;

  // Compiles the patterns. Errors (kInvalidArgument): a pattern RE2 rejects ("redaction
  // pattern '<p>': <RE2's reason>"), an unknown built-in pattern name, a ratio outside
  // [0, 1], a negative or non-finite rate.
  static core::Result<std::unique_ptr<Processors>> create(ProcessorsOptions options);

  ~Processors();
  Processors(const Processors&) = delete;
  Processors& operator=(const Processors&) = delete;

  // Applies the processors to the request in place.
  Outcome process(otlp::TraceRequest& request, Clock::time_point now);
  Outcome process(otlp::LogsRequest& request, Clock::time_point now);

  Counters counters() const noexcept;
  const ProcessorsOptions& options() const noexcept { return options_; }

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last{};
  };
  struct Totals {
    std::array<std::atomic<std::uint64_t>, kSignalCount> received{};
    std::array<std::atomic<std::uint64_t>, kSignalCount> kept{};
    std::array<std::array<std::atomic<std::uint64_t>, kDropReasonCount>, kSignalCount> dropped{};
    std::atomic<std::uint64_t> values_redacted{0};
    std::atomic<std::uint64_t> attributes_masked{0};
    std::atomic<std::uint64_t> stack_paths_trimmed{0};
  };
  Processors(ProcessorsOptions options, std::unique_ptr<Redactor> redactor);
  // Records of one scope allowed through the rate cap now (of `wanted`).
  std::size_t take_tokens(std::string_view scope, std::size_t wanted, Clock::time_point now);
  bool keep_log(const opentelemetry::proto::logs::v1::LogRecord& record) const;

  ProcessorsOptions options_;
  std::unique_ptr<Redactor> redactor_;  // null when redaction is off
  std::uint64_t trace_threshold_;
  std::array<std::uint64_t, 4> log_thresholds_;  // debug, info, warn, error (always 0)
  double burst_;
  std::mutex buckets_mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
  Bucket overflow_bucket_;
  bool overflow_started_ = false;
  Totals totals_;
};

}  // namespace edgetrace::processors
