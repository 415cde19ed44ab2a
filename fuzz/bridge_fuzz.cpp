// Fuzzes decoder + bridge: arbitrary bytes as an edgetrace device stream, decoded against a
// fixed call-site table and rebuilt into OTLP by edgetrace::bridge. Checks what the bridge
// promises: no crash; bounded state (open spans, held logs); every span valid (ids set,
// end >= start, times never 0); every encoded batch decodes again; the same output bytes
// whatever the chunking (the first input byte picks the chunk size); and every held log
// released by end_stream().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "edgetrace/bridge/bridge.hpp"
#include "edgetrace/decoder/edgetrace_decoder.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "testing/edgetrace_wire_writer.hpp"

namespace {

using namespace edgetrace;

void check(bool condition) {
  if (!condition)
    std::abort();
}

std::shared_ptr<const decoder::EdgetraceTable> make_table() {
  std::vector<testing::SiteSpec> sites = {
      {.tag = 8, .level = 2, .sig = {0x41, 0x41}, .text = "temp={} hum={}"},
      {.tag = 9, .span = true, .level = 2, .text = "measure"},
      {.tag = 10, .level = 1, .sig = {0x09, 0x42}, .text = "{} {:x}"},
      {.tag = 11, .span = true, .level = 2, .text = "command"},
      {.tag = 12, .level = 4, .sig = {0x47, 0x88}, .text = "{} {}"},
  };
  auto t = decoder::EdgetraceTable::from_sections(testing::make_meta(sites, 0x1000, 8), 0x1000,
                                                  4096, 8, true, {});
  check(t.ok());
  return std::make_shared<const decoder::EdgetraceTable>(std::move(t).value());
}

struct Run {
  std::string wire;
  std::uint64_t spans = 0;
  std::uint64_t logs = 0;
};

Run run(const std::shared_ptr<const decoder::EdgetraceTable>& table, const std::uint8_t* data,
        std::size_t size, std::size_t chunk) {
  Run out;
  decoder::StreamDecoder d(table, {.render = true, .max_frame_bytes = 160});
  bridge::BridgeOptions o;
  o.time = bridge::TimeMode::kAnchored;
  o.anchor_unix_nanos = 1'700'000'000'000'000'000;
  o.max_open_spans = 8;
  o.max_held_logs = 8;
  o.batch_records = 16;
  bridge::StreamBridge b(o, [&out](bridge::Batch& batch) {
    for (const auto& rs : batch.traces.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& s : ss.spans()) {
          check(s.trace_id().size() == 16 && s.span_id().size() == 8);
          check(s.start_time_unix_nano() != 0 &&
                s.end_time_unix_nano() >= s.start_time_unix_nano());
          ++out.spans;
        }
    for (const auto& rl : batch.logs.resource_logs())
      for (const auto& sl : rl.scope_logs())
        for (const auto& l : sl.log_records()) {
          check(l.time_unix_nano() != 0);
          ++out.logs;
        }
    const std::string traces = otlp::encode_protobuf(batch.traces);
    const std::string logs = otlp::encode_protobuf(batch.logs);
    otlp::TraceRequest traces_again;
    otlp::LogsRequest logs_again;
    check(otlp::decode_protobuf(traces, traces_again).ok());
    check(otlp::decode_protobuf(logs, logs_again).ok());
    out.wire += traces;
    out.wire += logs;
  });
  for (std::size_t i = 0; i < size; i += chunk)
    d.feed({data + i, std::min(chunk, size - i)},
           [&](const decoder::Record& r) { b.add(r, d.counters()); });
  b.note_counters(d.counters());
  b.end_stream();
  b.flush();
  check(b.counters().spans == out.spans && b.counters().log_records == out.logs);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto table = make_table();
  if (size == 0)
    return 0;
  const std::size_t chunk = 1 + data[0] % 17;
  const Run whole = run(table, data + 1, size - 1, size);
  const Run chunked = run(table, data + 1, size - 1, chunk);
  check(whole.wire == chunked.wire);
  return 0;
}
