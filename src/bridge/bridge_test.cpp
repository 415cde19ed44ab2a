// StreamBridge against real device output: the device library writes the frames (on a
// manual clock), the product decoder reads them, the bridge turns them into OTLP.
#include "edgetrace/bridge/bridge.hpp"
#include "edgetrace/core/ids.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "edgetrace/bridge/ids.hpp"
#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/edgetrace_decoder.hpp"
#include "edgetrace/device/device.hpp"
#include "testing/device_fixture.hpp"
#include "testing/golden_vectors.hpp"

namespace edgetrace::bridge {
namespace {

namespace otlp_proto = ::opentelemetry::proto;
using Span = otlp_proto::trace::v1::Span;
using LogRecord = otlp_proto::logs::v1::LogRecord;

constexpr std::uint64_t kT0 = 1'800'000'000'000'000'000;  // 2027-01-15, the capture anchor
using testing::g_ticks;
const std::vector<std::uint8_t> kDevice = {0xde, 0xad, 0xbe, 0xef};  // DeviceFixture's id

std::string hex(const std::string& bytes) {
  return core::to_hex(bytes);
}

const otlp_proto::common::v1::AnyValue* attribute(
    const google::protobuf::RepeatedPtrField<otlp_proto::common::v1::KeyValue>& kvs,
    std::string_view key) {
  for (const auto& kv : kvs)
    if (kv.key() == key)
      return &kv.value();
  return nullptr;
}

struct Collected {
  std::vector<Span> spans;
  std::vector<LogRecord> logs;
  std::vector<otlp_proto::resource::v1::Resource> span_resources;  // per span
  std::string wire;  // every batch, protobuf-encoded, concatenated
  int batches = 0;

  const Span& span(std::string_view name) const {
    for (const Span& s : spans)
      if (s.name() == name)
        return s;
    ADD_FAILURE() << "no span " << name;
    static const Span kNone;
    return kNone;
  }
  const LogRecord& log(std::string_view body) const {
    for (const LogRecord& l : logs)
      if (l.body().string_value() == body)
        return l;
    ADD_FAILURE() << "no log " << body;
    static const LogRecord kNone;
    return kNone;
  }
};

class BridgeTest : public testing::DeviceFixture {
 protected:
  BridgeOptions capture_options() {
    BridgeOptions o;
    o.time = TimeMode::kAnchored;
    o.anchor_unix_nanos = kT0;
    o.firmware.elf_name = "bridge_test.elf";
    return o;
  }

  // Decodes the captured bytes (fed `chunk` bytes at a time) through a new bridge.
  Collected run(BridgeOptions o, std::size_t chunk = 0, bool end = true,
                std::vector<std::uint8_t>* bytes = nullptr) {
    table_ = testing::own_device_table();
    decoder::StreamDecoder d(table_);
    Collected c;
    StreamBridge b(std::move(o), [&c](Batch& batch) {
      ++c.batches;
      c.wire += otlp::encode_protobuf(batch.traces);
      c.wire += otlp::encode_protobuf(batch.logs);
      for (const auto& rs : batch.traces.resource_spans())
        for (const auto& ss : rs.scope_spans())
          for (const auto& s : ss.spans()) {
            c.spans.push_back(s);
            c.span_resources.push_back(rs.resource());
          }
      for (const auto& rl : batch.logs.resource_logs())
        for (const auto& sl : rl.scope_logs())
          for (const auto& l : sl.log_records())
            c.logs.push_back(l);
    });
    const std::vector<std::uint8_t>& in = bytes != nullptr ? *bytes : capture_.bytes;
    const std::size_t step = chunk == 0 ? in.size() : chunk;
    for (std::size_t at = 0; at < in.size(); at += step) {
      const std::span<const std::uint8_t> part(in.data() + at, std::min(step, in.size() - at));
      d.feed(part, [&](const decoder::Record& r) { b.add(r, d.counters(), 0); });
    }
    d.finish([&](const decoder::Record& r) { b.add(r, d.counters(), 0); });
    b.note_counters(d.counters());
    if (end)
      b.end_stream();
    b.flush();
    counters_ = b.counters();
    return c;
  }

