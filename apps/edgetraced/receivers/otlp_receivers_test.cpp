// OtlpHttpReceiver and OtlpGrpcReceiver over real sockets (raw HTTP/1.1, real grpc++ stubs)
// into an Intake test double that records what it got and answers as told, and once into
// the daemon's real QueueIntake, TelemetryQueue and an exporter: status codes, content
// types, bodies (Export responses and google.rpc.Status, decoded and checked), limits,
// back-pressure, CORS, and every signal reaching the Intake.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "net/net_test_support.hpp"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "pipeline/intake.hpp"
#include "pipeline/telemetry_queue.hpp"
#include "receivers/otlp_grpc.hpp"
#include "receivers/otlp_http.hpp"
#include "testing/gzip.hpp"
#include "testing/temp_dir.hpp"
#include "testing/test_certificates.hpp"
#include "testing/wait.hpp"
#include "tests/recording_exporter.hpp"

namespace edgetrace::daemon {
namespace {

using edgetrace::testing::gzip;
using namespace std::chrono_literals;
using net::testing_support::RawClient;
using net::testing_support::RawResponse;

namespace trace_v1 = opentelemetry::proto::collector::trace::v1;
namespace logs_v1 = opentelemetry::proto::collector::logs::v1;
namespace metrics_v1 = opentelemetry::proto::collector::metrics::v1;

// ---- Test data ---------------------------------------------------------------------------

otlp::TraceRequest traces(int spans, const std::string& prefix = "span") {
  otlp::TraceRequest r;
  auto* ss = r.add_resource_spans()->add_scope_spans();
  for (int i = 0; i < spans; ++i) {
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, static_cast<char>(i + 1)));
    s->set_span_id(std::string(8, static_cast<char>(i + 1)));
    s->set_name(prefix + std::to_string(i));
    s->set_start_time_unix_nano(1'700'000'000'000'000'000ull + static_cast<std::uint64_t>(i));
    s->set_end_time_unix_nano(1'700'000'000'000'000'100ull + static_cast<std::uint64_t>(i));
  }
  return r;
}

otlp::LogsRequest logs(int records) {
  otlp::LogsRequest r;
  auto* sl = r.add_resource_logs()->add_scope_logs();
  for (int i = 0; i < records; ++i)
    sl->add_log_records()->mutable_body()->set_string_value("log " + std::to_string(i));
  return r;
}

otlp::MetricsRequest metrics(const std::string& name) {
  otlp::MetricsRequest r;
  auto* m = r.add_resource_metrics()->add_scope_metrics()->add_metrics();
  m->set_name(name);
  m->mutable_gauge()->add_data_points()->set_as_int(42);
  return r;
}

// ---- Intake test double ----------------------------------------------------------------

// Like the daemon's QueueIntake without processors it takes protobuf requests as their
// bytes (set_takes_protobuf(false): decoded, as with processors); it records them decoded
// either way, and the bytes as given.
class RecordingIntake final : public Intake {
 public:
  IntakeResult accept(otlp::TraceRequest& r) override { return take(traces_, r, count(r)); }
  IntakeResult accept(otlp::LogsRequest& r) override { return take(logs_, r, count(r)); }
  IntakeResult accept(otlp::MetricsRequest& r) override { return take(metrics_, r, count(r)); }
  bool takes_protobuf(otlp::Signal) const override { return takes_protobuf_.load(); }
  IntakeResult accept_protobuf(otlp::Signal signal, std::string_view bytes,
                               const otlp::WireSummary& summary) override {
    {
      std::lock_guard lock(mu_);
      bodies_.emplace_back(bytes);
    }
    switch (signal) {
      case otlp::Signal::kTraces:
        return take(traces_, decoded<otlp::TraceRequest>(bytes), summary.items);
      case otlp::Signal::kLogs:
        return take(logs_, decoded<otlp::LogsRequest>(bytes), summary.items);
      case otlp::Signal::kMetrics:
        break;
    }
    return take(metrics_, decoded<otlp::MetricsRequest>(bytes), summary.items);
  }
  void set_takes_protobuf(bool takes) { takes_protobuf_.store(takes); }
  std::vector<std::string> bodies() const {
    std::lock_guard lock(mu_);
    return bodies_;
  }

