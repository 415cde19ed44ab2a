// Processors: resource attributes set on every resource, log records below the minimum
// severity dropped and counted, in place.
#include "pipeline/processors.hpp"

#include <gtest/gtest.h>

namespace edgetrace::daemon {
namespace {

std::string attribute(const opentelemetry::proto::resource::v1::Resource& r, std::string_view key) {
  for (const auto& kv : r.attributes())
    if (kv.key() == key)
      return kv.value().has_string_value() ? kv.value().string_value()
                                           : std::to_string(kv.value().int_value());
  return "<absent>";
}

TEST(ProcessorsTest, ResourceAttributesAreSetOnEveryResourceReplacingTheSameName) {
  ProcessorOptions o;
  o.resource_attributes.set("deployment.environment.name", "prod");
  o.resource_attributes.set("fleet.shard", std::int64_t{7});
  Processors p(o);
  otlp::TraceRequest traces;
  auto* a = traces.add_resource_spans()->mutable_resource();
  auto* kv = a->add_attributes();
  kv->set_key("deployment.environment.name");
  kv->mutable_value()->set_string_value("dev");
  traces.add_resource_spans();
  p.process(traces);
  for (const auto& rs : traces.resource_spans()) {
    EXPECT_EQ(attribute(rs.resource(), "deployment.environment.name"), "prod");
    EXPECT_EQ(attribute(rs.resource(), "fleet.shard"), "7");
  }
  EXPECT_EQ(traces.resource_spans(0).resource().attributes_size(), 2);  // replaced, not added
}

TEST(ProcessorsTest, LogsBelowTheMinimumSeverityAreDroppedAndCounted) {
  ProcessorOptions o;
  o.min_log_severity = 9;  // INFO
  Processors p(o);
  otlp::LogsRequest logs;
  auto* scope = logs.add_resource_logs()->add_scope_logs();
  for (int severity : {5, 9, 0, 1, 13, 8, 17}) {  // DEBUG INFO unset TRACE WARN DEBUG4 ERROR
    auto* r = scope->add_log_records();
    r->set_severity_number(static_cast<opentelemetry::proto::logs::v1::SeverityNumber>(severity));
    r->mutable_body()->set_string_value(std::to_string(severity));
  }
  p.process(logs);
  std::vector<std::string> kept;
  for (const auto& r : scope->log_records())
    kept.push_back(r.body().string_value());
  EXPECT_EQ(kept, (std::vector<std::string>{"9", "0", "13", "17"}));  // order kept
  EXPECT_EQ(p.logs_dropped(), 3u);
  MetricsText m;
  p.write_metrics(m);
  EXPECT_NE(m.text().find("edgetraced_processor_log_records_dropped_total{pipeline=\"device\"} 3"),
            std::string::npos)
      << m.text();
}

TEST(ProcessorsTest, NothingConfiguredChangesNothing) {
  Processors p({});
  otlp::LogsRequest logs;
  logs.add_resource_logs()->add_scope_logs()->add_log_records()->set_severity_number(
      opentelemetry::proto::logs::v1::SEVERITY_NUMBER_TRACE);
  const std::string before = logs.SerializeAsString();
  p.process(logs);
  EXPECT_EQ(logs.SerializeAsString(), before);
  EXPECT_EQ(p.logs_dropped(), 0u);
}

TEST(ProcessorsTest, TheChainRedactsCapsAndReportsWhatItRefused) {
  processors::ProcessorsOptions chain;
  chain.redaction.enabled = true;
  chain.scope_rate.per_second = 0.001;
  chain.scope_rate.burst = 2;
  ProcessorOptions o;
  o.pipeline = "proxy";
  o.chain = processors::Processors::create(chain).value();
  o.resource_attributes.set("region", "eu");
  Processors p(o);
  otlp::LogsRequest logs;
  auto* rl = logs.add_resource_logs();
  auto* scope = rl->add_scope_logs();
  scope->mutable_scope()->set_name("checkout");
  for (int i = 0; i < 3; ++i)
    scope->add_log_records()->mutable_body()->set_string_value("mail jane.doe@example.com");
  const ProcessResult r = p.process(logs);
  EXPECT_EQ(r.rate_capped, 1u);
  ASSERT_EQ(logs.resource_logs(0).scope_logs(0).log_records_size(), 2);
  for (const auto& record : logs.resource_logs(0).scope_logs(0).log_records())
    EXPECT_EQ(record.body().string_value(), "mail [REDACTED]");
  EXPECT_EQ(attribute(logs.resource_logs(0).resource(), "region"), "eu");
  MetricsText m;
  p.write_metrics(m);
  EXPECT_NE(
      m.text().find("edgetraced_processor_items_dropped_total{pipeline=\"proxy\",signal=\"logs\","
                    "reason=\"rate_capped\"} 1"),
      std::string::npos)
      << m.text();
  EXPECT_NE(m.text().find("edgetraced_processor_values_redacted_total{pipeline=\"proxy\"} 2"),
            std::string::npos)
      << m.text();
}

}  // namespace
}  // namespace edgetrace::daemon
