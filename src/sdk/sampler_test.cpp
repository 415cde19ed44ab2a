#include "edgetrace/sdk/sampler.hpp"

#include <gtest/gtest.h>

#include <map>

namespace edgetrace::sdk {
namespace {

core::EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view n) -> std::optional<std::string> {
    auto it = vars.find(std::string(n));
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

core::SpanContext parent(bool sampled) {
  core::SpanContext c;
  c.trace_id = core::TraceId::random();
  c.span_id = core::SpanId::random();
  c.flags = c.flags.with_sampled(sampled);
  c.remote = true;
  return c;
}

TEST(SamplerTest, AlwaysOnAndOff) {
  const auto id = core::TraceId::random();
  EXPECT_EQ(Sampler::always_on().should_sample(nullptr, id), SamplingDecision::kRecordAndSample);
  EXPECT_EQ(Sampler::always_off().should_sample(nullptr, id), SamplingDecision::kDrop);
}

TEST(SamplerTest, RatioSamplesAboutThatShareAndIsDeterministicPerTrace) {
  Sampler s = Sampler::trace_id_ratio(0.25);
  int sampled = 0;
  constexpr int kN = 20000;
  for (int i = 0; i < kN; ++i) {
    const auto id = core::TraceId::random();
    const auto d = s.should_sample(nullptr, id);
    EXPECT_EQ(d, s.should_sample(nullptr, id));  // same trace, same answer
    if (d == SamplingDecision::kRecordAndSample)
      ++sampled;
  }
  EXPECT_GT(sampled, kN * 22 / 100);
  EXPECT_LT(sampled, kN * 28 / 100);
}

TEST(SamplerTest, RatioUsesTheRandomPartOfTheTraceId) {
  Sampler half = Sampler::trace_id_ratio(0.5);
  std::array<std::uint8_t, 16> low{};
  low[0] = 0xff;  // the non-random part does not matter
  low[15] = 1;
  std::array<std::uint8_t, 16> high{};
  high[9] = 0xff;
  EXPECT_EQ(half.should_sample(nullptr, core::TraceId(low)), SamplingDecision::kRecordAndSample);
  EXPECT_EQ(half.should_sample(nullptr, core::TraceId(high)), SamplingDecision::kDrop);
  EXPECT_EQ(Sampler::trace_id_ratio(0).should_sample(nullptr, core::TraceId(low)),
            SamplingDecision::kDrop);
  EXPECT_EQ(Sampler::trace_id_ratio(1).should_sample(nullptr, core::TraceId(high)),
            SamplingDecision::kRecordAndSample);
}

TEST(SamplerTest, ParentBasedFollowsTheParentAndUsesRootOtherwise) {
  Sampler s = Sampler::parent_based(Sampler::always_off());
  const auto id = core::TraceId::random();
  const auto yes = parent(true);
  const auto no = parent(false);
  EXPECT_EQ(s.should_sample(&yes, id), SamplingDecision::kRecordAndSample);
  EXPECT_EQ(s.should_sample(&no, id), SamplingDecision::kDrop);
  EXPECT_EQ(s.should_sample(nullptr, id), SamplingDecision::kDrop);
  EXPECT_EQ(Sampler::parent_based(Sampler::always_on()).should_sample(nullptr, id),
            SamplingDecision::kRecordAndSample);
  EXPECT_EQ(s.name(), "parentbased_always_off");
}

TEST(SamplerTest, FromTypedNames) {
  EXPECT_EQ(make_sampler(config::TracesSampler::kParentBasedAlwaysOn, std::nullopt).name(),
            "parentbased_always_on");
  EXPECT_EQ(make_sampler(config::TracesSampler::kAlwaysOff, 0.5).name(), "always_off");
  const Sampler r = make_sampler(config::TracesSampler::kTraceIdRatio, 0.3);
  EXPECT_EQ(r.name(), "traceidratio");
  EXPECT_DOUBLE_EQ(r.ratio(), 0.3);
  EXPECT_DOUBLE_EQ(
      make_sampler(config::TracesSampler::kParentBasedTraceIdRatio, std::nullopt).ratio(), 1.0);
}

TEST(SamplerTest, FromEnvironment) {
  EXPECT_EQ(sampler_from_env(env({})).sampler.name(), "parentbased_always_on");
  LoadedSampler r = sampler_from_env(env(
      {{"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0.1"}}));
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(r.sampler.name(), "parentbased_traceidratio");
  EXPECT_DOUBLE_EQ(r.sampler.ratio(), 0.1);
  EXPECT_EQ(sampler_from_env(env({{"OTEL_TRACES_SAMPLER", "always_off"}})).sampler.name(),
            "always_off");

  LoadedSampler bad = sampler_from_env(
      env({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "1.5"}}));
  ASSERT_EQ(bad.warnings.size(), 1u);
  EXPECT_DOUBLE_EQ(bad.sampler.ratio(), 1.0);
  LoadedSampler unknown = sampler_from_env(env({{"OTEL_TRACES_SAMPLER", "jaeger_remote"}}));
  ASSERT_EQ(unknown.warnings.size(), 1u);
  EXPECT_EQ(unknown.sampler.name(), "parentbased_always_on");
}

}  // namespace
}  // namespace edgetrace::sdk
