#include "edgetrace/config/values.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace edgetrace::config {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

TEST(ValuesTest, DurationsTakeMillisecondsSecondsOrMinutes) {
  EXPECT_EQ(parse_duration("250").value(), milliseconds(250));
  EXPECT_EQ(parse_duration("250ms").value(), milliseconds(250));
  EXPECT_EQ(parse_duration(" 5 s ").value(), milliseconds(5000));
  EXPECT_EQ(parse_duration("1m").value(), milliseconds(60000));
  EXPECT_EQ(parse_duration("2h").value(), milliseconds(7200000));
  EXPECT_EQ(parse_duration("7d").value(), milliseconds(7 * 24 * 3600 * 1000));
  EXPECT_THAT(parse_duration("366d").status().message(), HasSubstr("longer than a year"));
  EXPECT_THAT(parse_duration("5 hours").status().message(),
              HasSubstr("duration '5 hours' is not a whole number with an optional unit"));
  EXPECT_FALSE(parse_duration("-1s").ok());
  EXPECT_FALSE(parse_duration("1.5s").ok());
  EXPECT_FALSE(parse_duration("").ok());
  EXPECT_THAT(parse_duration("600000m").status().message(), HasSubstr("longer than a year"));
}

TEST(ValuesTest, ByteSizesTakeDecimalAndBinaryUnits) {
  EXPECT_EQ(parse_byte_size("512").value(), 512u);
  EXPECT_EQ(parse_byte_size("512B").value(), 512u);
  EXPECT_EQ(parse_byte_size("64KiB").value(), 65536u);
  EXPECT_EQ(parse_byte_size("10MB").value(), 10000000u);
  EXPECT_EQ(parse_byte_size("10 kB").value(), 10000u);
  EXPECT_EQ(parse_byte_size("1GiB").value(), 1073741824u);
  EXPECT_EQ(parse_byte_size("2TiB").value(), std::uint64_t{2} << 40);
  EXPECT_THAT(parse_byte_size("10mb").status().message(), HasSubstr("unknown unit 'mb'"));
  EXPECT_THAT(parse_byte_size("lots").status().message(), HasSubstr("byte size 'lots'"));
  EXPECT_THAT(parse_byte_size("99999999999TiB").status().message(), HasSubstr("too large"));
}

TEST(ValuesTest, BooleansIgnoreCase) {
  EXPECT_TRUE(parse_bool("TRUE").value());
  EXPECT_FALSE(parse_bool("false").value());
  EXPECT_THAT(parse_bool("yes").status().message(), HasSubstr("expected true or false, got 'yes'"));
}

TEST(ValuesTest, ListsAreTrimmedAndSkipEmptyItems) {
  EXPECT_THAT(split_list(" a, b,,c ,"), ::testing::ElementsAre("a", "b", "c"));
  EXPECT_TRUE(split_list("").empty());
}

TEST(ValuesTest, EndpointsAreHttpUrls) {
  Endpoint e = parse_endpoint("https://collector.example.com:4318/otlp").value();
  EXPECT_EQ(e.scheme, "https");
  EXPECT_EQ(e.host, "collector.example.com");
  EXPECT_EQ(e.port, 4318);
  EXPECT_EQ(e.path, "/otlp");
  EXPECT_EQ(parse_endpoint("http://c").value().port, 80);
  EXPECT_EQ(parse_endpoint("https://c").value().port, 443);
  Endpoint v6 = parse_endpoint("http://[::1]:4318").value();
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 4318);
  EXPECT_THAT(parse_endpoint("collector:4318").status().message(),
              HasSubstr("must start with http:// or https://"));
  EXPECT_THAT(parse_endpoint("http://c:99999").status().message(), HasSubstr("port '99999'"));
  EXPECT_THAT(parse_endpoint("http://c:").status().message(), HasSubstr("port"));
  EXPECT_THAT(parse_endpoint("http:///x").status().message(), HasSubstr("has no host"));
  // Credentials in a URL would end up in messages; headers are kept out of them.
  const std::string m = parse_endpoint("http://user:s3cret@c:4318").status().message();
  EXPECT_THAT(m, HasSubstr("user information"));
  EXPECT_EQ(m.find("s3cret"), std::string::npos);
}

TEST(ValuesTest, HostPortIsWhatListenersTake) {
  HostPort a = parse_host_port("0.0.0.0:4318").value();
  EXPECT_EQ(a.host, "0.0.0.0");
  EXPECT_EQ(a.port, 4318);
  EXPECT_EQ(parse_host_port("[::]:0").value().host, "::");
  EXPECT_THAT(parse_host_port("localhost").status().message(), HasSubstr("has no port"));
}

enum class Color { kRed, kGreen };
constexpr std::array<EnumName<Color>, 3> kColors = {
    {{"red", Color::kRed}, {"green", Color::kGreen}, {"vert", Color::kGreen}}};

TEST(ValuesTest, EnumsByNameWithAliases) {
  EXPECT_EQ(parse_enum("RED", kColors).value(), Color::kRed);
  EXPECT_EQ(parse_enum("vert", kColors).value(), Color::kGreen);
  EXPECT_EQ(enum_name(Color::kGreen, kColors), "green");
  EXPECT_EQ(parse_enum("blue", kColors, "color").status().message(),
            "color 'blue' is not one of red, green or vert");
}

}  // namespace
}  // namespace edgetrace::config

namespace edgetrace::config {
namespace {

TEST(ConfigTimestampTest, ParsesRfc3339AndUnixSeconds) {
  // 2025-12-02T10:15:30Z = 1764670530 (date -u -d @1764670530).
  EXPECT_EQ(parse_timestamp("2025-12-02T10:15:30Z").value(), 1764670530'000000000u);
  EXPECT_EQ(parse_timestamp("2025-12-02 10:15:30.25z").value(), 1764670530'250000000u);
  EXPECT_EQ(parse_timestamp("2025-12-02T11:15:30.000000001+01:00").value(), 1764670530'000000001u);
  EXPECT_EQ(parse_timestamp("2025-12-02T05:15:30-05:00").value(), 1764670530'000000000u);
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:00Z").value(), 0u);
  EXPECT_EQ(parse_timestamp("1764670530").value(), 1764670530'000000000u);
  EXPECT_EQ(parse_timestamp(" 1764670530.5 ").value(), 1764670530'500000000u);
}

TEST(ConfigTimestampTest, RefusesMalformedTimes) {
  for (const char* bad : {"", "yesterday", "2025-13-02T10:15:30Z", "2025-02-30T10:15:30Z",
                          "2025-12-02T10:15:30", "2025-12-02T25:15:30Z", "1964-01-01T00:00:00Z",
                          "2025-12-02T10:15:30.Z", "1764670530.", "12x", "99999999999999"}) {
    const auto r = parse_timestamp(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_THAT(parse_timestamp("2025-12-02T10:15:30").status().message(),
              ::testing::HasSubstr("expected Z or a UTC offset"));
}

TEST(ConfigTimestampTest, FormatsInUtcWithMicroseconds) {
  EXPECT_EQ(format_timestamp(1764670530'250000999u), "2025-12-02T10:15:30.250000Z");
  EXPECT_EQ(parse_timestamp(format_timestamp(1764670530'123456000u)).value(),
            1764670530'123456000u);
}

}  // namespace
}  // namespace edgetrace::config
