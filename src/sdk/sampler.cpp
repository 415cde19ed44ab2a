#include "edgetrace/sdk/sampler.hpp"

#include <algorithm>
#include <cmath>

namespace edgetrace::sdk {
namespace {

constexpr double kTwoTo56 = 72057594037927936.0;  // 2^56

std::uint64_t random_bits(const core::TraceId& id) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 9; i < 16; ++i)
    v = (v << 8) | id.bytes()[i];
  return v;
}

}  // namespace

Sampler Sampler::trace_id_ratio(double ratio) {
  Sampler s(Kind::kTraceIdRatio);
  s.ratio_ = std::isnan(ratio) ? 0.0 : std::clamp(ratio, 0.0, 1.0);
  s.sample_all_ = s.ratio_ >= 1.0;
  s.threshold_ = static_cast<std::uint64_t>(s.ratio_ * kTwoTo56);
  return s;
}

Sampler Sampler::parent_based(Sampler root) {
  Sampler s(Kind::kParentBased);
  s.root_ = std::make_shared<const Sampler>(std::move(root));
  s.ratio_ = s.root_->ratio_;
  s.roots_always_sampled_ = s.root_->kind_ == Kind::kAlwaysOn;
  return s;
}

SamplingDecision Sampler::decide(const core::SpanContext* parent,
                                 const core::TraceId& trace_id) const noexcept {
  switch (kind_) {
    case Kind::kAlwaysOn:
      return SamplingDecision::kRecordAndSample;
    case Kind::kAlwaysOff:
      return SamplingDecision::kDrop;
    case Kind::kTraceIdRatio:
      if (sample_all_)
        return SamplingDecision::kRecordAndSample;
      return random_bits(trace_id) < threshold_ ? SamplingDecision::kRecordAndSample
                                                : SamplingDecision::kDrop;
    case Kind::kParentBased:
      if (parent != nullptr && parent->valid()) {
        return parent->sampled() ? SamplingDecision::kRecordAndSample : SamplingDecision::kDrop;
      }
      return root_->decide(nullptr, trace_id);
  }
  return SamplingDecision::kDrop;
}

std::string Sampler::name() const {
  switch (kind_) {
    case Kind::kAlwaysOn:
      return "always_on";
    case Kind::kAlwaysOff:
      return "always_off";
    case Kind::kTraceIdRatio:
      return "traceidratio";
    case Kind::kParentBased:
      return "parentbased_" + root_->name();
  }
  return "unknown";
}

Sampler make_sampler(config::TracesSampler name, std::optional<double> ratio) {
  const double r = ratio.value_or(1.0);
  switch (name) {
    case config::TracesSampler::kAlwaysOn:
      return Sampler::always_on();
    case config::TracesSampler::kAlwaysOff:
      return Sampler::always_off();
    case config::TracesSampler::kTraceIdRatio:
      return Sampler::trace_id_ratio(r);
    case config::TracesSampler::kParentBasedAlwaysOff:
      return Sampler::parent_based(Sampler::always_off());
    case config::TracesSampler::kParentBasedTraceIdRatio:
      return Sampler::parent_based(Sampler::trace_id_ratio(r));
    case config::TracesSampler::kParentBasedAlwaysOn:
      break;
  }
  return Sampler::parent_based(Sampler::always_on());
}

LoadedSampler sampler_from_env(const core::EnvLookup& env) {
  const config::OtelEnvironment parsed = config::read_otel_environment(env);
  LoadedSampler out;
  out.sampler =
      make_sampler(parsed.traces_sampler.value_or(config::TracesSampler::kParentBasedAlwaysOn),
                   parsed.traces_sampler_arg);
  for (const std::string& w : parsed.warnings)
    if (w.starts_with("OTEL_TRACES_SAMPLER"))
      out.warnings.push_back(w);
  return out;
}

}  // namespace edgetrace::sdk
