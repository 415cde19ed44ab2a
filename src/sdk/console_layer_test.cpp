#define ET_TARGET "shop::cart"
#include "edgetrace/sdk/console_layer.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <deque>
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

// --- The tree format ---------------------------------------------------------------------
//
// Spans are driven into the layer directly with records whose times the test sets, so that
// durations, and so the output, are exact.

namespace tree {

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kT0 = 1'790'000'000'000'000'000;  // some Unix time in nanoseconds

class FakeTrace {
 public:
  explicit FakeTrace(Layer& layer) : layer_(layer) {}
  ~FakeTrace() {
    for (SpanRecord& r : records_)
      r.refs.store(0);  // ours: never returned to the pool
  }

  // Starts a span `start_ms` after kT0 (its id is the next number), as Tracing would.
  SpanRecord& start(std::string_view name, SpanRecord* parent, std::uint64_t start_ms,
                    bool seen_by_layer = true) {
    metadata_.push_back(
        Metadata{name, "shop::cart", core::Level::kInfo, "f.cpp", 1, "f", CallsiteKind::kSpan, {}});
    SpanRecord& r = records_.emplace_back();
    r.refs.store(1);  // the test's reference: the layer's never release the last one
    r.metadata = &metadata_.back();
    r.parent = parent;
    std::array<std::uint8_t, 8> id{};
    id[7] = static_cast<std::uint8_t>(++next_id_);
    r.context.span_id = core::SpanId(std::span<const std::uint8_t, 8>(id));
    r.context.trace_id = core::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").value();
    r.start_unix_nano = kT0 + start_ms * kMs;
    if (seen_by_layer)
      layer_.on_new_span(r);
    return r;
  }
  void end(SpanRecord& r, std::uint64_t end_ms, bool error = false) {
    r.end_unix_nano = kT0 + end_ms * kMs;
    if (error)
      r.status = SpanStatusCode::kError;
    layer_.on_close(r);
  }
  void event(SpanRecord* span, core::Level level, std::string_view message, std::uint64_t at_ms,
             std::span<const Field> fields = {}) {
    metadata_.push_back(
        Metadata{"event", "shop::cart", level, "f.cpp", 2, "f", CallsiteKind::kEvent, {}});
    layer_.on_event(Event{metadata_.back(), message, fields, kT0 + at_ms * kMs, span, ~0u});
  }

