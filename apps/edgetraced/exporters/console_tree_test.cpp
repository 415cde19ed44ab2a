#include "exporters/console_tree.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "edgetrace/bridge/resource.hpp"
#include "edgetrace/otlp/model.hpp"

namespace edgetrace::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

namespace v1 = ::opentelemetry::proto;

constexpr std::uint64_t kT0 = 1'764'000'000'000'000'000ULL;  // 2025-11-24T16:00:00Z
constexpr std::uint64_t kMs = 1'000'000;
constexpr std::string_view kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";

std::string bytes(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

struct SpanSpec {
  std::string id{};      // 16 hex digits
  std::string parent{};  // "" for a root
  std::string name{};
  std::uint64_t start = 0;  // nanoseconds after kT0
  std::uint64_t end = 0;
  bool error = false;
  bool incomplete = false;
  std::uint32_t flags = 0x101;  // sampled, parent known to be local
  std::string trace = std::string(kTrace);
};

// One request from a device with the resource the bridge writes (bridge/resource.hpp).
otlp::TraceRequest request(const std::vector<SpanSpec>& specs, std::string_view device = "65740001",
                           std::int64_t boot = 1) {
  otlp::TraceRequest r;
  auto* rs = r.add_resource_spans();
  auto& attributes = *rs->mutable_resource()->mutable_attributes();
  otlp::add_string_attribute(attributes, "service.name", "sensor");
  if (!device.empty())
    otlp::add_string_attribute(attributes, "device.id", device);
  otlp::add_int_attribute(attributes, "edgetrace.device.boot_counter", boot);
  auto* scope = rs->add_scope_spans();
  for (const SpanSpec& s : specs) {
    auto* span = scope->add_spans();
    span->set_trace_id(bytes(s.trace));
    span->set_span_id(bytes(s.id));
    if (!s.parent.empty())
      span->set_parent_span_id(bytes(s.parent));
    span->set_flags(s.flags);
    span->set_name(s.name);
    span->set_start_time_unix_nano(kT0 + s.start);
    span->set_end_time_unix_nano(kT0 + s.end);
    if (s.error || s.incomplete)
      span->mutable_status()->set_code(v1::trace::v1::Status::STATUS_CODE_ERROR);
    if (s.incomplete) {
      auto* kv = span->add_attributes();
      kv->set_key("edgetrace.span.incomplete");
      kv->mutable_value()->set_bool_value(true);
    }
  }
  return r;
}

constexpr std::string_view kRoot = "a100000000000001";
constexpr std::string_view kRead = "b200000000000002";
constexpr std::string_view kI2cA = "c300000000000003";
constexpr std::string_view kI2cB = "c400000000000004";
constexpr std::string_view kReport = "d500000000000005";

SpanSpec root_span() {
  return {.id = std::string(kRoot), .name = "sample", .start = 0, .end = 12'400'000};
}

struct Console {
  explicit Console(ConsoleTreeOptions options = {}) : exporter(with_stream(options, &text)) {}
  static ConsoleTreeOptions with_stream(ConsoleTreeOptions o, std::ostream* s) {
    o.stream = s;
    return o;
  }
  ExportResult send(const otlp::TraceRequest& r) { return exporter.export_traces(r, {}); }
  // The output since the last take().
  std::string take() {
    std::string out = text.str();
    text.str("");
    return out;
  }
  std::string metrics() const {
    MetricsText m;
    exporter.write_metrics(m);
    return m.text();
  }
  std::ostringstream text;
  ConsoleTreeExporter exporter;
};

// The nested trace of the example, children first: the device emits a span when it exits.
void send_sample_trace(Console& c) {
  // The i2c transfers, latest first: the tree orders them by start time.
  ASSERT_EQ(c.send(request({{.id = std::string(kI2cB),
                             .parent = std::string(kRead),
                             .name = "i2c_transfer",
                             .start = 2'200'000,
                             .end = 4'200'000},
                            {.id = std::string(kI2cA),
                             .parent = std::string(kRead),
                             .name = "i2c_transfer",
                             .start = 200'000,
                             .end = 2'100'000}})),
            ExportResult::kDelivered);
  ASSERT_EQ(c.send(request({{.id = std::string(kRead),
                             .parent = std::string(kRoot),
                             .name = "read_sensor",
                             .start = 100'000,
                             .end = 4'200'000},
                            {.id = std::string(kReport),
                             .parent = std::string(kRoot),
                             .name = "sensor_report",
                             .start = 5'000'000,
                             .end = 5'800'000}})),
            ExportResult::kDelivered);
  ASSERT_THAT(c.take(), IsEmpty()) << "nothing is printed before the root arrives";
  ASSERT_EQ(c.send(request({root_span()})), ExportResult::kDelivered);
}

TEST(ConsoleTreeTest, PrintsNestedTraceWhenRootArrivesAfterChildren) {
  Console c;
  send_sample_trace(c);
  EXPECT_EQ(c.take(),
            "sample (total: 12.4ms)  device=65740001 boot=1\n"
            "├── read_sensor (4.10ms)\n"
            "│   ├── i2c_transfer (1.90ms)\n"
            "│   └── i2c_transfer (2.00ms)\n"
            "└── sensor_report (800µs)\n");
  const std::string m = c.metrics();
  EXPECT_THAT(m, HasSubstr("edgetraced_console_traces_printed_total{exporter=\"console\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("edgetraced_console_spans_printed_total{exporter=\"console\"} 5\n"));
  EXPECT_THAT(m, HasSubstr("edgetraced_console_buffered_spans{exporter=\"console\"} 0\n"));
}

TEST(ConsoleTreeTest, AsciiModeUsesPlainCharacters) {
  Console c({.ascii = true});
  send_sample_trace(c);
  EXPECT_EQ(c.take(),
            "sample (total: 12.4ms)  device=65740001 boot=1\n"
            "|-- read_sensor (4.10ms)\n"
            "|   |-- i2c_transfer (1.90ms)\n"
            "|   `-- i2c_transfer (2.00ms)\n"
            "`-- sensor_report (800us)\n");
}

TEST(ConsoleTreeTest, PrintsTraceSentInOneRequestRootFirst) {
  Console c;
  c.send(request({root_span(),
                  {.id = std::string(kRead),
                   .parent = std::string(kRoot),
                   .name = "read_sensor",
                   .start = 100'000,
                   .end = 4'200'000}}));
  EXPECT_EQ(c.take(),
            "sample (total: 12.4ms)  device=65740001 boot=1\n"
            "└── read_sensor (4.10ms)\n");
}

TEST(ConsoleTreeTest, DurationsInSecondsMillisecondsMicrosecondsAndNanoseconds) {
  for (const bool ascii : {false, true}) {
    Console c({.ascii = ascii});
    c.send(request({{.id = std::string(kRoot), .name = "boot", .start = 0, .end = 1'250'000'000},
                    {.id = std::string(kRead),
                     .parent = std::string(kRoot),
                     .name = "ms",
                     .start = 1,
                     .end = 1 + 12'400'000},
                    {.id = std::string(kI2cA),
                     .parent = std::string(kRoot),
                     .name = "us",
                     .start = 2,
                     .end = 2 + 850'000},
                    {.id = std::string(kI2cB),
                     .parent = std::string(kRoot),
                     .name = "ns",
                     .start = 3,
                     .end = 3 + 250},
                    // An end before the start (clock trouble) shows as zero, not as 584 years.
                    {.id = std::string(kReport),
                     .parent = std::string(kRoot),
                     .name = "backwards",
                     .start = 10,
                     .end = 4}}));
    const std::string us = ascii ? "us" : "µs";
    const std::string mid = ascii ? "|-- " : "├── ";
    const std::string last = ascii ? "`-- " : "└── ";
    EXPECT_EQ(c.take(), "boot (total: 1.25s)  device=65740001 boot=1\n" + mid + "ms (12.4ms)\n" +
                            mid + "us (850" + us + ")\n" + mid + "ns (250ns)\n" + last +
                            "backwards (0s)\n");
  }
}

TEST(ConsoleTreeTest, EqualStartTimesKeepTheOrderTheSpansEndedIn) {
  // A 1 kHz device clock: every span of the trace starts in the same tick. The bridge sends
  // them as they end (children first), which is the device's order among siblings.
  Console c;
  c.send(request({{.id = std::string(kI2cA), .parent = std::string(kRead), .name = "i2c_a"},
                  {.id = std::string(kI2cB), .parent = std::string(kRead), .name = "i2c_b"},
                  {.id = std::string(kRead), .parent = std::string(kRoot), .name = "read_sensor"},
                  {.id = std::string(kReport), .parent = std::string(kRoot), .name = "report"},
                  {.id = std::string(kRoot), .name = "sample"}}));
  EXPECT_EQ(c.take(),
            "sample (total: 0s)  device=65740001 boot=1\n"
            "├── read_sensor (0s)\n"
            "│   ├── i2c_a (0s)\n"
            "│   └── i2c_b (0s)\n"
            "└── report (0s)\n");
}

TEST(ConsoleTreeTest, MarksErrorAndIncompleteSpans) {
  Console c;
  c.send(request({{.id = std::string(kRoot), .name = "sample", .end = 3 * kMs, .error = true},
                  {.id = std::string(kRead),
                   .parent = std::string(kRoot),
                   .name = "read_sensor",
                   .start = 1 * kMs,
                   .end = 2 * kMs,
                   .incomplete = true},
                  {.id = std::string(kReport),
                   .parent = std::string(kRoot),
                   .name = "sensor_report",
                   .start = 2 * kMs,
                   .end = 3 * kMs}}));
  EXPECT_EQ(c.take(),
            "sample (total: 3.00ms) ERROR  device=65740001 boot=1\n"
            "├── read_sensor (1.00ms) ERROR INCOMPLETE\n"
            "└── sensor_report (1.00ms)\n");
}

TEST(ConsoleTreeTest, SpanWithRemoteParentIsTheRootOfItsDevicePart) {
  Console c;
  // The device's root continues a W3C traceparent from a gateway: its parent is elsewhere.
  c.send(request({{.id = std::string(kRoot),
                   .parent = "00f067aa0ba902b7",
                   .name = "handle_command",
                   .end = 2 * kMs,
                   .flags = 0x301}}));
  EXPECT_EQ(c.take(), "handle_command (total: 2.00ms)  device=65740001 boot=1\n");
}

TEST(ConsoleTreeTest, ShowsTheDeviceAndBootOfTheResourceTheBridgeBuilds) {
  // The resource exactly as the device bridge makes it, so a renamed attribute shows here.
  const core::Resource resource =
      bridge::device_resource({}, {.elf_name = "sensor", .build_id = {0xab, 0xcd}, .version = ""},
                              {.device_id = {0x65, 0x74, 0x00, 0x01}, .boot_counter = 7});
  otlp::TraceRequest r = request({root_span()});
  otlp::to_otlp_resource(resource, *r.mutable_resource_spans(0)->mutable_resource());
  Console c;
  c.send(r);
  EXPECT_EQ(c.take(), "sample (total: 12.4ms)  device=65740001 boot=7\n");
}

TEST(ConsoleTreeTest, ResourceWithoutDeviceShowsServiceName) {
  Console c;
  c.send(request({root_span()}, /*device=*/"", /*boot=*/3));
  EXPECT_EQ(c.take(), "sample (total: 12.4ms)  service=sensor boot=3\n");
}

TEST(ConsoleTreeTest, ChildArrivingAfterItsTraceWasPrintedIsOneLateLine) {
  Console c;
  c.send(request({root_span()}));
  c.take();
  c.send(request({{.id = std::string(kRead),
                   .parent = std::string(kRoot),
                   .name = "read_sensor",
                   .start = 1 * kMs,
                   .end = 2 * kMs,
                   .error = true}}));
  EXPECT_EQ(c.take(), "late: read_sensor (1.00ms) ERROR  trace=4bf92f35 parent=a1000000\n");
  EXPECT_THAT(c.metrics(),
              HasSubstr("edgetraced_console_late_spans_total{exporter=\"console\"} 1\n"));
  EXPECT_THAT(c.metrics(),
              HasSubstr("edgetraced_console_buffered_spans{exporter=\"console\"} 0\n"));
}

TEST(ConsoleTreeTest, FlushPrintsRootlessTracesAfterTheTimeoutMarkingMissingParents) {
  Console c({.root_timeout = std::chrono::seconds(10)});
  c.send(request({{.id = std::string(kI2cA),
                   .parent = std::string(kRead),
                   .name = "i2c_transfer",
                   .start = 200'000,
                   .end = 2'100'000},
                  {.id = std::string(kRead),
                   .parent = std::string(kRoot),
                   .name = "read_sensor",
                   .start = 100'000,
                   .end = 4'200'000},
                  {.id = std::string(kReport),
                   .parent = std::string(kRoot),
                   .name = "sensor_report",
                   .start = 5'000'000,
                   .end = 5'800'000}}));
  const auto now = otlp::Clock::now();
  EXPECT_EQ(c.exporter.flush(now), 0u) << "the root may still come";
  EXPECT_THAT(c.take(), IsEmpty());
  EXPECT_EQ(c.exporter.flush(now + std::chrono::seconds(11)), 1u);
  EXPECT_EQ(c.take(),
            "read_sensor (4.10ms) [parent a1000000 missing]  device=65740001 boot=1\n"
            "└── i2c_transfer (1.90ms)\n"
            "sensor_report (800µs) [parent a1000000 missing]  device=65740001 boot=1\n");
  const std::string m = c.metrics();
  EXPECT_THAT(
      m, HasSubstr("edgetraced_console_rootless_traces_printed_total{exporter=\"console\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("edgetraced_console_traces_printed_total{exporter=\"console\"} 0\n"));
  // The root arriving afterwards is a late line, not a second tree.
  c.send(request({root_span()}));
  EXPECT_EQ(c.take(), "late: sample (12.4ms)  trace=4bf92f35\n");
}

TEST(ConsoleTreeTest, ShutdownPrintsWhatIsBufferedThenRefuses) {
  Console c;
  c.send(request({{.id = std::string(kRead),
                   .parent = std::string(kRoot),
                   .name = "read_sensor",
                   .end = 1 * kMs}}));
  c.exporter.shutdown();
  EXPECT_EQ(c.take(), "read_sensor (1.00ms) [parent a1000000 missing]  device=65740001 boot=1\n");
  EXPECT_EQ(c.send(request({root_span()})), ExportResult::kRetryLater);
  EXPECT_THAT(c.take(), IsEmpty());
}

std::string trace_id(int i) {
  std::string id = "0000000000000000000000000000000" + std::to_string(i);
  return id.substr(id.size() - 32);
}

TEST(ConsoleTreeTest, OldestTraceEvictedAndCountedBeyondMaxTraces) {
  Console c({.max_traces = 2});
  for (int i = 1; i <= 3; ++i)
    c.send(request({{.id = std::string(kRead),
                     .parent = std::string(kRoot),
                     .name = "t" + std::to_string(i),
                     .end = 1 * kMs,
                     .trace = trace_id(i)},
                    {.id = std::string(kI2cA),
                     .parent = std::string(kRead),
                     .name = "child",
                     .end = 1 * kMs,
                     .trace = trace_id(i)}}));
  std::string m = c.metrics();
  EXPECT_THAT(m, HasSubstr("edgetraced_console_traces_evicted_total{exporter=\"console\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("edgetraced_console_spans_evicted_total{exporter=\"console\"} 2\n"));
  EXPECT_THAT(m, HasSubstr("edgetraced_console_buffered_spans{exporter=\"console\"} 4\n"));
  EXPECT_EQ(c.exporter.flush_all(), 2u);
  const std::string out = c.take();
  EXPECT_THAT(out, Not(HasSubstr("t1 ")));
  EXPECT_THAT(out, HasSubstr("t2 "));
  EXPECT_THAT(out, HasSubstr("t3 "));
}

TEST(ConsoleTreeTest, OldestTraceEvictedAndCountedBeyondMaxSpans) {
  Console c({.max_spans = 3});
  c.send(request({{.id = std::string(kRead),
                   .parent = std::string(kRoot),
                   .name = "first",
                   .end = 1 * kMs,
                   .trace = trace_id(1)},
                  {.id = std::string(kI2cA),
                   .parent = std::string(kRead),
                   .name = "child",
                   .end = 1 * kMs,
                   .trace = trace_id(1)}}));
  c.send(request({{.id = std::string(kRead),
                   .parent = std::string(kRoot),
                   .name = "second",
                   .end = 1 * kMs,
                   .trace = trace_id(2)},
                  {.id = std::string(kI2cA),
                   .parent = std::string(kRead),
                   .name = "child",
                   .end = 1 * kMs,
                   .trace = trace_id(2)}}));
  const std::string m = c.metrics();
  EXPECT_THAT(m, HasSubstr("edgetraced_console_traces_evicted_total{exporter=\"console\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("edgetraced_console_spans_evicted_total{exporter=\"console\"} 2\n"));
  c.exporter.flush_all();
  EXPECT_EQ(c.take(),
            "second (1.00ms) [parent a1000000 missing]  device=65740001 boot=1\n"
            "└── child (1.00ms)\n");
}

TEST(ConsoleTreeTest, ControlCharactersInNamesAreEscaped) {
  Console c;
  c.send(request({{.id = std::string(kRoot), .name = "a\nb\x1b[31mc\xff", .end = 1 * kMs}}));
  EXPECT_EQ(c.take(), "a\\nb\\x1b[31mc\xEF\xBF\xBD (total: 1.00ms)  device=65740001 boot=1\n");
}

TEST(ConsoleTreeTest, ParentCycleIsPrintedNotLooped) {
  Console c;
  c.send(request({{.id = std::string(kRead), .parent = std::string(kI2cA), .name = "x"},
                  {.id = std::string(kI2cA), .parent = std::string(kRead), .name = "y"}}));
  c.exporter.flush_all();
  EXPECT_EQ(c.take(),
            "x (0s) [parent cycle]  device=65740001 boot=1\n"
            "└── y (0s)\n");
}

otlp::LogsRequest log_request() {
  otlp::LogsRequest r;
  auto* record = r.add_resource_logs()->add_scope_logs()->add_log_records();
  record->set_time_unix_nano(kT0 + 123'456'000);
  record->set_severity_number(v1::logs::v1::SEVERITY_NUMBER_WARN);
  record->mutable_body()->set_string_value("battery low\n");
  record->set_trace_id(bytes(kTrace));
  record->set_span_id(bytes("00f067aa0ba902b7"));
  auto* plain = r.mutable_resource_logs(0)->mutable_scope_logs(0)->add_log_records();
  plain->set_observed_time_unix_nano(kT0);
  plain->set_severity_text("INFO");
  plain->mutable_body()->set_int_value(42);
  return r;
}

TEST(ConsoleTreeTest, LogsOptionPrintsEachRecordAsOneLine) {
  Console c({.logs = true});
  EXPECT_EQ(c.exporter.export_logs(log_request(), {}), ExportResult::kDelivered);
  EXPECT_EQ(c.take(),
            "2025-11-24T16:00:00.123456Z  WARN battery low\\n  trace=4bf92f35 span=00f067aa\n"
            "2025-11-24T16:00:00.000000Z  INFO 42\n");
  EXPECT_THAT(c.metrics(),
              HasSubstr("edgetraced_console_log_records_printed_total{exporter=\"console\"} 2\n"));
}

TEST(ConsoleTreeTest, LogsAreNotPrintedByDefault) {
  Console c;
  EXPECT_EQ(c.exporter.export_logs(log_request(), {}), ExportResult::kDelivered);
  EXPECT_THAT(c.take(), IsEmpty());
}

}  // namespace
}  // namespace edgetrace::daemon
