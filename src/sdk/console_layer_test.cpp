#define ET_TARGET "shop::cart"
#include "edgetrace/sdk/console_layer.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/span.hpp"
#include "internal/line_text.hpp"

namespace edgetrace::sdk {
namespace {

using edgetrace::field;

// Everything written to `f` so far.
std::string contents(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0)
    out.append(buffer, n);
  return out;
}

// Timestamps replaced by <ts> so that lines compare byte for byte.
std::string without_timestamps(const std::string& text) {
  static const std::regex kTimestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
  return std::regex_replace(text, kTimestamp, "<ts>");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  EXPECT_EQ(start, text.size()) << "output does not end with a newline";
  return lines;
}

class ConsoleLayerTest : public ::testing::Test {
 protected:
  void SetUp() override { file_ = std::tmpfile(); }
  void TearDown() override {
    set_global_subscriber(nullptr);
    // The replaced subscriber lives on until exit: stop it before its stream goes away.
    if (tracing_)
      (void)tracing_->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(1));
    std::fclose(file_);
  }
  ConsoleLayer* install(ConsoleLayerOptions options, std::string_view filter = "trace") {
    options.stream = file_;
    auto layer = std::make_unique<ConsoleLayer>(options);
    ConsoleLayer* raw = layer.get();
    tracing_ = std::make_shared<Tracing>(Tracing::Options{});
    tracing_->add_layer(std::move(layer), Filter::parse(filter).value());
    set_global_subscriber(tracing_);
    return raw;
  }

  FILE* file_ = nullptr;
  std::shared_ptr<Tracing> tracing_;
};

TEST_F(ConsoleLayerTest, WritesEnabledEventsAsFullLines) {
  ConsoleLayer* layer = install({.ansi = Ansi::kNever}, "info");
  ET_INFO("paid", field<"order">(42), field<"who">(std::string_view("ann")));
  ET_DEBUG("filtered out");
  ET_WARN("low stock", field<"left">(1.5));
  EXPECT_EQ(without_timestamps(contents(file_)),
            "<ts>  INFO shop::cart: paid order=42 who=\"ann\"\n"
            "<ts>  WARN shop::cart: low stock left=1.5\n");
  EXPECT_EQ(layer->counters().lines_written.load(), 2u);
  EXPECT_EQ(layer->counters().write_errors.load(), 0u);
}

TEST_F(ConsoleLayerTest, EventsInsideSpansCarryTheSpanListAndIds) {
  install({.line = {.format = LineFormat::kCompact}, .ansi = Ansi::kNever});
  std::string trace_id, span_id;
  {
    auto outer = ET_SPAN("outer", field<"user">(7));
    auto inner = ET_SPAN("inner");
    trace_id = inner.context().trace_id.to_hex();
    span_id = inner.context().span_id.to_hex();
    ET_INFO("inside", field<"k">(true));
  }
  EXPECT_EQ(without_timestamps(contents(file_)),
            "<ts>  INFO outer:inner: shop::cart: inside k=true user=7 trace_id=" + trace_id +
                " span_id=" + span_id + "\n");
}

TEST_F(ConsoleLayerTest, SpanLifecycleLinesShowBusyAndIdleOnClose) {
  ConsoleLayer* layer =
      install({.line = {.show_trace_ids = false, .span_events = SpanEvents::kNewAndClose},
               .ansi = Ansi::kNever});
  EXPECT_TRUE(layer->wants_span_timings());
  {
    auto span = ET_SPAN("load", field<"id">(3));
    ET_INFO("working");
  }
  const std::vector<std::string> lines = lines_of(without_timestamps(contents(file_)));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "<ts>  INFO load{id=3}: shop::cart: new");
  EXPECT_EQ(lines[1], "<ts>  INFO load{id=3}: shop::cart: working");
  EXPECT_TRUE(std::regex_match(
      lines[2],
      std::regex("<ts>  INFO load\\{id=3\\}: shop::cart: close "
                 "time\\.busy=[0-9.]+(ns|\xC2\xB5s|ms|s) time\\.idle=[0-9.]+(ns|\xC2\xB5s|ms|s)")))
      << lines[2];
}

TEST_F(ConsoleLayerTest, NoSpanLinesUnlessAsked) {
  ConsoleLayer* layer = install({.ansi = Ansi::kNever});
  EXPECT_FALSE(layer->wants_span_timings());
  { auto span = ET_SPAN("quiet"); }
  EXPECT_EQ(contents(file_), "");
}

TEST_F(ConsoleLayerTest, AnsiAlwaysAndNeverIgnoreTheStream) {
  ConsoleLayer always({.ansi = Ansi::kAlways, .stream = file_});
  ConsoleLayer never({.ansi = Ansi::kNever, .stream = file_});
  ConsoleLayer automatic({.ansi = Ansi::kAuto, .stream = file_});  // a file: no colours
  EXPECT_TRUE(always.formatter().ansi());
  EXPECT_FALSE(never.formatter().ansi());
  EXPECT_FALSE(automatic.formatter().ansi());
  static const Metadata meta{"e", "t", core::Level::kError, "f", 1, "fn", CallsiteKind::kEvent, {}};
  always.on_event(Event{meta, "red", {}, 0});
  never.on_event(Event{meta, "plain", {}, 0});
  EXPECT_EQ(contents(file_),
            "\x1b[2m1970-01-01T00:00:00.000000Z\x1b[0m \x1b[31mERROR\x1b[0m \x1b[2mt:\x1b[0m red\n"
            "1970-01-01T00:00:00.000000Z ERROR t: plain\n");
}

