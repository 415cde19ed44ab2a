#include "edgetrace/decoder/edgetrace_decoder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <new>
#include <random>

#include "edgetrace/decoder/render.hpp"
#include "testing/edgetrace_wire_writer.hpp"
#include "testing/golden_vectors.hpp"

// Counts heap allocations, for DecoderAllocationTest.
namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}
// GCC cannot see that this file's operator new pairs with these.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace edgetrace::decoder {
namespace {

using testing::from_hex;
using testing::load_golden_vectors;
using testing::make_frame;

std::shared_ptr<const EdgetraceTable> table_from(const std::vector<testing::SiteSpec>& sites,
                                                 std::vector<std::uint8_t> build_id = {}) {
  const auto meta = testing::make_meta(sites, 0x1000, 8);
  auto t = EdgetraceTable::from_sections(meta, 0x1000, 4096, 8, true, std::move(build_id));
  EXPECT_TRUE(t) << t.status().to_string();
  return std::make_shared<const EdgetraceTable>(std::move(t).value());
}

testing::GoldenVectors session() {
  auto v = load_golden_vectors("device_session.txt");
  EXPECT_TRUE(v.error.empty()) << v.error;
  return v;
}

struct Collected {
  std::vector<Record> records;
  std::vector<std::string> lines;  // render_text with ticks

