// Both decoders through the one Decoder interface: the same properties hold whatever the
// format (chunking does not matter, finish() drops a partial frame, reset() starts a new
// stream, counters count).
#include "edgetrace/decoder/decoder.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/edgetrace_decoder.hpp"
#include "edgetrace/decoder/render.hpp"

namespace edgetrace::decoder {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct FormatCase {
  const char* name;
  StreamFormat format;
  Bytes stream;         // a whole stream of `records` records
  std::size_t records;  // what `stream` decodes to
};

std::shared_ptr<const DefmtTable> defmt_table(DefmtEncoding encoding) {
  auto t = std::make_shared<DefmtTable>(encoding);
  t->add(1, DefmtTag::kInfo, "x={=u8}");
  return t;
}

std::unique_ptr<Decoder> make(const FormatCase& c, DecoderOptions options = {}) {
  DecoderTables tables;
  if (c.format != StreamFormat::kEdgetrace) {
    tables.defmt = defmt_table(c.format == StreamFormat::kDefmtRaw ? DefmtEncoding::kRaw
                                                                   : DefmtEncoding::kRzcobs);
  }
  auto d = make_decoder(c.format, std::move(tables), std::move(options));
  EXPECT_TRUE(d.ok()) << d.status().to_string();
  return d.ok() ? std::move(*d) : nullptr;
}

std::vector<std::string> decode(Decoder& d, const Bytes& bytes, std::size_t chunk) {
  std::vector<std::string> out;
  const RecordSink sink = [&](const Record& r) { out.push_back(render_json(r)); };
  for (std::size_t i = 0; i < bytes.size(); i += chunk) {
    const std::size_t n = std::min(chunk, bytes.size() - i);
    d.feed(std::span(bytes.data() + i, n), sink);
  }
  d.finish(sink);
  return out;
}

Bytes repeat(const Bytes& frames, int times) {
  Bytes out;
  for (int i = 0; i < times; ++i)
    out.insert(out.end(), frames.begin(), frames.end());
  return out;
}

std::vector<FormatCase> cases() {
  return {
      // Golden frames of tests/vectors/device_frames.txt: "handshake" (seq 5) then
      // "frames_dropped" (seq 9): both decode without a call-site table.
      {"edgetrace",
       StreamFormat::kEdgetrace,
       {0x01, 0x09, 0x45, 0x54, 0x01, 0x80, 0x20, 0xe8, 0x07, 0x03, 0x85, 0x02, 0x01, 0x02, 0x04,
        0xaa, 0xbb, 0xcc, 0xdd, 0xdd, 0x20, 0x00, 0x89, 0x02, 0x07, 0x03, 0xca, 0xb9, 0x00},
       2},
      // defmt "x=42" (index 1, u8 42): rzCOBS 01 2a 7a 00; raw 01 00 2a.
      {"defmt_rzcobs", StreamFormat::kDefmtRzcobs, repeat({0x01, 0x2a, 0x7a, 0x00}, 3), 3},
      {"defmt_raw", StreamFormat::kDefmtRaw, repeat({0x01, 0x00, 0x2a}, 3), 3},
  };
}

class DecoderInterfaceTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(DecoderInterfaceTest, FactoryBuildsTheFormatAsked) {
  auto d = make(GetParam());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->format(), GetParam().format);
  EXPECT_EQ(parse_stream_format(to_string(GetParam().format)).value(), GetParam().format);
}

TEST_P(DecoderInterfaceTest, ChunkingChangesNeitherRecordsNorCounters) {
  const FormatCase& c = GetParam();
  auto whole = make(c);
  const auto expected = decode(*whole, c.stream, c.stream.size());
  ASSERT_EQ(expected.size(), c.records);
  EXPECT_EQ(whole->counters().records, c.records);
  EXPECT_EQ(whole->counters().frames, c.records);
  EXPECT_EQ(whole->counters().bytes, c.stream.size());
  for (std::size_t chunk : {1u, 2u, 3u, 5u}) {
    auto d = make(c);
    EXPECT_EQ(decode(*d, c.stream, chunk), expected) << "chunk " << chunk;
    EXPECT_EQ(d->counters().records, whole->counters().records) << "chunk " << chunk;
    EXPECT_EQ(d->counters().frames, whole->counters().frames) << "chunk " << chunk;
    EXPECT_EQ(d->counters().bytes_skipped, whole->counters().bytes_skipped) << "chunk " << chunk;
    EXPECT_EQ(d->counters().corrupt_frames, 0u);
  }
}

