// The example programs end to end: started as processes, configured from the environment,
// exporting over OTLP/HTTP to a fake receiver, stopped with SIGTERM.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "../common/http.hpp"
#include "child_process.hpp"
#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/trace_context.hpp"
#include "fake_http_receiver.hpp"

namespace edgetrace::examples {
namespace {

using namespace std::chrono_literals;
namespace trace_proto = opentelemetry::proto::trace::v1;
namespace common_proto = opentelemetry::proto::common::v1;

using FakeOtlpHttpReceiver = ::edgetrace::testing::FakeOtlpHttpReceiver;

constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kParentId = "00f067aa0ba902b7";

std::string hex(const std::string& bytes) {
  return edgetrace::core::to_hex(bytes);
}

std::string display(const common_proto::AnyValue& v) {
  switch (v.value_case()) {
    case common_proto::AnyValue::kStringValue:
      return v.string_value();
    case common_proto::AnyValue::kIntValue:
      return std::to_string(v.int_value());
    case common_proto::AnyValue::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case common_proto::AnyValue::kDoubleValue:
      return std::to_string(v.double_value());
    case common_proto::AnyValue::kArrayValue: {
      std::string out;
      for (const auto& e : v.array_value().values())
        out += (out.empty() ? "" : ",") + display(e);
      return "[" + out + "]";
    }
    default:
      return "<other>";
  }
}

template <typename Attributes>
std::map<std::string, std::string> attributes_of(const Attributes& kvs) {
  std::map<std::string, std::string> out;
  for (const auto& kv : kvs)
    out[kv.key()] = display(kv.value());
  return out;
}

struct ExportedSpan {
  std::string name, trace_id, span_id, parent_span_id;
  trace_proto::Span::SpanKind kind;
  trace_proto::Status::StatusCode status;
  std::map<std::string, std::string> attributes;
  std::map<std::string, std::string> resource;

  std::string attribute(const std::string& key) const {
    auto it = attributes.find(key);
    return it == attributes.end() ? "<missing>" : it->second;
  }
};

struct ExportedLog {
  std::string body, trace_id, span_id, severity;
  std::map<std::string, std::string> attributes;
};

std::vector<ExportedSpan> spans_of(const FakeOtlpHttpReceiver& rx) {
  std::vector<ExportedSpan> out;
  for (const auto& request : rx.received()) {
    EXPECT_EQ(request.decode_error, "");
    for (const auto& rs : request.traces.resource_spans()) {
      auto resource = attributes_of(rs.resource().attributes());
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& s : ss.spans()) {
          out.push_back({s.name(), hex(s.trace_id()), hex(s.span_id()), hex(s.parent_span_id()),
                         s.kind(), s.status().code(), attributes_of(s.attributes()), resource});
        }
      }
    }
  }
  return out;
}

std::vector<ExportedLog> logs_of(const FakeOtlpHttpReceiver& rx) {
  std::vector<ExportedLog> out;
  for (const auto& request : rx.received()) {
    for (const auto& rl : request.logs.resource_logs()) {
      for (const auto& sl : rl.scope_logs()) {
        for (const auto& l : sl.log_records()) {
          out.push_back({display(l.body()), hex(l.trace_id()), hex(l.span_id()), l.severity_text(),
                         attributes_of(l.attributes())});
        }
      }
    }
  }
  return out;
}

// Starts a program with --port 0 and returns the port it printed.
std::uint16_t start(testing::ChildProcess& child) {
  EXPECT_TRUE(child.started());
  auto line = child.wait_for_line("listening on http://127.0.0.1:", 20s);
  EXPECT_TRUE(line.has_value()) << child.output();
  if (!line)
    return 0;
  return static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
}

Response get(std::uint16_t port, const std::string& target, const std::string& request_id) {
  Request req{beast_http::verb::get, target, 11};
  req.set("traceparent", "00-" + std::string(kTraceId) + "-" + std::string(kParentId) + "-01");
  req.set("x-request-id", request_id);
  req.set(beast_http::field::user_agent, "programs-test/1.0");
  auto res = send_request(std::move(req),
                          parse_url("http://127.0.0.1:" + std::to_string(port)).value(), 10s);
  EXPECT_TRUE(res.ok()) << res.status().to_string();
  return res.ok() ? std::move(res).value() : Response{};
}

const ExportedSpan* find(const std::vector<ExportedSpan>& spans, const std::string& trace_id,
                         const std::string& name) {
  for (const auto& s : spans)
    if (s.trace_id == trace_id && s.name == name)
      return &s;
  ADD_FAILURE() << "no span " << name << " in trace " << trace_id;
  return nullptr;
}