  // Lines without time: after a lost frame, its time delta is lost too.
  std::vector<std::string> untimed() const {
    std::vector<std::string> out;
    for (const Record& r : records) {
      out.push_back(render_text(r, {.time = TextOptions::Time::kNone}));
    }
    return out;
  }
};

Collected decode(StreamDecoder& d, const std::vector<std::uint8_t>& bytes, std::size_t chunk = 0) {
  Collected c;
  auto sink = [&c](const Record& r) {
    c.records.push_back(r);
    c.lines.push_back(render_text(r, {.time = TextOptions::Time::kTicks}));
  };
  if (chunk == 0) {
    d.feed(bytes, sink);
  } else {
    for (std::size_t i = 0; i < bytes.size(); i += chunk) {
      d.feed(std::span(bytes).subspan(i, std::min(chunk, bytes.size() - i)), sink);
    }
  }
  return c;
}

std::vector<std::uint8_t> join(const std::vector<std::vector<std::uint8_t>>& frames) {
  std::vector<std::uint8_t> out;
  for (const auto& f : frames) {
    out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

// --- golden vectors -------------------------------------------------------------------

TEST(DecoderVectorsTest, FrameWriterMatchesGoldenBytes) {
  const auto v = load_golden_vectors("device_frames.txt");
  ASSERT_TRUE(v.error.empty()) << v.error;
  ASSERT_GE(v.frames.size(), 5u);
  for (const auto& f : v.frames) {
    EXPECT_EQ(make_frame(f.record, static_cast<std::uint8_t>(f.seq)), f.bytes) << f.name;
  }
}

TEST(DecoderVectorsTest, EveryGoldenFrameDeframesToItsRecordAndSequence) {
  const auto v = load_golden_vectors("device_frames.txt");
  ASSERT_TRUE(v.error.empty()) << v.error;
  for (const auto& f : v.frames) {
    std::vector<std::uint8_t> got;
    int seq = -1;
    DecoderOptions o;
    o.on_frame = [&](std::span<const std::uint8_t> record, std::uint8_t s) {
      got.assign(record.begin(), record.end());
      seq = s;
    };
    StreamDecoder d(nullptr, o);
    decode(d, f.bytes);
    EXPECT_EQ(d.counters().frames, 1u) << f.name;
    EXPECT_EQ(d.counters().corrupt_frames, 0u) << f.name;
    EXPECT_EQ(got, f.record) << f.name;
    EXPECT_EQ(seq, f.seq) << f.name;
  }
}

TEST(DecoderVectorsTest, GoldenSessionDecodesToTheListedEvents) {
  const auto v = session();
  ASSERT_EQ(v.sites.size(), 6u);
  StreamDecoder d(table_from(v.sites));
  const auto c = decode(d, v.stream);
  EXPECT_EQ(c.lines, v.expect);
  const DecoderCounters& k = d.counters();
  EXPECT_EQ(k.frames, v.stream_frames.size());
  EXPECT_EQ(k.records, v.expect.size());
  EXPECT_EQ(k.corrupt_frames, 0u);
  EXPECT_EQ(k.lost_frames, 0u);
  EXPECT_EQ(k.unknown_callsites, 0u);
  EXPECT_EQ(k.build_id_mismatches, 0u);
  EXPECT_EQ(k.bytes_skipped, 0u);
  EXPECT_EQ(k.dropped_records, 2u);
  EXPECT_EQ(k.handshakes, 1u);
}

TEST(DecoderVectorsTest, GoldenSessionRecordsCarryStructuredFields) {
  const auto v = session();
  StreamDecoder d(table_from(v.sites), {.render = false});
  const auto c = decode(d, v.stream);
  ASSERT_EQ(c.records.size(), 9u);

  const Record& hs = c.records[0];
  EXPECT_EQ(hs.kind, RecordKind::kHandshake);
  EXPECT_EQ(hs.handshake.build_id, (std::vector<std::uint8_t>{0xaa, 0xbb, 0xcc, 0xdd}));
  EXPECT_EQ(hs.handshake.device_id, (std::vector<std::uint8_t>{0x01, 0x02}));
  EXPECT_EQ(hs.handshake.boot_counter, 3u);
  EXPECT_EQ(hs.handshake.tick_hz, 1000u);
  EXPECT_EQ(hs.device_ticks, 4096u);

  const Record& log = c.records[1];
  EXPECT_EQ(log.kind, RecordKind::kLog);
  EXPECT_EQ(log.device_ticks, 4101u);
  EXPECT_TRUE(log.has_ticks);
  EXPECT_EQ(log.tick_hz, 1000u);
  EXPECT_EQ(log.level, core::Level::kInfo);
  EXPECT_EQ(log.callsite_id, 8u);
  EXPECT_EQ(log.format, "temp={} hum={}");
  EXPECT_EQ(log.message, "");  // rendering off
  ASSERT_EQ(log.args.size(), 2u);
  EXPECT_EQ(log.args[0].name, "arg0");
  EXPECT_EQ(log.args[0].type, "i32");
  EXPECT_EQ(log.args[0].value, core::AttributeValue(21));
  EXPECT_EQ(log.args[1].value, core::AttributeValue(40));
  EXPECT_EQ(log.location.file, "vector.c");

  const Record& hi = c.records[3];
  ASSERT_EQ(hi.args.size(), 2u);
  EXPECT_EQ(hi.args[0].type, "str");
  EXPECT_EQ(hi.args[0].value, core::AttributeValue("hi"));
  EXPECT_EQ(hi.args[1].type, "u32");
  EXPECT_EQ(hi.args[1].hint, "x");
  EXPECT_EQ(hi.args[1].value, core::AttributeValue(300));

  const Record& enter = c.records[2];
  EXPECT_EQ(enter.kind, RecordKind::kSpanEnter);
  EXPECT_EQ(enter.span_name, "measure");
  EXPECT_EQ(enter.span_id, 1u);
  EXPECT_EQ(enter.start_ticks, 4103u);

  const Record& exit = c.records[4];
  EXPECT_EQ(exit.kind, RecordKind::kSpanExit);
  EXPECT_EQ(exit.span_name, "measure");
  EXPECT_EQ(exit.start_ticks, 4103u);
  EXPECT_EQ(exit.end_ticks, 4114u);
  EXPECT_EQ(exit.root_span_id, 1u);
  EXPECT_FALSE(exit.trace_id.has_value());

  EXPECT_EQ(c.records[5].kind, RecordKind::kDropped);
  EXPECT_EQ(c.records[5].dropped, 2u);

  const Record& f = c.records[6];
  ASSERT_EQ(f.args.size(), 1u);
  EXPECT_EQ(f.args[0].type, "f32");
  EXPECT_EQ(f.args[0].value, core::AttributeValue(2.5));

  const Record& remote = c.records[8];
  EXPECT_EQ(remote.span_name, "command");
  ASSERT_TRUE(remote.trace_id.has_value());
  EXPECT_EQ(remote.trace_id->to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_TRUE(remote.remote_parent.has_value());
  EXPECT_EQ(remote.remote_parent->span_id.to_hex(), "00f067aa0ba902b7");
  EXPECT_EQ(remote.remote_parent->trace_id.to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_TRUE(remote.remote_parent->sampled());
  EXPECT_TRUE(remote.remote_parent->remote);
  EXPECT_EQ(remote.start_ticks, 4314u);
  EXPECT_EQ(remote.end_ticks, 4317u);
}

// --- chunking and joining mid-stream -----------------------------------------------

TEST(DecoderChunkingTest, OneByteAtATimeGivesIdenticalRecordsAndCounters) {
  const auto v = session();
  StreamDecoder whole(table_from(v.sites));
  const auto a = decode(whole, v.stream);
  for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u}) {
    StreamDecoder d(table_from(v.sites));
    const auto b = decode(d, v.stream, chunk);
    EXPECT_EQ(b.records, a.records) << "chunk " << chunk;
    EXPECT_EQ(d.counters(), whole.counters()) << "chunk " << chunk;
  }
}

TEST(DecoderChunkingTest, RandomChunkingOfALongStreamIsIdentical) {
  const auto v = session();
  std::vector<std::uint8_t> stream;
  for (int i = 0; i < 20; ++i) {
    stream.insert(stream.end(), v.stream.begin(), v.stream.end());  // restarts at seq 0
  }
  StreamDecoder whole(table_from(v.sites));
  const auto a = decode(whole, stream);
  ASSERT_EQ(a.records.size(), 180u);
  std::mt19937 rng(7);
  StreamDecoder d(table_from(v.sites));
  Collected b;
  for (std::size_t i = 0; i < stream.size();) {
    const std::size_t n = std::min<std::size_t>(rng() % 40, stream.size() - i);
    d.feed(std::span(stream).subspan(i, n), [&b](const Record& r) { b.records.push_back(r); });
    i += n;
  }
  EXPECT_EQ(b.records, a.records);
  EXPECT_EQ(d.counters(), whole.counters());
  EXPECT_EQ(d.counters().lost_frames, 0u);  // a handshake with seq 0 is a restart
}

TEST(DecoderChunkingTest, FrameCutOffByTheEndOfTheStreamIsCountedAsSkipped) {
  const auto v = session();
  // The stream ends 3 bytes before the end of its last frame (delimiter included).
  const std::size_t cut = 3;
  const std::size_t partial = v.stream_frames.back().size() - cut;
  std::vector<std::uint8_t> bytes(v.stream.begin(),
                                  v.stream.end() - static_cast<std::ptrdiff_t>(cut));
  StreamDecoder d(table_from(v.sites));
  d.feed(bytes, [](const Record&) {});
  EXPECT_EQ(d.counters().bytes_skipped, 0u);  // still waiting for the rest of the frame
  d.finish([](const Record&) {});
  EXPECT_EQ(d.counters().bytes_skipped, partial);
  EXPECT_EQ(d.counters().corrupt_frames, 0u);
  EXPECT_EQ(d.counters().frames, v.stream_frames.size() - 1);
}

TEST(DecoderChunkingTest, JoiningMidFrameSkipsToTheNextDelimiter) {
  const auto v = session();
  // Start inside the third frame: its tail is skipped silently, not counted as corrupt.
  const std::size_t start = v.stream_frames[0].size() + v.stream_frames[1].size() + 2;
  const std::size_t tail = v.stream_frames[2].size() - 3;  // without its delimiter
  std::vector<std::uint8_t> bytes(v.stream.begin() + static_cast<std::ptrdiff_t>(start),
                                  v.stream.end());
  StreamDecoder d(table_from(v.sites));
  const auto c = decode(d, bytes);
  EXPECT_EQ(d.counters().bytes_skipped, tail);
  EXPECT_EQ(d.counters().corrupt_frames, 0u);
  EXPECT_EQ(d.counters().lost_frames, 0u);
  ASSERT_EQ(c.records.size(), 6u);
  // No handshake yet: times are relative (deltas from 0) and flagged as such.
  EXPECT_FALSE(c.records[0].has_ticks);
  EXPECT_EQ(c.records[0].message, "hi 12c");
}

// --- corruption, with exact counters ------------------------------------------------

TEST(DecoderCorruptionTest, FlippedBitDiscardsOneFrameAndCountsTheGap) {
  const auto v = session();
  StreamDecoder clean(table_from(v.sites));
  const auto want = decode(clean, v.stream);
  for (std::size_t bit = 0; bit < 8 * v.stream_frames[3].size(); ++bit) {
    auto frames = v.stream_frames;
    auto& f = frames[3];
    const std::size_t byte = bit / 8;
    if (byte + 1 == f.size()) {
      break;  // the delimiter
    }
    f[byte] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    if (f[byte] == 0) {
      continue;  // a new delimiter: two corrupt pieces, tested below
    }
    StreamDecoder d(table_from(v.sites));
    const auto got = decode(d, join(frames));
    EXPECT_EQ(d.counters().corrupt_frames, 1u) << "bit " << bit;
    EXPECT_EQ(d.counters().lost_frames, 1u) << "bit " << bit;
    EXPECT_EQ(d.counters().frames, v.stream_frames.size() - 1) << "bit " << bit;
    auto expected = want.untimed();
    expected.erase(expected.begin() + 3);
    EXPECT_EQ(got.untimed(), expected) << "bit " << bit;
    EXPECT_FALSE(got.records[2].time_uncertain);
    EXPECT_TRUE(got.records[3].time_uncertain);
  }
}

TEST(DecoderCorruptionTest, ByteTurnedIntoADelimiterCostsTwoPiecesOneFrame) {
  const auto v = session();
  auto frames = v.stream_frames;
  frames[3][2] = 0;
  StreamDecoder d(table_from(v.sites));
  const auto got = decode(d, join(frames));
  EXPECT_EQ(d.counters().corrupt_frames, 2u);
  EXPECT_EQ(d.counters().lost_frames, 1u);
  EXPECT_EQ(got.records.size(), 8u);
}

TEST(DecoderCorruptionTest, TruncatedFrameIsCorruptAndLost) {
  const auto v = session();
  auto frames = v.stream_frames;
  auto& f = frames[1];
  f.erase(f.end() - 4, f.end() - 1);  // keep the delimiter
  StreamDecoder d(table_from(v.sites));
  const auto got = decode(d, join(frames));
  EXPECT_EQ(d.counters().corrupt_frames, 1u);
  EXPECT_EQ(d.counters().lost_frames, 1u);
  EXPECT_EQ(got.records.size(), 8u);
  // Frames after a gap carry correct deltas but an uncertain absolute time.
  EXPECT_TRUE(got.records[1].time_uncertain);
}

TEST(DecoderCorruptionTest, GarbageBetweenFramesIsOneCorruptPieceAndNothingIsLost) {
  const auto v = session();
  auto frames = v.stream_frames;
  frames.insert(frames.begin() + 2, std::vector<std::uint8_t>{0x13, 0x37, 0xff, 0x42, 0x00});
  StreamDecoder d(table_from(v.sites));
  StreamDecoder clean(table_from(v.sites));
  const auto got = decode(d, join(frames));
  EXPECT_EQ(got.lines, decode(clean, v.stream).lines);
  EXPECT_EQ(d.counters().corrupt_frames, 1u);
  EXPECT_EQ(d.counters().lost_frames, 0u);
}

TEST(DecoderCorruptionTest, DroppedFramesAreCountedFromTheSequenceGap) {
  const auto v = session();
  auto frames = v.stream_frames;
  frames.erase(frames.begin() + 2, frames.begin() + 5);  // three frames never arrive
  StreamDecoder d(table_from(v.sites));
  const auto got = decode(d, join(frames));
  EXPECT_EQ(d.counters().lost_frames, 3u);
  EXPECT_EQ(d.counters().corrupt_frames, 0u);
  EXPECT_EQ(got.records.size(), 6u);
}

// A transport that redelivers (MQTT QoS 1) gives some frames twice; accept_frame sees every
// valid frame first and skips those it has seen, without a sequence gap or a second record.
TEST(DecoderDuplicateTest, RefusedFramesAreSkippedCountedAndLeaveTheSequenceAlone) {
  const auto v = session();
  auto frames = v.stream_frames;
  ASSERT_EQ(frames.size(), 9u);
  // Frames 3..5 arrive again after frame 5 (a redelivered message), then the rest.
  std::vector<std::vector<std::uint8_t>> sent(frames.begin(), frames.begin() + 6);
  sent.insert(sent.end(), frames.begin() + 3, frames.begin() + 6);
  sent.insert(sent.end(), frames.begin() + 6, frames.end());
  std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>> seen;
  std::vector<int> asked;
  DecoderOptions o;
  o.accept_frame = [&](std::span<const std::uint8_t> record, std::uint8_t seq) {
    asked.push_back(seq);
    std::pair<std::uint8_t, std::vector<std::uint8_t>> key{
        seq, std::vector<std::uint8_t>(record.begin(), record.end())};
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return false;
    }
    seen.push_back(std::move(key));
    return true;
  };
  int on_frame_calls = 0;
  o.on_frame = [&](std::span<const std::uint8_t>, std::uint8_t) { ++on_frame_calls; };
  StreamDecoder d(table_from(v.sites), o);
  const auto got = decode(d, join(sent), 5);
  EXPECT_EQ(asked.size(), 12u);  // every valid frame, duplicates included
  EXPECT_EQ(on_frame_calls, 9);  // refused frames go no further
  EXPECT_EQ(got.lines, v.expect);
  const DecoderCounters& k = d.counters();
  EXPECT_EQ(k.duplicate_frames, 3u);
  EXPECT_EQ(k.frames, 12u);
  EXPECT_EQ(k.lost_frames, 0u);  // the repeated sequence numbers are no gap
  EXPECT_EQ(k.corrupt_frames, 0u);
  EXPECT_EQ(k.records, v.expect.size());
}

TEST(DecoderDuplicateTest, WithoutAcceptFrameARepeatedFrameIsDecodedAgainAndLooksLikeAGap) {
  // The control: the same stream with no accept_frame decodes the repeats and counts the
  // sequence jump back as lost frames, so the test above does see the callback at work.
  const auto v = session();
  auto frames = v.stream_frames;
  std::vector<std::vector<std::uint8_t>> sent(frames.begin(), frames.begin() + 6);
  sent.insert(sent.end(), frames.begin() + 3, frames.begin() + 6);
  StreamDecoder d(table_from(v.sites));
  decode(d, join(sent));
  EXPECT_EQ(d.counters().duplicate_frames, 0u);
  EXPECT_GT(d.counters().lost_frames, 0u);
  EXPECT_EQ(d.counters().frames, 9u);
}

TEST(DecoderCorruptionTest, SequenceWrapsWithoutLoss) {
  auto table = table_from({{.tag = 8, .sig = {0x42}, .text = "n={}"}});
  std::vector<std::uint8_t> stream;
  for (int i = 0; i < 300; ++i) {
    std::vector<std::uint8_t> rec{0x08, 0x01};
    testing::put_varint(rec, static_cast<std::uint64_t>(i));
    auto f = make_frame(rec, static_cast<std::uint8_t>(i & 0x7f));
    stream.insert(stream.end(), f.begin(), f.end());
  }
  StreamDecoder d(table);
  const auto got = decode(d, stream);
  EXPECT_EQ(got.records.size(), 300u);
  EXPECT_EQ(d.counters().lost_frames, 0u);
  EXPECT_EQ(got.records[299].message, "n=299");
  EXPECT_EQ(got.records[299].device_ticks, 300u);
}

TEST(DecoderCorruptionTest, OversizedFrameIsSkippedWithBoundedMemory) {
  const auto v = session();
  std::vector<std::uint8_t> stream(v.stream_frames[0]);
  stream.insert(stream.end(), 100000, 0x55);  // no delimiter for 100 kB
  stream.push_back(0);
  for (std::size_t i = 1; i < v.stream_frames.size(); ++i) {
    stream.insert(stream.end(), v.stream_frames[i].begin(), v.stream_frames[i].end());
  }
  StreamDecoder d(table_from(v.sites), {.max_frame_bytes = 200});
  const auto got = decode(d, stream, 333);
  EXPECT_EQ(d.counters().oversized_frames, 1u);
  EXPECT_EQ(d.counters().corrupt_frames, 1u);
  EXPECT_EQ(d.counters().bytes_skipped, 100000u);
  EXPECT_EQ(d.counters().lost_frames, 0u);
  EXPECT_EQ(got.records.size(), 9u);
}

TEST(DecoderCorruptionTest, UnknownCallSiteIsCountedAndTimeStaysRight) {
  auto v = session();
  v.sites.erase(v.sites.begin() + 2);  // tag 10, "{} {:x}"
  StreamDecoder d(table_from(v.sites));
  const auto got = decode(d, v.stream);
  EXPECT_EQ(d.counters().unknown_callsites, 1u);
  EXPECT_EQ(d.counters().corrupt_frames, 0u);
  ASSERT_EQ(got.records.size(), 8u);
  EXPECT_EQ(got.lines[3], "@4114 span exit measure id=1 parent=0 root=1 duration=11");
}

TEST(DecoderCorruptionTest, WrongElfIsABuildIdMismatchAndCallSitesAreNotMisread) {
  const auto v = session();
  StreamDecoder d(table_from(v.sites, {0x11, 0x22, 0x33, 0x44}));
  const auto got = decode(d, v.stream);
  EXPECT_EQ(d.counters().build_id_mismatches, 1u);
  EXPECT_EQ(d.counters().records_skipped, 5u);  // 3 logs + 2 span enters
  ASSERT_EQ(got.records.size(), 4u);            // handshake, span exits, drop report
  EXPECT_FALSE(got.records[0].handshake.build_id_matches);
  EXPECT_EQ(got.lines[0],
            "@4096 handshake v1 hz=1000 boot=3 device=0102 dropped=0 build-id=4B (build-id "
            "aabbccdd does not match the ELF)");
  EXPECT_EQ(got.records[1].span_name, "");  // not named from another firmware's table
}

TEST(DecoderCorruptionTest, ResolverSuppliesTheTableOfTheAnnouncedBuildId) {
  const auto v = session();
  auto right = table_from(v.sites, {0xaa, 0xbb, 0xcc, 0xdd});
  StreamDecoder d(table_from(v.sites, {0x11, 0x22}));
  std::vector<std::uint8_t> asked;
  d.set_table_resolver([&](std::span<const std::uint8_t> id) {
    asked.assign(id.begin(), id.end());
    return right;
  });
  const auto got = decode(d, v.stream);
  EXPECT_EQ(asked, (std::vector<std::uint8_t>{0xaa, 0xbb, 0xcc, 0xdd}));
  EXPECT_EQ(d.counters().build_id_mismatches, 0u);
  EXPECT_EQ(got.records.size(), 9u);
  EXPECT_EQ(d.table(), right);
}

TEST(DecoderCorruptionTest, MalformedRecordsInValidFramesAreCounted) {
  auto table = table_from({{.tag = 8, .sig = {0x42}, .text = "n={}"}});
  std::vector<std::uint8_t> stream;
  std::uint8_t seq = 0;
  for (const auto& rec : std::vector<std::vector<std::uint8_t>>{
           {0x05, 0x01},              // reserved tag
           {0x08, 0x01},              // argument missing
           {0x08, 0x01, 0x02, 0x03},  // trailing byte
           {0x08, 0x01, 0x02},        // fine: n=2
           {0x00, 0x45, 0x54, 0x01},  // handshake ends early
       }) {
    auto f = make_frame(rec, seq++);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  StreamDecoder d(table);
  const auto got = decode(d, stream);
  EXPECT_EQ(d.counters().malformed_records, 4u);
  EXPECT_EQ(d.counters().frames, 5u);
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_EQ(got.records[0].message, "n=2");
}

TEST(DecoderCorruptionTest, UnsupportedWireVersionSkipsRecordsUntilAVersion1Handshake) {
  const auto v = session();
  auto first = from_hex("00 45 54 02 80 20 e8 07 03 00 02 01 02 04 aa bb cc dd");
  std::vector<std::uint8_t> stream = make_frame(first, 0);
  // The session's frames, renumbered after it: its handshake (seq 0) restarts the stream.
  std::vector<std::uint8_t> log = from_hex("08 05 2a 50");
  auto f = make_frame(log, 1);
  stream.insert(stream.end(), f.begin(), f.end());
  stream.insert(stream.end(), v.stream.begin(), v.stream.end());
  StreamDecoder d(table_from(v.sites));
  const auto got = decode(d, stream);
  EXPECT_EQ(d.counters().unsupported_versions, 1u);
  EXPECT_EQ(d.counters().records_skipped, 1u);
  EXPECT_EQ(got.records.size(), 9u);
}

TEST(DecoderCorruptionTest, ArbitraryBytesNeverCrashAndEverythingIsAccountedFor) {
  const auto v = session();
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::uint8_t> bytes = v.stream;
    for (int k = 0; k < 5; ++k) {
      bytes[rng() % bytes.size()] = static_cast<std::uint8_t>(rng());
    }
    StreamDecoder d(table_from(v.sites));
    decode(d, bytes, 1 + rng() % 16);
    const DecoderCounters& c = d.counters();
    EXPECT_EQ(c.bytes, bytes.size());
    EXPECT_LE(c.records, c.frames);
  }
}

// --- allocation ---------------------------------------------------------------------

TEST(DecoderAllocationTest, RecordsOnlyDecodingDoesNotAllocateOnceWarm) {
  const auto v = session();
  std::vector<std::uint8_t> stream;
  for (int i = 0; i < 50; ++i) {
    stream.insert(stream.end(), v.stream.begin(), v.stream.end());
  }
  StreamDecoder d(table_from(v.sites), {.render = false});
  std::uint64_t seen = 0;
  const RecordSink sink = [&seen](const Record& r) { seen += r.args.size() + 1; };
  d.feed(v.stream, sink);  // warm: the reused Record grows to its working size
  const std::uint64_t before = g_allocations.load();
  d.feed(stream, sink);
  EXPECT_EQ(g_allocations.load() - before, 0u);
  EXPECT_EQ(d.counters().records, 51u * 9u);
  EXPECT_GT(seen, 0u);
}

// --- time ------------------------------------------------------------------------------

TEST(DecoderTimeTest, AnchorGivesWallClockTimes) {
  const auto v = session();
  StreamDecoder d(table_from(v.sites));
  d.set_anchor(4096, 1'700'000'000'000'000'000ull);
  const auto got = decode(d, v.stream);
  ASSERT_TRUE(got.records[1].time_unix_nano.has_value());
  // 5 ticks at 1000 Hz after the anchor.
  EXPECT_EQ(*got.records[1].time_unix_nano, 1'700'000'000'005'000'000ull);
  EXPECT_EQ(render_text(got.records[1], {.time = TextOptions::Time::kAuto}),
            "2023-11-14T22:13:20.005000Z [INFO] temp=21 hum=40");
}

TEST(DecoderTimeTest, WallClockOptionAnchorsEachHandshake) {
  const auto v = session();
  DecoderOptions o;
  o.wall_clock = [] { return std::uint64_t{2'000'000'000'000'000'000ull}; };
  StreamDecoder d(table_from(v.sites), o);
  const auto got = decode(d, v.stream);
  EXPECT_EQ(got.records[0].time_unix_nano, 2'000'000'000'000'000'000ull);
  EXPECT_EQ(got.records[8].time_unix_nano, 2'000'000'000'221'000'000ull);  // 4317 - 4096
}

TEST(DecoderTimeTest, WithoutAnchorSecondsComeFromTheTickRate) {
  const auto v = session();
  StreamDecoder d(table_from(v.sites));
  const auto got = decode(d, v.stream);
  EXPECT_FALSE(got.records[1].time_unix_nano.has_value());
  EXPECT_EQ(render_text(got.records[1]), "4.101000 [INFO] temp=21 hum=40");
}

TEST(DecoderTimeTest, RebootDropsAManualAnchor) {
  const auto v = session();
  StreamDecoder d(table_from(v.sites));
  decode(d, v.stream_frames[0]);  // boot 3
  d.set_anchor(4096, 1'000'000'000);
  auto reboot = from_hex("00 45 54 01 80 20 e8 07 04 00 02 01 02 04 aa bb cc dd");
  const auto got = decode(d, make_frame(reboot, 0));
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_FALSE(got.records[0].time_unix_nano.has_value());
}

}  // namespace
}  // namespace edgetrace::decoder

// --- the example firmware under QEMU ----------------------------------------------------
// Run by the ctest case decoder.firmware_qemu_stream (src/decoder/edgetrace.cmake), which
// builds firmware/ with arm-none-eabi-gcc, runs it under QEMU and passes the ELF and the
// captured UART stream; skipped when run without them.

namespace edgetrace::decoder {
namespace {

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
}

TEST(DecoderFirmwareTest, QemuStreamDecodesToEveryExpectedLine) {
  const char* elf_path = std::getenv("ET_FIRMWARE_ELF");
  const char* stream_path = std::getenv("ET_FIRMWARE_STREAM");
  if (elf_path == nullptr || stream_path == nullptr) {
    GTEST_SKIP()
        << "ET_FIRMWARE_ELF / ET_FIRMWARE_STREAM not set (see decoder.firmware_qemu_stream)";
  }
  auto elf = ElfFile::open(elf_path);
  ASSERT_TRUE(elf) << elf.status().to_string();
  EXPECT_FALSE(elf->is_64bit());
  EXPECT_TRUE(elf->is_little_endian());
  EXPECT_EQ(elf->machine(), 40);  // EM_ARM
  ASSERT_TRUE(elf->build_id().has_value());
  EXPECT_EQ(elf->build_id()->size(), 20u);
  auto table = EdgetraceTable::from_elf(*elf);
  ASSERT_TRUE(table) << table.status().to_string();
  EXPECT_EQ(table->check(), std::vector<std::string>{});
  auto shared = std::make_shared<const EdgetraceTable>(std::move(table).value());

  const auto stream = read_file(stream_path);
  ASSERT_FALSE(stream.empty());
  std::vector<std::string> expected;
  {
    std::ifstream in(ET_SOURCE_DIR "/firmware/expected_stream.txt");
    std::string line;
    while (std::getline(in, line)) {
      expected.push_back(line);
    }
  }
  ASSERT_GT(expected.size(), 10u);
  const std::string summary = expected.back();  // "summary: frames=87 corrupt=0 lost=0 sites=32"
  expected.pop_back();

  StreamDecoder d(shared);
  const auto got = decode(d, stream);
  EXPECT_EQ(got.untimed(), expected);
  const DecoderCounters& c = d.counters();
  EXPECT_EQ("summary: frames=" + std::to_string(c.frames) + " corrupt=" +
                std::to_string(c.corrupt_frames) + " lost=" + std::to_string(c.lost_frames) +
                " sites=" + std::to_string(shared->size()),
            summary);
  EXPECT_EQ(c.unknown_callsites, 0u);
  EXPECT_EQ(c.build_id_mismatches, 0u);
  EXPECT_EQ(c.malformed_records, 0u);
  EXPECT_EQ(c.records_skipped, 0u);
  EXPECT_EQ(c.bytes_skipped, 0u);
  ASSERT_FALSE(got.records.empty());
  EXPECT_EQ(got.records[0].handshake.build_id, *elf->build_id());
  EXPECT_TRUE(got.records[0].handshake.build_id_matches);

  StreamDecoder bytewise(shared);
  const auto one = decode(bytewise, stream, 1);
  EXPECT_EQ(one.records, got.records);
  EXPECT_EQ(bytewise.counters(), d.counters());

  // JSON for every record is one line of valid shape.
  for (const Record& r : got.records) {
    const std::string json = render_json(r);
    EXPECT_EQ(json.front(), '{');
    EXPECT_EQ(json.back(), '}');
    EXPECT_EQ(json.find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace edgetrace::decoder
