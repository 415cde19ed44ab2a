// OtlpExporter over OTLP/HTTP against a real receiver on 127.0.0.1.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "edgetrace/otlp/codec.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "fake_http_receiver.hpp"
#include "google/protobuf/util/message_differencer.h"

namespace edgetrace::otlp {
namespace {

using namespace std::chrono_literals;
using testing::FakeOtlpHttpReceiver;
using testing::Reply;

ExportTraceServiceRequest make_traces(int spans, std::size_t name_size = 8) {
  ExportTraceServiceRequest r;
  auto* rs = r.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("checkout");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("edgetrace.test");
  for (int i = 0; i < spans; ++i) {
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, static_cast<char>(i + 1)));
    s->set_span_id(std::string(8, static_cast<char>(i + 1)));
    s->set_name(std::to_string(i) + std::string(name_size, 'n'));
    s->set_start_time_unix_nano(1700000000000000000ULL + static_cast<unsigned>(i));
    s->set_end_time_unix_nano(1700000000000001000ULL + static_cast<unsigned>(i));
  }
  return r;
}

ExportLogsServiceRequest make_logs(int n) {
  ExportLogsServiceRequest r;
  auto* sl = r.add_resource_logs()->add_scope_logs();
  for (int i = 0; i < n; ++i) {
    auto* l = sl->add_log_records();
    l->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_WARN);
    l->set_severity_text("WARN");
    l->mutable_body()->set_string_value("disk almost full " + std::to_string(i));
  }
  return r;
}

ExportMetricsServiceRequest make_metrics(int points) {
  ExportMetricsServiceRequest r;
  auto* m = r.add_resource_metrics()->add_scope_metrics()->add_metrics();
  m->set_name("queue.depth");
  for (int i = 0; i < points; ++i)
    m->mutable_gauge()->add_data_points()->set_as_int(i);
  return r;
}

struct Messages {
  std::mutex mu;
  std::vector<std::string> lines;
  ErrorCallback callback() {
    return [this](std::string_view m) {
      std::lock_guard<std::mutex> lock(mu);
      lines.emplace_back(m);
    };
  }
  std::string all() {
    std::lock_guard<std::mutex> lock(mu);
    std::string out;
    for (auto& l : lines)
      out += l + "\n";
    return out;
  }
};

class HttpExporterTest : public ::testing::Test {
 protected:
  OtlpExporterOptions options(Protocol protocol = Protocol::kHttpProtobuf) {
    OtlpExporterOptions o;
    o.protocol = protocol;
    o.endpoint = rx.url("/v1/traces");
    o.timeout = 5s;
    o.retry.initial_backoff = 10ms;
    o.retry.max_backoff = 50ms;
    return o;
  }
  std::unique_ptr<OtlpExporter> make(OtlpExporterOptions o) {
    auto e = OtlpExporter::create(std::move(o), messages.callback());
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    return std::move(e).value();
  }
  static Deadline soon() { return Clock::now() + 10s; }

  FakeOtlpHttpReceiver rx;
  Messages messages;
};

bool same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

TEST_F(HttpExporterTest, DeliversEverySignalInProtobufWithHeaders) {
  OtlpExporterOptions o = options();
  o.endpoint.clear();
  LoadedExporterOptions env = load_exporter_options(
      Signal::kTraces,
      [&](std::string_view name) -> std::optional<std::string> {
        if (name == "OTEL_EXPORTER_OTLP_ENDPOINT")
          return rx.url();
        if (name == "OTEL_EXPORTER_OTLP_HEADERS")
          return "x-tenant=acme,x-scope=a%20b";
        return std::nullopt;
      },
      o);
  // The generic endpoint gets /v1/<signal> appended for each signal's exporter.
  auto traces = make(env.options);
  OtlpExporterOptions logs_options = env.options;
  logs_options.endpoint = rx.url("/v1/logs");
  auto logs = make(logs_options);
  OtlpExporterOptions metrics_options = env.options;
  metrics_options.endpoint = rx.url("/v1/metrics");
  auto metrics = make(metrics_options);

  const auto t = make_traces(3);
  const auto l = make_logs(2);
  const auto m = make_metrics(4);
  ExportOutcome a = traces->export_traces(t, soon());
  ExportOutcome b = logs->export_logs(l, soon());
  ExportOutcome c = metrics->export_metrics(m, soon());
  EXPECT_EQ(a.delivered, 3u);
  EXPECT_EQ(b.delivered, 2u);
  EXPECT_EQ(c.delivered, 4u);

  auto got = rx.received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].path, "/v1/traces");
  EXPECT_EQ(got[0].content_type, "application/x-protobuf");
  EXPECT_TRUE(same(got[0].traces, t));
  EXPECT_TRUE(same(got[1].logs, l));
  EXPECT_TRUE(same(got[2].metrics, m));
  EXPECT_EQ(got[0].headers["x-tenant"], "acme");
  EXPECT_EQ(got[0].headers["x-scope"], "a b");
  EXPECT_EQ(got[0].headers["user-agent"].rfind("edgetrace/", 0), 0u);
  EXPECT_EQ(traces->counters().items_exported.load(), 3u);
  EXPECT_GT(traces->counters().bytes_sent.load(), 0u);
}

