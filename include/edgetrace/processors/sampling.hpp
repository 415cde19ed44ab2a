// The consistent probability sampling rule, shared by the processors (and usable by anything
// that must agree with them on which traces are kept).
//
//   std::uint64_t th = processors::rejection_threshold(0.25);
//   if (processors::keep_trace(span.trace_id(), th)) ...   // the same answer everywhere
//
// Source: OpenTelemetry specification, "TraceState: Probability Sampling"
// (specification/trace/tracestate-probability-sampling.md, sections "Rejection Threshold
// (th)", "Randomness Value (rv)" and "Testing randomness vs threshold"), which also defines
// the TraceIdRatioBased sampler's decision (specification/trace/sdk.md): the randomness R is
// the least significant 56 bits of the trace id (W3C Trace Context Level 2, "randomness of
// trace-id": its last 7 bytes), the rejection threshold is T = (1 - probability) * 2^56, and
// an item is kept when R >= T. T is computed as the OpenTelemetry Collector's pkg/sampling
// does: 2^56 - round(probability * 2^56). Probability 0 gives T = 2^56, which no 56-bit R
// reaches (never kept); probability 1 gives T = 0 (always kept). Because the decision is a
// comparison against a fixed function of the trace id, every span of a trace gets the same
// decision in every process that uses the same ratio, and a trace kept at probability p is
// also kept at every probability >= p.
//
// An explicit `rv` in the span's tracestate is not consulted: spans of one trace may differ
// in what they carry there, and the rule here must give the whole trace one decision.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace edgetrace::processors {

// 2^56: the number of distinct randomness values.
inline constexpr std::uint64_t kMaxThreshold = std::uint64_t{1} << 56;

// T for a probability in [0, 1] (values outside are clamped).
std::uint64_t rejection_threshold(double probability) noexcept;

// The 56 least significant bits of a 16-byte trace id (bytes 9..15, big-endian). Meaningless
// for an id of another size; see valid_trace_id().
std::uint64_t trace_randomness(std::string_view trace_id) noexcept;

// 16 bytes, not all zero (the OTLP rule for a trace id).
bool valid_trace_id(std::string_view trace_id) noexcept;

// R >= T. An invalid trace id is kept (there is nothing consistent to decide on).
bool keep_trace(std::string_view trace_id, std::uint64_t threshold) noexcept;

}  // namespace edgetrace::processors
