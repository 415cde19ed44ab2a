// defmt stream decoding throughput: frames per second on one core, to structured records
// (render off) and with the defmt-print text rendered, for rzCOBS-framed and raw streams.
// The frames are a mix typical of firmware logs: a plain message, integers with hints,
// a nested struct, an enum, a short string and a byte slice; each carries a u32 timestamp.
// The text lines alone are measured too: defmt-print's default line and a --log-format
// with padding and a location, from decoded records.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "defmt_bench_stream.hpp"
#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/log_format.hpp"

using namespace edgetrace::decoder;

namespace {

std::shared_ptr<const DefmtTable> table(DefmtEncoding enc) {
  return edgetrace::bench::defmt_bench_table(enc);
}

std::vector<std::uint8_t> stream(DefmtEncoding enc) {
  std::vector<std::uint8_t> s;
  for (const auto& f : edgetrace::bench::defmt_bench_frames()) {
    if (enc == DefmtEncoding::kRzcobs) {
      rzcobs_encode(f, s);
      s.push_back(0);
    } else {
      s.insert(s.end(), f.begin(), f.end());
    }
  }
  return s;
}

void run(benchmark::State& state, DefmtEncoding enc, bool render) {
  const auto bytes = stream(enc);
  DecoderOptions opt;
  opt.render = render;
  DefmtDecoder d(table(enc), opt);
  std::uint64_t records = 0;
  const RecordSink sink = [&](const Record& r) {
    benchmark::DoNotOptimize(r.message.data());
    ++records;
  };
  for (auto _ : state) {
    d.feed(bytes, sink);
  }
  if (d.counters().records != 1000 * static_cast<std::uint64_t>(state.iterations())) {
    state.SkipWithError("frames were lost");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes.size()) * state.iterations());
}

void BM_DefmtRzcobsToRecords(benchmark::State& s) {
  run(s, DefmtEncoding::kRzcobs, false);
}
void BM_DefmtRzcobsRendered(benchmark::State& s) {
  run(s, DefmtEncoding::kRzcobs, true);
}
void BM_DefmtRawToRecords(benchmark::State& s) {
  run(s, DefmtEncoding::kRaw, false);
}
void BM_DefmtRawRendered(benchmark::State& s) {
  run(s, DefmtEncoding::kRaw, true);
}

void BM_RzcobsDeframeOnly(benchmark::State& state) {
  const auto bytes = stream(DefmtEncoding::kRzcobs);
  RzcobsDeframer d;
  std::uint64_t frames = 0;
  for (auto _ : state) {
    d.feed(bytes, [&](std::span<const std::uint8_t> f) {
      benchmark::DoNotOptimize(f.data());
      ++frames;
    });
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(frames));
}

// The decoded records of stream(kRaw), rendered, with a location as DWARF would give.
std::vector<Record> records() {
  DefmtDecoder d(table(DefmtEncoding::kRaw));
  std::vector<Record> out;
  d.feed(stream(DefmtEncoding::kRaw), [&](const Record& r) {
    out.push_back(r);
    out.back().location = {"/home/dev/app/src/sensors/adc.rs", 118, "app::sensors::adc"};
  });
  return out;
}

void lines(benchmark::State& state, const LogFormat& format) {
  const std::vector<Record> rs = records();
  std::string line;
  std::uint64_t n = 0;
  for (auto _ : state) {
    for (const Record& r : rs) {
      line.clear();
      format.append(r, line);
      benchmark::DoNotOptimize(line.data());
    }
    n += rs.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
}

void BM_DefmtDefaultLine(benchmark::State& s) {
  lines(s, LogFormat::defmt_default(true));
}
void BM_LogFormatWithLocation(benchmark::State& s) {
  static const LogFormat format = *LogFormat::parse("{t:>10} {[{L}]%<7} {s} ({ff}:{l:1})");
  lines(s, format);
}

}  // namespace

BENCHMARK(BM_DefmtRzcobsToRecords);
BENCHMARK(BM_DefmtRzcobsRendered);
BENCHMARK(BM_DefmtRawToRecords);
BENCHMARK(BM_DefmtRawRendered);
BENCHMARK(BM_RzcobsDeframeOnly);
BENCHMARK(BM_DefmtDefaultLine);
BENCHMARK(BM_LogFormatWithLocation);

BENCHMARK_MAIN();
