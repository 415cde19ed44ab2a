// What the example firmware (firmware/main.cpp, on a Cortex-M3 under QEMU) must turn into as
// OpenTelemetry data, wherever it is decoded: `edgetrace decode --format otlp-json` on a
// capture (src/bridge/firmware_bridge_test.cpp) or edgetraced receiving the firmware's UART
// over TCP and exporting to an OTLP receiver (apps/edgetraced/tests/firmware_daemon_test.cpp).
//
//   example_firmware::Run run;                 // fill run.spans / run.logs from OTLP requests
//   run.add(trace_request);  run.add(logs_request);
//   example_firmware::check_span_tree(run);    // GoogleTest expectations
//
// Each check_*() states one property (the span tree and its derived ids, log correlation,
// times in the real window, the span cut off by the fault, the device's drop report) with
// GoogleTest assertions. Header-only; links edgetrace::bridge (ids) and the OTLP protos.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/bridge/ids.hpp"
#include "edgetrace/core/ids.hpp"
#include "edgetrace/otlp/codec.hpp"

namespace edgetrace::testing::example_firmware {

namespace proto = ::opentelemetry::proto;
using Attributes = google::protobuf::RepeatedPtrField<proto::common::v1::KeyValue>;

// firmware/main.cpp: the device id it configures, and the W3C context of its remote command.
constexpr std::array<std::uint8_t, 4> kDeviceId{0x65, 0x74, 0x00, 0x01};
constexpr std::string_view kRemoteTrace = "0af7651916cd43dd8448eb211c80319c";
constexpr std::string_view kRemoteParent = "b7ad6b7169203331";
constexpr std::uint64_t kBoot = 1;  // every span is in the first boot; the second only logs

// OTLP SpanFlags bit 9: the parent is remote.
constexpr std::uint32_t kParentIsRemote = 0x200;

// Times are checked against the real window [QEMU start, QEMU end] with this margin. The
// device's clock is QEMU's virtual clock (-icount), which runs at its own pace, and a
// capture's anchor (its modification time) comes from the kernel's coarse clock; both are
// milliseconds here (the run spans about 15 ms of device time). The margin keeps the check
// independent of QEMU's speed on a loaded machine.
constexpr std::uint64_t kWindowMarginNanos = 2'000'000'000;

inline std::string hex(const std::string& bytes) {
  return core::to_hex(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

inline std::string local_trace(std::uint64_t root) {
  return bridge::derive_trace_id(kDeviceId, kBoot, root).to_hex();
}

inline std::string span_id(std::uint64_t local) {
  return bridge::derive_span_id(kDeviceId, kBoot, local).to_hex();
}

inline const proto::common::v1::AnyValue* find_attribute(const Attributes& attributes,
                                                         std::string_view key) {
  for (const auto& kv : attributes)
    if (kv.key() == key)
      return &kv.value();
  return nullptr;
}

inline std::string string_attribute(const Attributes& attributes, std::string_view key) {
  const auto* v = find_attribute(attributes, key);
  return v != nullptr ? v->string_value() : "<absent>";
}

inline std::int64_t int_attribute(const Attributes& attributes, std::string_view key) {
  const auto* v = find_attribute(attributes, key);
  return v != nullptr ? v->int_value() : -1;
}

inline bool bool_attribute(const Attributes& attributes, std::string_view key) {
  const auto* v = find_attribute(attributes, key);
  return v != nullptr && v->bool_value();
}

// The resource a span or log record came under.
struct Resource {
  std::string service_name;
  std::string device_id;
  std::string build_id;
  std::string stream_format;
  std::int64_t boot_counter = -1;
};
struct OutSpan {
  proto::trace::v1::Span span;
  Resource resource;
};
struct OutLog {
  proto::logs::v1::LogRecord log;
  Resource resource;
};

inline Resource resource_of(const proto::resource::v1::Resource& r) {
  return {string_attribute(r.attributes(), "service.name"),
          string_attribute(r.attributes(), "device.id"),
          string_attribute(r.attributes(), "process.executable.build_id.gnu"),
          string_attribute(r.attributes(), "edgetrace.stream.format"),
          int_attribute(r.attributes(), "edgetrace.device.boot_counter")};
}

// Everything one decoding of one QEMU run produced.
struct Run {
  std::string elf_build_id;  // the ELF's, lowercase hex
  std::uint64_t qemu_start = 0;
  std::uint64_t qemu_end = 0;
  std::vector<OutSpan> spans;
  std::vector<OutLog> logs;

  void add(const otlp::TraceRequest& request) {
    for (const auto& rs : request.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& s : ss.spans())
          spans.push_back({s, resource_of(rs.resource())});
  }
  void add(const otlp::LogsRequest& request) {
    for (const auto& rl : request.resource_logs())
      for (const auto& sl : rl.scope_logs())
        for (const auto& l : sl.log_records())
          logs.push_back({l, resource_of(rl.resource())});
  }
  // The only span with this local id's derived span id (null: none).
  const OutSpan* span(std::uint64_t local) const {
    const std::string id = span_id(local);
    const OutSpan* found = nullptr;
    for (const OutSpan& s : spans)
      if (hex(s.span.span_id()) == id)
        found = &s;
    return found;
  }
  // The log records with this body.
  std::vector<const OutLog*> logs_with(std::string_view body) const {
    std::vector<const OutLog*> out;
    for (const OutLog& l : logs)
      if (l.log.body().string_value() == body)
        out.push_back(&l);
    return out;
  }
};

// The number of spans the firmware's run yields.
constexpr std::size_t kSpans = 11;

inline void check_resources(const Run& run, std::string_view service_name) {
  std::vector<const Resource*> resources;
  for (const OutSpan& s : run.spans)
    resources.push_back(&s.resource);
  for (const OutLog& l : run.logs)
    resources.push_back(&l.resource);
  for (const Resource* r : resources) {
    EXPECT_EQ(r->service_name, service_name);
    EXPECT_EQ(r->device_id, "65740001");
    EXPECT_EQ(r->build_id, run.elf_build_id);
    EXPECT_EQ(r->stream_format, "edgetrace");
    EXPECT_TRUE(r->boot_counter == 1 || r->boot_counter == 2) << r->boot_counter;
  }
  // After the fault the device booted again: its one log is in the second boot's resource.
  const auto restarted = run.logs_with("restarted after a fault, boot 2");
  ASSERT_EQ(restarted.size(), 1u);
  EXPECT_EQ(restarted[0]->resource.boot_counter, 2);
  for (const OutLog& l : run.logs) {
    if (&l != restarted[0]) {
      EXPECT_EQ(l.resource.boot_counter, 1) << l.log.body().string_value();
    }
  }
  for (const OutSpan& s : run.spans)
    EXPECT_EQ(s.resource.boot_counter, 1) << s.span.name();
}

inline void check_span_tree(const Run& run) {
  // The spans of firmware/expected_stream.txt, by the device's local ids (boot 1).
  struct Expected {
    std::uint64_t local;
    std::string name;
    std::string parent;  // span id, "" for a root
    std::string trace;
  };
  const std::string remote(kRemoteTrace);
  const std::vector<Expected> expected = {
      {1, "sample", "", local_trace(1)},
      {2, "read_sensor", span_id(1), local_trace(1)},
      {3, "i2c_transfer", span_id(2), local_trace(1)},
      {4, "i2c_transfer", span_id(2), local_trace(1)},
      {5, "sensor_report", span_id(1), local_trace(1)},
      {6, "irq1", "", local_trace(6)},  // from an interrupt: its own root
      {7, "handle_command", std::string(kRemoteParent), remote},
      {8, "read_sensor", span_id(7), remote},
      {9, "i2c_transfer", span_id(8), remote},
      {10, "i2c_transfer", span_id(8), remote},
      {11, "apply_update", "", local_trace(11)},  // cut off by the fault
  };
  ASSERT_EQ(run.spans.size(), expected.size());
  for (const Expected& e : expected) {
    SCOPED_TRACE("span " + std::to_string(e.local) + " " + e.name);
    const OutSpan* s = run.span(e.local);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->span.name(), e.name);
    EXPECT_EQ(hex(s->span.parent_span_id()), e.parent);
    EXPECT_EQ(hex(s->span.trace_id()), e.trace);
    EXPECT_EQ((s->span.flags() & kParentIsRemote) != 0, e.local == 7);
    EXPECT_EQ(bool_attribute(s->span.attributes(), "edgetrace.span.interrupt"), e.local == 6);
  }
}

// Every log line of firmware/expected_stream.txt (at `expected_stream_path`) arrives once,
// with the trace and span ids of the span it was written in (none outside spans).
inline void check_log_correlation(const Run& run, const std::string& expected_stream_path) {
  struct InSpan {
    std::string body;
    std::uint64_t span;
    std::string trace;
  };
  const std::string remote(kRemoteTrace);
  std::vector<InSpan> in_span = {
      {"i2c addr=0x40", 3, local_trace(1)},
      {"i2c addr=0x41", 4, local_trace(1)},
      {"temp=21 hum=40", 5, local_trace(1)},
      {"comfortable=true (from C)", 5, local_trace(1)},
      {"interrupt 1 in handler", 6, local_trace(6)},
      {"command reboot_in=5s", 7, remote},  // before any exit names the remote trace
      {"i2c addr=0x40", 9, remote},
      {"i2c addr=0x41", 10, remote},
      {"applying update, image 4096 bytes", 11, local_trace(11)},
      {"hard fault cfsr=0x10000, resetting", 11, local_trace(11)},  // the fault handler
  };
  const auto describe = [](std::int64_t boot, std::string_view severity, std::string_view body,
                           std::string_view trace, std::string_view span) {
    return "boot=" + std::to_string(boot) + " [" + std::string(severity) + "] " +
           std::string(body) + " trace=" + std::string(trace) + " span=" + std::string(span);
  };

  std::vector<std::string> expected;
  std::ifstream in(expected_stream_path);
  ASSERT_TRUE(in) << expected_stream_path;
  std::string line;
  std::int64_t boot = 0;
  std::size_t next = 0;
  while (std::getline(in, line)) {
    if (line.rfind("handshake ", 0) == 0) {
      const std::size_t at = line.find(" boot=");
      ASSERT_NE(at, std::string::npos) << line;
      boot = std::strtoll(line.c_str() + at + 6, nullptr, 10);
      continue;
    }
    const std::size_t close = line.find("] ");
    if (line.empty() || line[0] != '[' || close == std::string::npos)
      continue;  // spans, the drop report, the summary
    const std::string severity = line.substr(1, close - 1);
    const std::string body = line.substr(close + 2);
    if (next < in_span.size() && in_span[next].body == body) {
      expected.push_back(
          describe(boot, severity, body, in_span[next].trace, span_id(in_span[next].span)));
      ++next;
    } else {
      expected.push_back(describe(boot, severity, body, "", ""));
    }
  }
  ASSERT_EQ(next, in_span.size()) << "the table above no longer matches the stream";
  ASSERT_GT(expected.size(), 50u);

  std::vector<std::string> got;
  for (const OutLog& l : run.logs) {
    if (l.log.event_name() == "edgetrace.frames.lost")
      continue;  // the bridge's own (check_drop_report)
    got.push_back(describe(l.resource.boot_counter, l.log.severity_text(),
                           l.log.body().string_value(), hex(l.log.trace_id()),
                           hex(l.log.span_id())));
  }
  EXPECT_THAT(got, ::testing::UnorderedElementsAreArray(expected));
}

inline void check_times_in_window(const Run& run) {
  const std::uint64_t from = run.qemu_start - kWindowMarginNanos;
  const std::uint64_t to = run.qemu_end + kWindowMarginNanos;
  const auto in_window = [&](std::uint64_t t, const std::string& what) {
    EXPECT_NE(t, 0u) << what;
    EXPECT_GE(t, from) << what << ": " << (from - std::min(from, t)) << " ns before";
    EXPECT_LE(t, to) << what << ": " << (t - std::min(to, t)) << " ns after";
  };
  for (const OutSpan& s : run.spans) {
    in_window(s.span.start_time_unix_nano(), s.span.name() + " start");
    in_window(s.span.end_time_unix_nano(), s.span.name() + " end");
    EXPECT_GE(s.span.end_time_unix_nano(), s.span.start_time_unix_nano()) << s.span.name();
    for (const auto& event : s.span.events())
      in_window(event.time_unix_nano(), s.span.name() + " event " + event.name());
  }
  for (const OutLog& l : run.logs) {
    in_window(l.log.time_unix_nano(), l.log.body().string_value());
    in_window(l.log.observed_time_unix_nano(), l.log.body().string_value() + " (observed)");
  }
}

// The device's order is kept across the fault and reset: boot 1's first log, then the sample,
// the command, the update cut off by the fault, then boot 2's log.
inline void check_device_order(const Run& run) {
  const auto boot1 = run.logs_with("boot 1");
  const auto restarted = run.logs_with("restarted after a fault, boot 2");
  const OutSpan* sample = run.span(1);
  const OutSpan* command = run.span(7);
  const OutSpan* update = run.span(11);
  ASSERT_EQ(boot1.size(), 1u);
  ASSERT_EQ(restarted.size(), 1u);
  ASSERT_TRUE(sample != nullptr && command != nullptr && update != nullptr);
  EXPECT_LE(boot1[0]->log.time_unix_nano(), sample->span.start_time_unix_nano());
  EXPECT_LE(sample->span.end_time_unix_nano(), command->span.start_time_unix_nano());
  EXPECT_LE(command->span.end_time_unix_nano(), update->span.start_time_unix_nano());
  EXPECT_LE(update->span.end_time_unix_nano(), restarted[0]->log.time_unix_nano());
  EXPECT_LT(boot1[0]->log.time_unix_nano(), restarted[0]->log.time_unix_nano());
}

inline void check_cut_off_span(const Run& run) {
  const OutSpan* update = run.span(11);
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(update->span.name(), "apply_update");
  EXPECT_EQ(update->span.status().code(), proto::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_TRUE(bool_attribute(update->span.attributes(), "edgetrace.span.incomplete"));
  EXPECT_GE(update->span.end_time_unix_nano(), update->span.start_time_unix_nano());
  EXPECT_EQ(update->resource.boot_counter, 1);
  // Every other span exited normally.
  for (const OutSpan& s : run.spans) {
    if (&s == update)
      continue;
    EXPECT_EQ(s.span.status().code(), proto::trace::v1::Status::STATUS_CODE_UNSET) << s.span.name();
    EXPECT_EQ(find_attribute(s.span.attributes(), "edgetrace.span.incomplete"), nullptr)
        << s.span.name();
  }
}

// The device reported 24 dropped records while no span was open: one loss log record
// between the last record that got through and the next one, on no span.
inline void check_drop_report(const Run& run) {
  std::vector<const OutLog*> losses;
  for (const OutLog& l : run.logs)
    if (l.log.event_name() == "edgetrace.frames.lost")
      losses.push_back(&l);
  ASSERT_EQ(losses.size(), 1u);
  const auto& loss = losses[0]->log;
  EXPECT_EQ(loss.severity_text(), "WARN");
  EXPECT_EQ(loss.severity_number(), proto::logs::v1::SEVERITY_NUMBER_WARN);
  EXPECT_EQ(int_attribute(loss.attributes(), "edgetrace.records.dropped"), 24);
  EXPECT_EQ(loss.trace_id(), "");  // no span was open on the device
  EXPECT_EQ(loss.span_id(), "");
  const auto last_kept = run.logs_with("burst 35 100035");
  const auto after = run.logs_with("after burst, dropped so far 24");
  ASSERT_EQ(last_kept.size(), 1u);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_GE(loss.time_unix_nano(), last_kept[0]->log.time_unix_nano());
  EXPECT_LE(loss.time_unix_nano(), after[0]->log.time_unix_nano());
  // "sample" (and every other span) was not open during the drop: no loss event.
  for (const OutSpan& s : run.spans) {
    for (const auto& event : s.span.events()) {
      EXPECT_NE(event.name(), "edgetrace.frames.lost") << s.span.name();
    }
  }
}

}  // namespace edgetrace::testing::example_firmware
