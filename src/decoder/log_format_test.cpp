// LogFormat against defmt-decoder's own tests and documentation. Each test names its source
// in knurling-rs/defmt:
//   parser.rs  = decoder/src/log/format/parser.rs (its #[cfg(test)] module and module docs)
//   mod.rs     = decoder/src/log/format/mod.rs (InternalFormatter, build_formatted_string
//                and its tests)
//   book       = book/src/custom-log-output.md

#include "edgetrace/decoder/log_format.hpp"

#include <gtest/gtest.h>

namespace edgetrace::decoder {
namespace {

using Align = LogSegment::Align;
using Color = LogSegment::Color;
using Field = LogSegment::Field;

LogSegment lit(std::string s) {
  LogSegment seg;
  seg.literal = std::move(s);
  return seg;
}

LogSegment field(Field f, std::uint8_t components = 0) {
  LogSegment seg;
  seg.field = f;
  seg.file_components = components;
  return seg;
}

LogSegment width(LogSegment seg, std::size_t w, Align a = Align::kLeft, bool zero = false) {
  seg.width = w;
  seg.align = a;
  seg.zero_fill = zero;
  return seg;
}

LogSegment color(LogSegment seg, Color c) {
  seg.color = c;
  return seg;
}

LogSegment style(LogSegment seg, std::uint8_t s) {
  seg.styles |= s;
  return seg;
}

LogSegment group(std::vector<LogSegment> children) {
  LogSegment seg;
  seg.field = Field::kGroup;
  seg.children = std::move(children);
  return seg;
}

std::vector<LogSegment> parsed(std::string_view text) {
  auto f = LogFormat::parse(text);
  EXPECT_TRUE(f.ok()) << text << ": " << f.status().message();
  return f.ok() ? f->segments() : std::vector<LogSegment>{};
}

Record info(std::string message) {
  Record r;
  r.level = core::Level::kInfo;
  r.message = std::move(message);
  return r;
}

std::string render(std::string_view format, const Record& r) {
  auto f = LogFormat::parse(format);
  EXPECT_TRUE(f.ok()) << format << ": " << f.status().message();
  return f.ok() ? f->render(r) : std::string("<parse error>");
}

// parser.rs test_parse_log_template.
TEST(LogFormatTest, ParsesTheClassicTemplate) {
  EXPECT_EQ(parsed("{t} [{L}] {s}\n└─ {m} @ {F}:{l}"),
            (std::vector<LogSegment>{field(Field::kTimestamp), lit(" ["), field(Field::kLevel),
                                     lit("] "), field(Field::kMessage), lit("\n└─ "),
                                     field(Field::kModulePath), lit(" @ "), field(Field::kFilePath),
                                     lit(":"), field(Field::kLine)}));
}

// parser.rs test_parse_format_without_log, test_parse_invalid_argument,
// test_parse_log_with_repeated_styles, test_parse_single_nested_format_with_bad_specifier.
TEST(LogFormatTest, RefusesWhatDefmtRefuses) {
  auto no_log = LogFormat::parse("{t}");
  ASSERT_FALSE(no_log.ok());
  EXPECT_NE(no_log.status().message().find("must contain a `{s}`"), std::string::npos);
  auto foo = LogFormat::parse("{foo} {s}");
  ASSERT_FALSE(foo.ok());
  EXPECT_NE(foo.status().message().find("in `{foo}`"), std::string::npos) << foo.status().message();
  auto twice = LogFormat::parse("{s:bold:bold}");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("`bold` is given twice"), std::string::npos)
      << twice.status().message();
  auto bad = LogFormat::parse("{[{L:<5:bold}]%bad%underline} {s}");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("`%bad` is not a colour, a style or a width"),
            std::string::npos)
      << bad.status().message();
  // build_log_segment: one specifier, one colour, one width per segment.
  EXPECT_FALSE(LogFormat::parse("{s:L}").ok());
  EXPECT_FALSE(LogFormat::parse("{s:red:blue}").ok());
  EXPECT_FALSE(LogFormat::parse("{s:5:6}").ok());
  EXPECT_FALSE(LogFormat::parse("{L:} {s}").ok());  // an empty parameter is no parameter
  EXPECT_EQ(LogFormat::parse("").status().code(), core::StatusCode::kInvalidArgument);
  // Not in defmt: a width it would try to allocate.
  EXPECT_FALSE(LogFormat::parse("{s:100000}").ok());
}

// parser.rs test_parse_argument_with_color, ..._width_first, ..._color_first.
TEST(LogFormatTest, ParsesParametersInAnyOrder) {
  EXPECT_EQ(parsed("{t:werror}{s}")[0], color(field(Field::kTimestamp), Color::kWarnError));
  EXPECT_EQ(parsed("{t:>8:white}{s}")[0],
            color(width(field(Field::kTimestamp), 8, Align::kRight), Color::kWhite));
  EXPECT_EQ(parsed("{f:werror:<25}{s}")[0],
            color(width(field(Field::kFileName, 1), 25, Align::kLeft), Color::kWarnError));
}

