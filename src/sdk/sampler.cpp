#include "edgetrace/sdk/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "edgetrace/core/text.hpp"

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
  return s;
}

SamplingDecision Sampler::should_sample(const core::SpanContext* parent,
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
      return root_->should_sample(nullptr, trace_id);
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

LoadedSampler sampler_from_env(const otlp::EnvLookup& env) {
  LoadedSampler out;
  std::string name = core::to_lower_ascii(env("OTEL_TRACES_SAMPLER").value_or(""));
  const std::optional<std::string> arg = env("OTEL_TRACES_SAMPLER_ARG");
  auto ratio = [&]() -> double {
    if (!arg || arg->empty())
      return 1.0;
    char* end = nullptr;
    const double v = std::strtod(arg->c_str(), &end);
    if (end == arg->c_str() || *end != '\0' || std::isnan(v) || v < 0.0 || v > 1.0) {
      out.warnings.push_back("OTEL_TRACES_SAMPLER_ARG: '" + *arg +
                             "' is not a ratio between 0 and 1; using 1.0");
      return 1.0;
    }
    return v;
  };
  if (name.empty() || name == "parentbased_always_on") {
    out.sampler = Sampler::parent_based(Sampler::always_on());
  } else if (name == "always_on") {
    out.sampler = Sampler::always_on();
  } else if (name == "always_off") {
    out.sampler = Sampler::always_off();
  } else if (name == "traceidratio") {
    out.sampler = Sampler::trace_id_ratio(ratio());
  } else if (name == "parentbased_always_off") {
    out.sampler = Sampler::parent_based(Sampler::always_off());
  } else if (name == "parentbased_traceidratio") {
    out.sampler = Sampler::parent_based(Sampler::trace_id_ratio(ratio()));
  } else {
    out.warnings.push_back("OTEL_TRACES_SAMPLER: unknown sampler '" + name +
                           "'; using parentbased_always_on");
  }
  return out;
}

}  // namespace edgetrace::sdk
