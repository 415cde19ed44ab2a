// edgetrace-example-w3c-conformance: the service the W3C Trace Context test harness drives.
//
//   edgetrace-example-w3c-conformance [--host 127.0.0.1] [--port 5000] [--max-requests N]
//                                     [--config edgetrace.toml]
//   python test.py http://127.0.0.1:5000/test      # in a checkout of w3c/trace-context/test
//
// Prints "listening on http://<host>:<port>" once it serves (port 0 picks a free one), and
// stops on SIGINT/SIGTERM or after N answered requests. See examples/README.md.
#define ET_TARGET "w3c_conformance"
#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "../common/run.hpp"
#include "conformance.hpp"
#include "edgetrace/sdk/event.hpp"

namespace {

// Counts the service's spans. Its filter wants every span of the service, so the spans exist
// (and propagation creates new parent ids) whatever the console and OTLP filters say: with no
// layer interested, a span is not created and the incoming context would pass through as is.
// The count lives in main(), declared before the guard: it outlives the layer.
class SpanCounter final : public edgetrace::sdk::Layer {
 public:
  explicit SpanCounter(std::atomic<std::uint64_t>& spans) : spans_(spans) {}
  void on_close(const edgetrace::sdk::SpanRecord&) override {
    spans_.fetch_add(1, std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t>& spans_;
};

}  // namespace

int main(int argc, char** argv) {
  namespace ex = edgetrace::examples;
  using edgetrace::field;

  std::string host = "127.0.0.1";
  std::uint16_t port = 5000;
  std::uint64_t max_requests = 0;
  std::string config;
  CLI::App app{"W3C Trace Context conformance service (POST /test)"};
  app.add_option("--host", host, "address to listen on");
  app.add_option("--port", port, "port to listen on (0: any free port)");
  app.add_option("--max-requests", max_requests, "stop after this many answered requests");
  app.add_option("--config", config, "edgetrace TOML config (default: $EDGETRACE_CONFIG)");
  CLI11_PARSE(app, argc, argv);

  ex::block_stop_signals();
  std::atomic<std::uint64_t> spans{0};
  auto guard = ex::build_tracing("w3c-conformance", config, std::make_unique<SpanCounter>(spans),
                                 "w3c_conformance=trace");
  if (!guard) {
    std::fprintf(stderr, "tracing: %s\n", guard.status().to_string().c_str());
    return 1;
  }
  ex::ConformanceService service({});
  auto server = ex::HttpServer::listen(
      host, port, [&](const ex::Request& r, const ex::Peer& p) { return service.handle(r, p); });
  if (!server) {
    std::fprintf(stderr, "%s\n", server.status().to_string().c_str());
    return 1;
  }
  std::printf("listening on http://%s:%u\n", host.c_str(), (*server)->port());
  std::fflush(stdout);
  ET_INFO("listening", field<"server.port">((*server)->port()));

  const std::string why = ex::wait_for_stop(**server, max_requests);
  (*server)->stop();
  const auto& c = service.counters();
  ET_INFO("stopping", field<"reason">(why), field<"requests">(c.requests.load()),
          field<"bad_requests">(c.bad_requests.load()), field<"calls">(c.calls.load()),
          field<"failed_calls">(c.failed_calls.load()), field<"spans">(spans.load()));
  const bool flushed = guard->shutdown();
  std::printf("stopped (%s), telemetry %s\n", why.c_str(), flushed ? "flushed" : "NOT flushed");
  return flushed ? 0 : 3;
}
