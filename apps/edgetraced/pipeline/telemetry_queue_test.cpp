#include "pipeline/telemetry_queue.hpp"

#include <gtest/gtest.h>

#include "testing/temp_dir.hpp"
#include "testing/wait.hpp"
#include "tests/recording_exporter.hpp"

namespace edgetrace::daemon {
namespace {

using namespace std::chrono_literals;
using testing::RecordingExporter;

otlp::TraceRequest one_span(const std::string& name) {
  otlp::TraceRequest r;
  auto* span = r.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_name(name);
  span->set_trace_id(std::string(16, '\x01'));
  span->set_span_id(std::string(8, '\x02'));
  return r;
}

otlp::LogsRequest one_log(int severity) {
  otlp::LogsRequest r;
  auto* lr = r.add_resource_logs()->add_scope_logs()->add_log_records();
  lr->set_severity_number(static_cast<opentelemetry::proto::logs::v1::SeverityNumber>(severity));
  lr->mutable_body()->set_string_value("hello");
  return r;
}

// Takes the queue's records as protobuf bytes, keeps them, and records their decoded form
// too (so the RecordingExporter's accessors still work).
class BytesExporter : public RecordingExporter {
 public:
  bool takes_protobuf(otlp::Signal) const override { return true; }
  ExportResult export_protobuf(otlp::Signal signal, const std::string& body, std::size_t items,
                               otlp::Deadline deadline) override {
    bodies.push_back(body);
    item_counts.push_back(items);
    if (signal == otlp::Signal::kTraces) {
      otlp::TraceRequest r;
      EXPECT_TRUE(otlp::decode_protobuf(body, r).ok());
      return export_traces(r, deadline);
    }
    otlp::LogsRequest r;
    EXPECT_TRUE(otlp::decode_protobuf(body, r).ok());
    return export_logs(r, deadline);
  }
  std::vector<std::string> bodies;
  std::vector<std::size_t> item_counts;
};

TelemetryQueueOptions options(const std::string& dir) {
  return testing::test_queue_options(dir);
}

TEST(TelemetryQueueTest, DeliversEveryAppendToEveryExporter) {
  edgetrace::testing::TempDir dir;
  RecordingExporter a, b;
  TelemetryQueue q(options((dir.path() / "q").string()), {&a, &b});
  ASSERT_TRUE(q.open().ok());
  q.start();
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(q.append(one_span("s" + std::to_string(i))).ok());
  ASSERT_TRUE(q.append(one_log(9)).ok());
  ASSERT_TRUE(q.wait_idle(std::chrono::steady_clock::now() + 10s));
  EXPECT_EQ(a.span_count(), 10u);
  EXPECT_EQ(b.span_count(), 10u);
  EXPECT_EQ(a.log_count(), 1u);
  const std::vector<std::string> names = {"s0", "s1", "s2", "s3", "s4",
                                          "s5", "s6", "s7", "s8", "s9"};
  EXPECT_EQ(a.span_names(), names);  // in append order
  EXPECT_EQ(b.span_names(), names);
  EXPECT_EQ(q.queue_counters().depth, 0u);
}

TEST(TelemetryQueueTest, KeepsRecordsWhileAnExporterRetriesAndDeliversEachOnceToTheOthers) {
  edgetrace::testing::TempDir dir;
  RecordingExporter healthy, down;
  down.answer(ExportResult::kRetryLater);
  TelemetryQueue q(options((dir.path() / "q").string()), {&healthy, &down});
  ASSERT_TRUE(q.open().ok());
  q.start();
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(q.append(one_span("s" + std::to_string(i))).ok());
  ASSERT_TRUE(edgetrace::testing::wait_until([&] { return down.calls() >= 3; }, 10s));
  EXPECT_EQ(q.queue_counters().depth, 5u);  // nothing acknowledged while one is down
  EXPECT_GE(q.counters().retries.load(), 2u);
  down.answer(ExportResult::kDelivered);
  ASSERT_TRUE(q.wait_idle(std::chrono::steady_clock::now() + 10s));
  EXPECT_EQ(down.span_count(), 5u);
  EXPECT_EQ(healthy.span_count(), 5u);  // not given the retried records again
  EXPECT_EQ(q.queue_counters().depth, 0u);
}

TEST(TelemetryQueueTest, RecordsLeftByAStoppedRunAreDeliveredByTheNext) {
  edgetrace::testing::TempDir dir;
  {
    RecordingExporter down;
    down.answer(ExportResult::kRetryLater);
    TelemetryQueue q(options((dir.path() / "q").string()), {&down});
    ASSERT_TRUE(q.open().ok());
    q.start();
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE(q.append(one_span("kept" + std::to_string(i))).ok());
    q.stop(std::chrono::steady_clock::now() + 50ms);
    EXPECT_FALSE(q.append(one_span("late")).ok());  // stopped: refused, not acknowledged
  }
  RecordingExporter up;
  TelemetryQueue q(options((dir.path() / "q").string()), {&up});
  ASSERT_TRUE(q.open().ok());
  q.start();
  ASSERT_TRUE(edgetrace::testing::wait_until([&] { return up.span_count() == 3; }, 10s));
  EXPECT_EQ(up.span_names(), (std::vector<std::string>{"kept0", "kept1", "kept2"}));
}

TEST(TelemetryQueueTest, BacklogGoesOutInFewRequestsPerSignal) {
  edgetrace::testing::TempDir dir;
  RecordingExporter e;
  e.answer(ExportResult::kRetryLater);  // a backlog builds while the backend is down
  TelemetryQueue q(options((dir.path() / "q").string()), {&e});
  ASSERT_TRUE(q.open().ok());
  q.start();
  // A device stream appends its spans and its logs alternately.
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(q.append(one_span("s" + std::to_string(i))).ok());
    ASSERT_TRUE(q.append(one_log(9)).ok());
  }
  ASSERT_TRUE(edgetrace::testing::wait_until([&] { return e.calls() >= 1; }, 10s));
  e.answer(ExportResult::kDelivered);
  ASSERT_TRUE(q.wait_idle(std::chrono::steady_clock::now() + 10s));
  EXPECT_EQ(e.span_count(), 20u);
  EXPECT_EQ(e.log_count(), 20u);
  // 40 records read in one batch (64): a request or two of each signal, not 40.
  EXPECT_LE(e.traces().size() + e.logs().size(), 8u);
  EXPECT_EQ(e.span_names().front(), "s0");
  EXPECT_EQ(e.span_names().back(), "s19");
}

TEST(TelemetryQueueTest, SignalsRetryIndependentlyAndNothingIsDeliveredTwice) {
  edgetrace::testing::TempDir dir;
  RecordingExporter e;
  e.answer_logs(ExportResult::kRetryLater);  // the backend takes spans, not logs, for a while
  TelemetryQueue q(options((dir.path() / "q").string()), {&e});
  ASSERT_TRUE(q.open().ok());
  q.start();
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(q.append(one_span("s" + std::to_string(i))).ok());
    ASSERT_TRUE(q.append(one_log(9)).ok());
  }
  ASSERT_TRUE(edgetrace::testing::wait_until([&] { return e.span_count() == 6u; }, 10s));
  ASSERT_TRUE(
      edgetrace::testing::wait_until([&] { return q.counters().retries.load() >= 3u; }, 10s));
  EXPECT_EQ(e.log_count(), 0u);
  // Nothing from the first log record on is acknowledged until the logs are out (a batch
  // read before the first log was appended may have been acknowledged: spans only).
  EXPECT_GE(q.queue_counters().depth, 11u);
  e.answer_logs(std::nullopt);
  ASSERT_TRUE(q.wait_idle(std::chrono::steady_clock::now() + 10s));
  EXPECT_EQ(e.log_count(), 6u);
  EXPECT_EQ(e.span_count(), 6u);  // the retries did not send the spans again
  EXPECT_EQ(q.queue_counters().depth, 0u);
}

