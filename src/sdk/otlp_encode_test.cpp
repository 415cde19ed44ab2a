// The direct protobuf encoder against the message path: the bytes SpanRequestEncoder writes
// must parse to the same ExportTraceServiceRequest as to_otlp_span() builds.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <array>
#include <limits>
#include <string>

#include "edgetrace/config/otel_environment.hpp"
#include "internal/otlp_convert.hpp"
#include "internal/otlp_encode.hpp"

namespace edgetrace::sdk::internal {
namespace {

const Metadata kMeta{"checkout", "shop::cart",         core::Level::kInfo,  "cart.cpp",
                     12,         "void checkout(int)", CallsiteKind::kSpan, {}};

otlp::ExportTraceServiceRequest skeleton(bool with_schema) {
  otlp::ExportTraceServiceRequest r;
  auto* rs = r.add_resource_spans();
  auto* a = rs->mutable_resource()->add_attributes();
  a->set_key("service.name");
  a->mutable_value()->set_string_value("shop");
  rs->mutable_resource()->set_dropped_attributes_count(2);
  if (with_schema)
    rs->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
  auto* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name("edgetrace");
  ss->mutable_scope()->set_version("0.2.0");
  return r;
}

void fill_basic(SpanRecord& r, std::uint8_t seed) {
  r.metadata = &kMeta;
  std::array<std::uint8_t, 16> t{};
  std::array<std::uint8_t, 8> s{};
  for (std::size_t i = 0; i < t.size(); ++i)
    t[i] = static_cast<std::uint8_t>(seed + i);
  for (std::size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<std::uint8_t>(seed * 3 + i);
  r.context.trace_id = core::TraceId(t);
  r.context.span_id = core::SpanId(s);
  r.context.flags = core::TraceFlags{core::TraceFlags::kSampled};
  r.start_unix_nano = 1'700'000'000'000'000'000ull + seed;
  r.end_unix_nano = r.start_unix_nano + 1234;
}

// `bytes` parse to a message equal to `expected`, field for field.
template <typename Message>
void expect_parses_to(const Message& expected, const std::string& bytes) {
  Message got;
  EXPECT_TRUE(got.ParseFromString(bytes));
  std::string diff;
  google::protobuf::util::MessageDifferencer d;
  d.ReportDifferencesToString(&diff);
  EXPECT_TRUE(d.Compare(expected, got)) << diff;
}

// Encodes `records` both ways and compares the parsed requests; returns the expected one.
otlp::ExportTraceServiceRequest expect_same(const std::vector<const SpanRecord*>& records,
                                            bool with_schema = false,
                                            const OtlpLimits& limits = {}) {
  const otlp::ExportTraceServiceRequest base = skeleton(with_schema);
  otlp::ExportTraceServiceRequest expected = base;
  for (const SpanRecord* r : records)
    to_otlp_span(*r, *expected.mutable_resource_spans(0)->mutable_scope_spans(0)->add_spans(),
                 limits);

  SpanRequestEncoder enc(base, limits);
  for (const SpanRecord* r : records)
    enc.add(*r);
  EXPECT_EQ(enc.count(), records.size());
  expect_parses_to(expected, enc.finish());
  return expected;
}

TEST(OtlpEncodeTest, PlainSpanMatchesTheMessagePath) {
  SpanRecord r;
  fill_basic(r, 1);
  expect_same({&r});
  expect_same({&r}, /*with_schema=*/true);
}

TEST(OtlpEncodeTest, EveryValueKindMatches) {
  SpanRecord r;
  fill_basic(r, 7);
  const core::AttributeValue array(std::vector<std::int64_t>{1, 2, 3});
  r.attributes.set("s.short", Value::of("GET"));
  r.attributes.set("s.long", Value::of("/users/{id}/orders/{order}"));
  r.attributes.set("s.empty", Value::of(""));
  r.attributes.set("i", Value::of_int(-5));
  r.attributes.set("i.big", Value::of_int(std::numeric_limits<std::int64_t>::min()));
  r.attributes.set("u", Value::of_uint(42));
  r.attributes.set("u.huge", Value::of_uint(std::numeric_limits<std::uint64_t>::max()));
  r.attributes.set("d", Value::of(2.5));
  r.attributes.set("d.zero", Value::of(0.0));
  r.attributes.set("b.true", Value::of(true));
  r.attributes.set("b.false", Value::of(false));
  r.attributes.set("empty", Value());
  r.attributes.set("array", Value::of(array));
  r.attributes.set("", Value::of("no key"));
  expect_same({&r});
}

TEST(OtlpEncodeTest, ParentsStateEventsLinksAndStatusMatch) {
  SpanRecord r;
  fill_basic(r, 9);
  std::array<std::uint8_t, 8> p{9, 8, 7, 6, 5, 4, 3, 2};
  r.parent_span_id = core::SpanId(p);
  r.parent_remote = true;
  r.kind = SpanKind::kServer;
  r.context.state = core::TraceState::parse("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7").value();
  r.status = SpanStatusCode::kError;
  r.status_message = "backend timeout";
  r.renamed_ = true;
  r.name_override_ = "GET /users/{id}";
  r.dropped_events = 3;
  r.events.resize(2);
  r.event_count = 2;
  r.events[0].name = "exception";
  r.events[0].time_unix_nano = r.start_unix_nano + 10;
  r.events[0].fields.set("exception.type", Value::of("std::runtime_error"));
  r.events[0].fields.set("exception.message", Value::of("boom"));
  r.events[1].name = "";
  r.events[1].time_unix_nano = 0;
  r.links.resize(1);
  r.link_count = 1;
  fill_basic(r, 9);  // keeps the fields above; ids again
  SpanRecord other;
  fill_basic(other, 30);
  r.links[0].context = other.context;
  r.links[0].context.remote = true;
  r.links[0].context.state = core::TraceState::parse("vendor=x").value();
  r.links[0].fields.set("link.kind", Value::of("follows"));
  r.attributes.set_limit(1);
  r.attributes.set("kept", Value::of_int(1));
  r.attributes.set("dropped", Value::of_int(2));
  ASSERT_EQ(r.attributes.dropped(), 1u);

  SpanRecord ok;
  fill_basic(ok, 40);
  ok.status = SpanStatusCode::kOk;
  ok.kind = SpanKind::kConsumer;
  ok.context.flags = core::TraceFlags{0};
  expect_same({&r, &ok, &r});
}

TEST(OtlpEncodeTest, ClearStartsANewRequestAndAnEmptyBatchIsValid) {
  const otlp::ExportTraceServiceRequest base = skeleton(true);
  SpanRequestEncoder enc(base);
  SpanRecord r;
  fill_basic(r, 2);
  enc.add(r);
  enc.add(r);
  enc.clear();
  EXPECT_EQ(enc.count(), 0u);
  otlp::ExportTraceServiceRequest empty;
  ASSERT_TRUE(empty.ParseFromString(enc.finish()));
  ASSERT_EQ(empty.resource_spans_size(), 1);
  EXPECT_EQ(empty.resource_spans(0).scope_spans(0).spans_size(), 0);
  EXPECT_EQ(empty.resource_spans(0).scope_spans(0).scope().name(), "edgetrace");
  enc.add(r);
  otlp::ExportTraceServiceRequest one;
  ASSERT_TRUE(one.ParseFromString(enc.finish()));
  EXPECT_EQ(one.resource_spans(0).scope_spans(0).spans_size(), 1);
}

}  // namespace
}  // namespace edgetrace::sdk::internal

namespace edgetrace::sdk::internal {
namespace {

TEST(OtlpLimitsTest, TruncateCharsCountsCodePointsAndNeverSplitsASequence) {
  EXPECT_EQ(truncate_chars("hello", 3), "hel");
  EXPECT_EQ(truncate_chars("hello", 5), "hello");
  EXPECT_EQ(truncate_chars("hello", 0), "");
  EXPECT_EQ(truncate_chars("hello", OtlpLimits::kNone), "hello");
  // "h\u00e9llo": 6 bytes, 5 characters; 2 characters are 3 bytes.
  EXPECT_EQ(truncate_chars("h\xc3\xa9llo", 2), "h\xc3\xa9");
  EXPECT_EQ(truncate_chars("h\xc3\xa9llo", 5), "h\xc3\xa9llo");
  // Four-byte characters (U+1F600) count as one each.
  EXPECT_EQ(truncate_chars("\xf0\x9f\x98\x80\xf0\x9f\x98\x80x", 1), "\xf0\x9f\x98\x80");
  // Invalid UTF-8 is cut by the same rule: stray continuation bytes stay with what precedes.
  EXPECT_EQ(truncate_chars("a\x80\x80"
                           "b",
                           1),
            "a\x80\x80");
}

TEST(OtlpLimitsTest, SpanLimitsDropAndCutTheSameWayOnBothPaths) {
  SpanRecord r;
  fill_basic(r, 11);
  const core::AttributeValue strings(
      std::vector<std::string>{"abcdef", "x", "\xc3\xa9\xc3\xa9\xc3\xa9"});
  const core::AttributeValue long_string(std::string("0123456789"));
  r.attributes.set("a", Value::of("abcdef"));
  r.attributes.set("b", Value::of(strings));
  r.attributes.set("c", Value::of(long_string));
  r.attributes.set("d", Value::of_int(4));
  r.events.resize(3);
  r.event_count = 3;
  r.dropped_events = 1;  // dropped as the span was recorded
  for (SpanEventData& e : r.events) {
    e.name = "e";
    e.fields.set("k1", Value::of("long value"));
    e.fields.set("k2", Value::of_int(2));
  }
  r.links.resize(2);
  r.link_count = 2;
  for (SpanLinkData& l : r.links) {
    l.context = r.context;
    l.fields.set("l1", Value::of_int(1));
    l.fields.set("l2", Value::of_int(2));
    l.fields.set("l3", Value::of_int(3));
  }
  OtlpLimits limits;
  limits.span_attribute_count = 3;
  limits.span_attribute_value_length = 2;
  limits.span_event_count = 2;
  limits.span_link_count = 1;
  limits.event_attribute_count = 1;
  limits.link_attribute_count = 2;
  const otlp::ExportTraceServiceRequest sent = expect_same({&r}, false, limits);
  const auto& span = sent.resource_spans(0).scope_spans(0).spans(0);

  ASSERT_EQ(span.attributes_size(), 3);
  EXPECT_EQ(span.dropped_attributes_count(), 1u);
  EXPECT_EQ(span.attributes(0).value().string_value(), "ab");
  const auto& array = span.attributes(1).value().array_value();
  ASSERT_EQ(array.values_size(), 3);
  EXPECT_EQ(array.values(0).string_value(), "ab");
  EXPECT_EQ(array.values(1).string_value(), "x");
  EXPECT_EQ(array.values(2).string_value(), "\xc3\xa9\xc3\xa9");
  EXPECT_EQ(span.attributes(2).value().string_value(), "01");

  ASSERT_EQ(span.events_size(), 2);
  EXPECT_EQ(span.dropped_events_count(), 2u);  // 1 at recording, 1 over the limit
  ASSERT_EQ(span.events(0).attributes_size(), 1);
  EXPECT_EQ(span.events(0).attributes(0).value().string_value(), "lo");
  EXPECT_EQ(span.events(0).dropped_attributes_count(), 1u);

  ASSERT_EQ(span.links_size(), 1);
  EXPECT_EQ(span.dropped_links_count(), 1u);
  EXPECT_EQ(span.links(0).attributes_size(), 2);
  EXPECT_EQ(span.links(0).dropped_attributes_count(), 1u);

  // Without limits (the defaults) everything goes as recorded.
  const otlp::ExportTraceServiceRequest whole = expect_same({&r});
  const auto& w = whole.resource_spans(0).scope_spans(0).spans(0);
  EXPECT_EQ(w.attributes_size(), 4);
  EXPECT_EQ(w.attributes(0).value().string_value(), "abcdef");
  EXPECT_EQ(w.events_size(), 3);
  EXPECT_EQ(w.dropped_events_count(), 1u);
  EXPECT_EQ(w.links_size(), 2);
  EXPECT_EQ(w.dropped_links_count(), 0u);
}

TEST(OtlpLimitsTest, LogRecordLimitsApplyToTheEventsFieldsAndCutTheSdksOwnStrings) {
  static const Metadata meta{"checkout failed",
                             "shop::cart",
                             core::Level::kWarn,
                             "cart.cpp",
                             12,
                             "void checkout(int)",
                             CallsiteKind::kEvent,
                             {}};
  OtlpLogItem item;
  item.metadata = &meta;
  item.fields.set("user", Value::of("alice@example"));
  item.fields.set("cart", Value::of_int(3));
  item.fields.set("total", Value::of(9.5));
  LogRecordOptions options;
  options.code_location = true;
  options.attribute_count_limit = 2;
  options.attribute_value_length_limit = 4;
  otlp_proto::logs::v1::LogRecord out;
  to_otlp_log_record(item, options, out);
  // user, cart (cut and kept), then the SDK's log.target and code.* (not counted).
  ASSERT_GE(out.attributes_size(), 4);
  EXPECT_EQ(out.attributes(0).key(), "user");
  EXPECT_EQ(out.attributes(0).value().string_value(), "alic");
  EXPECT_EQ(out.attributes(1).key(), "cart");
  EXPECT_EQ(out.attributes(2).key(), "log.target");
  EXPECT_EQ(out.attributes(2).value().string_value(), "shop");
  EXPECT_EQ(out.dropped_attributes_count(), 1u);

  LogRecordOptions defaults;
  to_otlp_log_record(item, defaults, out);
  EXPECT_EQ(out.attributes(0).value().string_value(), "alice@example");
  EXPECT_EQ(out.attributes(2).key(), "total");
  EXPECT_EQ(out.dropped_attributes_count(), 0u);
}

TEST(OtlpLimitsTest, ASpecificVariableWinsOverTheGeneralOneWhichWinsOverTheDefault) {
  const OtlpLimits defaults = otlp_limits(config::read_otel_environment(core::map_environment({})));
  EXPECT_EQ(defaults.span_attribute_count, 128u);
  EXPECT_EQ(defaults.span_attribute_value_length, OtlpLimits::kNone);
  EXPECT_EQ(defaults.log_attribute_value_length, OtlpLimits::kNone);
  EXPECT_EQ(defaults.span_event_count, 128u);

  const OtlpLimits l = otlp_limits(config::read_otel_environment(core::map_environment({
      {"OTEL_ATTRIBUTE_COUNT_LIMIT", "10"},
      {"OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "20"},
      {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "30"},
      {"OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "40"},
      {"OTEL_SPAN_LINK_COUNT_LIMIT", "5"},
  })));
  EXPECT_EQ(l.span_attribute_count, 30u);         // specific
  EXPECT_EQ(l.event_attribute_count, 10u);        // general
  EXPECT_EQ(l.link_attribute_count, 10u);         // general
  EXPECT_EQ(l.log_attribute_count, 10u);          // general
  EXPECT_EQ(l.span_attribute_value_length, 20u);  // general
  EXPECT_EQ(l.log_attribute_value_length, 40u);   // specific
  EXPECT_EQ(l.span_event_count, 128u);            // no general count of events
  EXPECT_EQ(l.span_link_count, 5u);
}

// Log records: the bytes LogRequestEncoder writes against the request LogRequestBuilder
// (the message path) builds from the same items.
otlp::ExportLogsServiceRequest expect_same_logs(const std::vector<const OtlpLogItem*>& items,
                                                const LogRecordOptions& options) {
  otlp::ExportLogsServiceRequest base;
  auto* rl = base.add_resource_logs();
  auto* a = rl->mutable_resource()->add_attributes();
  a->set_key("service.name");
  a->mutable_value()->set_string_value("shop");
  rl->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
  LogRequestBuilder builder(base, "edgetrace", "1.4.2", options);
  builder.clear();
  for (const OtlpLogItem* item : items)
    builder.add(*item);
  const otlp::ExportLogsServiceRequest expected = builder.request();
  LogRequestEncoder enc(base, "edgetrace", "1.4.2", options);
  for (int round = 0; round < 2; ++round) {  // the second after clear(): buffers reused
    enc.clear();
    for (const OtlpLogItem* item : items)
      enc.add(*item);
    EXPECT_EQ(enc.count(), items.size());
    expect_parses_to(expected, enc.finish());
  }
  return expected;
}

TEST(OtlpEncodeTest, LogRecordsMatchTheMessagePath) {
  static const Metadata cart{"event cart.cpp:12",
                             "shop::cart",
                             core::Level::kInfo,
                             "cart.cpp",
                             12,
                             "void checkout(int)",
                             CallsiteKind::kEvent,
                             {}};
  static const Metadata pay{
      "event pay.cpp:40",   "shop::pay", core::Level::kError, "pay.cpp", 40, "",
      CallsiteKind::kEvent, {}};
  static const Metadata none{"event main.cpp:3",   "", core::Level::kTrace, "", 0, "",
                             CallsiteKind::kEvent, {}};
  OtlpLogItem a;
  a.metadata = &cart;
  a.time_unix_nano = 1'700'000'000'000'000'001ull;
  a.message.assign("checkout done");
  a.fields.set("order", Value::of_int(42));
  a.fields.set("user", Value::of("alice@example"));
  a.fields.set("total", Value::of(9.5));
  const core::AttributeValue tags(std::vector<std::string>{"new", "vip"});
  a.fields.set("tags", Value::of(tags));
  OtlpLogItem b;
  b.metadata = &pay;
  b.time_unix_nano = 1'700'000'000'000'000'002ull;
  b.message.assign("");
  b.in_sampled_span = true;
  b.trace_flags = 1;
  std::array<std::uint8_t, 16> t{};
  std::array<std::uint8_t, 8> sp{};
  for (std::size_t i = 0; i < t.size(); ++i)
    t[i] = static_cast<std::uint8_t>(0xa0 + i);
  for (std::size_t i = 0; i < sp.size(); ++i)
    sp[i] = static_cast<std::uint8_t>(0x10 + i);
  b.trace_id = core::TraceId(t);
  b.span_id = core::SpanId(sp);
  b.fields.set("exception.type", Value::of("std::runtime_error"));
  b.stack.text = "#0 pay()\n#1 main()";
  OtlpLogItem c;  // no target, no time, no fields
  c.metadata = &none;
  c.message.assign("trace");
  OtlpLogItem d = {};
  d.metadata = &cart;
  d.message.assign("again");
  d.in_sampled_span = true;  // flags 0: not sampled-through, ids still set
  d.trace_id = core::TraceId(t);
  d.span_id = core::SpanId(sp);

  LogRecordOptions plain;
  const auto sent = expect_same_logs({&a, &b, &c, &d}, plain);
  // One scope per target, in first-seen order; no target: the default scope.
  const auto& scopes = sent.resource_logs(0).scope_logs();
  ASSERT_EQ(scopes.size(), 3);
  EXPECT_EQ(scopes[0].scope().name(), "shop::cart");
  EXPECT_EQ(scopes[1].scope().name(), "shop::pay");
  EXPECT_EQ(scopes[2].scope().name(), "edgetrace");
  for (const auto& scope : scopes)
    EXPECT_EQ(scope.scope().version(), "1.4.2");
  ASSERT_EQ(scopes[0].log_records_size(), 2);  // a and d
  EXPECT_EQ(scopes[0].log_records(0).body().string_value(), "checkout done");
  EXPECT_EQ(scopes[0].log_records(1).body().string_value(), "again");

  LogRecordOptions located;
  located.code_location = true;
  located.attribute_count_limit = 2;
  located.attribute_value_length_limit = 3;
  const auto limited = expect_same_logs({&a, &b, &c, &d}, located);
  const auto& first = limited.resource_logs(0).scope_logs(0).log_records(0);
  EXPECT_EQ(first.dropped_attributes_count(), 2u);
  EXPECT_EQ(first.attributes(1).value().string_value(), "ali");
}

}  // namespace
}  // namespace edgetrace::sdk::internal
