// edgetrace-example-http-service: an HTTP service instrumented with edgetrace.
//
//   edgetrace-example-http-service [--host 127.0.0.1] [--port 8080] [--downstream URL]
//                                  [--mqtt 127.0.0.1:1883] [--max-requests N]
//                                  [--config edgetrace.toml]
//
// Prints "listening on http://<host>:<port>" once it serves (port 0 picks a free one), and
// stops on SIGINT/SIGTERM or after N answered requests (downstream calls to itself count),
// flushing every layer before it exits. See examples/README.md.
#define ET_TARGET "http_service"
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "../common/run.hpp"
#include "edgetrace/sdk/event.hpp"
#include "mqtt_commands.hpp"
#include "service.hpp"

int main(int argc, char** argv) {
  namespace ex = edgetrace::examples;
  using edgetrace::field;

  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string downstream;
  if (const char* env = std::getenv("EDGETRACE_EXAMPLE_DOWNSTREAM"))
    downstream = env;
  std::string mqtt;
  if (const char* env = std::getenv("EDGETRACE_EXAMPLE_MQTT"))
    mqtt = env;
  std::uint64_t max_requests = 0;
  std::string config;
  CLI::App app{"An HTTP service instrumented with edgetrace"};
  app.add_option("--host", host, "address to listen on");
  app.add_option("--port", port, "port to listen on (0: any free port)");
  app.add_option("--downstream", downstream,
                 "base URL of the service /users/{id} calls (default: this service; "
                 "env EDGETRACE_EXAMPLE_DOWNSTREAM)");
  app.add_option("--mqtt", mqtt,
                 "host:port of the MQTT broker POST /devices/{id}/commands/{name} publishes to "
                 "(env EDGETRACE_EXAMPLE_MQTT; none: that route answers 503)");
  app.add_option("--max-requests", max_requests, "stop after this many answered requests");
  app.add_option("--config", config, "edgetrace TOML config (default: $EDGETRACE_CONFIG)");
  CLI11_PARSE(app, argc, argv);

  ex::block_stop_signals();
  auto guard = ex::build_tracing("http-service", config);
  if (!guard) {
    std::fprintf(stderr, "tracing: %s\n", guard.status().to_string().c_str());
    return 1;
  }

  auto propagators = edgetrace::sdk::Propagators::from_env(edgetrace::otlp::process_environment());
  for (const std::string& warning : propagators.warnings)
    std::fprintf(stderr, "propagation: %s\n", warning.c_str());
  std::unique_ptr<ex::MqttCommandPublisher> commands;
  if (!mqtt.empty()) {
    auto connected = ex::MqttCommandPublisher::connect(mqtt);
    if (!connected) {
      std::fprintf(stderr, "%s\n", connected.status().to_string().c_str());
      return 1;
    }
    commands = std::move(connected).value();
  }
  ex::HttpServiceOptions options;
  options.downstream = downstream;
  options.propagators = propagators.propagators;
  options.commands = commands.get();
  auto service = ex::HttpService::create(std::move(options));
  if (!service) {
    std::fprintf(stderr, "%s\n", service.status().to_string().c_str());
    return 2;
  }
  auto server = ex::HttpServer::listen(
      host, port, [&](const ex::Request& r, const ex::Peer& p) { return service->handle(r, p); });
  if (!server) {
    std::fprintf(stderr, "%s\n", server.status().to_string().c_str());
    return 1;
  }
  service->set_self_port((*server)->port());
  std::printf("listening on http://%s:%u\n", host.c_str(), (*server)->port());
  std::fflush(stdout);
  ET_INFO("listening", field<"server.address">(host), field<"server.port">((*server)->port()));

  const std::string why = ex::wait_for_stop(**server, max_requests);
  ET_INFO("stopping", field<"reason">(why));
  (*server)->stop();
  const bool flushed = guard->shutdown();
  std::printf("stopped (%s), telemetry %s\n", why.c_str(), flushed ? "flushed" : "NOT flushed");
  return flushed ? 0 : 3;
}
