// The defmt frame decoder against an in-process table. The expected strings of the
// "DefmtRules" tests are those of defmt's own decoder tests (knurling-rs/defmt,
// decoder/src/lib.rs), which print "<timestamp> <LEVEL> <message>".

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/render.hpp"

namespace edgetrace::decoder {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Decodes one unencoded frame and prints it as defmt's Frame::display(false) does.
std::string display(const DefmtTable& table, const Bytes& frame) {
  DefmtDecoder d(std::make_shared<const DefmtTable>(table));
  Record r;
  const auto st = d.decode_frame(frame, r);
  EXPECT_TRUE(st.ok()) << st.to_string();
  // frame.rs DisplayFrame: "{timestamp} {level} {message}", the level not padded.
  std::string line = r.timestamp_text.empty() ? "" : r.timestamp_text + " ";
  if (r.level) {
    line += std::string(core::severity_text(*r.level)) + " ";
  }
  return line + r.message;
}

// defmt's decode_and_expect: the format at index bytes[0], timestamp "{=u8:us}".
std::string expect_one(const std::string& format, const Bytes& bytes) {
  DefmtTable t(DefmtEncoding::kRaw);
  t.add(bytes[0], DefmtTag::kInfo, format);
  t.set_timestamp("{=u8:us}");
  return display(t, bytes);
}

TEST(DefmtRulesTest, NestedFormatWithTimestamp) {
  DefmtTable t;
  t.add(0, DefmtTag::kInfo, "x={=?}");
  t.add(1, DefmtTag::kDerived, "Foo {{ x: {=u8} }}");
  t.set_timestamp("{=u8:us}");
  EXPECT_EQ(display(t, {0, 0, 2, 1, 0, 42}), "0.000002 INFO x=Foo { x: 42 }");
}

TEST(DefmtRulesTest, InnerAndOuterHints) {
  DefmtTable t;
  t.add(0, DefmtTag::kInfo, "x={:b}");
  t.add(1, DefmtTag::kDerived, "S {{ x: {=u8:x} }}");
  t.set_timestamp("{=u8:us}");
  EXPECT_EQ(display(t, {0, 0, 2, 1, 0, 42}), "0.000002 INFO x=S { x: 2a }");
  t.add(1, DefmtTag::kDerived, "S {{ x: {=u8:?} }}");
  EXPECT_EQ(display(t, {0, 0, 2, 1, 0, 42}), "0.000002 INFO x=S { x: 101010 }");
}

TEST(DefmtRulesTest, DebugStrInsideStruct) {
  DefmtTable t;
  t.add(0, DefmtTag::kInfo, "{}");
  t.add(1, DefmtTag::kDerived, "S {{ x: {=str:?} }}");
  t.set_timestamp("{=u8:us}");
  EXPECT_EQ(display(t, {0, 0, 2, 1, 0, 5, 0, 0, 0, 'H', 'e', 'l', 'l', 'o'}),
            "0.000002 INFO S { x: \"Hello\" }");
}

TEST(DefmtRulesTest, U8VecAsAscii) {
  DefmtTable t;
  t.add(0, DefmtTag::kPrim, "{=u8}");
  t.add(1, DefmtTag::kPrim, "{=[?]}");
  t.add(2, DefmtTag::kDerived, "Data {{ name: {=?:?} }}");
  t.add(3, DefmtTag::kInfo, "{=[?]:a}");
  t.set_timestamp("{=u8:us}");
  EXPECT_EQ(display(t, {3, 0, 2, 1, 0, 0, 0, 2, 0, 1, 0, 2, 0, 0, 0, 0, 0, 72, 105}),
            "0.000002 INFO [Data { name: b\"Hi\" }]");
}

TEST(DefmtRulesTest, FormatSequence) {
  DefmtTable t;
  t.add(0, DefmtTag::kInfo, "{=__internal_FormatSequence}");
  t.add(1, DefmtTag::kDerived, "Foo");
  t.add(2, DefmtTag::kDerived, "Bar({=u8})");
  t.add(3, DefmtTag::kDerived, "State {=u8}|");
  // "State {=u8}|" is an enum of two variants; discriminant 0 selects "State {=u8}".
  EXPECT_EQ(display(t, {0, 0, 1, 0, 2, 0, 42, 3, 0, 0, 23, 0, 0}), "INFO FooBar(42)State 23");
}

TEST(DefmtRulesTest, IndexedArguments) {
  DefmtTable t;
  t.add(0, DefmtTag::kInfo, "The answer is {0=u8} {0=u8}!");
  t.add(1, DefmtTag::kInfo, "The answer is {1=u16} {0=u8} {1=u16}!");
  EXPECT_EQ(display(t, {0, 0, 42}), "INFO The answer is 42 42!");
  EXPECT_EQ(display(t, {1, 0, 42, 0xff, 0xff}), "INFO The answer is 65535 42 65535!");
}

TEST(DefmtRulesTest, HexOfNegativeI16) {
  EXPECT_EQ(expect_one("i16 as hex {=i16:#x}", {0, 0, 2, 0xff, 0xff}),
            "0.000002 INFO i16 as hex 0xffff");
}

TEST(DefmtRulesTest, Iso8601) {
  EXPECT_EQ(expect_one("{=u64:iso8601ms}", {0, 0, 2, 36, 188, 151, 238, 120, 1, 0, 0}),
            "0.000002 INFO 2021-04-20T09:23:44.804Z");
}

TEST(DefmtRulesTest, Bitfields) {
  EXPECT_EQ(expect_one("x: {0=0..4:b}, y: {0=3..8:#b}", {0, 0, 2, 0b1110'0101}),
            "0.000002 INFO x: 101, y: 0b11100");
  EXPECT_EQ(expect_one("x: {0=0..7:b}, y: {0=3..5:b}", {0, 0, 2, 0b1101'0010}),
            "0.000002 INFO x: 1010010, y: 10");
  EXPECT_EQ(expect_one("#0: {0=0..5:b}, #1: {1=3..8:b}", {0, 0, 2, 0b1111'0000, 0b1110'0101}),
            "0.000002 INFO #0: 10000, #1: 11100");
  EXPECT_EQ(expect_one("x: {0=7..12:b}", {0, 0, 2, 0b1111'0000, 0b1110'0101}),
            "0.000002 INFO x: 1011");
  EXPECT_EQ(expect_one("#0: {0=7..12:b}, #1: {1=u8}, #2: {2=0..5:b}",
                       {0, 0, 2, 0b1111'0000, 0b1110'0101, 42, 0b1111'0001}),
            "0.000002 INFO #0: 1011, #1: 42, #2: 10001");
  EXPECT_EQ(expect_one("bitfields {0=0..7:b} {0=9..14:b} {1=8..10:b}",
                       {0, 0, 2, 0b1101'0010, 0b0110'0011, 0b1111'1111}),
            "0.000002 INFO bitfields 1010010 10001 11");
  EXPECT_EQ(expect_one("bitfields {0=9..14:b}", {0, 0, 2, 0b0110'0011}),
            "0.000002 INFO bitfields 10001");
  EXPECT_EQ(expect_one("bitfields {0=0..2:b} {0=28..31:b}",
                       {0, 0, 2, 0b0110'0011, 0b0000'1111, 0b0101'1010, 0b1100'0011}),
            "0.000002 INFO bitfields 11 100");
  Bytes u128_frame{0, 0, 2, 0b1110'0101, 0b1110'0101};
  u128_frame.resize(3 + 16, 0);
  EXPECT_EQ(expect_one("x: {0=119..124:b}", u128_frame), "0.000002 INFO x: 1011");
}

TEST(DefmtRulesTest, SlicesStringsChars) {
  EXPECT_EQ(expect_one("x={=[u8]}", {0, 0, 2, 2, 0, 0, 0, 23, 42}), "0.000002 INFO x=[23, 42]");
  EXPECT_EQ(expect_one("x={=[u8]} trailing arg={=u8}", {0, 0, 2, 2, 0, 0, 0, 23, 42, 1}),
            "0.000002 INFO x=[23, 42] trailing arg=1");
  EXPECT_EQ(expect_one("Hello {=str} {=u8}", {0, 0, 2, 5, 0, 0, 0, 'W', 'o', 'r', 'l', 'd', 125}),
            "0.000002 INFO Hello World 125");
  EXPECT_EQ(expect_one("Supports ASCII {=char} and Unicode {=char}",
                       {0, 0, 2, 0x61, 0, 0, 0, 0x9C, 0xF4, 0x01, 0x00}),
            "0.000002 INFO Supports ASCII a and Unicode \xF0\x9F\x92\x9C");
  EXPECT_EQ(expect_one("my bool={=bool}", {0, 0, 2, 1}), "0.000002 INFO my bool=true");
}

TEST(DefmtRulesTest, SignedBinaryIsTwosComplementOver128Bits) {
  // Rust prints an i128 in binary as its 128-bit two's complement.
  EXPECT_EQ(expect_one("{=i8:b}", {0, 0, 2, 0xfe}), "0.000002 INFO " + std::string(127, '1') + "0");
}

TEST(DefmtRulesTest, FloatsPrintLikeRyu) {
  auto f64 = [](double v) {
    Bytes b{0, 0, 2};
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, 8);
    for (int i = 0; i < 8; ++i) {
      b.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
    }
    return expect_one("{=f64}", b).substr(14);
  };
  EXPECT_EQ(f64(1.0), "1.0");
  EXPECT_EQ(f64(0.3), "0.3");
  EXPECT_EQ(f64(123456.0), "123456.0");
  EXPECT_EQ(f64(1e16), "1e16");
  EXPECT_EQ(f64(1.5e16), "1.5e16");
  EXPECT_EQ(f64(1e-5), "0.00001");
  EXPECT_EQ(f64(1e-6), "1e-6");
  EXPECT_EQ(f64(-2.5e-10), "-2.5e-10");
  EXPECT_EQ(f64(5e-324), "5e-324");
}

// ---------------------------------------------------------------------------------------
// Streams and corruption, with exact counters.

std::shared_ptr<const DefmtTable> small_table(DefmtEncoding enc) {
  auto t = std::make_shared<DefmtTable>(enc);
  t->add(1, DefmtTag::kInfo, "x={=u8}");
  t->add(2, DefmtTag::kWarn, "s={=str}");
  return t;
}

struct StreamRun {
  std::vector<std::string> lines;
  DecoderCounters counters;
};

StreamRun run(DefmtEncoding enc, const Bytes& stream, std::size_t max_frame = 16 * 1024) {
  DecoderOptions opt;
  opt.max_frame_bytes = max_frame;
  DefmtDecoder d(small_table(enc), opt);
  StreamRun r;
  auto sink = [&](const Record& rec) { r.lines.push_back(format_defmt_line(rec)); };
  d.feed(stream, sink);
  d.finish(sink);
  r.counters = d.counters();
  return r;
}

// Frame "x=42" is 01 00 2a; rzCOBS-encoded 01 2a 7a.
const Bytes kX42{0x01, 0x2a, 0x7a, 0x00};

TEST(DefmtStreamTest, GarbageBetweenFramesIsOneCorruptFrame) {
  Bytes s = kX42;
  s.insert(s.end(), {0x13, 0x37, 0xff, 0xfe, 0x00});  // 0xfe wants 133 literals
  s.insert(s.end(), kX42.begin(), kX42.end());
  const StreamRun r = run(DefmtEncoding::kRzcobs, s);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"INFO  x=42", "INFO  x=42"}));
  EXPECT_EQ(r.counters.corrupt_frames, 1u);
  EXPECT_EQ(r.counters.bytes_skipped, 4u);
  EXPECT_EQ(r.counters.frames, 2u);
  EXPECT_EQ(r.counters.records, 2u);
  EXPECT_EQ(r.counters.malformed_records, 0u);
}

TEST(DefmtStreamTest, FlippedCodeBitMakesTheFrameCorrupt) {
  Bytes s{0x01, 0x2a, 0x7b, 0x00};  // code 0x7a -> 0x7b
  s.insert(s.end(), kX42.begin(), kX42.end());
  const StreamRun r = run(DefmtEncoding::kRzcobs, s);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"INFO  x=42"}));
  EXPECT_EQ(r.counters.corrupt_frames, 1u);
  EXPECT_EQ(r.counters.bytes_skipped, 3u);
}

TEST(DefmtStreamTest, FlippedBitToZeroSplitsTheFrameIntoOneCorruptPart) {
  Bytes s{0x00, 0x2a, 0x7a, 0x00};  // 0x01 -> 0x00: an empty frame, then "2a 7a"
  s.insert(s.end(), kX42.begin(), kX42.end());
  const StreamRun r = run(DefmtEncoding::kRzcobs, s);
  EXPECT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.counters.corrupt_frames, 1u);
  EXPECT_EQ(r.counters.bytes_skipped, 2u);
}

TEST(DefmtStreamTest, FlippedPayloadBitIsNotDetectedByRzcobs) {
  // rzCOBS has no checksum: a flipped literal changes the value.
  const StreamRun r = run(DefmtEncoding::kRzcobs, Bytes{0x01, 0x2b, 0x7a, 0x00});
  EXPECT_EQ(r.lines, (std::vector<std::string>{"INFO  x=43"}));
  EXPECT_EQ(r.counters.corrupt_frames, 0u);
}

TEST(DefmtStreamTest, UnknownIndexAndTruncatedArgumentsAreCounted) {
  Bytes s;
  Bytes unknown{0x09, 0x00, 0x2a};
  Bytes truncated{0x02, 0x00, 100, 0, 0, 0, 'a', 'b'};  // str of 100 bytes, 2 present
  rzcobs_encode(unknown, s);
  s.push_back(0);
  rzcobs_encode(truncated, s);
  s.push_back(0);
  s.insert(s.end(), kX42.begin(), kX42.end());
  const StreamRun r = run(DefmtEncoding::kRzcobs, s);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"INFO  x=42"}));
  EXPECT_EQ(r.counters.frames, 3u);
  EXPECT_EQ(r.counters.unknown_callsites, 1u);
  EXPECT_EQ(r.counters.malformed_records, 1u);
  EXPECT_EQ(r.counters.corrupt_frames, 0u);
}

