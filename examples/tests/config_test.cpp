// The config file shipped with the examples loads and says what examples/README.md says.
#include <gtest/gtest.h>

#include "edgetrace/sdk/config.hpp"

namespace edgetrace::examples {
namespace {

TEST(ExampleConfigTest, ShippedFileLoadsWithConsoleAndOtlpEnabled) {
  auto config = sdk::load_config_file(EDGETRACE_EXAMPLES_DIR "/edgetrace.toml");
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->service_name, "example-http-service");
  EXPECT_TRUE(config->console.enabled);
  EXPECT_EQ(config->console.format, sdk::LineFormat::kCompact);
  EXPECT_TRUE(config->otlp.enabled);
  EXPECT_EQ(config->otlp.endpoint, "http://localhost:4318");
  EXPECT_TRUE(sdk::validate_config(*config).ok());
}

}  // namespace
}  // namespace edgetrace::examples
