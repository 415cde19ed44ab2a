// Decoding edgetrace device frames: frames per second on one core, to structured records
// only (DecoderOptions::render = false), with the message rendered, and with a text line
// or a JSON object per record. Target: >= 3,000,000 frames/s/core to records.
// Results: docs/benchmarks.md.
//
// The stream is a firmware-like mix: logs with two ints, a string and a hex u32, a float
// and a u64, span enter and span exit (one in a remote trace), framed as the device frames
// them, with sequence numbers.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "edgetrace/decoder/edgetrace_decoder.hpp"
#include "edgetrace/decoder/render.hpp"
#include "testing/edgetrace_wire_writer.hpp"

namespace {

using namespace edgetrace::decoder;
using edgetrace::testing::make_frame;
using edgetrace::testing::put_varint;
using edgetrace::testing::zigzag;

std::shared_ptr<const EdgetraceTable> bench_table() {
  std::vector<edgetrace::testing::SiteSpec> sites = {
      {.tag = 8,
       .level = 2,
       .sig = {0x41, 0x41},
       .text = "temp={} hum={}",
       .file = "sensor.c",
       .line = 12},
      {.tag = 9, .span = true, .level = 2, .text = "read_sensor", .file = "sensor.c", .line = 20},
      {.tag = 10,
       .level = 1,
       .sig = {0x0a, 0x42},
       .text = "cmd {} status={:#x}",
       .file = "main.cpp",
       .line = 40},
      {.tag = 11,
       .level = 3,
       .sig = {0x47, 0x84},
       .text = "v={} uptime={}",
       .file = "main.cpp",
       .line = 41},
  };
  auto t =
      EdgetraceTable::from_sections(edgetrace::testing::make_meta(sites, 0, 8), 0, 64, 8, true, {});
  return std::make_shared<const EdgetraceTable>(std::move(t).value());
}

struct Stream {
  std::vector<std::uint8_t> bytes;
  std::size_t frames = 0;
};

Stream bench_stream(std::size_t frames) {
  Stream s;
  std::uint8_t seq = 0;
  auto add = [&](const std::vector<std::uint8_t>& record) {
    auto f = make_frame(record, seq++);
    s.bytes.insert(s.bytes.end(), f.begin(), f.end());
    ++s.frames;
  };
  std::uint64_t span = 1;
  while (s.frames < frames) {
    std::vector<std::uint8_t> r{0x08, 0x05};  // temp={} hum={}
    put_varint(r, zigzag(21));
    put_varint(r, zigzag(-40));
    add(r);
    r.clear();
    r.insert(r.end(), {0x09, 0x01});  // span enter
    put_varint(r, span);
    put_varint(r, 0);
    add(r);
    r.clear();
    r.insert(r.end(), {0x0a, 0x02, 0x0c});  // cmd "reboot" status=0x2a
    r.insert(r.end(), {'r', 'e', 'b', 'o', 'o', 't'});
    put_varint(r, 0x2a);
    add(r);
    r.clear();
    r.insert(r.end(), {0x0b, 0x03, 0x00, 0x00, 0x20, 0x40});  // v=2.5 uptime=...
    put_varint(r, 123456789012ull);
    add(r);
    r.clear();
    r.insert(r.end(), {0x01, 0x04, 0x07, 0x09});  // span exit, local trace
    put_varint(r, span);
    r.insert(r.end(), {0x00});
    put_varint(r, span);
    r.push_back(0x00);
    add(r);
    r.clear();
    r.insert(r.end(), {0x01, 0x01, 0x02, 0x09});  // span exit in a remote trace
    put_varint(r, span + 1);
    r.insert(r.end(), {0x00, 0x01, 0x0b});
    for (int i = 0; i < 24; ++i) {
      r.push_back(static_cast<std::uint8_t>(0x11 + i));
    }
    add(r);
    span += 2;
  }
  return s;
}

const Stream& stream() {
  static const Stream s =
      bench_stream(6 * 128 * 80);  // whole sequence cycles: feeds repeat cleanly
  return s;
}

void BM_DecodeToRecords(benchmark::State& state) {
  const Stream& s = stream();
  StreamDecoder d(bench_table(), {.render = false});
  std::uint64_t n = 0;
  RecordSink sink = [&n](const Record& r) { n += r.args.size() + 1; };
  for (auto _ : state) {
    d.feed(s.bytes, sink);
  }
  benchmark::DoNotOptimize(n);
  if (d.counters().corrupt_frames != 0 || d.counters().lost_frames != 0) {
    state.SkipWithError("stream did not decode cleanly");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * s.frames));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.bytes.size()));
}
BENCHMARK(BM_DecodeToRecords);

void BM_DecodeToRecordsBytewise(benchmark::State& state) {
  const Stream& s = stream();
  StreamDecoder d(bench_table(), {.render = false});
  std::uint64_t n = 0;
  RecordSink sink = [&n](const Record& r) { n += r.args.size() + 1; };
  for (auto _ : state) {
    for (std::size_t i = 0; i < s.bytes.size(); i += 16) {
      d.feed(std::span(s.bytes).subspan(i, std::min<std::size_t>(16, s.bytes.size() - i)), sink);
    }
  }
  benchmark::DoNotOptimize(n);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * s.frames));
}
BENCHMARK(BM_DecodeToRecordsBytewise);

void BM_DecodeRenderMessage(benchmark::State& state) {
  const Stream& s = stream();
  StreamDecoder d(bench_table(), {.render = true});
  std::uint64_t n = 0;
  RecordSink sink = [&n](const Record& r) { n += r.message.size(); };
  for (auto _ : state) {
    d.feed(s.bytes, sink);
  }
  benchmark::DoNotOptimize(n);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * s.frames));
}
BENCHMARK(BM_DecodeRenderMessage);

void BM_DecodeRenderTextLine(benchmark::State& state) {
  const Stream& s = stream();
  StreamDecoder d(bench_table(), {.render = true});
  std::string line;
  std::uint64_t n = 0;
  RecordSink sink = [&](const Record& r) {
    line.clear();
    append_text(r, {}, line);
    n += line.size();
  };
  for (auto _ : state) {
    d.feed(s.bytes, sink);
  }
  benchmark::DoNotOptimize(n);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * s.frames));
}
BENCHMARK(BM_DecodeRenderTextLine);

void BM_DecodeRenderJson(benchmark::State& state) {
  const Stream& s = stream();
  StreamDecoder d(bench_table(), {.render = true});
  std::string line;
  std::uint64_t n = 0;
  RecordSink sink = [&](const Record& r) {
    line.clear();
    append_json(r, line);
    n += line.size();
  };
  for (auto _ : state) {
    d.feed(s.bytes, sink);
  }
  benchmark::DoNotOptimize(n);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * s.frames));
}
BENCHMARK(BM_DecodeRenderJson);

}  // namespace

BENCHMARK_MAIN();
