// jaeger_json against a Jaeger answer written by hand from Jaeger's own model
// (testdata/jaeger_trace.json, see testdata/README.md), compared field by field.
#include "ui/jaeger_json.hpp"

#include <simdjson.h>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace edgetrace::daemon::ui {
namespace {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::Status;

std::string bytes_of_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

KeyValue* add(google::protobuf::RepeatedPtrField<KeyValue>* attrs, std::string key) {
  KeyValue* kv = attrs->Add();
  kv->set_key(std::move(key));
  return kv;
}

// The spans testdata/jaeger_trace.json describes.
std::vector<store::StoredSpan> KnownTrace() {
  const std::string trace_id = bytes_of_hex("0af7651916cd43dd8448eb211c80319c");
  std::vector<store::StoredSpan> spans(3);

  store::StoredSpan& a = spans[0];
  add(a.resource.mutable_attributes(), "service.name")
      ->mutable_value()
      ->set_string_value("gateway");
  add(a.resource.mutable_attributes(), "host.name")->mutable_value()->set_string_value("edge-1");
  a.scope.set_name("sensor-http");
  a.scope.set_version("1.2.0");
  a.span.set_trace_id(trace_id);
  a.span.set_span_id(bytes_of_hex("b7ad6b7169203331"));
  a.span.set_name("GET /sensors");
  a.span.set_kind(Span::SPAN_KIND_SERVER);
  a.span.set_start_time_unix_nano(1706678909209712000ull);
  a.span.set_end_time_unix_nano(1706678909219835000ull);
  add(a.span.mutable_attributes(), "http.method")->mutable_value()->set_string_value("GET");
  add(a.span.mutable_attributes(), "http.status_code")->mutable_value()->set_int_value(200);
  add(a.span.mutable_attributes(), "sample.ratio")->mutable_value()->set_double_value(0.25);
  add(a.span.mutable_attributes(), "cache.hit")->mutable_value()->set_bool_value(true);
  add(a.span.mutable_attributes(), "payload")->mutable_value()->set_bytes_value("\x01\x02\x03");
  AnyValue* labels = add(a.span.mutable_attributes(), "labels")->mutable_value();
  labels->mutable_array_value()->add_values()->set_string_value("a");
  labels->mutable_array_value()->add_values()->set_string_value("b");
  a.span.mutable_status()->set_code(Status::STATUS_CODE_OK);

  store::StoredSpan& b = spans[1];
  add(b.resource.mutable_attributes(), "service.name")
      ->mutable_value()
      ->set_string_value("sensor-reader");
  add(b.resource.mutable_attributes(), "device.id")->mutable_value()->set_string_value("dev-7");
  add(b.resource.mutable_attributes(), "edgetrace.device.boot_counter")
      ->mutable_value()
      ->set_int_value(12);
  b.scope.set_name("reader");
  b.span.set_trace_id(trace_id);
  b.span.set_span_id(bytes_of_hex("00f067aa0ba902b7"));
  b.span.set_parent_span_id(bytes_of_hex("b7ad6b7169203331"));
  b.span.set_name("read sensor");
  b.span.set_kind(Span::SPAN_KIND_CLIENT);
  b.span.set_start_time_unix_nano(1706678909210000000ull);
  b.span.set_end_time_unix_nano(1706678909215500999ull);
  add(b.span.mutable_attributes(), "sensor")->mutable_value()->set_string_value("temp0");
  b.span.mutable_status()->set_code(Status::STATUS_CODE_ERROR);
  b.span.mutable_status()->set_message("timeout");
  auto* event = b.span.add_events();
  event->set_name("retry");
  event->set_time_unix_nano(1706678909212000500ull);
  add(event->mutable_attributes(), "attempt")->mutable_value()->set_int_value(2);
  auto* link = b.span.add_links();
  link->set_trace_id(bytes_of_hex("4bf92f3577b34da6a3ce929d0e0e4736"));
  link->set_span_id(bytes_of_hex("53995c3f42cd8ad8"));

  store::StoredSpan& c = spans[2];
  c.resource = a.resource;  // the same resource: the same process
  c.span.set_trace_id(trace_id);
  c.span.set_span_id(bytes_of_hex("1111111111111111"));
  c.span.set_parent_span_id(bytes_of_hex("b7ad6b7169203331"));
  c.span.set_name("cache lookup");
  c.span.set_start_time_unix_nano(1706678909216000000ull);
  c.span.set_end_time_unix_nano(1706678909216000000ull);
  return spans;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Deep comparison; every difference is reported with its JSON path.
void expect_same(simdjson::dom::element want, simdjson::dom::element got, const std::string& at) {
  using T = simdjson::dom::element_type;
  ASSERT_EQ(static_cast<int>(want.type()), static_cast<int>(got.type()))
      << "type differs at " << at;
  switch (want.type()) {
    case T::OBJECT: {
      simdjson::dom::object w = want.get_object().value_unsafe();
      simdjson::dom::object g = got.get_object().value_unsafe();
      EXPECT_EQ(w.size(), g.size()) << "field count differs at " << at;
      for (auto field : w) {
        simdjson::dom::element other;
        if (g.at_key(field.key).get(other) != simdjson::SUCCESS) {
          ADD_FAILURE() << "missing field " << at << "." << field.key;
          continue;
        }
        expect_same(field.value, other, at + "." + std::string(field.key));
      }
      break;
    }
    case T::ARRAY: {
      simdjson::dom::array w = want.get_array().value_unsafe();
      simdjson::dom::array g = got.get_array().value_unsafe();
      ASSERT_EQ(w.size(), g.size()) << "length differs at " << at;
      for (std::size_t i = 0; i < w.size(); ++i)
        expect_same(w.at(i).value_unsafe(), g.at(i).value_unsafe(),
                    at + "[" + std::to_string(i) + "]");
      break;
    }
    case T::STRING:
      EXPECT_EQ(want.get_string().value_unsafe(), got.get_string().value_unsafe()) << "at " << at;
      break;
    case T::INT64:
      EXPECT_EQ(want.get_int64().value_unsafe(), got.get_int64().value_unsafe()) << "at " << at;
      break;
    case T::UINT64:
      EXPECT_EQ(want.get_uint64().value_unsafe(), got.get_uint64().value_unsafe()) << "at " << at;
      break;
    case T::DOUBLE:
      EXPECT_EQ(want.get_double().value_unsafe(), got.get_double().value_unsafe()) << "at " << at;
      break;
    case T::BOOL:
      EXPECT_EQ(want.get_bool().value_unsafe(), got.get_bool().value_unsafe()) << "at " << at;
      break;
    case T::NULL_VALUE:
      break;
  }
}

TEST(JaegerJsonTest, RendersTheTraceAsJaegerQueryAnswersIt) {
  const std::vector<store::StoredSpan> spans = KnownTrace();
  std::string data = "[";
  append_jaeger_trace(data, spans);
  data += ']';
  const std::string got = jaeger_envelope(data, 1);
  const std::string want = read_file(ET_UI_TESTDATA "/jaeger_trace.json");
  ASSERT_FALSE(want.empty());
  simdjson::dom::parser pw;
  simdjson::dom::parser pg;
  simdjson::dom::element w;
  simdjson::dom::element g;
  ASSERT_EQ(pw.parse(want).get(w), simdjson::SUCCESS);
  ASSERT_EQ(pg.parse(got).get(g), simdjson::SUCCESS) << got;
  expect_same(w, g, "$");
}

TEST(JaegerJsonTest, ComparisonSeesADifferentValue) {
  // Control: the deep comparison fails on a changed field, so the test above can fail.
  simdjson::dom::parser p1;
  simdjson::dom::parser p2;
  simdjson::dom::element a;
  simdjson::dom::element b;
  ASSERT_EQ(p1.parse(std::string(R"({"x":[{"k":1}]})")).get(a), simdjson::SUCCESS);
  ASSERT_EQ(p2.parse(std::string(R"({"x":[{"k":2}]})")).get(b), simdjson::SUCCESS);
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    expect_same(a, b, "$");
  }
  ASSERT_EQ(failures.size(), 1);
  EXPECT_NE(std::string(failures.GetTestPartResult(0).message()).find("$.x[0].k"),
            std::string::npos);
}

TEST(JaegerJsonTest, ErrorEnvelopeCarriesCodeAndMessage) {
  EXPECT_EQ(
      jaeger_error(404, "trace not found"),
      R"({"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]})");
  EXPECT_EQ(jaeger_envelope("[\"a\"]", 1),
            R"({"data":["a"],"total":1,"limit":0,"offset":0,"errors":null})");
}

