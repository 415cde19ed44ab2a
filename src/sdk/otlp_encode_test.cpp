// The direct protobuf encoder against the message path: the bytes SpanRequestEncoder writes
// must parse to the same ExportTraceServiceRequest as to_otlp_span() builds.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>

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

// Encodes `records` both ways and compares the parsed requests.
void expect_same(const std::vector<const SpanRecord*>& records, bool with_schema = false) {
  const otlp::ExportTraceServiceRequest base = skeleton(with_schema);
  otlp::ExportTraceServiceRequest expected = base;
  for (const SpanRecord* r : records)
    to_otlp_span(*r, *expected.mutable_resource_spans(0)->mutable_scope_spans(0)->add_spans());

  SpanRequestEncoder enc(base);
  for (const SpanRecord* r : records)
    enc.add(*r);
  EXPECT_EQ(enc.count(), records.size());
  otlp::ExportTraceServiceRequest got;
  ASSERT_TRUE(got.ParseFromString(enc.finish()));
  std::string diff;
  google::protobuf::util::MessageDifferencer d;
  d.ReportDifferencesToString(&diff);
  EXPECT_TRUE(d.Compare(expected, got)) << diff;
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