TEST(DefmtStreamTest, JoiningMidFrameCostsOneCorruptFrame) {
  Bytes s{0x2a, 0x7a, 0x00};  // the tail of "x=42"
  s.insert(s.end(), kX42.begin(), kX42.end());
  const StreamRun r = run(DefmtEncoding::kRzcobs, s);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"INFO  x=42"}));
  EXPECT_EQ(r.counters.corrupt_frames, 1u);
}

TEST(DefmtStreamTest, TruncatedLastFrameIsCountedAtFinish) {
  Bytes s = kX42;
  s.insert(s.end(), {0x01, 0x2a});
  const StreamRun r = run(DefmtEncoding::kRzcobs, s);
  EXPECT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.counters.corrupt_frames, 1u);
  EXPECT_EQ(r.counters.bytes_skipped, 2u);
}

TEST(DefmtStreamTest, OversizedFrameIsSkipped) {
  Bytes s(100, 0x55);
  s.push_back(0);
  s.insert(s.end(), kX42.begin(), kX42.end());
  const StreamRun r = run(DefmtEncoding::kRzcobs, s, 32);
  EXPECT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.counters.oversized_frames, 1u);
  EXPECT_EQ(r.counters.corrupt_frames, 1u);
  EXPECT_EQ(r.counters.bytes_skipped, 100u);
}

