// QueryApi over a real HttpServer and an in-memory store: every endpoint, its errors, the
// live stream and the static files behind it.
#include "ui/query_api.hpp"

#include <gtest/gtest.h>

#include "net_test_support.hpp"
#include "ui/testing/fake_trace_store.hpp"

namespace edgetrace::daemon::ui {
namespace {

using net::testing_support::get;
using net::testing_support::RawClient;
using net::testing_support::RawResponse;

constexpr std::uint64_t kNow = 1706678909300000000ull;
constexpr std::string_view kTrace = "0af7651916cd43dd8448eb211c80319c";

std::string bytes_of_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

otlp::TraceRequest request_with(std::string_view service, std::string_view trace_hex,
                                std::string_view span_hex, std::string name, int kind,
                                std::uint64_t start) {
  otlp::TraceRequest r;
  auto* rs = r.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value(std::string(service));
  auto* span = rs->add_scope_spans()->add_spans();
  span->set_trace_id(bytes_of_hex(trace_hex));
  span->set_span_id(bytes_of_hex(span_hex));
  span->set_name(std::move(name));
  span->set_kind(static_cast<opentelemetry::proto::trace::v1::Span::SpanKind>(kind));
  span->set_start_time_unix_nano(start);
  span->set_end_time_unix_nano(start + 2000000);
  auto* attr = span->add_attributes();
  attr->set_key("http.status_code");
  attr->mutable_value()->set_int_value(500);
  return r;
}

otlp::LogsRequest log_request(std::string body, int severity, std::string_view trace_hex) {
  otlp::LogsRequest r;
  auto* rl = r.add_resource_logs();
  auto* kv = rl->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("gateway");
  auto* rec = rl->add_scope_logs()->add_log_records();
  rec->set_time_unix_nano(kNow);
  rec->set_severity_number(static_cast<opentelemetry::proto::logs::v1::SeverityNumber>(severity));
  rec->mutable_body()->set_string_value(std::move(body));
  if (!trace_hex.empty())
    rec->set_trace_id(bytes_of_hex(trace_hex));
  return r;
}

class QueryApiTest : public ::testing::Test {
 protected:
  void start(bool with_store = true, std::size_t max_live = 4) {
    ASSERT_TRUE(store_
                    .write_traces(request_with("gateway", kTrace, "b7ad6b7169203331", "GET /", 2,
                                               kNow - 50000000))
                    .ok());
    ASSERT_TRUE(store_
                    .write_traces(request_with("sensor", "4bf92f3577b34da6a3ce929d0e0e4736",
                                               "53995c3f42cd8ad8", "read", 3, kNow - 10000000))
                    .ok());
    ASSERT_TRUE(store_.write_logs(log_request("disk full", 17, kTrace)).ok());
    ASSERT_TRUE(store_.write_logs(log_request("boot ok", 9, "")).ok());
    ASSERT_TRUE(store_.write_logs(log_request("disk almost full", 13, kTrace)).ok());
    QueryApiOptions o;
    o.live_poll_interval = std::chrono::milliseconds(20);
    o.max_live_subscribers = max_live;
    o.heartbeat_interval = heartbeat_;
    o.cors_allowed_origins = cors_;
    o.now_unix_nano = [] { return kNow; };
    api_ = std::make_unique<QueryApi>(with_store ? &store_ : nullptr,
                                      with_store ? "" : "test: no store", o);
    net::HttpServerOptions so;
    so.handler_threads = 2;
    server_ = std::make_unique<net::HttpServer>(so);
    api_->mount(*server_);
    ASSERT_TRUE(server_->start().ok());
    api_->start();
  }
  void TearDown() override {
    if (api_)
      api_->stop();
    if (server_)
      server_->stop(std::chrono::milliseconds(2000));
  }
  RawResponse fetch(std::string_view target) {
    RawClient c(server_->port());
    EXPECT_TRUE(c.send(get(target)));
    auto r = c.read_response();
    EXPECT_TRUE(r);
    return r ? *r : RawResponse{};
  }

