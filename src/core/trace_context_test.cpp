#include "edgetrace/core/trace_context.hpp"

#include <gtest/gtest.h>

#include <string>

namespace edgetrace::core {
namespace {

constexpr std::string_view kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceParentTest, ParsesRecommendationExampleSampled) {
  Result<TraceParent> tp = parse_traceparent(kValid);
  ASSERT_TRUE(tp.ok()) << tp.status().to_string();
  EXPECT_EQ(tp->version, 0);
  EXPECT_EQ(tp->trace_id.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(tp->parent_id.to_hex(), "00f067aa0ba902b7");
  EXPECT_TRUE(tp->flags.sampled());
  EXPECT_FALSE(tp->flags.random());
}

TEST(TraceParentTest, ParsesRecommendationExampleNotSampled) {
  Result<TraceParent> tp =
      parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(tp.ok());
  EXPECT_FALSE(tp->flags.sampled());
}

TEST(TraceParentTest, FormatRoundTrips) {
  Result<TraceParent> tp = parse_traceparent(kValid);
  ASSERT_TRUE(tp.ok());
  EXPECT_EQ(format_traceparent(*tp), kValid);
  char buf[kTraceParentSize];
  format_traceparent(*tp, buf);
  EXPECT_EQ(std::string_view(buf, kTraceParentSize), kValid);
}

TEST(TraceParentTest, PreservesSampledAndRandomFlags) {
  Result<TraceParent> tp =
      parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
  ASSERT_TRUE(tp.ok());
  EXPECT_TRUE(tp->flags.sampled());
  EXPECT_TRUE(tp->flags.random());
  EXPECT_EQ(format_traceparent(*tp), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");

  Result<TraceParent> random_only =
      parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02");
  ASSERT_TRUE(random_only.ok());
  EXPECT_FALSE(random_only->flags.sampled());
  EXPECT_TRUE(random_only->flags.random());
}

TEST(TraceParentTest, ReservedFlagBitsAreReadButWrittenAsZero) {
  // "09" = sampled + an undefined bit: the sampled bit must be read through the mask.
  Result<TraceParent> tp =
      parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09");
  ASSERT_TRUE(tp.ok());
  EXPECT_TRUE(tp->flags.sampled());
  EXPECT_EQ(format_traceparent(*tp), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST(TraceParentTest, RejectsVersionFf) {
  Result<TraceParent> tp =
      parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_FALSE(tp.ok());
  EXPECT_NE(tp.status().message().find("version ff"), std::string::npos);
}

TEST(TraceParentTest, RejectsExtraCharactersForVersion00) {
  EXPECT_FALSE(parse_traceparent(std::string(kValid) + "-").ok());
  EXPECT_FALSE(parse_traceparent(std::string(kValid) + "-00").ok());
  EXPECT_FALSE(parse_traceparent(std::string(kValid) + "0").ok());
}

TEST(TraceParentTest, HigherVersionParsesKnownFieldsAndIgnoresTheRest) {
  Result<TraceParent> tp = parse_traceparent(
      "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds");
  ASSERT_TRUE(tp.ok()) << tp.status().to_string();
  EXPECT_EQ(tp->version, 0xcc);
  EXPECT_TRUE(tp->flags.sampled());
  // Re-emitted as the highest version we know.
  EXPECT_EQ(format_traceparent(*tp), kValid);

  EXPECT_TRUE(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").ok());
}

TEST(TraceParentTest, HigherVersionNeedsDashAfterFlags) {
  EXPECT_FALSE(
      parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.what").ok());
  EXPECT_FALSE(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011").ok());
}

TEST(TraceParentTest, HigherVersionShorterThan55IsInvalid) {
  EXPECT_FALSE(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0").ok());
}

TEST(TraceParentTest, RejectsUppercaseHex) {
  EXPECT_FALSE(parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01").ok());
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01").ok());
  EXPECT_FALSE(parse_traceparent("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").ok());
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A").ok());
}

TEST(TraceParentTest, RejectsAllZeroIds) {
  Result<TraceParent> t =
      parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("trace-id is all zeros"), std::string::npos);
  Result<TraceParent> p =
      parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("parent-id is all zeros"), std::string::npos);
}

TEST(TraceParentTest, RejectsMalformedShapes) {
  const char* bad[] = {
      "",
      "0",
      "00",
      "00-",
      "000-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-.1",
      "00-4bf92f3577b34da6a3ce929d0e0e47.6-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba9 2b7-01",
      " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "xx-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  };
  for (const char* h : bad) {
    EXPECT_FALSE(parse_traceparent(h).ok()) << "accepted: '" << h << "'";
  }
}

TEST(TraceParentTest, ErrorNamesTheOffset) {
  Result<TraceParent> tp =
      parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0bX902b7-01");
  ASSERT_FALSE(tp.ok());
  EXPECT_EQ(tp.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(tp.status().message().find("parent-id"), std::string::npos);
  EXPECT_NE(tp.status().message().find("offset 46"), std::string::npos) << tp.status().message();
}

TEST(TraceStateTest, ParsesRecommendationExamples) {
  Result<TraceState> ts = TraceState::parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  ASSERT_TRUE(ts.ok()) << ts.status().to_string();
  ASSERT_EQ(ts->size(), 2u);
  EXPECT_EQ(ts->members()[0].first, "rojo");
  EXPECT_EQ(ts->members()[0].second, "00f067aa0ba902b7");
  EXPECT_EQ(ts->get("congo"), "t61rcWkgMzE");
  EXPECT_EQ(ts->to_header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
}

TEST(TraceStateTest, AcceptsOwsAndEmptyMembers) {
  Result<TraceState> ts = TraceState::parse(" , rojo=1 ,\t,congo=2\t, ");
  ASSERT_TRUE(ts.ok()) << ts.status().to_string();
  EXPECT_EQ(ts->to_header(), "rojo=1,congo=2");
  Result<TraceState> empty = TraceState::parse("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(TraceStateTest, ValueKeepsLeadingSpaces) {
  Result<TraceState> ts = TraceState::parse("foo=  bar");
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(ts->get("foo"), "  bar");
}

// Where the cases come from:
//  [spec]  W3C Trace Context Level 2, section "tracestate Header", "Key":
//          key = ( lcalpha / DIGIT ) 0*255 ( keychar ),
//          keychar = lcalpha / DIGIT / "_" / "-"/ "*" / "/" / "@"
//  [suite] the official test suite, w3c/trace-context test/test.py, TraceContextTest, with
//          the Level 2 key grammar (w3c/trace-context#583, #584: "@" is an ordinary key
//          character, a key is limited to 256 characters in total).
TEST(TraceStateTest, KeyGrammar) {
  EXPECT_TRUE(TraceState::valid_key("a"));
  EXPECT_TRUE(TraceState::valid_key("congo_1-a*b/c"));
  // [spec] a key may start with a digit, simple or multi-tenant.
  EXPECT_TRUE(TraceState::valid_key("1abc"));
  EXPECT_TRUE(TraceState::valid_key("1tenant@sys"));
  // [spec] the Level 1 multi-tenant form is still valid.
  EXPECT_TRUE(TraceState::valid_key("tenant@system"));
  EXPECT_TRUE(TraceState::valid_key("fw529a3039@dt"));
  // [suite] test_tracestate_key_illegal_vendor_format: keys containing at signs.
  EXPECT_TRUE(TraceState::valid_key("foo@"));
  EXPECT_TRUE(TraceState::valid_key("foo@@bar"));
  EXPECT_TRUE(TraceState::valid_key("foo@bar@baz"));
  EXPECT_FALSE(TraceState::valid_key("@foo"));  // must begin with lcalpha or DIGIT
  // [suite] test_tracestate_key_length_limit: 256 and 257 characters in total, "@" or not.
  EXPECT_TRUE(TraceState::valid_key(std::string(256, 'z')));
  EXPECT_FALSE(TraceState::valid_key(std::string(257, 'z')));
  EXPECT_TRUE(TraceState::valid_key(std::string(241, 't') + "@" + std::string(14, 'v')));
  EXPECT_TRUE(TraceState::valid_key(std::string(242, 't') + "@v"));
  EXPECT_TRUE(TraceState::valid_key("t@" + std::string(15, 'v')));
  EXPECT_TRUE(TraceState::valid_key("tenant@1sys"));
  EXPECT_FALSE(TraceState::valid_key(std::string(242, 't') + "@" + std::string(14, 'v')));
  // [suite] test_tracestate_key_illegal_characters.
  EXPECT_FALSE(TraceState::valid_key("foo "));
  EXPECT_FALSE(TraceState::valid_key("FOO"));
  EXPECT_FALSE(TraceState::valid_key("foo.bar"));
  EXPECT_FALSE(TraceState::valid_key("Congo"));
  EXPECT_FALSE(TraceState::valid_key(""));
}

// [suite] test_tracestate_all_allowed_characters: every key character, every value character.
TEST(TraceStateTest, AllAllowedCharacters) {
  std::string key_without_vendor;
  for (char c = 'a'; c <= 'z'; ++c)
    key_without_vendor += c;
  key_without_vendor += "0123456789_-*/";
  const std::string key_with_vendor = key_without_vendor + "@a-z0-9_-*/";
  std::string value;
  for (int c = 0x20; c <= 0x7e; ++c)
    if (c != ',' && c != '=')
      value += static_cast<char>(c);
  for (const std::string& key : {key_without_vendor, key_with_vendor}) {
    Result<TraceState> ts = TraceState::parse(key + "=" + value);
    ASSERT_TRUE(ts.ok()) << ts.status().to_string();
    EXPECT_EQ(ts->get(key), value);
  }
}

TEST(TraceStateTest, ValueGrammar) {
  EXPECT_TRUE(TraceState::valid_value("x"));
  EXPECT_TRUE(TraceState::valid_value(" x"));
  EXPECT_TRUE(TraceState::valid_value(std::string(256, 'v')));
  EXPECT_FALSE(TraceState::valid_value(std::string(257, 'v')));
  EXPECT_FALSE(TraceState::valid_value(""));
  EXPECT_FALSE(TraceState::valid_value("x "));
  EXPECT_FALSE(TraceState::valid_value("a=b"));
  EXPECT_FALSE(TraceState::valid_value("a,b"));
  EXPECT_FALSE(TraceState::valid_value("a\tb"));
  EXPECT_FALSE(TraceState::valid_value("caf\xc3\xa9"));
}

TEST(TraceStateTest, RejectsInvalidMembers) {
  EXPECT_FALSE(TraceState::parse("foo").ok());
  EXPECT_FALSE(TraceState::parse("foo=").ok());
  EXPECT_FALSE(TraceState::parse("=bar").ok());
  EXPECT_FALSE(TraceState::parse("FOO=bar").ok());
  EXPECT_FALSE(TraceState::parse("foo=bar,bad key=1").ok());
  // [suite] test_tracestate_value_illegal_characters: the whole header is discarded.
  EXPECT_FALSE(TraceState::parse("foo=bar=baz").ok());
  EXPECT_FALSE(TraceState::parse("foo=,bar=3").ok());
  // [suite] test_tracestate_key_illegal_vendor_format: "@foo" is invalid, so "bar" goes too.
  EXPECT_FALSE(TraceState::parse("@foo=1,bar=2").ok());
  // [suite] test_tracestate_key_length_limit: a 257-character key discards "foo=1".
  EXPECT_FALSE(TraceState::parse("foo=1," + std::string(257, 'z') + "=1").ok());
}

// [suite] test_tracestate_key_illegal_vendor_format and test_tracestate_key_length_limit:
// keys with at signs are inherited together with the members beside them.
TEST(TraceStateTest, AcceptsLevel2KeysBesideOtherMembers) {
  for (const std::string_view key : {"foo@", "foo@@bar", "foo@bar@baz"}) {
    Result<TraceState> ts = TraceState::parse(std::string(key) + "=1,bar=2");
    ASSERT_TRUE(ts.ok()) << key << ": " << ts.status().to_string();
    EXPECT_EQ(ts->get(key), "1");
    EXPECT_EQ(ts->get("bar"), "2");
  }
  for (const std::string& key :
       {std::string(256, 'z'), std::string(242, 't') + "@v", "t@" + std::string(15, 'v')}) {
    Result<TraceState> ts = TraceState::parse("foo=1," + key + "=1");
    ASSERT_TRUE(ts.ok()) << ts.status().to_string();
    EXPECT_EQ(ts->get("foo"), "1");
  }
}

// [spec] "Combined Header Value": only one entry per key; a receiver is not responsible for
// another participant's duplicates. [suite] test_tracestate_duplicated_keys: the tracestate
// is inherited, the duplicated key either kept as-is or one member of it discarded. We keep
// the left-most member (the most recent position, as the list is ordered newest first).
TEST(TraceStateTest, DuplicatedKeyKeepsItsLeftMostMember) {
  Result<TraceState> ts = TraceState::parse("foo=1,bar=2,foo=3");
  ASSERT_TRUE(ts.ok()) << ts.status().to_string();
  EXPECT_EQ(ts->to_header(), "foo=1,bar=2");
  EXPECT_EQ(ts->duplicates_dropped(), 1u);
  Result<TraceState> same = TraceState::parse("foo=1,foo=1");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->to_header(), "foo=1");
  // Two tracestate headers combined with a comma (RFC 7230 field order) behave the same.
  Result<TraceState> combined = TraceState::parse("foo=1,foo=2");
  ASSERT_TRUE(combined.ok());
  EXPECT_EQ(combined->to_header(), "foo=1");
}

// Duplicates still count as list-members: the grammar allows 32 of them in a list.
TEST(TraceStateTest, DuplicatesCountTowardsThe32Members) {
  std::string h;
  for (int i = 0; i < 32; ++i)
    h += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  EXPECT_FALSE(TraceState::parse(h + ",k0=again").ok());
}

// [spec] "Versioning of tracestate": with a higher traceparent version, parse tracestate to
// the best of one's ability; using partially parsed members is the vendor's decision. kSkip
// keeps every valid member and the first 32 list-members.
TEST(TraceStateTest, SkipKeepsTheValidMembers) {
  const auto skip = TraceState::InvalidMembers::kSkip;
  Result<TraceState> ts = TraceState::parse("foo=1,FOO=2,bar,baz=3=4,qux=5,foo=6", skip);
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(ts->to_header(), "foo=1,qux=5");
  std::string h;
  for (int i = 0; i < 40; ++i)
    h += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  Result<TraceState> capped = TraceState::parse(h, skip);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->size(), 32u);
  EXPECT_EQ(capped->members().back().first, "k31");
}

TEST(TraceStateTest, AtMost32Members) {
  std::string h;
  for (int i = 0; i < 32; ++i)
    h += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  ASSERT_TRUE(TraceState::parse(h).ok());
  EXPECT_EQ(TraceState::parse(h)->size(), 32u);
  EXPECT_FALSE(TraceState::parse(h + ",k32=v").ok());
  // Empty members do not count.
  EXPECT_TRUE(TraceState::parse(h + ",,, ").ok());
}

TEST(TraceStateTest, SetMovesKeyToFrontAndCapsAt32) {
  TraceState ts = TraceState::parse("a=1,b=2,c=3").value();
  ASSERT_TRUE(ts.set("c", "9").ok());
  EXPECT_EQ(ts.to_header(), "c=9,a=1,b=2");
  ASSERT_TRUE(ts.set("d", "4").ok());
  EXPECT_EQ(ts.to_header(), "d=4,c=9,a=1,b=2");
  EXPECT_FALSE(ts.set("Bad", "x").ok());
  EXPECT_FALSE(ts.set("ok", "bad,value").ok());
  EXPECT_EQ(ts.size(), 4u);

  TraceState full;
  for (int i = 0; i < 33; ++i)
    ASSERT_TRUE(full.set("k" + std::to_string(i), "v").ok());
  EXPECT_EQ(full.size(), 32u);
  EXPECT_EQ(full.members().front().first, "k32");
  EXPECT_FALSE(full.get("k0").has_value());  // right-most removed
}

TEST(TraceStateTest, TruncationRemovesLargeMembersFirstThenFromTheEnd) {
  TraceState ts;
  // Build (left to right): small0, big (200 chars), small1..small5, each small ~100 chars.
  std::vector<std::string> order;
  auto value = [](char c, std::size_t n) { return std::string(n, c); };
  for (int i = 5; i >= 1; --i) {
    ASSERT_TRUE(ts.set("s" + std::to_string(i), value('a', 90)).ok());
  }
  ASSERT_TRUE(ts.set("big", value('b', 200)).ok());
  ASSERT_TRUE(ts.set("s0", value('c', 90)).ok());
  // Full header: 6 * 93 + 204 + 6 commas > 512.
  std::string h = ts.to_header();
  EXPECT_LE(h.size(), TraceState::kMaxHeaderSize);
  EXPECT_EQ(h.find("big="), std::string::npos) << "the >128 member goes first";
  // Without "big": 6 members of 93 + 5 commas = 563 > 512, so the right-most (s5) goes too.
  EXPECT_NE(h.find("s0="), std::string::npos);
  EXPECT_NE(h.find("s4="), std::string::npos);
  EXPECT_EQ(h.find("s5="), std::string::npos);
  EXPECT_EQ(h.size(), 5 * 93 + 4u);
}

TEST(TraceStateTest, NoTruncationWhenWithinLimit) {
  TraceState ts;
  ASSERT_TRUE(ts.set("big", std::string(200, 'b')).ok());
  ASSERT_TRUE(ts.set("small", "x").ok());
  EXPECT_EQ(ts.to_header(), "small=x,big=" + std::string(200, 'b'));
}

TEST(ExtractTraceContextTest, IgnoresTracestateWhenTraceparentInvalid) {
  Result<SpanContext> ctx = extract_trace_context(
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "congo=t61rcWkgMzE");
  EXPECT_FALSE(ctx.ok());
}

TEST(ExtractTraceContextTest, InvalidTracestateDoesNotAffectTraceparent) {
  Result<SpanContext> ctx = extract_trace_context(kValid, "foo=1,FOO=2");
  ASSERT_TRUE(ctx.ok());
  EXPECT_TRUE(ctx->valid());
  EXPECT_TRUE(ctx->remote);
  EXPECT_TRUE(ctx->sampled());
  EXPECT_TRUE(ctx->state.empty());
}

TEST(ExtractTraceContextTest, DuplicatedKeyIsInherited) {
  Result<SpanContext> ctx = extract_trace_context(kValid, "foo=1,foo=2");
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ(ctx->state.to_header(), "foo=1");
}

// [spec] "Versioning of tracestate" with [suite] test_traceparent_version_0xcc's header.
TEST(ExtractTraceContextTest, HigherVersionKeepsValidTracestateMembers) {
  Result<SpanContext> v00 = extract_trace_context(kValid, "foo=1,FOO=2,bar=3");
  ASSERT_TRUE(v00.ok());
  EXPECT_TRUE(v00->state.empty());
  Result<SpanContext> vcc = extract_trace_context(
      "cc-12345678901234567890123456789012-1234567890123456-01-what-the-future-will-be-like",
      "foo=1,FOO=2,bar=3");
  ASSERT_TRUE(vcc.ok()) << vcc.status().to_string();
  EXPECT_EQ(vcc->state.to_header(), "foo=1,bar=3");
}

TEST(ExtractTraceContextTest, CarriesStateAndFlags) {
  Result<SpanContext> ctx = extract_trace_context(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", "rojo=00f067aa0ba902b7");
  ASSERT_TRUE(ctx.ok());
  EXPECT_TRUE(ctx->flags.random());
  EXPECT_EQ(ctx->state.get("rojo"), "00f067aa0ba902b7");
  EXPECT_EQ(ctx->span_id.to_hex(), "00f067aa0ba902b7");
}

}  // namespace
}  // namespace edgetrace::core
