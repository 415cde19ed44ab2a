// GrpcTransport against FakeOtlpGrpcReceiver over real sockets on 127.0.0.1: plaintext,
// gzip, TLS and mTLS (certificates made by the openssl CLI into a temporary directory when
// the suite starts), status classification, RetryInfo, partial success, deadlines and
// connection failures.
#include "internal/grpc_transport.hpp"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "testing/fake_grpc_receiver.hpp"
#include "testing/temp_dir.hpp"
#include "testing/test_certificates.hpp"

namespace edgetrace::otlp::internal {
namespace {

using namespace std::chrono_literals;
using edgetrace::testing::FakeOtlpGrpcReceiver;
using edgetrace::testing::FakeOtlpGrpcReceiverOptions;
using edgetrace::testing::ReceivedRequest;
using edgetrace::testing::Reply;
using google::protobuf::util::MessageDifferencer;

constexpr char kSecret[] = "Bearer s3cr3t-t0ken-value";

ExportTraceServiceRequest sample_traces() {
  ExportTraceServiceRequest request;
  auto* rs = request.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("checkout");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("edgetrace.test");
  for (int i = 0; i < 3; ++i) {
    auto* span = ss->add_spans();
    span->set_trace_id(std::string(16, static_cast<char>(0x10 + i)));
    span->set_span_id(std::string(8, static_cast<char>(0x20 + i)));
    span->set_name("span-" + std::to_string(i));
    span->set_start_time_unix_nano(1'700'000'000'000'000'000ULL + static_cast<unsigned>(i));
    span->set_end_time_unix_nano(1'700'000'000'100'000'000ULL);
    auto* a = span->add_attributes();
    a->set_key("http.response.status_code");
    a->mutable_value()->set_int_value(200 + i);
  }
  return request;
}

ExportLogsServiceRequest sample_logs() {
  ExportLogsServiceRequest request;
  auto* sl = request.add_resource_logs()->add_scope_logs();
  for (int i = 0; i < 2; ++i) {
    auto* record = sl->add_log_records();
    record->set_time_unix_nano(1'700'000'000'000'000'000ULL);
    record->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_WARN);
    record->set_severity_text("WARN");
    record->mutable_body()->set_string_value("disk almost full " + std::to_string(i));
  }
  return request;
}

ExportMetricsServiceRequest sample_metrics() {
  ExportMetricsServiceRequest request;
  auto* metric = request.add_resource_metrics()->add_scope_metrics()->add_metrics();
  metric->set_name("queue.depth");
  metric->set_unit("{item}");
  auto* point = metric->mutable_gauge()->add_data_points();
  point->set_time_unix_nano(1'700'000'000'000'000'000ULL);
  point->set_as_int(42);
  return request;
}

OtlpExporterOptions plaintext_options(const FakeOtlpGrpcReceiver& rx) {
  OtlpExporterOptions options;
  options.protocol = Protocol::kGrpc;
  options.endpoint = "http://" + rx.address();
  return options;
}

std::unique_ptr<GrpcTransport> make_transport(const OtlpExporterOptions& options) {
  core::Result<std::unique_ptr<GrpcTransport>> transport = GrpcTransport::create(options);
  EXPECT_TRUE(transport.ok()) << transport.status().to_string();
  if (!transport)
    return nullptr;
  return std::move(*transport);
}

TransportResponse export_once(GrpcTransport& transport, Signal signal,
                              const google::protobuf::Message& request,
                              std::chrono::milliseconds timeout = 10s) {
  core::Result<std::string> body = transport.encode(signal, request);
  EXPECT_TRUE(body.ok());
  if (!body)
    return {};
  return transport.send(signal, *body, Clock::now() + timeout);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---------------------------------------------------------------------------------------
// Endpoint parsing

TEST(GrpcEndpointTest, SchemeChoosesPlaintextOrTls) {
  auto plain = parse_grpc_endpoint("http://collector:4317", false);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->authority, "collector:4317");
  EXPECT_FALSE(plain->tls);

  auto tls = parse_grpc_endpoint("HTTPS://collector.example:443/", false);
  ASSERT_TRUE(tls.ok());
  EXPECT_EQ(tls->authority, "collector.example:443");
  EXPECT_TRUE(tls->tls);
}

TEST(GrpcEndpointTest, NoSchemeIsTlsUnlessInsecure) {
  auto secure = parse_grpc_endpoint("collector:4317", false);
  ASSERT_TRUE(secure.ok());
  EXPECT_TRUE(secure->tls);
  auto insecure = parse_grpc_endpoint("collector:4317", true);
  ASSERT_TRUE(insecure.ok());
  EXPECT_FALSE(insecure->tls);
}

TEST(GrpcEndpointTest, DefaultsPortAndIgnoresPath) {
  auto target = parse_grpc_endpoint("http://collector/v1/traces", false);
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->authority, "collector:4317");
  auto v6 = parse_grpc_endpoint("http://[::1]", false);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->authority, "[::1]:4317");
  auto v6_port = parse_grpc_endpoint("http://[::1]:5317", false);
  ASSERT_TRUE(v6_port.ok());
  EXPECT_EQ(v6_port->authority, "[::1]:5317");
}

