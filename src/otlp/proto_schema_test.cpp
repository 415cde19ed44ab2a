// The generated OTLP schema matches the protocol: packages, field numbers, wire types, and
// the gRPC service names that clients address.
#include <gtest/gtest.h>

#include <string>

#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;

// Field number and type of `message.field` in the generated pool, or -1 when absent.
int number_of(const std::string& message, const std::string& field,
              FieldDescriptor::Type* type = nullptr) {
  // Referencing the request types links their generated files (and their imports) into
  // this binary, which registers them with the generated pool.
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse::descriptor();
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceResponse::descriptor();
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceResponse::descriptor();
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest::descriptor();
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest::descriptor();
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest::descriptor();
  const Descriptor* d = DescriptorPool::generated_pool()->FindMessageTypeByName(message);
  if (d == nullptr)
    return -1;
  const FieldDescriptor* f = d->FindFieldByName(field);
  if (f == nullptr)
    return -1;
  if (type != nullptr)
    *type = f->type();
  return f->number();
}

TEST(ProtoSchemaTest, TraceFieldsHaveProtocolNumbersAndTypes) {
  const std::string span = "opentelemetry.proto.trace.v1.Span";
  FieldDescriptor::Type t{};
  EXPECT_EQ(number_of(span, "trace_id", &t), 1);
  EXPECT_EQ(t, FieldDescriptor::TYPE_BYTES);
  EXPECT_EQ(number_of(span, "parent_span_id"), 4);
  EXPECT_EQ(number_of(span, "flags", &t), 16);
  EXPECT_EQ(t, FieldDescriptor::TYPE_FIXED32);
  EXPECT_EQ(number_of(span, "start_time_unix_nano", &t), 7);
  EXPECT_EQ(t, FieldDescriptor::TYPE_FIXED64);
  EXPECT_EQ(number_of(span, "status"), 15);
  EXPECT_EQ(number_of(span + ".Link", "flags"), 6);
  EXPECT_EQ(number_of(span + ".Event", "dropped_attributes_count"), 4);
  EXPECT_EQ(number_of("opentelemetry.proto.trace.v1.Status", "code"), 3);
  EXPECT_EQ(number_of("opentelemetry.proto.trace.v1.ResourceSpans", "schema_url"), 3);
}

TEST(ProtoSchemaTest, CommonAndLogsFieldsHaveProtocolNumbers) {
  const std::string any = "opentelemetry.proto.common.v1.AnyValue";
  EXPECT_EQ(number_of(any, "string_value"), 1);
  EXPECT_EQ(number_of(any, "kvlist_value"), 6);
  EXPECT_EQ(number_of(any, "bytes_value"), 7);
  EXPECT_EQ(number_of("opentelemetry.proto.resource.v1.Resource", "entity_refs"), 3);
  const std::string log = "opentelemetry.proto.logs.v1.LogRecord";
  EXPECT_EQ(number_of(log, "observed_time_unix_nano"), 11);
  EXPECT_EQ(number_of(log, "body"), 5);
  EXPECT_EQ(number_of(log, "span_id"), 10);
  EXPECT_EQ(number_of(log, "event_name"), 12);
}

TEST(ProtoSchemaTest, MetricFieldsHaveProtocolNumbersAndTypes) {
  const std::string ns = "opentelemetry.proto.metrics.v1.";
  FieldDescriptor::Type t{};
  EXPECT_EQ(number_of(ns + "Metric", "exponential_histogram"), 10);
  EXPECT_EQ(number_of(ns + "Metric", "metadata"), 12);
  EXPECT_EQ(number_of(ns + "NumberDataPoint", "as_int", &t), 6);
  EXPECT_EQ(t, FieldDescriptor::TYPE_SFIXED64);
  EXPECT_EQ(number_of(ns + "HistogramDataPoint", "min"), 11);
  EXPECT_EQ(number_of(ns + "ExponentialHistogramDataPoint", "scale", &t), 6);
  EXPECT_EQ(t, FieldDescriptor::TYPE_SINT32);
  EXPECT_EQ(number_of(ns + "ExponentialHistogramDataPoint", "zero_threshold"), 14);
  EXPECT_EQ(number_of(ns + "ExponentialHistogramDataPoint.Buckets", "bucket_counts", &t), 2);
  EXPECT_EQ(t, FieldDescriptor::TYPE_UINT64);
  EXPECT_EQ(number_of(ns + "SummaryDataPoint.ValueAtQuantile", "value"), 2);
  EXPECT_EQ(number_of(ns + "Exemplar", "filtered_attributes"), 7);
}

TEST(ProtoSchemaTest, ExportServicesHaveProtocolMethodNames) {
  using opentelemetry::proto::collector::logs::v1::LogsService;
  using opentelemetry::proto::collector::metrics::v1::MetricsService;
  using opentelemetry::proto::collector::trace::v1::TraceService;
  EXPECT_STREQ(TraceService::service_full_name(),
               "opentelemetry.proto.collector.trace.v1.TraceService");
  EXPECT_STREQ(LogsService::service_full_name(),
               "opentelemetry.proto.collector.logs.v1.LogsService");
  EXPECT_STREQ(MetricsService::service_full_name(),
               "opentelemetry.proto.collector.metrics.v1.MetricsService");
  const std::string ns = "opentelemetry.proto.collector.";
  EXPECT_EQ(number_of(ns + "trace.v1.ExportTracePartialSuccess", "rejected_spans"), 1);
  EXPECT_EQ(number_of(ns + "logs.v1.ExportLogsPartialSuccess", "rejected_log_records"), 1);
  EXPECT_EQ(number_of(ns + "metrics.v1.ExportMetricsPartialSuccess", "error_message"), 2);
}

TEST(ProtoSchemaTest, GeneratedMessagesRoundTripThroughTheWire) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
  auto* span = request.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_name("GET /");
  span->set_flags(0x301);
  std::string wire;
  ASSERT_TRUE(request.SerializeToString(&wire));
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.resource_spans(0).scope_spans(0).spans(0).name(), "GET /");
  EXPECT_EQ(back.resource_spans(0).scope_spans(0).spans(0).flags(), 0x301u);
}

}  // namespace
