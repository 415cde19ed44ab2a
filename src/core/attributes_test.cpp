#include "edgetrace/core/attributes.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace edgetrace::core {
namespace {

TEST(AttributesTest, HoldsEveryValueKind) {
  Attributes a;
  a.set("s", "text");
  a.set("sv", std::string_view("view"));
  a.set("b", true);
  a.set("i8", static_cast<std::int8_t>(-5));
  a.set("u32", 4000000000u);
  a.set("i64", std::numeric_limits<std::int64_t>::min());
  a.set("f", 1.5f);
  a.set("d", 2.25);
  a.set("bytes", Bytes{0xde, 0xad});
  a.set("sa", std::vector<std::string>{"x", "y"});
  a.set("ba", std::vector<bool>{true, false});
  a.set("ia", std::vector<std::int64_t>{1, 2});
  a.set("da", std::vector<double>{0.5});
  a.set("bya", std::vector<Bytes>{{1}, {2, 3}});

  EXPECT_EQ(a.get("s")->type(), AttributeType::kString);
  EXPECT_EQ(*a.get("sv")->get_if<std::string>(), "view");
  EXPECT_EQ(a.get("b")->type(), AttributeType::kBool);
  EXPECT_EQ(*a.get("i8")->get_if<std::int64_t>(), -5);
  EXPECT_EQ(*a.get("u32")->get_if<std::int64_t>(), 4000000000);
  EXPECT_EQ(*a.get("i64")->get_if<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(*a.get("f")->get_if<double>(), 1.5);
  EXPECT_EQ(a.get("bytes")->to_display_string(), "dead");
  EXPECT_EQ(a.get("sa")->to_display_string(), "[x, y]");
  EXPECT_EQ(a.get("ba")->to_display_string(), "[true, false]");
  EXPECT_EQ(a.get("ia")->type(), AttributeType::kIntArray);
  EXPECT_EQ(a.get("da")->type(), AttributeType::kDoubleArray);
  EXPECT_EQ(a.get("bya")->to_display_string(), "[01, 0203]");
  EXPECT_EQ(a.size(), 14u);
}

TEST(AttributesTest, StringLiteralIsAStringNotABool) {
  AttributeValue v("hello");
  EXPECT_EQ(v.type(), AttributeType::kString);
}

TEST(AttributesTest, HugeUnsignedIsKeptAsDecimalString) {
  AttributeValue v(std::numeric_limits<std::uint64_t>::max());
  ASSERT_EQ(v.type(), AttributeType::kString);
  EXPECT_EQ(*v.get_if<std::string>(), "18446744073709551615");
  AttributeValue small(std::uint64_t{42});
  EXPECT_EQ(*small.get_if<std::int64_t>(), 42);
}

TEST(AttributesTest, SetReplacesInPlace) {
  Attributes a;
  a.set("a", 1);
  a.set("b", 2);
  a.set("a", "one");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a.begin()->key, "a");
  EXPECT_EQ(*a.get("a")->get_if<std::string>(), "one");
}

TEST(AttributesTest, CountLimitDropsNewKeysButAllowsUpdates) {
  Attributes a(AttributeLimits{.max_count = 2});
  EXPECT_TRUE(a.set("a", 1));
  EXPECT_TRUE(a.set("b", 2));
  EXPECT_FALSE(a.set("c", 3));
  EXPECT_TRUE(a.set("a", 10));
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(a.dropped(), 1u);
  EXPECT_FALSE(a.contains("c"));
}

TEST(AttributesTest, EmptyKeyIsDropped) {
  Attributes a;
  EXPECT_FALSE(a.set("", 1));
  EXPECT_EQ(a.dropped(), 1u);
  EXPECT_TRUE(a.empty());
}

TEST(AttributesTest, ValueLengthLimitTruncatesStringsAtCharacterBoundaries) {
  Attributes a(AttributeLimits{.max_count = 10, .max_value_length = 3});
  a.set("ascii", "abcdef");
  a.set("utf8", "h\xc3\xa9llo");  // h é l l o
  a.set("arr", std::vector<std::string>{"abcd", "x"});
  a.set("bytes", Bytes{1, 2, 3, 4});
  a.set("num", 123456);
  EXPECT_EQ(*a.get("ascii")->get_if<std::string>(), "abc");
  EXPECT_EQ(*a.get("utf8")->get_if<std::string>(), "h\xc3\xa9l");
  EXPECT_EQ(a.get("arr")->to_display_string(), "[abc, x]");
  EXPECT_EQ(a.get("bytes")->get_if<Bytes>()->size(), 3u);
  EXPECT_EQ(*a.get("num")->get_if<std::int64_t>(), 123456);
}

TEST(AttributesTest, TruncateUtf8NeverSplitsACodePoint) {
  std::string s = "\xe2\x82\xac\xe2\x82\xac";  // two euro signs, 3 bytes each
  truncate_utf8(s, 1);
  EXPECT_EQ(s, "\xe2\x82\xac");
  std::string t = "ab";
  truncate_utf8(t, 5);
  EXPECT_EQ(t, "ab");
}

TEST(AttributesTest, MergeLetsOtherWin) {
  Attributes a{{"k", 1}, {"only_a", true}};
  Attributes b{{"k", 2}, {"only_b", "x"}};
  a.merge_from(b);
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(*a.get("k")->get_if<std::int64_t>(), 2);
}

}  // namespace
}  // namespace edgetrace::core