TEST(DefmtStreamTest, RawStreamResynchronisesAfterGarbage) {
  const Bytes s{0x01, 0x00, 0x2a, 0x09, 0x00, 0x01, 0x00, 0x2b};
  const StreamRun r = run(DefmtEncoding::kRaw, s);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"INFO  x=42", "INFO  x=43"}));
  EXPECT_EQ(r.counters.unknown_callsites, 1u);  // counted once for the whole bad stretch
  EXPECT_EQ(r.counters.bytes_skipped, 2u);
  EXPECT_EQ(r.counters.records, 2u);
}

TEST(DefmtStreamTest, RawTruncatedTailIsCountedAtFinish) {
  const Bytes s{0x01, 0x00, 0x2a, 0x02, 0x00, 5, 0};
  const StreamRun r = run(DefmtEncoding::kRaw, s);
  EXPECT_EQ(r.lines, (std::vector<std::string>{"INFO  x=42"}));
  EXPECT_EQ(r.counters.malformed_records, 1u);
  EXPECT_EQ(r.counters.bytes_skipped, 4u);
}

TEST(DefmtStreamTest, RawFramesSplitAcrossFeeds) {
  DefmtDecoder d(small_table(DefmtEncoding::kRaw));
  std::vector<std::string> lines;
  const Bytes s{0x02, 0x00, 3, 0, 0, 0, 'a', 'b', 'c', 0x01, 0x00, 0x07};
  for (std::uint8_t b : s) {
    d.feed(std::span(&b, 1), [&](const Record& r) { lines.push_back(format_defmt_line(r)); });
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"WARN  s=abc", "INFO  x=7"}));
}

