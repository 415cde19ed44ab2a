#define ET_TARGET "shop::cart"
#include "edgetrace/sdk/file_layer.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <simdjson.h>
#include <csignal>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <new>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "edgetrace/sdk/console_layer.hpp"
#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/span.hpp"
#include "testing/temp_dir.hpp"

// Counts heap allocations made by the calling thread while counting is on.
namespace {
thread_local bool g_counting = false;
thread_local std::size_t g_allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (g_counting)
    ++g_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size))
    return p;
  throw std::bad_alloc();
}
// std::get_temporary_buffer (stable_sort) uses the nothrow form: it must pair with free too.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  if (g_counting)
    ++g_allocations;
  return std::malloc(size == 0 ? 1 : size);
}
// GCC cannot see that this file's operator new pairs with these.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace edgetrace::sdk {
namespace {

namespace fs = std::filesystem;
using edgetrace::field;
using std::chrono::system_clock;
using namespace std::chrono_literals;

constexpr std::int64_t kBase = 1795269950;  // 2026-11-21T14:05:50Z

Deadline in(std::chrono::milliseconds ms) {
  return std::chrono::steady_clock::now() + ms;
}

using edgetrace::testing::TempDir;

// The names of the files in `dir`, sorted.
std::vector<std::string> names_in(const TempDir& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir.path().string()))
    out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Makes `name` in `dir`, holding "old\n".
void touch(const TempDir& dir, std::string_view name) {
  std::ofstream(dir.path() / name) << "old\n";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A settable clock that can also stall the thread calling it (to stall the writer).
class TestClock {
 public:
  explicit TestClock(std::int64_t seconds) : seconds_(seconds) {}
  std::function<system_clock::time_point()> fn() {
    return [this] {
      std::unique_lock<std::mutex> lock(mu_);
      if (held_) {
        ++stalled_;
        cv_.notify_all();
        cv_.wait(lock, [&] { return !held_; });
      }
      return system_clock::time_point(std::chrono::seconds(seconds_.load()));
    };
  }
  void set(std::int64_t seconds) { seconds_.store(seconds); }
  void hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = false;
    cv_.notify_all();
  }
  // Waits until a caller is stalled in the clock.
  void wait_stalled() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return stalled_ > 0; });
  }

 private:
  std::atomic<std::int64_t> seconds_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  int stalled_ = 0;
};

const Metadata kMeta{"event", "shop::cart", core::Level::kInfo,   "src/cart.cpp",
                     42,      "add",        CallsiteKind::kEvent, {}};

