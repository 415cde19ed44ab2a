#include "run.hpp"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "edgetrace/sdk/otlp_layer.hpp"

namespace edgetrace::examples {
namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

}  // namespace

void block_stop_signals() noexcept {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::string wait_for_stop(const HttpServer& server, std::uint64_t max_requests) {
  const sigset_t set = stop_signals();
  for (;;) {
    if (max_requests != 0 && server.requests_served() >= max_requests)
      return "max-requests";
    // Poll: the request budget is checked every 50 ms while waiting for a signal.
    const timespec timeout{0, 50'000'000};
    const int sig = sigtimedwait(&set, nullptr, &timeout);
    if (sig == SIGINT)
      return "SIGINT";
    if (sig == SIGTERM)
      return "SIGTERM";
  }
}

core::Result<sdk::TracingGuard> build_tracing(const std::string& service_name,
                                              const std::string& config_path,
                                              std::unique_ptr<sdk::Layer> extra,
                                              std::string extra_filter) {
  sdk::TracingBuilder builder = sdk::TracingBuilder::from_config_file(service_name, config_path);
  builder.with_otlp_factory(&sdk::make_otlp_layer);
  if (env_set("OTEL_EXPORTER_OTLP_ENDPOINT") || env_set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
    builder.with_otlp();
  if (extra)
    builder.with_layer(std::move(extra), std::move(extra_filter));
  core::Result<sdk::TracingGuard> guard = builder.build();
  if (guard) {
    for (const std::string& warning : guard->warnings())
      std::fprintf(stderr, "tracing: %s\n", warning.c_str());
  }
  return guard;
}

}  // namespace edgetrace::examples