TEST_F(HttpExporterTest, JsonAndGzip) {
  OtlpExporterOptions o = options(Protocol::kHttpJson);
  o.compression = Compression::kGzip;
  auto e = make(o);
  const auto t = make_traces(50, 100);
  EXPECT_EQ(e->export_traces(t, soon()).delivered, 50u);
  auto got = rx.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].content_type, "application/json");
  EXPECT_TRUE(got[0].gzip);
  EXPECT_TRUE(got[0].decode_error.empty()) << got[0].decode_error;
  EXPECT_TRUE(same(got[0].traces, t));
  // Repetitive span names compress well: the gzip body is far smaller than the JSON.
  std::string json;
  encode_json_message(t, json);
  EXPECT_LT(got[0].body_bytes * 4, json.size());
  EXPECT_EQ(e->counters().bytes_sent.load(), got[0].body_bytes);
}

TEST_F(HttpExporterTest, KeepsTheConnectionAlive) {
  auto e = make(options());
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(e->export_traces(make_traces(1), soon()).delivered, 1u);
  EXPECT_EQ(rx.request_count(), 5u);
  EXPECT_EQ(rx.connections_accepted(), 1u);
}

TEST_F(HttpExporterTest, RetriesRetryableStatusesThenSucceeds) {
  rx.script({Reply::http(503), Reply::http(429), Reply::http(502), Reply::http(504), Reply::ok()});
  auto e = make(options());
  ExportOutcome out = e->export_traces(make_traces(2), soon());
  EXPECT_EQ(out.delivered, 2u);
  EXPECT_EQ(rx.request_count(), 5u);
  EXPECT_EQ(e->counters().retries.load(), 4u);
  EXPECT_EQ(e->counters().dropped_total(), 0u);
}

TEST_F(HttpExporterTest, HonoursRetryAfterOverItsOwnBackoff) {
  // Own backoff would be a minute, far past max_elapsed: only the server's "0" lets the
  // retry happen at all.
  rx.script({Reply::http(429).with_retry_after("0"), Reply::ok()});
  OtlpExporterOptions o = options();
  o.retry.initial_backoff = 60s;
  o.retry.max_backoff = 60s;
  o.retry.max_elapsed = 5s;
  auto e = make(o);
  EXPECT_EQ(e->export_traces(make_traces(1), soon()).delivered, 1u);
  EXPECT_EQ(rx.request_count(), 2u);

  rx.script({Reply::http(503)});  // no Retry-After: own backoff (60 s) exceeds max_elapsed
  EXPECT_EQ(e->export_traces(make_traces(1), soon()).failed, 1u);
  EXPECT_EQ(e->counters().dropped(DropReason::kRetryExhausted), 1u);
}

TEST_F(HttpExporterTest, ConnectionFailuresAreRetriedUntilTheDeadline) {
  OtlpExporterOptions o = options();
  FakeOtlpHttpReceiver closed;
  o.endpoint = closed.url("/v1/traces");
  closed.stop();  // nothing listens on that port any more
  auto e = make(o);
  ExportOutcome out = e->export_traces(make_traces(3), Clock::now() + 300ms);
  EXPECT_EQ(out.failed, 3u);
  EXPECT_GE(e->counters().requests.load(), 2u);
  EXPECT_EQ(e->counters().dropped(DropReason::kRetryExhausted), 3u);
  EXPECT_NE(messages.all().find("giving up"), std::string::npos);
}

TEST_F(HttpExporterTest, BadRequestIsDroppedAndReportedWithoutRetry) {
  rx.script({Reply::http(400, "span 3 has an invalid trace id")});
  auto e = make(options());
  ExportOutcome out = e->export_traces(make_traces(4), soon());
  EXPECT_EQ(out.failed, 4u);
  EXPECT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(e->counters().dropped(DropReason::kRejected), 4u);
  EXPECT_NE(messages.all().find("span 3 has an invalid trace id"), std::string::npos)
      << messages.all();
}