TEST(JaegerJsonTest, ResourceWithoutServiceNameGetsJaegersPlaceholder) {
  store::StoredSpan s;
  s.span.set_trace_id(bytes_of_hex("0af7651916cd43dd8448eb211c80319c"));
  s.span.set_span_id(bytes_of_hex("b7ad6b7169203331"));
  std::string out;
  append_jaeger_trace(out, std::span<const store::StoredSpan>(&s, 1));
  EXPECT_NE(out.find(R"("p1":{"serviceName":"OTLPResourceNoServiceName","tags":[]})"),
            std::string::npos)
      << out;
}

TEST(JaegerJsonTest, LogRowRendersEdgetracesLogObject) {
  store::LogRow row;
  row.id = 42;
  add(row.log.resource.mutable_attributes(), "service.name")
      ->mutable_value()
      ->set_string_value("gateway");
  add(row.log.resource.mutable_attributes(), "device.id")->mutable_value()->set_string_value("d1");
  row.log.scope.set_name("sensors");
  auto& r = row.log.record;
  r.set_time_unix_nano(1706678909209712345ull);
  r.set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_WARN);
  r.mutable_body()->set_string_value("temp \"high\"");
  r.set_trace_id(bytes_of_hex("0af7651916cd43dd8448eb211c80319c"));
  add(r.mutable_attributes(), "celsius")->mutable_value()->set_double_value(81.5);
  std::string out;
  append_log(out, row);
  EXPECT_EQ(out,
            R"({"id":42,"timestamp":1706678909209712,"timeUnixNano":"1706678909209712345",)"
            R"("severityNumber":13,"severityText":"WARN","body":"temp \"high\"",)"
            R"("service":"gateway","traceID":"0af7651916cd43dd8448eb211c80319c","spanID":"",)"
            R"("attributes":[{"key":"celsius","type":"float64","value":81.5}],)"
            R"("resource":[{"key":"device.id","type":"string","value":"d1"}],"scope":"sensors"})");
}

TEST(JaegerJsonTest, SummaryRendersMicroseconds) {
  store::TraceSummary s;
  s.seq = 7;
  s.trace_id = *core::TraceId::from_hex("0af7651916cd43dd8448eb211c80319c");
  s.service = "gateway";
  s.root_name = "GET /";
  s.start_unix_nano = 2000000;
  s.duration_ns = 1500999;
  s.span_count = 3;
  s.error = true;
  std::string out;
  append_summary(out, s);
  EXPECT_EQ(out,
            R"({"seq":7,"traceID":"0af7651916cd43dd8448eb211c80319c","service":"gateway",)"
            R"("rootName":"GET /","startTime":2000,"duration":1500,"spanCount":3,"error":true})");
}

}  // namespace
}  // namespace edgetrace::daemon::ui
