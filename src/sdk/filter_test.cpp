#include "edgetrace/sdk/filter.hpp"

#include <gtest/gtest.h>

namespace edgetrace::sdk {
namespace {

using core::Level;

Filter parse(std::string_view spec) {
  core::Result<Filter> f = Filter::parse(spec);
  EXPECT_TRUE(f.ok()) << spec << ": " << f.status().to_string();
  return f.ok() ? std::move(f).value() : Filter();
}

TEST(FilterTest, DefaultLevelAppliesToEveryTarget) {
  Filter f = parse("info");
  EXPECT_TRUE(f.enabled("anything", Level::kInfo));
  EXPECT_TRUE(f.enabled("anything", Level::kError));
  EXPECT_FALSE(f.enabled("anything", Level::kDebug));
}

TEST(FilterTest, MostSpecificTargetWins) {
  Filter f = parse("warn,db=debug,db::pool=trace,http=off");
  EXPECT_TRUE(f.enabled("db", Level::kDebug));
  EXPECT_FALSE(f.enabled("db", Level::kTrace));
  EXPECT_TRUE(f.enabled("db::pool", Level::kTrace));
  EXPECT_TRUE(f.enabled("db::pool::conn", Level::kTrace));
  EXPECT_TRUE(f.enabled("db::query", Level::kDebug));
  EXPECT_FALSE(f.enabled("http", Level::kFatal));
  EXPECT_FALSE(f.enabled("http::client", Level::kError));
  EXPECT_TRUE(f.enabled("app", Level::kWarn));
  EXPECT_FALSE(f.enabled("app", Level::kInfo));
}

TEST(FilterTest, TargetPrefixRespectsSegmentBoundaries) {
  Filter f = parse("db=debug");
  EXPECT_TRUE(f.enabled("db.pool", Level::kDebug));
  EXPECT_TRUE(f.enabled("db/pool", Level::kDebug));
  EXPECT_FALSE(f.enabled("dbx", Level::kDebug));
  EXPECT_FALSE(f.enabled("other", Level::kFatal));  // nothing matches: disabled
}

TEST(FilterTest, BareTargetEnablesEveryLevel) {
  Filter f = parse("error,my_crate");
  EXPECT_TRUE(f.enabled("my_crate", Level::kTrace));
  EXPECT_FALSE(f.enabled("other", Level::kWarn));
}

TEST(FilterTest, SpanDirectivesApplyInsideMatchingSpans) {
  Filter f = parse("info,http::client[request{id=7}]=trace");
  EXPECT_TRUE(f.has_span_directives());
  FieldStore seven;
  seven.set("id", Value::of_int(7));
  FieldStore eight;
  eight.set("id", Value::of_int(8));
  SpanView in7[] = {{"outer", nullptr}, {"request", &seven}};
  SpanView in8[] = {{"request", &eight}};
  SpanView other_name[] = {{"response", &seven}};
  EXPECT_TRUE(f.enabled("http::client", Level::kTrace, in7));
  EXPECT_FALSE(f.enabled("http::client", Level::kTrace, in8));
  EXPECT_FALSE(f.enabled("http::client", Level::kTrace, other_name));
  EXPECT_FALSE(f.enabled("http::client", Level::kTrace));
  EXPECT_FALSE(f.enabled("db", Level::kTrace, in7));  // target must match too
  EXPECT_TRUE(f.enabled("http::client", Level::kInfo, in8));
}

TEST(FilterTest, SpanNameOrFieldsAlone) {
  Filter f = parse("warn,[checkout]=debug,[{user_id}]=trace");
  FieldStore user;
  user.set("user_id", Value::of(std::string_view("u-1")));
  SpanView checkout[] = {{"checkout", nullptr}};
  SpanView with_user[] = {{"anything", &user}};
  EXPECT_TRUE(f.enabled("app", Level::kDebug, checkout));
  EXPECT_FALSE(f.enabled("app", Level::kTrace, checkout));
  EXPECT_TRUE(f.enabled("app", Level::kTrace, with_user));
  EXPECT_FALSE(f.enabled("app", Level::kInfo));
}

TEST(FilterTest, OffAndCaseInsensitiveLevels) {
  Filter f = parse("OFF,audit=Warning");
  EXPECT_FALSE(f.enabled("app", Level::kFatal));
  EXPECT_TRUE(f.enabled("audit", Level::kWarn));
  EXPECT_EQ(f.most_verbose(), Level::kWarn);
  EXPECT_FALSE(parse("off").most_verbose().has_value());
}

TEST(FilterTest, LaterDirectiveForTheSameTargetReplaces) {
  Filter f = parse("db=debug,db=error");
  EXPECT_FALSE(f.enabled("db", Level::kWarn));
  EXPECT_EQ(f.directives().size(), 1u);
}

TEST(FilterTest, EmptySpecEnablesNothing) {
  Filter f = parse("");
  EXPECT_FALSE(f.enabled("app", Level::kFatal));
  EXPECT_TRUE(parse(" , ,").directives().empty());
}

TEST(FilterTest, BadDirectivesAreClearErrors) {
  struct Case {
    const char* spec;
    const char* message;
  };
  const Case cases[] = {
      {"info,db=loud", "unknown level 'loud'"},
      {"db[request=debug", "missing ']'"},
      {"db[request{id=7]=debug", "missing '}'"},
      {"db[]=debug", "empty span part"},
      {"d b=debug", "invalid target"},
      {"db}=info", "unbalanced"},
      {"=debug", "missing target"},
  };
  for (const Case& c : cases) {
    core::Result<Filter> f = Filter::parse(c.spec);
    ASSERT_FALSE(f.ok()) << c.spec;
    EXPECT_NE(f.status().message().find(c.message), std::string::npos)
        << c.spec << " -> " << f.status().message();
  }
}

TEST(FilterTest, ToStringRoundTrips) {
  Filter f = parse("info,Http::Client[request{id=7,user}]=trace,db=off");
  Filter again = parse(f.to_string());
  EXPECT_EQ(again.directives(), f.directives());
  EXPECT_NE(f.to_string().find("Http::Client"), std::string::npos);
}

}  // namespace
}  // namespace edgetrace::sdk