TEST(TelemetryQueueTest, DroppedRecordsAreAcknowledgedNotRetried) {
  edgetrace::testing::TempDir dir;
  RecordingExporter refusing;
  refusing.answer(ExportResult::kDropped);
  TelemetryQueue q(options((dir.path() / "q").string()), {&refusing});
  ASSERT_TRUE(q.open().ok());
  q.start();
  ASSERT_TRUE(q.append(one_span("bad")).ok());
  ASSERT_TRUE(q.wait_idle(std::chrono::steady_clock::now() + 10s));
  EXPECT_EQ(refusing.calls(), 1);
  EXPECT_EQ(q.queue_counters().depth, 0u);
}

TEST(TelemetryQueueTest, ProtobufBytesGoFromReceiverToExporterUnchanged) {
  edgetrace::testing::TempDir dir;
  BytesExporter bytes;
  TelemetryQueue q(options((dir.path() / "q").string()), {&bytes});
  ASSERT_TRUE(q.open().ok());
  const std::string body = otlp::encode_protobuf(one_span("as-received"));
  otlp::WireSummary summary;
  summary.items = 1;
  ASSERT_TRUE(q.append_protobuf(otlp::Signal::kTraces, body, summary).ok());
  q.start();
  ASSERT_TRUE(q.wait_idle(std::chrono::steady_clock::now() + 10s));
  ASSERT_EQ(bytes.bodies.size(), 1u);
  EXPECT_EQ(bytes.bodies[0], body);  // byte for byte
  EXPECT_EQ(bytes.item_counts[0], 1u);
  EXPECT_EQ(q.counters().spans_appended.load(), 1u);
  EXPECT_EQ(q.queue_counters().depth, 0u);
}