TEST(DefmtStreamTest, HostileFramesStayBounded) {
  // Self-nesting formats and huge counts must fail cleanly, not recurse or allocate forever.
  auto t = std::make_shared<DefmtTable>(DefmtEncoding::kRaw);
  t->add(1, DefmtTag::kInfo, "{=?}");
  t->add(2, DefmtTag::kDerived, "{=?}");
  t->add(3, DefmtTag::kInfo, "{=[?]}");
  t->add(4, DefmtTag::kDerived, "Unit");
  DefmtDecoder d(t);
  Record r;
  Bytes deep{1, 0};
  for (int i = 0; i < 2000; ++i) {
    deep.insert(deep.end(), {2, 0});
  }
  EXPECT_EQ(d.decode_frame(deep, r).code(), core::StatusCode::kInvalidArgument);
  const Bytes huge{3, 0, 0xff, 0xff, 0xff, 0xff, 4, 0};  // 4 billion unit structs
  EXPECT_EQ(d.decode_frame(huge, r).code(), core::StatusCode::kInvalidArgument);
  const Bytes unknown{7, 7};
  EXPECT_EQ(d.decode_frame(unknown, r).code(), core::StatusCode::kNotFound);
  const Bytes short_frame{1};
  EXPECT_EQ(d.decode_frame(short_frame, r).code(), core::StatusCode::kOutOfRange);
}

