// A program that logs to the console and links only edgetrace::sdk: the link test checks
// that no protobuf, gRPC or libcurl code is in it, and what it prints.
#include <cstdio>

#include "edgetrace/edgetrace.hpp"

using edgetrace::field;

int main() {
  namespace sdk = edgetrace::sdk;
  const edgetrace::core::EnvLookup no_env = edgetrace::core::map_environment({});

  // The config asks for OTLP, which this program does not link: a clear error.
  edgetrace::core::Result<sdk::TracingConfig> with_otlp =
      sdk::parse_config("[tracing.otlp]\nenabled = true\n", "otlp.toml");
  if (!with_otlp)
    return 2;
  auto refused =
      sdk::TracingBuilder("console-only").with_env(no_env).with_config(*with_otlp).build();
  if (refused)
    return 3;
  std::printf("refused: %s\n", refused.status().message().c_str());

  // Console lines from a config.
  edgetrace::core::Result<sdk::TracingConfig> config = sdk::parse_config(
      "[tracing.console]\nformat = \"compact\"\nansi = \"never\"\nlevel = \"info\"\n"
      "show_trace_ids = false\n",
      "console.toml");
  if (!config)
    return 4;
  auto guard = sdk::TracingBuilder("console-only").with_env(no_env).with_config(*config).build();
  if (!guard) {
    std::printf("error: %s\n", guard.status().message().c_str());
    return 5;
  }
  ET_INFO("console only", field<"answer">(42));
  ET_DEBUG("filtered out");
  return guard->force_flush() ? 0 : 6;
}