// parser.rs test_parse_width_no_alignment, test_parse_width_and_alignment,
// test_parse_width_with_zero_padding_no_alignment, test_parse_color.
TEST(LogFormatTest, ParsesWidthsAndColours) {
  EXPECT_EQ(parsed("{s:12}")[0], width(field(Field::kMessage), 12));
  EXPECT_EQ(parsed("{s:>12}")[0], width(field(Field::kMessage), 12, Align::kRight));
  EXPECT_EQ(parsed("{s:012}")[0], width(field(Field::kMessage), 12, Align::kLeft, true));
  EXPECT_EQ(parsed("{s:blue}")[0], color(field(Field::kMessage), Color::kBlue));
}

// parser.rs test_parse_log_template_with_color_style_width_and_alignment and
// test_parse_log_with_multiple_different_styles.
TEST(LogFormatTest, ParsesColoursStylesWidths) {
  EXPECT_EQ(parsed("T{t:>8} [{L:severity:bold}] {ff:white:underline}:{l:white:3} {s:werror}"),
            (std::vector<LogSegment>{
                lit("T"), width(field(Field::kTimestamp), 8, Align::kRight), lit(" ["),
                style(color(field(Field::kLevel), Color::kSeverity), LogSegment::kBold), lit("] "),
                style(color(field(Field::kFileName, 2), Color::kWhite), LogSegment::kUnderline),
                lit(":"), width(color(field(Field::kLine), Color::kWhite), 3), lit(" "),
                color(field(Field::kMessage), Color::kWarnError)}));
  EXPECT_EQ(parsed("{s:bold:underline:italic:dimmed}")[0],
            style(field(Field::kMessage), LogSegment::kBold | LogSegment::kUnderline |
                                              LogSegment::kItalic | LogSegment::kDimmed));
}

// parser.rs test_parse_single_nested_format, test_parse_double_nested_format,
// test_parse_triple_nested_format.
TEST(LogFormatTest, ParsesGroups) {
  EXPECT_EQ(parsed("{[{L:<5:bold}]%underline%italic} {s}"),
            (std::vector<LogSegment>{
                style(group({lit("["), style(width(field(Field::kLevel), 5), LogSegment::kBold),
                             lit("]")}),
                      LogSegment::kUnderline | LogSegment::kItalic),
                lit(" "), field(Field::kMessage)}));
  const LogSegment inner =
      style(group({lit("["), width(field(Field::kLevel), 5), lit("]")}), LogSegment::kBold);
  EXPECT_EQ(parsed("{{[{L:<5}]%bold} {f:>20}:%<30} {s}"),
            (std::vector<LogSegment>{
                width(group({inner, lit(" "), width(field(Field::kFileName, 1), 20, Align::kRight),
                             lit(":")}),
                      30),
                lit(" "), field(Field::kMessage)}));
  EXPECT_EQ(
      parsed("{{{[{L:<5}]%bold} {ff:>20}:%<30} {s}%werror}"),
      (std::vector<LogSegment>{color(
          group({width(group({inner, lit(" "), width(field(Field::kFileName, 2), 20, Align::kRight),
                              lit(":")}),
                       30),
                 lit(" "), field(Field::kMessage)}),
          Color::kWarnError)}));
}

// parser.rs parse(): the text after something that is neither an argument nor text (a
// `%` outside a group, an unmatched `{`) is dropped, not an error; parse_argument ignores
// what a segment leaves inside its braces (nom's and_then).
TEST(LogFormatTest, KeepsDefmtsLeniency) {
  EXPECT_EQ(render("{s} 100% sure", info("x")), "x 100");
  EXPECT_EQ(render("{s} {t", info("x")), "x ");
  EXPECT_EQ(render("{s5}", info("x")), "x");
  EXPECT_EQ(render("a}b {s}", info("x")), "a}b x");
}

