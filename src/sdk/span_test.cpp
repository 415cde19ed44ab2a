#define ET_TARGET "shop::cart"
#include "edgetrace/sdk/span.hpp"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <coroutine>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "edgetrace/sdk/layer.hpp"
#include "internal/line_text.hpp"
#include "internal/thread_context.hpp"

namespace edgetrace::sdk {
namespace {

using edgetrace::field;

struct ClosedSpan {
  std::string name;
  core::SpanContext context;
  core::SpanId parent;
  bool parent_remote;
  SpanKind kind;
  SpanStatusCode status;
  std::string status_message;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<std::string> events;
  std::size_t links;
  bool ended_after_start;
};

struct SeenEvent {
  std::string message;
  core::SpanId span;
};

class RecordingLayer : public Layer {
 public:
  void on_new_span(const SpanRecord&) override { ++started; }
  void on_close(const SpanRecord& r) override {
    std::lock_guard<std::mutex> lock(mu);
    ClosedSpan c{std::string(r.name()),
                 r.context,
                 r.parent_span_id,
                 r.parent_remote,
                 r.kind,
                 r.status,
                 r.status_message,
                 {},
                 {},
                 r.link_count,
                 r.end_unix_nano >= r.start_unix_nano && r.start_unix_nano > 0};
    for (std::size_t i = 0; i < r.attributes.size(); ++i)
      c.attributes.emplace_back(std::string(r.attributes[i].name),
                                r.attributes[i].value.to_display_string());
    for (std::size_t i = 0; i < r.event_count; ++i)
      c.events.push_back(r.events[i].name);
    closed.push_back(std::move(c));
  }
  void on_event(const Event& e) override {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back({std::string(e.message), e.span ? e.span->context.span_id : core::SpanId{}});
  }
  const ClosedSpan& find(std::string_view name) {
    for (const ClosedSpan& c : closed)
      if (c.name == name)
        return c;
    ADD_FAILURE() << "no span " << name;
    static ClosedSpan none;
    return none;
  }
  std::string attribute(const ClosedSpan& c, std::string_view key) {
    for (const auto& [k, v] : c.attributes)
      if (k == key)
        return v;
    return "<missing>";
  }