TEST(DefmtStreamTest, RandomBytesNeverCrash) {
  std::mt19937 rng(3);
  for (DefmtEncoding enc : {DefmtEncoding::kRzcobs, DefmtEncoding::kRaw}) {
    DefmtDecoder d(small_table(enc));
    Bytes s(20000);
    for (auto& b : s) {
      b = static_cast<std::uint8_t>(rng() % 5 == 0 ? 0 : rng() % 8);
    }
    std::uint64_t seen = 0;
    d.feed(s, [&](const Record&) { ++seen; });
    d.finish([&](const Record&) { ++seen; });
    EXPECT_EQ(d.counters().records, seen);
    EXPECT_EQ(d.counters().bytes, s.size());
  }
}

// defmt-print without --log-format (decoder/src/log/format/mod.rs DefaultStyle): "{L} {s}",
// "{t} {L} {s}" with a timestamp; {L} is 5 wide; println! prints the message alone.
TEST(DefmtLineTest, DefaultLineIsDefmtPrintsDefault) {
  Record r;
  r.level = core::Level::kInfo;
  r.message = "m";
  EXPECT_EQ(format_defmt_line(r), "INFO  m");
  r.level = core::Level::kError;
  EXPECT_EQ(format_defmt_line(r), "ERROR m");
  r.level = core::Level::kTrace;
  EXPECT_EQ(format_defmt_line(r), "TRACE m");
  r.timestamp_text = "0.000001";
  EXPECT_EQ(format_defmt_line(r), "0.000001 TRACE m");
  r.level = core::Level::kWarn;
  EXPECT_EQ(format_defmt_line(r), "0.000001 WARN  m");
  r.level.reset();
  EXPECT_EQ(format_defmt_line(r), "m");
}

TEST(DefmtRecordTest, ArgumentsAreTyped) {
  auto t = std::make_shared<DefmtTable>(DefmtEncoding::kRaw);
  t->add(1, DefmtTag::kError, "{=u64} {=i8:x} {=str} {=[u8]} {=bool} {=f32} {=u128}");
  DefmtDecoder d(t);
  Record r;
  Bytes f{1, 0};
  for (int i = 0; i < 8; ++i) {
    f.push_back(0xff);  // u64 max
  }
  f.push_back(0xfe);                                                    // i8 -2
  f.insert(f.end(), {2, 0, 0, 0, 'h', 'i'});                            // str
  f.insert(f.end(), {3, 0, 0, 0, 1, 2, 3});                             // [u8]
  f.push_back(1);                                                       // bool
  f.insert(f.end(), {0x00, 0x00, 0xc0, 0x3f});                          // f32 1.5
  f.insert(f.end(), {5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});  // u128 5
  ASSERT_TRUE(d.decode_frame(f, r).ok());
  EXPECT_EQ(r.kind, RecordKind::kLog);
  EXPECT_EQ(r.level, core::Level::kError);
  EXPECT_EQ(r.callsite_id, 1u);
  EXPECT_EQ(r.message, "18446744073709551615 fe hi [1, 2, 3] true 1.5 5");
  ASSERT_EQ(r.args.size(), 7u);
  EXPECT_EQ(r.args[0].type, "u64");
  EXPECT_EQ(r.args[0].value, core::AttributeValue(std::string("18446744073709551615")));
  EXPECT_EQ(r.args[1].type, "i8");
  EXPECT_EQ(r.args[1].hint, "x");
  EXPECT_EQ(r.args[1].value, core::AttributeValue(std::int64_t{-2}));
  EXPECT_EQ(r.args[2].value, core::AttributeValue(std::string("hi")));
  EXPECT_EQ(r.args[3].value, core::AttributeValue(core::Bytes{1, 2, 3}));
  EXPECT_EQ(r.args[4].value, core::AttributeValue(true));
  EXPECT_EQ(r.args[5].value, core::AttributeValue(1.5));
  EXPECT_EQ(r.args[6].value, core::AttributeValue(std::int64_t{5}));
  EXPECT_EQ(r.args[0].name, "arg0");
}