TEST(TelemetryQueueTest, ProtobufRecordsOfAGroupGoOutAsOneRequestOrDecodedToOthers) {
  edgetrace::testing::TempDir dir;
  BytesExporter bytes;
  RecordingExporter decoded;                // takes no bytes: given decoded requests
  bytes.answer(ExportResult::kRetryLater);  // a backlog builds
  TelemetryQueue q(options((dir.path() / "q").string()), {&bytes, &decoded});
  ASSERT_TRUE(q.open().ok());
  q.start();
  std::string all;
  for (int i = 0; i < 5; ++i) {
    const std::string body = otlp::encode_protobuf(one_span("s" + std::to_string(i)));
    all += body;
    otlp::WireSummary summary;
    summary.items = 1;
    ASSERT_TRUE(q.append_protobuf(otlp::Signal::kTraces, body, summary).ok());
  }
  otlp::WireSummary log_summary;
  log_summary.items = 1;
  log_summary.max_severity = 17;
  ASSERT_TRUE(
      q.append_protobuf(otlp::Signal::kLogs, otlp::encode_protobuf(one_log(17)), log_summary).ok());
  ASSERT_TRUE(edgetrace::testing::wait_until([&] { return bytes.calls() >= 1; }, 10s));
  bytes.answer(ExportResult::kDelivered);
  ASSERT_TRUE(q.wait_idle(std::chrono::steady_clock::now() + 10s));
  EXPECT_EQ(bytes.span_count(), 5u);
  EXPECT_EQ(decoded.span_count(), 5u);
  EXPECT_EQ(decoded.log_count(), 1u);
  EXPECT_EQ(bytes.log_count(), 1u);
  // The spans' last delivery to the bytes exporter was their records concatenated (a merge
  // in protobuf), counted by the wire scan.
  bool whole_group = false;
  for (std::size_t i = 0; i < bytes.bodies.size(); ++i)
    if (bytes.bodies[i] == all && bytes.item_counts[i] == 5u)
      whole_group = true;
  EXPECT_TRUE(whole_group);
  EXPECT_EQ(q.queue_counters().depth, 0u);
}

TEST(TelemetryQueueTest, AProtobufRecordThatDoesNotDecodeIsCountedAndTheOthersDelivered) {
  edgetrace::testing::TempDir dir;
  BytesExporter bytes;
  TelemetryQueue q(options((dir.path() / "q").string()), {&bytes});
  ASSERT_TRUE(q.open().ok());
  otlp::WireSummary summary;
  summary.items = 1;
  ASSERT_TRUE(
      q.append_protobuf(otlp::Signal::kTraces, otlp::encode_protobuf(one_span("a")), summary).ok());
  // Bytes a receiver would never have passed (a truncated field), as a damaged record.
  ASSERT_TRUE(
      q.append_protobuf(otlp::Signal::kTraces, std::string("\x0a\x05\x12", 3), summary).ok());
  ASSERT_TRUE(
      q.append_protobuf(otlp::Signal::kTraces, otlp::encode_protobuf(one_span("b")), summary).ok());
  q.start();
  ASSERT_TRUE(q.wait_idle(std::chrono::steady_clock::now() + 10s));
  EXPECT_EQ(bytes.span_names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(q.counters().unreadable.load(), 1u);
}

}  // namespace
}  // namespace edgetrace::daemon