  // What accept() answers from now on (accepted is filled in: the items minus `rejected`).
  void answer(core::Status status, std::uint64_t rejected = 0, std::string message = {}) {
    std::lock_guard lock(mu_);
    status_ = std::move(status);
    rejected_ = rejected;
    message_ = std::move(message);
  }
  std::vector<otlp::TraceRequest> traces() const {
    std::lock_guard lock(mu_);
    return traces_;
  }
  std::vector<otlp::LogsRequest> logs() const {
    std::lock_guard lock(mu_);
    return logs_;
  }
  std::vector<otlp::MetricsRequest> metrics() const {
    std::lock_guard lock(mu_);
    return metrics_;
  }
  std::size_t calls() const {
    std::lock_guard lock(mu_);
    return traces_.size() + logs_.size() + metrics_.size();
  }

 private:
  static std::uint64_t count(const otlp::TraceRequest& r) {
    std::uint64_t n = 0;
    for (const auto& rs : r.resource_spans())
      for (const auto& ss : rs.scope_spans())
        n += static_cast<std::uint64_t>(ss.spans_size());
    return n;
  }
  static std::uint64_t count(const otlp::LogsRequest& r) {
    std::uint64_t n = 0;
    for (const auto& rl : r.resource_logs())
      for (const auto& sl : rl.scope_logs())
        n += static_cast<std::uint64_t>(sl.log_records_size());
    return n;
  }
  static std::uint64_t count(const otlp::MetricsRequest& r) {
    std::uint64_t n = 0;
    for (const auto& rm : r.resource_metrics())
      for (const auto& sm : rm.scope_metrics())
        n += static_cast<std::uint64_t>(sm.metrics_size());
    return n;
  }
  template <typename Request>
  static Request decoded(std::string_view bytes) {
    Request r;
    EXPECT_TRUE(otlp::decode_protobuf(bytes, r).ok()) << "the receiver passed bytes on that "
                                                         "do not decode";
    return r;
  }
  template <typename Request>
  IntakeResult take(std::vector<Request>& into, const Request& r, std::uint64_t items) {
    std::lock_guard lock(mu_);
    into.push_back(r);
    IntakeResult result;
    result.status = status_;
    if (status_.ok()) {
      result.rejected = rejected_;
      result.message = message_;
      result.accepted = items - std::min(items, rejected_);
    }
    return result;
  }

  mutable std::mutex mu_;
  core::Status status_;
  std::uint64_t rejected_ = 0;
  std::string message_;
  std::vector<otlp::TraceRequest> traces_;
  std::vector<otlp::LogsRequest> logs_;
  std::vector<otlp::MetricsRequest> metrics_;
  std::vector<std::string> bodies_;
  std::atomic<bool> takes_protobuf_{true};
};

// ---- HTTP client -----------------------------------------------------------------------

RawResponse http_exchange(std::uint16_t port, const std::string& request) {
  RawClient client(port);
  if (!client.connected()) {
    ADD_FAILURE() << "connect to port " << port;
    return {};
  }
  (void)client.send(request);
  std::optional<RawResponse> reply = client.read_response(30s);
  if (!reply)
    ADD_FAILURE() << "no response";
  return reply ? *reply : RawResponse{};
}

RawResponse post(std::uint16_t port, std::string_view path, std::string_view content_type,
                 const std::string& body, const std::vector<std::string>& headers = {}) {
  std::string request =
      "POST " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!content_type.empty())
    request += "Content-Type: " + std::string(content_type) + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  for (const std::string& h : headers)
    request += h + "\r\n";
  request += "\r\n" + body;
  return http_exchange(port, request);
}

constexpr std::string_view kProtobuf = "application/x-protobuf";
constexpr std::string_view kJson = "application/json";

google::rpc::Status status_body(const RawResponse& r) {
  google::rpc::Status s;
  if (r.header("Content-Type") == kJson) {
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(r.body, &s).ok()) << r.body;
  } else {
    EXPECT_EQ(r.header("Content-Type"), kProtobuf);
    EXPECT_TRUE(s.ParseFromString(r.body));
  }
  return s;
}

std::chrono::milliseconds retry_delay_of(const google::rpc::Status& s) {
  for (const auto& any : s.details()) {
    google::rpc::RetryInfo info;
    if (any.UnpackTo(&info))
      return std::chrono::seconds(info.retry_delay().seconds()) +
             std::chrono::milliseconds(info.retry_delay().nanos() / 1'000'000);
  }
  ADD_FAILURE() << "no RetryInfo in the status details";
  return {};
}

std::string text(const Receiver& r) {
  MetricsText out;
  r.write_metrics(out);
  return out.text();
}

// ---- OTLP/HTTP -------------------------------------------------------------------------