TEST(GrpcEndpointTest, RefusesUserinfoAndOtherSchemesWithoutQuotingTheEndpoint) {
  auto userinfo = parse_grpc_endpoint("https://user:hunter2@collector:4317", false);
  ASSERT_FALSE(userinfo.ok());
  EXPECT_EQ(userinfo.status().message().find("hunter2"), std::string::npos);
  EXPECT_FALSE(parse_grpc_endpoint("ftp://collector:4317", false).ok());
  EXPECT_FALSE(parse_grpc_endpoint("http://", false).ok());
  EXPECT_FALSE(parse_grpc_endpoint("http://collector:port", false).ok());
}

TEST(GrpcEndpointTest, ExportMethodsAreTheOtlpServicePaths) {
  EXPECT_EQ(grpc_export_method(Signal::kTraces),
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export");
  EXPECT_EQ(grpc_export_method(Signal::kLogs),
            "/opentelemetry.proto.collector.logs.v1.LogsService/Export");
  EXPECT_EQ(grpc_export_method(Signal::kMetrics),
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export");
}

// ---------------------------------------------------------------------------------------
// Creation errors

TEST(GrpcTransportCreateTest, MissingCaFileIsACreationError) {
  OtlpExporterOptions options;
  options.protocol = Protocol::kGrpc;
  options.endpoint = "https://127.0.0.1:4317";
  options.ca_file = "/nonexistent/edgetrace/ca.pem";
  auto transport = GrpcTransport::create(options);
  ASSERT_FALSE(transport.ok());
  EXPECT_EQ(transport.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(transport.status().message().find("CA file"), std::string::npos);
  EXPECT_NE(transport.status().message().find("/nonexistent/edgetrace/ca.pem"), std::string::npos);
}

TEST(GrpcTransportCreateTest, ClientCertificateWithoutKeyIsACreationError) {
  OtlpExporterOptions options;
  options.protocol = Protocol::kGrpc;
  options.endpoint = "https://127.0.0.1:4317";
  options.client_certificate_file = "/nonexistent/client.pem";
  auto transport = GrpcTransport::create(options);
  ASSERT_FALSE(transport.ok());
  EXPECT_NE(transport.status().message().find("together"), std::string::npos);
}

TEST(GrpcTransportCreateTest, HeaderGrpcCannotCarryIsRefusedWithoutItsValue) {
  OtlpExporterOptions options;
  options.protocol = Protocol::kGrpc;
  options.endpoint = "http://127.0.0.1:4317";
  options.headers = {{"Authorization", std::string(kSecret) + "\n"}};
  auto transport = GrpcTransport::create(options);
  ASSERT_FALSE(transport.ok());
  EXPECT_NE(transport.status().message().find("authorization"), std::string::npos);
  EXPECT_EQ(transport.status().message().find("s3cr3t"), std::string::npos);

  options.headers = {{"bad header", "v"}};
  EXPECT_FALSE(GrpcTransport::create(options).ok());
}

TEST(GrpcTransportCreateTest, CertificateFilesAreIgnoredForPlaintext) {
  OtlpExporterOptions options;
  options.protocol = Protocol::kGrpc;
  options.endpoint = "http://127.0.0.1:4317";
  options.ca_file = "/nonexistent/edgetrace/ca.pem";
  auto transport = GrpcTransport::create(options);
  ASSERT_TRUE(transport.ok()) << transport.status().to_string();
  EXPECT_FALSE((*transport)->target().tls);
}

// ---------------------------------------------------------------------------------------
// Plaintext delivery

TEST(GrpcTransportTest, DeliversEverySignalIntactWithHeadersAsMetadata) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  OtlpExporterOptions options = plaintext_options(rx);
  options.headers = {{"Authorization", kSecret}, {"X-Tenant", "acme"}};
  auto transport = make_transport(options);
  ASSERT_NE(transport, nullptr);

  const auto traces = sample_traces();
  const auto logs = sample_logs();
  const auto metrics = sample_metrics();
  for (const auto& [signal, request] :
       {std::pair<Signal, const google::protobuf::Message*>{Signal::kTraces, &traces},
        {Signal::kLogs, &logs},
        {Signal::kMetrics, &metrics}}) {
    TransportResponse response = export_once(*transport, signal, *request);
    EXPECT_EQ(response.verdict.action, Action::kSuccess) << response.message;
    EXPECT_EQ(response.rejected_items, 0);
    EXPECT_EQ(response.message, "");
    EXPECT_EQ(response.bytes_sent, request->ByteSizeLong());
  }

  ASSERT_TRUE(rx.wait_for_requests(3, 10s));
  const std::vector<ReceivedRequest> got = rx.received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].path, grpc_export_method(Signal::kTraces));
  EXPECT_EQ(got[1].path, grpc_export_method(Signal::kLogs));
  EXPECT_EQ(got[2].path, grpc_export_method(Signal::kMetrics));
  EXPECT_TRUE(MessageDifferencer::Equals(got[0].traces, traces));
  EXPECT_TRUE(MessageDifferencer::Equals(got[1].logs, logs));
  EXPECT_TRUE(MessageDifferencer::Equals(got[2].metrics, metrics));
  for (const ReceivedRequest& r : got) {
    EXPECT_EQ(r.decode_error, "");
    EXPECT_FALSE(r.gzip);
    ASSERT_EQ(r.headers.count("authorization"), 1u);
    EXPECT_EQ(r.headers.at("authorization"), kSecret);
    ASSERT_EQ(r.headers.count("x-tenant"), 1u);
    EXPECT_EQ(r.headers.at("x-tenant"), "acme");
  }
}