  std::chrono::milliseconds heartbeat_{15000};
  std::vector<std::string> cors_;
  testing::FakeTraceStore store_;
  std::unique_ptr<QueryApi> api_;
  std::unique_ptr<net::HttpServer> server_;
};

TEST_F(QueryApiTest, ServicesAndOperations) {
  start();
  RawResponse r = fetch("/api/services");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.body,
            R"({"data":["gateway","sensor"],"total":2,"limit":0,"offset":0,"errors":null})");
  EXPECT_EQ(fetch("/api/services/gateway/operations").body,
            R"({"data":["GET /"],"total":1,"limit":0,"offset":0,"errors":null})");
  EXPECT_EQ(
      fetch("/api/operations?service=sensor").body,
      R"({"data":[{"name":"read","spanKind":"client"}],"total":1,"limit":0,"offset":0,"errors":null})");
  EXPECT_EQ(fetch("/api/operations?service=sensor&spanKind=server").body,
            R"({"data":[],"total":0,"limit":0,"offset":0,"errors":null})");
  RawResponse missing = fetch("/api/operations");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find(R"("errors":[{"code":400,"msg":"parameter 'service' is required"}])"),
            std::string::npos);
}

TEST_F(QueryApiTest, SearchPassesTheParsedQueryToTheStore) {
  start();
  RawResponse r = fetch(
      "/api/traces?service=gateway&tags=http.status_code%3D500&minDuration=1ms"
      "&lookback=1h");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(std::string(R"("traceID":")") + std::string(kTrace)), std::string::npos);
  EXPECT_EQ(r.body.find("4bf92f3577b34da6a3ce929d0e0e4736"), std::string::npos);
  EXPECT_NE(r.body.find(R"("total":1)"), std::string::npos);
  EXPECT_EQ(store_.last_trace_query.service, "gateway");
  EXPECT_EQ(store_.last_trace_query.min_duration_ns, 1000000u);
  EXPECT_EQ(store_.last_trace_query.start_unix_nano, kNow - 3600000000000ull);
  RawResponse bad = fetch("/api/traces?service=gateway&maxDuration=soon");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("unable to parse param 'maxDuration'"), std::string::npos);
  RawResponse by_id = fetch("/api/traces?traceID=4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(by_id.status, 200);
  EXPECT_NE(by_id.body.find(R"("serviceName":"sensor")"), std::string::npos);
}

TEST_F(QueryApiTest, TraceByIdUnknownIs404AndMalformedIs400) {
  start();
  RawResponse r = fetch("/api/traces/" + std::string(kTrace));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("operationName":"GET /")"), std::string::npos);
  EXPECT_NE(r.body.find(R"({"key":"span.kind","type":"string","value":"server"})"),
            std::string::npos);
  RawResponse unknown = fetch("/api/traces/11111111111111111111111111111111");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find(R"("errors":[{"code":404,"msg":"trace not found"}])"),
            std::string::npos);
  EXPECT_EQ(fetch("/api/traces/not-hex").status, 400);
}

TEST_F(QueryApiTest, LogsSearchPagesWithACursor) {
  start();
  RawResponse r = fetch("/api/v1/logs?level=warn&limit=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("body":"disk almost full")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("next_before":3})"), std::string::npos) << r.body;
  RawResponse next = fetch("/api/v1/logs?level=warn&limit=1&before=3");
  EXPECT_NE(next.body.find(R"("body":"disk full")"), std::string::npos);
  RawResponse last = fetch("/api/v1/logs?level=warn&before=1");
  EXPECT_EQ(last.body, R"({"data":[],"next_before":null})");
  EXPECT_EQ(fetch("/api/v1/logs?level=chatty").status, 400);
  EXPECT_EQ(store_.last_log_query.min_severity_number, 13);
}

TEST_F(QueryApiTest, TraceLogsAreOldestFirst) {
  start();
  RawResponse r = fetch("/api/v1/traces/" + std::string(kTrace) + "/logs");
  EXPECT_EQ(r.status, 200);
  const std::size_t first = r.body.find("\"disk full\"");
  const std::size_t second = r.body.find("\"disk almost full\"");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_EQ(r.body.find("boot ok"), std::string::npos);
}

TEST_F(QueryApiTest, RecentSummariesFollowTheCursor) {
  start();
  RawResponse r = fetch("/api/v1/traces/recent?after=0");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("rootName":"GET /")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("next_after":2})"), std::string::npos) << r.body;
  EXPECT_EQ(fetch("/api/v1/traces/recent?after=2").body, R"({"data":[],"next_after":2})");
  EXPECT_EQ(fetch("/api/v1/traces/recent?after=x").status, 400);
}

