#include "edgetrace/core/resource.hpp"
#include "edgetrace/version.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace edgetrace::core {
namespace {

std::string str(const Resource& r, std::string_view key) {
  const AttributeValue* v = r.attributes().get(key);
  return v == nullptr ? "<absent>" : v->to_display_string();
}

TEST(ResourceTest, DefaultsNameTheSdkAndUnknownService) {
  ResourceEnvironment env;
  env.executable_name = "worker";
  Resource r = build_resource({}, env);
  EXPECT_EQ(r.service_name(), "unknown_service:worker");
  EXPECT_EQ(str(r, "telemetry.sdk.name"), "edgetrace");
  EXPECT_EQ(str(r, "telemetry.sdk.language"), "cpp");
  EXPECT_EQ(str(r, "telemetry.sdk.version"), std::string(sdk_version()));
  EXPECT_FALSE(sdk_version().empty());
  // The one version (project() in CMakeLists.txt), as edgetrace/version.hpp gives it.
  EXPECT_EQ(sdk_version(), std::to_string(EDGETRACE_VERSION_MAJOR) + "." +
                               std::to_string(EDGETRACE_VERSION_MINOR) + "." +
                               std::to_string(EDGETRACE_VERSION_PATCH));
}

TEST(ResourceTest, ParsesResourceAttributesWithPercentDecoding) {
  ParsedResourceAttributes p = parse_resource_attributes(
      "service.version=1.2.3, deployment.environment = prod ,team=a%2Cb%3Dc,empty=");
  EXPECT_TRUE(p.errors.empty());
  EXPECT_EQ(*p.attributes.get("service.version")->get_if<std::string>(), "1.2.3");
  EXPECT_EQ(*p.attributes.get("deployment.environment")->get_if<std::string>(), "prod");
  EXPECT_EQ(*p.attributes.get("team")->get_if<std::string>(), "a,b=c");
  EXPECT_EQ(*p.attributes.get("empty")->get_if<std::string>(), "");
}

TEST(ResourceTest, MalformedEntriesAreReportedAndSkipped) {
  ParsedResourceAttributes p =
      parse_resource_attributes("good=1,noequals,=nokey,bad=%zz,also.good=2,,");
  EXPECT_EQ(p.attributes.size(), 2u);
  EXPECT_TRUE(p.attributes.contains("good"));
  EXPECT_TRUE(p.attributes.contains("also.good"));
  ASSERT_EQ(p.errors.size(), 3u);
  EXPECT_NE(p.errors[0].find("'noequals'"), std::string::npos) << p.errors[0];
  EXPECT_NE(p.errors[0].find("missing '='"), std::string::npos);
  EXPECT_NE(p.errors[1].find("empty key"), std::string::npos);
  EXPECT_NE(p.errors[2].find("percent-escape"), std::string::npos) << p.errors[2];
}

TEST(ResourceTest, ServiceNameEnvWinsOverResourceAttributes) {
  ResourceEnvironment env;
  env.executable_name = "worker";
  env.resource_attributes = "service.name=from-attrs,service.version=9";
  env.service_name = "from-env";
  std::vector<std::string> problems;
  Resource r = build_resource({}, env, &problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(r.service_name(), "from-env");
  EXPECT_EQ(str(r, "service.version"), "9");
}

TEST(ResourceTest, ResourceAttributesServiceNameUsedWithoutServiceNameEnv) {
  ResourceEnvironment env;
  env.resource_attributes = "service.name=from-attrs";
  EXPECT_EQ(build_resource({}, env).service_name(), "from-attrs");
}

TEST(ResourceTest, CodeHasPriorityOverEnvironment) {
  ResourceEnvironment env;
  env.resource_attributes = "service.version=env,host.name=h1";
  env.service_name = "env-name";
  Resource r = build_resource({{"service.name", "code-name"}, {"service.version", "code"}}, env);
  EXPECT_EQ(r.service_name(), "code-name");
  EXPECT_EQ(str(r, "service.version"), "code");
  EXPECT_EQ(str(r, "host.name"), "h1");
}

TEST(ResourceTest, ProblemsAreReported) {
  ResourceEnvironment env;
  env.resource_attributes = "oops";
  std::vector<std::string> problems;
  Resource r = build_resource({}, env, &problems);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("OTEL_RESOURCE_ATTRIBUTES"), std::string::npos);
}

TEST(ResourceTest, ExecutableNameIsThisProgram) {
  EXPECT_EQ(current_executable_name(), "core_test");
}

TEST(ResourceTest, MergeSchemaUrl) {
  Resource a(Attributes{{"x", 1}}, "https://opentelemetry.io/schemas/1.24.0");
  Resource b(Attributes{{"x", 2}});
  Resource m = a.merge(b);
  EXPECT_EQ(m.schema_url(), "https://opentelemetry.io/schemas/1.24.0");
  EXPECT_EQ(str(m, "x"), "2");
}

}  // namespace
}  // namespace edgetrace::core
