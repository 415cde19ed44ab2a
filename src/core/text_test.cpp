// The ASCII text helpers of core/text.hpp, the bearer-token parser and the comparison used for
// secrets.
#include "edgetrace/core/text.hpp"

#include <gtest/gtest.h>

namespace edgetrace::core {
namespace {

TEST(TextTest, TrimAndCase) {
  EXPECT_EQ(trim_ows(" \ta b\t "), "a b");
  EXPECT_EQ(to_lower_ascii("Content-Type"), "content-type");
  EXPECT_TRUE(iequals_ascii("GZIP", "gzip"));
  EXPECT_FALSE(iequals_ascii("gzip", "gzipx"));
}

TEST(TextTest, HexDigitValueInEitherCase) {
  EXPECT_EQ(hex_digit_value('0'), 0);
  EXPECT_EQ(hex_digit_value('9'), 9);
  EXPECT_EQ(hex_digit_value('a'), 10);
  EXPECT_EQ(hex_digit_value('F'), 15);
  EXPECT_EQ(hex_digit_value('g'), -1);
  EXPECT_EQ(hex_digit_value('/'), -1);
  EXPECT_EQ(hex_digit_value('\0'), -1);
}

TEST(TextTest, BearerTokenTakesTheSchemeInAnyCaseAndTrims) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer  abc \t"), "abc");
  EXPECT_EQ(bearer_token("  BEARER x.y.z"), "x.y.z");
  EXPECT_EQ(bearer_token("Basic abc"), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer"), std::nullopt);
  EXPECT_EQ(bearer_token("Bearer    "), std::nullopt);
  EXPECT_EQ(bearer_token("Bearerabc"), std::nullopt);
  EXPECT_EQ(bearer_token(""), std::nullopt);
}

TEST(TextTest, ConstantTimeEqualComparesWholeStrings) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret1"));  // a prefix is not equal
  EXPECT_FALSE(constant_time_equal("secret1", "secret"));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(TextTest, ParseWholeNumberTakesOnlyAWholeNonNegativeNumberInRange) {
  EXPECT_EQ(parse_whole_number<std::size_t>("128"), 128u);
  EXPECT_EQ(parse_whole_number<std::size_t>("0"), 0u);
  EXPECT_EQ(parse_whole_number<long long>("1500"), 1500);
  EXPECT_EQ(parse_whole_number<long long>("-1"), std::nullopt);  // negative
  EXPECT_EQ(parse_whole_number<std::size_t>("-1"), std::nullopt);
  EXPECT_EQ(parse_whole_number<std::size_t>("+1"), std::nullopt);
  EXPECT_EQ(parse_whole_number<std::size_t>(""), std::nullopt);
  EXPECT_EQ(parse_whole_number<std::size_t>(" 1"), std::nullopt);
  EXPECT_EQ(parse_whole_number<std::size_t>("12abc"), std::nullopt);
  EXPECT_EQ(parse_whole_number<std::size_t>("1e3"), std::nullopt);
  EXPECT_EQ(parse_whole_number<std::uint8_t>("256"), std::nullopt);  // out of range
  EXPECT_EQ(parse_whole_number<long long>("9223372036854775808"), std::nullopt);
}

}  // namespace
}  // namespace edgetrace::core
