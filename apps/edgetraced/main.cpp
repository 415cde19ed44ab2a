// edgetraced: receives device streams (and, with the gateway, OTLP), rebuilds their traces
// and delivers them to OTLP backends without losing what it accepted. main() only parses the
// command line, loads the config, sets up the daemon's own log and waits for signals; the
// daemon itself is server/daemon.hpp.
//
// Exit codes: 0 clean stop (or a valid config with --check-config), 1 a failure at start,
// 2 a usage or configuration error (the message gives file:line:col).
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "edgetrace/config/loader.hpp"
#include "edgetrace/core/env.hpp"
#include "edgetrace/sdk/console_layer.hpp"
#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "edgetrace/sdk/tracing_builder.hpp"
#include "server/config.hpp"
#include "server/daemon.hpp"

namespace {

using edgetrace::core::Result;
using edgetrace::core::Status;
namespace config = edgetrace::config;
namespace daemon = edgetrace::daemon;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct Loaded {
  config::Document doc;
  daemon::DaemonConfig config;
};

// The file (if any) with the --set overrides applied, read into a DaemonConfig.
Result<Loaded> load(const std::string& path, const std::vector<std::string>& sets) {
  Loaded out;
  if (!path.empty()) {
    Result<config::Document> doc = config::Document::load_file(path);
    if (!doc)
      return doc.status();
    out.doc = std::move(doc).value();
  }
  for (const std::string& kv : sets) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return edgetrace::core::invalid_argument("--set " + kv + ": expected KEY=VALUE");
    if (Status s = out.doc.set(kv.substr(0, eq), kv.substr(eq + 1)); !s.ok())
      return edgetrace::core::invalid_argument("--set " + kv + ": " + s.message());
  }
  Result<daemon::DaemonConfig> cfg =
      daemon::read_daemon_config(out.doc, edgetrace::core::process_environment());
  if (!cfg)
    return cfg.status();
  out.config = std::move(cfg).value();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "edgetraced: receives device streams over TCP, MQTT, HTTP and serial, rebuilds their "
      "traces and delivers them as OTLP.\nDocs: docs/daemon.md",
      "edgetraced"};
  std::string config_path;
  std::string check_path;
  bool print_config = false;
  bool version = false;
  std::vector<std::string> sets;
  app.add_option("-c,--config", config_path,
                 "TOML config file (default: $EDGETRACED_CONFIG, else built-in defaults)");
  app.add_option("--check-config", check_path,
                 "validate FILE (with any --set) and exit: 0 valid, 2 invalid");
  app.add_flag("--print-config", print_config,
               "print the whole default config, every key commented, and exit");
  app.add_option("--set", sets,
                 "KEY=VALUE overriding a config key by its dotted path; VALUE is TOML "
                 "(a bare word is a string); repeatable")
      ->take_all();
  app.add_flag("--version", version, "print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  if (version) {
    std::printf("edgetraced %s\n", EDGETRACE_VERSION);
    return 0;
  }
  if (print_config) {
    std::fputs(std::string(daemon::default_config_text()).c_str(), stdout);
    return 0;
  }
  if (!check_path.empty()) {
    Result<Loaded> loaded = load(check_path, sets);
    if (!loaded) {
      std::fprintf(stderr, "edgetraced: %s\n", loaded.status().message().c_str());
      return kExitUsage;
    }
    std::printf("%s: valid\n", check_path.c_str());
    return 0;
  }
  if (config_path.empty()) {
    if (const char* env = std::getenv("EDGETRACED_CONFIG"); env != nullptr && *env != '\0')
      config_path = env;
  }
  Result<Loaded> loaded = load(config_path, sets);
  if (!loaded) {
    std::fprintf(stderr, "edgetraced: %s\n", loaded.status().message().c_str());
    return kExitUsage;
  }

  // The daemon's own log: console on stderr, OTLP only when telemetry.otlp_endpoint says so.
  // It never goes through the daemon's pipeline.
  const daemon::TelemetryConfig& t = loaded->config.telemetry;
  edgetrace::sdk::TracingBuilder builder("edgetraced");
  builder.with_config(edgetrace::sdk::TracingConfig{})
      .with_env([](std::string_view) -> std::optional<std::string> { return std::nullopt; })
      .with_console(edgetrace::sdk::ConsoleLayerOptions{.to_stderr = true}, t.log_level);
  if (!t.otlp_endpoint.empty()) {
    edgetrace::sdk::OtlpLayerOptions o;
    o.traces.endpoint =
        edgetrace::otlp::signal_endpoint(t.otlp_endpoint, edgetrace::otlp::Protocol::kHttpProtobuf,
                                         edgetrace::otlp::Signal::kTraces);
    o.logs.endpoint = edgetrace::otlp::signal_endpoint(
        t.otlp_endpoint, edgetrace::otlp::Protocol::kHttpProtobuf, edgetrace::otlp::Signal::kLogs);
    builder.with_otlp(std::move(o), t.log_level);
  }
  auto guard = builder.build();
  if (!guard) {
    std::fprintf(stderr, "edgetraced: telemetry: %s\n", guard.status().message().c_str());
    return kExitUsage;
  }

  // Signals are taken by sigwait() below, on this thread only.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  daemon::Daemon d(loaded->config);
  if (Status s = d.start(); !s.ok()) {
    ET_ERROR("cannot start: " + s.message());
    d.stop();
    return kExitFailed;
  }
  std::string started = "edgetraced " EDGETRACE_VERSION " started";
  for (const auto& [what, port] : d.listening())
    started += "; " + what + " on port " + std::to_string(port);
  ET_INFO(started);
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0)
      continue;
    if (sig == SIGHUP) {
      Result<Loaded> fresh = load(config_path, sets);
      if (!fresh) {
        ET_WARN("reload refused, keeping the running config: " + fresh.status().message());
        continue;
      }
      std::string restart;
      for (const std::string& key : d.reload(fresh->config))
        restart += (restart.empty() ? "" : ", ") + key;
      ET_INFO(restart.empty() ? std::string("config reloaded")
                              : "config reloaded; restart to apply: " + restart);
      continue;
    }
    ET_INFO(std::string("stopping on ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT"));
    break;
  }
  d.stop();
  ET_INFO("stopped");
  return 0;
}
