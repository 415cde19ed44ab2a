#include "edgetrace/config/otel_environment.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace edgetrace::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(OtelEnvironmentTest, UnsetAndBlankVariablesAreNullopt) {
  OtelEnvironment e = read_otel_environment(core::map_environment({{"OTEL_SERVICE_NAME", "  "}}));
  EXPECT_FALSE(e.sdk_disabled);
  EXPECT_FALSE(e.service_name);
  EXPECT_FALSE(e.resource_attributes);
  EXPECT_FALSE(e.traces_sampler);
  EXPECT_FALSE(e.propagators);
  EXPECT_FALSE(e.otlp.generic.endpoint);
  EXPECT_TRUE(e.all_warnings().empty());
}

TEST(OtelEnvironmentTest, ParsesEveryVariableIntoTypedValues) {
  OtelEnvironment e = read_otel_environment(core::map_environment({
      {"OTEL_SDK_DISABLED", "TRUE"},
      {"OTEL_SERVICE_NAME", " checkout "},
      {"OTEL_RESOURCE_ATTRIBUTES", "service.version=1.2,deployment.environment=prod%20eu"},
      {"OTEL_TRACES_SAMPLER", "ParentBased_TraceIdRatio"},
      {"OTEL_TRACES_SAMPLER_ARG", "0.25"},
      {"OTEL_PROPAGATORS", "TraceContext, baggage"},
      {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
      {"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "1500"},
      {"OTEL_BSP_MAX_QUEUE_SIZE", "64"},
  }));
  EXPECT_TRUE(e.all_warnings().empty());
  EXPECT_EQ(e.sdk_disabled, true);
  EXPECT_EQ(e.service_name, "checkout");
  ASSERT_TRUE(e.resource_attributes);
  EXPECT_EQ(e.resource_attributes->get("deployment.environment")->get_if<std::string>()[0],
            "prod eu");
  EXPECT_EQ(e.traces_sampler, TracesSampler::kParentBasedTraceIdRatio);
  EXPECT_DOUBLE_EQ(e.traces_sampler_arg.value(), 0.25);
  EXPECT_THAT(*e.propagators, ElementsAre("tracecontext", "baggage"));
  EXPECT_EQ(e.otlp.generic.protocol, otlp::Protocol::kGrpc);
  EXPECT_EQ(e.otlp.logs.timeout, std::chrono::milliseconds(1500));
  EXPECT_FALSE(e.otlp.traces.timeout);
  EXPECT_EQ(e.otlp.span_batch.max_queue_size, 64u);
}

TEST(OtelEnvironmentTest, SamplingRatioIsReadAsARatio) {
  // OTEL_SAMPLING_RATIO is not an OpenTelemetry variable, but deployments set it; the SDK
  // reads it as a parent-based trace-id ratio (docs/sdk.md).
  OtelEnvironment e =
      read_otel_environment(core::map_environment({{"OTEL_SAMPLING_RATIO", "0.1"}}));
  EXPECT_TRUE(e.all_warnings().empty());
  EXPECT_DOUBLE_EQ(e.sampling_ratio.value(), 0.1);
  e = read_otel_environment(core::map_environment({{"OTEL_SAMPLING_RATIO", "ten"}}));
  EXPECT_FALSE(e.sampling_ratio);
  ASSERT_EQ(e.warnings.size(), 1u);
  EXPECT_EQ(e.warnings[0], "OTEL_SAMPLING_RATIO: 'ten' is not a ratio between 0 and 1; ignored");
}

TEST(OtelEnvironmentTest, InvalidValuesAreWarningsNamingTheVariable) {
  OtelEnvironment e = read_otel_environment(core::map_environment({
      {"OTEL_SDK_DISABLED", "maybe"},
      {"OTEL_TRACES_SAMPLER", "xray"},
      {"OTEL_TRACES_SAMPLER_ARG", "1.5"},
      {"OTEL_RESOURCE_ATTRIBUTES", "novalue,a=b"},
      {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "lz4"},
      {"OTEL_BLRP_SCHEDULE_DELAY", "soon"},
  }));
  EXPECT_FALSE(e.sdk_disabled);
  EXPECT_FALSE(e.traces_sampler);
  EXPECT_FALSE(e.traces_sampler_arg);
  ASSERT_TRUE(e.resource_attributes);  // the valid entry is kept
  EXPECT_NE(e.resource_attributes->get("a"), nullptr);
  EXPECT_FALSE(e.otlp.traces.compression);
  const std::vector<std::string> w = e.all_warnings();
  ASSERT_EQ(w.size(), 6u);
  EXPECT_EQ(w[0], "OTEL_SDK_DISABLED: expected true or false, got 'maybe'; ignored");
  EXPECT_THAT(w[1], HasSubstr("OTEL_RESOURCE_ATTRIBUTES: "));
  EXPECT_THAT(w[2], HasSubstr("OTEL_TRACES_SAMPLER: sampler 'xray' is not one of "
                              "parentbased_always_on,"));
  EXPECT_EQ(w[3], "OTEL_TRACES_SAMPLER_ARG: '1.5' is not a ratio between 0 and 1; ignored");
  EXPECT_THAT(w[4], HasSubstr("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: compression 'lz4'"));
  EXPECT_THAT(w[5], HasSubstr("OTEL_BLRP_SCHEDULE_DELAY: expected a non-negative whole number"));
}

}  // namespace
}  // namespace edgetrace::config