TEST(GrpcTransportTest, EndpointWithoutSchemeIsPlaintextWhenInsecure) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  OtlpExporterOptions options;
  options.protocol = Protocol::kGrpc;
  options.endpoint = rx.address();
  options.insecure = true;
  auto transport = make_transport(options);
  ASSERT_NE(transport, nullptr);
  EXPECT_EQ(export_once(*transport, Signal::kTraces, sample_traces()).verdict.action,
            Action::kSuccess);
  EXPECT_EQ(rx.request_count(), 1u);
}

TEST(GrpcTransportTest, GzipRequestArrivesCompressedAndIntact) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  OtlpExporterOptions options = plaintext_options(rx);
  options.compression = Compression::kGzip;
  auto transport = make_transport(options);
  ASSERT_NE(transport, nullptr);

  const auto traces = sample_traces();
  TransportResponse response = export_once(*transport, Signal::kTraces, traces);
  EXPECT_EQ(response.verdict.action, Action::kSuccess) << response.message;
  ASSERT_TRUE(rx.wait_for_requests(1, 10s));
  const ReceivedRequest got = rx.received()[0];
  EXPECT_TRUE(got.gzip);
  EXPECT_LT(got.body_bytes, traces.ByteSizeLong());
  EXPECT_EQ(got.decode_error, "");
  EXPECT_TRUE(MessageDifferencer::Equals(got.traces, traces));
}

TEST(GrpcTransportTest, ReusesTheChannelAcrossSends) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  auto transport = make_transport(plaintext_options(rx));
  ASSERT_NE(transport, nullptr);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(export_once(*transport, Signal::kLogs, sample_logs()).verdict.action,
              Action::kSuccess);
  }
  EXPECT_EQ(rx.request_count(), 20u);
  EXPECT_EQ(rx.connection_count(), 1u);
}

