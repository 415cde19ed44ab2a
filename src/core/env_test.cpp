#include "edgetrace/core/env.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace edgetrace::core {
namespace {

TEST(EnvTest, MapEnvironmentAnswersOnlyItsVariables) {
  EnvLookup env = map_environment({{"A", "1"}, {"EMPTY", ""}});
  EXPECT_EQ(env("A"), "1");
  EXPECT_EQ(env("EMPTY"), "");
  EXPECT_EQ(env("B"), std::nullopt);
}

TEST(EnvTest, EnvValueTrimsAndTreatsBlankAsUnset) {
  EnvLookup env = map_environment({{"A", " \tx y\t "}, {"BLANK", "  "}});
  EXPECT_EQ(env_value(env, "A"), "x y");
  EXPECT_EQ(env_value(env, "BLANK"), std::nullopt);
  EXPECT_EQ(env_value(env, "UNSET"), std::nullopt);
}

TEST(EnvTest, ProcessEnvironmentReadsTheRealOne) {
  ASSERT_EQ(::setenv("EDGETRACE_ENV_TEST_VARIABLE", "value", 1), 0);
  EXPECT_EQ(process_environment()("EDGETRACE_ENV_TEST_VARIABLE"), "value");
  ASSERT_EQ(::unsetenv("EDGETRACE_ENV_TEST_VARIABLE"), 0);
  EXPECT_EQ(process_environment()("EDGETRACE_ENV_TEST_VARIABLE"), std::nullopt);
}

}  // namespace
}  // namespace edgetrace::core
