#include "edgetrace/decoder/defmt_format.hpp"

#include <gtest/gtest.h>

namespace edgetrace::decoder::defmt {
namespace {

const Param& param(const Format& f, std::size_t fragment) {
  EXPECT_TRUE(f.fragments.at(fragment).is_param);
  return f.fragments.at(fragment).param;
}

TEST(DefmtFormatTest, ParsesLiteralsTypesAndImplicitIndices) {
  auto f = parse_format("x={=u8} y={=i16:#x} {}!");
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  ASSERT_EQ(f->fragments.size(), 7u);
  EXPECT_EQ(f->fragments[0].literal, "x=");
  EXPECT_EQ(param(*f, 1).type, Type::kU8);
  EXPECT_EQ(param(*f, 1).index, 0u);
  EXPECT_EQ(param(*f, 1).hint.kind, HintKind::kNone);
  EXPECT_EQ(param(*f, 3).type, Type::kI16);
  EXPECT_EQ(param(*f, 3).hint.kind, HintKind::kHex);
  EXPECT_TRUE(param(*f, 3).hint.alternate);
  EXPECT_EQ(param(*f, 3).hint.raw, "#x");
  EXPECT_EQ(param(*f, 5).type, Type::kFormat);
  EXPECT_EQ(param(*f, 5).index, 2u);
  EXPECT_EQ(f->fragments[6].literal, "!");
  ASSERT_EQ(f->wire.size(), 3u);
}

TEST(DefmtFormatTest, EscapedBracesAreLiterals) {
  auto f = parse_format("Foo {{ x: {=u8} }}");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->fragments[0].literal, "Foo { x: ");
  EXPECT_EQ(f->fragments[2].literal, " }");
}

TEST(DefmtFormatTest, ArraysRangesAndInternalTypes) {
  auto f = parse_format(
      "{=[u8; 4]} {=[?;3]} {=3..9} {=__internal_FormatSequence} {=__internal_Debug} {=[?]}");
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(param(*f, 0).type, Type::kU8Array);
  EXPECT_EQ(param(*f, 0).array_len, 4u);
  EXPECT_EQ(param(*f, 2).type, Type::kFormatArray);
  EXPECT_EQ(param(*f, 2).array_len, 3u);
  EXPECT_EQ(param(*f, 4).type, Type::kBitField);
  EXPECT_EQ(param(*f, 4).bit_start, 3);
  EXPECT_EQ(param(*f, 4).bit_end, 9);
  EXPECT_EQ(param(*f, 6).type, Type::kFormatSequence);
  EXPECT_EQ(param(*f, 8).type, Type::kDebug);
  EXPECT_EQ(param(*f, 10).type, Type::kFormatSlice);
}

TEST(DefmtFormatTest, BitfieldsOfOneIndexMergeOnTheWire) {
  auto f = parse_format("{0=0..4:b} {0=3..12:#b} {1=u8}");
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->wire.size(), 2u);
  EXPECT_EQ(f->wire[0].bit_start, 0);
  EXPECT_EQ(f->wire[0].bit_end, 12);
  EXPECT_EQ(f->wire[1].type, Type::kU8);
}

TEST(DefmtFormatTest, HintsAsDefmtParsesThem) {
  auto f = parse_format(
      "{=u8:08x}{=u8:X}{=u8:o}{=u32:us}{=u32:ms}{=u64:ts}{=u64:tms}{=u64:tus}{=u64:iso8601ms}"
      "{=[u8]:a}{=u8:?}{=u8:__internal_bitflags_F@pkg@1@krate}{=u8:whatever}{=u8:05}");
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_EQ(param(*f, 0).hint.zero_pad, 8u);
  EXPECT_EQ(param(*f, 0).hint.kind, HintKind::kHex);
  EXPECT_TRUE(param(*f, 1).hint.uppercase);
  EXPECT_EQ(param(*f, 2).hint.kind, HintKind::kOctal);
  EXPECT_EQ(param(*f, 3).hint.kind, HintKind::kSeconds);
  EXPECT_EQ(param(*f, 4).hint.precision, TimePrecision::kMillis);
  EXPECT_EQ(param(*f, 5).hint.kind, HintKind::kTime);
  EXPECT_EQ(param(*f, 5).hint.precision, TimePrecision::kSeconds);
  EXPECT_EQ(param(*f, 7).hint.precision, TimePrecision::kMicros);
  EXPECT_EQ(param(*f, 8).hint.kind, HintKind::kIso8601);
  EXPECT_EQ(param(*f, 9).hint.kind, HintKind::kAscii);
  EXPECT_EQ(param(*f, 10).hint.kind, HintKind::kDebug);
  EXPECT_EQ(param(*f, 11).hint.kind, HintKind::kBitflags);
  EXPECT_EQ(param(*f, 11).hint.text, "F@pkg@1@krate");
  EXPECT_EQ(param(*f, 12).hint.kind, HintKind::kUnknown);
  EXPECT_EQ(param(*f, 13).hint.kind, HintKind::kPlain);
  EXPECT_EQ(param(*f, 13).hint.zero_pad, 5u);
}

TEST(DefmtFormatTest, RejectsWhatDefmtParserRejects) {
  EXPECT_FALSE(parse_format("{").ok());
  EXPECT_FALSE(parse_format("}").ok());
  EXPECT_FALSE(parse_format("a } b").ok());
  EXPECT_FALSE(parse_format("{=nope}").ok());
  EXPECT_FALSE(parse_format("{=u8x}").ok());
  EXPECT_FALSE(parse_format("{=4..2}").ok());
  EXPECT_FALSE(parse_format("{=0..129}").ok());
  EXPECT_FALSE(parse_format("{=[u8;}").ok());
  EXPECT_FALSE(parse_format("{foo}").ok());
  auto conflict = parse_format("{0=u8} {0=u16}");
  ASSERT_FALSE(conflict.ok());
  EXPECT_NE(conflict.status().message().find("conflicting types for argument 0"),
            std::string::npos);
  auto unused = parse_format("{1=u8}");
  ASSERT_FALSE(unused.ok());
  EXPECT_NE(unused.status().message().find("argument 0 is not used"), std::string::npos);
  EXPECT_FALSE(parse_format("{999=u8}").ok());
}

}  // namespace
}  // namespace edgetrace::decoder::defmt
