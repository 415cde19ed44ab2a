#include "edgetrace/sdk/line_format.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <random>
#include <string>
#include <vector>

#include "edgetrace/sdk/span.hpp"
#include "internal/line_text.hpp"

namespace edgetrace::sdk {
namespace {

constexpr std::uint64_t kTime = 1795269950123456789ULL;  // 2026-11-21T14:05:50.123456789Z
constexpr std::string_view kTraceId = "0af7651916cd43dd8448eb211c80319c";
constexpr std::string_view kOuterId = "00f067aa0ba902b7";
constexpr std::string_view kInnerId = "b7ad6b7169203331";

const Metadata kEventMeta{"event src/cart.cpp:42",
                          "shop::cart",
                          core::Level::kInfo,
                          "src/cart.cpp",
                          42,
                          "add",
                          CallsiteKind::kEvent,
                          {}};
const Metadata kWarnMeta{"event src/cart.cpp:50",
                         "shop::cart",
                         core::Level::kWarn,
                         "src/cart.cpp",
                         50,
                         "add",
                         CallsiteKind::kEvent,
                         {}};
const Metadata kOuterMeta{"outer", "shop::cart", core::Level::kInfo,  "src/cart.cpp",
                          10,      "handle",     CallsiteKind::kSpan, {}};
const Metadata kInnerMeta{"inner", "shop::db", core::Level::kDebug, "src/db.cpp",
                          20,      "query",    CallsiteKind::kSpan, {}};

// Two nested spans built by hand, so every byte of the output is known.
struct NestedSpans {
  SpanRecord outer;
  SpanRecord inner;
  NestedSpans() {
    outer.metadata = &kOuterMeta;
    outer.context.trace_id = core::TraceId::from_hex(kTraceId).value();
    outer.context.span_id = core::SpanId::from_hex(kOuterId).value();
    outer.attributes.set("user", Value::of_int(7));
    outer.start_unix_nano = kTime - 1000;
    inner.metadata = &kInnerMeta;
    inner.context.trace_id = outer.context.trace_id;
    inner.context.span_id = core::SpanId::from_hex(kInnerId).value();
    inner.parent = &outer;
    inner.attributes.set("path", Value::of(std::string_view("/a")));
    inner.start_unix_nano = kTime;
    inner.end_unix_nano = kTime + 1'750'000;
    inner.busy_ns = 1'500'000;
    inner.idle_ns = 250;
  }
};

const core::AttributeValue kTags(std::vector<std::string>{"x", "y"});

// One field of each kind a call site can produce.
std::vector<Field> every_kind_of_field() {
  return {
      {"n", Value::of_int(-3)},
      {"u", Value::of_uint(18446744073709551615ULL)},
      {"d", Value::of(12.5)},
      {"ok", Value::of(true)},
      {"s", Value::of(std::string_view("a \"q\""))},
      {"tags", Value::of(kTags)},
  };
}

std::string format(const LineOptions& options, const Event& event, bool ansi = false) {
  std::string out;
  LineFormatter(options, ansi).format_event(event, out);
  return out;
}

TEST(LineFormatTest, TimestampIsRfc3339UtcWithMicroseconds) {
  std::string out;
  append_rfc3339_micros(out, kTime);
  EXPECT_EQ(out, "2026-11-21T14:05:50.123456Z");
  out.clear();
  append_rfc3339_micros(out, 0);
  EXPECT_EQ(out, "1970-01-01T00:00:00.000000Z");
  out.clear();
  append_rfc3339_micros(out, 1709251199ULL * 1'000'000'000ULL + 999'999'999ULL);
  EXPECT_EQ(out, "2024-02-29T23:59:59.999999Z");
  out.clear();
  append_rfc3339_micros(out, 4102444800ULL * 1'000'000'000ULL);
  EXPECT_EQ(out, "2100-01-01T00:00:00.000000Z");
  // Same second again (the cached prefix), then the next one.
  out.clear();
  append_rfc3339_micros(out, 4102444800ULL * 1'000'000'000ULL + 7'000);
  append_rfc3339_micros(out, 4102444800ULL * 1'000'000'000ULL + 999'999'999);
  append_rfc3339_micros(out, 4102444801ULL * 1'000'000'000ULL);
  EXPECT_EQ(out,
            "2100-01-01T00:00:00.000007Z2100-01-01T00:00:00.999999Z2100-01-01T00:00:01.000000Z");
}

TEST(LineFormatTest, DurationsShowThreeSignificantDigits) {
  const auto d = [](std::uint64_t ns) {
    std::string out;
    append_duration(out, ns);
    return out;
  };
  EXPECT_EQ(d(0), "0.00ns");
  EXPECT_EQ(d(250), "250ns");
  EXPECT_EQ(d(4'500), "4.50\xC2\xB5s");
  EXPECT_EQ(d(12'345), "12.3\xC2\xB5s");
  EXPECT_EQ(d(1'500'000), "1.50ms");
  EXPECT_EQ(d(5'000'000'000ULL), "5.00s");
  EXPECT_EQ(d(5'000'000'000'000ULL), "5000s");
}

TEST(LineFormatTest, FullEventOutsideSpansHasEveryFieldKind) {
  const auto fields = every_kind_of_field();
  const Event event{kEventMeta, "paid", fields, kTime};
  EXPECT_EQ(format({}, event),
            "2026-11-21T14:05:50.123456Z  INFO shop::cart: paid n=-3 u=18446744073709551615 "
            "d=12.5 ok=true s=\"a \\\"q\\\"\" tags=[\"x\", \"y\"]\n");
}

TEST(LineFormatTest, FullEventInsideNestedSpansShowsSpanListAndIds) {
  NestedSpans spans;
  const Field fields[] = {{"k", Value::of_int(1)}};
  const Event event{kWarnMeta, "paid", fields, kTime, &spans.inner};
  EXPECT_EQ(format({}, event),
            "2026-11-21T14:05:50.123456Z  WARN outer{user=7}:inner{path=\"/a\"}: shop::cart: "
            "paid k=1 trace_id=0af7651916cd43dd8448eb211c80319c span_id=b7ad6b7169203331\n");
  EXPECT_EQ(format({.show_span_list = false}, event),
            "2026-11-21T14:05:50.123456Z  WARN inner{path=\"/a\"}: shop::cart: "
            "paid k=1 trace_id=0af7651916cd43dd8448eb211c80319c span_id=b7ad6b7169203331\n");
  EXPECT_EQ(format({.show_target = false, .show_trace_ids = false}, event),
            "2026-11-21T14:05:50.123456Z  WARN outer{user=7}:inner{path=\"/a\"}: paid k=1\n");
  EXPECT_EQ(format({.show_source_location = true, .show_trace_ids = false}, event),
            "2026-11-21T14:05:50.123456Z  WARN outer{user=7}:inner{path=\"/a\"}: shop::cart: "
            "src/cart.cpp:50: paid k=1\n");
}

TEST(LineFormatTest, FullEventWithoutMessageOrFieldsHasNoTrailingSpace) {
  const Event event{kEventMeta, "", {}, kTime};
  EXPECT_EQ(format({}, event), "2026-11-21T14:05:50.123456Z  INFO shop::cart:\n");
  const Field fields[] = {{"k", Value::of_int(1)}};
  const Event only_fields{kEventMeta, "", fields, kTime};
  EXPECT_EQ(format({}, only_fields), "2026-11-21T14:05:50.123456Z  INFO shop::cart: k=1\n");
}

TEST(LineFormatTest, CompactShowsSpanNamesAndAppendsSpanFields) {
  NestedSpans spans;
  const auto fields = every_kind_of_field();
  const Event outside{kEventMeta, "paid", fields, kTime};
  EXPECT_EQ(format({.format = LineFormat::kCompact}, outside),
            "2026-11-21T14:05:50.123456Z  INFO shop::cart: paid n=-3 u=18446744073709551615 "
            "d=12.5 ok=true s=\"a \\\"q\\\"\" tags=[\"x\", \"y\"]\n");
  const Field k[] = {{"k", Value::of_int(1)}};
  const Event inside{kEventMeta, "paid", k, kTime, &spans.inner};
  EXPECT_EQ(format({.format = LineFormat::kCompact}, inside),
            "2026-11-21T14:05:50.123456Z  INFO outer:inner: shop::cart: paid k=1 user=7 "
            "path=\"/a\" trace_id=0af7651916cd43dd8448eb211c80319c span_id=b7ad6b7169203331\n");
  EXPECT_EQ(format({.format = LineFormat::kCompact, .show_trace_ids = false}, inside),
            "2026-11-21T14:05:50.123456Z  INFO outer:inner: shop::cart: paid k=1 user=7 "
            "path=\"/a\"\n");
}

TEST(LineFormatTest, PrettyIsABlockWithLocationAndSpansInnermostFirst) {
  NestedSpans spans;
  const auto fields = every_kind_of_field();
  const Event outside{kEventMeta, "paid", fields, kTime};
  EXPECT_EQ(format({.format = LineFormat::kPretty}, outside),
            "  2026-11-21T14:05:50.123456Z  INFO shop::cart: paid, n: -3, "
            "u: 18446744073709551615, d: 12.5, ok: true, s: \"a \\\"q\\\"\", tags: [\"x\", \"y\"]\n"
            "\n");
  const Field k[] = {{"k", Value::of_int(1)}};
  const Event inside{kEventMeta, "paid", k, kTime, &spans.inner};
  EXPECT_EQ(format({.format = LineFormat::kPretty, .show_source_location = true}, inside),
            "  2026-11-21T14:05:50.123456Z  INFO shop::cart: paid, k: 1\n"
            "    at src/cart.cpp:42\n"
            "    in shop::db::inner with path: \"/a\"\n"
            "    in shop::cart::outer with user: 7\n"
            "    trace_id: 0af7651916cd43dd8448eb211c80319c, span_id: b7ad6b7169203331\n"
            "\n");
}

TEST(LineFormatTest, JsonLineHasEveryKeyAndTypedValues) {
  NestedSpans spans;
  const auto fields = every_kind_of_field();
  const Event event{kEventMeta, "paid", fields, kTime, &spans.inner};
  const std::string line =
      format({.format = LineFormat::kJson, .show_source_location = true}, event, true);
  EXPECT_EQ(line,
            "{\"timestamp\":\"2026-11-21T14:05:50.123456Z\",\"level\":\"INFO\","
            "\"target\":\"shop::cart\",\"message\":\"paid\",\"fields\":{\"n\":-3,"
            "\"u\":18446744073709551615,\"d\":12.5,\"ok\":true,\"s\":\"a \\\"q\\\"\","
            "\"tags\":[\"x\",\"y\"]},\"span\":{\"name\":\"inner\",\"path\":\"/a\"},"
            "\"spans\":[{\"name\":\"outer\",\"user\":7},{\"name\":\"inner\",\"path\":\"/a\"}],"
            "\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\",\"span_id\":\"b7ad6b7169203331\","
            "\"file\":\"src/cart.cpp\",\"line\":42}\n");

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(int64_t(doc["fields"]["n"]), -3);
  EXPECT_EQ(uint64_t(doc["fields"]["u"]), 18446744073709551615ULL);
  EXPECT_EQ(double(doc["fields"]["d"]), 12.5);
  EXPECT_EQ(bool(doc["fields"]["ok"]), true);
  EXPECT_EQ(std::string_view(doc["fields"]["s"]), "a \"q\"");
  EXPECT_EQ(int64_t(doc["spans"].at(0)["user"]), 7);
  EXPECT_EQ(std::string_view(doc["span"]["name"]), "inner");
}

TEST(LineFormatTest, JsonOutsideSpansHasNoSpanKeysAndThreadKeysWhenAsked) {
  const Event event{kEventMeta, "paid", {}, kTime};
  const std::string line = format(
      {.format = LineFormat::kJson, .show_thread_ids = true, .show_thread_names = true}, event);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
  EXPECT_EQ(doc["span"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(doc["trace_id"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(uint64_t(doc["thread_id"]), internal::current_thread_id());
  char name[16];
  EXPECT_EQ(std::string_view(doc["thread_name"]), internal::current_thread_name(name));
  simdjson::dom::object fields;
  ASSERT_EQ(doc["fields"].get_object().get(fields), simdjson::SUCCESS);
  EXPECT_EQ(fields.size(), 0u);
}

TEST(LineFormatTest, JsonNonFiniteNumbersAndSpanFieldCalledNameStayValid) {
  SpanRecord span;
  span.metadata = &kOuterMeta;
  span.context.trace_id = core::TraceId::from_hex(kTraceId).value();
  span.context.span_id = core::SpanId::from_hex(kOuterId).value();
  span.attributes.set("name", Value::of(std::string_view("bob")));
  const Field fields[] = {{"nan", Value::of(std::nan(""))},
                          {"inf", Value::of(-std::numeric_limits<double>::infinity())},
                          {"empty", Value()}};
  const Event event{kEventMeta, "x", fields, kTime, &span};
  const std::string line = format({.format = LineFormat::kJson}, event);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
  EXPECT_EQ(std::string_view(doc["fields"]["nan"]), "NaN");
  EXPECT_EQ(std::string_view(doc["fields"]["inf"]), "-inf");
  EXPECT_TRUE(doc["fields"]["empty"].value().is_null());
  EXPECT_EQ(std::string_view(doc["span"]["name"]), "outer");
  EXPECT_EQ(std::string_view(doc["span"]["field.name"]), "bob");
}

TEST(LineFormatTest, JsonEscapesControlsQuotesBackslashesAndReplacesInvalidUtf8) {
  const std::string nasty = std::string("a\"b\\c\n\t\x01\x1b[31m\x7f") + "\xC3\xA9" +
                            "\xF0\x9F\x98\x80" + "\xFF" + "\xC3" + "\xED\xA0\x80" + "z";
  const Field fields[] = {{"v", Value::of(std::string_view(nasty))}};
  const Event event{kEventMeta, nasty, fields, kTime};
  const std::string line = format({.format = LineFormat::kJson}, event);
  EXPECT_NE(line.find("\"message\":\"a\\\"b\\\\c\\n\\t\\u0001\\u001b[31m\x7f\xC3\xA9"
                      "\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                      "\xEF\xBF\xBDz\""),
            std::string::npos)
      << line;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
  EXPECT_EQ(std::string_view(doc["message"]), std::string_view(doc["fields"]["v"]));
}

TEST(LineFormatTest, JsonIsValidForRandomBytesAndRoundTripsValidUtf8) {
  std::mt19937 rng(1234);
  simdjson::dom::parser parser;
  for (int round = 0; round < 2000; ++round) {
    std::string text(rng() % 40, '\0');
    for (char& c : text) {
      // Mostly interesting bytes: controls, quotes, backslashes, UTF-8 lead and tail bytes.
      constexpr unsigned char kPool[] = {0,    1,    '\n', '"',  '\\', 'a',  0x7f, 0x80,
                                         0x9b, 0xbf, 0xc2, 0xc3, 0xe0, 0xed, 0xf0, 0xf4};
      c = static_cast<char>(rng() % 3 == 0 ? rng() % 256 : kPool[rng() % sizeof kPool]);
    }
    std::string line;
    core::append_json_string(line, text, internal::kJsonEscape);
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
    if (simdjson::validate_utf8(text.data(), text.size())) {
      EXPECT_EQ(std::string_view(doc), text);
    }
  }
}

TEST(LineFormatTest, EscapingFindsASpecialByteAtAnyPositionOfALongString) {
  struct Case {
    char byte;
    std::string_view json;
    std::string_view quoted;
  };
  const Case cases[] = {
      {'\n', "\\n", "\\n"},        {'"', "\\\"", "\\\""},
      {'\\', "\\\\", "\\\\"},      {'\x1b', "\\u001b", "\\u{1b}"},
      {'\x7f', "\x7f", "\\u{7f}"}, {'\x80', "\xEF\xBF\xBD", "\xEF\xBF\xBD"},
  };
  for (const Case& c : cases) {
    for (std::size_t pos = 0; pos < 40; ++pos) {
      std::string text(40, 'a');
      text[pos] = c.byte;
      const auto expected = [&](std::string_view escaped) {
        return text.substr(0, pos) + std::string(escaped) + text.substr(pos + 1);
      };
      std::string json;
      core::append_json_escaped(json, text, internal::kJsonEscape);
      EXPECT_EQ(json, expected(c.json)) << pos;
      std::string quoted;
      internal::append_escaped(quoted, text, internal::Escape::kQuoted);
      EXPECT_EQ(quoted, expected(c.quoted)) << pos;
    }
  }
}

TEST(LineFormatTest, TextEscapingKeepsOneEventOnOneLineAndBlocksTerminalEscapes) {
  const std::string_view nasty =
      "line1\nline2\r\x1b[2J\t\xC2\x9B"
      "done\xFF";
  const Field fields[] = {{"v", Value::of(nasty)}};
  const Event event{kEventMeta, nasty, fields, kTime};
  EXPECT_EQ(format({}, event),
            "2026-11-21T14:05:50.123456Z  INFO shop::cart: line1\\nline2\\r\\u{1b}[2J\t\\u{9b}"
            "done\xEF\xBF\xBD v=\"line1\\nline2\\r\\u{1b}[2J\\t\\u{9b}done\xEF\xBF\xBD\"\n");
}

TEST(LineFormatTest, AnsiColoursLevelDimsTargetAndItalicisesFieldNames) {
  const Field fields[] = {{"k", Value::of_int(1)}};
  const Event event{kEventMeta, "paid", fields, kTime};
  EXPECT_EQ(format({}, event, true),
            "\x1b[2m2026-11-21T14:05:50.123456Z\x1b[0m \x1b[32m INFO\x1b[0m "
            "\x1b[2mshop::cart:\x1b[0m paid \x1b[3mk\x1b[0m\x1b[2m=\x1b[0m1\n");
  const Metadata levels[] = {
      {"e", "t", core::Level::kTrace, "f", 1, "fn", CallsiteKind::kEvent, {}},
      {"e", "t", core::Level::kDebug, "f", 1, "fn", CallsiteKind::kEvent, {}},
      {"e", "t", core::Level::kWarn, "f", 1, "fn", CallsiteKind::kEvent, {}},
      {"e", "t", core::Level::kError, "f", 1, "fn", CallsiteKind::kEvent, {}},
  };
  const std::string_view expected[] = {"\x1b[35mTRACE", "\x1b[34mDEBUG", "\x1b[33m WARN",
                                       "\x1b[31mERROR"};
  for (std::size_t i = 0; i < 4; ++i) {
    const Event e{levels[i], "m", {}, kTime};
    EXPECT_NE(format({}, e, true).find(expected[i]), std::string::npos) << expected[i];
  }
  // No escape byte at all without ANSI, and JSON never has colours.
  EXPECT_EQ(format({}, event, false).find('\x1b'), std::string::npos);
  EXPECT_EQ(format({.format = LineFormat::kJson}, event, true).find('\x1b'), std::string::npos);
}

TEST(LineFormatTest, SpanNewAndCloseLinesCarryTimingsOnClose) {
  NestedSpans spans;
  const LineFormatter full({.span_events = SpanEvents::kNewAndClose}, false);
  EXPECT_TRUE(full.wants_new_span_lines());
  EXPECT_TRUE(full.wants_close_span_lines());
  std::string out;
  full.format_span_new(spans.inner, out);
  full.format_span_close(spans.inner, out);
  EXPECT_EQ(out,
            "2026-11-21T14:05:50.123456Z DEBUG outer{user=7}:inner{path=\"/a\"}: shop::db: new "
            "trace_id=0af7651916cd43dd8448eb211c80319c span_id=b7ad6b7169203331\n"
            "2026-11-21T14:05:50.125206Z DEBUG outer{user=7}:inner{path=\"/a\"}: shop::db: close "
            "time.busy=1.50ms time.idle=250ns "
            "trace_id=0af7651916cd43dd8448eb211c80319c span_id=b7ad6b7169203331\n");

  out.clear();
  LineFormatter({.format = LineFormat::kJson, .span_events = SpanEvents::kClose}, false)
      .format_span_close(spans.inner, out);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(out).get(doc), simdjson::SUCCESS) << out;
  EXPECT_EQ(std::string_view(doc["message"]), "close");
  EXPECT_EQ(std::string_view(doc["level"]), "DEBUG");
  EXPECT_EQ(std::string_view(doc["fields"]["time.busy"]), "1.50ms");
  EXPECT_EQ(std::string_view(doc["fields"]["time.idle"]), "250ns");

  out.clear();
  LineFormatter({.format = LineFormat::kPretty, .show_trace_ids = false}, false)
      .format_span_close(spans.inner, out);
  EXPECT_EQ(out,
            "  2026-11-21T14:05:50.125206Z DEBUG shop::db: close, time.busy: 1.50ms, "
            "time.idle: 250ns\n"
            "    in shop::db::inner with path: \"/a\"\n"
            "    in shop::cart::outer with user: 7\n\n");
  EXPECT_FALSE(LineFormatter({.span_events = SpanEvents::kClose}, false).wants_new_span_lines());
  EXPECT_FALSE(LineFormatter({}, false).wants_close_span_lines());
}

TEST(LineFormatTest, ThreadNameAndIdFollowTheLevel) {
  const Event event{kEventMeta, "paid", {}, kTime};
  char name[16];
  const std::string expected =
      "2026-11-21T14:05:50.123456Z  INFO " + std::string(internal::current_thread_name(name)) +
      " ThreadId(" + std::to_string(internal::current_thread_id()) + ") shop::cart: paid\n";
  EXPECT_EQ(format({.show_thread_ids = true, .show_thread_names = true}, event), expected);
}

TEST(LineFormatTest, VeryDeepSpanChainsAreCutAtTheRoot) {
  std::vector<SpanRecord> chain(40);
  for (std::size_t i = 0; i < chain.size(); ++i) {
    chain[i].metadata = &kOuterMeta;
    if (i > 0)
      chain[i].parent = &chain[i - 1];
  }
  const Event event{kEventMeta, "deep", {}, kTime, &chain.back()};
  const std::string line = format({.show_trace_ids = false}, event);
  EXPECT_EQ(line.rfind("2026-11-21T14:05:50.123456Z  INFO ...:outer:outer:", 0), 0u) << line;
  std::size_t count = 0;
  for (std::size_t p = line.find("outer:"); p != std::string::npos; p = line.find("outer:", p + 1))
    ++count;
  EXPECT_EQ(count, 32u);
}

}  // namespace
}  // namespace edgetrace::sdk
