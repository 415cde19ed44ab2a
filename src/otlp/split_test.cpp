#include <gtest/gtest.h>

#include "edgetrace/otlp/exporter.hpp"

namespace edgetrace::otlp {
namespace {

ExportTraceServiceRequest traces(int resources, int scopes, int spans) {
  ExportTraceServiceRequest r;
  int id = 0;
  for (int a = 0; a < resources; ++a) {
    auto* rs = r.add_resource_spans();
    auto* attr = rs->mutable_resource()->add_attributes();
    attr->set_key("service.name");
    attr->mutable_value()->set_string_value("svc" + std::to_string(a));
    for (int b = 0; b < scopes; ++b) {
      auto* ss = rs->add_scope_spans();
      ss->mutable_scope()->set_name("scope" + std::to_string(b));
      for (int c = 0; c < spans; ++c)
        ss->add_spans()->set_name("span" + std::to_string(id++));
    }
  }
  return r;
}

std::vector<std::string> span_names(const ExportTraceServiceRequest& r) {
  std::vector<std::string> out;
  for (const auto& rs : r.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& s : ss.spans()) {
        out.push_back(rs.resource().attributes(0).value().string_value() + "/" + ss.scope().name() +
                      "/" + s.name());
      }
    }
  }
  return out;
}

TEST(SplitTest, TracesSplitInHalvesKeepingResourcesScopesAndOrder) {
  ExportTraceServiceRequest r = traces(2, 2, 3);  // 12 spans
  EXPECT_EQ(count_items(r), 12u);
  auto [a, b] = split_in_halves(r);
  EXPECT_EQ(count_items(a), 6u);
  EXPECT_EQ(count_items(b), 6u);
  std::vector<std::string> joined = span_names(a);
  for (auto& n : span_names(b))
    joined.push_back(n);
  EXPECT_EQ(joined, span_names(r));
  EXPECT_EQ(a.resource_spans_size(), 1);
  EXPECT_EQ(b.resource_spans_size(), 1);
}

TEST(SplitTest, OddCountsAndAScopeCutInTheMiddle) {
  ExportTraceServiceRequest r = traces(1, 1, 5);
  auto [a, b] = split_in_halves(r);
  EXPECT_EQ(count_items(a), 2u);
  EXPECT_EQ(count_items(b), 3u);
  EXPECT_EQ(b.resource_spans(0).scope_spans(0).scope().name(), "scope0");
  EXPECT_EQ(b.resource_spans(0).resource().attributes(0).value().string_value(), "svc0");
}

TEST(SplitTest, LogsSplit) {
  ExportLogsServiceRequest r;
  auto* sl = r.add_resource_logs()->add_scope_logs();
  for (int i = 0; i < 4; ++i)
    sl->add_log_records()->set_severity_number(
        static_cast<opentelemetry::proto::logs::v1::SeverityNumber>(i + 1));
  auto [a, b] = split_in_halves(r);
  EXPECT_EQ(count_items(a), 2u);
  EXPECT_EQ(count_items(b), 2u);
  EXPECT_EQ(b.resource_logs(0).scope_logs(0).log_records(0).severity_number(), 3);
}

TEST(SplitTest, MetricsSplitByDataPointInsideAMetric) {
  ExportMetricsServiceRequest r;
  auto* sm = r.add_resource_metrics()->add_scope_metrics();
  auto* gauge = sm->add_metrics();
  gauge->set_name("temp");
  for (int i = 0; i < 3; ++i)
    gauge->mutable_gauge()->add_data_points()->set_as_int(i);
  auto* sum = sm->add_metrics();
  sum->set_name("requests");
  sum->mutable_sum()->set_is_monotonic(true);
  sum->mutable_sum()->add_data_points()->set_as_int(10);
  auto* hist = sm->add_metrics();
  hist->set_name("latency");
  hist->mutable_histogram()->add_data_points()->set_count(5);
  hist->mutable_histogram()->add_data_points()->set_count(6);
  EXPECT_EQ(count_items(r), 6u);
  auto [a, b] = split_in_halves(r);
  EXPECT_EQ(count_items(a), 3u);
  EXPECT_EQ(count_items(b), 3u);
  ASSERT_EQ(a.resource_metrics(0).scope_metrics(0).metrics_size(), 1);
  EXPECT_EQ(a.resource_metrics(0).scope_metrics(0).metrics(0).gauge().data_points_size(), 3);
  const auto& bm = b.resource_metrics(0).scope_metrics(0);
  ASSERT_EQ(bm.metrics_size(), 2);
  EXPECT_EQ(bm.metrics(0).name(), "requests");
  EXPECT_TRUE(bm.metrics(0).sum().is_monotonic());
  EXPECT_EQ(bm.metrics(1).histogram().data_points(1).count(), 6u);

  // A cut inside one metric keeps its metadata on both sides.
  ExportMetricsServiceRequest one;
  auto* m = one.add_resource_metrics()->add_scope_metrics()->add_metrics();
  m->set_name("temp");
  m->set_unit("Cel");
  for (int i = 0; i < 4; ++i)
    m->mutable_gauge()->add_data_points()->set_as_int(i);
  auto [c, d] = split_in_halves(one);
  EXPECT_EQ(c.resource_metrics(0).scope_metrics(0).metrics(0).unit(), "Cel");
  EXPECT_EQ(d.resource_metrics(0).scope_metrics(0).metrics(0).unit(), "Cel");
  EXPECT_EQ(d.resource_metrics(0).scope_metrics(0).metrics(0).gauge().data_points(0).as_int(), 2);
}

}  // namespace
}  // namespace edgetrace::otlp