// Logs `n` events "line <i>" straight into the layer.
void log_lines(Layer& layer, int n, int first = 0) {
  for (int i = first; i < first + n; ++i) {
    const Field fields[] = {{"i", Value::of_int(i)}};
    layer.on_event(Event{kMeta, "line", fields, static_cast<std::uint64_t>(kBase) * 1'000'000'000});
  }
}

std::unique_ptr<FileLayer> make(FileLayerOptions options) {
  auto r = FileLayer::create(std::move(options));
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? std::move(r).value() : nullptr;
}

TEST(FileLayerNameTest, NamesFollowTracingAppender) {
  const system_clock::time_point t{std::chrono::seconds(kBase)};
  EXPECT_EQ(rolling_file_name("app", "log", Rotation::kDaily, t), "app.2026-11-21.log");
  EXPECT_EQ(rolling_file_name("app", "log", Rotation::kHourly, t), "app.2026-11-21-14.log");
  EXPECT_EQ(rolling_file_name("app", "log", Rotation::kMinutely, t), "app.2026-11-21-14-05.log");
  EXPECT_EQ(rolling_file_name("app", "log", Rotation::kNever, t), "app.log");
  EXPECT_EQ(rolling_file_name("", "log", Rotation::kDaily, t), "2026-11-21.log");
  EXPECT_EQ(rolling_file_name("worker-3", "", Rotation::kDaily, t), "worker-3.2026-11-21");
  EXPECT_EQ(rolling_file_name("app", "", Rotation::kNever, t), "app");
}

TEST(FileLayerTest, CreateMakesNestedDirectoriesAndTheFirstFile) {
  TempDir dir("edgetrace-file-layer");
  TestClock clock(kBase);
  auto layer = make({.directory = dir.file("a/b/c"), .clock = clock.fn()});
  ASSERT_NE(layer, nullptr);
  EXPECT_EQ(layer->current_path(), dir.file("a/b/c/app.2026-11-21.log"));
  EXPECT_TRUE(fs::exists(layer->current_path()));
}

TEST(FileLayerTest, RelativeDirectoryIsResolvedAtCreate) {
  const std::string name = "et-file-layer-relative-" + std::to_string(::getpid());
  {
    auto layer = make({.directory = name + "/logs", .rotation = Rotation::kNever});
    ASSERT_NE(layer, nullptr);
    EXPECT_EQ(layer->current_path(), (fs::current_path() / name / "logs/app.log").string());
  }
  std::error_code ec;
  fs::remove_all(name, ec);
}

TEST(FileLayerTest, CreateFailsWithThePathWhenTheDirectoryCannotBeMade) {
  TempDir dir("edgetrace-file-layer");
  touch(dir, "file");
  auto r = FileLayer::create({.directory = dir.file("file/logs")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot create directory '" + dir.file("file/logs") + "'"),
            std::string::npos)
      << r.status().to_string();

  auto blocked = FileLayer::create({.directory = dir.file("file")});
  ASSERT_FALSE(blocked.ok());
  EXPECT_NE(blocked.status().message().find(dir.file("file")), std::string::npos);
}

TEST(FileLayerTest, CreateRejectsBadOptionsClearly) {
  TempDir dir("edgetrace-file-layer");
  const auto message = [&](FileLayerOptions o) {
    o.directory = dir.path().string();
    auto r = FileLayer::create(std::move(o));
    return r.ok() ? std::string("ok") : r.status().to_string();
  };
  EXPECT_EQ(message({.prefix = "a/b"}),
            "invalid_argument: file layer: prefix 'a/b' must not contain '/'");
  EXPECT_EQ(message({.suffix = "x/"}),
            "invalid_argument: file layer: suffix 'x/' must not contain '/'");
  EXPECT_EQ(message({.prefix = "", .suffix = "", .rotation = Rotation::kNever}),
            "invalid_argument: file layer: prefix and suffix are both empty, so the file would "
            "have no name");
  EXPECT_EQ(message({.queue_capacity = 0}),
            "invalid_argument: file layer: queue_capacity 0 is outside 1..1048576");
  EXPECT_EQ(names_in(dir), std::vector<std::string>{});
}

TEST(FileLayerTest, WritesFormattedLinesWithoutColours) {
  TempDir dir("edgetrace-file-layer");
  auto layer = make({.directory = dir.path().string(),
                     .rotation = Rotation::kNever,
                     .line = {.format = LineFormat::kCompact}});
  log_lines(*layer, 3);
  ASSERT_TRUE(layer->force_flush(in(std::chrono::seconds(5))));
  EXPECT_EQ(read_file(dir.file("app.log")),
            "2026-11-21T14:05:50.000000Z  INFO shop::cart: line i=0\n"
            "2026-11-21T14:05:50.000000Z  INFO shop::cart: line i=1\n"
            "2026-11-21T14:05:50.000000Z  INFO shop::cart: line i=2\n");
  EXPECT_EQ(layer->counters().written.load(), 3u);
}

TEST(FileLayerTest, AppendsToAnExistingFile) {
  TempDir dir("edgetrace-file-layer");
  touch(dir, "app.log");
  auto layer = make({.directory = dir.path().string(), .rotation = Rotation::kNever});
  log_lines(*layer, 1);
  ASSERT_TRUE(layer->shutdown(in(std::chrono::seconds(5))));
  EXPECT_EQ(read_file(dir.file("app.log")),
            "old\n2026-11-21T14:05:50.000000Z  INFO shop::cart: line i=0\n");
}

struct RotationCase {
  Rotation rotation;
  std::int64_t step;  // seconds to the next period
  const char* first;
  const char* second;
};

class FileRotationTest : public ::testing::TestWithParam<RotationCase> {};

TEST_P(FileRotationTest, RollsOverAtThePeriodBoundary) {
  const RotationCase& c = GetParam();
  TempDir dir("edgetrace-file-layer");
  TestClock clock(kBase);
  auto layer =
      make({.directory = dir.path().string(), .rotation = c.rotation, .clock = clock.fn()});
  log_lines(*layer, 2, 0);
  ASSERT_TRUE(layer->force_flush(in(std::chrono::seconds(5))));
  clock.set(kBase + c.step);
  log_lines(*layer, 3, 2);
  ASSERT_TRUE(layer->force_flush(in(std::chrono::seconds(5))));
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{c.first, c.second}));
  EXPECT_EQ(count_lines(read_file(dir.file(c.first))), 2u);
  EXPECT_EQ(count_lines(read_file(dir.file(c.second))), 3u);
  EXPECT_NE(read_file(dir.file(c.second)).find("i=4"), std::string::npos);
  EXPECT_EQ(layer->counters().rotations.load(), 1u);
  EXPECT_EQ(layer->current_path(), dir.file(c.second));
}

INSTANTIATE_TEST_SUITE_P(Periods, FileRotationTest,
                         ::testing::Values(
                             // 14:05:50 + 10 s is the next minute; + 3600 - 350 the next hour; 10 h
                             // later the next day.
                             RotationCase{Rotation::kMinutely, 10, "app.2026-11-21-14-05.log",
                                          "app.2026-11-21-14-06.log"},
                             RotationCase{Rotation::kHourly, 3600 - 350, "app.2026-11-21-14.log",
                                          "app.2026-11-21-15.log"},
                             RotationCase{Rotation::kDaily, 10 * 3600, "app.2026-11-21.log",
                                          "app.2026-11-22.log"}),
                         [](const auto& test) {
                           return std::string(test.param.rotation == Rotation::kMinutely
                                                  ? "Minutely"
                                              : test.param.rotation == Rotation::kHourly ? "Hourly"
                                                                                         : "Daily");
                         });

TEST(FileLayerTest, StaysInOnePeriodUntilTheBoundaryAndNeverRotatesWithNever) {
  TempDir dir("edgetrace-file-layer");
  TestClock clock(kBase);
  auto hourly = make({.directory = dir.path().string(),
                      .prefix = "h",
                      .rotation = Rotation::kHourly,
                      .clock = clock.fn()});
  auto never = make({.directory = dir.path().string(),
                     .prefix = "n",
                     .rotation = Rotation::kNever,
                     .clock = clock.fn()});
  log_lines(*hourly, 1);
  log_lines(*never, 1);
  ASSERT_TRUE(hourly->force_flush(in(std::chrono::seconds(5))));
  ASSERT_TRUE(never->force_flush(in(std::chrono::seconds(5))));
  clock.set(kBase + 3249);  // 14:59:59
  log_lines(*hourly, 1);
  ASSERT_TRUE(hourly->force_flush(in(std::chrono::seconds(5))));
  clock.set(kBase + 7 * 86400);
  log_lines(*never, 1);
  ASSERT_TRUE(never->force_flush(in(std::chrono::seconds(5))));
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{"h.2026-11-21-14.log", "n.log"}));
  EXPECT_EQ(count_lines(read_file(dir.file("h.2026-11-21-14.log"))), 2u);
  EXPECT_EQ(count_lines(read_file(dir.file("n.log"))), 2u);
  EXPECT_EQ(hourly->counters().rotations.load(), 0u);
  EXPECT_EQ(never->counters().rotations.load(), 0u);
}