class OtlpHttpTest : public ::testing::Test {
 protected:
  void start(OtlpHttpReceiverOptions options = {}) {
    options.listen = "127.0.0.1:0";
    receiver_ = std::make_unique<OtlpHttpReceiver>(std::move(options), intake_);
    const core::Status s = receiver_->start();
    ASSERT_TRUE(s.ok()) << s.to_string();
    ASSERT_NE(receiver_->port(), 0);
    ASSERT_TRUE(receiver_->ready());
  }
  std::uint16_t port() const { return receiver_->port(); }

  RecordingIntake intake_;
  std::unique_ptr<OtlpHttpReceiver> receiver_;
};

TEST_F(OtlpHttpTest, ProtobufTracesAreAnswered200InProtobufWithoutPartialSuccess) {
  start();
  const RawResponse r = post(port(), "/v1/traces", kProtobuf, otlp::encode_protobuf(traces(3)));
  ASSERT_EQ(r.status, 200) << r.head << r.body;
  EXPECT_EQ(r.header("Content-Type"), kProtobuf);
  otlp::TraceResponse response;
  ASSERT_TRUE(response.ParseFromString(r.body));
  EXPECT_FALSE(response.has_partial_success());  // "Full Success": MUST be unset
  const auto got = intake_.traces();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].SerializeAsString(), traces(3).SerializeAsString());
  const auto& c = receiver_->counters();
  EXPECT_EQ(c.requests_of(OtlpSignal::kTraces, otlp::Encoding::kProtobuf, OtlpOutcome::kAccepted),
            1u);
  EXPECT_EQ(c.items_accepted[0].load(), 3u);
  const std::string m = text(*receiver_);
  EXPECT_NE(m.find("edgetraced_otlp_requests_total{receiver=\"otlp_http\",signal=\"traces\","
                   "encoding=\"protobuf\",outcome=\"accepted\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(
      m.find("edgetraced_otlp_items_accepted_total{receiver=\"otlp_http\",signal=\"traces\"} 3"),
      std::string::npos)
      << m;
}

TEST_F(OtlpHttpTest, ProtobufBodiesReachTheIntakeAsReceivedWhenNoProcessorChangesThem) {
  start();
  // Two requests' encodings back to back: one valid request (their merge), whose bytes no
  // re-encoding would reproduce.
  const std::string body = otlp::encode_protobuf(traces(2)) + otlp::encode_protobuf(traces(3));
  const RawResponse r = post(port(), "/v1/traces", kProtobuf, body);
  ASSERT_EQ(r.status, 200) << r.head << r.body;
  ASSERT_EQ(intake_.bodies().size(), 1u);
  EXPECT_EQ(intake_.bodies()[0], body);
  EXPECT_EQ(receiver_->counters().items_accepted[0].load(), 5u);

  // With processors (the Intake wants messages) the same body is decoded.
  intake_.set_takes_protobuf(false);
  ASSERT_EQ(post(port(), "/v1/traces", kProtobuf, body).status, 200);
  EXPECT_EQ(intake_.bodies().size(), 1u);
  ASSERT_EQ(intake_.traces().size(), 2u);
  EXPECT_EQ(otlp::encode_protobuf(intake_.traces()[1]), otlp::encode_protobuf(intake_.traces()[0]));
  EXPECT_EQ(receiver_->counters().items_accepted[0].load(), 10u);
}

TEST_F(OtlpHttpTest, ProtobufWithInvalidUtf8Is400AndReachesNothing) {
  start();
  std::string body = otlp::encode_protobuf(traces(1, "name"));
  body[body.find("name0")] = '\xc0';  // Span.name is a proto3 string: UTF-8 required
  const RawResponse r = post(port(), "/v1/traces", kProtobuf, body);
  EXPECT_EQ(r.status, 400) << r.body;
  google::rpc::Status status;
  ASSERT_TRUE(status.ParseFromString(r.body));
  EXPECT_NE(status.message().find("UTF-8"), std::string::npos) << status.message();
  EXPECT_EQ(intake_.calls(), 0u);
}

TEST_F(OtlpHttpTest, JsonLogsAreAnsweredInJsonWhateverTheMediaTypeParameters) {
  start();
  const RawResponse r =
      post(port(), "/v1/logs", "Application/JSON; charset=utf-8", otlp::encode_json(logs(2)));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), kJson);
  auto response = otlp::decode_json<otlp::LogsResponse>(r.body);
  ASSERT_TRUE(response.ok()) << r.body;
  EXPECT_FALSE(response->has_partial_success());
  const auto got = intake_.logs();
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].resource_logs(0).scope_logs(0).log_records_size(), 2);
  EXPECT_EQ(got[0].resource_logs(0).scope_logs(0).log_records(1).body().string_value(), "log 1");
  EXPECT_EQ(receiver_->counters().requests_of(OtlpSignal::kLogs, otlp::Encoding::kJson,
                                              OtlpOutcome::kAccepted),
            1u);
}

