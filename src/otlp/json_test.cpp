// OTLP/JSON rules: golden documents, the specification's input leniencies, and precise
// errors for malformed input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "codec_test_data.hpp"
#include "edgetrace/core/json.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "internal/json_text.hpp"

namespace edgetrace::otlp {
namespace {

using core::StatusCode;
namespace trace = opentelemetry::proto::trace::v1;

// Shaped like the example request of the OTLP specification's repository: one resource,
// one scope, one span with an attribute, written the way a browser SDK sends it.
constexpr std::string_view kSpecStyleTraces = R"({
  "resourceSpans": [
    {
      "resource": {
        "attributes": [
          { "key": "service.name", "value": { "stringValue": "my.service" } }
        ]
      },
      "scopeSpans": [
        {
          "scope": {
            "name": "my.library",
            "version": "1.0.0",
            "attributes": [
              { "key": "my.scope.attribute", "value": { "stringValue": "some scope attribute" } }
            ]
          },
          "spans": [
            {
              "traceId": "5B8EFFF798038103D269B633813FC60C",
              "spanId": "EEE19B7EC3C1B174",
              "parentSpanId": "EEE19B7EC3C1B173",
              "name": "I'm a server span",
              "startTimeUnixNano": "1544712660000000000",
              "endTimeUnixNano": "1544712661000000000",
              "kind": 2,
              "attributes": [
                { "key": "my.span.attr", "value": { "stringValue": "some value" } }
              ]
            }
          ]
        }
      ]
    }
  ]
})";

TEST(JsonGoldenTest, DecodesASpecificationStyleTraceRequest) {
  core::Result<TraceRequest> r = decode_json<TraceRequest>(kSpecStyleTraces);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const trace::ResourceSpans& rs = r->resource_spans(0);
  EXPECT_EQ(rs.resource().attributes(0).value().string_value(), "my.service");
  EXPECT_EQ(rs.scope_spans(0).scope().version(), "1.0.0");
  const trace::Span& span = rs.scope_spans(0).spans(0);
  EXPECT_EQ(span.trace_id(), testdata::trace_id_bytes());  // uppercase hex accepted
  EXPECT_EQ(span.span_id(), testdata::span_id_bytes());
  EXPECT_EQ(span.parent_span_id(), testdata::parent_id_bytes());
  EXPECT_EQ(span.name(), "I'm a server span");
  EXPECT_EQ(span.start_time_unix_nano(), 1544712660000000000ULL);
  EXPECT_EQ(span.end_time_unix_nano(), 1544712661000000000ULL);
  EXPECT_EQ(span.kind(), trace::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(span.attributes(0).key(), "my.span.attr");
}

TEST(JsonGoldenTest, EncodesTheSameRequestCompactlyWithLowercaseIds) {
  core::Result<TraceRequest> r = decode_json<TraceRequest>(kSpecStyleTraces);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(encode_json(r.value()),
            R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":)"
            R"({"stringValue":"my.service"}}]},"scopeSpans":[{"scope":{"name":"my.library",)"
            R"("version":"1.0.0","attributes":[{"key":"my.scope.attribute","value":)"
            R"({"stringValue":"some scope attribute"}}]},"spans":[{"traceId":)"
            R"("5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",)"
            R"("parentSpanId":"eee19b7ec3c1b173","name":"I'm a server span","kind":2,)"
            R"("startTimeUnixNano":"1544712660000000000","endTimeUnixNano":)"
            R"("1544712661000000000","attributes":[{"key":"my.span.attr","value":)"
            R"({"stringValue":"some value"}}]}]}]}]})");
}

TEST(JsonGoldenTest, LogRecordAndMetricPointGolden) {
  LogsRequest logs;
  auto* record = logs.add_resource_logs()->add_scope_logs()->add_log_records();
  record->set_time_unix_nano(1544712660300000000ULL);
  record->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_INFO);
  record->set_severity_text("Information");
  record->mutable_body()->set_string_value("Example log record");
  record->set_trace_id(testdata::trace_id_bytes());
  record->set_span_id(testdata::span_id_bytes());
  EXPECT_EQ(encode_json(logs),
            R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":)"
            R"("1544712660300000000","severityNumber":9,"severityText":"Information",)"
            R"("body":{"stringValue":"Example log record"},"traceId":)"
            R"("5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"}]}]}]})");

  MetricsRequest metrics;
  auto* metric = metrics.add_resource_metrics()->add_scope_metrics()->add_metrics();
  metric->set_name("my.counter");
  metric->set_unit("1");
  auto* sum = metric->mutable_sum();
  sum->set_aggregation_temporality(
      opentelemetry::proto::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE);
  sum->set_is_monotonic(true);
  auto* point = sum->add_data_points();
  point->set_as_double(5);
  point->set_start_time_unix_nano(1544712660300000000ULL);
  point->set_time_unix_nano(1544712660300000000ULL);
  EXPECT_EQ(encode_json(metrics),
            R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"my.counter","unit":"1",)"
            R"("sum":{"dataPoints":[{"startTimeUnixNano":"1544712660300000000",)"
            R"("timeUnixNano":"1544712660300000000","asDouble":5}],)"
            R"("aggregationTemporality":2,"isMonotonic":true}}]}]}]})");
}