TEST(GrpcTransportTest, ConcurrentSendsShareTheTransport) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  auto transport = make_transport(plaintext_options(rx));
  ASSERT_NE(transport, nullptr);
  const auto traces = sample_traces();
  constexpr int kThreads = 4;
  constexpr int kSendsPerThread = 25;
  std::vector<int> successes(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSendsPerThread; ++i) {
        if (export_once(*transport, Signal::kTraces, traces).verdict.action == Action::kSuccess)
          ++successes[static_cast<std::size_t>(t)];
      }
    });
  }
  for (std::thread& t : threads)
    t.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(successes[static_cast<std::size_t>(t)], kSendsPerThread);
  EXPECT_EQ(rx.request_count(), static_cast<std::size_t>(kThreads * kSendsPerThread));
  for (const ReceivedRequest& r : rx.received())
    EXPECT_TRUE(MessageDifferencer::Equals(r.traces, traces));
  EXPECT_EQ(rx.connection_count(), 1u);
}

// ---------------------------------------------------------------------------------------
// Status classification

TEST(GrpcTransportTest, EachStatusCodeGetsTheVerdictClassifyGrpcGives) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  std::vector<Reply> script;
  for (int code = 1; code <= 16; ++code)
    script.push_back(Reply::grpc(code, "status " + std::to_string(code)));
  rx.script(std::move(script));
  OtlpExporterOptions options = plaintext_options(rx);
  options.headers = {{"authorization", kSecret}};
  auto transport = make_transport(options);
  ASSERT_NE(transport, nullptr);

  for (int code = 1; code <= 16; ++code) {
    SCOPED_TRACE(code);
    TransportResponse response = export_once(*transport, Signal::kTraces, sample_traces());
    const Verdict expected = classify_grpc(static_cast<GrpcCode>(code), std::nullopt);
    EXPECT_EQ(response.verdict.action, expected.action) << to_string(response.verdict.action);
    EXPECT_FALSE(response.verdict.retry_after.has_value());
    EXPECT_EQ(response.message, "status " + std::to_string(code));
  }
  EXPECT_EQ(rx.request_count(), 16u);
}

TEST(GrpcTransportTest, RetryInfoDelayReachesTheVerdict) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  rx.script({Reply::grpc(14, "overloaded").with_retry_info(1500ms),
             Reply::grpc(8, "slow down").with_retry_info(250ms), Reply::grpc(8, "too big")});
  auto transport = make_transport(plaintext_options(rx));
  ASSERT_NE(transport, nullptr);

  TransportResponse unavailable = export_once(*transport, Signal::kTraces, sample_traces());
  EXPECT_EQ(unavailable.verdict.action, Action::kRetry);
  EXPECT_EQ(unavailable.verdict.retry_after, std::optional<std::chrono::milliseconds>(1500ms));
  EXPECT_EQ(unavailable.message, "overloaded");

  // RESOURCE_EXHAUSTED is retryable only with RetryInfo; without it, the batch is split.
  TransportResponse throttled = export_once(*transport, Signal::kLogs, sample_logs());
  EXPECT_EQ(throttled.verdict.action, Action::kRetry);
  EXPECT_EQ(throttled.verdict.retry_after, std::optional<std::chrono::milliseconds>(250ms));
  TransportResponse too_big = export_once(*transport, Signal::kMetrics, sample_metrics());
  EXPECT_EQ(too_big.verdict.action, Action::kSplit);
  EXPECT_FALSE(too_big.verdict.retry_after.has_value());
}