TEST(FileLayerTest, MaxFilesDeletesTheOldestOfItsOwnFilesOnly) {
  TempDir dir("edgetrace-file-layer");
  for (const char* name : {"app.2026-11-15.log", "app.2026-11-16.log", "app.2026-11-17.log",
                           "app.2026-11-18.log", "app.2026-11-19.log"})
    touch(dir, name);
  // Not ours: another prefix, another suffix, another rotation's names, not a date.
  const std::vector<std::string> others = {"other.2026-11-01.log", "app.2026-11-01.txt",
                                           "app.2026-11-01-01.log", "app.notadate.log",
                                           "app.2026-11-0x.log"};
  for (const std::string& name : others)
    touch(dir, name);
  TestClock clock(kBase);
  auto layer = make({.directory = dir.path().string(), .max_files = 3, .clock = clock.fn()});
  // At create: 15..19 and 21 are ours; the three oldest go.
  EXPECT_EQ(layer->counters().files_removed.load(), 3u);
  log_lines(*layer, 1);
  ASSERT_TRUE(layer->force_flush(in(std::chrono::seconds(5))));
  clock.set(kBase + 86400);
  log_lines(*layer, 1);
  ASSERT_TRUE(layer->force_flush(in(std::chrono::seconds(5))));
  EXPECT_EQ(layer->counters().files_removed.load(), 4u);
  EXPECT_EQ(layer->counters().rotations.load(), 1u);
  std::vector<std::string> expected = others;
  for (const char* name : {"app.2026-11-19.log", "app.2026-11-21.log", "app.2026-11-22.log"})
    expected.push_back(name);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names_in(dir), expected);
}

