// Durable queue benchmarks: append throughput under the three fsync policies (never, every
// 10 ms, every record) for 1 KiB and 64 KiB records, and the consumer's read + ack rate.
// A consumer acks every 256 records so the queue stays far from its bound (segment files
// are created and deleted as in steady operation). The queue lives in a temporary directory
// under $EDGETRACE_BENCH_DIR, else the system temporary directory; fsync figures describe
// that file system. Results: docs/benchmarks.md, "Durable queue".
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "edgetrace/otlp/durable_queue.hpp"

namespace {

using namespace edgetrace;

class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("EDGETRACE_BENCH_DIR");
    std::filesystem::path root =
        base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
    std::string tmpl = (root / "edgetrace-dq-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr)
      path_ = tmpl;
  }
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

otlp::DurableQueueOptions options_for(const std::string& dir, otlp::FsyncPolicy fsync) {
  otlp::DurableQueueOptions o;
  o.directory = dir + "/queue";
  o.max_bytes = 1ull << 30;
  o.segment_bytes = 8u << 20;
  o.max_record_bytes = 1u << 20;
  o.fsync = fsync;
  return o;
}

void run_appends(benchmark::State& state, otlp::FsyncPolicy fsync) {
  BenchDir dir;
  core::Result<otlp::DurableQueue> q = otlp::DurableQueue::open(options_for(dir.path(), fsync));
  if (!q.ok()) {
    state.SkipWithError(q.status().to_string().c_str());
    return;
  }
  const std::string payload(static_cast<std::size_t>(state.range(0)), 'p');
  std::uint64_t n = 0;
  for (auto _ : state) {
    core::Result<std::uint64_t> seq = q->append(payload, 9);
    if (!seq.ok()) {
      state.SkipWithError(seq.status().to_string().c_str());
      break;
    }
    if (++n % 256 == 0 && !q->ack(*seq).ok()) {
      state.SkipWithError("ack failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.counters["fsyncs"] = static_cast<double>(q->counters().fsyncs);
}

void BM_AppendFsyncNever(benchmark::State& state) {
  run_appends(state, {otlp::FsyncMode::kNever, {}, 0});
}
BENCHMARK(BM_AppendFsyncNever)->Arg(1024)->Arg(64 * 1024)->UseRealTime();

void BM_AppendFsyncEvery10ms(benchmark::State& state) {
  run_appends(state, {otlp::FsyncMode::kInterval, std::chrono::milliseconds(10), 0});
}
BENCHMARK(BM_AppendFsyncEvery10ms)->Arg(1024)->Arg(64 * 1024)->UseRealTime();

void BM_AppendFsyncEveryRecord(benchmark::State& state) {
  run_appends(state, {otlp::FsyncMode::kEveryRecord, {}, 0});
}
BENCHMARK(BM_AppendFsyncEveryRecord)->Arg(1024)->Arg(64 * 1024)->UseRealTime();

// The consumer side: read 64 records (CRC verified) and ack them.
void BM_ReadAck(benchmark::State& state) {
  BenchDir dir;
  core::Result<otlp::DurableQueue> q =
      otlp::DurableQueue::open(options_for(dir.path(), {otlp::FsyncMode::kNever, {}, 0}));
  if (!q.ok()) {
    state.SkipWithError(q.status().to_string().c_str());
    return;
  }
  const std::string payload(static_cast<std::size_t>(state.range(0)), 'p');
  std::int64_t records = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < 64; ++i)
      q->append(payload, 9).value();
    state.ResumeTiming();
    core::Result<std::vector<otlp::QueuedRecord>> batch = q->read(64);
    if (!batch.ok() || batch->empty() || !q->ack(batch->back().sequence).ok()) {
      state.SkipWithError("read or ack failed");
      break;
    }
    records += static_cast<std::int64_t>(batch->size());
  }
  state.SetItemsProcessed(records);
  state.SetBytesProcessed(records * state.range(0));
}
BENCHMARK(BM_ReadAck)->Arg(1024)->Arg(64 * 1024)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
