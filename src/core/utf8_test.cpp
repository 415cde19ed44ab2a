#include "edgetrace/core/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace edgetrace::core {
namespace {

TEST(Utf8Test, AcceptsEveryEncodingLengthAndTheBoundaries) {
  for (std::string_view s :
       {"", "ascii", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80",
        "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "caf\xC3\xA9 \xF0\x9F\x98\x80"}) {
    EXPECT_TRUE(is_valid_utf8(s)) << s;
  }
}

TEST(Utf8Test, RejectsOverlongSurrogatesTooLargeAndTruncatedSequences) {
  struct Case {
    std::string_view text;
    std::size_t bad;
  };
  const Case cases[] = {
      {"a\xC0\x80", 1},         // overlong NUL
      {"\xC1\xBF", 0},          // overlong
      {"\xE0\x9F\xBF", 0},      // overlong 3-byte
      {"\xF0\x8F\xBF\xBF", 0},  // overlong 4-byte
      {"ab\xED\xA0\x80", 2},    // UTF-16 surrogate
      {"\xF4\x90\x80\x80", 0},  // above U+10FFFF
      {"\xF5\x80\x80\x80", 0},  // no such lead byte
      {"xy\x80", 2},            // lone continuation byte
      {"\xE2\x82", 0},          // truncated at the end
      {"\xE2\x82z", 0},         // truncated by ASCII
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(is_valid_utf8(c.text));
    EXPECT_EQ(find_invalid_utf8(c.text), c.bad) << c.text;
  }
}

TEST(Utf8Test, DecodeGivesCodePointsAndReplacesEachBadByteOnce) {
  const std::string_view s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xFF\xE2\x82";
  std::u32string decoded;
  std::size_t invalid = 0;
  for (std::size_t i = 0; i < s.size();) {
    const Utf8CodePoint cp = decode_utf8(s, i);
    ASSERT_GT(cp.length, 0u);
    decoded.push_back(cp.code_point);
    invalid += cp.valid ? 0 : 1;
    i += cp.length;
  }
  EXPECT_EQ(decoded, U"a\u00E9\u20AC\U0001F600\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(invalid, 3u);
  EXPECT_EQ(decode_utf8(s, s.size()).length, 0u);
}

TEST(Utf8Test, AppendEncodesAndRoundTripsThroughDecode) {
  for (char32_t cp : {U'\0', U'A', U'\x7F', U'\x80', U'\u07FF', U'\u0800', U'\uD7FF', U'\uE000',
                      U'\uFFFF', U'\U00010000', U'\U0010FFFF'}) {
    std::string out;
    append_utf8(out, cp);
    const Utf8CodePoint back = decode_utf8(out, 0);
    EXPECT_TRUE(back.valid);
    EXPECT_EQ(back.code_point, cp);
    EXPECT_EQ(back.length, out.size());
  }
  std::string bad;
  append_utf8(bad, 0xD800);
  append_utf8(bad, 0x110000);
  EXPECT_EQ(bad, "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Utf8Test, AppendValidReplacesOnlyTheBadBytes) {
  std::string out = ">";
  append_valid_utf8(out, "ok \xC3\xA9 \xFF\xC3 \xED\xA0\x80!");
  EXPECT_EQ(out,
            ">ok \xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD "
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!");
  EXPECT_TRUE(is_valid_utf8(out));
}

}  // namespace
}  // namespace edgetrace::core