TEST_F(OtlpHttpTest, MetricsAreForwardedToTheIntake) {
  start();
  const RawResponse r =
      post(port(), "/v1/metrics", kProtobuf, otlp::encode_protobuf(metrics("cpu.temp")));
  ASSERT_EQ(r.status, 200) << r.body;
  otlp::MetricsResponse response;
  ASSERT_TRUE(response.ParseFromString(r.body));
  const auto got = intake_.metrics();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].resource_metrics(0).scope_metrics(0).metrics(0).name(), "cpu.temp");
  EXPECT_EQ(got[0].resource_metrics(0).scope_metrics(0).metrics(0).gauge().data_points(0).as_int(),
            42);
}

TEST_F(OtlpHttpTest, GzipBodyIsInflated) {
  start();
  const std::string body = otlp::encode_protobuf(traces(5));
  const RawResponse r =
      post(port(), "/v1/traces", kProtobuf, gzip(body), {"Content-Encoding: gzip"});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto got = intake_.traces();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].SerializeAsString(), body);
}

TEST_F(OtlpHttpTest, GzipBombIs413AndReachesNothing) {
  start({.max_decompressed_bytes = 64 * 1024});
  // A valid request (one span whose name is 8 MiB of 'a') that deflates to a few KiB.
  otlp::TraceRequest big = traces(1);
  big.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->set_name(
      std::string(8u << 20, 'a'));
  const std::string bomb = gzip(otlp::encode_protobuf(big));
  ASSERT_LT(bomb.size(), 64u * 1024);
  const RawResponse r = post(port(), "/v1/traces", kProtobuf, bomb, {"Content-Encoding: gzip"});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(intake_.calls(), 0u);
  EXPECT_NE(text(*receiver_)
                .find("edgetraced_otlp_http_refused_total{receiver=\"otlp_http\",code=\"413\"} 1"),
            std::string::npos);
}

TEST_F(OtlpHttpTest, BodyOverTheLimitIs413AlsoWhenChunked) {
  start({.max_body_bytes = 1024});
  const std::string body = otlp::encode_protobuf(traces(40));
  ASSERT_GT(body.size(), 1024u);
  EXPECT_EQ(post(port(), "/v1/traces", kProtobuf, body).status, 413);

  char size[32];
  std::snprintf(size, sizeof size, "%zx", body.size());
  const RawResponse chunked =
      http_exchange(port(),
                    "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    "Content-Type: application/x-protobuf\r\nTransfer-Encoding: chunked\r\n\r\n" +
                        std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.status, 413);
  EXPECT_EQ(intake_.calls(), 0u);
  // Under the limit, the same path works.
  EXPECT_EQ(post(port(), "/v1/traces", kProtobuf, otlp::encode_protobuf(traces(1))).status, 200);
}

TEST_F(OtlpHttpTest, MalformedProtobufIs400WithAProtobufStatus) {
  start();
  const RawResponse r = post(port(), "/v1/traces", kProtobuf, std::string("\x0a\xff\xff\xff", 4));
  ASSERT_EQ(r.status, 400) << r.body;
  const google::rpc::Status s = status_body(r);
  EXPECT_EQ(s.code(), 3);  // INVALID_ARGUMENT
  EXPECT_FALSE(s.message().empty());
  EXPECT_EQ(intake_.calls(), 0u);
  EXPECT_EQ(receiver_->counters().requests_of(OtlpSignal::kTraces, otlp::Encoding::kProtobuf,
                                              OtlpOutcome::kInvalid),
            1u);
}

TEST_F(OtlpHttpTest, MalformedJsonIs400WithAJsonStatusNamingThePlace) {
  start();
  const RawResponse r =
      post(port(), "/v1/traces", kJson,
           R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abc"}]}]}]})");
  ASSERT_EQ(r.status, 400) << r.body;
  const google::rpc::Status s = status_body(r);
  EXPECT_EQ(s.code(), 3);
  EXPECT_NE(s.message().find("traceId"), std::string::npos) << s.message();
  EXPECT_EQ(post(port(), "/v1/logs", kJson, "{not json").status, 400);
  EXPECT_EQ(intake_.calls(), 0u);
}