TEST(FileLayerTest, PrefixesKeepWorkersApart) {
  TempDir dir("edgetrace-file-layer");
  TestClock clock(kBase);
  auto one = make({.directory = dir.path().string(),
                   .prefix = "worker-1",
                   .rotation = Rotation::kMinutely,
                   .max_files = 1,
                   .clock = clock.fn()});
  auto two = make({.directory = dir.path().string(),
                   .prefix = "worker-2",
                   .rotation = Rotation::kMinutely,
                   .max_files = 1,
                   .clock = clock.fn()});
  for (int minute = 0; minute < 3; ++minute) {
    clock.set(kBase + 60 * minute);
    log_lines(*one, 1);
    log_lines(*two, 2);
    ASSERT_TRUE(one->force_flush(in(std::chrono::seconds(5))));
    ASSERT_TRUE(two->force_flush(in(std::chrono::seconds(5))));
  }
  EXPECT_EQ(names_in(dir), (std::vector<std::string>{"worker-1.2026-11-21-14-07.log",
                                                     "worker-2.2026-11-21-14-07.log"}));
  EXPECT_EQ(count_lines(read_file(dir.file("worker-2.2026-11-21-14-07.log"))), 2u);
  EXPECT_EQ(one->counters().files_removed.load(), 2u);
  EXPECT_EQ(two->counters().files_removed.load(), 2u);
}

TEST(FileLayerTest, LossyQueueDropsAndCountsWhenTheWriterIsStalled) {
  TempDir dir("edgetrace-file-layer");
  TestClock clock(kBase);
  auto layer = make({.directory = dir.path().string(),
                     .rotation = Rotation::kNever,
                     .queue_capacity = 2,
                     .clock = clock.fn()});
  clock.hold();  // the writer stalls in the clock before taking anything
  log_lines(*layer, 10);
  EXPECT_EQ(layer->counters().dropped_queue_full.load(), 8u);
  clock.release();
  ASSERT_TRUE(layer->force_flush(in(std::chrono::seconds(5))));
  EXPECT_EQ(layer->counters().written.load(), 2u);
  EXPECT_EQ(read_file(dir.file("app.log")),
            "2026-11-21T14:05:50.000000Z  INFO shop::cart: line i=0\n"
            "2026-11-21T14:05:50.000000Z  INFO shop::cart: line i=1\n");
}

