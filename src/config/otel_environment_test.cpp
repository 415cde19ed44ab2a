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

TEST(OtelEnvironmentTest, LimitsAreNonNegativeIntegers) {
  OtelEnvironment e = read_otel_environment(core::map_environment({
      {"OTEL_ATTRIBUTE_COUNT_LIMIT", "64"},
      {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "0"},
      {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", " 32 "},
      {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "4096"},
      {"OTEL_SPAN_EVENT_COUNT_LIMIT", "16"},
      {"OTEL_SPAN_LINK_COUNT_LIMIT", "8"},
      {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "4"},
      {"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", "2"},
      {"OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT", "1"},
      {"OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "100"},
  }));
  EXPECT_TRUE(e.all_warnings().empty());
  const OtelEnvironment::Limits& l = e.limits;
  EXPECT_EQ(l.attribute_count, 64u);
  EXPECT_EQ(l.attribute_value_length, 0u);
  EXPECT_EQ(l.span_attribute_count, 32u);
  EXPECT_EQ(l.span_attribute_value_length, 4096u);
  EXPECT_EQ(l.span_event_count, 16u);
  EXPECT_EQ(l.span_link_count, 8u);
  EXPECT_EQ(l.event_attribute_count, 4u);
  EXPECT_EQ(l.link_attribute_count, 2u);
  EXPECT_EQ(l.logrecord_attribute_count, 1u);
  EXPECT_EQ(l.logrecord_attribute_value_length, 100u);

  OtelEnvironment bad = read_otel_environment(core::map_environment({
      {"OTEL_ATTRIBUTE_COUNT_LIMIT", "-1"},
      {"OTEL_SPAN_EVENT_COUNT_LIMIT", "12abc"},
      {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "1e3"},
  }));
  EXPECT_FALSE(bad.limits.attribute_count);
  EXPECT_FALSE(bad.limits.span_event_count);
  EXPECT_FALSE(bad.limits.attribute_value_length);
  EXPECT_THAT(bad.all_warnings(),
              ElementsAre(HasSubstr("OTEL_ATTRIBUTE_COUNT_LIMIT: '-1' is not a non-negative"),
                          HasSubstr("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '1e3'"),
                          HasSubstr("OTEL_SPAN_EVENT_COUNT_LIMIT: '12abc'")));
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