TEST(JsonGoldenTest, DefaultValuesAreOmittedButSetOneofAndOptionalFieldsAreWritten) {
  TraceRequest request;
  trace::Span* span = request.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_name("");                     // default: omitted
  span->set_dropped_attributes_count(0);  // default: omitted
  auto* kv = span->add_attributes();
  kv->set_key("zero");
  kv->mutable_value()->set_int_value(0);  // oneof member: written even though zero
  EXPECT_EQ(encode_json(request),
            R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"zero",)"
            R"("value":{"intValue":"0"}}]}]}]}]})");

  MetricsRequest metrics;
  auto* point = metrics.add_resource_metrics()
                    ->add_scope_metrics()
                    ->add_metrics()
                    ->mutable_histogram()
                    ->add_data_points();
  point->set_sum(0);  // optional: present
  EXPECT_EQ(encode_json(metrics),
            R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":)"
            R"([{"sum":0}]}}]}]}]})");
}

TEST(JsonGoldenTest, DoublesThatLookLikeIntegersKeepTheirValue) {
  // 64563604257983430656 would read back as an integer beyond 64 bits.
  TraceRequest request;
  auto* kv = request.add_resource_spans()->add_scope_spans()->add_spans()->add_attributes();
  kv->mutable_value()->set_double_value(64563604257983430656.0);
  const std::string json = encode_json(request);
  EXPECT_NE(json.find(R"("doubleValue":6.456360425798343e+19)"), std::string::npos) << json;
  core::Result<TraceRequest> back = decode_json<TraceRequest>(json);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->resource_spans(0).scope_spans(0).spans(0).attributes(0).value().double_value(),
            64563604257983430656.0);
  kv->mutable_value()->set_double_value(-0.0);  // "-0" would read back as integer 0
  const std::string negative_zero = encode_json(request);
  EXPECT_NE(negative_zero.find(R"("doubleValue":-0.0})"), std::string::npos) << negative_zero;
  back = decode_json<TraceRequest>(negative_zero);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(std::signbit(
      back->resource_spans(0).scope_spans(0).spans(0).attributes(0).value().double_value()));
  kv->mutable_value()->set_double_value(-123456789012345.0);
  EXPECT_NE(encode_json(request).find(R"("doubleValue":-123456789012345})"), std::string::npos);
}

