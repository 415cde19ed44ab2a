// End-to-end: the real edgetraced binary with the trace store and the UI listener on.
// Spans and logs sent over OTLP/HTTP are found through the query API (Jaeger's endpoints and
// edgetrace's own, the live stream included), are still there after a restart, and a corrupt
// store file is reported while export to the OTLP backend goes on.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "testing/fake_http_receiver.hpp"
#include "testing/temp_dir.hpp"
#include "testing/wait.hpp"
#include "tests/daemon_process.hpp"

namespace edgetrace::daemon {
namespace {

using edgetrace::testing::FakeOtlpHttpReceiver;
using edgetrace::testing::TempDir;
using edgetrace::testing::wait_until;
using testing::DaemonProcess;
using namespace std::chrono_literals;

constexpr std::string_view kTraceHex = "5b8efff798038103d269b633813fc60c";

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string config(const TempDir& dir, const std::string& otlp_endpoint) {
  return "shutdown_timeout = \"5s\"\n"
         "[admin]\nlisten = \"127.0.0.1:0\"\n"
         "[symbols]\nstore = \"" +
         dir.file("symbols") +
         "\"\n"
         "[receivers.device_tcp]\nlisten = \"\"\n"
         "[receivers.otlp]\nhttp = \"127.0.0.1:0\"\ngrpc = \"\"\n"
         "[proxy]\nlisten = \"127.0.0.1:0\"\n"
         "[queue]\ndir = \"" +
         dir.file("queue") +
         "\"\nretry_max = \"500ms\"\n"
         "[exporters.otlp]\nendpoint = \"" +
         otlp_endpoint +
         "\"\ntimeout = \"2s\"\n"
         "[store]\nenabled = true\npath = \"" +
         dir.file("data/traces.db") +
         "\"\n"
         "[ui]\nlisten = \"127.0.0.1:0\"\n";
}

std::unique_ptr<DaemonProcess> start_daemon(const TempDir& dir, const std::string& text,
                                            const std::string& name) {
  const std::string path = dir.file(name + ".toml");
  write_file(path, text);
  return std::make_unique<DaemonProcess>(ET_EDGETRACED, std::vector<std::string>{"--config", path},
                                         dir.file(name + ".log"));
}

std::string bytes_of_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// A checkout request: a server root span and a client child span with an attribute.
otlp::TraceRequest checkout_trace(std::string_view trace_hex, std::string root_name) {
  otlp::TraceRequest r;
  auto* rs = r.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("checkout");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("shop.http");
  const std::uint64_t start = now_ns() - 5000000;
  auto* root = ss->add_spans();
  root->set_trace_id(bytes_of_hex(trace_hex));
  root->set_span_id(bytes_of_hex("a000000000000001"));
  root->set_name(std::move(root_name));
  root->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
  root->set_start_time_unix_nano(start);
  root->set_end_time_unix_nano(start + 4000000);
  auto* child = ss->add_spans();
  child->set_trace_id(bytes_of_hex(trace_hex));
  child->set_span_id(bytes_of_hex("a000000000000002"));
  child->set_parent_span_id(bytes_of_hex("a000000000000001"));
  child->set_name("db.query");
  child->set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_CLIENT);
  child->set_start_time_unix_nano(start + 1000000);
  child->set_end_time_unix_nano(start + 3000000);
  auto* attr = child->add_attributes();
  attr->set_key("db.system");
  attr->mutable_value()->set_string_value("sqlite");
  return r;
}

otlp::LogsRequest checkout_log() {
  otlp::LogsRequest r;
  auto* rl = r.add_resource_logs();
  auto* kv = rl->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("checkout");
  auto* rec = rl->add_scope_logs()->add_log_records();
  rec->set_time_unix_nano(now_ns());
  rec->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_WARN);
  rec->set_severity_text("WARN");
  rec->mutable_body()->set_string_value("payment declined for order 42");
  rec->set_trace_id(bytes_of_hex(kTraceHex));
  return r;
}

