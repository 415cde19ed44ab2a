#include "edgetrace/processors/sampling.hpp"

#include <cmath>

namespace edgetrace::processors {

std::uint64_t rejection_threshold(double probability) noexcept {
  if (!(probability > 0))  // also NaN
    return kMaxThreshold;
  if (probability >= 1)
    return 0;
  // As the OpenTelemetry Collector's pkg/sampling (ProbabilityToThreshold): round the kept
  // share to 56 bits, the threshold is what is left.
  const auto kept = static_cast<std::uint64_t>(std::llround(probability * 0x1p56));
  return kept >= kMaxThreshold ? 0 : kMaxThreshold - kept;
}

std::uint64_t trace_randomness(std::string_view trace_id) noexcept {
  std::uint64_t r = 0;
  if (trace_id.size() != 16)
    return 0;
  for (std::size_t i = 9; i < 16; ++i)
    r = (r << 8) | static_cast<unsigned char>(trace_id[i]);
  return r;
}

bool valid_trace_id(std::string_view trace_id) noexcept {
  if (trace_id.size() != 16)
    return false;
  for (char c : trace_id) {
    if (c != 0)
      return true;
  }
  return false;
}

bool keep_trace(std::string_view trace_id, std::uint64_t threshold) noexcept {
  if (threshold == 0 || !valid_trace_id(trace_id))
    return true;
  return trace_randomness(trace_id) >= threshold;
}

}  // namespace edgetrace::processors
