// Device frames to encoded OTLP requests, as the daemon handles a device stream: the
// decoder reads the frames, bridge::StreamBridge turns the records into spans and log
// records, and each batch it hands out is encoded with otlp::encode_protobuf (one
// ExportTraceServiceRequest and one ExportLogsServiceRequest per batch). Items are frames;
// rates are per CPU second of the benchmark thread. Target: >= 1,000,000 frames/s/core for
// edgetrace streams. Results: docs/benchmarks.md ("Bridge: device frames to OTLP
// protobuf").
//
// The edgetrace stream follows the example firmware (firmware/main.cpp,
// firmware/expected_stream.txt), written with the independent wire writer and decoded with
// a call-site table read from an edgetrace_meta section: a handshake (and one every 256
// cycles, as a device's handshake period sends them), then cycles of 40 frames:
//   sample { read_sensor { i2c_transfer { log } i2c_transfer { log } }
//            sensor_report { log temp/hum, log bool } }  irq1 (in an interrupt) { log }
//   12 logs outside any span (ints of every width, bool/char/float/double, two strings,
//   hex hints, 8 two-int "burst" logs)
//   handle_command (remote W3C parent) { log, read_sensor { i2c_transfer { log } x2 } }
// i.e. 10 span enters, 10 span exits (4 in the remote trace) and 20 logs per cycle. Logs
// in a span whose trace is not resolved yet are held by the bridge until an exit resolves
// it, as on a real stream. Call sites name their files as a build with -ffile-prefix-map
// does ("firmware/main.cpp"): longer than a std::string keeps inline, as real paths are.
//
// Each iteration is one connection: a new decoder and bridge (live time, each chunk of 64
// frames stamped with its arrival time) fed the whole stream, then end_stream() and
// flush(). Variants: the decoder alone, decoder + bridge with a sink that encodes nothing,
// and the whole path; each with DecoderOptions::render off and on. The bridge's log body
// is the rendered message when there is one (else the format string), so the daemon
// renders (render = true).
//
// The defmt stream is the defmt decoder benchmark's 1000-frame rzCOBS mix (see
// defmt_decoder_bench.cpp), fed 61 times per iteration, with the table given to the
// bridge through set_defmt_table().
//
// BRIDGE_BENCH_DUMP=<file> writes the encoded requests of the last run to <file>, to check
// that a change of the bridge keeps its output byte for byte.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "defmt_bench_stream.hpp"
#include "edgetrace/bridge/bridge.hpp"
#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/edgetrace_decoder.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "testing/edgetrace_wire_writer.hpp"