TEST(ConsoleAnsiTest, AutoMeansTerminalAndNoColorUnsetOrEmpty) {
  EXPECT_TRUE(resolve_ansi(Ansi::kAuto, true, nullptr));
  EXPECT_TRUE(resolve_ansi(Ansi::kAuto, true, ""));
  EXPECT_FALSE(resolve_ansi(Ansi::kAuto, true, "1"));
  EXPECT_FALSE(resolve_ansi(Ansi::kAuto, false, nullptr));
  EXPECT_TRUE(resolve_ansi(Ansi::kAlways, false, "1"));
  EXPECT_FALSE(resolve_ansi(Ansi::kNever, true, nullptr));
}

// A real terminal: the layer sees isatty() and reads NO_COLOR when it is made.
TEST(ConsoleAnsiTest, AutoOnAPseudoTerminalHonoursNoColor) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const int slave = ::open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  FILE* terminal = fdopen(slave, "w");
  ASSERT_NE(terminal, nullptr);
  const char* saved = std::getenv("NO_COLOR");
  const std::string saved_value = saved != nullptr ? saved : "";

  static const Metadata meta{"e", "t", core::Level::kInfo, "f", 1, "fn", CallsiteKind::kEvent, {}};
  const auto colours_written = [&](const char* no_color) {
    if (no_color == nullptr)
      ::unsetenv("NO_COLOR");
    else
      ::setenv("NO_COLOR", no_color, 1);
    ConsoleLayer layer({.ansi = Ansi::kAuto, .stream = terminal});
    layer.on_event(Event{meta, "hello", {}, 0});
    char buffer[512];
    const ssize_t n = ::read(master, buffer, sizeof buffer);
    const std::string seen(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
    EXPECT_NE(seen.find("hello"), std::string::npos) << seen;
    return layer.formatter().ansi() && seen.find('\x1b') != std::string::npos;
  };
  EXPECT_TRUE(colours_written(nullptr));
  EXPECT_TRUE(colours_written(""));
  EXPECT_FALSE(colours_written("1"));

  if (saved != nullptr)
    ::setenv("NO_COLOR", saved_value.c_str(), 1);
  else
    ::unsetenv("NO_COLOR");
  std::fclose(terminal);
  ::close(master);
}

TEST_F(ConsoleLayerTest, ThreadNamesAndIdsComeFromTheOperatingSystem) {
  install({.line = {.show_thread_ids = true, .show_thread_names = true}, .ansi = Ansi::kNever});
  std::uint64_t tid = 0;
  std::thread worker([&] {
    pthread_setname_np(pthread_self(), "worker-7");
    tid = internal::current_thread_id();
    ET_INFO("from worker");
  });
  worker.join();
  EXPECT_EQ(without_timestamps(contents(file_)),
            "<ts>  INFO worker-7 ThreadId(" + std::to_string(tid) + ") shop::cart: from worker\n");
  EXPECT_NE(tid, 0u);
}

TEST_F(ConsoleLayerTest, LinesFromManyThreadsNeverInterleave) {
  ConsoleLayer* layer = install({.line = {.format = LineFormat::kJson}, .ansi = Ansi::kNever});
  constexpr int kThreads = 4;
  constexpr int kEach = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      const std::string padding(200, static_cast<char>('a' + t));
      for (int i = 0; i < kEach; ++i)
        ET_INFO("line", field<"t">(t), field<"i">(i), field<"pad">(std::string_view(padding)));
    });
  }
  for (auto& t : threads)
    t.join();
  const std::vector<std::string> lines = lines_of(contents(file_));
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kEach));
  std::set<std::pair<int, int>> seen;
  const std::regex shape(
      R"(\{"timestamp":"[^"]+","level":"INFO","target":"shop::cart","message":"line","fields":\{"t":(\d),"i":(\d+),"pad":"([a-d])\3{199}"\}\})");
  for (const std::string& line : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, shape)) << line;
    seen.emplace(std::stoi(m[1]), std::stoi(m[2]));
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(layer->counters().lines_written.load(), static_cast<std::uint64_t>(kThreads * kEach));
}

TEST_F(ConsoleLayerTest, NothingIsWrittenAfterShutdown) {
  ConsoleLayer* layer = install({.ansi = Ansi::kNever});
  ET_INFO("before");
  EXPECT_TRUE(layer->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(1)));
  EXPECT_TRUE(layer->shutdown(std::chrono::steady_clock::now()));  // idempotent
  ET_INFO("after");
  EXPECT_EQ(without_timestamps(contents(file_)), "<ts>  INFO shop::cart: before\n");
}

TEST_F(ConsoleLayerTest, MakeConsoleLayerDefaultsToStdout) {
  std::unique_ptr<Layer> layer = make_console_layer({.ansi = Ansi::kNever});
  ASSERT_NE(dynamic_cast<ConsoleLayer*>(layer.get()), nullptr);
  EXPECT_TRUE(layer->force_flush(std::chrono::steady_clock::now()));
}

}  // namespace
}  // namespace edgetrace::sdk
