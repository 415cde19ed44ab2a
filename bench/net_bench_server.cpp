// The server side of bench/net_bench.sh: an edgetrace::net::HttpServer on 127.0.0.1 that
// answers POST /bench with 200 and a two-byte body. Prints its URL, then serves until
// SIGINT or SIGTERM and prints its counters.
//
//   net_bench_server [io_threads] [listen]     e.g. net_bench_server 1 127.0.0.1:0
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "edgetrace/net/http_server.hpp"

int main(int argc, char** argv) {
  using namespace edgetrace::net;
  HttpServerOptions options;
  options.io_threads = argc > 1 ? static_cast<std::size_t>(std::atoi(argv[1])) : 1;
  options.listen = argc > 2 ? argv[2] : "127.0.0.1:0";
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  HttpServer server(options);
  server.route("POST", "/bench", sync_handler([](Request&& request) {
                 return Response::text(200, request.body.size() == 200 ? "ok" : "??");
               }));
  if (auto st = server.start(); !st.ok()) {
    std::fprintf(stderr, "net_bench_server: %s\n", st.to_string().c_str());
    return 1;
  }
  std::printf("%s\n", server.url().c_str());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&signals, &signal);
  server.stop(std::chrono::seconds(2));
  const auto& c = server.counters();
  std::fprintf(stderr, "requests=%llu 2xx=%llu connections=%llu\n",
               static_cast<unsigned long long>(c.requests.load()),
               static_cast<unsigned long long>(c.responses_2xx.load()),
               static_cast<unsigned long long>(c.connections_accepted.load()));
  return 0;
}