namespace {

namespace bridge = edgetrace::bridge;
namespace decoder = edgetrace::decoder;
namespace otlp = edgetrace::otlp;
using edgetrace::testing::make_frame;
using edgetrace::testing::put_varint;
using edgetrace::testing::SiteSpec;
using edgetrace::testing::zigzag;

constexpr std::uint64_t kTickHz = 1'000'000;                          // 1 MHz device clock
constexpr std::uint64_t kConnectedAt = 1'800'000'000'000'000'000ull;  // unix ns of tick 0
constexpr std::uint64_t kTransportDelayNanos = 400'000;
const std::vector<std::uint8_t> kDeviceId = {0x65, 0x74, 0x00, 0x01};
const std::vector<std::uint8_t> kBuildId = {0x3a, 0x91, 0x0c, 0x55, 0x27, 0xe8, 0x41,
                                            0x6d, 0xb2, 0x09, 0x7f, 0x13, 0xc4, 0x88,
                                            0x5e, 0x20, 0xaa, 0x61, 0x0f, 0xd3};
constexpr std::uint8_t kTraceId[16] = {0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd,
                                       0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c};
constexpr std::uint8_t kRemoteParent[8] = {0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31};
constexpr std::uint8_t kI2cAddresses[] = {0x40, 0x41};

// Call sites (wire tags), as the example firmware has them.
enum Tag : std::uint32_t {
  kSample = 8,
  kReadSensor,
  kI2cTransfer,
  kI2cAddr,
  kSensorReport,
  kTempHum,
  kComfortable,
  kIrq1,
  kInterrupt,
  kInts,
  kScalars,
  kStrings,
  kHex,
  kBurst,
  kHandleCommand,
  kCommand,
};

// Signature bytes: argument class | byte width << 4 (docs/wire-format.md).
constexpr std::uint8_t kI8 = 0x11, kI16 = 0x21, kI32 = 0x41, kI64 = 0x83, kU8 = 0x12, kU32 = 0x42,
                       kBool = 0x15, kChar = 0x16, kF32 = 0x47, kF64 = 0x88, kCstr = 0x09,
                       kStr = 0x0a;

std::vector<SiteSpec> firmware_sites() {
  auto span = [](std::uint32_t tag, const char* name, const char* file, std::uint32_t line) {
    return SiteSpec{.tag = tag, .span = true, .level = 2, .text = name, .file = file, .line = line};
  };
  auto log = [](std::uint32_t tag, std::uint8_t level, std::vector<std::uint8_t> sig,
                const char* text, const char* file, std::uint32_t line) {
    return SiteSpec{.tag = tag,
                    .level = level,
                    .sig = std::move(sig),
                    .text = text,
                    .file = file,
                    .line = line};
  };
  return {
      span(kSample, "sample", "firmware/main.cpp", 146),
      span(kReadSensor, "read_sensor", "firmware/main.cpp", 34),
      span(kI2cTransfer, "i2c_transfer", "firmware/main.cpp", 29),
      log(kI2cAddr, 0, {kU8}, "i2c addr={:#x}", "firmware/main.cpp", 30),
      span(kSensorReport, "sensor_report", "firmware/sensor.c", 8),
      log(kTempHum, 2, {kI32, kU32}, "temp={} hum={}", "firmware/sensor.c", 9),
      log(kComfortable, 1, {kBool}, "comfortable={} (from C)", "firmware/sensor.c", 10),
      span(kIrq1, "irq1", "firmware/main.cpp", 96),
      log(kInterrupt, 3, {kI32}, "interrupt {} in handler", "firmware/main.cpp", 97),
      log(kInts, 2, {kI8, kI16, kI32, kI64}, "i8={} i16={} i32={} i64={}", "firmware/main.cpp", 48),
      log(kScalars, 2, {kBool, kChar, kF32, kF64}, "bool={} char={} float={} double={}",
          "firmware/main.cpp", 52),
      log(kStrings, 2, {kCstr, kStr}, "cstr={} view={}", "firmware/main.cpp", 54),
      log(kHex, 2, {kU32, kU32, kU8, kI8}, "hex={:x} HEX={:#X} bin={:b} neg={:x}",
          "firmware/main.cpp", 58),
      log(kBurst, 1, {kI32, kI32}, "burst {} {}", "firmware/main.cpp", 65),
      span(kHandleCommand, "handle_command", "firmware/main.cpp", 80),
      log(kCommand, 2, {kI32}, "command reboot_in={}s", "firmware/main.cpp", 81),
  };
}

std::shared_ptr<const decoder::EdgetraceTable> firmware_table() {
  auto t = decoder::EdgetraceTable::from_sections(
      edgetrace::testing::make_meta(firmware_sites(), 0x1000, 4), 0x1000, 64, 4, true, kBuildId,
      "bridge_bench");
  return std::make_shared<const decoder::EdgetraceTable>(std::move(t).value());
}

struct Chunk {
  std::size_t offset = 0;
  std::size_t size = 0;
  std::uint64_t receive_unix_nanos = 0;
};

struct EdgetraceStream {
  std::vector<std::uint8_t> bytes;
  std::vector<Chunk> chunks;
  std::size_t frames = 0;
  std::size_t spans = 0;
  std::size_t logs = 0;
};

// Writes frames as a device would: ticks, sequence numbers, span ids.
class DeviceWriter {
 public:
  explicit DeviceWriter(EdgetraceStream& s) : s_(s) {}

  void handshake() {
    std::vector<std::uint8_t> r = {0x00, 'E', 'T', 0x01};
    put_varint(r, ticks_);
    put_varint(r, kTickHz);
    put_varint(r, 3);  // boot counter
    put_varint(r, 0);  // dropped
    r.push_back(static_cast<std::uint8_t>(kDeviceId.size()));
    r.insert(r.end(), kDeviceId.begin(), kDeviceId.end());
    r.push_back(static_cast<std::uint8_t>(kBuildId.size()));
    r.insert(r.end(), kBuildId.begin(), kBuildId.end());
    frame(r);
  }