TEST_F(HttpExporterTest, PayloadTooLargeIsSplitInHalves) {
  auto full = make_traces(8, 200);
  std::string body;
  encode_protobuf_message(full, body);
  rx.set_max_body_bytes(body.size() / 2 + 100);  // whole: 413; halves fit
  auto e = make(options());
  ExportOutcome out = e->export_traces(full, soon());
  EXPECT_EQ(out.delivered, 8u);
  EXPECT_GE(e->counters().splits.load(), 1u);
  std::size_t spans = 0;
  for (const auto& r : rx.received()) {
    if (r.body_bytes <= body.size() / 2 + 100)
      spans += count_items(r.traces);
  }
  EXPECT_EQ(spans, 8u);
}

TEST_F(HttpExporterTest, ProtobufBytesAreSentAsTheyAre) {
  auto e = make(options());
  // Two requests' encodings one after the other: their merge, as the daemon's queue joins
  // its records.
  const std::string body = encode_protobuf(make_traces(3)) + encode_protobuf(make_traces(2));
  ExportTraceServiceRequest merged;
  ASSERT_TRUE(decode_protobuf(body, merged).ok());
  ExportOutcome out = e->export_protobuf(Signal::kTraces, body, 5, soon());
  EXPECT_EQ(out.delivered, 5u);
  auto got = rx.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].content_type, "application/x-protobuf");
  EXPECT_EQ(got[0].body_bytes, body.size());
  EXPECT_TRUE(same(got[0].traces, merged));
  EXPECT_EQ(e->counters().items_accepted.load(), 5u);
  EXPECT_EQ(e->counters().items_exported.load(), 5u);
}

TEST_F(HttpExporterTest, ProtobufBytesRefusedAsTooLargeAreSplitInHalves) {
  auto full = make_traces(8, 200);
  const std::string body = encode_protobuf(full);
  rx.set_max_body_bytes(body.size() / 2 + 100);  // whole: 413; halves fit
  auto e = make(options());
  ExportOutcome out = e->export_protobuf(Signal::kTraces, body, 8, soon());
  EXPECT_EQ(out.delivered, 8u);
  EXPECT_GE(e->counters().splits.load(), 1u);
  std::size_t spans = 0;
  for (const auto& r : rx.received())
    if (r.body_bytes <= body.size() / 2 + 100)
      spans += count_items(r.traces);
  EXPECT_EQ(spans, 8u);
  EXPECT_EQ(e->counters().items_exported.load(), 8u);
}

TEST_F(HttpExporterTest, ProtobufBytesOverTheSizeLimitOrToAJsonEndpointAreDecodedFirst) {
  const auto full = make_traces(16, 200);
  const std::string body = encode_protobuf(full);
  OtlpExporterOptions o = options();
  o.max_request_bytes = body.size() / 3;
  auto limited = make(o);
  EXPECT_EQ(limited->export_protobuf(Signal::kTraces, body, 16, soon()).delivered, 16u);
  for (const auto& r : rx.received())
    EXPECT_LE(r.body_bytes, o.max_request_bytes);
  EXPECT_GE(rx.request_count(), 3u);

  auto json = make(options(Protocol::kHttpJson));
  EXPECT_FALSE(json->accepts_encoded());
  EXPECT_EQ(json->export_protobuf(Signal::kTraces, body, 16, soon()).delivered, 16u);
  auto got = rx.received();
  EXPECT_EQ(got.back().content_type, "application/json");
  EXPECT_TRUE(same(got.back().traces, full));
}

TEST_F(HttpExporterTest, RequestOverTheSizeLimitIsNeverSentWhole) {
  OtlpExporterOptions o = options();
  auto full = make_traces(16, 200);
  std::string body;
  encode_protobuf_message(full, body);
  o.max_request_bytes = body.size() / 3;
  auto e = make(o);
  EXPECT_EQ(e->export_traces(full, soon()).delivered, 16u);
  std::size_t spans = 0;
  for (const auto& r : rx.received()) {
    EXPECT_LE(r.body_bytes, o.max_request_bytes);
    spans += count_items(r.traces);
  }
  EXPECT_EQ(spans, 16u);
  EXPECT_GE(rx.request_count(), 3u);
}