TEST(JsonGoldenTest, AttributeShortcutWritesWhatReflectionWrites) {
  auto by_reflection = [](const google::protobuf::Message& m) {
    std::string out;
    internal::encode_json_by_reflection(m, out);
    return out;
  };
  const TraceRequest traces = testdata::full_trace_request();
  const LogsRequest logs = testdata::full_logs_request();
  const MetricsRequest metrics = testdata::full_metrics_request();
  EXPECT_EQ(encode_json(traces), by_reflection(traces));
  EXPECT_EQ(encode_json(logs), by_reflection(logs));
  EXPECT_EQ(encode_json(metrics), by_reflection(metrics));
  opentelemetry::proto::common::v1::KeyValue no_key;  // neither key nor value
  std::string out;
  encode_json_message(no_key, out);
  EXPECT_EQ(out, "{}");
  EXPECT_EQ(out, by_reflection(no_key));
}

// Byte-at-a-time reference for the escaping of ASCII strings.
std::string reference_escape(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

TEST(JsonGoldenTest, EscapingFindsSpecialBytesAtEveryPositionOfAWord) {
  for (char special : {'"', '\\', '\n', '\x01', '\x1f', ' ', '~', '\x7f'}) {
    for (std::size_t length = 1; length <= 24; ++length) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string text(length, 'a');
        text[at] = special;
        std::string out;
        core::append_json_string(out, text, core::JsonEscape::kShortForms);
        ASSERT_EQ(out, reference_escape(text)) << int(special) << " at " << at << "/" << length;
      }
    }
  }
  std::string out;
  core::append_json_string(out, "abcdefgh\xC3\xA9ijklmnop\xff", core::JsonEscape::kShortForms);
  EXPECT_EQ(out, "\"abcdefgh\xC3\xA9ijklmnop\xEF\xBF\xBD\"");
}

TEST(JsonGoldenTest, StringsAreEscapedAndInvalidUtf8IsReplaced) {
  TraceResponse response;
  response.mutable_partial_success()->set_error_message(
      std::string("a\"b\\c\n\x1f\x7f\xff\xc3\xa9z"));
  EXPECT_EQ(
      encode_json(response),
      "{\"partialSuccess\":{\"errorMessage\":\"a\\\"b\\\\c\\n\\u001f\x7f\xEF\xBF\xBD\xC3\xA9z\"}}");
}

// ---- input leniencies the specification requires --------------------------------------