TEST(GrpcTransportTest, PartialSuccessFillsRejectedItemsAndMessage) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  rx.script({Reply::partial(2, "2 spans had no name"), Reply::partial(1, "1 record too old"),
             Reply::partial(1, "1 point out of range")});
  auto transport = make_transport(plaintext_options(rx));
  ASSERT_NE(transport, nullptr);

  TransportResponse traces = export_once(*transport, Signal::kTraces, sample_traces());
  EXPECT_EQ(traces.verdict.action, Action::kSuccess);
  EXPECT_EQ(traces.rejected_items, 2);
  EXPECT_EQ(traces.message, "2 spans had no name");
  TransportResponse logs = export_once(*transport, Signal::kLogs, sample_logs());
  EXPECT_EQ(logs.verdict.action, Action::kSuccess);
  EXPECT_EQ(logs.rejected_items, 1);
  EXPECT_EQ(logs.message, "1 record too old");
  TransportResponse metrics = export_once(*transport, Signal::kMetrics, sample_metrics());
  EXPECT_EQ(metrics.verdict.action, Action::kSuccess);
  EXPECT_EQ(metrics.rejected_items, 1);
  EXPECT_EQ(metrics.message, "1 point out of range");
}

TEST(GrpcTransportTest, ServerCancellationIsRetryable) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  rx.script({Reply::disconnect()});
  auto transport = make_transport(plaintext_options(rx));
  ASSERT_NE(transport, nullptr);
  EXPECT_EQ(export_once(*transport, Signal::kTraces, sample_traces()).verdict.action,
            Action::kRetry);
  // The channel recovers for the next request.
  EXPECT_EQ(export_once(*transport, Signal::kTraces, sample_traces()).verdict.action,
            Action::kSuccess);
}

// ---------------------------------------------------------------------------------------
// Deadlines and connection failures

TEST(GrpcTransportTest, ServerSlowerThanTheDeadlineGivesARetryVerdictByTheDeadline) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  // The second call is held until the server is stopped, which happens only after send()
  // returns: send() returning at all proves it gave up at its deadline.
  rx.script({Reply::ok(), Reply::ok().with_delay(std::chrono::hours(24))});
  auto transport = make_transport(plaintext_options(rx));
  ASSERT_NE(transport, nullptr);
  // A first call connects the channel, so that the deadline is spent waiting on the server.
  ASSERT_EQ(export_once(*transport, Signal::kTraces, sample_traces()).verdict.action,
            Action::kSuccess);

  TransportResponse response = export_once(*transport, Signal::kTraces, sample_traces(), 1s);
  EXPECT_EQ(response.verdict.action, Action::kRetry);
  EXPECT_FALSE(response.message.empty());
  EXPECT_TRUE(rx.wait_for_requests(2, 10s));  // the request reached the server, which held it
  rx.stop();                                  // only now may the held call be answered
}

TEST(GrpcTransportTest, DeadlineAlreadyPassedSendsNothing) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  auto transport = make_transport(plaintext_options(rx));
  ASSERT_NE(transport, nullptr);
  auto body = transport->encode(Signal::kTraces, sample_traces());
  ASSERT_TRUE(body.ok());
  TransportResponse response = transport->send(Signal::kTraces, *body, Clock::now() - 1ms);
  EXPECT_EQ(response.verdict.action, Action::kRetry);
  EXPECT_EQ(rx.request_count(), 0u);
}

TEST(GrpcTransportTest, FarDeadlineIsAcceptedAsIs) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  auto transport = make_transport(plaintext_options(rx));
  ASSERT_NE(transport, nullptr);
  auto body = transport->encode(Signal::kTraces, sample_traces());
  ASSERT_TRUE(body.ok());
  TransportResponse response = transport->send(Signal::kTraces, *body, Clock::time_point::max());
  EXPECT_EQ(response.verdict.action, Action::kSuccess) << response.message;
  EXPECT_EQ(rx.request_count(), 1u);
}