TEST(FileLayerTest, BlockingQueueMakesTheCallerWaitAndLosesNothing) {
  TempDir dir("edgetrace-file-layer");
  TestClock clock(kBase);
  auto layer = make({.directory = dir.path().string(),
                     .rotation = Rotation::kNever,
                     .queue_capacity = 2,
                     .lossy = false,
                     .clock = clock.fn()});
  clock.hold();
  std::atomic<int> sent{0};
  std::thread producer([&] {
    for (int i = 0; i < 50; ++i) {
      log_lines(*layer, 1, i);
      sent.fetch_add(1);
    }
  });
  clock.wait_stalled();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(sent.load(), 2);  // two fit, the third waits for room
  clock.release();
  producer.join();
  ASSERT_TRUE(layer->force_flush(in(std::chrono::seconds(5))));
  EXPECT_EQ(layer->counters().written.load(), 50u);
  EXPECT_EQ(layer->counters().dropped_queue_full.load(), 0u);
  const std::string text = read_file(dir.file("app.log"));
  EXPECT_EQ(count_lines(text), 50u);
  EXPECT_NE(text.find("i=49\n"), std::string::npos);
}

TEST(FileLayerTest, ShutdownDrainsEverythingThenIgnoresLateLines) {
  TempDir dir("edgetrace-file-layer");
  auto layer =
      make({.directory = dir.path().string(), .rotation = Rotation::kNever, .lossy = false});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] { log_lines(*layer, 5000, t * 5000); });
  for (auto& t : threads)
    t.join();
  ASSERT_TRUE(layer->shutdown(in(std::chrono::seconds(10))));
  EXPECT_TRUE(layer->shutdown(in(std::chrono::seconds(1))));  // idempotent
  EXPECT_EQ(layer->counters().written.load(), 20000u);
  log_lines(*layer, 3);
  EXPECT_EQ(layer->counters().dropped_after_shutdown.load(), 3u);
  const std::string text = read_file(dir.file("app.log"));
  EXPECT_EQ(count_lines(text), 20000u);
  for (int i : {0, 4999, 5000, 19999})
    EXPECT_NE(text.find("i=" + std::to_string(i) + "\n"), std::string::npos) << i;
}

