#include "edgetrace/processors/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace edgetrace::processors {
namespace {

using ::testing::HasSubstr;

core::Status read(std::string_view toml, ProcessorsOptions& out) {
  core::Result<config::Document> doc = config::Document::parse(toml, "edgetraced.toml");
  EXPECT_TRUE(doc.ok()) << doc.status().to_string();
  core::Result<std::optional<config::Table>> t = doc->table("pipelines.otlp.processors");
  EXPECT_TRUE(t.ok() && t->has_value());
  return read_processors_options(**t, out);
}

TEST(ProcessorsConfigTest, ReadsEveryKey) {
  ProcessorsOptions o;
  core::Status s = read(R"(
[pipelines.otlp.processors]
min_severity = "info"   # the caller's key, not read here

[pipelines.otlp.processors.redaction]
enabled = true
default_patterns = ["email", "card"]
patterns = ["order-[0-9]{1,8}", "(?i)secret"]
replacement = "<redacted>"
allowed_attributes = ["http.route", "http.method"]
trim_stack_paths = true
stack_path_roots = ["/srv/app"]

[pipelines.otlp.processors.sampling]
trace_ratio = 0.25
debug_log_ratio = 0.1
info_log_ratio = 0.5
warn_log_ratio = 1

[pipelines.otlp.processors.rate_cap]
per_second = 100
burst = 500
max_scopes = 50
)",
                        o);
  ASSERT_TRUE(s.ok()) << s.to_string();
  EXPECT_TRUE(o.redaction.enabled);
  EXPECT_TRUE(o.redaction.default_patterns);
  EXPECT_EQ(o.redaction.only_default_patterns, (std::vector<std::string>{"email", "card"}));
  EXPECT_EQ(o.redaction.patterns,
            (std::vector<std::string>{"order-[0-9]{1,8}", "(?i)secret"}));  // commas kept
  EXPECT_EQ(o.redaction.replacement, "<redacted>");
  EXPECT_EQ(o.redaction.allowed_attributes,
            (std::vector<std::string>{"http.route", "http.method"}));
  EXPECT_TRUE(o.redaction.trim_stack_paths);
  EXPECT_EQ(o.redaction.stack_path_roots, std::vector<std::string>{"/srv/app"});
  EXPECT_DOUBLE_EQ(o.sampling.trace_ratio, 0.25);
  EXPECT_DOUBLE_EQ(o.sampling.debug_log_ratio, 0.1);
  EXPECT_DOUBLE_EQ(o.sampling.info_log_ratio, 0.5);
  EXPECT_DOUBLE_EQ(o.sampling.warn_log_ratio, 1.0);
  EXPECT_DOUBLE_EQ(o.scope_rate.per_second, 100);
  EXPECT_DOUBLE_EQ(o.scope_rate.burst, 500);
  EXPECT_EQ(o.scope_rate.max_scopes, 50u);
  EXPECT_TRUE(Processors::create(o).ok());
}

TEST(ProcessorsConfigTest, AbsentTablesKeepDefaults) {
  ProcessorsOptions o;
  ASSERT_TRUE(read("[pipelines.otlp.processors]\n", o).ok());
  EXPECT_FALSE(o.redaction.enabled);
  EXPECT_TRUE(o.redaction.default_patterns);
  EXPECT_EQ(o.redaction.replacement, "[REDACTED]");
  EXPECT_DOUBLE_EQ(o.sampling.trace_ratio, 1.0);
  EXPECT_DOUBLE_EQ(o.scope_rate.per_second, 0);
  EXPECT_EQ(o.scope_rate.max_scopes, 10000u);

  ASSERT_TRUE(read("[pipelines.otlp.processors.redaction]\ndefault_patterns = false\n", o).ok());
  EXPECT_FALSE(o.redaction.default_patterns);
}

TEST(ProcessorsConfigTest, ErrorsCarryFileLineAndColumn) {
  ProcessorsOptions o;
  core::Status s = read(R"([pipelines.otlp.processors.sampling]
trace_ratio = 1.5
)",
                        o);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("edgetraced.toml:2:15"));
  EXPECT_THAT(s.message(), HasSubstr("trace_ratio"));
  EXPECT_DOUBLE_EQ(o.sampling.trace_ratio, 1.0);  // unchanged on error

  s = read("[pipelines.otlp.processors.rate_cap]\nper_sec = 5\n", o);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("edgetraced.toml:2:1"));
  EXPECT_THAT(s.message(), HasSubstr("unknown key 'per_sec'"));

  s = read("[pipelines.otlp.processors]\nredaction = true\n", o);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("edgetraced.toml:2:13"));
  EXPECT_THAT(s.message(), HasSubstr("expected a table"));
}

TEST(ProcessorsConfigTest, BadPatternIsReportedAtItsPosition) {
  ProcessorsOptions o;
  core::Status s = read(R"([pipelines.otlp.processors.redaction]
enabled = true
patterns = ["fine", "bad[("]
)",
                        o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("edgetraced.toml:3:12"));
  EXPECT_THAT(s.message(), HasSubstr("pattern 'bad[('"));

  s = read("[pipelines.otlp.processors.redaction]\ndefault_patterns = [\"email\", \"phone\"]\n", o);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("edgetraced.toml:2:"));
  EXPECT_THAT(s.message(), HasSubstr("unknown pattern 'phone'"));
}

}  // namespace
}  // namespace edgetrace::processors