TEST(DefmtRecordTest, RenderingCanBeTurnedOff) {
  DecoderOptions opt;
  opt.render = false;
  DefmtDecoder d(small_table(DefmtEncoding::kRaw), opt);
  std::vector<Record> got;
  d.feed(Bytes{0x01, 0x00, 0x2a}, [&](const Record& r) { got.push_back(r); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].message.empty());
  EXPECT_EQ(got[0].args.at(0).value, core::AttributeValue(std::int64_t{42}));
}

}  // namespace
}  // namespace edgetrace::decoder

namespace edgetrace::decoder {
namespace {

TEST(DefmtStreamTest, ProblemsAreReportedOneLineEach) {
  std::vector<std::string> problems;
  DecoderOptions opt;
  opt.on_problem = [&](std::string_view p) { problems.emplace_back(p); };
  auto t = std::make_shared<DefmtTable>(DefmtEncoding::kRzcobs);
  t->add(1, DefmtTag::kInfo, "x={=u8}");
  t->add(3, DefmtTag::kInfo, "b={=bool}");
  t->add(4, DefmtTag::kInfo, "n={=?}");
  t->add(5, DefmtTag::kDerived, "A|B");
  t->add(6, DefmtTag::kInfo, "bad {=u7}");
  DefmtDecoder d(t, opt);
  Bytes s{0x13, 0x37, 0xfe, 0x00};  // garbage: 0xfe asks for 133 literal bytes
  for (const Bytes& frame : {Bytes{9, 0}, Bytes{3, 0, 2}, Bytes{4, 0, 77, 0}, Bytes{4, 0, 5, 0, 7},
                             Bytes{6, 0}, Bytes{1, 0, 42}}) {
    rzcobs_encode(frame, s);
    s.push_back(0);
  }
  s.insert(s.end(), {0x01, 0x2a});  // a frame the stream ends inside
  int records = 0;
  d.feed(s, [&](const Record&) { ++records; });
  d.finish([&](const Record&) { ++records; });
  EXPECT_EQ(records, 1);
  // Frames are described as they are decoded, invalid rzCOBS at the end of each feed().
  // (A frame cut short inside its arguments cannot be told from one whose arguments are
  // zeros here: rzCOBS decoding pads frames with up to 7 zero bytes, as defmt's does.)
  EXPECT_EQ(problems,
            (std::vector<std::string>{
                "defmt frame with unknown string index 9 skipped",
                "defmt frame with index 3 skipped: bool byte 2 is neither 0 nor 1",
                "defmt frame with index 4 skipped: unknown nested format index 77",
                "defmt frame with index 4 skipped: enum discriminant 7 of `A|B` is out of range",
                "defmt frame with index 6 skipped: its format `bad {=u7}` does not parse: "
                "malformed format string (invalid type specifier `u7`)",
                "1 rzCOBS frame(s) with invalid encoding skipped (3 bytes; garbage, a damaged "
                "byte or a stream joined mid-frame)",
                "defmt stream ends inside an rzCOBS frame (2 bytes dropped)"}));
  EXPECT_EQ(d.counters().corrupt_frames, 2u);
  EXPECT_EQ(d.counters().unknown_callsites, 1u);
  EXPECT_EQ(d.counters().malformed_records, 4u);
}

TEST(DefmtStreamTest, RawProblemsNameTheFrame) {
  std::vector<std::string> problems;
  DecoderOptions opt;
  opt.on_problem = [&](std::string_view p) { problems.emplace_back(p); };
  DefmtDecoder d(small_table(DefmtEncoding::kRaw), opt);
  d.feed(Bytes{0x09, 0x00, 0x01, 0x00, 0x2a}, {});
  d.feed(Bytes{0x01, 0x00}, {});
  d.finish({});
  EXPECT_EQ(problems,
            (std::vector<std::string>{"defmt raw stream: frame with index 9 is not in the table; "
                                      "resynchronising",
                                      "defmt raw stream ends inside a frame (2 bytes dropped)"}));
}

TEST(DefmtStreamTest, ResetDropsThePartialFrame) {
  DefmtDecoder d(small_table(DefmtEncoding::kRzcobs));
  int n = 0;
  d.feed(Bytes{0x01, 0x2a}, [&](const Record&) { ++n; });
  d.reset();
  d.feed(kX42, [&](const Record&) { ++n; });
  EXPECT_EQ(n, 1);
  EXPECT_EQ(d.counters().bytes_skipped, 2u);
  EXPECT_EQ(d.counters().corrupt_frames, 0u);
}

}  // namespace
}  // namespace edgetrace::decoder