TEST(HttpServiceProgramTest, ExportsTheSpanTreeAttributesStatusAndLogsOverOtlp) {
  FakeOtlpHttpReceiver rx;
  testing::ChildProcess child(
      {EDGETRACE_EXAMPLE_HTTP_SERVICE, "--port", "0"},
      {"OTEL_EXPORTER_OTLP_ENDPOINT=" + rx.url(), "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
       "OTEL_SERVICE_NAME=e2e-http-service", "OTEL_BSP_SCHEDULE_DELAY=100",
       "OTEL_BLRP_SCHEDULE_DELAY=100", "EDGETRACE_LOG=debug"},
      {"EDGETRACE_CONFIG", "OTEL_SDK_DISABLED", "OTEL_TRACES_SAMPLER", "OTEL_PROPAGATORS",
       "OTEL_RESOURCE_ATTRIBUTES"});
  const std::uint16_t port = start(child);
  ASSERT_NE(port, 0);

  Response ok = get(port, "/users/42", "req-ok");
  EXPECT_EQ(ok.result_int(), 200u);
  EXPECT_EQ(ok["x-request-id"], "req-ok");
  auto tp = core::parse_traceparent(std::string(ok["traceparent"]));
  ASSERT_TRUE(tp.ok()) << ok["traceparent"];
  EXPECT_EQ(tp->trace_id.to_hex(), kTraceId);

  // A second trace for the failure path (another trace id, so the trees do not mix).
  Request failing{beast_http::verb::get, "/users/0", 11};
  const std::string fail_trace = core::TraceId::random().to_hex();
  failing.set("traceparent", "00-" + fail_trace + "-" + std::string(kParentId) + "-01");
  failing.set("x-request-id", "req-fail");
  auto bad = send_request(std::move(failing),
                          parse_url("http://127.0.0.1:" + std::to_string(port)).value(), 10s);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->result_int(), 502u);
  EXPECT_EQ((*bad)["x-request-id"], "req-fail");

  child.signal(SIGTERM);
  auto code = child.wait_exit(20s);
  ASSERT_TRUE(code.has_value()) << child.output();
  EXPECT_EQ(*code, 0) << child.output();
  EXPECT_NE(child.output().find("stopped (SIGTERM), telemetry flushed"), std::string::npos)
      << child.output();

  const auto spans = spans_of(rx);
  ASSERT_EQ(spans.size(), 6u) << child.output();
  const std::string trace(kTraceId);
  const ExportedSpan* server = find(spans, trace, "GET /users/{id}");
  const ExportedSpan* client = find(spans, trace, "GET");
  const ExportedSpan* downstream = find(spans, trace, "GET /profiles/{id}");
  ASSERT_TRUE(server && client && downstream);

  EXPECT_EQ(server->span_id, tp->parent_id.to_hex());  // the response carried the server span
  EXPECT_EQ(server->parent_span_id, kParentId);
  EXPECT_EQ(server->kind, trace_proto::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(client->parent_span_id, server->span_id);
  EXPECT_EQ(client->kind, trace_proto::Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(downstream->parent_span_id, client->span_id);
  EXPECT_EQ(downstream->kind, trace_proto::Span::SPAN_KIND_SERVER);
  for (const ExportedSpan* s : {server, client, downstream}) {
    EXPECT_EQ(s->status, trace_proto::Status::STATUS_CODE_UNSET) << s->name;
    EXPECT_EQ(s->resource.at("service.name"), "e2e-http-service");
  }
  const std::string port_text = std::to_string(port);
  EXPECT_EQ(server->attribute("http.request.method"), "GET");
  EXPECT_EQ(server->attribute("url.path"), "/users/42");
  EXPECT_EQ(server->attribute("url.scheme"), "http");
  EXPECT_EQ(server->attribute("http.route"), "/users/{id}");
  EXPECT_EQ(server->attribute("http.response.status_code"), "200");
  EXPECT_EQ(server->attribute("server.address"), "127.0.0.1");
  EXPECT_EQ(server->attribute("server.port"), port_text);
  EXPECT_EQ(server->attribute("client.address"), "127.0.0.1");
  EXPECT_EQ(server->attribute("user_agent.original"), "programs-test/1.0");
  EXPECT_EQ(server->attribute("network.protocol.version"), "1.1");
  EXPECT_EQ(server->attribute("http.request.header.x-request-id"), "[req-ok]");
  EXPECT_EQ(client->attribute("url.full"), "http://127.0.0.1:" + port_text + "/profiles/42");
  EXPECT_EQ(client->attribute("http.request.method"), "GET");
  EXPECT_EQ(client->attribute("http.response.status_code"), "200");
  EXPECT_EQ(downstream->attribute("http.route"), "/profiles/{id}");

  // The 5xx path: ERROR on the server span (502), the client span and the downstream (500).
  const ExportedSpan* fail_server = find(spans, fail_trace, "GET /users/{id}");
  const ExportedSpan* fail_client = find(spans, fail_trace, "GET");
  const ExportedSpan* fail_downstream = find(spans, fail_trace, "GET /profiles/{id}");
  ASSERT_TRUE(fail_server && fail_client && fail_downstream);
  EXPECT_EQ(fail_server->status, trace_proto::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(fail_server->attribute("http.response.status_code"), "502");
  EXPECT_EQ(fail_server->attribute("error.type"), "502");
  EXPECT_EQ(fail_client->status, trace_proto::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(fail_client->attribute("http.response.status_code"), "500");
  EXPECT_EQ(fail_downstream->status, trace_proto::Status::STATUS_CODE_ERROR);

  // Logs inside the spans carry their trace and span ids.
  const auto logs = logs_of(rx);
  auto find_log = [&](const std::string& body, const std::string& span_id) {
    for (const auto& l : logs)
      if (l.body == body && l.span_id == span_id)
        return &l;
    ADD_FAILURE() << "no log '" << body << "' in span " << span_id;
    return static_cast<const ExportedLog*>(nullptr);
  };
  const ExportedLog* received = find_log("request received", server->span_id);
  ASSERT_NE(received, nullptr);
  EXPECT_EQ(received->trace_id, kTraceId);
  EXPECT_EQ(received->attributes.at("request.id"), "req-ok");
  const ExportedLog* calling = find_log("calling downstream", client->span_id);
  ASSERT_NE(calling, nullptr);
  EXPECT_EQ(calling->trace_id, kTraceId);
  const ExportedLog* failed = find_log("request failed", fail_server->span_id);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->severity, "ERROR");
  const ExportedLog* store = find_log("profile store unavailable", fail_downstream->span_id);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->trace_id, fail_trace);
}

TEST(HttpServiceProgramTest, StopsAfterMaxRequests) {
  testing::ChildProcess child(
      {EDGETRACE_EXAMPLE_HTTP_SERVICE, "--port", "0", "--max-requests", "2"},
      {"EDGETRACE_LOG=warn"},
      {"EDGETRACE_CONFIG", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"});
  const std::uint16_t port = start(child);
  ASSERT_NE(port, 0);
  EXPECT_EQ(get(port, "/users/1", "a").result_int(), 200u);  // itself + its downstream call
  auto code = child.wait_exit(20s);
  ASSERT_TRUE(code.has_value()) << child.output();
  EXPECT_EQ(*code, 0);
  EXPECT_NE(child.output().find("stopped (max-requests)"), std::string::npos) << child.output();
}

TEST(W3cConformanceProgramTest, ForwardsTheCallsWithTheCallersTrace) {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> got;  // traceparent, body
  auto echo = HttpServer::listen("127.0.0.1", 0, [&](const Request& r, const Peer&) {
    std::lock_guard<std::mutex> lock(mu);
    got.emplace_back(std::string(r["traceparent"]), r.body());
    return Response{beast_http::status::ok, r.version()};
  });
  ASSERT_TRUE(echo.ok());
  testing::ChildProcess child({EDGETRACE_EXAMPLE_W3C_CONFORMANCE, "--port", "0"},
                              {"EDGETRACE_LOG=warn"},
                              {"EDGETRACE_CONFIG", "OTEL_EXPORTER_OTLP_ENDPOINT",
                               "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SDK_DISABLED"});
  const std::uint16_t port = start(child);
  ASSERT_NE(port, 0);

  Request req{beast_http::verb::post, "/test", 11};
  req.set("traceparent", "00-" + std::string(kTraceId) + "-" + std::string(kParentId) + "-01");
  req.set(beast_http::field::content_type, "application/json");
  const std::string cb = "http://127.0.0.1:" + std::to_string((*echo)->port()) + "/callback";
  req.body() = R"([{"url": ")" + cb + R"(", "arguments": [1, 2]}])";
  auto res = send_request(std::move(req),
                          parse_url("http://127.0.0.1:" + std::to_string(port)).value(), 10s);
  ASSERT_TRUE(res.ok()) << res.status().to_string();
  EXPECT_EQ(res->result_int(), 200u);
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(got.size(), 1u);
    auto tp = core::parse_traceparent(got[0].first);
    ASSERT_TRUE(tp.ok()) << got[0].first;
    EXPECT_EQ(tp->trace_id.to_hex(), kTraceId);
    EXPECT_NE(tp->parent_id.to_hex(), kParentId);
    EXPECT_EQ(got[0].second, "[1, 2]");
  }
  child.signal(SIGINT);
  auto code = child.wait_exit(20s);
  ASSERT_TRUE(code.has_value()) << child.output();
  EXPECT_EQ(*code, 0) << child.output();
}

}  // namespace
}  // namespace edgetrace::examples