TEST(JsonInputTest, SixtyFourBitIntegersAreAcceptedAsStringsOrNumbers) {
  core::Result<TraceRequest> r = decode_json<TraceRequest>(
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[)"
      R"({"startTimeUnixNano":"18446744073709551615","endTimeUnixNano":1544712661000000000,)"
      R"("attributes":[{"key":"a","value":{"intValue":"-42"}},{"key":"b","value":{"intValue":-42}},)"
      R"({"key":"c","value":{"intValue":9223372036854775807}},{"key":"d","value":{"intValue":1e3}}]}]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const trace::Span& span = r->resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.start_time_unix_nano(), 18446744073709551615ULL);
  EXPECT_EQ(span.end_time_unix_nano(), 1544712661000000000ULL);
  EXPECT_EQ(span.attributes(0).value().int_value(), -42);
  EXPECT_EQ(span.attributes(1).value().int_value(), -42);
  EXPECT_EQ(span.attributes(2).value().int_value(), 9223372036854775807LL);
  EXPECT_EQ(span.attributes(3).value().int_value(), 1000);
}

TEST(JsonInputTest, ThirtyTwoBitIntegersAndDoublesAcceptStringsToo) {
  core::Result<TraceRequest> r = decode_json<TraceRequest>(
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"droppedAttributesCount":"7","flags":"769",)"
      R"("kind":"3","attributes":[{"key":"x","value":{"doubleValue":"2.5e1"}},)"
      R"({"key":"n","value":{"doubleValue":"NaN"}},{"key":"i","value":{"doubleValue":"-Infinity"}},)"
      R"({"key":"w","value":{"doubleValue":4}}]}]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const trace::Span& span = r->resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.dropped_attributes_count(), 7u);
  EXPECT_EQ(span.flags(), 769u);
  EXPECT_EQ(span.kind(), trace::Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(span.attributes(0).value().double_value(), 25.0);
  EXPECT_TRUE(std::isnan(span.attributes(1).value().double_value()));
  EXPECT_EQ(span.attributes(2).value().double_value(), -HUGE_VAL);
  EXPECT_EQ(span.attributes(3).value().double_value(), 4.0);
}

TEST(JsonInputTest, EnumNamesAreAcceptedAsWellAsIntegers) {
  core::Result<TraceRequest> r = decode_json<TraceRequest>(
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_PRODUCER",)"
      R"("status":{"code":"STATUS_CODE_OK"}},{"kind":4,"status":{"code":99}}]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const auto& spans = r->resource_spans(0).scope_spans(0).spans();
  EXPECT_EQ(spans[0].kind(), trace::Span::SPAN_KIND_PRODUCER);
  EXPECT_EQ(spans[0].status().code(), trace::Status::STATUS_CODE_OK);
  EXPECT_EQ(spans[1].kind(), trace::Span::SPAN_KIND_PRODUCER);
  EXPECT_EQ(static_cast<int>(spans[1].status().code()), 99);  // open enum: kept as is
  EXPECT_NE(encode_json(r.value()).find(R"("code":99)"), std::string::npos);
}

TEST(JsonInputTest, UppercaseAndMixedCaseHexIdsAreAccepted) {
  core::Result<LogsRequest> r = decode_json<LogsRequest>(
      R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"5b8EFFf798038103D269b633813fc60C",)"
      R"("spanId":"EEE19b7ec3c1B174"},{"traceId":"","spanId":""}]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const auto& records = r->resource_logs(0).scope_logs(0).log_records();
  EXPECT_EQ(records[0].trace_id(), testdata::trace_id_bytes());
  EXPECT_EQ(records[0].span_id(), testdata::span_id_bytes());
  EXPECT_TRUE(records[1].trace_id().empty());  // "" is an id that is not set
}

TEST(JsonInputTest, UnknownFieldsAreIgnoredAtEveryLevel) {
  core::Result<TraceRequest> r = decode_json<TraceRequest>(
      R"({"future":{"a":[1,{"b":null}]},"resourceSpans":[{"x":1,"scopeSpans":[{"spans":[)"
      R"({"name":"kept","trace_id":"not checked: snake_case keys are not OTLP/JSON",)"
      R"("newField":[true,false],"attributes":[{"key":"k","value":{"stringValue":"v",)"
      R"("futureValue":{"deep":{}}},"extra":"y"}]}]}]}],"trailer":"z"})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const trace::Span& span = r->resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(span.name(), "kept");
  EXPECT_TRUE(span.trace_id().empty());
  EXPECT_EQ(span.attributes(0).value().string_value(), "v");
}

TEST(JsonInputTest, NullMeansNotSet) {
  core::Result<TraceRequest> r = decode_json<TraceRequest>(
      R"({"resourceSpans":[{"resource":null,"scopeSpans":[{"spans":[{"name":null,"events":null,)"
      R"("status":null,"kind":null}]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const auto& rs = r->resource_spans(0);
  EXPECT_FALSE(rs.has_resource());
  EXPECT_FALSE(rs.scope_spans(0).spans(0).has_status());
}

TEST(JsonInputTest, BytesAcceptStandardAndUrlSafeBase64WithOrWithoutPadding) {
  for (std::string_view b64 : {"AP8QgH8=", "AP8QgH8", "AP8QgH8="}) {
    std::string json = R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"b",)"
                       R"("value":{"bytesValue":")" +
                       std::string(b64) + R"("}}]}]}]}]})";
    core::Result<TraceRequest> r = decode_json<TraceRequest>(json);
    ASSERT_TRUE(r.ok()) << b64 << ": " << r.status().to_string();
    EXPECT_EQ(r->resource_spans(0).scope_spans(0).spans(0).attributes(0).value().bytes_value(),
              testdata::bytes_of({0x00, 0xff, 0x10, 0x80, 0x7f}));
  }
  core::Result<TraceRequest> r = decode_json<TraceRequest>(
      R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"b","value":)"
      R"({"bytesValue":"-_8"}}]}]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->resource_spans(0).scope_spans(0).spans(0).attributes(0).value().bytes_value(),
            testdata::bytes_of({0xfb, 0xff}));
}

