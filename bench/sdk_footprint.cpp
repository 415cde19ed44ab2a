// Resident memory of a program using the SDK (docs/benchmarks.md, "SDK"): built twice, as a
// console-only program linking edgetrace::sdk alone and as one with the OTLP layer
// (edgetrace::sdk_otlp). Logs 10,000 events and 1,000 spans, then prints VmRSS and VmHWM
// and whether gRPC or protobuf are mapped into the process.
//   sdk_footprint_console   sdk_footprint_otlp [endpoint]
#define ET_TARGET "footprint"
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "edgetrace/edgetrace.hpp"
#if defined(EDGETRACE_FOOTPRINT_OTLP)
#include "edgetrace/sdk/otlp_layer.hpp"
#endif

namespace {

std::string status_line(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0)
      return line;
  return std::string(key) + " ?";
}

bool mapped(const char* library) {
  std::ifstream in("/proc/self/maps");
  std::string line;
  while (std::getline(in, line))
    if (line.find(library) != std::string::npos)
      return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  using edgetrace::field;
  using namespace edgetrace::sdk;
  std::FILE* sink = std::fopen("/dev/null", "w");
  ConsoleLayerOptions console;
  console.stream = sink;
  TracingBuilder builder("footprint");
  builder.with_console(console);
#if defined(EDGETRACE_FOOTPRINT_OTLP)
  OtlpLayerOptions otlp;
  const std::string endpoint = argc > 1 ? argv[1] : "http://127.0.0.1:9";
  otlp.traces.endpoint = endpoint + "/v1/traces";
  otlp.logs.endpoint = endpoint + "/v1/logs";
  otlp.on_error = [](std::string_view) {};
  builder.with_otlp(std::move(otlp));
#else
  (void)argc;
  (void)argv;
#endif
  auto guard = builder.build();
  if (!guard.ok()) {
    std::fprintf(stderr, "sdk_footprint: %s\n", guard.status().to_string().c_str());
    return 1;
  }
  for (int i = 0; i < 1000; ++i) {
    auto span = ET_SPAN("request", field<"i">(i));
    for (int j = 0; j < 10; ++j)
      ET_INFO("step", field<"j">(j), field<"path">("/users/{id}"));
  }
  std::printf("%s\n%s\n", status_line("VmRSS").c_str(), status_line("VmHWM").c_str());
  std::printf("grpc mapped: %s, protobuf mapped: %s\n", mapped("libgrpc") ? "yes" : "no",
              mapped("libprotobuf") ? "yes" : "no");
  std::fclose(sink);
  return 0;
}
