// service.version from the application's build: this file is compiled as an application
// would be, with EDGETRACE_SERVICE_VERSION defined (builder.cmake), and the value reaches
// the resource though the edgetrace library itself was compiled without it.
#define EDGETRACE_SERVICE_VERSION "9.8.7"
#include <gtest/gtest.h>

#include "edgetrace/sdk/tracing_builder.hpp"

namespace edgetrace::sdk {
namespace {

TEST(SeedConfigTest, ServiceVersionDefaultsToTheApplicationsVersion) {
  TracingConfig c;
  c.console.enabled = false;
  auto env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto guard = TracingBuilder("svc").with_env(env).with_config(c).build();
  ASSERT_TRUE(guard.ok());
  const core::AttributeValue* v = guard->resource().attributes().get("service.version");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(*v->get_if<std::string>(), "9.8.7");
  guard->shutdown();
  // The file (and anything above it) still wins.
  c.service_version = "1.0.0";
  guard = TracingBuilder("svc").with_env(env).with_config(c).build();
  ASSERT_TRUE(guard.ok());
  EXPECT_EQ(*guard->resource().attributes().get("service.version")->get_if<std::string>(), "1.0.0");
  guard->shutdown();
  guard = TracingBuilder("svc").with_env(env).with_config(c).with_version("3").build();
  ASSERT_TRUE(guard.ok());
  EXPECT_EQ(*guard->resource().attributes().get("service.version")->get_if<std::string>(), "3");
}

}  // namespace
}  // namespace edgetrace::sdk