// A request the caller encoded itself goes out byte for byte; one the receiver refuses as
// too large, or over max_request_bytes, is parsed back and split like a message; with JSON
// the body is re-encoded.
TEST_F(HttpExporterTest, EncodedRequestsAreSentAsTheyAreAndSplitThroughTheMessage) {
  auto full = make_traces(8, 200);
  std::string body;
  encode_protobuf_message(full, body);
  {
    auto e = make(options());
    ASSERT_TRUE(e->accepts_encoded());
    ExportOutcome out = e->export_encoded_traces(body, 8, soon());
    EXPECT_EQ(out.delivered, 8u);
    ASSERT_EQ(rx.received().size(), 1u);
    EXPECT_TRUE(same(rx.received()[0].traces, full));
    EXPECT_EQ(rx.received()[0].body_bytes, body.size());
    EXPECT_EQ(e->counters().items_exported.load(), 8u);
  }
  {
    FakeOtlpHttpReceiver small;
    small.set_max_body_bytes(body.size() / 2 + 100);  // whole: 413; halves fit
    OtlpExporterOptions o = options();
    o.endpoint = small.url("/v1/traces");
    auto e = make(o);
    EXPECT_EQ(e->export_encoded_traces(body, 8, soon()).delivered, 8u);
    EXPECT_GE(e->counters().splits.load(), 1u);
  }
  {
    FakeOtlpHttpReceiver limited;
    OtlpExporterOptions o = options();
    o.endpoint = limited.url("/v1/traces");
    o.max_request_bytes = body.size() / 3;
    auto e = make(o);
    EXPECT_EQ(e->export_encoded_traces(body, 8, soon()).delivered, 8u);
    std::size_t spans = 0;
    for (const auto& r : limited.received()) {
      EXPECT_LE(r.body_bytes, o.max_request_bytes);
      spans += count_items(r.traces);
    }
    EXPECT_EQ(spans, 8u);
  }
  {
    FakeOtlpHttpReceiver json;
    OtlpExporterOptions o = options(Protocol::kHttpJson);
    o.endpoint = json.url("/v1/traces");
    auto e = make(o);
    EXPECT_FALSE(e->accepts_encoded());
    EXPECT_EQ(e->export_encoded_traces(body, 8, soon()).delivered, 8u);
    ASSERT_EQ(json.received().size(), 1u);
    EXPECT_TRUE(same(json.received()[0].traces, full));
    EXPECT_EQ(json.received()[0].content_type, "application/json");
  }
}

TEST_F(HttpExporterTest, SingleItemLargerThanTheLimitIsDroppedAndCounted) {
  OtlpExporterOptions o = options();
  o.max_request_bytes = 300;
  auto e = make(o);
  ExportOutcome out = e->export_traces(make_traces(2, 1000), soon());
  EXPECT_EQ(out.failed, 2u);
  EXPECT_EQ(e->counters().dropped(DropReason::kTooLarge), 2u);
  EXPECT_EQ(rx.request_count(), 0u);
}

TEST_F(HttpExporterTest, PartialSuccessCountsRejectedItemsWithoutRetry) {
  rx.script({Reply::partial(2, "2 spans had no name")});
  auto e = make(options());
  ExportOutcome out = e->export_traces(make_traces(5), soon());
  EXPECT_EQ(out.delivered, 3u);
  EXPECT_EQ(out.failed, 2u);
  EXPECT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(e->counters().items_rejected_partial.load(), 2u);
  EXPECT_NE(messages.all().find("2 spans had no name"), std::string::npos);
}

TEST_F(HttpExporterTest, PartialSuccessInJson) {
  rx.script({Reply::partial(1, "one log record was too old")});
  OtlpExporterOptions o = options(Protocol::kHttpJson);
  o.endpoint = rx.url("/v1/logs");
  auto e = make(o);
  ExportOutcome out = e->export_logs(make_logs(3), soon());
  EXPECT_EQ(out.delivered, 2u);
  EXPECT_NE(messages.all().find("too old"), std::string::npos);
}

TEST_F(HttpExporterTest, CircuitBreakerOpensAfterThreeUnauthorizedAndStopsSending) {
  rx.script({Reply::http(401), Reply::http(403), Reply::http(401)});
  auto e = make(options());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(e->export_traces(make_traces(1), soon()).failed, 1u);
  EXPECT_TRUE(e->circuit_open());
  EXPECT_EQ(e->counters().circuit_opened.load(), 1u);
  EXPECT_EQ(e->export_traces(make_traces(2), soon()).failed, 2u);
  EXPECT_EQ(rx.request_count(), 3u);  // nothing sent while open
  EXPECT_EQ(e->counters().dropped(DropReason::kCircuitOpen), 2u);
  EXPECT_EQ(e->counters().dropped(DropReason::kUnauthorized), 3u);
  EXPECT_NE(messages.all().find("circuit breaker open"), std::string::npos);
  e->reset_circuit_breaker();
  EXPECT_EQ(e->export_traces(make_traces(1), soon()).delivered, 1u);
  EXPECT_EQ(rx.request_count(), 4u);
}