TEST(GrpcTransportTest, UnreachablePortIsARetryableConnectionFailure) {
  int closed_port = 0;
  {
    FakeOtlpGrpcReceiver rx;
    ASSERT_NE(rx.port(), 0) << rx.start_error();
    closed_port = rx.port();
  }
  OtlpExporterOptions options;
  options.protocol = Protocol::kGrpc;
  options.endpoint = "http://127.0.0.1:" + std::to_string(closed_port);
  options.headers = {{"authorization", kSecret}};
  auto transport = make_transport(options);
  ASSERT_NE(transport, nullptr);
  TransportResponse response = export_once(*transport, Signal::kTraces, sample_traces(), 5s);
  EXPECT_EQ(response.verdict.action, Action::kRetry);
  EXPECT_FALSE(response.message.empty());
  EXPECT_EQ(response.message.find("s3cr3t"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// The fake receiver itself

TEST(FakeOtlpGrpcReceiverTest, RecordsARequestItCannotDecode) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  auto transport = make_transport(plaintext_options(rx));
  ASSERT_NE(transport, nullptr);
  // Field 1 with wire type 7 (invalid), then a truncated length-delimited field.
  const std::string garbage("\x0f\xff\x0a\x7f", 4);
  TransportResponse response = transport->send(Signal::kLogs, garbage, Clock::now() + 10s);
  EXPECT_EQ(response.verdict.action, Action::kSuccess);
  ASSERT_TRUE(rx.wait_for_requests(1, 10s));
  const ReceivedRequest got = rx.received()[0];
  EXPECT_EQ(got.path, grpc_export_method(Signal::kLogs));
  EXPECT_FALSE(got.decode_error.empty());
  EXPECT_EQ(got.body_bytes, garbage.size());
}

TEST(FakeOtlpGrpcReceiverTest, DiscardModeCountsWithoutRecording) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  rx.set_discard(true);
  rx.script({Reply::partial(1, "still scripted")});
  auto transport = make_transport(plaintext_options(rx));
  ASSERT_NE(transport, nullptr);
  TransportResponse first = export_once(*transport, Signal::kTraces, sample_traces());
  EXPECT_EQ(first.rejected_items, 1);
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(export_once(*transport, Signal::kLogs, sample_logs()).verdict.action,
              Action::kSuccess);
  EXPECT_TRUE(rx.wait_for_requests(3, 10s));
  EXPECT_EQ(rx.request_count(), 3u);
  EXPECT_TRUE(rx.received().empty());
}

TEST(FakeOtlpGrpcReceiverTest, StopAnswersADelayedCallAtOnce) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  rx.script({Reply::partial(1, "late").with_delay(60s)});
  auto transport = make_transport(plaintext_options(rx));
  ASSERT_NE(transport, nullptr);

  TransportResponse response;
  std::thread exporter(
      [&] { response = export_once(*transport, Signal::kTraces, sample_traces(), 120s); });
  ASSERT_TRUE(rx.wait_for_requests(1, 10s));
  rx.stop();  // must not wait out the minute
  exporter.join();
  // The scripted reply was given, early, rather than the call being dropped.
  EXPECT_EQ(response.verdict.action, Action::kSuccess) << response.message;
  EXPECT_EQ(response.rejected_items, 1);
  EXPECT_EQ(response.message, "late");
}

// ---------------------------------------------------------------------------------------
// TLS and mTLS, with certificates made by the openssl CLI for this run.

class GrpcTransportTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new edgetrace::testing::TempDir("edgetrace-grpc-tls");
    ASSERT_FALSE(dir_->path().empty());
    const std::string error = edgetrace::testing::make_test_certificates(dir_->path());
    ASSERT_TRUE(error.empty()) << error;
  }

  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(dir_, nullptr);
    ASSERT_TRUE(std::filesystem::exists(path("client.pem"))) << "certificates missing";
  }

  static std::string path(const char* name) { return dir_->file(name); }

  static FakeOtlpGrpcReceiverOptions server_tls(bool require_client_certificate) {
    FakeOtlpGrpcReceiverOptions options;
    options.server_certificate_pem = read_file(path("server.pem"));
    options.server_key_pem = read_file(path("server.key"));
    if (require_client_certificate)
      options.client_ca_pem = read_file(path("ca.pem"));
    return options;
  }

  static OtlpExporterOptions tls_options(const FakeOtlpGrpcReceiver& rx) {
    OtlpExporterOptions options;
    options.protocol = Protocol::kGrpc;
    options.endpoint = "https://" + rx.address();
    options.ca_file = path("ca.pem");
    return options;
  }

  static inline edgetrace::testing::TempDir* dir_ = nullptr;
};

