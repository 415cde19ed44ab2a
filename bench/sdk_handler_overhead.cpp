// The seed's overhead question (docs/benchmarks.md, "SDK"): a request handler doing 1 ms of
// work with 5 spans and 10 events, timed with the console, file and OTLP layers on against
// the same handler with no subscriber, interleaved in one run (rounds of 200 requests each,
// alternating), in CPU time of the handler's thread. The work is a fixed amount of arithmetic
// calibrated to about 1 ms; the console writes to /dev/null, the file layer to a temporary
// directory, the OTLP layer to an in-process receiver that discards.
//   sdk_handler_overhead [rounds] [layers: any of c (console), f (file), o (OTLP); cfo]
#define ET_TARGET "handler"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "edgetrace/edgetrace.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "testing/fake_http_receiver.hpp"

namespace {

using edgetrace::field;
using namespace edgetrace::sdk;
using Clock = std::chrono::steady_clock;

// CPU time of the calling thread in microseconds: the measure is the handler's own cost,
// not the time other processes on a shared machine take from it.
double thread_cpu_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

volatile std::uint64_t g_sink = 0;

__attribute__((noinline)) void work(std::uint64_t iterations) {
  std::uint64_t x = 88172645463325252ull;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  g_sink = x;
}

// 5 spans, 10 events, 1 ms of work split between the spans.
void handle(int request, std::uint64_t iterations) {
  auto root =
      ET_SPAN("GET /users/{id}", field<"http.request.method">("GET"), field<"request">(request));
  ET_INFO("request received", field<"path">("/users/42"));
  for (int s = 0; s < 4; ++s) {
    auto child = ET_SPAN("load", field<"step">(s));
    ET_DEBUG("not recorded at info");
    ET_INFO("loading", field<"step">(s), field<"table">("users"));
    work(iterations / 4);
    ET_INFO("loaded", field<"rows">(12));
  }
  ET_INFO("responded", field<"status">(200));
}

double run_round(int requests, std::uint64_t iterations) {
  const double start = thread_cpu_us();
  for (int i = 0; i < requests; ++i)
    handle(i, iterations);
  return (thread_cpu_us() - start) / requests;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 10;
  constexpr int kRequests = 200;
  // Calibrate 1 ms of work with no subscriber.
  std::uint64_t iterations = 100000;
  for (int i = 0; i < 5; ++i) {
    const double t0 = thread_cpu_us();
    work(iterations);
    const double us = thread_cpu_us() - t0;
    iterations = static_cast<std::uint64_t>(static_cast<double>(iterations) * 1000.0 / us);
  }

  edgetrace::testing::FakeOtlpHttpReceiver receiver;
  receiver.set_discard(true);
  const auto dir = std::filesystem::temp_directory_path() / "edgetrace-handler-overhead";
  std::filesystem::remove_all(dir);
  std::FILE* sink = std::fopen("/dev/null", "w");
  ConsoleLayerOptions console;
  console.stream = sink;
  FileLayerOptions file;
  file.directory = dir.string();
  OtlpLayerOptions otlp;
  otlp.traces.endpoint = receiver.url("/v1/traces");
  otlp.logs.endpoint = receiver.url("/v1/logs");
  otlp.on_error = [](std::string_view) {};
  auto tracing = std::make_shared<Tracing>(Tracing::Options{.sampler = Sampler::always_on()});
  const std::string layers = argc > 2 ? argv[2] : "cfo";  // console, file, OTLP
  if (layers.find('c') != std::string::npos)
    tracing->add_layer(std::make_unique<ConsoleLayer>(console), Filter::parse("info").value());
  auto file_layer = FileLayer::create(file);
  auto otlp_layer = OtlpLayer::create(std::move(otlp));
  if (!file_layer.ok() || !otlp_layer.ok()) {
    std::fprintf(stderr, "sdk_handler_overhead: cannot create the layers\n");
    return 1;
  }
  if (layers.find('f') != std::string::npos)
    tracing->add_layer(std::move(*file_layer), Filter::parse("info").value());
  if (layers.find('o') != std::string::npos)
    tracing->add_layer(std::move(*otlp_layer), Filter::parse("info").value());
  std::vector<double> with;
  std::vector<double> without;
  for (int r = 0; r < rounds; ++r) {
    set_global_subscriber(nullptr);
    without.push_back(run_round(kRequests, iterations));
    set_global_subscriber(tracing);
    with.push_back(run_round(kRequests, iterations));
  }
  std::sort(with.begin(), with.end());
  std::sort(without.begin(), without.end());
  const double w = with[with.size() / 2];
  const double wo = without[without.size() / 2];
  std::printf(
      "handler: %.1f us without a subscriber, %.1f us with console + file + OTLP "
      "(handler thread CPU, medians of %d rounds of %d requests)\n",
      wo, w, rounds, kRequests);
  std::printf("overhead: %.2f %%  (%.1f us per request: 5 spans, 10 events)\n",
              100.0 * (w - wo) / wo, w - wo);
  set_global_subscriber(nullptr);
  tracing->shutdown(Clock::now() + std::chrono::seconds(10));
  std::fclose(sink);
  std::filesystem::remove_all(dir);
  return 0;
}