// mod.rs DefaultStyle and build_log_level (default width 5), format_frame.
TEST(LogFormatTest, DefaultLineIsLevelPaddedToFiveThenMessage) {
  EXPECT_EQ(LogFormat::defmt_default(false).text(), "{L} {s}");
  EXPECT_EQ(LogFormat::defmt_default(true).text(), "{t} {L} {s}");
  EXPECT_EQ(LogFormat::defmt_default(false).render(info("Hello")), "INFO  Hello");
  Record r = info("Hello");
  r.timestamp_text = "0.000001";
  r.level = core::Level::kError;
  EXPECT_EQ(LogFormat::defmt_default(true).render(r), "0.000001 ERROR Hello");
  r.level = core::Level::kWarn;
  EXPECT_EQ(LogFormat::defmt_default(true).render(r), "0.000001 WARN  Hello");
  // defmt-print -v (DefaultStyle FORMAT_WITH_LOC / FORMAT_WITH_TS_LOC); {l} is 4 wide.
  r.location = {"src/main.rs", 14, "app::main"};
  EXPECT_EQ(LogFormat::defmt_default(true, true).render(r),
            "0.000001 WARN  Hello\n└─ app::main @ src/main.rs:14  ");
  EXPECT_EQ(LogFormat::defmt_default(false, true).render(r),
            "WARN  Hello\n└─ app::main @ src/main.rs:14  ");
  // Messages are printed as they are, newlines included.
  EXPECT_EQ(LogFormat::defmt_default(false).render(info("a\nb")), "INFO  a\nb");
}

// mod.rs InternalFormatter::format: a record without a level (println!) prints its
// message alone, whatever the format.
TEST(LogFormatTest, PrintlnIsTheMessageAlone) {
  Record r;
  r.kind = RecordKind::kPrintln;
  r.message = "hi";
  r.timestamp_text = "1.0";
  EXPECT_EQ(render("{t} [{L}] {s:>10} ({f}:{l})", r), "hi");
  EXPECT_EQ(LogFormat::defmt_default(true).render(r), "hi");
}

// mod.rs tests test_left_aligned_styled_string and test_right_aligned_styled_string
// ("test" in 10), build_formatted_string (centre, zero fill), and the book's `{L}` note
// ("INFO " for info!).
TEST(LogFormatTest, PadsLikeRustsFormatter) {
  EXPECT_EQ(render("{s:10}|", info("test")), "test      |");
  EXPECT_EQ(render("{s:<10:green:bold}|", info("test")), "test      |");
  EXPECT_EQ(render("{s:>10}|", info("test")), "      test|");
  EXPECT_EQ(render("{s:^9}|", info("test")), "  test   |");
  EXPECT_EQ(render("{s:>06}|", info("42")), "000042|");
  EXPECT_EQ(render("{s:06}|", info("42")), "420000|");
  EXPECT_EQ(render("{s:2}|", info("longer")), "longer|");
  EXPECT_EQ(render("[{L}] {s}", info("x")), "[INFO ] x");
  EXPECT_EQ(render("[{L:1}] {s}", info("x")), "[INFO] x");
  EXPECT_EQ(render("{L:4} {s}", info("x")), "INFO x");
  // Width counts characters, not bytes.
  EXPECT_EQ(render("{s:5}|", info("ünï")), "ünï  |");
}

// mod.rs build_timestamp, build_file_path, build_file_name, build_module_path,
// build_crate_name, build_line_number (default width 4).
TEST(LogFormatTest, FieldsAndTheirPlaceholders) {
  Record r = info("m");
  EXPECT_EQ(render("{t}|{F}|{f}|{m}|{c}|{l}|{s}", r),
            "<time>|<file>|<file>|<mod path>|<crate>|0   |m");
  r.timestamp_text = "00:00:01.000";
  r.location.file = "/path/to/crate/src/foo/bar.rs";
  r.location.line = 8;
  r.location.module = "my_crate::foo::bar";
  EXPECT_EQ(render("{t}|{F}|{f}|{ff}|{fff}|{m}|{c}|{l}|{l:1}|{s}", r),
            "00:00:01.000|/path/to/crate/src/foo/bar.rs|bar.rs|foo/bar.rs|src/foo/bar.rs|"
            "my_crate::foo::bar|my_crate|8   |8|m");
  // Path::iter makes the root a component of its own.
  EXPECT_EQ(render("{ffffffffff} {s}", r), "//path/to/crate/src/foo/bar.rs m");
  r.location.file = "./src/main.rs";
  EXPECT_EQ(render("{fff} {s}", r), "./src/main.rs m");
  r.location.module = "main";  // one part only: no crate
  EXPECT_EQ(render("{c} {s}", r), "<crate> m");
}

// parser.rs module docs: `"{{[{L}]%bold} {f:>20}:%<35} {s}"` prints
// "[ERROR]              main.rs:       hello".
TEST(LogFormatTest, GroupsArePaddedTogether) {
  Record r = info("hello");
  r.level = core::Level::kError;
  r.location.file = "src/main.rs";
  EXPECT_EQ(render("{{[{L}]%bold} {f:>20}:%<35} {s}", r),
            "[ERROR]              main.rs:       hello");
  EXPECT_EQ(render("{[{L}]%bold} {s}", r), "[ERROR] hello");
  // A group's own parameters apply to the group (book: "{[{L}]%underline}").
  EXPECT_EQ(render("{[{L:1}]%>9} {s}", r), "  [ERROR] hello");
}

}  // namespace
}  // namespace edgetrace::decoder