TEST_F(OtlpHttpTest, OtherContentTypesAre415) {
  start();
  const std::string body = otlp::encode_protobuf(traces(1));
  for (std::string_view type : {"text/plain", "application/protobuf", ""}) {
    const RawResponse r = post(port(), "/v1/traces", type, body);
    EXPECT_EQ(r.status, 415) << type;
    EXPECT_NE(r.body.find("application/x-protobuf"), std::string::npos) << r.body;
  }
  EXPECT_EQ(receiver_->counters().unsupported_media_type.load(), 3u);
  EXPECT_EQ(intake_.calls(), 0u);
}

TEST_F(OtlpHttpTest, OtherMethodsAre405) {
  start();
  const RawResponse r = http_exchange(
      port(), "GET /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "POST");
}

TEST_F(OtlpHttpTest, RefusedItemsAreAPartialSuccessInTheRequestsEncoding) {
  start();
  intake_.answer({}, 3, "rate cap: 3 spans over 100/s");
  const RawResponse r = post(port(), "/v1/traces", kProtobuf, otlp::encode_protobuf(traces(5)));
  ASSERT_EQ(r.status, 200) << r.body;
  otlp::TraceResponse response;
  ASSERT_TRUE(response.ParseFromString(r.body));
  ASSERT_TRUE(response.has_partial_success());
  EXPECT_EQ(response.partial_success().rejected_spans(), 3);
  EXPECT_EQ(response.partial_success().error_message(), "rate cap: 3 spans over 100/s");

  const RawResponse j = post(port(), "/v1/logs", kJson, otlp::encode_json(logs(4)));
  ASSERT_EQ(j.status, 200) << j.body;
  EXPECT_EQ(j.header("Content-Type"), kJson);
  auto logs_response = otlp::decode_json<otlp::LogsResponse>(j.body);
  ASSERT_TRUE(logs_response.ok()) << j.body;
  EXPECT_EQ(logs_response->partial_success().rejected_log_records(), 3);

  const RawResponse m = post(port(), "/v1/metrics", kProtobuf, otlp::encode_protobuf(metrics("x")));
  otlp::MetricsResponse metrics_response;
  ASSERT_TRUE(metrics_response.ParseFromString(m.body));
  EXPECT_EQ(metrics_response.partial_success().rejected_data_points(), 3);

  const auto& c = receiver_->counters();
  EXPECT_EQ(c.requests_of(OtlpSignal::kTraces, otlp::Encoding::kProtobuf, OtlpOutcome::kPartial),
            1u);
  EXPECT_EQ(c.items_rejected[0].load(), 3u);
  EXPECT_EQ(c.items_accepted[0].load(), 2u);
}

TEST_F(OtlpHttpTest, FullQueueIs429WithRetryAfterAndRetryInfo) {
  start({.retry_after = 7s});
  intake_.answer(core::Status(core::StatusCode::kResourceExhausted, "queue full"));
  const RawResponse r = post(port(), "/v1/traces", kProtobuf, otlp::encode_protobuf(traces(2)));
  ASSERT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.header("Retry-After"), "7");
  const google::rpc::Status s = status_body(r);
  EXPECT_EQ(s.code(), 8);  // RESOURCE_EXHAUSTED
  EXPECT_NE(s.message().find("queue full"), std::string::npos);
  EXPECT_EQ(retry_delay_of(s), 7s);

  const RawResponse j = post(port(), "/v1/logs", kJson, otlp::encode_json(logs(1)));
  ASSERT_EQ(j.status, 429);
  EXPECT_EQ(retry_delay_of(status_body(j)), 7s);  // JSON Status with an Any detail
  EXPECT_EQ(receiver_->counters().requests_of(OtlpSignal::kTraces, otlp::Encoding::kProtobuf,
                                              OtlpOutcome::kExhausted),
            1u);
}

TEST_F(OtlpHttpTest, StoppingOrAFailedWriteIs503WithRetryAfter) {
  start({.retry_after = 3s});
  intake_.answer(core::Status(core::StatusCode::kUnavailable, "stopping"));
  const RawResponse r = post(port(), "/v1/metrics", kProtobuf, otlp::encode_protobuf(metrics("m")));
  ASSERT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.header("Retry-After"), "3");
  const google::rpc::Status s = status_body(r);
  EXPECT_EQ(s.code(), 14);  // UNAVAILABLE
  EXPECT_EQ(retry_delay_of(s), 3s);

  // A queue that failed to write (disk full): nothing was kept, the sender may retry.
  intake_.answer(core::Status(core::StatusCode::kDataLoss, "write failed: No space left"));
  const RawResponse io = post(port(), "/v1/logs", kJson, otlp::encode_json(logs(1)));
  EXPECT_EQ(io.status, 503);
  EXPECT_EQ(io.header("Retry-After"), "3");
  EXPECT_EQ(receiver_->counters().requests_of(OtlpSignal::kLogs, otlp::Encoding::kJson,
                                              OtlpOutcome::kUnavailable),
            1u);
}

