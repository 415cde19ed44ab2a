// Samplers: whether a new span is recorded and exported, decided when it starts.
//
//   Sampler s = Sampler::parent_based(Sampler::trace_id_ratio(0.25));
//   SamplingDecision d = s.should_sample(parent_context_or_null, trace_id);
//   // unsampled spans still get ids and propagate context; they are just not exported
//
//   LoadedSampler l = make_sampler(config::TracesSampler::kTraceIdRatio, 0.25);  // typed
//   LoadedSampler e = sampler_from_env(env);   // OTEL_TRACES_SAMPLER / _ARG
//
// Samplers (OpenTelemetry names): always_on, always_off, traceidratio (ARG: ratio in
// [0, 1], default 1), parentbased_always_on (the default), parentbased_always_off,
// parentbased_traceidratio. parent-based: a sampled parent -> sample, an unsampled
// parent -> drop, no parent -> the root sampler.
//
// traceidratio compares the trace id's last 7 bytes (the W3C "random" part) with
// ratio * 2^56, so every service sampling the same trace at the same ratio agrees.
//
// Thread-safety: immutable; should_sample() may be called from any thread, never allocates.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edgetrace/config/otel_environment.hpp"
#include "edgetrace/core/env.hpp"
#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/trace_context.hpp"

namespace edgetrace::sdk {

enum class SamplingDecision : std::uint8_t { kDrop, kRecordAndSample };

class Sampler {
 public:
  enum class Kind : std::uint8_t { kAlwaysOn, kAlwaysOff, kTraceIdRatio, kParentBased };

  static Sampler always_on() { return Sampler(Kind::kAlwaysOn); }
  static Sampler always_off() { return Sampler(Kind::kAlwaysOff); }
  // `ratio` is clamped to [0, 1].
  static Sampler trace_id_ratio(double ratio);
  static Sampler parent_based(Sampler root);

  // `parent` is the parent span's context, or nullptr for a root span.
  SamplingDecision should_sample(const core::SpanContext* parent,
                                 const core::TraceId& trace_id) const noexcept {
    // Inline for the defaults: always_on, and a root span under parentbased_always_on.
    if (roots_always_sampled_ && (kind_ != Kind::kParentBased || parent == nullptr))
      return SamplingDecision::kRecordAndSample;
    return decide(parent, trace_id);
  }

  Kind kind() const noexcept { return kind_; }
  double ratio() const noexcept { return ratio_; }
  // The OpenTelemetry name, e.g. "parentbased_traceidratio".
  std::string name() const;

 private:
  explicit Sampler(Kind kind) : kind_(kind), roots_always_sampled_(kind == Kind::kAlwaysOn) {}
  SamplingDecision decide(const core::SpanContext* parent,
                          const core::TraceId& trace_id) const noexcept;

  Kind kind_;
  bool roots_always_sampled_;  // always_on, or parent-based on always_on
  double ratio_ = 1.0;
  std::uint64_t threshold_ = 0;  // sample when the 56 random bits are below it
  bool sample_all_ = true;
  std::shared_ptr<const Sampler> root_;  // parent-based only
};

struct LoadedSampler {
  Sampler sampler = Sampler::parent_based(Sampler::always_on());
  std::vector<std::string> warnings;  // unknown sampler names, bad ratios
};

// The sampler a name and ratio describe (TracingConfig, OTEL_TRACES_SAMPLER[_ARG]). `ratio`
// applies to the *traceidratio samplers; absent: 1.0. Out-of-range ratios are clamped.
Sampler make_sampler(config::TracesSampler name, std::optional<double> ratio);

// make_sampler() from the variables as config::read_otel_environment() parses them; the
// warnings are those about the two variables (invalid values are ignored).
LoadedSampler sampler_from_env(const core::EnvLookup& env);

}  // namespace edgetrace::sdk