// A server-sent events client: sends the GET, then collects what arrives.
class SseClient {
 public:
  SseClient(std::uint16_t port, std::string_view path) : fd_(testing::connect_loopback(port)) {
    if (fd_ < 0)
      return;
    const std::string req = "GET " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n\r\n";
    ok_ = ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
  }
  ~SseClient() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;
  bool ok() const { return ok_; }
  // True once what was received contains `needle`; false after `timeout` or on close.
  bool wait_for(std::string_view needle, std::chrono::milliseconds timeout = 20s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (received_.find(needle) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0)
        return false;
      received_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  bool ok_ = false;
  std::string received_;
};

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

TEST(UiE2eTest, SpansAndLogsSentOverOtlpAreQueryableAndSurviveARestart) {
  TempDir dir("edgetraced-ui-e2e");
  FakeOtlpHttpReceiver rx;
  auto d = start_daemon(dir, config(dir, rx.url()), "edgetraced");
  ASSERT_TRUE(d->started()) << d->log();
  const std::uint16_t ui = d->port("UI");
  const std::uint16_t otlp = d->port("OTLP/HTTP");
  ASSERT_NE(ui, 0) << d->log();
  ASSERT_NE(otlp, 0) << d->log();
  EXPECT_TRUE(contains(d->log(), "; UI on port " + std::to_string(ui))) << d->log();
  EXPECT_EQ(d->count("edgetraced_store_open"), 1);

  // The live stream is open before the data arrives.
  SseClient live(ui, "/api/v1/live");
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(live.wait_for(": connected\n")) << live.received();
  EXPECT_TRUE(contains(live.received(), "Content-Type: text/event-stream"));

  auto sent = d->http(otlp, "POST", "/v1/traces",
                      otlp::encode_protobuf(checkout_trace(kTraceHex, "POST /order")),
                      {"Content-Type: application/x-protobuf"});
  ASSERT_EQ(sent.first, 200) << sent.second;
  sent = d->http(otlp, "POST", "/v1/logs", otlp::encode_protobuf(checkout_log()),
                 {"Content-Type: application/x-protobuf"});
  ASSERT_EQ(sent.first, 200) << sent.second;

  std::pair<int, std::string> services;
  ASSERT_TRUE(wait_until(
      [&] {
        services = d->http(ui, "GET", "/api/services", "", {});
        return contains(services.second, "\"checkout\"");
      },
      20s))
      << services.second << d->log();
  EXPECT_EQ(services.first, 200);
  EXPECT_EQ(services.second,
            R"({"data":["checkout"],"total":1,"limit":0,"offset":0,"errors":null})");

  const auto ops = d->http(ui, "GET", "/api/services/checkout/operations", "", {});
  EXPECT_EQ(ops.second,
            R"({"data":["POST /order","db.query"],"total":2,"limit":0,"offset":0,"errors":null})");

  const auto search =
      d->http(ui, "GET", "/api/traces?service=checkout&tags=db.system%3Dsqlite", "", {});
  EXPECT_EQ(search.first, 200) << search.second;
  EXPECT_TRUE(contains(search.second, "\"traceID\":\"" + std::string(kTraceHex) + "\""))
      << search.second;
  EXPECT_TRUE(contains(search.second, R"("total":1)")) << search.second;

  const auto trace = d->http(ui, "GET", "/api/traces/" + std::string(kTraceHex), "", {});
  EXPECT_EQ(trace.first, 200);
  EXPECT_TRUE(contains(trace.second, R"("operationName":"POST /order")"));
  EXPECT_TRUE(contains(trace.second, R"({"refType":"CHILD_OF","traceID":")" +
                                         std::string(kTraceHex) +
                                         R"(","spanID":"a000000000000001"})"))
      << trace.second;
  EXPECT_TRUE(contains(trace.second, R"({"key":"db.system","type":"string","value":"sqlite"})"));
  EXPECT_TRUE(contains(trace.second, R"("processes":{"p1":{"serviceName":"checkout")"));
  EXPECT_EQ(d->http(ui, "GET", "/api/traces/00000000000000000000000000000abc", "", {}).first, 404);

  std::pair<int, std::string> logs;
  ASSERT_TRUE(wait_until(
      [&] {
        logs = d->http(ui, "GET", "/api/v1/logs?q=declined&level=warn", "", {});
        return contains(logs.second, "payment declined for order 42");
      },
      20s))
      << logs.second;
  EXPECT_TRUE(contains(logs.second, "\"traceID\":\"" + std::string(kTraceHex) + "\""));
  EXPECT_TRUE(contains(logs.second, R"("severityText":"WARN")"));
  const auto trace_logs =
      d->http(ui, "GET", "/api/v1/traces/" + std::string(kTraceHex) + "/logs", "", {});
  EXPECT_TRUE(contains(trace_logs.second, "payment declined")) << trace_logs.second;