TEST_F(OtlpHttpTest, CorsPreflightFromAnAllowedOriginOnlyAndHeadersOnResponses) {
  start({.cors_allowed_origins = {"https://app.example.com"}});
  const std::string preflight =
      "OPTIONS /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
      "Access-Control-Request-Method: POST\r\n"
      "Access-Control-Request-Headers: content-type\r\nOrigin: ";
  const RawResponse allowed = http_exchange(port(), preflight + "https://app.example.com\r\n\r\n");
  EXPECT_EQ(allowed.status, 204) << allowed.head;
  EXPECT_EQ(allowed.header("Access-Control-Allow-Origin"), "https://app.example.com");
  EXPECT_NE(allowed.header("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_NE(allowed.header("Access-Control-Allow-Headers").find("Content-Type"), std::string::npos);

  const RawResponse refused = http_exchange(port(), preflight + "https://evil.example.com\r\n\r\n");
  EXPECT_EQ(refused.status, 403);
  EXPECT_FALSE(refused.has_header("Access-Control-Allow-Origin"));

  const RawResponse r = post(port(), "/v1/traces", kJson, otlp::encode_json(traces(1)),
                             {"Origin: https://app.example.com"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "https://app.example.com");
  const RawResponse other = post(port(), "/v1/traces", kJson, otlp::encode_json(traces(1)),
                                 {"Origin: https://evil.example.com"});
  EXPECT_FALSE(other.has_header("Access-Control-Allow-Origin"));
}

TEST_F(OtlpHttpTest, NoCorsWithoutAllowedOrigins) {
  start();
  const RawResponse r = http_exchange(port(),
                                      "OPTIONS /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                      "Connection: close\r\nOrigin: https://app.example.com\r\n"
                                      "Access-Control-Request-Method: POST\r\n\r\n");
  EXPECT_EQ(r.status, 405);
  EXPECT_FALSE(r.has_header("Access-Control-Allow-Origin"));
}

TEST_F(OtlpHttpTest, ABusyPortFailsStartNamingTheReceiver) {
  start();
  OtlpHttpReceiver second({.listen = "127.0.0.1:" + std::to_string(port())}, intake_);
  const core::Status s = second.start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("receivers.otlp.http"), std::string::npos) << s.message();
}

// ---- Into the daemon's real pipeline ---------------------------------------------------

TEST(OtlpPipelineTest, AcceptedSpansAreInTheQueueAndExported) {
  edgetrace::testing::TempDir dir("et-otlp-receiver");
  testing::RecordingExporter exporter;
  TelemetryQueue queue(testing::test_queue_options((dir.path() / "queue").string(), 4 << 20),
                       {&exporter});
  ASSERT_TRUE(queue.open().ok());
  queue.start();
  QueueIntake intake(nullptr, queue);
  OtlpHttpReceiver http({.listen = "127.0.0.1:0"}, intake);
  OtlpGrpcReceiver grpc_receiver({.listen = "127.0.0.1:0"}, intake);
  ASSERT_TRUE(http.start().ok());
  ASSERT_TRUE(grpc_receiver.start().ok());

  const RawResponse r =
      post(http.port(), "/v1/traces", kProtobuf, otlp::encode_protobuf(traces(3, "http")));
  ASSERT_EQ(r.status, 200) << r.body;
  // 200 came after the append: the spans are already in the queue's files.
  EXPECT_EQ(queue.counters().spans_appended.load(), 3u);

  auto stub = trace_v1::TraceService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(grpc_receiver.port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 30s);
  otlp::TraceResponse response;
  ASSERT_TRUE(stub->Export(&context, traces(2, "grpc"), &response).ok());
  EXPECT_EQ(queue.counters().spans_appended.load(), 5u);

  ASSERT_TRUE(edgetrace::testing::wait_until([&] { return exporter.span_count() >= 5; }, 30s));
  std::vector<std::string> names = exporter.span_names();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"grpc0", "grpc1", "http0", "http1", "http2"}));
  http.stop();
  grpc_receiver.stop();
}

