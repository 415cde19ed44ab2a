// Round trips of every Export message through both encodings, and protobuf decoding errors.
#include "edgetrace/otlp/codec.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "codec_test_data.hpp"

namespace edgetrace::otlp {
namespace {

using core::StatusCode;

// Protobuf -> JSON -> protobuf must give back the same bytes (serialization of these
// messages is deterministic: no maps), and JSON -> protobuf -> JSON the same text.
template <typename M>
void expect_round_trip(const M& original) {
  const std::string wire = encode_protobuf(original);
  core::Result<M> from_wire = decode_protobuf<M>(wire);
  ASSERT_TRUE(from_wire.ok()) << from_wire.status().to_string();

  const std::string json = encode_json(from_wire.value());
  core::Result<M> from_json = decode_json<M>(json);
  ASSERT_TRUE(from_json.ok()) << from_json.status().to_string() << "\n" << json;

  EXPECT_EQ(from_json->DebugString(), original.DebugString()) << json;
  EXPECT_EQ(encode_protobuf(from_json.value()), wire);
  EXPECT_EQ(encode_json(from_json.value()), json);
}

TEST(CodecRoundTripTest, TraceRequestWithEveryValueKindEventLinkAndStatus) {
  TraceRequest request = testdata::full_trace_request();
  ASSERT_GT(request.resource_spans(0).scope_spans(0).spans(0).attributes_size(), 20);
  expect_round_trip(request);
}

TEST(CodecRoundTripTest, LogsRequestWithABodyOfEveryKind) {
  expect_round_trip(testdata::full_logs_request());
}

TEST(CodecRoundTripTest, MetricsRequestWithEveryDataKindAndExemplars) {
  MetricsRequest request = testdata::full_metrics_request();
  const auto& metrics = request.resource_metrics(0).scope_metrics(0).metrics();
  ASSERT_TRUE(metrics[0].has_gauge() && metrics[1].has_sum() && metrics[2].has_histogram() &&
              metrics[3].has_exponential_histogram() && metrics[4].has_summary());
  expect_round_trip(request);
}

TEST(CodecRoundTripTest, ResponsesWithPartialSuccess) {
  expect_round_trip(testdata::trace_response());
  expect_round_trip(testdata::logs_response());
  expect_round_trip(testdata::metrics_response());
}

TEST(CodecRoundTripTest, EmptyMessages) {
  expect_round_trip(TraceRequest());
  expect_round_trip(LogsRequest());
  expect_round_trip(MetricsRequest());
  expect_round_trip(TraceResponse());
  expect_round_trip(LogsResponse());
  expect_round_trip(MetricsResponse());
  EXPECT_EQ(encode_json(TraceResponse()), "{}");
  EXPECT_EQ(encode_protobuf(TraceResponse()), "");
}

TEST(CodecRoundTripTest, EncodingSelectsTheFormatAndContentType) {
  const TraceRequest request = testdata::full_trace_request();
  for (Encoding encoding : {Encoding::kProtobuf, Encoding::kJson}) {
    std::string body = "prefix";
    encode(request, encoding, body);
    core::Result<TraceRequest> back = decode<TraceRequest>(body.substr(6), encoding);
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(encode_protobuf(back.value()), encode_protobuf(request));
  }
  EXPECT_EQ(content_type(Encoding::kProtobuf), "application/x-protobuf");
  EXPECT_EQ(content_type(Encoding::kJson), "application/json");
}

TEST(CodecRoundTripTest, RequestAndDataMessagesShareTheirWireForm) {
  // TracesData is how OTLP files store traces; it reads the request's bytes as is.
  const TraceRequest request = testdata::full_trace_request();
  opentelemetry::proto::trace::v1::TracesData data;
  ASSERT_TRUE(decode_protobuf_message(encode_protobuf(request), data).ok());
  std::string json;
  encode_json_message(data, json);
  EXPECT_EQ(json, encode_json(request));
}

// ---- protobuf decoding errors ----------------------------------------------------------

TEST(ProtobufDecodeTest, TruncatedInputNamesTheFieldAndOffset) {
  const std::string wire = encode_protobuf(testdata::full_trace_request());
  core::Result<TraceRequest> r = decode_protobuf<TraceRequest>(wire.substr(0, wire.size() / 2));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("protobuf: ExportTraceServiceRequest: resource_spans[0]"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("exceeds the"), std::string::npos) << r.status().message();
}

TEST(ProtobufDecodeTest, InvalidUtf8InAStringFieldIsRejectedWithItsPathAndNotLogged) {
  TraceRequest request;
  request.add_resource_spans()->add_scope_spans()->add_spans()->set_name("ok");
  std::string wire = encode_protobuf(request);
  // The name is the last two bytes; make the first one a lone continuation byte.
  wire[wire.size() - 2] = static_cast<char>(0x80);
  testing::internal::CaptureStderr();
  core::Result<TraceRequest> r = decode_protobuf<TraceRequest>(wire);
  // The error is reported once, in the Status: nothing is printed.
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "protobuf: ExportTraceServiceRequest: resource_spans[0].scope_spans[0].spans[0].name "
            "(byte offset " +
                std::to_string(wire.size() - 2) + "): invalid UTF-8 in a string field");
}

TEST(ProtobufDecodeTest, MalformedTagsAndWireTypesAreNamed) {
  // Field 0.
  core::Result<LogsRequest> r = decode_protobuf<LogsRequest>(std::string("\x00\x01", 2));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "protobuf: ExportLogsServiceRequest: top level (byte offset 0): field number 0 is "
            "invalid");
  // Wire type 7 in field 1.
  r = decode_protobuf<LogsRequest>(std::string("\x0f", 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "protobuf: ExportLogsServiceRequest: resource_logs[0] (byte offset 0): invalid wire "
            "type 7");
  // A varint that never ends.
  r = decode_protobuf<LogsRequest>(std::string("\x08\xff\xff", 3));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("truncated or malformed varint"), std::string::npos);
}

