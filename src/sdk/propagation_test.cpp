#include "edgetrace/sdk/propagation.hpp"

#include <gtest/gtest.h>

namespace edgetrace::sdk {
namespace {

core::EnvLookup env_with(std::optional<std::string> value) {
  return [value](std::string_view n) -> std::optional<std::string> {
    if (n == "OTEL_PROPAGATORS")
      return value;
    return std::nullopt;
  };
}

TEST(PropagationTest, InjectThenExtractRoundTrips) {
  core::SpanContext ctx;
  ctx.trace_id = core::TraceId::random();
  ctx.span_id = core::SpanId::random();
  ctx.flags.bits = core::TraceFlags::kSampled | core::TraceFlags::kRandom;
  ASSERT_TRUE(ctx.state.set("congo", "t61rcWkgMzE").ok());
  core::Baggage bag;
  ASSERT_TRUE(bag.set("user", "Amélie").ok());

  HeaderMap headers;
  Propagators::w3c().inject(ctx, &bag, headers);
  EXPECT_EQ(headers.get("TraceParent"),
            core::format_traceparent({0, ctx.trace_id, ctx.span_id, ctx.flags}));
  EXPECT_EQ(headers.get("tracestate"), "congo=t61rcWkgMzE");
  EXPECT_EQ(headers.get("baggage"), "user=Am%C3%A9lie");

  Extracted in = Propagators::w3c().extract(headers);
  ASSERT_TRUE(in.context.has_value());
  EXPECT_EQ(in.context->trace_id, ctx.trace_id);
  EXPECT_EQ(in.context->span_id, ctx.span_id);
  EXPECT_TRUE(in.context->remote);
  EXPECT_TRUE(in.context->sampled());
  EXPECT_TRUE(in.context->flags.random());
  EXPECT_EQ(in.context->state.get("congo"), "t61rcWkgMzE");
  EXPECT_EQ(in.baggage.get("user"), "Amélie");
}

TEST(PropagationTest, InvalidTraceparentGivesNoParentButBaggageSurvives) {
  HeaderMap h;
  h.set("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01");
  h.set("tracestate", "congo=1");
  h.set("baggage", "k=v");
  Extracted in = Propagators::w3c().extract(h);
  EXPECT_FALSE(in.context.has_value());
  EXPECT_EQ(in.baggage.get("k"), "v");
}

TEST(PropagationTest, UnsampledAndInvalidContexts) {
  HeaderMap h;
  Propagators::w3c().inject(core::SpanContext{}, nullptr, h);
  EXPECT_TRUE(h.headers().empty());
  core::SpanContext ctx;
  ctx.trace_id = core::TraceId::random();
  ctx.span_id = core::SpanId::random();
  Propagators::w3c().inject(ctx, nullptr, h);
  ASSERT_TRUE(h.get("traceparent").has_value());
  EXPECT_TRUE(h.get("traceparent")->ends_with("-00"));  // not sampled, still propagated
  EXPECT_FALSE(h.get("tracestate").has_value());
}

TEST(PropagationTest, EnvironmentSelectsPropagators) {
  auto both = Propagators::from_env(env_with(std::nullopt));
  EXPECT_TRUE(both.propagators.tracecontext());
  EXPECT_TRUE(both.propagators.baggage());
  auto only_tc = Propagators::from_env(env_with("tracecontext"));
  EXPECT_TRUE(only_tc.propagators.tracecontext());
  EXPECT_FALSE(only_tc.propagators.baggage());
  auto none = Propagators::from_env(env_with("none"));
  EXPECT_FALSE(none.propagators.tracecontext());
  EXPECT_FALSE(none.propagators.baggage());
  auto b3 = Propagators::from_env(env_with("b3, Baggage"));
  EXPECT_FALSE(b3.propagators.tracecontext());
  EXPECT_TRUE(b3.propagators.baggage());
  ASSERT_EQ(b3.warnings.size(), 1u);
  EXPECT_NE(b3.warnings[0].find("b3"), std::string::npos);

  HeaderMap h;
  core::Baggage bag;
  ASSERT_TRUE(bag.set("k", "v").ok());
  core::SpanContext ctx;
  ctx.trace_id = core::TraceId::random();
  ctx.span_id = core::SpanId::random();
  only_tc.propagators.inject(ctx, &bag, h);
  EXPECT_FALSE(h.get("baggage").has_value());
}

}  // namespace
}  // namespace edgetrace::sdk
