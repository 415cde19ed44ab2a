#include "edgetrace/decoder/symbol_store.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/elf_file.hpp"
#include "testing/symbol_fixture_elf.hpp"
#include "testing/temp_dir.hpp"

namespace edgetrace::decoder {
namespace {

namespace fs = std::filesystem;
using core::StatusCode;
using testing::fixture_elf;
using testing::flip_build_id;
using testing::TempDir;

std::unique_ptr<SymbolStore> open_store(const fs::path& dir, std::size_t budget = 64 << 20,
                                        std::size_t max_elf = 64 << 20) {
  SymbolStoreOptions options;
  options.directory = dir;
  options.cache_budget_bytes = budget;
  options.max_elf_bytes = max_elf;
  auto store = SymbolStore::open(options);
  EXPECT_TRUE(store) << store.status().to_string();
  return std::move(*store);
}

std::vector<fs::path> files_under(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file())
      out.push_back(fs::relative(e.path(), dir));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SymbolStoreTest, PutStoresTheElfUnderItsBuildIdAndGetReturnsItsTable) {
  TempDir dir;
  auto store = open_store(dir.path());
  const auto elf = fixture_elf();
  auto put = store->put(elf);
  ASSERT_TRUE(put) << put.status().to_string();
  EXPECT_FALSE(put->already_present);
  const std::string id = put->info.build_id;
  ASSERT_GE(id.size(), 2u);
  EXPECT_EQ(put->info.size, elf.size());
  EXPECT_EQ(put->info.kind, SymbolKind::kEdgetrace);
  EXPECT_EQ(put->info.call_sites, 3u);  // report: a span and two logs

  // The build-id is the ELF's own.
  auto parsed = ElfFile::from_bytes(elf);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(id, build_id_hex(*parsed->build_id()));

  // Layout: <dir>/<2 hex>/<id>.elf and .meta, nothing else (no temporary file left).
  const std::vector<fs::path> expected = {fs::path(id.substr(0, 2)) / (id + ".elf"),
                                          fs::path(id.substr(0, 2)) / (id + ".meta")};
  EXPECT_EQ(files_under(dir.path()), expected);
  EXPECT_EQ(testing::read_bytes(dir.path() / expected[0]), elf);

  auto entry = store->get(id);
  ASSERT_TRUE(entry) << entry.status().to_string();
  EXPECT_EQ((*entry)->build_id, id);
  EXPECT_EQ((*entry)->kind, SymbolKind::kEdgetrace);
  EXPECT_NE((*entry)->edgetrace, nullptr);
  EXPECT_EQ((*entry)->call_sites, 3u);
  EXPECT_GT((*entry)->memory_bytes, 0u);

  // The same entry by the raw bytes of a handshake, and by upper-case hex.
  auto by_bytes = store->get(std::span<const std::uint8_t>(*parsed->build_id()));
  ASSERT_TRUE(by_bytes);
  EXPECT_EQ(by_bytes->get(), entry->get());
  std::string upper = id;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  auto by_upper = store->get(upper);
  ASSERT_TRUE(by_upper);
  EXPECT_EQ(by_upper->get(), entry->get());

  const auto c = store->counters();
  EXPECT_EQ(c.puts, 1u);
  EXPECT_EQ(c.cache_misses, 1u);
  EXPECT_EQ(c.cache_hits, 2u);
  EXPECT_EQ(c.cache_entries, 1u);
}

TEST(SymbolStoreTest, PutOfIdenticalBytesIsIdempotent) {
  TempDir dir;
  auto store = open_store(dir.path());
  const auto elf = fixture_elf();
  auto first = store->put(elf);
  ASSERT_TRUE(first);
  const auto files = files_under(dir.path());
  auto second = store->put(elf);
  ASSERT_TRUE(second) << second.status().to_string();
  EXPECT_TRUE(second->already_present);
  EXPECT_EQ(second->info.build_id, first->info.build_id);
  EXPECT_EQ(second->info.uploaded_unix_seconds, first->info.uploaded_unix_seconds);
  EXPECT_EQ(files_under(dir.path()), files);
  EXPECT_EQ(store->counters().puts, 1u);
  EXPECT_EQ(store->counters().already_present, 1u);
}

TEST(SymbolStoreTest, DifferentBytesUnderTheSameBuildIdAreAConflict) {
  TempDir dir;
  auto store = open_store(dir.path());
  const auto elf = fixture_elf();
  ASSERT_TRUE(store->put(elf));
  auto other = elf;
  other.push_back(0x42);  // still a valid ELF with the same build-id
  auto r = store->put(other);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(r.status().message().find("conflict"), std::string::npos) << r.status().message();
  EXPECT_EQ(store->counters().conflicts, 1u);
  // The stored ELF is untouched.
  auto stored = store->read_elf(store->list()->front().build_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, elf);
}

TEST(SymbolStoreTest, RefusesInvalidElfFilesWithAClearError) {
  TempDir dir;
  auto store = open_store(dir.path(), 64 << 20, 1 << 20);

  const std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  auto not_elf = store->put(text);
  ASSERT_FALSE(not_elf);
  EXPECT_EQ(not_elf.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(not_elf.status().message().find("not an ELF"), std::string::npos);

  auto no_id = store->put(testing::without_build_id(fixture_elf()));
  ASSERT_FALSE(no_id);
  EXPECT_EQ(no_id.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_id.status().message().find("no GNU build-id"), std::string::npos)
      << no_id.status().message();

  // This test program is a real ELF with a build-id but no call-site table (under the
  // sanitizers it is larger than the default limit, which is not what this checks).
  auto no_table =
      open_store(dir.path(), 64 << 20, std::size_t{1} << 30)->put_file("/proc/self/exe");
  ASSERT_FALSE(no_table);
  EXPECT_EQ(no_table.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_table.status().message().find("neither an edgetrace call-site table"),
            std::string::npos)
      << no_table.status().message();

  std::vector<std::uint8_t> big = fixture_elf();
  big.resize((1 << 20) + 1);
  auto too_big = store->put(big);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(too_big.status().message().find("limit of 1048576 bytes"), std::string::npos);

  auto missing = store->put_file(dir.path() / "missing.elf");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  EXPECT_EQ(store->counters().invalid, 3u);  // a missing file is not an invalid ELF
  EXPECT_TRUE(files_under(dir.path()).empty());
}

TEST(SymbolStoreTest, BuildIdsAreCheckedBeforeTouchingTheFileSystem) {
  TempDir dir;
  auto store = open_store(dir.path());
  for (const char* bad : {"", "a", "abc", "../../etc/passwd", "zz",
                          "0123456789abcdef0123456789abcdef"
                          "0123456789abcdef0123456789abcdef00"}) {
    auto r = store->get(std::string_view(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(store->remove(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  auto absent = store->get(std::string_view("abcdef"));
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.status().code(), StatusCode::kNotFound);
}

TEST(SymbolStoreTest, ListShowAndRemove) {
  TempDir dir;
  auto store = open_store(dir.path());
  const auto a = fixture_elf();
  const auto b = flip_build_id(a, 0, 0x01);
  const auto c = flip_build_id(a, 0, 0x02);
  const auto before = std::chrono::system_clock::now();
  std::vector<std::string> ids;
  for (const auto* elf : {&a, &b, &c}) {
    auto put = store->put(*elf);
    ASSERT_TRUE(put) << put.status().to_string();
    ids.push_back(put->info.build_id);
  }
  std::sort(ids.begin(), ids.end());

  auto all = store->list();
  ASSERT_TRUE(all) << all.status().to_string();
  ASSERT_EQ(all->size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ((*all)[i].build_id, ids[i]);
    EXPECT_EQ((*all)[i].size, a.size());
    EXPECT_EQ((*all)[i].kind, SymbolKind::kEdgetrace);
    EXPECT_EQ((*all)[i].call_sites, 3u);
  }
  auto shown = store->show(ids[0]);
  ASSERT_TRUE(shown);
  const auto t0 = std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch());
  EXPECT_GE(shown->uploaded_unix_seconds, t0.count());
  EXPECT_LE(shown->uploaded_unix_seconds, t0.count() + 60);

  ASSERT_TRUE(store->get(ids[0]));
  ASSERT_TRUE(store->remove(ids[0]).ok());
  EXPECT_EQ(store->get(ids[0]).status().code(), StatusCode::kNotFound);  // not from the cache
  EXPECT_EQ(store->show(ids[0]).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->remove(ids[0]).code(), StatusCode::kNotFound);
  EXPECT_EQ(store->list()->size(), ids.size() - 1);
  EXPECT_EQ(store->counters().removes, 1u);
  EXPECT_EQ(store->counters().cache_entries, 0u);
}

TEST(SymbolStoreTest, MissingMetadataIsDerivedFromTheElf) {
  TempDir dir;
  auto store = open_store(dir.path());
  auto put = store->put(fixture_elf());
  ASSERT_TRUE(put);
  const std::string id = put->info.build_id;
  fs::remove(dir.path() / id.substr(0, 2) / (id + ".meta"));
  auto shown = store->show(id);
  ASSERT_TRUE(shown) << shown.status().to_string();
  EXPECT_EQ(shown->call_sites, 3u);
  EXPECT_EQ(shown->size, put->info.size);
  EXPECT_GT(shown->uploaded_unix_seconds, 0);
  // A later put of the same bytes writes the metadata again.
  auto again = store->put(fixture_elf());
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->already_present);
  EXPECT_TRUE(fs::exists(dir.path() / id.substr(0, 2) / (id + ".meta")));
}

TEST(SymbolStoreTest, KeepsTheNameTheElfWasUploadedUnder) {
  TempDir dir;
  auto store = open_store(dir.path());
  const auto elf = fixture_elf();
  testing::write_bytes(dir.path() / "sensor-2.1.elf", elf);
  auto put = store->put_file(dir.path() / "sensor-2.1.elf");
  ASSERT_TRUE(put) << put.status().to_string();
  EXPECT_EQ(put->info.name, "sensor-2.1.elf");
  const std::string id = put->info.build_id;
  EXPECT_EQ(store->show(id)->name, "sensor-2.1.elf");
  // A later put without a name keeps it; the metadata file names it on its own line.
  ASSERT_TRUE(store->put(elf));
  EXPECT_EQ(store->show(id)->name, "sensor-2.1.elf");
  const std::vector<std::uint8_t> meta =
      testing::read_bytes(dir.path() / id.substr(0, 2) / (id + ".meta"));
  EXPECT_NE(std::string(meta.begin(), meta.end()).find("\nname sensor-2.1.elf\n"),
            std::string::npos);
}

TEST(SymbolStoreTest, NameIsAddedLaterAndSanitized) {
  TempDir dir;
  auto store = open_store(dir.path());
  auto put = store->put(fixture_elf());  // no name (as stores written before names)
  ASSERT_TRUE(put);
  EXPECT_EQ(store->show(put->info.build_id)->name, "");
  ASSERT_TRUE(store->put(fixture_elf(), "../build/my fw\n.elf"));
  EXPECT_EQ(store->show(put->info.build_id)->name, "my_fw_.elf");
  EXPECT_EQ(sanitize_elf_name(std::string(300, 'a')).size(), 128u);
  EXPECT_EQ(sanitize_elf_name("dir/sub/app.elf"), "app.elf");
}

TEST(SymbolStoreTest, CorruptStoredFileIsReportedAsDataLoss) {
  TempDir dir;
  auto store = open_store(dir.path());
  auto put = store->put(fixture_elf());
  ASSERT_TRUE(put);
  const std::string id = put->info.build_id;
  std::ofstream(dir.path() / id.substr(0, 2) / (id + ".elf"), std::ios::trunc) << "garbage";
  auto r = store->get(id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
}

TEST(SymbolStoreTest, CacheEvictsLeastRecentlyUsedBeyondItsByteBudget) {
  TempDir dir;
  const auto a = fixture_elf();
  const auto b = flip_build_id(a, 1, 0x01);
  const auto c = flip_build_id(a, 1, 0x02);
  std::size_t entry_bytes = 0;
  std::vector<std::string> ids;
  {
    auto setup = open_store(dir.path());
    for (const auto* elf : {&a, &b, &c})
      ids.push_back(setup->put(*elf)->info.build_id);
    entry_bytes = (*setup->get(ids[0]))->memory_bytes;
  }
  ASSERT_GT(entry_bytes, 0u);
  // Room for two entries, not three.
  auto store = open_store(dir.path(), entry_bytes * 2 + entry_bytes / 2);
  ASSERT_TRUE(store->get(ids[0]));  // miss
  ASSERT_TRUE(store->get(ids[1]));  // miss
  ASSERT_TRUE(store->get(ids[0]));  // hit: A is now the most recent
  ASSERT_TRUE(store->get(ids[2]));  // miss, evicts B (least recently used)
  auto c1 = store->counters();
  EXPECT_EQ(c1.cache_misses, 3u);
  EXPECT_EQ(c1.cache_hits, 1u);
  EXPECT_EQ(c1.cache_evictions, 1u);
  EXPECT_EQ(c1.cache_entries, 2u);
  EXPECT_EQ(c1.cache_bytes, 2 * entry_bytes);
  ASSERT_TRUE(store->get(ids[0]));  // still cached
  EXPECT_EQ(store->counters().cache_hits, 2u);
  ASSERT_TRUE(store->get(ids[1]));  // was evicted: read again
  EXPECT_EQ(store->counters().cache_misses, 4u);
  EXPECT_EQ(store->counters().cache_evictions, 2u);

  // An entry larger than the whole budget is served but not cached.
  auto tiny = open_store(dir.path(), entry_bytes - 1);
  ASSERT_TRUE(tiny->get(ids[0]));
  ASSERT_TRUE(tiny->get(ids[0]));
  EXPECT_EQ(tiny->counters().cache_misses, 2u);
  EXPECT_EQ(tiny->counters().cache_entries, 0u);
}

TEST(SymbolStoreTest, EntriesStayValidAfterEviction) {
  TempDir dir;
  const auto a = fixture_elf();
  const auto b = flip_build_id(a, 2, 0x07);
  auto store = open_store(dir.path(), 1);  // nothing fits: every get is a miss
  const std::string ida = store->put(a)->info.build_id;
  ASSERT_TRUE(store->put(b));
  auto held = store->get(ida);
  ASSERT_TRUE(held);
  ASSERT_TRUE(store->remove(ida).ok());
  EXPECT_EQ((*held)->build_id, ida);
  EXPECT_EQ((*held)->call_sites, 3u);
}

TEST(SymbolStoreTest, StaleTemporaryFilesAreRemovedAndNeverListed) {
  TempDir dir;
  auto put = open_store(dir.path())->put(fixture_elf());
  ASSERT_TRUE(put);
  const fs::path sub = dir.path() / put->info.build_id.substr(0, 2);
  const fs::path stale = sub / (".tmp." + put->info.build_id + ".1.0.elf");
  const fs::path fresh = sub / (".tmp." + put->info.build_id + ".2.0.elf");
  std::ofstream(stale) << "half an ELF from a crashed writer";
  std::ofstream(fresh) << "a writer still at work";
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));
  auto store = open_store(dir.path());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
  auto all = store->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().build_id, put->info.build_id);
}

TEST(SymbolStoreTest, ConcurrentUploadersOfTheSameElfAllSucceedOnce) {
  TempDir dir;
  auto store = open_store(dir.path());
  const auto elf = fixture_elf();
  constexpr int kThreads = 8;
  std::barrier start(kThreads);
  std::atomic<int> ok{0}, fresh{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto r = store->put(elf);
      if (r) {
        ok.fetch_add(1);
        if (!r->already_present)
          fresh.fetch_add(1);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(fresh.load(), 1);
  EXPECT_EQ(store->counters().puts, 1u);
  EXPECT_EQ(store->counters().already_present, kThreads - 1u);
  EXPECT_EQ(files_under(dir.path()).size(), 2u);
}

TEST(SymbolStoreTest, ConcurrentConflictingUploadersExactlyOneVersionWins) {
  const auto a = fixture_elf();
  auto b = a;
  b.push_back(0);
  for (int round = 0; round < 10; ++round) {
    TempDir dir;
    auto store = open_store(dir.path());
    constexpr int kThreads = 8;
    std::barrier start(kThreads);
    std::atomic<int> ok_a{0}, ok_b{0}, conflicts{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto r = store->put(i % 2 == 0 ? a : b);
        if (r)
          (i % 2 == 0 ? ok_a : ok_b).fetch_add(1);
        else if (r.status().code() == StatusCode::kAlreadyExists)
          conflicts.fetch_add(1);
      });
    }
    for (auto& t : threads)
      t.join();
    // One version won; every uploader of it succeeded, every uploader of the other got a
    // conflict.
    EXPECT_TRUE((ok_a == kThreads / 2 && ok_b == 0) || (ok_b == kThreads / 2 && ok_a == 0));
    EXPECT_EQ(conflicts.load(), kThreads / 2);
    const auto stored = store->read_elf(store->list()->front().build_id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(*stored, ok_a > 0 ? a : b);
  }
}

// Two processes (fork) sharing one directory, each with its own SymbolStore, upload the
// same ELF at the same moment: both succeed, exactly one of them stores it.
TEST(SymbolStoreTest, TwoProcessesUploadingTheSameElfBothSucceed) {
  const auto elf = fixture_elf();
  for (int round = 0; round < 10; ++round) {
    TempDir dir;
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    pid_t children[2];
    for (pid_t& child : children) {
      child = ::fork();
      ASSERT_GE(child, 0);
      if (child == 0) {
        ::close(go[1]);
        char byte;
        (void)!::read(go[0], &byte, 1);  // returns 0 when the parent closes the pipe
        SymbolStoreOptions options;
        options.directory = dir.path();
        auto store = SymbolStore::open(options);
        if (!store)
          ::_exit(3);
        auto r = (*store)->put(elf);
        ::_exit(!r ? 2 : r->already_present ? 1 : 0);
      }
    }
    ::close(go[0]);
    ::close(go[1]);  // both children start now
    int codes[2];
    for (int i = 0; i < 2; ++i) {
      int status = 0;
      ASSERT_EQ(::waitpid(children[i], &status, 0), children[i]);
      ASSERT_TRUE(WIFEXITED(status));
      codes[i] = WEXITSTATUS(status);
    }
    std::sort(std::begin(codes), std::end(codes));
    EXPECT_EQ(codes[0], 0) << "round " << round;  // one stored it
    EXPECT_EQ(codes[1], 1) << "round " << round;  // the other found it already present
    EXPECT_EQ(files_under(dir.path()).size(), 2u);
    auto store = open_store(dir.path());
    auto stored = store->read_elf(store->list()->front().build_id);
    ASSERT_TRUE(stored);
    EXPECT_EQ(*stored, elf);
  }
}

#ifdef ET_DEFMT_CORPUS_DIR
TEST(SymbolStoreTest, StoresDefmtFirmwareAndRefusesAnUnsupportedDefmtVersion) {
  TempDir dir;
  auto store = open_store(dir.path());
  auto put = store->put_file(ET_DEFMT_CORPUS_DIR "/corpus.elf");
  ASSERT_TRUE(put) << put.status().to_string();
  EXPECT_EQ(put->info.kind, SymbolKind::kDefmt);
  EXPECT_GT(put->info.call_sites, 0u);
  auto entry = store->get(put->info.build_id);
  ASSERT_TRUE(entry);
  ASSERT_NE((*entry)->defmt, nullptr);
  EXPECT_EQ((*entry)->edgetrace, nullptr);
  EXPECT_EQ((*entry)->call_sites, (*entry)->defmt->log_indices().size());
  EXPECT_EQ((*entry)->memory_bytes, (*entry)->defmt->memory_bytes() + sizeof(SymbolEntry));

  auto v3 = store->put_file(ET_DEFMT_CORPUS_DIR "/version3.elf");
  ASSERT_FALSE(v3);
  EXPECT_EQ(v3.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(v3.status().message().find("defmt table:"), std::string::npos) << v3.status().message();
  EXPECT_EQ(store->list()->size(), 1u);
}
#endif

TEST(SymbolStoreTest, CheckElfRejectsTruncatedFiles) {
  const auto elf = fixture_elf();
  for (std::size_t n : {std::size_t{0}, std::size_t{4}, std::size_t{52}, elf.size() / 2}) {
    std::vector<std::uint8_t> cut(elf.begin(), elf.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = check_elf(cut);
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << n;
  }
}

}  // namespace
}  // namespace edgetrace::decoder