TEST(ProtobufDecodeTest, UnknownFieldsAreSkipped) {
  // Field 99 (varint) and field 100 (bytes) before a real resource_spans entry.
  std::string wire = "\x98\x06\x05\xa2\x06\x02hi";
  wire += encode_protobuf(testdata::full_trace_request());
  core::Result<TraceRequest> r = decode_protobuf<TraceRequest>(wire);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->resource_spans_size(), 2);
}

TEST(ProtobufDecodeTest, SizeLimitIsEnforcedBeforeParsing) {
  const std::string wire = encode_protobuf(testdata::full_trace_request());
  DecodeLimits limits;
  limits.max_message_bytes = wire.size() - 1;
  core::Result<TraceRequest> r = decode_protobuf<TraceRequest>(wire, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("exceeds the limit of " + std::to_string(wire.size() - 1)),
            std::string::npos);
  limits.max_message_bytes = wire.size();
  EXPECT_TRUE(decode_protobuf<TraceRequest>(wire, limits).ok());
}

// A log body nested `levels` arrays deep.
LogsRequest deeply_nested_body(int levels) {
  LogsRequest request;
  auto* value = request.add_resource_logs()->add_scope_logs()->add_log_records()->mutable_body();
  for (int i = 0; i < levels; ++i)
    value = value->mutable_array_value()->add_values();
  value->set_string_value("bottom");
  return request;
}

TEST(ProtobufDecodeTest, NestingDepthIsCapped) {
  // request(1) resource_logs(2) scope_logs(3) log_records(4) body(5), then 2 per level.
  DecodeLimits limits;
  limits.max_depth = 25;
  const std::string fits = encode_protobuf(deeply_nested_body(10));  // depth 25
  EXPECT_TRUE(decode_protobuf<LogsRequest>(fits, limits).ok());
  const std::string too_deep = encode_protobuf(deeply_nested_body(11));  // depth 27
  core::Result<LogsRequest> r = decode_protobuf<LogsRequest>(too_deep, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("nested deeper than the limit of 25"), std::string::npos)
      << r.status().message();
}

TEST(ProtobufDecodeTest, JsonAndProtobufDepthLimitsAgree) {
  DecodeLimits limits;
  limits.max_depth = 25;
  EXPECT_TRUE(decode_json<LogsRequest>(encode_json(deeply_nested_body(10)), limits).ok());
  core::Result<LogsRequest> r =
      decode_json<LogsRequest>(encode_json(deeply_nested_body(11)), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
}

TEST(ProtobufDecodeTest, UnlimitedLimitsAreClampedNotOverflowed) {
  constexpr std::size_t kMax = std::numeric_limits<std::size_t>::max();
  const DecodeLimits unlimited{kMax, kMax, kMax, kMax};
  const TraceRequest request = testdata::full_trace_request();
  core::Result<TraceRequest> from_wire =
      decode_protobuf<TraceRequest>(encode_protobuf(request), unlimited);
  ASSERT_TRUE(from_wire.ok()) << from_wire.status().to_string();
  core::Result<TraceRequest> from_json = decode_json<TraceRequest>(encode_json(request), unlimited);
  ASSERT_TRUE(from_json.ok()) << from_json.status().to_string();
  EXPECT_EQ(encode_protobuf(from_json.value()), encode_protobuf(request));
}

TEST(ProtobufDecodeTest, DecodingIntoAReusedMessageReplacesIt) {
  TraceRequest target = testdata::full_trace_request();
  TraceRequest small;
  small.add_resource_spans();
  ASSERT_TRUE(decode_protobuf(encode_protobuf(small), target).ok());
  EXPECT_EQ(target.resource_spans_size(), 1);
}

}  // namespace
}  // namespace edgetrace::otlp