  // A log record: tag, dt, then the encoded arguments.
  void log(std::uint32_t tag, std::uint64_t dt, const std::vector<std::uint8_t>& args) {
    std::vector<std::uint8_t> r;
    head(r, tag, dt);
    r.insert(r.end(), args.begin(), args.end());
    frame(r);
    ++s_.logs;
  }

  struct Open {
    std::uint32_t site;
    std::uint64_t id, parent, root, start;
    bool remote_trace, remote_parent, irq;
  };

  Open enter(std::uint32_t site, std::uint64_t dt, const Open* parent, bool remote = false,
             bool irq = false) {
    std::vector<std::uint8_t> r;
    head(r, site, dt);
    Open o{.site = site,
           .id = next_span_++,
           .parent = parent != nullptr ? parent->id : 0,
           .root = 0,
           .start = ticks_,
           .remote_trace = remote || (parent != nullptr && parent->remote_trace),
           .remote_parent = remote,
           .irq = irq};
    o.root = parent != nullptr ? parent->root : o.id;
    put_varint(r, o.id);
    put_varint(r, o.parent);
    frame(r);
    return o;
  }

  void exit(const Open& o, std::uint64_t dt) {
    std::vector<std::uint8_t> r;
    head(r, 1, dt);
    put_varint(r, ticks_ - o.start);
    put_varint(r, o.site);
    put_varint(r, o.id);
    put_varint(r, o.parent);
    put_varint(r, o.root);
    std::uint8_t flags =
        (o.remote_trace ? 0x09 : 0) | (o.remote_parent ? 0x02 : 0) | (o.irq ? 0x04 : 0);
    r.push_back(flags);
    if (o.remote_trace)
      r.insert(r.end(), std::begin(kTraceId), std::end(kTraceId));
    if (o.remote_parent)
      r.insert(r.end(), std::begin(kRemoteParent), std::end(kRemoteParent));
    frame(r);
    ++s_.spans;
  }

  void idle(std::uint64_t ticks) { ticks_ += ticks; }

 private:
  void head(std::vector<std::uint8_t>& r, std::uint32_t tag, std::uint64_t dt) {
    ticks_ += dt;
    put_varint(r, tag);
    put_varint(r, dt);
  }

  void frame(const std::vector<std::uint8_t>& record) {
    const auto f = make_frame(record, static_cast<std::uint8_t>(seq_++ & 0x7f));
    s_.bytes.insert(s_.bytes.end(), f.begin(), f.end());
    ++s_.frames;
    // The transport delivers 64 frames at a time, shortly after the last was written.
    if (s_.frames % 64 == 0) {
      const std::size_t start =
          s_.chunks.empty() ? 0 : s_.chunks.back().offset + s_.chunks.back().size;
      s_.chunks.push_back({start, s_.bytes.size() - start,
                           kConnectedAt + decoder_nanos(ticks_) + kTransportDelayNanos});
    }
  }

