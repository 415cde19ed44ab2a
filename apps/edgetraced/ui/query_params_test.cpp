// The query API's parameter rules (jaeger's query_parser.go, Go's time.ParseDuration,
// logfmt) with the error each bad value gets.
#include "ui/query_params.hpp"

#include <gtest/gtest.h>

namespace edgetrace::daemon::ui {
namespace {

using Tags = std::vector<std::pair<std::string, std::string>>;
constexpr std::uint64_t kNow = 1700000000000000000ull;

TEST(QueryParamsTest, DecodesFormEncodingAndKeepsRepeats) {
  QueryParams p = QueryParams::parse("service=my+svc&tag=a%3Ab&tag=c:d&empty=&bare&bad=%zz");
  EXPECT_EQ(p.get("service"), "my svc");
  EXPECT_EQ(p.all("tag"), (std::vector<std::string_view>{"a:b", "c:d"}));
  EXPECT_EQ(p.get("empty"), "");
  EXPECT_EQ(p.get("bare"), "");
  EXPECT_EQ(p.get("bad"), "%zz");
  EXPECT_FALSE(p.get("absent"));
}

TEST(QueryParamsTest, GoDurationsFollowTimeParseDuration) {
  // Values from Go's src/time/time_test.go parseDurationTests.
  EXPECT_EQ(*parse_go_duration("0"), 0u);
  EXPECT_EQ(*parse_go_duration("5s"), 5000000000u);
  EXPECT_EQ(*parse_go_duration("1.2s"), 1200000000u);
  EXPECT_EQ(*parse_go_duration("100ms"), 100000000u);
  EXPECT_EQ(*parse_go_duration("500us"), 500000u);
  EXPECT_EQ(*parse_go_duration("500\xC2\xB5s"), 500000u);
  EXPECT_EQ(*parse_go_duration("500\xCE\xBCs"), 500000u);
  EXPECT_EQ(*parse_go_duration("15ns"), 15u);
  EXPECT_EQ(*parse_go_duration("1h30m"), 5400000000000u);
  EXPECT_EQ(*parse_go_duration(".5s"), 500000000u);
  EXPECT_EQ(*parse_go_duration("1.s"), 1000000000u);
  EXPECT_EQ(*parse_go_duration("+3m"), 180000000000u);
  for (const char* bad : {"", "1", "s", ".s", "1.2.3s", "3d", "1sm", "-1s", "9999999999999h"}) {
    EXPECT_FALSE(parse_go_duration(bad).ok()) << bad;
  }
  EXPECT_NE(parse_go_duration("3x").status().message().find("unknown unit"), std::string::npos);
}

TEST(QueryParamsTest, LookbackTakesDays) {
  EXPECT_EQ(*parse_lookback("2d"), 2 * 86400000000000ull);
  EXPECT_EQ(*parse_lookback("1h"), 3600000000000ull);
  EXPECT_FALSE(parse_lookback("xd").ok());
}

TEST(QueryParamsTest, TagsAsJsonOrLogfmt) {
  EXPECT_EQ(*parse_tags(R"({"http.status_code":"500","error":"true"})"),
            (Tags{{"http.status_code", "500"}, {"error", "true"}}));
  EXPECT_EQ(*parse_tags(R"({"n":42,"ok":false})"), (Tags{{"n", "42"}, {"ok", "false"}}));
  EXPECT_EQ(*parse_tags(R"(http.status_code=500 msg="a \"b\" c" error)"),
            (Tags{{"http.status_code", "500"}, {"msg", "a \"b\" c"}, {"error", "true"}}));
  EXPECT_EQ(*parse_tags(""), Tags{});
  // An empty key is refused in JSON as in logfmt (found by query_params_fuzz).
  EXPECT_NE(parse_tags(R"({"":2})").status().message().find("a tag key is empty"),
            std::string::npos);
  EXPECT_FALSE(parse_tags(R"(=2)").ok());
  EXPECT_NE(parse_tags(R"({"a":)").status().message().find("cannot unmarshal JSON"),
            std::string::npos);
  EXPECT_FALSE(parse_tags(R"({"a":["x"]})").ok());
  EXPECT_FALSE(parse_tags(R"(a="unterminated)").ok());
  EXPECT_FALSE(parse_tags("=v").ok());
}

TEST(QueryParamsTest, TraceQueryTakesJaegersParameters) {
  auto q = parse_trace_query(
      QueryParams::parse("service=gw&operation=GET+%2F&tags=%7B%22a%22%3A%22b%22%7D&tag=c:d:e"
                         "&start=1000&end=2000&minDuration=1ms&maxDuration=1.5s&limit=7"),
      kNow);
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->service, "gw");
  EXPECT_EQ(q->operation, "GET /");
  EXPECT_EQ(q->tags, (Tags{{"c", "d:e"}, {"a", "b"}}));
  EXPECT_EQ(q->start_unix_nano, 1000000u);
  EXPECT_EQ(q->end_unix_nano, 2000000u);
  EXPECT_EQ(q->min_duration_ns, 1000000u);
  EXPECT_EQ(q->max_duration_ns, 1500000000u);
  EXPECT_EQ(q->limit, 7u);
}

TEST(QueryParamsTest, TraceQueryDefaults) {
  auto q = parse_trace_query(QueryParams::parse("service=gw"), kNow);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->limit, 20u);
  EXPECT_EQ(q->end_unix_nano, kNow);
  EXPECT_EQ(q->start_unix_nano, kNow - kDefaultLookbackNs);
  EXPECT_FALSE(q->min_duration_ns);
  auto lb = parse_trace_query(QueryParams::parse("service=gw&lookback=2h"), kNow);
  EXPECT_EQ(lb->start_unix_nano, kNow - 7200000000000ull);
  auto big = parse_trace_query(QueryParams::parse("service=gw&limit=999999"), kNow);
  EXPECT_EQ(big->limit, kMaxTraceLimit);
}

TEST(QueryParamsTest, TraceQueryErrorsNameTheParameter) {
  const auto error = [](std::string_view query) {
    auto q = parse_trace_query(QueryParams::parse(query), kNow);
    return q.ok() ? std::string("ok") : q.status().message();
  };
  EXPECT_EQ(error(""), "parameter 'service' is required");
  EXPECT_NE(error("service=a&limit=x").find("'limit'"), std::string::npos);
  EXPECT_NE(error("service=a&limit=0").find("'limit'"), std::string::npos);
  EXPECT_NE(error("service=a&start=yesterday").find("'start'"), std::string::npos);
  EXPECT_NE(error("service=a&end=-5").find("'end'"), std::string::npos);
  EXPECT_NE(error("service=a&minDuration=5").find("'minDuration'"), std::string::npos);
  EXPECT_EQ(error("service=a&minDuration=2s&maxDuration=1s"),
            "'maxDuration' should be greater than 'minDuration'");
  EXPECT_NE(error("service=a&tag=nocolon").find("expecting key:value"), std::string::npos);
  EXPECT_NE(error("service=a&start=3000&end=2000").find("after"), std::string::npos);
}

TEST(QueryParamsTest, LogQuery) {
  auto q = parse_log_query(QueryParams::parse(
      "q=disk+full&level=warn&service=gw&traceID=0AF7651916CD43DD8448EB211C80319C"
      "&start=5&end=6&limit=50&before=99"));
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_EQ(q->text, "disk full");
  EXPECT_EQ(q->min_severity_number, 13);
  EXPECT_EQ(q->service, "gw");
  EXPECT_EQ(q->trace_id->to_hex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(q->start_unix_nano, 5000u);
  EXPECT_EQ(q->end_unix_nano, 6000u);
  EXPECT_EQ(q->limit, 50u);
  EXPECT_EQ(q->before_id, 99);
  EXPECT_EQ(parse_log_query(QueryParams::parse(""))->limit, 100u);
  EXPECT_NE(parse_log_query(QueryParams::parse("level=loud")).status().message().find("'level'"),
            std::string::npos);
  EXPECT_FALSE(parse_log_query(QueryParams::parse("before=-1")).ok());
  EXPECT_FALSE(parse_log_query(QueryParams::parse("traceID=xyz")).ok());
}

TEST(QueryParamsTest, ShortTraceIdsArePaddedAsJaegerDoes) {
  EXPECT_EQ(parse_trace_id("abc")->to_hex(), "00000000000000000000000000000abc");
  EXPECT_FALSE(parse_trace_id("").ok());
  EXPECT_FALSE(parse_trace_id(std::string(33, 'a')).ok());
  EXPECT_FALSE(parse_trace_id("zz").ok());
}

}  // namespace
}  // namespace edgetrace::daemon::ui