namespace edgetrace::decoder {
namespace {

Record decode_with_timestamp(const std::string& timestamp, const Bytes& frame) {
  auto t = std::make_shared<DefmtTable>(DefmtEncoding::kRaw);
  t->add(1, DefmtTag::kInfo, "m");
  t->set_timestamp(timestamp);
  DefmtDecoder d(t);
  Record r;
  const auto st = d.decode_frame(frame, r);
  EXPECT_TRUE(st.ok()) << timestamp << ": " << st.to_string();
  return r;
}

// The timestamp's one integer argument becomes device_ticks; its display hint (defmt
// parser's DisplayHint: us, ms, ts, tms, tus, iso8601ms, iso8601s) gives the unit.
TEST(DefmtTimestampTest, TicksAndTheirRateComeFromTheHint) {
  const Bytes frame{1, 0, 0x40, 0xe2, 0x01, 0, 0, 0, 0, 0};  // 123456 as a u64 (a u32 reads 4)
  struct Case {
    std::string format;
    std::uint64_t hz;
  };
  for (const Case& c : {Case{"{=u64:us}", 1000000}, Case{"{=u64:ms}", 1000}, Case{"{=u64:ts}", 1},
                        Case{"{=u64:tms}", 1000}, Case{"{=u64:tus}", 1000000}, Case{"{=u64}", 0},
                        Case{"{=u32:x}", 0}, Case{"uptime {=u32:us}", 1000000}}) {
    const Record r = decode_with_timestamp(c.format, frame);
    EXPECT_TRUE(r.has_ticks) << c.format;
    EXPECT_EQ(r.device_ticks, 123456u) << c.format;
    EXPECT_EQ(r.tick_hz, c.hz) << c.format;
    EXPECT_FALSE(r.time_unix_nano.has_value()) << c.format;
  }
  EXPECT_EQ(decode_with_timestamp("{=u64:us}", frame).timestamp_text, "0.123456");
}

TEST(DefmtTimestampTest, Iso8601TimestampsAreUnixTime) {
  // 1618910624804 ms = 2021-04-20T09:23:44.804Z (defmt-decoder's iso8601 test value).
  const Bytes ms{1, 0, 36, 188, 151, 238, 120, 1, 0, 0};
  Record r = decode_with_timestamp("{=u64:iso8601ms}", ms);
  EXPECT_EQ(r.timestamp_text, "2021-04-20T09:23:44.804Z");
  EXPECT_EQ(r.time_unix_nano, std::optional<std::uint64_t>(1618910624804000000u));
  EXPECT_EQ(r.device_ticks, 1618910624804u);
  EXPECT_EQ(r.tick_hz, 1000u);
  r = decode_with_timestamp("{=u64:iso8601s}", Bytes{1, 0, 160, 157, 126, 96, 0, 0, 0, 0});
  EXPECT_EQ(r.timestamp_text, "2021-04-20T09:23:44Z");
  EXPECT_EQ(r.time_unix_nano, std::optional<std::uint64_t>(1618910624000000000u));
  // Too late to be Unix nanoseconds in 64 bits: ticks only.
  r = decode_with_timestamp("{=u64:iso8601s}", Bytes{1, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  EXPECT_TRUE(r.has_ticks);
  EXPECT_FALSE(r.time_unix_nano.has_value());
}

TEST(DefmtTimestampTest, OtherTimestampsAreTextOnly) {
  Record r = decode_with_timestamp("{=u8}.{=u8}", Bytes{1, 0, 3, 4});
  EXPECT_EQ(r.timestamp_text, "3.4");
  EXPECT_FALSE(r.has_ticks);
  r = decode_with_timestamp("{=i8}", Bytes{1, 0, 0xff});
  EXPECT_EQ(r.timestamp_text, "-1");
  EXPECT_FALSE(r.has_ticks);
  r = decode_with_timestamp("{=str}", Bytes{1, 0, 1, 0, 0, 0, 'x'});
  EXPECT_FALSE(r.has_ticks);
  // Without a timestamp at all.
  auto t = std::make_shared<DefmtTable>(DefmtEncoding::kRaw);
  t->add(1, DefmtTag::kInfo, "m");
  DefmtDecoder d(t);
  ASSERT_TRUE(d.decode_frame(Bytes{1, 0}, r).ok());
  EXPECT_FALSE(r.has_ticks);
  EXPECT_TRUE(r.timestamp_text.empty());
}

// chrono's RFC 3339 writer, which defmt-decoder's iso8601 hints go through, writes years
// after 9999 with a sign: 1618910624804 read as seconds is in the year 53271.
TEST(DefmtRulesTest, Iso8601YearsAfter9999HaveASign) {
  EXPECT_EQ(expect_one("{=u64:iso8601s}", {0, 0, 2, 36, 188, 151, 238, 120, 1, 0, 0}),
            "0.000002 INFO +53271-03-27T11:46:44Z");
  EXPECT_EQ(expect_one("{=u64:iso8601s}", {0, 0, 2, 128, 65, 244, 255, 58, 0, 0, 0}),
            "0.000002 INFO +10000-01-01T00:00:00Z");
  EXPECT_EQ(expect_one("{=u64:iso8601s}", {0, 0, 2, 127, 65, 244, 255, 58, 0, 0, 0}),
            "0.000002 INFO 9999-12-31T23:59:59Z");
}

// '|' separates enum variants only where a derived format is read at a nested position
// (`{=?}`, `[?]`): a discriminant, then the variant. A write!'s string in a manual
// `impl Format` (the elements of a FormatSequence) prints its '|' as text, as a log string
// does: defmt-print prints `write!(f, "{=u8}|", 13)` as `13|`.
TEST(DefmtRulesTest, BarIsAnEnumSeparatorInDerivedFormatsOnly) {
  DefmtTable t;
  t.add(0, DefmtTag::kInfo, "a|b {} {}");
  t.add(1, DefmtTag::kPrim, "{=__internal_FormatSequence}");
  t.add(2, DefmtTag::kWrite, "{=u8}|");
  t.add(3, DefmtTag::kDerived, "A|B({=u8})");
  DefmtDecoder d(std::make_shared<const DefmtTable>(t));
  Record r;
  // Sequence [write "{=u8}|" (13)], then the enum: discriminant 1 selects B(7).
  const auto st = d.decode_frame(Bytes{0, 0, 1, 0, 2, 0, 13, 0, 0, 3, 0, 1, 7}, r);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(r.message, "a|b 13| B(7)");
  // A derived enum's discriminant out of range is malformed.
  const auto bad = d.decode_frame(Bytes{0, 0, 1, 0, 0, 0, 3, 0, 5, 7}, r);
  EXPECT_EQ(bad.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("enum discriminant 5 of `A|B({=u8})` is out of range"),
            std::string::npos)
      << bad.message();
}

}  // namespace
}  // namespace edgetrace::decoder

namespace edgetrace::decoder {
namespace {

// render_text (the SDK-style line): a defmt record shows its timestamp as the device
// formatted it, unless a numeric time is asked for and the timestamp has one.
TEST(DefmtTimestampTest, TextLinesShowTheDeviceTimestampUnlessTicksAreAskedFor) {
  const Record r = decode_with_timestamp("{=u64:ms}", Bytes{1, 0, 0xd2, 0x04, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(render_text(r), "1.234 [INFO] m");
  EXPECT_EQ(render_text(r, {.time = TextOptions::Time::kTicks}), "@1234 [INFO] m");
  EXPECT_EQ(render_text(r, {.time = TextOptions::Time::kNone}), "[INFO] m");
  const Record text_only = decode_with_timestamp("{=u8}.{=u8}", Bytes{1, 0, 3, 4});
  EXPECT_EQ(render_text(text_only, {.time = TextOptions::Time::kTicks}), "3.4 [INFO] m");
}

}  // namespace
}  // namespace edgetrace::decoder

namespace edgetrace::decoder {
namespace {

TEST(DefmtStreamTest, ProblemDescriptionsStayOnOneLine) {
  std::vector<std::string> problems;
  DecoderOptions opt;
  opt.on_problem = [&](std::string_view p) { problems.emplace_back(p); };
  auto t = std::make_shared<DefmtTable>(DefmtEncoding::kRaw);
  t->add(7, DefmtTag::kInfo, "multi\nline\t{=u7}");
  DefmtDecoder d(t, opt);
  d.feed(Bytes{7, 0}, {});
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].find('\n'), std::string::npos);
  EXPECT_NE(problems[0].find("`multi\\nline\\x09{=u7}`"), std::string::npos) << problems[0];
}

}  // namespace
}  // namespace edgetrace::decoder