  static std::uint64_t decoder_nanos(std::uint64_t ticks) {
    return ticks * (1'000'000'000 / kTickHz);
  }

  EdgetraceStream& s_;
  std::uint64_t ticks_ = 5'000;
  std::uint64_t seq_ = 0;
  std::uint64_t next_span_ = 1;
};

std::vector<std::uint8_t> operator+(std::vector<std::uint8_t> a,
                                    const std::vector<std::uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
std::vector<std::uint8_t> sv(std::uint64_t v) {  // signed (zigzag) varint
  std::vector<std::uint8_t> out;
  put_varint(out, zigzag(static_cast<std::int64_t>(v)));
  return out;
}
std::vector<std::uint8_t> uv(std::uint64_t v) {
  std::vector<std::uint8_t> out;
  put_varint(out, v);
  return out;
}
std::vector<std::uint8_t> str(std::string_view s) {
  std::vector<std::uint8_t> out;
  put_varint(out, s.size() << 1);
  out.insert(out.end(), s.begin(), s.end());
  return out;
}

EdgetraceStream firmware_stream(std::size_t cycles) {
  EdgetraceStream s;
  DeviceWriter w(s);
  w.handshake();
  for (std::size_t c = 0; c < cycles; ++c) {
    if (c != 0 && c % 256 == 0)
      w.handshake();
    const auto sample = w.enter(kSample, 3, nullptr);
    {
      const auto read = w.enter(kReadSensor, 2, &sample);
      for (const std::uint8_t addr : kI2cAddresses) {
        const auto i2c = w.enter(kI2cTransfer, 2, &read);
        w.log(kI2cAddr, 1, {addr});
        w.exit(i2c, 180);
      }
      w.exit(read, 4);
      const auto report = w.enter(kSensorReport, 1, &sample);
      w.log(kTempHum, 12, sv(21 + c % 5) + uv(40));
      w.log(kComfortable, 3, {1});
      w.exit(report, 2);
      const auto irq = w.enter(kIrq1, 1, nullptr, false, true);
      w.log(kInterrupt, 2, sv(c + 1));
      w.exit(irq, 1);
    }
    w.exit(sample, 2);
    const std::uint64_t n = 6400000000ull + c;
    w.log(kInts, 40,
          sv(static_cast<std::uint64_t>(-8)) + sv(static_cast<std::uint64_t>(-1600)) +
              sv(static_cast<std::uint64_t>(-320000)) + sv(0 - n));
    w.log(kScalars, 25,
          std::vector<std::uint8_t>{1, 'k', 0x00, 0x00, 0x80, 0x3e} +
              std::vector<std::uint8_t>{0, 0, 0, 0, 0, 0, 0x0c, 0x40});
    w.log(kStrings, 30, str("qemu") + str("edgetrace"));
    w.log(kHex, 18, uv(0xbeef) + uv(0xcafe) + uv(0x5a) + sv(static_cast<std::uint64_t>(-2)));
    for (std::uint64_t i = 0; i < 8; ++i)
      w.log(kBurst, 6, sv(i) + sv(100000 + i));
    const auto command = w.enter(kHandleCommand, 500, nullptr, true);
    {
      w.log(kCommand, 4, sv(5));
      const auto read = w.enter(kReadSensor, 2, &command);
      for (const std::uint8_t addr : kI2cAddresses) {
        const auto i2c = w.enter(kI2cTransfer, 2, &read);
        w.log(kI2cAddr, 1, {addr});
        w.exit(i2c, 175);
      }
      w.exit(read, 3);
    }
    w.exit(command, 9);
    w.idle(9'000);  // the next sample, ~10 ms later
  }
  // The rest of the bytes as a last chunk.
  const std::size_t start = s.chunks.empty() ? 0 : s.chunks.back().offset + s.chunks.back().size;
  if (start < s.bytes.size())
    s.chunks.push_back({start, s.bytes.size() - start,
                        s.chunks.empty() ? kConnectedAt : s.chunks.back().receive_unix_nanos});
  return s;
}

const EdgetraceStream& edgetrace_stream() {
  static const EdgetraceStream s = firmware_stream(1536);  // 61,446 frames
  return s;
}

bridge::BridgeOptions live_options() {
  bridge::BridgeOptions o;
  o.firmware = {.elf_name = "sensor-fw.elf", .build_id = kBuildId, .version = "1.4.2"};
  o.device_id = kDeviceId;
  o.time = bridge::TimeMode::kLive;
  return o;
}

// What a run produced, checked once after the timing loop.
struct Outcome {
  bridge::BridgeCounters counters;
  decoder::DecoderCounters decoder;
  std::uint64_t encoded_bytes = 0;
};

enum class Stage { kDecode, kBridge, kEncode };

// The sink's work in the daemon: each non-empty request of a batch encoded as an OTLP
// protobuf body. With BRIDGE_BENCH_DUMP=<file> set, the bodies of each run are also written
// to that file (replacing the previous run's), so that the output of two builds of the
// bridge can be compared byte for byte (the streams and their arrival times are fixed).
class BatchEncoder {
 public:
  BatchEncoder() {
    if (const char* path = std::getenv("BRIDGE_BENCH_DUMP"))
      dump_path_ = path;
  }

  void start() {
    bytes_ = 0;
    run_.clear();
  }

  void encode(bridge::Batch& batch) {
    if (batch.spans != 0)
      encode_one(batch.traces);
    if (batch.log_records != 0)
      encode_one(batch.logs);
  }

  // The bytes encoded since start(); writes the dump.
  std::uint64_t finish() {
    if (!dump_path_.empty()) {
      if (FILE* f = std::fopen(dump_path_.c_str(), "wb")) {
        std::fwrite(run_.data(), 1, run_.size(), f);
        std::fclose(f);
      }
    }
    return bytes_;
  }

 private:
  template <typename Request>
  void encode_one(const Request& request) {
    wire_.clear();
    otlp::encode_protobuf(request, wire_);
    bytes_ += wire_.size();
    benchmark::DoNotOptimize(wire_.data());
    if (!dump_path_.empty())
      run_ += wire_;
  }

  std::string dump_path_;
  std::string wire_;
  std::string run_;
  std::uint64_t bytes_ = 0;
};

void report(benchmark::State& state, std::size_t frames, std::size_t bytes, const Outcome& out) {
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  state.SetItemsProcessed(iterations * static_cast<std::int64_t>(frames));
  state.SetBytesProcessed(iterations * static_cast<std::int64_t>(bytes));
  if (out.encoded_bytes != 0)
    state.counters["otlp_bytes_per_frame"] =
        static_cast<double>(out.encoded_bytes) / static_cast<double>(frames);
}

Outcome run_edgetrace(const EdgetraceStream& s,
                      const std::shared_ptr<const decoder::EdgetraceTable>& table, bool render,
                      Stage stage, BatchEncoder& encoder) {
  Outcome out;
  decoder::StreamDecoder d(table, {.render = render});
  if (stage == Stage::kDecode) {
    std::uint64_t n = 0;
    const decoder::RecordSink sink = [&n](const decoder::Record& r) { n += r.args.size() + 1; };
    for (const Chunk& c : s.chunks)
      d.feed(std::span(s.bytes).subspan(c.offset, c.size), sink);
    benchmark::DoNotOptimize(n);
    out.decoder = d.counters();
    return out;
  }
  encoder.start();
  bridge::StreamBridge b(live_options(), [&](bridge::Batch& batch) {
    if (stage == Stage::kEncode)
      encoder.encode(batch);
  });
  std::uint64_t receive = 0;
  const decoder::RecordSink sink = [&](const decoder::Record& r) {
    b.add(r, d.counters(), receive);
  };
  for (const Chunk& c : s.chunks) {
    receive = c.receive_unix_nanos;
    d.feed(std::span(s.bytes).subspan(c.offset, c.size), sink);
  }
  d.finish(sink);
  b.note_counters(d.counters(), receive);
  b.end_stream(receive);
  b.flush();
  out.counters = b.counters();
  out.decoder = d.counters();
  out.encoded_bytes = encoder.finish();
  return out;
}

void BM_Edgetrace(benchmark::State& state, Stage stage) {
  const EdgetraceStream& s = edgetrace_stream();
  const auto table = firmware_table();
  const bool render = state.range(0) != 0;
  BatchEncoder encoder;
  Outcome out;
  for (auto _ : state)
    out = run_edgetrace(s, table, render, stage, encoder);
  const decoder::DecoderCounters& dc = out.decoder;
  if (dc.records != s.frames || dc.corrupt_frames != 0 || dc.lost_frames != 0 ||
      dc.malformed_records != 0 || dc.unknown_callsites != 0) {
    state.SkipWithError("the stream did not decode cleanly");
    return;
  }
  const bridge::BridgeCounters& bc = out.counters;
  if (stage != Stage::kDecode &&
      (bc.spans != s.spans || bc.log_records != s.logs || bc.incomplete_spans != 0 ||
       bc.logs_correlation_guessed != 0 || bc.loss_events != 0)) {
    state.SkipWithError("the bridge did not emit every span and log record as expected");
    return;
  }
  report(state, s.frames, s.bytes.size(), out);
}

void BM_EdgetraceDecodeOnly(benchmark::State& state) {
  BM_Edgetrace(state, Stage::kDecode);
}
void BM_EdgetraceDecodeBridge(benchmark::State& state) {
  BM_Edgetrace(state, Stage::kBridge);
}
void BM_EdgetraceToOtlpProtobuf(benchmark::State& state) {
  BM_Edgetrace(state, Stage::kEncode);
}
BENCHMARK(BM_EdgetraceDecodeOnly)->ArgName("render")->Arg(0)->Arg(1);
BENCHMARK(BM_EdgetraceDecodeBridge)->ArgName("render")->Arg(0)->Arg(1);
BENCHMARK(BM_EdgetraceToOtlpProtobuf)->ArgName("render")->Arg(0)->Arg(1);

// --- defmt -----------------------------------------------------------------------------

// The table and frames of defmt_decoder_bench.cpp.
std::shared_ptr<const decoder::DefmtTable> defmt_table() {
  return edgetrace::bench::defmt_bench_table();
}

constexpr std::size_t kDefmtFrames = 1000;
constexpr std::size_t kDefmtRepeats = 61;  // ~61,000 frames per connection, as above

std::vector<std::uint8_t> defmt_stream() {
  std::vector<std::uint8_t> s;
  for (const auto& f : edgetrace::bench::defmt_bench_frames(kDefmtFrames)) {
    decoder::rzcobs_encode(f, s);
    s.push_back(0);
  }
  return s;
}

void BM_Defmt(benchmark::State& state, Stage stage) {
  const auto bytes = defmt_stream();
  const auto table = defmt_table();
  const bool render = state.range(0) != 0;
  BatchEncoder encoder;
  Outcome out;
  for (auto _ : state) {
    out = {};
    decoder::DefmtDecoder d(table, {.render = render});
    std::uint64_t n = 0;
    std::uint64_t receive = kConnectedAt;
    if (stage == Stage::kDecode) {
      const decoder::RecordSink sink = [&n](const decoder::Record& r) { n += r.args.size() + 1; };
      for (std::size_t i = 0; i < kDefmtRepeats; ++i)
        d.feed(bytes, sink);
      benchmark::DoNotOptimize(n);
      out.decoder = d.counters();
      continue;
    }
    bridge::BridgeOptions o = live_options();
    o.firmware.build_id.clear();
    encoder.start();
    bridge::StreamBridge b(std::move(o), [&](bridge::Batch& batch) {
      if (stage == Stage::kEncode)
        encoder.encode(batch);
    });
    b.set_defmt_table(table);
    const decoder::RecordSink sink = [&](const decoder::Record& r) {
      b.add(r, d.counters(), receive);
    };
    for (std::size_t i = 0; i < kDefmtRepeats; ++i) {
      receive += 1'000'000'000;  // a second of logs per 1000 frames
      d.feed(bytes, sink);
    }
    d.finish(sink);
    b.note_counters(d.counters(), receive);
    b.end_stream(receive);
    b.flush();
    out.counters = b.counters();
    out.decoder = d.counters();
    out.encoded_bytes = encoder.finish();
  }
  const std::size_t frames = kDefmtFrames * kDefmtRepeats;
  if (out.decoder.records != frames || out.decoder.corrupt_frames != 0 ||
      out.decoder.malformed_records != 0) {
    state.SkipWithError("the stream did not decode cleanly");
    return;
  }
  if (stage != Stage::kDecode && out.counters.log_records != frames) {
    state.SkipWithError("the bridge did not emit one log record per frame");
    return;
  }
  report(state, frames, bytes.size() * kDefmtRepeats, out);
}

void BM_DefmtDecodeOnly(benchmark::State& state) {
  BM_Defmt(state, Stage::kDecode);
}
void BM_DefmtDecodeBridge(benchmark::State& state) {
  BM_Defmt(state, Stage::kBridge);
}
void BM_DefmtToOtlpProtobuf(benchmark::State& state) {
  BM_Defmt(state, Stage::kEncode);
}
BENCHMARK(BM_DefmtDecodeOnly)->ArgName("render")->Arg(0)->Arg(1);
BENCHMARK(BM_DefmtDecodeBridge)->ArgName("render")->Arg(0)->Arg(1);
BENCHMARK(BM_DefmtToOtlpProtobuf)->ArgName("render")->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
