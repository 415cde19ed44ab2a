// The tree format as a TOML value: `format = "tree"` in [tracing.console], and only there.
#include <gtest/gtest.h>

#include "edgetrace/sdk/config.hpp"

namespace edgetrace::sdk {
namespace {

TEST(TreeFormatConfigTest, ConsoleFormatTreeIsRead) {
  core::Result<TracingConfig> r = parse_config("[tracing.console]\nformat = \"tree\"\n", "t.toml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->console.format, LineFormat::kTree);
}

TEST(TreeFormatConfigTest, FileFormatTreeIsRefused) {
  core::Result<TracingConfig> r =
      parse_config("[tracing.file]\nenabled = true\nformat = \"tree\"\n", "t.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("tree"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace edgetrace::sdk