  // The live stream saw the trace and the log.
  EXPECT_TRUE(live.wait_for("\"traceID\":\"" + std::string(kTraceHex) + "\"")) << live.received();
  EXPECT_TRUE(contains(live.received(), "event: trace\ndata: "));
  EXPECT_TRUE(live.wait_for("event: log\ndata: ")) << live.received();

  // The viewer is served at /, and client routes fall back to it.
  const auto page = d->http(ui, "GET", "/", "", {});
  EXPECT_EQ(page.first, 200);
  EXPECT_TRUE(contains(page.second, "<html"));
  EXPECT_EQ(d->http(ui, "GET", "/trace/" + std::string(kTraceHex), "", {}).second, page.second);

  // The OTLP backend got the spans too.
  EXPECT_TRUE(wait_until(
      [&] {
        for (const auto& r : rx.received())
          for (const auto& rs : r.traces.resource_spans())
            if (rs.scope_spans_size() > 0 && rs.scope_spans(0).spans_size() > 0 &&
                rs.scope_spans(0).spans(0).name() == "POST /order")
              return true;
        return false;
      },
      20s));
  EXPECT_EQ(d->terminate(), 0) << d->log();

  // After a restart the data is still there.
  auto again = start_daemon(dir, config(dir, rx.url()), "edgetraced-2");
  ASSERT_TRUE(again->started()) << again->log();
  const std::uint16_t ui2 = again->port("UI");
  const auto kept = again->http(ui2, "GET", "/api/traces/" + std::string(kTraceHex), "", {});
  EXPECT_EQ(kept.first, 200) << kept.second;
  EXPECT_TRUE(contains(kept.second, R"("operationName":"db.query")"));
  const auto kept_logs = again->http(ui2, "GET", "/api/v1/logs?q=declined", "", {});
  EXPECT_TRUE(contains(kept_logs.second, "payment declined for order 42")) << kept_logs.second;
  EXPECT_EQ(again->terminate(), 0) << again->log();
}

TEST(UiE2eTest, CorruptStoreIsReportedAndExportGoesOn) {
  TempDir dir("edgetraced-ui-e2e");
  FakeOtlpHttpReceiver rx;
  std::filesystem::create_directories(dir.file("data"));
  std::string garbage;
  for (int i = 0; i < 2000; ++i)
    garbage += "this is not an SQLite database. ";
  write_file(dir.file("data/traces.db"), garbage);
  auto d = start_daemon(dir, config(dir, rx.url()), "edgetraced");
  ASSERT_TRUE(d->started()) << d->log();
  EXPECT_TRUE(contains(d->log(), "cannot open the trace store")) << d->log();
  EXPECT_TRUE(contains(d->log(), dir.file("data/traces.db"))) << d->log();
  EXPECT_EQ(d->count("edgetraced_store_open"), 0);

  const std::uint16_t ui = d->port("UI");
  ASSERT_NE(ui, 0) << d->log();
  const auto services = d->http(ui, "GET", "/api/services", "", {});
  EXPECT_EQ(services.first, 503);
  EXPECT_TRUE(contains(services.second, "trace store unavailable")) << services.second;

  const auto sent = d->http(d->port("OTLP/HTTP"), "POST", "/v1/traces",
                            otlp::encode_protobuf(checkout_trace(kTraceHex, "POST /order")),
                            {"Content-Type: application/x-protobuf"});
  EXPECT_EQ(sent.first, 200) << sent.second;
  EXPECT_TRUE(wait_until(
      [&] {
        for (const auto& r : rx.received())
          for (const auto& rs : r.traces.resource_spans())
            if (rs.scope_spans_size() > 0 && rs.scope_spans(0).spans_size() > 0 &&
                rs.scope_spans(0).spans(0).name() == "POST /order")
              return true;
        return false;
      },
      20s))
      << d->log();
  EXPECT_EQ(d->terminate(), 0) << d->log();
}

}  // namespace
}  // namespace edgetrace::daemon