  BridgeCounters counters_;
};

TEST_F(BridgeTest, RebuildsTheSpanTreeAndCorrelatesLogs) {
  init();  // handshake at tick 1000 (1 MHz): the anchor
  ETD_INFO("before {}", 1);
  {
    ETD_SPAN("request");
    g_ticks += 100;
    ETD_INFO("in root {}", 2);
    {
      ETD_SPAN("child");
      g_ticks += 50;
      ETD_INFO("in child {}", 3);
    }
    ETD_INFO("after child {}", 4);
    g_ticks += 10;
  }
  ETD_INFO("after {}", 5);

  const Collected c = run(capture_options());
  ASSERT_EQ(c.spans.size(), 2u);
  const std::string trace = derive_trace_id(kDevice, 7, 1).to_hex();
  const std::string root_id = derive_span_id(kDevice, 7, 1).to_hex();
  const std::string child_id = derive_span_id(kDevice, 7, 2).to_hex();

  const Span& request = c.span("request");
  EXPECT_EQ(hex(request.trace_id()), trace);
  EXPECT_EQ(hex(request.span_id()), root_id);
  EXPECT_TRUE(request.parent_span_id().empty());
  EXPECT_EQ(request.start_time_unix_nano(), kT0);
  EXPECT_EQ(request.end_time_unix_nano(), kT0 + 160'000);
  EXPECT_EQ(request.kind(), Span::SPAN_KIND_INTERNAL);
  EXPECT_EQ(request.flags(), 0x101u);  // sampled, parent known to be local

  const Span& child = c.span("child");
  EXPECT_EQ(hex(child.trace_id()), trace);
  EXPECT_EQ(hex(child.span_id()), child_id);
  EXPECT_EQ(hex(child.parent_span_id()), root_id);
  EXPECT_EQ(child.start_time_unix_nano(), kT0 + 100'000);
  EXPECT_EQ(child.end_time_unix_nano(), kT0 + 150'000);
  ASSERT_NE(attribute(child.attributes(), "code.file.path"), nullptr);

  EXPECT_TRUE(c.log("before 1").trace_id().empty());
  EXPECT_TRUE(c.log("after 5").trace_id().empty());
  EXPECT_EQ(hex(c.log("in root 2").trace_id()), trace);
  EXPECT_EQ(hex(c.log("in root 2").span_id()), root_id);
  EXPECT_EQ(hex(c.log("in child 3").span_id()), child_id);
  EXPECT_EQ(hex(c.log("after child 4").span_id()), root_id);
  EXPECT_EQ(c.log("in child 3").time_unix_nano(), kT0 + 150'000);
  EXPECT_EQ(c.log("in child 3").severity_text(), "INFO");
  ASSERT_NE(attribute(c.log("in child 3").attributes(), "arg0"), nullptr);
  EXPECT_EQ(attribute(c.log("in child 3").attributes(), "arg0")->int_value(), 3);
  EXPECT_EQ(counters_.logs_correlation_guessed, 0u);
  EXPECT_EQ(counters_.incomplete_spans, 0u);

  for (const LogRecord& l : c.logs)
    EXPECT_GE(l.time_unix_nano(), kT0);
  const auto& resource = c.span_resources.at(0);
  EXPECT_EQ(attribute(resource.attributes(), "service.name")->string_value(), "bridge_test");
  EXPECT_EQ(attribute(resource.attributes(), "device.id")->string_value(), "deadbeef");
  EXPECT_EQ(attribute(resource.attributes(), "edgetrace.device.boot_counter")->int_value(), 7);
}

TEST_F(BridgeTest, ASpanWithARemoteParentJoinsThatTrace) {
  init();
  et_remote_parent remote{};
  const char* traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ASSERT_EQ(et_remote_parent_parse(&remote, traceparent, std::strlen(traceparent)), 1);
  {
    ETD_SPAN_REMOTE("command", remote);
    ETD_INFO("inside {}", 1);  // the device has not said yet that this trace is remote
    { ETD_SPAN("step"); }
    ETD_INFO("later {}", 2);
  }
  const Collected c = run(capture_options());
  const Span& command = c.span("command");
  EXPECT_EQ(hex(command.trace_id()), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(hex(command.parent_span_id()), "00f067aa0ba902b7");
  EXPECT_EQ(command.flags(), 0x301u);  // sampled, parent remote
  EXPECT_EQ(hex(c.span("step").trace_id()), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(c.span("step").parent_span_id(), command.span_id());
  // Held until the step's exit named the trace, then released with the right ids.
  EXPECT_EQ(hex(c.log("inside 1").trace_id()), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(c.log("inside 1").span_id(), command.span_id());
  EXPECT_EQ(hex(c.log("later 2").trace_id()), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_GE(counters_.logs_held, 1u);
  EXPECT_EQ(counters_.logs_correlation_guessed, 0u);
}

TEST_F(BridgeTest, ADeviceResetEndsOpenSpansAsIncomplete) {
  init();
  et_span stuck;
  et_span_begin(&stuck, ETD_SPAN_SITE("stuck"), nullptr);
  g_ticks += 500;
  ETD_INFO("working {}", 1);
  // The device resets: a new boot counter, ticks restart.
  cfg_.boot_counter = 8;
  g_ticks = 20;
  init();
  ETD_INFO("rebooted {}", 2);

  const Collected c = run(capture_options());
  const Span& span = c.span("stuck");
  EXPECT_EQ(span.status().code(), otlp_proto::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_THAT(span.status().message(), ::testing::HasSubstr("boot counter 7 -> 8"));
  ASSERT_NE(attribute(span.attributes(), "edgetrace.span.incomplete"), nullptr);
  EXPECT_TRUE(attribute(span.attributes(), "edgetrace.span.incomplete")->bool_value());
  EXPECT_EQ(span.start_time_unix_nano(), kT0);
  EXPECT_EQ(span.end_time_unix_nano(), kT0 + 500'000);  // the old boot's last record
  EXPECT_EQ(hex(span.trace_id()), derive_trace_id(kDevice, 7, 1).to_hex());
  EXPECT_EQ(c.log("working 1").span_id(), span.span_id());
  // The new boot chains on from the old one's last time.
  EXPECT_EQ(c.log("rebooted 2").time_unix_nano(), kT0 + 500'000);
  EXPECT_TRUE(c.log("rebooted 2").trace_id().empty());
  EXPECT_EQ(counters_.resets, 1u);
  EXPECT_EQ(counters_.incomplete_spans, 1u);
}

TEST_F(BridgeTest, TheEndOfTheStreamEndsOpenSpansAsIncomplete) {
  init();
  et_span open_span;
  et_span_begin(&open_span, ETD_SPAN_SITE("open"), nullptr);
  g_ticks += 40;
  ETD_INFO("inside {}", 1);
  const Collected c = run(capture_options());
  const Span& span = c.span("open");
  EXPECT_THAT(span.status().message(), ::testing::HasSubstr("stream ended"));
  EXPECT_EQ(span.end_time_unix_nano(), kT0 + 40'000);
  // The log waited for the trace; the stream's end released it with the local trace.
  EXPECT_EQ(c.log("inside 1").trace_id(), span.trace_id());
  EXPECT_EQ(counters_.logs_correlation_guessed, 1u);

  // Without end_stream() the span stays open and nothing is emitted for it.
  const Collected open = run(capture_options(), 0, /*end=*/false);
  EXPECT_TRUE(open.spans.empty());
}

TEST_F(BridgeTest, ACorruptFrameBecomesALossEventAndAWarning) {
  init();
  {
    ETD_SPAN("job");
    ETD_INFO("first {}", 1);
    ETD_INFO("second {}", 2);  // this frame is damaged below
    ETD_INFO("third {}", 3);
  }
  // Flip a byte inside the frame of "second": frames are handshake, enter, first, second...
  std::vector<std::uint8_t> bytes = capture_.bytes;
  std::size_t at = 0;
  for (std::size_t i = 0; i < 3; ++i)
    at += capture_.frame_sizes[i];
  bytes[at + 1] ^= 0x55;

  const Collected c = run(capture_options(), 0, true, &bytes);
  const Span& job = c.span("job");
  ASSERT_EQ(job.events_size(), 1);
  EXPECT_EQ(job.events(0).name(), "edgetrace.frames.lost");
  ASSERT_NE(attribute(job.events(0).attributes(), "edgetrace.frames.corrupt"), nullptr);
  EXPECT_EQ(attribute(job.events(0).attributes(), "edgetrace.frames.corrupt")->int_value(), 1);
  const auto warning = std::find_if(c.logs.begin(), c.logs.end(), [](const LogRecord& l) {
    return l.event_name() == "edgetrace.frames.lost";
  });
  ASSERT_NE(warning, c.logs.end());
  EXPECT_EQ(warning->severity_text(), "WARN");
  EXPECT_THAT(warning->body().string_value(), ::testing::HasSubstr("1 corrupt frames"));
  EXPECT_EQ(counters_.frames_corrupt, 1u);
  EXPECT_EQ(counters_.loss_events, 1u);
  EXPECT_EQ(c.logs.size(), 3u);  // first, third and the warning
}

TEST_F(BridgeTest, EveryBridgeProducesTheSameBytesForTheSameFrames) {
  init();
  for (int i = 0; i < 20; ++i) {
    ETD_SPAN("tick");
    g_ticks += 7;
    ETD_INFO("n={}", i);
  }
  const Collected whole = run(capture_options());
  const Collected bytewise = run(capture_options(), 1);
  EXPECT_EQ(whole.spans.size(), 20u);
  EXPECT_FALSE(whole.wire.empty());
  EXPECT_EQ(whole.wire, bytewise.wire);
}

TEST_F(BridgeTest, BatchesAreHandedOverAtTheConfiguredSize) {
  init();
  for (int i = 0; i < 10; ++i)
    ETD_INFO("n={}", i);
  BridgeOptions o = capture_options();
  o.batch_records = 4;
  const Collected c = run(o);
  EXPECT_EQ(c.logs.size(), 10u);
  EXPECT_EQ(c.batches, 3);  // 4 + 4 + 2 on flush
}

TEST_F(BridgeTest, ReusedMessagesNeverCarryAValueOverFromAnEarlierBatch) {
  init();
  // Batches of one record: each batch's messages are cleared and their values reused for
  // the next, where the same attribute slot holds another type or a shorter string.
  for (int i = 0; i < 3; ++i) {
    ETD_INFO("v={}", "longer than fifteen bytes");
    ETD_INFO("v={}", i);
    ETD_INFO("v={}", "s");
    ETD_INFO("v={}", true);
  }
  BridgeOptions o = capture_options();
  o.batch_records = 1;
  const Collected c = run(o);
  ASSERT_EQ(c.logs.size(), 12u);
  for (int i = 0; i < 3; ++i) {
    const auto value = [&](int k) { return attribute(c.logs[4 * i + k].attributes(), "arg0"); };
    ASSERT_NE(value(0), nullptr);
    EXPECT_EQ(value(0)->string_value(), "longer than fifteen bytes");
    EXPECT_EQ(value(1)->value_case(), otlp_proto::common::v1::AnyValue::kIntValue);
    EXPECT_EQ(value(1)->int_value(), i);
    EXPECT_EQ(value(2)->string_value(), "s");
    EXPECT_EQ(value(3)->value_case(), otlp_proto::common::v1::AnyValue::kBoolValue);
    EXPECT_TRUE(value(3)->bool_value());
    EXPECT_EQ(c.logs[4 * i + 2].body().string_value(), "v=s");
    EXPECT_EQ(c.logs[4 * i + 1].attributes_size(), c.logs[4 * i + 2].attributes_size());
  }
  EXPECT_EQ(c.batches, 12);
}

TEST_F(BridgeTest, TheOldestOpenSpanIsEvictedWhenTheStateIsFull) {
  init();
  et_span a;
  et_span_begin(&a, ETD_SPAN_SITE("a"), nullptr);
  et_span b;
  et_span_begin(&b, ETD_SPAN_SITE("b"), nullptr);
  et_span c3;
  et_span_begin(&c3, ETD_SPAN_SITE("c"), nullptr);
  BridgeOptions o = capture_options();
  o.max_open_spans = 2;
  const Collected c = run(o, 0, /*end=*/false);
  ASSERT_EQ(c.spans.size(), 1u);
  EXPECT_EQ(c.spans[0].name(), "a");
  EXPECT_THAT(c.spans[0].status().message(), ::testing::HasSubstr("too many spans"));
  EXPECT_EQ(counters_.open_spans_evicted, 1u);
}

TEST_F(BridgeTest, HeldLogsAreReleasedAfterTheHoldTime) {
  init();
  et_span loop;
  et_span_begin(&loop, ETD_SPAN_SITE("main_loop"), nullptr);
  ETD_INFO("one {}", 1);
  g_ticks += 10'000;  // 10 ms later
  ETD_INFO("two {}", 2);
  BridgeOptions o = capture_options();
  o.max_log_hold_nanos = 5'000'000;
  const Collected c = run(o, 0, /*end=*/false);
  ASSERT_EQ(c.logs.size(), 1u);
  EXPECT_EQ(c.logs[0].body().string_value(), "one 1");
  EXPECT_EQ(hex(c.logs[0].trace_id()), derive_trace_id(kDevice, 7, 1).to_hex());
  EXPECT_EQ(counters_.logs_correlation_guessed, 1u);
}

TEST_F(BridgeTest, LiveRecordsAreTimedByTheirArrival) {
  init();
  ETD_INFO("x {}", 1);
  table_ = testing::own_device_table();
  decoder::StreamDecoder d(table_);
  std::vector<LogRecord> logs;
  StreamBridge b({}, [&logs](Batch& batch) {
    for (const auto& l : batch.logs.resource_logs(0).scope_logs(0).log_records())
      logs.push_back(l);
  });
  d.feed(capture_.bytes, [&](const decoder::Record& r) { b.add(r, d.counters(), kT0); });
  b.flush();
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].time_unix_nano(), kT0);
  EXPECT_EQ(logs[0].observed_time_unix_nano(), kT0);
}

// defmt firmware with `defmt::timestamp!`: microsecond ticks are device time (anchored like
// any capture), ISO 8601 milliseconds are absolute.
std::vector<LogRecord> defmt_logs(const char* timestamp, std::uint64_t value) {
  auto table = std::make_shared<decoder::DefmtTable>(decoder::DefmtEncoding::kRaw);
  table->add(10, decoder::DefmtTag::kInfo, "hello");
  table->set_timestamp(timestamp);
  auto d = decoder::make_decoder(decoder::StreamFormat::kDefmtRaw, {.defmt = table});
  EXPECT_TRUE(d.ok());
  std::vector<LogRecord> logs;
  BridgeOptions o;
  o.time = TimeMode::kAnchored;
  o.anchor_unix_nanos = kT0;
  StreamBridge b(o, [&](Batch& batch) {
    for (const auto& l : batch.logs.resource_logs(0).scope_logs(0).log_records())
      logs.push_back(l);
  });
  b.set_defmt_table(table);
  for (std::uint64_t t : {value, value + 250}) {
    std::vector<std::uint8_t> frame = {10, 0};
    for (int i = 0; i < 8; ++i)
      frame.push_back(static_cast<std::uint8_t>(t >> (8 * i)));
    (*d)->feed(frame, [&](const decoder::Record& r) { b.add(r, (*d)->counters()); });
  }
  b.flush();
  return logs;
}

TEST(BridgeDefmtTimeTest, TimestampsAreDeviceTimeOrAbsolute) {
  const auto micros = defmt_logs("{=u64:us}", 5'000'000);
  ASSERT_EQ(micros.size(), 2u);
  EXPECT_EQ(micros[0].time_unix_nano(), kT0);
  EXPECT_EQ(micros[1].time_unix_nano(), kT0 + 250'000);  // 250 us later
  const std::uint64_t unix_ms = 1'764'670'530'000;       // 2025-12-02T10:15:30Z
  const auto iso = defmt_logs("{=u64:iso8601ms}", unix_ms);
  ASSERT_EQ(iso.size(), 2u);
  EXPECT_EQ(iso[0].time_unix_nano(), unix_ms * 1'000'000);
  EXPECT_EQ(iso[1].time_unix_nano(), (unix_ms + 250) * 1'000'000);
}

// The golden session of docs/wire-format.md (device 01 02, boot 3): its ids are the ones the
// document lists, and its drop report becomes a loss.
TEST(BridgeGoldenSessionTest, EmitsTheDocumentedIds) {
  const testing::GoldenVectors v = testing::load_golden_vectors("device_session.txt");
  ASSERT_TRUE(v.error.empty()) << v.error;
  const auto meta = testing::make_meta(v.sites, 0x1000, 8);
  auto table = decoder::EdgetraceTable::from_sections(meta, 0x1000, 4096, 8, true, {});
  ASSERT_TRUE(table) << table.status().to_string();
  decoder::StreamDecoder d(std::make_shared<const decoder::EdgetraceTable>(std::move(*table)));
  std::vector<Span> spans;
  std::vector<LogRecord> logs;
  BridgeOptions o;
  o.time = TimeMode::kAnchored;
  o.anchor_unix_nanos = kT0;
  StreamBridge b(o, [&](Batch& batch) {
    for (const auto& rs : batch.traces.resource_spans())
      for (const auto& s : rs.scope_spans(0).spans())
        spans.push_back(s);
    for (const auto& rl : batch.logs.resource_logs())
      for (const auto& l : rl.scope_logs(0).log_records())
        logs.push_back(l);
  });
  d.feed(v.stream, [&](const decoder::Record& r) { b.add(r, d.counters()); });
  b.end_stream();
  b.flush();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].name(), "measure");
  EXPECT_EQ(hex(spans[0].trace_id()),
            derive_trace_id(std::vector<std::uint8_t>{1, 2}, 3, 1).to_hex());
  EXPECT_EQ(hex(spans[1].span_id()), "a45f1f7f12df07e7");
  EXPECT_EQ(hex(spans[1].trace_id()), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(hex(spans[1].parent_span_id()), "00f067aa0ba902b7");
  // 1000 Hz from the handshake at tick 4096 (the anchor): "measure" ran from 4103 to 4114.
  EXPECT_EQ(spans[0].start_time_unix_nano(), kT0 + 7'000'000);
  EXPECT_EQ(spans[0].end_time_unix_nano(), kT0 + 18'000'000);
  // The device's report of 2 dropped records: a warning between the logs.
  const auto warning = std::find_if(logs.begin(), logs.end(), [](const LogRecord& l) {
    return l.event_name() == "edgetrace.frames.lost";
  });
  ASSERT_NE(warning, logs.end());
  EXPECT_EQ(attribute(warning->attributes(), "edgetrace.records.dropped")->int_value(), 2);
  EXPECT_EQ(logs.size(), 4u);  // temp=, "hi 12c" inside measure, the warning, v=2.5
}

}  // namespace
}  // namespace edgetrace::bridge