TEST_P(DecoderInterfaceTest, FinishDropsAPartialFrameAndTheNextStreamDecodes) {
  const FormatCase& c = GetParam();
  auto d = make(c);
  std::vector<std::string> got;
  const RecordSink sink = [&](const Record& r) { got.push_back(render_json(r)); };
  // A stream cut inside its first frame: nothing decodes, even at finish().
  d->feed(std::span(c.stream.data(), 2), sink);
  d->finish(sink);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(d->counters().records, 0u);
  // A new whole stream after finish() decodes completely.
  auto fresh = make(c);
  EXPECT_EQ(decode(*d, c.stream, 4), decode(*fresh, c.stream, 4));
  EXPECT_EQ(d->counters().records, c.records);
}

TEST_P(DecoderInterfaceTest, ResetForgetsThePartialFrameAndKeepsTheCounters) {
  const FormatCase& c = GetParam();
  auto d = make(c);
  const auto first = decode(*d, c.stream, c.stream.size());
  // Half a frame, then the connection is replaced.
  d->feed(std::span(c.stream.data(), 2), [](const Record&) {});
  d->reset();
  EXPECT_EQ(d->counters().records, c.records) << "reset keeps the counters";
  const auto second = decode(*d, c.stream, 7);
  EXPECT_EQ(second, first);
  EXPECT_EQ(d->counters().records, 2 * c.records);
  EXPECT_EQ(d->counters().corrupt_frames, 0u);
}

TEST_P(DecoderInterfaceTest, RenderOptionControlsTheMessage) {
  const FormatCase& c = GetParam();
  std::vector<Record> rendered;
  std::vector<Record> bare;
  auto on = make(c, {.render = true});
  auto off = make(c, {.render = false});
  on->feed(c.stream, [&](const Record& r) { rendered.push_back(r); });
  off->feed(c.stream, [&](const Record& r) { bare.push_back(r); });
  ASSERT_EQ(rendered.size(), bare.size());
  for (std::size_t i = 0; i < bare.size(); ++i) {
    EXPECT_EQ(bare[i].kind, rendered[i].kind);
    if (bare[i].kind == RecordKind::kLog) {
      EXPECT_TRUE(bare[i].message.empty());
    }
  }
}

TEST_P(DecoderInterfaceTest, ProblemsReachOnProblemInEveryFormat) {
  const FormatCase& c = GetParam();
  std::vector<std::string> problems;
  auto d = make(c, {.on_problem = [&](std::string_view p) { problems.emplace_back(p); }});
  // The stream, then garbage that is no valid frame in any format, then the stream again.
  Bytes damaged = c.stream;
  damaged.insert(damaged.end(), {0x13, 0x37, 0xfe, 0x00});
  damaged.insert(damaged.end(), c.stream.begin(), c.stream.end());
  decode(*d, damaged, damaged.size());
  EXPECT_GT(d->counters().corrupt_frames + d->counters().malformed_records +
                d->counters().unknown_callsites,
            0u);
  EXPECT_FALSE(problems.empty());
}

INSTANTIATE_TEST_SUITE_P(Formats, DecoderInterfaceTest, ::testing::ValuesIn(cases()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(DecoderFactoryTest, DefmtFormatsNeedADefmtTable) {
  auto d = make_decoder(StreamFormat::kDefmtRzcobs, {});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), core::StatusCode::kInvalidArgument);
}

TEST(DecoderFactoryTest, FramingOverridesTheTableEncodingAndDefaultsComeFromTheTable) {
  const auto rz = defmt_table(DefmtEncoding::kRzcobs);
  EXPECT_EQ(defmt_stream_format(*rz), StreamFormat::kDefmtRzcobs);
  EXPECT_EQ(defmt_stream_format(*defmt_table(DefmtEncoding::kRaw)), StreamFormat::kDefmtRaw);
  auto raw = make_decoder(StreamFormat::kDefmtRaw, {.defmt = rz});
  ASSERT_TRUE(raw.ok());
  std::vector<std::string> lines;
  (*raw)->feed(Bytes{0x01, 0x00, 0x2a},
               [&](const Record& r) { lines.push_back(format_defmt_line(r)); });
  EXPECT_EQ(lines, std::vector<std::string>{"INFO  x=42"});
  EXPECT_FALSE(parse_stream_format("defmt").ok());
}

}  // namespace
}  // namespace edgetrace::decoder
