// Robustness of the installed SDK in real programs: fork(), static destruction, std::exit()
// with threads still logging, and an exporter whose receiver is gone.
#define ET_TARGET "shop::robust"
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "edgetrace/sdk/span.hpp"
#include "edgetrace/sdk/tracing_builder.hpp"
#include "fake_http_receiver.hpp"
#include "silent_receiver.hpp"
#include "wait.hpp"

extern char** environ;

namespace edgetrace::sdk {
namespace {

using edgetrace::field;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
using testing::FakeOtlpHttpReceiver;

// AddressSanitizer's allocator takes no lock around fork() before LLVM 18 (llvm-project pull
// request 75290 added its pthread_atfork handlers; GCC 12's libasan predates it): a child
// forked while another thread is inside the sanitizer's allocator may wait forever for that
// lock (llvm-project issue 63224). glibc's malloc is fork-safe, so in normal builds the parent
// keeps logging while it forks; under ASan it is paused and flushed at each fork.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kForkNeedsQuietParent = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kForkNeedsQuietParent = true;
#else
constexpr bool kForkNeedsQuietParent = false;
#endif
#else
constexpr bool kForkNeedsQuietParent = false;
#endif

otlp::EnvLookup no_env() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

TracingConfig otlp_only(std::string endpoint) {
  TracingConfig c;
  c.console.enabled = false;
  c.otlp.enabled = true;
  c.otlp.endpoint = std::move(endpoint);
  return c;
}

struct Recorded {
  std::mutex mu;
  std::vector<std::string> messages;
};

class RecordingLayer : public Layer {
 public:
  explicit RecordingLayer(std::shared_ptr<Recorded> r) : r_(std::move(r)) {}
  void on_event(const Event& e) override {
    std::lock_guard<std::mutex> lock(r_->mu);
    r_->messages.emplace_back(e.message);
  }

 private:
  std::shared_ptr<Recorded> r_;
};

// Waits for `pid` at most `timeout`; kills it when it takes longer. Returns the wait status,
// or -1 on timeout.
int wait_for(pid_t pid, std::chrono::milliseconds timeout) {
  if (const std::optional<int> status = edgetrace::testing::wait_for_exit(pid, timeout))
    return *status;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return -1;
}

struct ChildResult {
  int status = -1;
  std::string output;  // stdout and stderr
};

ChildResult run_child(const char* mode, std::chrono::milliseconds timeout) {
  ChildResult result;
  int fds[2];
  if (::pipe(fds) != 0)
    return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  const char* path = EDGETRACE_ROBUSTNESS_CHILD;
  char* argv[] = {const_cast<char*>(path), const_cast<char*>(mode), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, path, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return result;
  }
  const auto end = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left <= 0ms)
      break;
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      break;
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0)
      break;
    result.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
  result.status = wait_for(pid, std::max(left, 100ms));
  return result;
}

TEST(RobustnessTest, LoggingDuringStaticDestructionBeforeAndAfterTheGuard) {
  const ChildResult r = run_child("static-destruction", 20s);
  ASSERT_NE(r.status, -1) << "the child hung; output:\n" << r.output;
  ASSERT_TRUE(WIFEXITED(r.status)) << "status " << r.status << "; output:\n" << r.output;
  EXPECT_EQ(WEXITSTATUS(r.status), 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("main returns"));
  // The static destroyed while the guard lived logged; the one destroyed after it did not
  // (and nothing crashed).
  EXPECT_THAT(r.output, HasSubstr("static destructor which=\"before-guard\""));
  EXPECT_THAT(r.output, Not(HasSubstr("after-guard")));
}

TEST(RobustnessTest, ExitWhileThreadsLogIntoLiveLayers) {
  for (int round = 0; round < 3; ++round) {
    const ChildResult r = run_child("exit-while-logging", 20s);
    ASSERT_NE(r.status, -1) << "the child hung; output:\n" << r.output;
    ASSERT_TRUE(WIFEXITED(r.status)) << "status " << r.status << "; output:\n" << r.output;
    EXPECT_EQ(WEXITSTATUS(r.status), 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("exiting with threads still logging"));
  }
}

