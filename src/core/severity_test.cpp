#include "edgetrace/core/severity.hpp"

#include <gtest/gtest.h>

namespace edgetrace::core {
namespace {

TEST(SeverityTest, LevelsMapToOtelSeverityNumbersAndText) {
  const Level levels[] = {Level::kTrace, Level::kDebug, Level::kInfo,
                          Level::kWarn,  Level::kError, Level::kFatal};
  const int numbers[] = {1, 5, 9, 13, 17, 21};
  const char* texts[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(severity_number(levels[i]), numbers[i]);
    EXPECT_EQ(severity_text(levels[i]), texts[i]);
    EXPECT_EQ(level_from_severity_number(numbers[i]), levels[i]);
    EXPECT_EQ(parse_level(texts[i]), levels[i]);
  }
}

TEST(SeverityTest, EverySeverityNumberInRangeMapsToItsLevel) {
  for (int n = 1; n <= 24; ++n) {
    std::optional<Level> l = level_from_severity_number(n);
    ASSERT_TRUE(l.has_value()) << n;
    EXPECT_LE(severity_number(*l), n);
    EXPECT_GT(severity_number(*l) + 4, n);
  }
  EXPECT_EQ(level_from_severity_number(16), Level::kWarn);
  EXPECT_EQ(level_from_severity_number(17), Level::kError);
  EXPECT_FALSE(level_from_severity_number(0).has_value());
  EXPECT_FALSE(level_from_severity_number(25).has_value());
  EXPECT_FALSE(level_from_severity_number(-3).has_value());
}

TEST(SeverityTest, ParseLevelIsCaseInsensitiveAndRejectsUnknown) {
  EXPECT_EQ(parse_level("Warning"), Level::kWarn);
  EXPECT_EQ(parse_level("debug"), Level::kDebug);
  EXPECT_FALSE(parse_level("verbose").has_value());
  EXPECT_FALSE(parse_level("").has_value());
}

}  // namespace
}  // namespace edgetrace::core
