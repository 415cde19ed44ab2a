#include "edgetrace/core/result.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace edgetrace::core {
namespace {

Result<int> half(int x) {
  if (x % 2 != 0)
    return invalid_argument(std::to_string(x) + " is odd");
  return x / 2;
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> ok = half(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  EXPECT_TRUE(ok.status().ok());

  Result<int> err = half(3);
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(err.status().message(), "3 is odd");
  EXPECT_EQ(err.status().to_string(), "invalid_argument: 3 is odd");
  EXPECT_EQ(err.value_or(-1), -1);
}

TEST(ResultTest, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(ResultTest, OkStatusIsNotAValidError) {
  Result<int> r = Status();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(StatusTest, ContextPrefixesMessage) {
  Status s = not_found("no such build-id").with_context("symbol store");
  EXPECT_EQ(s.message(), "symbol store: no such build-id");
  EXPECT_TRUE(Status().with_context("x").ok());
  EXPECT_EQ(to_string(StatusCode::kUnavailable), "unavailable");
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> err = half(1);
  EXPECT_DEATH((void)err.value(), "1 is odd");
}

}  // namespace
}  // namespace edgetrace::core