TEST(FileLayerTest, ShutdownGivesUpAtItsDeadlineWhenTheWriterIsStuck) {
  TempDir dir("edgetrace-file-layer");
  TestClock clock(kBase);
  auto layer =
      make({.directory = dir.path().string(), .rotation = Rotation::kNever, .clock = clock.fn()});
  clock.hold();
  log_lines(*layer, 3);
  clock.wait_stalled();
  std::thread unstick([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    clock.release();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(layer->shutdown(in(std::chrono::milliseconds(50))));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  unstick.join();
  EXPECT_EQ(layer->counters().written.load(), 0u);
  EXPECT_EQ(layer->counters().dropped_after_shutdown.load(), 3u);
}

TEST(FileLayerTest, AForkedChildGetsCleanNoOpsAndNeverHangs) {
  TempDir dir("edgetrace-file-layer");
  auto layer = make({.directory = dir.path().string(),
                     .rotation = Rotation::kNever,
                     .queue_capacity = 2,
                     .lossy = false});  // a child must not wait for a writer it lacks
  log_lines(*layer, 1);
  ASSERT_TRUE(layer->force_flush(in(std::chrono::seconds(5))));
  const pid_t pid = ::fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) {
    log_lines(*layer, 10);
    const bool flushed = layer->force_flush(in(std::chrono::seconds(1)));
    const bool shut = layer->shutdown(in(std::chrono::seconds(1)));
    const bool counted = layer->counters().dropped_in_forked_child.load() == 10;
    layer.reset();  // must neither hang nor abort
    std::_Exit(!flushed && !shut && counted ? 0 : 3);
  }
  int status = -1;
  for (int i = 0; i < 200 && ::waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (status == -1) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL() << "forked child hung";
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // The parent's layer goes on working.
  log_lines(*layer, 1, 1);
  ASSERT_TRUE(layer->shutdown(in(std::chrono::seconds(5))));
  EXPECT_EQ(count_lines(read_file(dir.file("app.log"))), 2u);
}

TEST(FileLayerTest, WriteErrorsAreCountedAndLinesDroppedNotRetriedForever) {
  // /dev/full accepts open(2) and fails every write(2) with ENOSPC.
  auto layer =
      make({.directory = "/dev", .prefix = "full", .suffix = "", .rotation = Rotation::kNever});
  ASSERT_NE(layer, nullptr);
  log_lines(*layer, 5);
  ASSERT_TRUE(layer->force_flush(in(std::chrono::seconds(5))));
  EXPECT_EQ(layer->counters().written.load(), 0u);
  EXPECT_GE(layer->counters().write_errors.load(), 1u);
  EXPECT_EQ(layer->counters().dropped_write_failed.load(), 5u);
}

TEST(FileLayerTest, JsonLinesAndSpanCloseLinesInTheFile) {
  TempDir dir("edgetrace-file-layer");
  auto file = make({.directory = dir.path().string(),
                    .rotation = Rotation::kNever,
                    .line = {.format = LineFormat::kJson, .span_events = SpanEvents::kClose}});
  ASSERT_NE(file, nullptr);
  EXPECT_TRUE(file->wants_span_timings());
  FileLayer* raw = file.get();
  auto tracing = std::make_shared<Tracing>(Tracing::Options{});
  tracing->add_layer(std::move(file), Filter::parse("trace").value());
  set_global_subscriber(tracing);
  {
    auto span = ET_SPAN("checkout", field<"cart">(std::string_view("c-1")));
    ET_INFO("paid", field<"amount">(12.5));
  }
  ASSERT_TRUE(raw->force_flush(in(std::chrono::seconds(5))));
  set_global_subscriber(nullptr);
  (void)tracing->shutdown(in(std::chrono::seconds(5)));

  const std::string text = read_file(dir.file("app.log"));
  ASSERT_EQ(count_lines(text), 2u) << text;
  simdjson::dom::parser parser;
  simdjson::dom::document_stream docs;
  ASSERT_EQ(parser.parse_many(text).get(docs), simdjson::SUCCESS);
  std::vector<std::string> messages;
  for (auto doc : docs) {
    simdjson::dom::element e;
    ASSERT_EQ(doc.get(e), simdjson::SUCCESS);
    messages.emplace_back(std::string_view(e["message"]));
    EXPECT_EQ(std::string_view(e["span"]["cart"]), "c-1");
    if (messages.back() == "paid")
      EXPECT_EQ(double(e["fields"]["amount"]), 12.5);
    else
      EXPECT_TRUE(std::regex_match(std::string(std::string_view(e["fields"]["time.busy"])),
                                   std::regex("[0-9.]+(ns|\xC2\xB5s|ms|s)")));
  }
  EXPECT_EQ(messages, (std::vector<std::string>{"paid", "close"}));
}

// Per-layer filters are the Tracing's job; this checks both outputs end to end.
TEST(FileLayerTest, ConsoleAtWarnAndFileAtDebugEachGetTheirOwnLines) {
  TempDir dir("edgetrace-file-layer");
  FILE* console_stream = std::tmpfile();
  auto tracing = std::make_shared<Tracing>(Tracing::Options{});
  tracing->add_layer(make_console_layer({.ansi = Ansi::kAlways, .stream = console_stream}),
                     Filter::parse("warn").value());
  auto file = make({.directory = dir.path().string(), .rotation = Rotation::kNever});
  FileLayer* raw = file.get();
  tracing->add_layer(std::move(file), Filter::parse("debug").value());
  set_global_subscriber(tracing);
  ET_TRACE("trace line");
  ET_DEBUG("debug line");
  ET_INFO("info line");
  ET_WARN("warn line");
  ASSERT_TRUE(raw->force_flush(in(std::chrono::seconds(5))));
  set_global_subscriber(nullptr);
  (void)tracing->shutdown(in(std::chrono::seconds(5)));

  std::fflush(console_stream);
  std::rewind(console_stream);
  char buffer[1024];
  const std::size_t n = std::fread(buffer, 1, sizeof buffer, console_stream);
  std::fclose(console_stream);
  const std::string console(buffer, n);
  EXPECT_EQ(count_lines(console), 1u) << console;
  EXPECT_NE(console.find("warn line"), std::string::npos);
  EXPECT_NE(console.find('\x1b'), std::string::npos);  // colours on the console...

  const std::string text = read_file(dir.file("app.log"));
  EXPECT_EQ(text.find('\x1b'), std::string::npos);  // ...never in files
  const std::regex ts(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
  EXPECT_EQ(std::regex_replace(text, ts, "<ts>"),
            "<ts> DEBUG shop::cart: debug line\n"
            "<ts>  INFO shop::cart: info line\n"
            "<ts>  WARN shop::cart: warn line\n");
}

TEST(FileLayerTest, LoggingDoesNotAllocateInSteadyState) {
  TempDir dir("edgetrace-file-layer");
  auto file = make({.directory = dir.path().string(),
                    .rotation = Rotation::kNever,
                    .line = {.span_events = SpanEvents::kNewAndClose},
                    .queue_capacity = 64});
  FILE* devnull = std::fopen("/dev/null", "w");
  ConsoleLayer console({.line = {.format = LineFormat::kJson}, .stream = devnull});
  SpanRecord span;
  static const Metadata span_meta{"work", "shop::cart", core::Level::kInfo,  "f",
                                  1,      "fn",         CallsiteKind::kSpan, {}};
  span.metadata = &span_meta;
  span.attributes.set("user", Value::of_int(7));
  const std::string text(100, 'x');
  const auto once = [&] {
    const Field fields[] = {{"order", Value::of_int(42)},
                            {"note", Value::of(std::string_view(text))}};
    const Event event{kMeta, "paid", fields, 1, &span};
    file->on_new_span(span);
    file->on_event(event);
    file->on_close(span);
    console.on_event(event);
  };
  // Every slot holds each kind of line once (no drops while warming up), so every buffer
  // has reached its size.
  for (int i = 0; i < 500; ++i) {
    once();
    ASSERT_TRUE(file->force_flush(in(std::chrono::seconds(5))));
  }
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < 1000; ++i)
    once();
  g_counting = false;
  EXPECT_EQ(g_allocations, 0u);
  ASSERT_TRUE(file->shutdown(in(std::chrono::seconds(5))));
  std::fclose(devnull);
}

// ---- line_prefix (worker_prefix): several writers share one file ----

// Checks that `text` is made of whole lines "<prefix> ... line i=<n>" and returns how many
// each prefix wrote; a torn or interleaved line fails the test.
std::map<std::string, int> count_prefixed_lines(const std::string& text, int per_writer) {
  std::map<std::string, int> count;
  std::map<std::string, int> next;  // each writer's lines arrive in its order
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    EXPECT_NE(end, std::string::npos) << "the file ends in a partial line";
    if (end == std::string::npos)
      break;
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    const std::size_t space = line.find(' ');
    EXPECT_NE(space, std::string::npos) << line;
    const std::string prefix = line.substr(0, space);
    const std::string expected_tail = "line i=" + std::to_string(next[prefix]);
    EXPECT_TRUE(line.ends_with(expected_tail)) << "torn or out of order: " << line;
    EXPECT_NE(line.find("shop::cart: line i="), std::string::npos) << line;
    EXPECT_EQ(std::count(line.begin(), line.end(), 'Z'), 1) << "two timestamps: " << line;
    ++next[prefix];
    ++count[prefix];
  }
  for (auto& [prefix, n] : count)
    EXPECT_LE(n, per_writer) << prefix;
  return count;
}

TEST(FileLayerTest, LinePrefixStartsEveryLine) {
  TempDir dir("edgetrace-file-layer");
  FileLayerOptions o;
  o.directory = dir.path().string();
  o.rotation = Rotation::kNever;
  o.line_prefix = "worker-7";
  auto layer = make(std::move(o));
  ASSERT_NE(layer, nullptr);
  log_lines(*layer, 3);
  ASSERT_TRUE(layer->shutdown(std::chrono::steady_clock::now() + 5s));
  const std::string text = read_file(dir.file("app.log"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  std::size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(text.compare(at, 9, "worker-7 "), 0) << text;
    at = text.find('\n', at) + 1;
  }
  FileLayerOptions bad;
  bad.directory = dir.path().string();
  bad.line_prefix = "a\nb";
  auto r = FileLayer::create(std::move(bad));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line_prefix must not contain a line break"),
            std::string::npos);
}

TEST(FileLayerTest, TwoWritersSharingOneFileNeverTearALine) {
  // Two layers are two open file descriptors, as two processes would have: each writes
  // batches of whole lines with O_APPEND, so the kernel never interleaves inside a line.
  TempDir dir("edgetrace-file-layer");
  constexpr int kLines = 20000;
  const auto options = [&](std::string prefix) {
    FileLayerOptions o;
    o.directory = dir.path().string();
    o.prefix = "shared";
    o.rotation = Rotation::kNever;
    o.lossy = false;  // nothing may be dropped: the counts below are exact
    o.line_prefix = std::move(prefix);
    return o;
  };
  auto a = make(options("w1"));
  auto b = make(options("w2"));
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::thread ta([&] { log_lines(*a, kLines); });
  std::thread tb([&] { log_lines(*b, kLines); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a->shutdown(std::chrono::steady_clock::now() + 30s));
  ASSERT_TRUE(b->shutdown(std::chrono::steady_clock::now() + 30s));
  const std::map<std::string, int> count =
      count_prefixed_lines(read_file(dir.file("shared.log")), kLines);
  EXPECT_EQ(count, (std::map<std::string, int>{{"w1", kLines}, {"w2", kLines}}));
}

TEST(FileLayerTest, TwoProcessesSharingOneFileNeverTearALine) {
  TempDir dir("edgetrace-file-layer");
  constexpr int kLines = 20000;
  std::vector<pid_t> children;
  for (const char* prefix : {"p1", "p2"}) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // The child makes its own layer (the parent's would be a no-op here) and exits
      // without running the parent's atexit handlers or gtest's.
      FileLayerOptions o;
      o.directory = dir.path().string();
      o.prefix = "shared";
      o.rotation = Rotation::kNever;
      o.lossy = false;
      o.line_prefix = prefix;
      auto r = FileLayer::create(std::move(o));
      if (!r.ok())
        ::_exit(2);
      log_lines(**r, kLines);
      const bool ok = (*r)->shutdown(std::chrono::steady_clock::now() + 30s);
      ::_exit(ok && (*r)->counters().written.load() == kLines ? 0 : 3);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  const std::map<std::string, int> count =
      count_prefixed_lines(read_file(dir.file("shared.log")), kLines);
  EXPECT_EQ(count, (std::map<std::string, int>{{"p1", kLines}, {"p2", kLines}}));
}

}  // namespace
}  // namespace edgetrace::sdk
