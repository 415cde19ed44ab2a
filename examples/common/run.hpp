// What the example programs' main() functions share: tracing set up from the config file and
// the environment, and waiting for SIGINT/SIGTERM or a request budget.
//
//   block_stop_signals();                       // first, before any thread starts
//   auto guard = build_tracing("http-service", config_path);
//   ... start the server ...
//   std::string why = wait_for_stop(*server, max_requests);
//   server->stop();
//   guard->shutdown();                          // flushes console, file and OTLP layers
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "edgetrace/core/result.hpp"
#include "edgetrace/sdk/tracing_builder.hpp"
#include "http.hpp"

namespace edgetrace::examples {

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts afterwards, so
// that wait_for_stop() receives them instead of the default handler killing the process.
void block_stop_signals() noexcept;

// Blocks until SIGINT or SIGTERM arrives, or `server` has answered `max_requests` requests
// (0: no limit). Returns "SIGINT", "SIGTERM" or "max-requests".
std::string wait_for_stop(const HttpServer& server, std::uint64_t max_requests);

// TracingBuilder from `config_path` (empty: $EDGETRACE_CONFIG, else defaults) and the OTEL_*
// environment. The OTLP layer is also turned on when OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set. `extra` (may be null) is added with
// `extra_filter`. Warnings go to stderr.
core::Result<sdk::TracingGuard> build_tracing(const std::string& service_name,
                                              const std::string& config_path,
                                              std::unique_ptr<sdk::Layer> extra = nullptr,
                                              std::string extra_filter = {});

}  // namespace edgetrace::examples
