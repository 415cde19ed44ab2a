// The processors' options and counters, without the OTLP message types (so the SDK's public
// headers can carry them without the generated protobuf headers). processors.hpp applies
// them; docs/processors.md describes every option and its config key.
//
//   processors::ProcessorsOptions o;
//   o.redaction.enabled = true;
//   o.sampling.debug_log_ratio = 0.1;
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgetrace::processors {

struct RedactionOptions {
  bool enabled = false;
  // The built-in patterns (docs/processors.md lists them): "email", "bearer_token",
  // "api_key", "ipv4", "ipv6", "card".
  bool default_patterns = true;
  // When non-empty, only these built-in patterns (by the names above) are used.
  std::vector<std::string> only_default_patterns;
  // Extra RE2 patterns; the whole match is replaced.
  std::vector<std::string> patterns;
  // What a match (or a masked value) is replaced with.
  std::string replacement = "[REDACTED]";
  // Allow-list mode when non-empty: a string attribute of a span, span event, span link or
  // log record whose key is not listed has its value replaced by `replacement` (strings
  // inside array and kvlist values too); the key stays, so the reader sees that something
  // was there. Resource and scope attributes are not masked (service.name must survive);
  // the patterns still apply to them.
  std::vector<std::string> allowed_attributes;
  // exception.stacktrace, code.filepath and code.file.path: absolute paths are trimmed to
  // the part after the first of `stack_path_roots` they start with, else to the file name.
  bool trim_stack_paths = false;
  std::vector<std::string> stack_path_roots;
};

struct SamplingOptions {
  // Fraction of traces kept (consistent across processes by trace id).
  double trace_ratio = 1.0;
  // Fractions of log records kept by level; ERROR and FATAL are always kept. A record with
  // no SeverityNumber is classified by its severity text, else counted as INFO.
  double debug_log_ratio = 1.0;  // TRACE and DEBUG
  double info_log_ratio = 1.0;
  double warn_log_ratio = 1.0;
};

struct RateCapOptions {
  // Log records per second per instrumentation scope; 0: no rate cap.
  double per_second = 0;
  // Records a scope may send at once after being quiet; below 1: max(1, per_second).
  double burst = 0;
  // Distinct scopes tracked; records of further scopes share one overflow bucket.
  std::size_t max_scopes = 10000;
};

struct ProcessorsOptions {
  RedactionOptions redaction;
  SamplingOptions sampling;
  RateCapOptions scope_rate;
};

// Whether the options change anything: redaction on, a ratio below 1, or a rate cap. A
// program may skip creating Processors when they do not.
inline bool is_active(const ProcessorsOptions& o) noexcept {
  const SamplingOptions& s = o.sampling;
  return o.redaction.enabled || s.trace_ratio < 1 || s.debug_log_ratio < 1 ||
         s.info_log_ratio < 1 || s.warn_log_ratio < 1 || o.scope_rate.per_second > 0;
}

enum class Signal : std::uint8_t { kTraces = 0, kLogs = 1 };
enum class DropReason : std::uint8_t { kSampled = 0, kRateCapped = 1 };
inline constexpr std::size_t kSignalCount = 2;
inline constexpr std::size_t kDropReasonCount = 2;

// "traces", "logs"; "sampled", "rate_capped" (metric label values).
std::string_view to_string(Signal signal) noexcept;
std::string_view to_string(DropReason reason) noexcept;

// What one process() call did. Items are spans or log records.
struct Outcome {
  std::uint64_t kept = 0;
  std::uint64_t sampled_out = 0;
  std::uint64_t rate_capped = 0;
  std::uint64_t redacted_values = 0;  // strings changed by a pattern or masked by the allow-list
};

// Totals since creation.
struct ProcessorsCounters {
  std::array<std::uint64_t, kSignalCount> received{};
  std::array<std::uint64_t, kSignalCount> kept{};
  // dropped[signal][reason]
  std::array<std::array<std::uint64_t, kDropReasonCount>, kSignalCount> dropped{};
  std::uint64_t values_redacted = 0;      // strings changed by a pattern
  std::uint64_t attributes_masked = 0;    // values replaced by the allow-list
  std::uint64_t stack_paths_trimmed = 0;  // attribute values whose paths were trimmed

  std::uint64_t dropped_count(Signal s, DropReason r) const noexcept {
    return dropped[static_cast<std::size_t>(s)][static_cast<std::size_t>(r)];
  }
};

}  // namespace edgetrace::processors