  std::mutex mu;
  int started = 0;
  std::vector<ClosedSpan> closed;
  std::vector<SeenEvent> events;
};

class SpanTest : public ::testing::Test {
 protected:
  RecordingLayer* install(std::string_view filter = "trace",
                          Sampler sampler = Sampler::parent_based(Sampler::always_on())) {
    auto tracing = std::make_shared<Tracing>(Tracing::Options{.sampler = sampler});
    auto layer = std::make_unique<RecordingLayer>();
    RecordingLayer* raw = layer.get();
    tracing->add_layer(std::move(layer), Filter::parse(filter).value());
    set_global_subscriber(tracing);
    return raw;
  }
  void TearDown() override { set_global_subscriber(nullptr); }
};

TEST_F(SpanTest, ChildTakesTraceIdAndParentFromCurrentSpan) {
  RecordingLayer* layer = install();
  core::SpanContext outer_ctx;
  {
    auto outer = ET_SPAN("outer", field<"user">(7));
    outer_ctx = outer.context();
    {
      auto inner = ET_SPAN("inner");
      EXPECT_EQ(internal::current_span(), inner.record());
      ET_INFO("inside");
    }
    EXPECT_EQ(internal::current_span(), outer.record());
  }
  EXPECT_EQ(internal::current_span(), nullptr);
  ASSERT_EQ(layer->closed.size(), 2u);
  const ClosedSpan& outer = layer->find("outer");
  const ClosedSpan& inner = layer->find("inner");
  EXPECT_TRUE(outer.context.valid());
  EXPECT_FALSE(outer.parent.valid());
  EXPECT_EQ(inner.context.trace_id, outer.context.trace_id);
  EXPECT_EQ(inner.parent, outer.context.span_id);
  EXPECT_NE(inner.context.span_id, outer.context.span_id);
  EXPECT_TRUE(inner.ended_after_start);
  EXPECT_EQ(layer->attribute(outer, "user"), "7");
  ASSERT_EQ(layer->events.size(), 1u);
  EXPECT_EQ(layer->events[0].span, inner.context.span_id);
}

TEST_F(SpanTest, FieldsStatusEventsLinksAndNameAfterCreation) {
  RecordingLayer* layer = install();
  core::SpanContext linked{core::TraceId::random(), core::SpanId::random(), {1}, {}, true};
  {
    auto span = ET_SPAN_WITH((SpanOptions{.kind = SpanKind::kClient}), "call");
    span.record("http.response.status_code", 503);
    span.record("peer", std::string("db-1"));
    span.record("http.response.status_code", 504);  // replaces
    span.add_event("retry");
    span.add_link(linked);
    span.update_name("GET /users");
    span.record_exception(std::runtime_error("backend timeout"));
  }
  const ClosedSpan& c = layer->find("GET /users");
  EXPECT_EQ(c.kind, SpanKind::kClient);
  EXPECT_EQ(layer->attribute(c, "http.response.status_code"), "504");
  EXPECT_EQ(layer->attribute(c, "peer"), "db-1");
  EXPECT_EQ(c.attributes.size(), 2u);
  EXPECT_EQ(c.status, SpanStatusCode::kError);
  EXPECT_EQ(c.status_message, "backend timeout");
  EXPECT_EQ(c.events, (std::vector<std::string>{"retry", "exception"}));
  EXPECT_EQ(c.links, 1u);
}

TEST_F(SpanTest, OkStatusIsFinal) {
  RecordingLayer* layer = install();
  {
    auto span = ET_SPAN("s");
    span.set_status(SpanStatusCode::kOk, "ignored for ok");
    span.set_status(SpanStatusCode::kError, "too late");
  }
  EXPECT_EQ(layer->find("s").status, SpanStatusCode::kOk);
  EXPECT_EQ(layer->find("s").status_message, "");
}

void instrumented_function(int id) {
  ET_INSTRUMENT(field<"id">(id));
  ET_INFO("working");
}

TEST_F(SpanTest, InstrumentNamesTheSpanAfterTheFunction) {
  RecordingLayer* layer = install();
  instrumented_function(42);
  const ClosedSpan& c = layer->find("instrumented_function");
  EXPECT_EQ(layer->attribute(c, "id"), "42");
  EXPECT_EQ(layer->attribute(c, "code.function.name"), "instrumented_function");
  EXPECT_NE(layer->attribute(c, "code.file.path").find("span_test.cpp"), std::string::npos);
  EXPECT_NE(layer->attribute(c, "code.line.number"), "<missing>");
}

void named_debug_function() {
  ET_INSTRUMENT(span_name<"verify_pbkdf2_hash">, span_level<core::Level::kDebug>,
                field<"rounds">(600000));
}
void leveled_function() {
  ET_INSTRUMENT(span_level<core::Level::kTrace>);
  EXPECT_EQ(internal::current_span() != nullptr, false);  // filtered out under "debug"
}

TEST_F(SpanTest, InstrumentTakesASpanNameAndALevel) {
  RecordingLayer* layer = install("debug");
  named_debug_function();
  leveled_function();
  ASSERT_EQ(layer->closed.size(), 1u);
  const ClosedSpan& c = layer->find("verify_pbkdf2_hash");
  EXPECT_EQ(layer->attribute(c, "rounds"), "600000");
  EXPECT_EQ(layer->attribute(c, "code.function.name"), "named_debug_function");
  EXPECT_EQ(c.attributes.size(), 4u);  // rounds + code.*: the name and level are no fields

  RecordingLayer* info = install("info");  // a debug span is below an info filter
  named_debug_function();
  EXPECT_TRUE(info->closed.empty());
}

TEST_F(SpanTest, InstrumentMetadataCarriesTheGivenLevel) {
  struct LevelLayer : Layer {
    void on_new_span(const SpanRecord& r) override { levels.push_back(r.metadata->level); }
    std::vector<core::Level> levels;
  };
  auto tracing = std::make_shared<Tracing>(Tracing::Options{});
  auto layer = std::make_unique<LevelLayer>();
  LevelLayer* raw = layer.get();
  tracing->add_layer(std::move(layer), Filter::parse("trace").value());
  set_global_subscriber(tracing);
  named_debug_function();
  instrumented_function(1);
  { auto s = ET_SPAN_AT(core::Level::kWarn, "warned"); }
  EXPECT_EQ(raw->levels, (std::vector<core::Level>{core::Level::kDebug, core::Level::kInfo,
                                                   core::Level::kWarn}));
}

TEST_F(SpanTest, SemanticConventionConstantsNameSpanFields) {
  RecordingLayer* layer = install();
  static constexpr std::string_view kRoute = "http.route";
  { auto s = ET_SPAN("GET /users/{id}", field<kRoute>("/users/{id}")); }
  EXPECT_EQ(layer->attribute(layer->find("GET /users/{id}"), "http.route"), "/users/{id}");
}

TEST_F(SpanTest, RemoteParentStartsAChildOfAnotherProcess) {
  RecordingLayer* layer = install();
  core::SpanContext remote =
      core::extract_trace_context("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "")
          .value();
  {
    auto server =
        ET_SPAN_WITH((SpanOptions{.kind = SpanKind::kServer, .remote_parent = remote}), "GET /");
  }
  const ClosedSpan& c = layer->find("GET /");
  EXPECT_EQ(c.context.trace_id, remote.trace_id);
  EXPECT_EQ(c.parent, remote.span_id);
  EXPECT_TRUE(c.parent_remote);
  EXPECT_TRUE(c.context.sampled());
}

TEST_F(SpanTest, AttachedRemoteContextParentsNewSpans) {
  RecordingLayer* layer = install();
  core::SpanContext remote{core::TraceId::random(), core::SpanId::random(), {1}, {}, true};
  {
    auto scope = Context::from_remote(remote).attach();
    auto span = ET_SPAN("handler");
  }
  EXPECT_EQ(layer->find("handler").parent, remote.span_id);
  auto orphan = ET_SPAN("after");
  EXPECT_FALSE(orphan.record()->parent_span_id.valid());
}

TEST_F(SpanTest, ContextCarriesTheCurrentSpanToAnotherThread) {
  RecordingLayer* layer = install();
  core::SpanContext parent_ctx;
  {
    auto span = ET_SPAN("request");
    parent_ctx = span.context();
    Context ctx = Context::current();
    std::thread worker(ctx.wrap([] {
      auto child = ET_SPAN("on-worker");
      ET_INFO("from worker");
    }));
    worker.join();
  }
  const ClosedSpan& child = layer->find("on-worker");
  EXPECT_EQ(child.context.trace_id, parent_ctx.trace_id);
  EXPECT_EQ(child.parent, parent_ctx.span_id);
  ASSERT_EQ(layer->events.size(), 1u);
  EXPECT_EQ(layer->events[0].span, child.context.span_id);
}

// A minimal executor and coroutine: the coroutine is resumed on a worker thread.
class Worker {
 public:
  Worker() : thread_([this] { run(); }) {}
  ~Worker() {
    post(nullptr);
    thread_.join();
  }
  void post(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty(); });
        f = std::move(queue_.front());
        queue_.pop_front();
      }
      if (!f)
        return;
      f();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::thread thread_;
};

struct FireAndForget {
  struct promise_type {
    FireAndForget get_return_object() { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
};

struct ResumeOn {
  Worker& worker;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    worker.post([h] { h.resume(); });
  }
  void await_resume() const noexcept {}
};

FireAndForget coroutine_body(Context ctx, Worker& worker, std::promise<void>& done) {
  co_await ResumeOn{worker};  // now on the worker thread
  {
    auto scope = ctx.attach();
    auto span = ET_SPAN("after-resume");
  }
  done.set_value();
}

TEST_F(SpanTest, ContextReattachedInACoroutineAfterResumption) {
  RecordingLayer* layer = install();
  Worker worker;
  std::promise<void> done;
  core::SpanContext parent_ctx;
  {
    auto span = ET_SPAN("caller");
    parent_ctx = span.context();
    coroutine_body(Context::current(), worker, done);
  }
  done.get_future().wait();
  const ClosedSpan& c = layer->find("after-resume");
  EXPECT_EQ(c.context.trace_id, parent_ctx.trace_id);
  EXPECT_EQ(c.parent, parent_ctx.span_id);
}

TEST_F(SpanTest, ThreadPoolTasksKeepTheirOwnParents) {
  RecordingLayer* layer = install();
  std::vector<core::SpanContext> parents;
  {
    Worker a;
    Worker b;
    for (int i = 0; i < 4; ++i) {
      auto request = ET_SPAN("request", field<"i">(i));
      parents.push_back(request.context());
      Worker& w = (i % 2 == 0) ? a : b;
      w.post(Context::current().wrap([] { auto task = ET_SPAN("task"); }));
    }
  }  // workers drained and joined
  std::lock_guard<std::mutex> lock(layer->mu);
  int tasks = 0;
  for (const ClosedSpan& c : layer->closed) {
    if (c.name != "task")
      continue;
    ++tasks;
    bool found = false;
    for (const core::SpanContext& p : parents)
      found = found || (p.span_id == c.parent && p.trace_id == c.context.trace_id);
    EXPECT_TRUE(found);
  }
  EXPECT_EQ(tasks, 4);
}

TEST_F(SpanTest, UnsampledSpansKeepIdsAndPropagateTheDecision) {
  RecordingLayer* layer = install("trace", Sampler::parent_based(Sampler::always_off()));
  {
    auto root = ET_SPAN("root");
    auto child = ET_SPAN("child");
    EXPECT_TRUE(child.context().valid());
  }
  EXPECT_FALSE(layer->find("root").context.sampled());
  EXPECT_FALSE(layer->find("child").context.sampled());
  EXPECT_EQ(layer->find("child").parent, layer->find("root").context.span_id);
}

TEST_F(SpanTest, DisabledSpanIsInertAndChildrenAttachToTheEnclosingSpan) {
  RecordingLayer* layer = install("info");
  {
    auto outer = ET_SPAN("outer");
    {
      auto hidden = ET_SPAN_AT(core::Level::kDebug, "hidden");
      EXPECT_FALSE(hidden.is_recording());
      hidden.record("x", 1);  // no-op
      auto inner = ET_SPAN("inner");
      EXPECT_EQ(inner.record()->parent_span_id, outer.context().span_id);
    }
  }
  EXPECT_EQ(layer->closed.size(), 2u);
}

TEST_F(SpanTest, EachLayerSeesOnlyWhatItsFilterEnables) {
  auto tracing = std::make_shared<Tracing>(Tracing::Options{});
  auto all = std::make_unique<RecordingLayer>();
  auto warn_only = std::make_unique<RecordingLayer>();
  RecordingLayer* a = all.get();
  RecordingLayer* w = warn_only.get();
  tracing->add_layer(std::move(all), Filter::parse("trace").value());
  tracing->add_layer(std::move(warn_only), Filter::parse("warn").value());
  set_global_subscriber(tracing);
  {
    auto span = ET_SPAN("info-span");
    ET_INFO("info event");
    ET_WARN("warn event");
  }
  EXPECT_EQ(a->closed.size(), 1u);
  EXPECT_EQ(a->events.size(), 2u);
  EXPECT_EQ(w->closed.size(), 0u);
  ASSERT_EQ(w->events.size(), 1u);
  EXPECT_EQ(w->events[0].message, "warn event");
}

TEST_F(SpanTest, SpanFilterDirectivesSeeTheCurrentSpanFields) {
  RecordingLayer* layer = install("warn,[request{id=7}]=debug");
  {
    auto span = ET_SPAN_AT(core::Level::kWarn, "request", field<"id">(7));
    ET_DEBUG("inside seven");
  }
  {
    auto span = ET_SPAN_AT(core::Level::kWarn, "request", field<"id">(8));
    ET_DEBUG("inside eight");
  }
  ASSERT_EQ(layer->events.size(), 1u);
  EXPECT_EQ(layer->events[0].message, "inside seven");
}

TEST_F(SpanTest, RecordsAreReusedFromThePool) {
  install();
  for (int i = 0; i < 100; ++i) {
    auto span = ET_SPAN("warm");
  }
  const std::size_t before = internal::span_records_allocated();
  for (int i = 0; i < 10000; ++i) {
    auto span = ET_SPAN("steady", field<"i">(i));
    auto child = ET_SPAN("child");
  }
  EXPECT_EQ(internal::span_records_allocated(), before);
}

TEST_F(SpanTest, ARecordTakenAgainFromThePoolStartsClean) {
  install();
  core::SpanContext other;
  {
    auto o = ET_SPAN("other");
    other = o.context();
  }
  const SpanRecord* used = nullptr;
  {
    auto scope = Context::from_remote(other).attach();  // a remote parent
    auto span = ET_SPAN("used", field<"a">(1), field<"b">("text"));
    span.record("late", 2);
    span.set_status(SpanStatusCode::kError, "failed");
    span.add_event("happened");
    span.add_link(other);
    span.update_name("renamed");
    ASSERT_TRUE(span.record()->parent_remote);
    used = span.record();
  }
  // The pool's thread cache is last in, first out: the next span gets the same record (the
  // test would mean nothing otherwise, so that is asserted first).
  auto fresh = ET_SPAN("fresh");
  const SpanRecord* r = fresh.record();
  ASSERT_EQ(r, used);
  EXPECT_EQ(r->name(), "fresh");
  EXPECT_EQ(r->attributes.size(), 0u);
  EXPECT_EQ(r->event_count, 0u);
  EXPECT_EQ(r->link_count, 0u);
  EXPECT_EQ(r->status, SpanStatusCode::kUnset);
  EXPECT_TRUE(r->status_message.empty());
  EXPECT_EQ(r->parent, nullptr);
  EXPECT_FALSE(r->parent_span_id.valid());
  EXPECT_FALSE(r->parent_remote);
  EXPECT_NE(r->context.trace_id, other.trace_id);
  EXPECT_EQ(r->end_unix_nano, 0u);
}

// Tracing::Options::max_span_attributes holds for every span of that Tracing, and a record
// that served a Tracing with another limit does not carry it to the next one.
TEST_F(SpanTest, AttributeLimitIsEachTracingsOwnAcrossReusedRecords) {
  const auto run = [](std::size_t limit) {
    auto tracing = std::make_shared<Tracing>(Tracing::Options{.max_span_attributes = limit});
    auto layer = std::make_unique<RecordingLayer>();
    RecordingLayer* raw = layer.get();
    tracing->add_layer(std::move(layer), Filter::parse("trace").value());
    set_global_subscriber(tracing);
    const SpanRecord* used = nullptr;
    {
      auto span = ET_SPAN("limited", field<"a">(1), field<"b">(2), field<"c">(3));
      span.record("d", 4);
      used = span.record();
    }
    set_global_subscriber(nullptr);
    EXPECT_EQ(raw->closed.size(), 1u);
    std::vector<std::string> names;
    for (const auto& [k, v] : raw->closed.at(0).attributes)
      names.push_back(k);
    return std::make_pair(names, used);
  };
  const auto [two, first] = run(2);
  EXPECT_EQ(two, (std::vector<std::string>{"a", "b"}));
  const auto [all, second] = run(FieldStore::kDefaultLimit);
  ASSERT_EQ(second, first);  // the same pooled record, or the test proves nothing
  EXPECT_EQ(all, (std::vector<std::string>{"a", "b", "c", "d"}));
  const auto [three, third] = run(3);
  ASSERT_EQ(third, first);
  EXPECT_EQ(three, (std::vector<std::string>{"a", "b", "c"}));
}

// SpanRecord::thread_id is the OS id of the thread that started the span: per thread, and the
// child's own after fork() (the forking thread's id would be wrong there).
TEST_F(SpanTest, SpansCarryTheOsIdOfTheirThreadAlsoInAForkedChild) {
  install();
  const auto tid = [] { return static_cast<std::uint64_t>(::syscall(SYS_gettid)); };
  {
    auto span = ET_SPAN("main");
    EXPECT_EQ(span.record()->thread_id, tid());
  }
  std::uint64_t seen = 0;
  std::uint64_t expected = 0;
  std::thread([&] {
    auto span = ET_SPAN("other");
    seen = span.record()->thread_id;
    expected = tid();
  }).join();
  EXPECT_EQ(seen, expected);
  EXPECT_NE(seen, tid());

  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    install();  // the parent's Tracing is inert here
    auto span = ET_SPAN("in the child");
    if (span.record() == nullptr)
      ::_exit(2);
    if (internal::current_thread_id() != static_cast<std::uint64_t>(::getpid()))
      ::_exit(4);  // log lines' thread id
    ::_exit(span.record()->thread_id == static_cast<std::uint64_t>(::getpid()) ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "2: no span in the child, 3 (spans) or 4 (log lines): the parent's thread id";
}

// A subscriber of its own (not a Tracing) gets a span macro's fields with their names.
class FieldsSubscriber : public Subscriber {
 public:
  Interest register_callsite(const Metadata&) override { return Interest::kAlways; }
  bool enabled(const Metadata&) override { return true; }
  void event(const Event&) override {}
  SpanRecord* new_span(const Metadata& metadata, const SpanOptions&, std::span<const Field> fields,
                       std::uint32_t) override {
    name = metadata.name;
    for (const Field& f : fields)
      seen.emplace_back(std::string(f.name), f.value.to_display_string());
    return nullptr;
  }
  std::string name;
  std::vector<std::pair<std::string, std::string>> seen;
};

TEST_F(SpanTest, AnotherSubscriberGetsTheMacrosFieldsByName) {
  auto subscriber = std::make_shared<FieldsSubscriber>();
  set_global_subscriber(subscriber);
  {
    auto span = ET_SPAN("custom", field<"a">(1), field<"b">("two"), field<"c">(2.5));
    EXPECT_FALSE(span.is_recording());
  }
  EXPECT_EQ(subscriber->name, "custom");
  const std::vector<std::pair<std::string, std::string>> expected{
      {"a", "1"}, {"b", "two"}, {"c", "2.5"}};
  EXPECT_EQ(subscriber->seen, expected);
}

TEST_F(SpanTest, NoSubscriberMeansInertSpans) {
  set_global_subscriber(nullptr);
  auto span = ET_SPAN("nothing");
  EXPECT_FALSE(span.is_recording());
  EXPECT_FALSE(span.context().valid());
}

TEST_F(SpanTest, SpanEndedAfterTheSubscriberWasReplacedIsSafe) {
  RecordingLayer* layer = install();
  {
    auto span = ET_SPAN("survivor");
    set_global_subscriber(nullptr);
  }
  EXPECT_EQ(layer->closed.size(), 1u);  // closed on the subscriber that started it
}

// The installed Tracing's macros path skips the "shut down?" test: its shutdown() must take
// it off that path (and installing a shut-down Tracing must not put it there).
TEST_F(SpanTest, ShutDownTracingStillInstalledTakesNoSpansOrEvents) {
  auto tracing = std::make_shared<Tracing>(Tracing::Options{});
  auto layer = std::make_unique<RecordingLayer>();
  RecordingLayer* recorded = layer.get();
  tracing->add_layer(std::move(layer), Filter::parse("trace").value());
  set_global_subscriber(tracing);
  {
    auto open = ET_SPAN("open across shutdown");
    { auto before = ET_SPAN("before shutdown"); }
    ASSERT_TRUE(tracing->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(1)));
    auto after = ET_SPAN("after shutdown");
    EXPECT_FALSE(after.is_recording());
    ET_INFO("event after shutdown");
  }
  EXPECT_EQ(recorded->started, 2);
  ASSERT_EQ(recorded->closed.size(), 1u);  // the span open across the shutdown is not closed
  EXPECT_EQ(recorded->closed[0].name, "before shutdown");
  EXPECT_TRUE(recorded->events.empty());

  set_global_subscriber(nullptr);
  set_global_subscriber(tracing);  // installed again, already shut down
  auto again = ET_SPAN("installed after shutdown");
  EXPECT_FALSE(again.is_recording());
  EXPECT_EQ(recorded->started, 2);
}

}  // namespace
}  // namespace edgetrace::sdk