TEST(RobustnessTest, ForkedChildGetsNoOpsAndMayBuildItsOwn) {
  FakeOtlpHttpReceiver rx;
  auto guard = TracingBuilder("parent")
                   .with_env(no_env())
                   .with_config(otlp_only(rx.url()))
                   .with_otlp_factory(&make_otlp_layer)
                   .build();
  ASSERT_TRUE(guard.ok()) << guard.status().to_string();

  std::atomic<bool> stop{false};
  std::atomic<bool> pause{false};
  std::atomic<bool> paused{false};
  std::atomic<std::uint64_t> logged{0};
  std::thread busy([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      if (pause.load(std::memory_order_acquire)) {
        paused.store(true, std::memory_order_release);
        std::this_thread::sleep_for(1ms);
        continue;
      }
      paused.store(false, std::memory_order_release);
      ET_INFO("busy parent", field<"n">(logged.load(std::memory_order_relaxed)));
      logged.fetch_add(1, std::memory_order_relaxed);
    }
  });
  while (logged.load() < 1000)
    std::this_thread::yield();

  for (int round = 0; round < 20; ++round) {
    if (kForkNeedsQuietParent) {
      // See kForkNeedsQuietParent: no thread of the parent may be inside the allocator.
      pause.store(true, std::memory_order_release);
      while (!paused.load(std::memory_order_acquire))
        std::this_thread::yield();
      ASSERT_TRUE(guard->force_flush());
    }
    const pid_t pid = ::fork();
    pause.store(false, std::memory_order_release);
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // The child: the parent's layers are gone for it; every call site is a no-op.
      for (int i = 0; i < 10000; ++i)
        ET_INFO("child before its own builder", field<"i">(i));
      {
        auto span = ET_SPAN("inert in the child");
        if (span.context().valid())
          ::_exit(3);
      }
      // Destroying (shutting down) the parent's guard here does nothing and returns at once.
      if (guard->shutdown())
        ::_exit(4);
      auto rec = std::make_shared<Recorded>();
      TracingConfig quiet;
      quiet.console.enabled = false;
      auto own = TracingBuilder("child")
                     .with_env(no_env())
                     .with_config(quiet)
                     .with_layer(std::make_unique<RecordingLayer>(rec))
                     .build();
      if (!own.ok())
        ::_exit(5);
      ET_INFO("child logs");
      if (!own->shutdown())
        ::_exit(6);
      if (rec->messages != std::vector<std::string>{"child logs"})
        ::_exit(7);
      ::_exit(0);
    }
    const int status = wait_for(pid, 10s);
    ASSERT_NE(status, -1) << "forked child " << round << " hung";
    ASSERT_TRUE(WIFEXITED(status)) << "child " << round << " status " << status;
    ASSERT_EQ(WEXITSTATUS(status), 0) << "child " << round;
  }

  // The parent keeps exporting.
  stop = true;
  busy.join();
  ET_WARN("parent after the forks");
  ASSERT_TRUE(guard->shutdown());
  bool found = false;
  for (const auto& req : rx.received())
    for (const auto& rl : req.logs.resource_logs())
      for (const auto& sl : rl.scope_logs())
        for (const auto& lr : sl.log_records())
          found = found || lr.body().string_value() == "parent after the forks";
  EXPECT_TRUE(found);
  EXPECT_GT(rx.items_accepted(), 1000u);
}

TEST(RobustnessTest, FailingExporterNeverBlocksTheApplication) {
  // A receiver that takes connections (the kernel completes them) and never answers, until
  // it is closed: then every connection is reset and every new one refused. Exports wait on
  // it for an hour, so an application or a shutdown that waited for one would not return.
  edgetrace::testing::SilentReceiver silent;
  ASSERT_TRUE(silent.ok());
  TracingConfig config = otlp_only(silent.url());
  config.otlp.timeout = 1h;
  auto guard = TracingBuilder("svc")
                   .with_env([](std::string_view name) -> std::optional<std::string> {
                     if (name == "OTEL_BLRP_EXPORT_TIMEOUT" || name == "OTEL_BSP_EXPORT_TIMEOUT")
                       return "3600000";
                     return std::nullopt;
                   })
                   .with_config(config)
                   .with_otlp_factory(&make_otlp_layer)
                   .with_shutdown_deadline(1s)
                   .build();
  // The application finishes while the first export is held.
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100000; ++i)
    ET_INFO("lost", field<"i">(i));
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  std::printf(
      "100000 events towards a receiver that never answers: %lld ms on the caller's "
      "thread\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
  // Shutdown gives up on the held export at its deadline; only then does the receiver go
  // down, and the held export fail.
  const bool flushed = guard.ok() && guard->shutdown();
  silent.close();
  ASSERT_TRUE(guard.ok()) << guard.status().to_string();
  EXPECT_FALSE(flushed);
  auto* layer = dynamic_cast<OtlpLayer*>(&guard->tracing()->layer(0));
  ASSERT_NE(layer, nullptr);
  // Every event is accounted for: dropped (queue full) or failed (receiver down). An export
  // abandoned at the deadline finishes its accounting just after it.
  OtlpLayer::Counters c = layer->counters();
  EXPECT_TRUE(edgetrace::testing::wait_until([&] {
    c = layer->counters();
    return c.logs_failed + c.logs_dropped >= 100000u;
  }));
  EXPECT_EQ(c.logs_exported, 0u);
  EXPECT_GT(c.logs_dropped, 0u);
  EXPECT_EQ(c.logs_failed + c.logs_dropped, 100000u);
}

}  // namespace
}  // namespace edgetrace::sdk