// ---- OTLP/gRPC -------------------------------------------------------------------------

class OtlpGrpcTest : public ::testing::Test {
 protected:
  void start(OtlpGrpcReceiverOptions options = {}) {
    options.listen = "127.0.0.1:0";
    receiver_ = std::make_unique<OtlpGrpcReceiver>(std::move(options), intake_);
    const core::Status s = receiver_->start();
    ASSERT_TRUE(s.ok()) << s.to_string();
    ASSERT_NE(receiver_->port(), 0);
    ASSERT_TRUE(receiver_->ready());
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(receiver_->port()),
                                   grpc::InsecureChannelCredentials());
  }
  static void deadline(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + 30s);
  }
  grpc::Status export_traces(const otlp::TraceRequest& request, otlp::TraceResponse& response,
                             bool compress = false) {
    grpc::ClientContext context;
    deadline(context);
    if (compress)
      context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    return trace_v1::TraceService::NewStub(channel_)->Export(&context, request, &response);
  }

  RecordingIntake intake_;
  std::unique_ptr<OtlpGrpcReceiver> receiver_;
  std::shared_ptr<grpc::Channel> channel_;
};

google::rpc::Status details_of(const grpc::Status& status) {
  google::rpc::Status details;
  EXPECT_TRUE(details.ParseFromString(status.error_details())) << "grpc-status-details-bin";
  EXPECT_EQ(details.code(), static_cast<int>(status.error_code()));
  return details;
}

TEST_F(OtlpGrpcTest, ExportIsOkAndReachesTheIntake) {
  start();
  otlp::TraceResponse response;
  const grpc::Status s = export_traces(traces(4), response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(response.has_partial_success());
  const auto got = intake_.traces();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].SerializeAsString(), traces(4).SerializeAsString());
  EXPECT_EQ(receiver_->counters().requests_of(OtlpSignal::kTraces, otlp::Encoding::kProtobuf,
                                              OtlpOutcome::kAccepted),
            1u);
  MetricsText out;
  receiver_->write_metrics(out);
  EXPECT_NE(out.text().find("edgetraced_otlp_items_accepted_total{receiver=\"otlp_grpc\","
                            "signal=\"traces\"} 4"),
            std::string::npos)
      << out.text();
  EXPECT_EQ(out.text().find("encoding=\"json\""), std::string::npos) << out.text();
}

TEST_F(OtlpGrpcTest, GzipCompressedExportIsInflated) {
  start();
  otlp::TraceResponse response;
  ASSERT_TRUE(export_traces(traces(3), response, /*compress=*/true).ok());
  ASSERT_EQ(intake_.traces().size(), 1u);
  EXPECT_EQ(intake_.traces()[0].SerializeAsString(), traces(3).SerializeAsString());
}

TEST_F(OtlpGrpcTest, LogsAndMetricsReachTheIntake) {
  start();
  {
    grpc::ClientContext context;
    deadline(context);
    otlp::LogsResponse response;
    ASSERT_TRUE(logs_v1::LogsService::NewStub(channel_)->Export(&context, logs(3), &response).ok());
  }
  {
    grpc::ClientContext context;
    deadline(context);
    otlp::MetricsResponse response;
    ASSERT_TRUE(metrics_v1::MetricsService::NewStub(channel_)
                    ->Export(&context, metrics("queue.depth"), &response)
                    .ok());
  }
  ASSERT_EQ(intake_.logs().size(), 1u);
  EXPECT_EQ(intake_.logs()[0].resource_logs(0).scope_logs(0).log_records_size(), 3);
  ASSERT_EQ(intake_.metrics().size(), 1u);
  EXPECT_EQ(intake_.metrics()[0].resource_metrics(0).scope_metrics(0).metrics(0).name(),
            "queue.depth");
}

TEST_F(OtlpGrpcTest, GarbageBytesAreInvalidArgument) {
  start();
  grpc::GenericStub stub(channel_);
  grpc::ClientContext context;
  deadline(context);
  const std::string garbage("\x0a\xff\xff\xff\xff\x0f", 6);
  grpc::Slice slice(garbage);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                 grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) { done.set_value(std::move(s)); });
  const grpc::Status s = done.get_future().get();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_FALSE(s.error_message().empty());
  EXPECT_EQ(details_of(s).message(), s.error_message());
  EXPECT_EQ(intake_.calls(), 0u);
  EXPECT_EQ(receiver_->counters().requests_of(OtlpSignal::kTraces, otlp::Encoding::kProtobuf,
                                              OtlpOutcome::kInvalid),
            1u);
}