TEST(JsonInputTest, ResponsesDecodePartialSuccess) {
  core::Result<MetricsResponse> r = decode_json<MetricsResponse>(
      R"({"partialSuccess":{"rejectedDataPoints":12,"errorMessage":"bad unit"}})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->partial_success().rejected_data_points(), 12);
  EXPECT_EQ(r->partial_success().error_message(), "bad unit");
  core::Result<TraceResponse> empty = decode_json<TraceResponse>("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_partial_success());
}

// ---- malformed input: precise errors --------------------------------------------------

void expect_error(std::string_view json, StatusCode code, std::string_view message,
                  const DecodeLimits& limits = {}) {
  core::Result<TraceRequest> r = decode_json<TraceRequest>(json, limits);
  ASSERT_FALSE(r.ok()) << json;
  EXPECT_EQ(r.status().code(), code) << r.status().to_string();
  EXPECT_EQ(r.status().message(), message);
}

constexpr std::string_view kSpanPath = "json: $.resourceSpans[0].scopeSpans[0].spans[1]";

std::string with_second_span(std::string_view span_fields) {
  return R"({"resourceSpans":[{"scopeSpans":[{"spans":[{},{)" + std::string(span_fields) +
         "}]}]}]}";
}

TEST(JsonErrorTest, IdsOfTheWrongLengthOrWithNonHexCharactersAreRejected) {
  expect_error(with_second_span(R"("traceId":"5b8efff798038103d269b633813fc60")"),
               StatusCode::kInvalidArgument,
               std::string(kSpanPath) + ".traceId: expected 32 hex characters, got 31");
  expect_error(with_second_span(R"("parentSpanId":"eee19b7ec3c1b17g")"),
               StatusCode::kInvalidArgument,
               std::string(kSpanPath) + ".parentSpanId: invalid hex character at offset 15");
  // Base64 (protobuf's generic JSON mapping) is not OTLP/JSON.
  expect_error(with_second_span(R"("spanId":"7uGbfsPBsXQ=")"), StatusCode::kInvalidArgument,
               std::string(kSpanPath) + ".spanId: expected 16 hex characters, got 12");
}

TEST(JsonErrorTest, WrongTypesAreNamed) {
  expect_error(with_second_span(R"("name":5)"), StatusCode::kInvalidArgument,
               std::string(kSpanPath) + ".name: expected a string, got a number");
  expect_error(with_second_span(R"("attributes":{})"), StatusCode::kInvalidArgument,
               std::string(kSpanPath) + ".attributes: expected an array, got an object");
  expect_error(with_second_span(R"("attributes":[{"key":"k","value":{"boolValue":"true"}}])"),
               StatusCode::kInvalidArgument,
               std::string(kSpanPath) +
                   ".attributes[0].value.boolValue: expected true or false, got a string");
  expect_error(with_second_span(R"("events":[1])"), StatusCode::kInvalidArgument,
               std::string(kSpanPath) + ".events[0]: expected an object, got a number");
  expect_error("[]", StatusCode::kInvalidArgument, "json: $: expected a JSON object, got an array");
}

TEST(JsonErrorTest, NumbersOutOfRangeOrMalformedAreRejected) {
  expect_error(with_second_span(R"("droppedAttributesCount":4294967296)"),
               StatusCode::kInvalidArgument,
               std::string(kSpanPath) + ".droppedAttributesCount: integer 4294967296 out of range");
  expect_error(
      with_second_span(R"("droppedAttributesCount":-1)"), StatusCode::kInvalidArgument,
      std::string(kSpanPath) + ".droppedAttributesCount: expected a non-negative integer, got -1");
  expect_error(with_second_span(R"("startTimeUnixNano":"12x")"), StatusCode::kInvalidArgument,
               std::string(kSpanPath) +
                   ".startTimeUnixNano: expected a decimal unsigned integer string, got \"12x\"");
  expect_error(
      with_second_span(R"("attributes":[{"value":{"intValue":1.5}}])"),
      StatusCode::kInvalidArgument,
      std::string(kSpanPath) + ".attributes[0].value.intValue: expected an integer, got 1.500000");
  expect_error(with_second_span(R"("kind":"SPAN_KIND_SIDEWAYS")"), StatusCode::kInvalidArgument,
               std::string(kSpanPath) + ".kind: unknown SpanKind value \"SPAN_KIND_SIDEWAYS\"");
  expect_error(
      with_second_span(R"("attributes":[{"value":{"bytesValue":"AP8*"}}])"),
      StatusCode::kInvalidArgument,
      std::string(kSpanPath) + ".attributes[0].value.bytesValue: invalid base64 at offset 3");
}

TEST(JsonErrorTest, SyntaxErrorsAndBadUtf8AreRejected) {
  core::Result<TraceRequest> r = decode_json<TraceRequest>(R"({"resourceSpans":[})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().rfind("json: ", 0), 0u) << r.status().message();
  r = decode_json<TraceRequest>("{\"resourceSpans\":[{\"schemaUrl\":\"\xff\"}]}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("UTF-8"), std::string::npos) << r.status().message();
  r = decode_json<TraceRequest>("");
  ASSERT_FALSE(r.ok());
  r = decode_json<TraceRequest>(R"({"resourceSpans":[]} trailing)");
  ASSERT_FALSE(r.ok());
}

TEST(JsonErrorTest, LimitsOnSizeArraysStringsAndDepthAreEnforced) {
  DecodeLimits limits;
  limits.max_message_bytes = 10;
  expect_error(R"({"resourceSpans":[]})", StatusCode::kResourceExhausted,
               "json: 20 bytes exceeds the limit of 10", limits);

  limits = DecodeLimits();
  limits.max_array_length = 2;
  EXPECT_TRUE(decode_json<TraceRequest>(with_second_span(""), limits).ok());
  expect_error(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{},{},{}]}]}]})",
               StatusCode::kResourceExhausted,
               "json: $.resourceSpans[0].scopeSpans[0].spans[2]: array longer than the limit of 2 "
               "elements",
               limits);

  limits = DecodeLimits();
  limits.max_string_bytes = 4;
  EXPECT_TRUE(decode_json<TraceRequest>(with_second_span(R"("name":"four")"), limits).ok());
  expect_error(with_second_span(R"("name":"fives")"), StatusCode::kResourceExhausted,
               std::string(kSpanPath) + ".name: string of 5 bytes exceeds the limit of 4", limits);
  expect_error(with_second_span(R"("unknownKey":1)"), StatusCode::kResourceExhausted,
               std::string(kSpanPath) + ".unknownKey: string of 10 bytes exceeds the limit of 4",
               limits);

  limits = DecodeLimits();
  limits.max_depth = 3;  // request, resourceSpans[i], scopeSpans[i]
  EXPECT_TRUE(decode_json<TraceRequest>(R"({"resourceSpans":[{"scopeSpans":[{}]}]})", limits).ok());
  expect_error(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{}]}]}]})",
               StatusCode::kResourceExhausted,
               "json: $.resourceSpans[0].scopeSpans[0].spans[0]: messages nested deeper than the "
               "limit of 3",
               limits);
  // Raw nesting that is not even a message (unknown keys) is bounded by the parser.
  std::string deep = R"({"x":)" + std::string(200, '[') + std::string(200, ']') + "}";
  expect_error(deep, StatusCode::kResourceExhausted,
               "json: nesting deeper than the limit of 8 objects and arrays", limits);
}

}  // namespace
}  // namespace edgetrace::otlp