TEST_F(HttpExporterTest, SecretsNeverAppearInDiagnostics) {
  const std::string token = "s3cr3t-b3arer-t0ken-4242";
  const std::string api_key = "k3y-abcdef-987654";
  // The receiver echoes the credentials back in its error bodies.
  rx.script({Reply::http(400, "bad auth header 'Bearer " + token + "' key=" + api_key),
             Reply::http(401, "token " + token + " expired"),
             Reply::partial(1, "rejected for key " + api_key)});
  OtlpExporterOptions o = options();
  o.headers = {{"authorization", "Bearer " + token}, {"x-api-key", api_key}};
  const std::string port = std::to_string(rx.port());
  o.endpoint = "http://operator:pa55w0rd-zz@127.0.0.1:" + port + "/v1/traces";
  auto e = make(o);
  (void)e->export_traces(make_traces(1), soon());
  (void)e->export_traces(make_traces(1), soon());
  (void)e->export_traces(make_traces(2), soon());
  e->reset_circuit_breaker();
  rx.script({Reply::http(401), Reply::http(401), Reply::http(401)});
  for (int i = 0; i < 3; ++i)
    (void)e->export_traces(make_traces(1), soon());

  const std::string all = messages.all();
  ASSERT_GE(messages.lines.size(), 5u) << all;
  EXPECT_EQ(all.find(token), std::string::npos) << all;
  EXPECT_EQ(all.find(api_key), std::string::npos) << all;
  EXPECT_EQ(all.find("pa55w0rd-zz"), std::string::npos) << all;
  EXPECT_NE(all.find("[REDACTED]"), std::string::npos) << all;
  // The headers did go out: the receiver saw them.
  EXPECT_EQ(rx.received()[0].headers["authorization"], "Bearer " + token);
  for (std::size_t r = 0; r < static_cast<std::size_t>(DropReason::kCount); ++r) {
    EXPECT_EQ(std::string(to_string(static_cast<DropReason>(r))).find(token), std::string::npos);
  }
}

TEST_F(HttpExporterTest, ShutdownInterruptsABackoffWait) {
  rx.script({Reply::http(503)});
  OtlpExporterOptions o = options();
  o.retry.initial_backoff = 30s;
  o.retry.max_backoff = 30s;
  auto e = make(o);
  std::atomic<bool> done{false};
  ExportOutcome out;
  std::thread t([&] {
    out = e->export_traces(make_traces(2), Clock::now() + 60s);
    done = true;
  });
  ASSERT_TRUE(rx.wait_for_requests(1, 10s));
  e->shutdown();
  t.join();
  EXPECT_TRUE(done);
  EXPECT_EQ(out.failed, 2u);
  EXPECT_EQ(e->counters().dropped(DropReason::kShutdown), 2u);
  EXPECT_EQ(e->export_traces(make_traces(1), soon()).failed, 1u);  // after shutdown: fast fail
}

TEST_F(HttpExporterTest, DestroyingTheExporterWaitsForCallsStillInside) {
  // Destroying the exporter while another thread is inside export_* must neither free
  // what that call uses (the sanitizer build checks) nor cut the call short.
  rx.script({Reply::ok().with_delay(300ms)});
  auto e = make(options());
  ExportOutcome out;
  std::thread t([&] { out = e->export_traces(make_traces(1), Clock::now() + 10s); });
  ASSERT_TRUE(rx.wait_for_requests(1, 10s));
  e.reset();  // the call above is still waiting for its reply
  t.join();
  EXPECT_EQ(out.delivered, 1u);
}

TEST_F(HttpExporterTest, ConcurrentRequestsAreCapped) {
  OtlpExporterOptions o = options();
  o.max_concurrent_requests = 2;
  std::vector<Reply> slow(6, Reply::ok().with_delay(100ms));
  rx.script(slow);
  auto e = make(o);
  std::vector<std::thread> threads;
  std::atomic<std::size_t> delivered{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] { delivered += e->export_traces(make_traces(1), soon()).delivered; });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(delivered.load(), 6u);
  // Each in-flight request holds one kept-alive connection: never more than the cap.
  EXPECT_LE(rx.connections_accepted(), 2u);
  EXPECT_GE(rx.connections_accepted(), 1u);
}

TEST(HttpExporterCreateTest, RejectsUnusableOptions) {
  OtlpExporterOptions o;
  o.endpoint = "ftp://collector/v1/traces";
  EXPECT_FALSE(OtlpExporter::create(o).ok());
  o.endpoint = "https://collector:4318/v1/traces";
  o.ca_file = "/nonexistent/ca.pem";
  auto r = OtlpExporter::create(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace edgetrace::otlp