TEST_F(GrpcTransportTlsTest, DeliversOverTlsVerifiedWithTheCaFile) {
  FakeOtlpGrpcReceiver rx(server_tls(false));
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  OtlpExporterOptions options = tls_options(rx);
  options.headers = {{"authorization", kSecret}};
  auto transport = make_transport(options);
  ASSERT_NE(transport, nullptr);
  EXPECT_TRUE(transport->target().tls);

  const auto traces = sample_traces();
  TransportResponse response = export_once(*transport, Signal::kTraces, traces);
  EXPECT_EQ(response.verdict.action, Action::kSuccess) << response.message;
  ASSERT_TRUE(rx.wait_for_requests(1, 10s));
  const ReceivedRequest got = rx.received()[0];
  EXPECT_TRUE(MessageDifferencer::Equals(got.traces, traces));
  EXPECT_EQ(got.headers.at("authorization"), kSecret);
}

TEST_F(GrpcTransportTlsTest, EndpointWithoutSchemeUsesTlsByDefault) {
  FakeOtlpGrpcReceiver rx(server_tls(false));
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  OtlpExporterOptions options = tls_options(rx);
  options.endpoint = rx.address();
  auto transport = make_transport(options);
  ASSERT_NE(transport, nullptr);
  EXPECT_TRUE(transport->target().tls);
  EXPECT_EQ(export_once(*transport, Signal::kLogs, sample_logs()).verdict.action, Action::kSuccess);
  EXPECT_EQ(rx.request_count(), 1u);
}

TEST_F(GrpcTransportTlsTest, ServerSignedByAnotherCaIsARetryableFailureAndGetsNothing) {
  FakeOtlpGrpcReceiver rx(server_tls(false));
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  OtlpExporterOptions options = tls_options(rx);
  options.ca_file = path("other-ca.pem");
  auto transport = make_transport(options);
  ASSERT_NE(transport, nullptr);
  TransportResponse response = export_once(*transport, Signal::kTraces, sample_traces(), 5s);
  EXPECT_EQ(response.verdict.action, Action::kRetry);
  EXPECT_EQ(rx.request_count(), 0u);
}

TEST_F(GrpcTransportTlsTest, MutualTlsPresentsTheClientCertificate) {
  FakeOtlpGrpcReceiver rx(server_tls(true));
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  OtlpExporterOptions options = tls_options(rx);
  options.client_certificate_file = path("client.pem");
  options.client_key_file = path("client.key");
  auto transport = make_transport(options);
  ASSERT_NE(transport, nullptr);

  const auto metrics = sample_metrics();
  TransportResponse response = export_once(*transport, Signal::kMetrics, metrics);
  EXPECT_EQ(response.verdict.action, Action::kSuccess) << response.message;
  ASSERT_TRUE(rx.wait_for_requests(1, 10s));
  EXPECT_TRUE(MessageDifferencer::Equals(rx.received()[0].metrics, metrics));
}

TEST_F(GrpcTransportTlsTest, MutualTlsWithoutClientCertificateIsRefused) {
  FakeOtlpGrpcReceiver rx(server_tls(true));
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  auto transport = make_transport(tls_options(rx));
  ASSERT_NE(transport, nullptr);
  TransportResponse response = export_once(*transport, Signal::kMetrics, sample_metrics(), 5s);
  EXPECT_EQ(response.verdict.action, Action::kRetry);
  EXPECT_EQ(rx.request_count(), 0u);
}

TEST_F(GrpcTransportTlsTest, UnreadableClientKeyIsACreationError) {
  OtlpExporterOptions options;
  options.protocol = Protocol::kGrpc;
  options.endpoint = "https://127.0.0.1:4317";
  options.ca_file = path("ca.pem");
  options.client_certificate_file = path("client.pem");
  options.client_key_file = path("no-such-client.key");
  auto transport = GrpcTransport::create(options);
  ASSERT_FALSE(transport.ok());
  EXPECT_NE(transport.status().message().find("client key file"), std::string::npos);

  options.client_key_file = path("server.ext");  // readable, but not PEM
  transport = GrpcTransport::create(options);
  ASSERT_FALSE(transport.ok());
  EXPECT_NE(transport.status().message().find("no PEM"), std::string::npos);
}

}  // namespace
}  // namespace edgetrace::otlp::internal
