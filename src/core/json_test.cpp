#include "edgetrace/core/json.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "edgetrace/core/utf8.hpp"

namespace edgetrace::core {
namespace {

std::string quoted(std::string_view text, JsonEscape mode) {
  std::string out;
  append_json_string(out, text, mode);
  return out;
}

TEST(JsonEscapeTest, QuotesBackslashAndCommonControlsUseShortFormsInEveryMode) {
  for (JsonEscape mode : {JsonEscape::kShortForms, JsonEscape::kControlsAsUnicode,
                          JsonEscape::kControlsAndDelAsUnicode}) {
    EXPECT_EQ(quoted("a\"b\\c\nd\re\tf/g", mode), R"("a\"b\\c\nd\re\tf/g")");
    EXPECT_EQ(quoted("\x01\x1f", mode), R"("\u0001\u001f")");
    EXPECT_EQ(quoted("caf\xC3\xA9", mode), "\"caf\xC3\xA9\"");
  }
}

TEST(JsonEscapeTest, ModesDifferOnlyInBackspaceFormFeedAndDelete) {
  EXPECT_EQ(quoted("\b\f\x7f", JsonEscape::kShortForms), "\"\\b\\f\x7f\"");
  EXPECT_EQ(quoted("\b\f\x7f", JsonEscape::kControlsAsUnicode), "\"\\u0008\\u000c\x7f\"");
  EXPECT_EQ(quoted("\b\f\x7f", JsonEscape::kControlsAndDelAsUnicode), R"("\u0008\u000c\u007f")");
}

TEST(JsonEscapeTest, EachInvalidUtf8ByteBecomesOneReplacementCharacter) {
  EXPECT_EQ(quoted("ok \xc3\xa9 bad \xff\xc3 ctl", JsonEscape::kShortForms),
            "\"ok \xc3\xa9 bad \xef\xbf\xbd\xef\xbf\xbd ctl\"");
  EXPECT_EQ(quoted("\xed\xa0\x80", JsonEscape::kControlsAndDelAsUnicode),
            "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
}

TEST(JsonEscapeTest, FindsASpecialByteAtAnyPositionOfALongString) {
  for (char special : {'"', '\\', '\n', '\x01', '\x1f', '\x7f', '\x80'}) {
    for (std::size_t at = 0; at < 24; ++at) {
      std::string text(24, 'a');
      text[at] = special;
      const std::string out = quoted(text, JsonEscape::kControlsAndDelAsUnicode);
      std::string expected = "\"" + text.substr(0, at);
      if (special == '"' || special == '\\') {
        expected += '\\';
        expected += special;
      } else if (special == '\n') {
        expected += "\\n";
      } else if (special == '\x80') {
        expected += kUtf8Replacement;
      } else {
        const char* forms[] = {"\\u0001", "\\u001f", "\\u007f"};
        expected += forms[special == '\x01' ? 0 : special == '\x1f' ? 1 : 2];
      }
      expected += text.substr(at + 1) + "\"";
      ASSERT_EQ(out, expected) << int(special) << " at " << at;
    }
  }
}

TEST(JsonEscapeTest, OutputIsValidUtf8WithoutRawControlsForRandomBytes) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string text(rng() % 40, '\0');
    for (char& c : text)
      c = static_cast<char>(rng() % 256);
    const std::string out = quoted(text, JsonEscape::kControlsAndDelAsUnicode);
    EXPECT_TRUE(is_valid_utf8(out));
    for (char c : out)
      ASSERT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == '\x7f') << out;
  }
}

TEST(JsonEscapeTest, EscapedAppendsWithoutQuotes) {
  std::string out = "x=";
  append_json_escaped(out, "a\"b", JsonEscape::kShortForms);
  EXPECT_EQ(out, R"(x=a\"b)");
}

}  // namespace
}  // namespace edgetrace::core
