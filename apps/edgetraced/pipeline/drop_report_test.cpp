// Drop report: counts become one cumulative monotonic Sum per metric name, one data point per
// (reason, pipeline), zero counts left out.
#include "pipeline/drop_report.hpp"

#include <gtest/gtest.h>

#include "pipeline/processors.hpp"

namespace edgetrace::daemon {
namespace {

using opentelemetry::proto::metrics::v1::Metric;
using opentelemetry::proto::metrics::v1::NumberDataPoint;

std::string attribute(const NumberDataPoint& p, std::string_view key) {
  for (const auto& kv : p.attributes())
    if (kv.key() == key)
      return kv.value().string_value();
  return "<absent>";
}

const Metric* find_metric(const otlp::MetricsRequest& r, std::string_view name) {
  for (const auto& rm : r.resource_metrics())
    for (const auto& sm : rm.scope_metrics())
      for (const auto& m : sm.metrics())
        if (m.name() == name)
          return &m;
  return nullptr;
}

TEST(DropReportTest, OneCumulativeSumPerNameWithAPointPerReasonAndPipeline) {
  DropCounts counts;
  counts.push_back({"edgetraced.logs.dropped", "sampled", "proxy", 120});
  counts.push_back({"edgetraced.logs.dropped", "below_min_severity", "otlp", 3});
  counts.push_back({"edgetraced.spans.dropped", "rate_capped", "device", 0});  // left out
  counts.push_back({"edgetraced.queue.records.dropped", "oldest", "", 2});
  core::Attributes resource;
  resource.set("service.name", "edgetraced");
  const otlp::MetricsRequest r = drop_report(counts, resource, 1000, 5000);

  ASSERT_EQ(r.resource_metrics_size(), 1);
  const auto& rm = r.resource_metrics(0);
  ASSERT_EQ(rm.resource().attributes_size(), 1);
  EXPECT_EQ(rm.resource().attributes(0).value().string_value(), "edgetraced");
  EXPECT_EQ(rm.scope_metrics(0).scope().name(), "edgetraced");
  EXPECT_EQ(rm.scope_metrics(0).metrics_size(), 2);
  EXPECT_EQ(find_metric(r, "edgetraced.spans.dropped"), nullptr);

  const Metric* logs = find_metric(r, "edgetraced.logs.dropped");
  ASSERT_NE(logs, nullptr);
  EXPECT_EQ(logs->unit(), "{item}");
  ASSERT_TRUE(logs->has_sum());
  EXPECT_TRUE(logs->sum().is_monotonic());
  EXPECT_EQ(logs->sum().aggregation_temporality(),
            opentelemetry::proto::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE);
  ASSERT_EQ(logs->sum().data_points_size(), 2);
  const NumberDataPoint& sampled = logs->sum().data_points(0);
  EXPECT_EQ(sampled.as_int(), 120);
  EXPECT_EQ(sampled.start_time_unix_nano(), 1000u);
  EXPECT_EQ(sampled.time_unix_nano(), 5000u);
  EXPECT_EQ(attribute(sampled, "reason"), "sampled");
  EXPECT_EQ(attribute(sampled, "pipeline"), "proxy");
  EXPECT_EQ(attribute(logs->sum().data_points(1), "reason"), "below_min_severity");
  EXPECT_EQ(attribute(logs->sum().data_points(1), "pipeline"), "otlp");

  const Metric* queue = find_metric(r, "edgetraced.queue.records.dropped");
  ASSERT_NE(queue, nullptr);
  EXPECT_EQ(queue->unit(), "{record}");
  ASSERT_EQ(queue->sum().data_points_size(), 1);
  EXPECT_EQ(attribute(queue->sum().data_points(0), "pipeline"), "<absent>");
  EXPECT_EQ(queue->sum().data_points(0).as_int(), 2);
}

TEST(DropReportTest, NothingDroppedMakesAnEmptyRequest) {
  DropCounts counts;
  counts.push_back({"edgetraced.logs.dropped", "sampled", "proxy", 0});
  EXPECT_EQ(drop_report(counts, {}, 0, 1).resource_metrics_size(), 0);
  EXPECT_EQ(drop_report({}, {}, 0, 1).resource_metrics_size(), 0);
}

TEST(DropReportTest, ProcessorsReportWhatTheyDroppedUnderTheirPipeline) {
  ProcessorOptions o;
  o.min_log_severity = 13;  // WARN
  o.pipeline = "otlp";
  Processors p(o);
  otlp::LogsRequest logs;
  auto* scope = logs.add_resource_logs()->add_scope_logs();
  for (int severity : {5, 9, 13, 17})
    scope->add_log_records()->set_severity_number(
        static_cast<opentelemetry::proto::logs::v1::SeverityNumber>(severity));
  (void)p.process(logs);
  DropCounts counts;
  p.drop_counts(counts);
  std::uint64_t below = 0;
  for (const DropCount& c : counts)
    if (c.metric == "edgetraced.logs.dropped" && c.reason == "below_min_severity") {
      EXPECT_EQ(c.pipeline, "otlp");
      below += c.count;
    }
  EXPECT_EQ(below, 2u);
}

}  // namespace
}  // namespace edgetrace::daemon
