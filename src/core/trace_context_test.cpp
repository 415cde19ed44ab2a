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

TEST(TraceStateTest, KeyGrammar) {
  EXPECT_TRUE(TraceState::valid_key("a"));
  EXPECT_TRUE(TraceState::valid_key("congo_1-a*b/c"));
  EXPECT_TRUE(TraceState::valid_key("tenant@system"));
  EXPECT_TRUE(TraceState::valid_key("1tenant@sys"));
  EXPECT_TRUE(TraceState::valid_key(std::string(256, 'a')));
  EXPECT_FALSE(TraceState::valid_key(std::string(257, 'a')));
  EXPECT_FALSE(TraceState::valid_key(""));
  EXPECT_FALSE(TraceState::valid_key("1abc"));  // simple key must start with a-z
  EXPECT_FALSE(TraceState::valid_key("Congo"));
  EXPECT_FALSE(TraceState::valid_key("a.b"));
  EXPECT_FALSE(TraceState::valid_key("@sys"));
  EXPECT_FALSE(TraceState::valid_key("tenant@"));
  EXPECT_FALSE(TraceState::valid_key("tenant@1sys"));
  EXPECT_FALSE(TraceState::valid_key("tenant@" + std::string(15, 's')));
  EXPECT_TRUE(TraceState::valid_key("tenant@" + std::string(14, 's')));
  EXPECT_FALSE(TraceState::valid_key(std::string(242, 't') + "@s"));
  EXPECT_TRUE(TraceState::valid_key(std::string(241, 't') + "@s"));
  EXPECT_FALSE(TraceState::valid_key("a@b@c"));
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
  EXPECT_FALSE(TraceState::parse("foo=bar=baz").ok());
  EXPECT_FALSE(TraceState::parse("foo=bar,bad key=1").ok());
}

TEST(TraceStateTest, RejectsDuplicateKeys) {
  Result<TraceState> ts = TraceState::parse("foo=1,bar=2,foo=3");
  ASSERT_FALSE(ts.ok());
  EXPECT_NE(ts.status().message().find("duplicate key 'foo'"), std::string::npos);
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
  Result<SpanContext> ctx = extract_trace_context(kValid, "foo=1,foo=2");
  ASSERT_TRUE(ctx.ok());
  EXPECT_TRUE(ctx->valid());
  EXPECT_TRUE(ctx->remote);
  EXPECT_TRUE(ctx->sampled());
  EXPECT_TRUE(ctx->state.empty());
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