TEST_F(OtlpGrpcTest, FullQueueIsResourceExhaustedWithRetryInfo) {
  start({.retry_delay = 1500ms});
  intake_.answer(core::Status(core::StatusCode::kResourceExhausted, "queue full"));
  otlp::TraceResponse response;
  const grpc::Status s = export_traces(traces(2), response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(s.error_message().find("queue full"), std::string::npos);
  EXPECT_EQ(retry_delay_of(details_of(s)), 1500ms);
}

TEST_F(OtlpGrpcTest, StoppingIsUnavailableWithRetryInfo) {
  start({.retry_delay = 2s});
  intake_.answer(core::Status(core::StatusCode::kUnavailable, "stopping"));
  otlp::TraceResponse response;
  const grpc::Status s = export_traces(traces(1), response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(retry_delay_of(details_of(s)), 2s);
}

TEST_F(OtlpGrpcTest, RefusedItemsAreAPartialSuccess) {
  start();
  intake_.answer({}, 3, "3 log records below min_severity");
  grpc::ClientContext context;
  deadline(context);
  otlp::LogsResponse response;
  ASSERT_TRUE(logs_v1::LogsService::NewStub(channel_)->Export(&context, logs(5), &response).ok());
  ASSERT_TRUE(response.has_partial_success());
  EXPECT_EQ(response.partial_success().rejected_log_records(), 3);
  EXPECT_EQ(response.partial_success().error_message(), "3 log records below min_severity");
  EXPECT_EQ(receiver_->counters().items_rejected[1].load(), 3u);
}

TEST_F(OtlpGrpcTest, MessageOverTheLimitIsRefusedAlsoWhenItInflatesPastIt) {
  start({.max_message_bytes = 64 * 1024});
  otlp::TraceRequest big = traces(1);
  big.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->set_name(
      std::string(1u << 20, 'a'));
  otlp::TraceResponse response;
  const grpc::Status plain = export_traces(big, response);
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(plain.error_details().empty());  // no RetryInfo: not retryable
  const grpc::Status compressed = export_traces(big, response, /*compress=*/true);
  EXPECT_EQ(compressed.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << compressed.error_message();
  EXPECT_EQ(intake_.calls(), 0u);
}

TEST(OtlpGrpcTlsTest, ServesOverTlsAndRefusesPlaintextAndUnreadableFiles) {
  edgetrace::testing::TempDir dir("et-otlp-grpc-tls");
  const std::string error = edgetrace::testing::make_test_certificates(dir.path());
  ASSERT_TRUE(error.empty()) << error;
  RecordingIntake intake;
  OtlpGrpcReceiverOptions options;
  options.listen = "127.0.0.1:0";
  options.tls.certificate_file = dir.file("server.pem");
  options.tls.private_key_file = dir.file("server.key");
  OtlpGrpcReceiver receiver(options, intake);
  const core::Status started = receiver.start();
  ASSERT_TRUE(started.ok()) << started.to_string();
  const std::string target = "127.0.0.1:" + std::to_string(receiver.port());

  grpc::SslCredentialsOptions ssl;
  std::ifstream ca(dir.file("ca.pem"));
  ssl.pem_root_certs.assign(std::istreambuf_iterator<char>(ca), {});
  auto tls_stub =
      trace_v1::TraceService::NewStub(grpc::CreateChannel(target, grpc::SslCredentials(ssl)));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 30s);
  otlp::TraceResponse response;
  const grpc::Status ok = tls_stub->Export(&context, traces(2), &response);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(intake.traces().size(), 1u);

  auto plain_stub = trace_v1::TraceService::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext plain_context;
  plain_context.set_deadline(std::chrono::system_clock::now() + 30s);
  EXPECT_FALSE(plain_stub->Export(&plain_context, traces(1), &response).ok());
  EXPECT_EQ(intake.traces().size(), 1u);

  options.tls.private_key_file = dir.file("missing.key");
  OtlpGrpcReceiver broken(options, intake);
  const core::Status s = broken.start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("receivers.otlp.grpc.tls.private_key_file"), std::string::npos)
      << s.message();
}

TEST_F(OtlpGrpcTest, ABusyPortFailsStartNamingTheReceiver) {
  start();
  OtlpGrpcReceiver second({.listen = "127.0.0.1:" + std::to_string(receiver_->port())}, intake_);
  const core::Status s = second.start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("receivers.otlp.grpc"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace edgetrace::daemon
