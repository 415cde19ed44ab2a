// scan_protobuf(): counts what the decoder counts, and never vouches for bytes the decoder
// refuses. The reference is the protobuf library's own parser (decode_protobuf), run on the
// same bytes: valid requests of every value kind, hand-made malformations, and many
// mutations of valid requests (a fixed seed, so a failure repeats).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "codec_test_data.hpp"
#include "edgetrace/otlp/codec.hpp"

namespace edgetrace::otlp {
namespace {

std::size_t spans_of(const TraceRequest& r) {
  std::size_t n = 0;
  for (const auto& rs : r.resource_spans())
    for (const auto& ss : rs.scope_spans())
      n += static_cast<std::size_t>(ss.spans_size());
  return n;
}

std::size_t records_of(const LogsRequest& r) {
  std::size_t n = 0;
  for (const auto& rl : r.resource_logs())
    for (const auto& sl : rl.scope_logs())
      n += static_cast<std::size_t>(sl.log_records_size());
  return n;
}

TEST(WireScanTest, CountsTheSpansAndLogRecordsTheDecoderFinds) {
  TraceRequest traces = testdata::full_trace_request();
  *traces.add_resource_spans() = traces.resource_spans(0);  // two resources
  const std::optional<WireSummary> t = scan_protobuf(encode_protobuf(traces), /*logs=*/false);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->items, spans_of(traces));
  EXPECT_GE(t->items, 2u);

  LogsRequest logs;
  auto* sl = logs.add_resource_logs()->add_scope_logs();
  for (const int severity : {9, 17, 0, 13})
    sl->add_log_records()->set_severity_number(
        static_cast<opentelemetry::proto::logs::v1::SeverityNumber>(severity));
  std::optional<WireSummary> l = scan_protobuf(encode_protobuf(logs), /*logs=*/true);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->items, 4u);
  EXPECT_EQ(l->max_severity, 17);
  const LogsRequest full = testdata::full_logs_request();
  l = scan_protobuf(encode_protobuf(full), /*logs=*/true);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->items, records_of(full));
  EXPECT_EQ(l->max_severity, 24);  // its last record is SEVERITY_NUMBER_FATAL4
}

TEST(WireScanTest, AnEmptyRequestIsValidWithNoItems) {
  const std::optional<WireSummary> s = scan_protobuf("", /*logs=*/false);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->items, 0u);
}

TEST(WireScanTest, RefusesWhatTheDecoderRefuses) {
  TraceRequest r;
  auto* span = r.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_name("ok");
  const std::string good = encode_protobuf(r);
  ASSERT_TRUE(scan_protobuf(good, false).has_value());

  std::string bad_utf8 = good;
  const std::size_t at = bad_utf8.find("ok");
  bad_utf8[at] = '\xff';  // Span.name is a proto3 string
  TraceRequest decoded;
  ASSERT_FALSE(decode_protobuf(bad_utf8, decoded).ok());
  EXPECT_FALSE(scan_protobuf(bad_utf8, false).has_value());

  EXPECT_FALSE(scan_protobuf(good.substr(0, good.size() - 1), false).has_value());  // truncated
  EXPECT_FALSE(scan_protobuf(std::string("\x00\x01", 2), false).has_value());       // field 0
  EXPECT_FALSE(scan_protobuf(std::string("\x0f", 1), false).has_value());           // wire type 7

  DecodeLimits small;
  small.max_message_bytes = good.size() - 1;
  EXPECT_FALSE(scan_protobuf(good, false, small).has_value());
}

TEST(WireScanTest, NestingPastTheDepthLimitIsLeftToTheDecoder) {
  LogsRequest r;
  auto* body = r.add_resource_logs()->add_scope_logs()->add_log_records()->mutable_body();
  for (int i = 0; i < 40; ++i)
    body = body->mutable_array_value()->add_values();
  body->set_string_value("deep");
  const std::string wire = encode_protobuf(r);
  DecodeLimits limits;  // max_depth 64: 4 + 2 * 40 levels is past it
  LogsRequest decoded;
  EXPECT_FALSE(decode_protobuf(wire, decoded, limits).ok());
  EXPECT_FALSE(scan_protobuf(wire, true, limits).has_value());
  limits.max_depth = 200;
  EXPECT_TRUE(scan_protobuf(wire, true, limits).has_value());
}

// Valid rarities are not vouched for: the caller decodes them.
TEST(WireScanTest, ADeclaredFieldWithAnotherWireTypeIsLeftToTheDecoder) {
  // TraceRequest.resource_spans (field 1) sent as a varint: the parser keeps it as an
  // unknown field.
  const std::string wire("\x08\x01", 2);
  TraceRequest decoded;
  ASSERT_TRUE(decode_protobuf(wire, decoded).ok());
  EXPECT_FALSE(scan_protobuf(wire, false).has_value());
}

// Flips, inserts and deletes bytes of valid requests: whenever the scan vouches for the
// result, the decoder must accept it and count the same items.
template <typename Request>
void mutate_and_compare(const Request& original, bool logs, std::uint32_t seed) {
  const std::string wire = encode_protobuf(original);
  std::mt19937 rng(seed);
  int vouched = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string m = wire;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !m.empty(); ++e) {
      const std::size_t at = rng() % m.size();
      switch (rng() % 3) {
        case 0:
          m[at] = static_cast<char>(rng());
          break;
        case 1:
          m.insert(at, 1, static_cast<char>(rng()));
          break;
        default:
          m.erase(at, 1);
          break;
      }
    }
    const std::optional<WireSummary> s = scan_protobuf(m, logs);
    if (!s)
      continue;
    ++vouched;
    Request decoded;
    const core::Status status = decode_protobuf(m, decoded);
    ASSERT_TRUE(status.ok()) << "round " << round << ": " << status.to_string();
    if constexpr (std::is_same_v<Request, TraceRequest>)
      EXPECT_EQ(s->items, spans_of(decoded)) << "round " << round;
    else
      EXPECT_EQ(s->items, records_of(decoded)) << "round " << round;
  }
  EXPECT_GT(vouched, 100);  // the comparison ran on many mutated inputs
}

TEST(WireScanTest, NeverVouchesForMutatedBytesTheDecoderRefuses) {
  mutate_and_compare(testdata::full_trace_request(), false, 1);
  mutate_and_compare(testdata::full_logs_request(), true, 2);
}

}  // namespace
}  // namespace edgetrace::otlp