 private:
  Layer& layer_;
  std::deque<Metadata> metadata_;
  std::deque<SpanRecord> records_;
  int next_id_ = 0;
};

class TreeFormatTest : public ::testing::Test {
 protected:
  void SetUp() override { file_ = std::tmpfile(); }
  void TearDown() override { std::fclose(file_); }
  std::unique_ptr<ConsoleLayer> make(TreeOptions tree = {}) {
    ConsoleLayerOptions options;
    options.line.format = LineFormat::kTree;
    options.ansi = Ansi::kNever;
    options.stream = file_;
    options.tree = tree;
    return std::make_unique<ConsoleLayer>(options);
  }
  std::string output() { return contents(file_); }
  FILE* file_ = nullptr;
};

// The rust-scorer plan's tree (seed 004), with durations as every edgetrace console shows
// them (three significant digits: 45.0ms, as tracing-subscriber's time.busy).
TEST_F(TreeFormatTest, PrintsTheLocalRootWithItsFinishedDescendants) {
  auto layer = make();
  FakeTrace t(*layer);
  SpanRecord& root = t.start("score_address_handler", nullptr, 0);
  SpanRecord& key = t.start("validate_api_key", &root, 1);
  SpanRecord& hash = t.start("verify_pbkdf2_hash", &key, 2);
  t.end(hash, 45);
  t.end(key, 46);
  SpanRecord& community = t.start("load_community", &root, 47);
  SpanRecord& sql1 = t.start("SQL: SELECT * FROM community", &community, 48);
  t.end(sql1, 70);
  t.end(community, 70);
  SpanRecord& cache = t.start("load_ceramic_cache", &root, 71);
  SpanRecord& sql2 = t.start("SQL: SELECT * FROM ceramic_cache", &cache, 72);
  t.end(sql2, 157);
  t.end(cache, 158);
  SpanRecord& creds = t.start("validate_credentials", &root, 159);
  SpanRecord& parse = t.start("parse_credentials", &creds, 159);
  t.end(parse, 161);
  SpanRecord& verify = t.start("verify_signatures", &creds, 161);
  t.end(verify, 190);
  t.end(creds, 190);
  SpanRecord& score = t.start("calculate_score", &root, 186);
  EXPECT_EQ(output(), "");  // nothing until the root closes
  t.end(score, 198);
  t.end(root, 198);
  EXPECT_EQ(output(),
            "score_address_handler (total: 198ms)\n"
            "├── validate_api_key (45.0ms)\n"
            "│   └── verify_pbkdf2_hash (43.0ms)\n"
            "├── load_community (23.0ms)\n"
            "│   └── SQL: SELECT * FROM community (22.0ms)\n"
            "├── load_ceramic_cache (87.0ms)\n"
            "│   └── SQL: SELECT * FROM ceramic_cache (85.0ms)\n"
            "├── validate_credentials (31.0ms)\n"
            "│   ├── parse_credentials (2.00ms)\n"
            "│   └── verify_signatures (29.0ms)\n"
            "└── calculate_score (12.0ms)\n");
  EXPECT_EQ(layer->counters().trees_printed.load(), 1u);
}

TEST_F(TreeFormatTest, EventsPrintUnderTheirSpansInTimeOrder) {
  auto layer = make();
  FakeTrace t(*layer);
  SpanRecord& root = t.start("handle", nullptr, 0);
  t.event(&root, core::Level::kInfo, "request received", 0);
  SpanRecord& db = t.start("db", &root, 2);
  const Field fields[] = {{"rows", Value::of(3)}, {"table", Value::of("orders")}};
  t.event(&db, core::Level::kDebug, "query\ndone", 3, fields);
  t.end(db, 4, /*error=*/true);
  t.event(&root, core::Level::kWarn, "slow", 5);
  t.event(nullptr, core::Level::kInfo, "outside any span", 5);  // a line at once
  t.end(root, 6);
  EXPECT_EQ(without_timestamps(output()),
            "<ts>  INFO shop::cart: outside any span\n"
            "handle (total: 6.00ms)\n"
            "├── INFO request received\n"
            "├── db (2.00ms) ERROR\n"
            "│   └── DEBUG query\\ndone rows=3 table=\"orders\"\n"
            "└── WARN slow\n");
}

TEST_F(TreeFormatTest, AsciiGlyphsAndNoEventsWhenAsked) {
  TreeOptions options;
  options.ascii = true;
  options.events = false;
  auto layer = make(options);
  FakeTrace t(*layer);
  SpanRecord& root = t.start("handle", nullptr, 0);
  SpanRecord& a = t.start("a", &root, 0);
  t.event(&a, core::Level::kInfo, "as a line", 0);
  SpanRecord& b = t.start("b", &a, 0);
  t.end(b, 0);  // zero duration: "0s"
  t.end(a, 1);
  SpanRecord& c = t.start("c", &root, 1);
  t.end(c, 1);
  // 0.5 ms: in microseconds, written "us" in ASCII.
  root.end_unix_nano = kT0 + kMs / 2 + 3 * kMs;
  layer->on_close(root);
  EXPECT_EQ(without_timestamps(output()),
            "<ts>  INFO handle:a: shop::cart: as a line "
            "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=0000000000000002\n"
            "handle (total: 3.50ms)\n"
            "|-- a (1.00ms)\n"
            "|   `-- b (0s)\n"
            "`-- c (0s)\n");
}

// Children that outlive their root print when they close, with the descendants that
// finished under them (before or after the root closed).
TEST_F(TreeFormatTest, SpansOutlivingTheirRootPrintWhenTheyClose) {
  auto layer = make();
  FakeTrace t(*layer);
  SpanRecord& root = t.start("request", nullptr, 0);
  SpanRecord& quick = t.start("quick", &root, 1);
  t.end(quick, 2);
  SpanRecord& flush = t.start("background_flush", &root, 3);  // outlives the root
  SpanRecord& chunk1 = t.start("write_chunk", &flush, 4);
  t.end(chunk1, 5);  // finished before the root: waits for background_flush
  t.end(root, 10);
  EXPECT_EQ(output(),
            "request (total: 10.0ms)\n"
            "└── quick (1.00ms)\n");
  SpanRecord& chunk2 = t.start("write_chunk", &flush, 11);
  SpanRecord& fsync = t.start("fsync", &chunk2, 12);
  t.event(&fsync, core::Level::kInfo, "synced", 13);
  t.end(fsync, 14);
  t.end(chunk2, 15);
  t.end(flush, 1203);
  EXPECT_EQ(output(),
            "request (total: 10.0ms)\n"
            "└── quick (1.00ms)\n"
            "late: background_flush (1.20s)  root=request trace=4bf92f35\n"
            "├── write_chunk (1.00ms)\n"
            "└── write_chunk (4.00ms)\n"
            "    └── fsync (2.00ms)\n"
            "        └── INFO synced\n");
  EXPECT_EQ(layer->counters().late_spans.load(), 1u);
}

// A child of an outliving span that itself outlives it prints alone, late, when it closes.
TEST_F(TreeFormatTest, ALateSpanOutlivedByItsOwnChild) {
  auto layer = make();
  FakeTrace t(*layer);
  SpanRecord& root = t.start("root", nullptr, 0);
  SpanRecord& a = t.start("a", &root, 1);
  SpanRecord& b = t.start("b", &a, 2);
  t.end(root, 3);
  t.end(a, 4);
  t.end(b, 5);
  EXPECT_EQ(output(),
            "root (total: 3.00ms)\n"
            "late: a (3.00ms)  root=root trace=4bf92f35\n"
            "late: b (3.00ms)  root=root trace=4bf92f35\n");
}

TEST_F(TreeFormatTest, ACapBoundsEachTraceAndASummaryLineCountsTheRest) {
  TreeOptions options;
  options.max_spans_per_trace = 2;
  options.max_events_per_span = 1;
  auto layer = make(options);
  FakeTrace t(*layer);
  SpanRecord& root = t.start("batch", nullptr, 0);
  t.event(&root, core::Level::kInfo, "first", 0);
  t.event(&root, core::Level::kInfo, "second", 0);
  t.event(&root, core::Level::kInfo, "third", 0);
  for (int i = 0; i < 4; ++i) {
    SpanRecord& item = t.start("item", &root, 1 + i);
    if (i == 3) {
      SpanRecord& sub = t.start("sub", &item, 5);  // its parent is dropped: dropped too
      t.end(sub, 6);
    }
    t.end(item, 2 + i + (i == 3 ? 1 : 0));
  }
  t.end(root, 10);
  EXPECT_EQ(output(),
            "batch (total: 10.0ms)\n"
            "├── INFO first\n"
            "├── item (1.00ms)\n"
            "├── item (1.00ms)\n"
            "├── ... 2 more events\n"
            "└── ... 3 more spans not shown (limits: 2 per trace, 4096 in all)\n");
  EXPECT_EQ(layer->counters().spans_not_shown.load(), 3u);
  EXPECT_EQ(layer->counters().events_not_shown.load(), 2u);
}

TEST_F(TreeFormatTest, TheGlobalCapHoldsAcrossTracesAndLateDropsAreSummarised) {
  TreeOptions options;
  options.max_buffered_spans = 1;
  auto layer = make(options);
  FakeTrace t(*layer);
  SpanRecord& r1 = t.start("one", nullptr, 0);
  SpanRecord& r2 = t.start("two", nullptr, 0);
  SpanRecord& a = t.start("a", &r1, 0);
  t.end(a, 1);  // buffered: 1 of 1
  SpanRecord& b = t.start("b", &r2, 0);
  t.end(b, 1);  // over the global cap
  SpanRecord& late = t.start("late", &r2, 1);
  t.end(r2, 2);
  SpanRecord& c = t.start("c", &late, 2);
  t.end(r1, 3);
  SpanRecord& d = t.start("d", &r1, 3);  // started after its root closed: a root of its own
  t.end(d, 4);
  t.end(c, 5);
  t.end(late, 6);
  EXPECT_EQ(output(),
            "two (total: 2.00ms)\n"
            "└── ... 1 more span not shown (limits: 256 per trace, 1 in all)\n"
            "one (total: 3.00ms)\n"
            "└── a (1.00ms)\n"
            "d (total: 1.00ms)\n"
            "late: late (5.00ms)  root=two trace=4bf92f35\n"
            "└── c (3.00ms)\n");
}

// A span the layer's filter left out is skipped: its children hang from the nearest
// ancestor the layer saw.
TEST_F(TreeFormatTest, SpansTheLayerDidNotSeeAreSkipped) {
  auto layer = make();
  FakeTrace t(*layer);
  SpanRecord& root = t.start("root", nullptr, 0);
  SpanRecord& hidden = t.start("debug_only", &root, 1, /*seen_by_layer=*/false);
  SpanRecord& child = t.start("child", &hidden, 2);
  t.end(child, 3);
  hidden.end_unix_nano = kT0 + 4 * kMs;  // not closed on this layer either
  t.end(root, 5);
  EXPECT_EQ(output(),
            "root (total: 5.00ms)\n"
            "└── child (1.00ms)\n");
}

TEST_F(TreeFormatTest, ShutdownPrintsSpansWhoseRootNeverClosed) {
  auto layer = make();
  FakeTrace t(*layer);
  SpanRecord& root = t.start("main", nullptr, 0);
  SpanRecord& a = t.start("startup", &root, 1);
  SpanRecord& b = t.start("load_config", &a, 1);
  t.end(b, 3);
  t.end(a, 4);
  SpanRecord& c = t.start("serve", &root, 5);
  SpanRecord& d = t.start("accept", &c, 6);
  t.end(d, 7);
  (void)layer->shutdown(std::chrono::steady_clock::now());
  EXPECT_EQ(output(),
            "unfinished: main trace=4bf92f35\n"
            "startup (3.00ms) [parent 00000000 open]\n"
            "└── load_config (2.00ms)\n"
            "accept (1.00ms) [parent 00000000 open]\n");
}

}  // namespace tree

// The tree format through the real macros and subscriber: structure and glyphs (the
// durations are real, so they are masked).
TEST_F(ConsoleLayerTest, TreeFormatThroughTheMacros) {
  ConsoleLayerOptions options;
  options.line.format = LineFormat::kTree;
  options.ansi = Ansi::kNever;
  install(options, "trace");
  {
    auto root = ET_SPAN("checkout");
    {
      auto pay = ET_SPAN("pay", field<"amount">(12.5));
      ET_INFO("charged", field<"card">("visa"));
    }
    auto ship = ET_SPAN("ship");
  }
  static const std::regex kDuration(R"(\((total: )?[0-9.]+(ns|µs|ms|s)\))");
  EXPECT_EQ(std::regex_replace(contents(file_), kDuration, "(<d>)"),
            "checkout (<d>)\n"
            "├── pay (<d>)\n"
            "│   └── INFO charged card=\"visa\"\n"
            "└── ship (<d>)\n");
}

}  // namespace
}  // namespace edgetrace::sdk
