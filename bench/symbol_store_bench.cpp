// Symbol store benchmarks: a cached get (the bridge's per-handshake lookup) and the upload
// of a 2 MiB ELF (validation, temporary file, fsync, link, metadata).
// Targets (2-core machine): cached get <= 1 us; put of a 2 MiB ELF <= 50 ms.
// Results: docs/benchmarks.md.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "edgetrace/decoder/symbol_store.hpp"

namespace {

using namespace edgetrace::decoder;
namespace fs = std::filesystem;

std::vector<std::uint8_t> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
}

// A fresh store in its own folder under the temporary directory (removed on exit).
struct BenchStore {
  BenchStore() {
    std::string tmpl = (fs::temp_directory_path() / "et-store-bench-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
    SymbolStoreOptions options;
    options.directory = dir;
    store = std::move(SymbolStore::open(options).value());
  }
  ~BenchStore() {
    store.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path dir;
  std::unique_ptr<SymbolStore> store;
};

void BM_CachedGet(benchmark::State& state) {
  BenchStore s;
  const std::string id = s.store->put(read_file(ET_FIXTURE_ELF)).value().info.build_id;
  if (!s.store->get(id)) {
    state.SkipWithError("get failed");
    return;
  }
  for (auto _ : state) {
    auto entry = s.store->get(std::string_view(id));
    benchmark::DoNotOptimize(entry);
  }
  state.counters["hits"] = static_cast<double>(s.store->counters().cache_hits);
}
BENCHMARK(BM_CachedGet);

// The same lookup from a handshake's raw build-id bytes, from two threads at once.
void BM_CachedGetByBytesThreaded(benchmark::State& state) {
  static BenchStore* s = nullptr;
  static std::vector<std::uint8_t> raw;
  if (state.thread_index() == 0) {
    s = new BenchStore();
    const std::string id = s->store->put(read_file(ET_FIXTURE_ELF)).value().info.build_id;
    raw.clear();
    for (std::size_t i = 0; i < id.size(); i += 2)
      raw.push_back(static_cast<std::uint8_t>(std::stoul(id.substr(i, 2), nullptr, 16)));
    (void)s->store->get(std::span<const std::uint8_t>(raw));
  }
  for (auto _ : state) {
    auto entry = s->store->get(std::span<const std::uint8_t>(raw));
    benchmark::DoNotOptimize(entry);
  }
  if (state.thread_index() == 0) {
    delete s;
    s = nullptr;
  }
}
BENCHMARK(BM_CachedGetByBytesThreaded)->Threads(2)->UseRealTime();

// A new 2 MiB ELF each iteration (the stored one is deleted, untimed, in between).
void BM_Put2MiB(benchmark::State& state) {
  BenchStore s;
  const auto elf = read_file(ET_FIXTURE_ELF_2MIB);
  if (elf.size() < (2u << 20)) {
    state.SkipWithError("the 2 MiB fixture is missing");
    return;
  }
  for (auto _ : state) {
    auto put = s.store->put(elf);
    if (!put || put->already_present) {
      state.SkipWithError("put failed");
      return;
    }
    state.PauseTiming();
    (void)s.store->remove(put->info.build_id);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * elf.size()));
  state.counters["elf_bytes"] = static_cast<double>(elf.size());
}
BENCHMARK(BM_Put2MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

// The same 2 MiB ELF again: validation and a byte comparison, nothing written.
void BM_Put2MiBAlreadyPresent(benchmark::State& state) {
  BenchStore s;
  const auto elf = read_file(ET_FIXTURE_ELF_2MIB);
  if (!s.store->put(elf)) {
    state.SkipWithError("put failed");
    return;
  }
  for (auto _ : state) {
    auto put = s.store->put(elf);
    benchmark::DoNotOptimize(put);
  }
}
BENCHMARK(BM_Put2MiBAlreadyPresent)->Unit(benchmark::kMillisecond)->UseRealTime();

// Validation alone (ELF, build-id, table) of the 2 MiB ELF.
void BM_CheckElf2MiB(benchmark::State& state) {
  const auto elf = read_file(ET_FIXTURE_ELF_2MIB);
  for (auto _ : state) {
    auto checked = check_elf(elf);
    benchmark::DoNotOptimize(checked);
  }
}
BENCHMARK(BM_CheckElf2MiB)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
