// Fuzzes the config loader and the SDK's [tracing] reader: arbitrary text as a TOML file, as a
// --set value, as a duration, byte size and endpoint, and as the values of every OTEL_*
// variable. Checks memory safety, that every error is a message (never a crash or an
// exception), and that whatever the loader accepts passes validate_config(), before and
// after the environment is applied.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "edgetrace/config/loader.hpp"
#include "edgetrace/config/values.hpp"
#include "edgetrace/sdk/config.hpp"

using namespace edgetrace;

namespace {

void check(bool condition) {
  if (!condition)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  core::Result<sdk::TracingConfig> config = sdk::parse_config(text, "fuzz.toml");
  if (config.ok()) {
    check(sdk::validate_config(*config).ok());
  } else {
    check(config.status().message().starts_with("fuzz.toml:"));
  }

  if (core::Result<std::chrono::milliseconds> d = sdk::parse_duration(text); d.ok())
    check(d->count() >= 0);
  (void)config::parse_byte_size(text);
  if (core::Result<config::Endpoint> e = config::parse_endpoint(text); e.ok())
    check(!e->host.empty());

  // The text as a --set value over a document that has a [tracing] table.
  core::Result<config::Document> doc = config::Document::parse("[tracing.otlp]\n", "fuzz.toml");
  check(doc.ok());
  if (doc->set("tracing.otlp.endpoint", text).ok()) {
    core::Result<sdk::TracingConfig> set = sdk::read_tracing_config(*doc);
    if (set.ok())
      check(sdk::validate_config(*set).ok());
  }

  // The same text as a document read at another table path, and what the builder derives
  // from a config: the file location and the port warnings.
  core::Result<sdk::TracingConfig> nested = sdk::parse_config(text, "fuzz.toml", "app.tracing");
  if (nested.ok()) {
    check(sdk::validate_config(*nested).ok());
    (void)sdk::resolve_file_location(nested->file, "svc",
                                     core::map_environment({{"HOME", "/home/u"}}));
    (void)sdk::check_otlp_ports(nested->otlp, config::OtelEnvironment{});
  }

  // The same text as every variable's value.
  sdk::TracingConfig c = config.ok() ? *config : sdk::TracingConfig{};
  const std::string value(text);
  std::vector<std::string> warnings = sdk::apply_environment(
      c, [&value](std::string_view) -> std::optional<std::string> { return value; });
  (void)warnings;
  check(sdk::validate_config(c).ok());
  return 0;
}
