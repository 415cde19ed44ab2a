// A program for robustness_test.cpp: each mode exercises one way a real program ends while
// edgetrace is installed. The test runs it as a child process and checks its exit status
// and output.
//
//   sdk_robustness_child static-destruction   statics log before and after a static guard dies
//   sdk_robustness_child exit-while-logging   std::exit() while threads log into live layers
//                                             (console + OTLP towards a closed port)
#define ET_TARGET "child"
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "edgetrace/sdk/span.hpp"
#include "edgetrace/sdk/tracing_builder.hpp"

namespace {

using edgetrace::field;
namespace sdk = edgetrace::sdk;

edgetrace::otlp::EnvLookup no_environment() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}

sdk::ConsoleLayerOptions plain_stdout() {
  sdk::ConsoleLayerOptions o;
  o.ansi = sdk::Ansi::kNever;
  o.line.format = sdk::LineFormat::kCompact;
  return o;
}

// Logs from its destructor; where it is constructed decides whether the guard is still alive.
struct LogsWhenDestroyed {
  const char* message;
  ~LogsWhenDestroyed() {
    auto span = ET_SPAN("static teardown");
    ET_INFO("static destructor", field<"which">(std::string_view(message)));
  }
};

int static_destruction() {
  // Constructed first, destroyed last: after the guard.
  static LogsWhenDestroyed after{"after-guard"};
  static auto guard = sdk::TracingBuilder("child")
                          .with_env(no_environment())
                          .with_console(plain_stdout(), "info")
                          .build();
  if (!guard) {
    std::fprintf(stderr, "%s\n", guard.status().to_string().c_str());
    return 2;
  }
  // Constructed last, destroyed first: while the guard lives.
  static LogsWhenDestroyed before{"before-guard"};
  ET_INFO("main returns");
  return 0;
}

int exit_while_logging() {
  sdk::TracingConfig config;
  config.otlp.enabled = true;
  config.otlp.endpoint = "http://127.0.0.1:1";  // nothing listens: every export fails
  auto guard = sdk::TracingBuilder("child")
                   .with_env(no_environment())
                   .with_config(config)
                   .with_otlp_factory(&sdk::make_otlp_layer)
                   .with_console(plain_stdout(), "warn")
                   .build();
  if (!guard) {
    std::fprintf(stderr, "%s\n", guard.status().to_string().c_str());
    return 2;
  }
  std::atomic<bool> started{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&started] {
      for (std::uint64_t i = 0;; ++i) {
        auto span = ET_SPAN("busy", field<"i">(i));
        ET_INFO("busy", field<"i">(i));
        started.store(true);
      }
    });
  }
  while (!started.load())
    std::this_thread::yield();
  for (std::thread& t : threads)
    t.detach();
  ET_WARN("exiting with threads still logging");
  std::fflush(stdout);
  // Neither the guard's destructor nor the threads' end runs: static destructors run while
  // the threads keep calling into the layers.
  std::exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode == "static-destruction")
    return static_destruction();
  if (mode == "exit-while-logging")
    return exit_while_logging();
  std::fprintf(stderr, "usage: %s static-destruction|exit-while-logging\n", argv[0]);
  return 64;
}
