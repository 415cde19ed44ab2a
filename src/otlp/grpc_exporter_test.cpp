// OtlpExporter over OTLP/gRPC against a real gRPC server on 127.0.0.1: the OTLP rules that
// are specific to gRPC status codes and RetryInfo.
#include <gtest/gtest.h>

#include <mutex>

#include "edgetrace/otlp/exporter.hpp"
#include "testing/fake_grpc_receiver.hpp"

namespace edgetrace::otlp {
namespace {

using namespace std::chrono_literals;
using testing::FakeOtlpGrpcReceiver;
using testing::FakeOtlpGrpcReceiverOptions;
using testing::Reply;

ExportTraceServiceRequest make_traces(int spans, std::size_t name_size = 8) {
  ExportTraceServiceRequest r;
  auto* ss = r.add_resource_spans()->add_scope_spans();
  for (int i = 0; i < spans; ++i) {
    auto* s = ss->add_spans();
    s->set_trace_id(std::string(16, static_cast<char>(i + 1)));
    s->set_span_id(std::string(8, static_cast<char>(i + 1)));
    s->set_name(std::to_string(i) + std::string(name_size, 'g'));
  }
  return r;
}

class GrpcExporterTest : public ::testing::Test {
 protected:
  std::unique_ptr<OtlpExporter> make(FakeOtlpGrpcReceiver& rx,
                                     std::function<void(OtlpExporterOptions&)> tweak = {}) {
    EXPECT_NE(rx.port(), 0) << rx.start_error();
    OtlpExporterOptions o;
    o.protocol = Protocol::kGrpc;
    o.endpoint = "http://" + rx.address();
    o.timeout = 5s;
    o.retry.initial_backoff = 10ms;
    o.retry.max_backoff = 50ms;
    if (tweak)
      tweak(o);
    auto e = OtlpExporter::create(o, [this](std::string_view m) {
      std::lock_guard<std::mutex> lock(mu);
      messages += std::string(m) + "\n";
    });
    EXPECT_TRUE(e.ok()) << e.status().to_string();
    return std::move(e).value();
  }
  static Deadline soon() { return Clock::now() + 10s; }

  std::mutex mu;
  std::string messages;
};

TEST_F(GrpcExporterTest, DeliversWithMetadataHeaders) {
  FakeOtlpGrpcReceiver rx;
  auto e = make(rx, [](OtlpExporterOptions& o) { o.headers = {{"x-tenant", "acme"}}; });
  EXPECT_EQ(e->export_traces(make_traces(3), soon()).delivered, 3u);
  auto got = rx.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(count_items(got[0].traces), 3u);
  EXPECT_EQ(got[0].headers["x-tenant"], "acme");
}

TEST_F(GrpcExporterTest, RetryableCodesAreRetried) {
  FakeOtlpGrpcReceiver rx;
  rx.script({Reply::grpc(14, "unavailable"), Reply::grpc(10, "aborted"), Reply::grpc(4),
             Reply::grpc(11), Reply::grpc(15), Reply::grpc(1), Reply::ok()});
  auto e = make(rx);
  EXPECT_EQ(e->export_traces(make_traces(1), soon()).delivered, 1u);
  EXPECT_EQ(rx.request_count(), 7u);
  EXPECT_EQ(e->counters().retries.load(), 6u);
}

TEST_F(GrpcExporterTest, ResourceExhaustedWithRetryInfoIsRetriedAfterTheServersDelay) {
  FakeOtlpGrpcReceiver rx;
  // Own backoff is a minute (beyond max_elapsed): only RetryInfo's 0 ms lets it retry.
  rx.script({Reply::grpc(8, "slow down").with_retry_info(0ms), Reply::ok()});
  auto e = make(rx, [](OtlpExporterOptions& o) {
    o.retry.initial_backoff = 60s;
    o.retry.max_backoff = 60s;
    o.retry.max_elapsed = 5s;
  });
  EXPECT_EQ(e->export_traces(make_traces(2), soon()).delivered, 2u);
  EXPECT_EQ(rx.request_count(), 2u);
  EXPECT_EQ(e->counters().splits.load(), 0u);
}

TEST_F(GrpcExporterTest, ResourceExhaustedWithoutRetryInfoSplitsTheBatch) {
  FakeOtlpGrpcReceiver rx;
  rx.script({Reply::grpc(8, "message too large")});
  auto e = make(rx);
  EXPECT_EQ(e->export_traces(make_traces(6), soon()).delivered, 6u);
  EXPECT_EQ(e->counters().splits.load(), 1u);
  auto got = rx.received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(count_items(got[1].traces) + count_items(got[2].traces), 6u);
}

TEST_F(GrpcExporterTest, OversizedRequestRefusedByTheServerIsSplit) {
  FakeOtlpGrpcReceiverOptions ro;
  auto full = make_traces(8, 400);
  ro.max_message_bytes = full.ByteSizeLong() / 2 + 200;
  FakeOtlpGrpcReceiver rx(ro);
  auto e = make(rx);
  EXPECT_EQ(e->export_traces(full, soon()).delivered, 8u);
  EXPECT_GE(e->counters().splits.load(), 1u);
  std::size_t spans = 0;
  for (const auto& r : rx.received())
    spans += count_items(r.traces);
  EXPECT_EQ(spans, 8u);
}

TEST_F(GrpcExporterTest, InvalidArgumentIsDroppedWithTheServersMessage) {
  FakeOtlpGrpcReceiver rx;
  rx.script({Reply::grpc(3, "span 0 has no trace id")});
  auto e = make(rx);
  EXPECT_EQ(e->export_traces(make_traces(2), soon()).failed, 2u);
  EXPECT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(e->counters().dropped(DropReason::kRejected), 2u);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_NE(messages.find("span 0 has no trace id"), std::string::npos) << messages;
}

TEST_F(GrpcExporterTest, UnauthenticatedOpensTheCircuitBreakerAndHidesTheToken) {
  FakeOtlpGrpcReceiver rx;
  const std::string token = "grpc-s3cr3t-0123456789";
  rx.script({Reply::grpc(16, "bad token " + token), Reply::grpc(7, "denied for " + token),
             Reply::grpc(16)});
  auto e = make(rx, [&](OtlpExporterOptions& o) {
    o.headers = {{"authorization", "Bearer " + token}};
  });
  for (int i = 0; i < 3; ++i)
    (void)e->export_traces(make_traces(1), soon());
  EXPECT_TRUE(e->circuit_open());
  EXPECT_EQ(e->export_traces(make_traces(1), soon()).failed, 1u);
  EXPECT_EQ(rx.request_count(), 3u);
  EXPECT_EQ(rx.received()[0].headers["authorization"], "Bearer " + token);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(messages.find(token), std::string::npos) << messages;
  EXPECT_NE(messages.find("circuit breaker open"), std::string::npos);
}

TEST_F(GrpcExporterTest, PartialSuccess) {
  FakeOtlpGrpcReceiver rx;
  rx.script({Reply::partial(1, "one span too old")});
  auto e = make(rx);
  ExportOutcome out = e->export_traces(make_traces(4), soon());
  EXPECT_EQ(out.delivered, 3u);
  EXPECT_EQ(e->counters().items_rejected_partial.load(), 1u);
  EXPECT_EQ(rx.request_count(), 1u);
}

}  // namespace
}  // namespace edgetrace::otlp