TEST_F(QueryApiTest, LiveStreamSendsNewTracesAndLogs) {
  start();
  RawClient c(server_->port());
  ASSERT_TRUE(c.send(get("/api/v1/live")));
  auto head = c.read_until(": connected\n");
  ASSERT_TRUE(head);
  EXPECT_NE(head->find("Content-Type: text/event-stream"), std::string::npos);
  ASSERT_EQ(api_->live_subscribers(), 1u);  // registered before "connected" was written
  // The stream starts at the store's end when it says "connected": what is written after
  // that arrives, what was there before does not.
  ASSERT_TRUE(store_
                  .write_traces(request_with("gateway", "99999999999999999999999999999999",
                                             "1111111111111111", "live op", 2, kNow))
                  .ok());
  std::optional<std::string> got = c.read_until("\"rootName\":\"live op\"");
  ASSERT_TRUE(got);
  EXPECT_NE(got->find("event: trace\ndata: {\"seq\":"), std::string::npos);
  EXPECT_EQ(got->find("\"rootName\":\"GET /\""), std::string::npos);  // no replay
  ASSERT_TRUE(store_.write_logs(log_request("live log line", 9, "")).ok());
  auto log = c.read_until("\"body\":\"live log line\"");
  ASSERT_TRUE(log);
  EXPECT_NE(log->find("event: log\ndata: {\"id\":"), std::string::npos);
  EXPECT_GT(api_->counters().live_events.load(), 0u);
}

TEST_F(QueryApiTest, AllowedOriginsGetCorsHeadersOnAnswersAndStreams) {
  cors_ = {"https://grafana.example.com"};
  start();
  RawClient c(server_->port());
  ASSERT_TRUE(c.send(get("/api/services", "Origin: https://grafana.example.com\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Access-Control-Allow-Origin"), "https://grafana.example.com");
  RawClient other(server_->port());
  ASSERT_TRUE(other.send(get("/api/services", "Origin: https://evil.example.com\r\n")));
  auto refused = other.read_response();
  ASSERT_TRUE(refused);
  EXPECT_FALSE(refused->has_header("Access-Control-Allow-Origin"));
  RawClient live(server_->port());
  ASSERT_TRUE(live.send(get("/api/v1/live", "Origin: https://grafana.example.com\r\n")));
  auto head = live.read_until(": connected\n");
  ASSERT_TRUE(head);
  EXPECT_NE(head->find("Access-Control-Allow-Origin: https://grafana.example.com\r\n"),
            std::string::npos);
}

TEST_F(QueryApiTest, LiveStreamGetsHeartbeatsWhenNothingHappens) {
  heartbeat_ = std::chrono::milliseconds(50);
  start();
  RawClient c(server_->port());
  ASSERT_TRUE(c.send(get("/api/v1/live?traces=0&logs=0")));
  auto got = c.read_until(": heartbeat\n\n");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->find("event:"), std::string::npos);
}

TEST_F(QueryApiTest, LiveStreamsAreBoundedAndStopClosesThem) {
  start(true, 1);
  RawClient first(server_->port());
  ASSERT_TRUE(first.send(get("/api/v1/live?logs=0")));
  ASSERT_TRUE(first.read_until(": connected\n"));
  RawResponse refused = fetch("/api/v1/live");
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("too many live streams"), std::string::npos);
  api_->stop();
  EXPECT_TRUE(first.wait_closed());
  EXPECT_EQ(api_->live_subscribers(), 0u);
}

TEST_F(QueryApiTest, WithoutAStoreTheApiAnswers503AndTheViewerStillLoads) {
  start(false);
  RawResponse r = fetch("/api/services");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("trace store unavailable: test: no store"), std::string::npos);
  EXPECT_EQ(fetch("/api/v1/live").status, 503);
  RawResponse page = fetch("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_FALSE(page.header("ETag").empty());
  EXPECT_EQ(fetch("/trace/abc").status, 200);
  EXPECT_EQ(fetch("/api/unknown").status, 404);
}

TEST_F(QueryApiTest, StoreReadFailureIs500WithTheReason) {
  start();
  store_.fail_reads = true;
  RawResponse r = fetch("/api/services");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("trace store: disk I/O error"), std::string::npos);
  EXPECT_EQ(api_->counters().store_errors.load(), 1u);
}

}  // namespace
}  // namespace edgetrace::daemon::ui
