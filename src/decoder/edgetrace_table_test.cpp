#include "edgetrace/decoder/edgetrace_table.hpp"

#include <gtest/gtest.h>

#include "internal/elf_writer.hpp"
#include "testing/edgetrace_wire_writer.hpp"

namespace edgetrace::decoder {
namespace {

using internal::ElfWriter;
using testing::SiteSpec;

const std::vector<SiteSpec> kSites = {
    {.tag = 8,
     .level = 2,
     .sig = {0x41, 0x41},
     .text = "temp={} hum={}",
     .file = "main.c",
     .line = 10},
    {.tag = 9, .span = true, .level = 1, .text = "measure", .file = "main.c", .line = 20},
    {.tag = 11, .level = 4, .sig = {0x12, 0x0a}, .text = "{:#x} {}", .file = "io.c", .line = 30},
};

// An ELF holding the call-site table the way a firmware link lays it out: the anchors in
// edgetrace_ids at `ids_addr`, the records in edgetrace_meta.
std::vector<std::uint8_t> firmware_elf(bool is64, bool little, std::uint64_t ids_addr,
                                       const std::vector<SiteSpec>& sites = kSites,
                                       bool with_build_id = true) {
  ElfWriter w(is64, little);
  w.add_section(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0x8000,
                std::vector<std::uint8_t>(64, 0xbf));
  w.add_section("edgetrace_ids", SHT_PROGBITS, 0, ids_addr, std::vector<std::uint8_t>(4, 0));
  w.add_section("edgetrace_meta", SHT_PROGBITS, 0, 0,
                testing::make_meta(sites, ids_addr, is64 ? 8 : 4, little));
  if (with_build_id) {
    w.add_build_id({0xde, 0xad, 0xbe, 0xef, 0x01});
  }
  w.add_symbol("main", 0x8001, 12, 1, ELF64_ST_INFO(STB_GLOBAL, STT_FUNC));
  return w.write();
}

void expect_sites(const EdgetraceTable& t) {
  ASSERT_EQ(t.size(), 3u);
  const CallSite* s = t.find(8);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->kind, CallSite::Kind::kLog);
  EXPECT_EQ(s->level, core::Level::kInfo);
  EXPECT_EQ(s->arg_count, 2);
  EXPECT_EQ(std::string(s->arg_type(0)), "i32");
  EXPECT_EQ(s->file, "main.c");
  EXPECT_EQ(s->line, 10u);
  EXPECT_EQ(s->text, "temp={} hum={}");
  const CallSite* span = t.find(9);
  ASSERT_NE(span, nullptr);
  EXPECT_EQ(span->kind, CallSite::Kind::kSpan);
  EXPECT_EQ(span->text, "measure");
  EXPECT_EQ(t.find(10), nullptr);
  const CallSite* io = t.find(11);
  ASSERT_NE(io, nullptr);
  EXPECT_EQ(io->level, core::Level::kError);
  EXPECT_EQ(std::string(io->arg_type(0)), "u8");
  EXPECT_EQ(std::string(io->arg_type(1)), "str");
  EXPECT_EQ(t.find(0), nullptr);
  EXPECT_EQ(t.find(7), nullptr);
  EXPECT_EQ(t.find(1u << 30), nullptr);
  EXPECT_EQ(t.build_id(), (std::vector<std::uint8_t>{0xde, 0xad, 0xbe, 0xef, 0x01}));
}

TEST(EdgetraceTableTest, ReadsElf32LittleEndianAsOnCortexM) {
  auto elf = ElfFile::from_bytes(firmware_elf(false, true, 0), "fw.elf");
  ASSERT_TRUE(elf) << elf.status().to_string();
  EXPECT_FALSE(elf->is_64bit());
  EXPECT_EQ(elf->machine(), EM_ARM);
  auto t = EdgetraceTable::from_elf(*elf);
  ASSERT_TRUE(t) << t.status().to_string();
  expect_sites(*t);
  EXPECT_TRUE(t->check().empty());
}

TEST(EdgetraceTableTest, ReadsElf64AtAHostAddress) {
  auto elf = ElfFile::from_bytes(firmware_elf(true, true, 0x4c5000), "host");
  ASSERT_TRUE(elf) << elf.status().to_string();
  auto t = EdgetraceTable::from_elf(*elf);
  ASSERT_TRUE(t) << t.status().to_string();
  expect_sites(*t);
}

TEST(EdgetraceTableTest, ReadsBigEndianElf) {
  auto elf = ElfFile::from_bytes(firmware_elf(false, false, 0x100), "be");
  ASSERT_TRUE(elf) << elf.status().to_string();
  EXPECT_FALSE(elf->is_little_endian());
  auto t = EdgetraceTable::from_elf(*elf);
  ASSERT_TRUE(t) << t.status().to_string();
  expect_sites(*t);
  bool saw_main = false;
  ASSERT_TRUE(elf->for_each_symbol([&](const ElfSymbol& s) {
                   if (s.name == "main") {
                     saw_main = true;
                     EXPECT_EQ(s.value, 0x8001u);
                     EXPECT_EQ(s.size, 12u);
                     EXPECT_EQ(s.section, ".text");
                     EXPECT_EQ(s.type, STT_FUNC);
                   }
                 })
                  .ok());
  EXPECT_TRUE(saw_main);
}

TEST(EdgetraceTableTest, SymbolNameOutsideTheStringTableIsAnError) {
  std::vector<std::uint8_t> bytes = firmware_elf(false, true, 0);
  auto elf = ElfFile::from_bytes(bytes, "fw.elf");
  ASSERT_TRUE(elf);
  const ElfSection* symtab = elf->find_section(".symtab");
  ASSERT_NE(symtab, nullptr);
  bytes[symtab->offset + 16] = 0xff;  // st_name of symbol 1 (ELF32, little-endian)
  bytes[symtab->offset + 17] = 0xff;
  auto bad = ElfFile::from_bytes(bytes, "fw.elf");
  ASSERT_TRUE(bad);
  const core::Status st = bad->for_each_symbol([](const ElfSymbol&) {});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "fw.elf: symbol table .symtab: symbol 1 has a name outside the string table");
}

TEST(EdgetraceTableTest, ElfWithoutTableIsAClearError) {
  ElfWriter w(false, true);
  w.add_section(".text", SHT_PROGBITS, SHF_ALLOC, 0, std::vector<std::uint8_t>(8, 1));
  auto elf = ElfFile::from_bytes(w.write(), "plain.elf");
  ASSERT_TRUE(elf) << elf.status().to_string();
  auto t = EdgetraceTable::from_elf(*elf);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.status().code(), core::StatusCode::kNotFound);
  EXPECT_EQ(t.status().message(),
            "plain.elf: ELF has no edgetrace call-site table (section edgetrace_meta missing)");
}

TEST(EdgetraceTableTest, TruncatedRecordIsAnError) {
  auto meta = testing::make_meta(kSites, 0, 4);
  meta.resize(meta.size() - 12);
  auto t = EdgetraceTable::from_sections(meta, 0, 4, 4, true, {}, "fw.elf");
  ASSERT_FALSE(t);
  EXPECT_NE(t.status().message().find("fw.elf: truncated call-site table"), std::string::npos)
      << t.status().message();
}

TEST(EdgetraceTableTest, MalformedRecordsAreErrors) {
  struct Case {
    std::size_t offset;  // within the first record (ELF32)
    std::uint8_t value;
    const char* message;
  };
  for (const Case& c :
       {Case{14, 7, "unknown kind 7"}, Case{15, 9, "unknown level 9"},
        Case{16, 9, "9 arguments (at most 8)"}, Case{17, 0x4c, "argument 0 has unknown class 12"},
        Case{8, 200, "is outside edgetrace_ids"}, Case{12, 10, "smaller than its header"}}) {
    auto meta = testing::make_meta(kSites, 0, 4);
    meta[c.offset] = c.value;
    if (c.offset == 12) {
      meta[13] = 0;
    }
    auto t = EdgetraceTable::from_sections(meta, 0, 4, 4, true, {}, "fw.elf");
    ASSERT_FALSE(t) << c.message;
    EXPECT_NE(t.status().message().find(c.message), std::string::npos) << t.status().message();
    EXPECT_NE(t.status().message().find("record at offset 0"), std::string::npos);
  }
}

TEST(EdgetraceTableTest, DuplicateCallSiteIsAnError) {
  std::vector<SiteSpec> sites = kSites;
  sites.push_back(sites[0]);
  auto t = EdgetraceTable::from_sections(testing::make_meta(sites, 0, 4), 0, 4, 4, true, {});
  ASSERT_FALSE(t);
  EXPECT_NE(t.status().message().find("two records for call site 0"), std::string::npos);
}

TEST(EdgetraceTableTest, CheckFindsPlaceholderMismatchesOfCSites) {
  std::vector<SiteSpec> sites = {
      {.tag = 8, .sig = {0x41}, .text = "a={} b={}", .file = "c.c", .line = 3},
      {.tag = 9, .sig = {0x41}, .text = "bad {:q}", .file = "c.c", .line = 4},
      {.tag = 10, .sig = {}, .text = "braces {{}} ok", .file = "c.c", .line = 5},
      {.tag = 11, .span = true, .text = "span {} names are not formats"},
  };
  auto t = EdgetraceTable::from_sections(testing::make_meta(sites, 0, 4), 0, 4, 4, true, {});
  ASSERT_TRUE(t) << t.status().to_string();
  EXPECT_EQ(t->check(), (std::vector<std::string>{
                            "c.c:3: 2 placeholders but 1 arguments in \"a={} b={}\"",
                            "c.c:4: malformed format string \"bad {:q}\"",
                        }));
}

TEST(EdgetraceTableTest, FormatPiecesUnescapeBracesAndCarryHints) {
  std::vector<FormatPiece> pieces;
  int count = 0;
  ASSERT_TRUE(parse_format("{{x}} v={:#x} b={:b}!", pieces, count));
  EXPECT_EQ(count, 2);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].literal, "{x} v=");
  EXPECT_EQ(pieces[0].spec, 'x');
  EXPECT_TRUE(pieces[0].alternate);
  EXPECT_EQ(pieces[1].literal, " b=");
  EXPECT_EQ(pieces[1].spec, 'b');
  EXPECT_EQ(pieces[2].literal, "!");
  EXPECT_EQ(pieces[2].arg, -1);
}

TEST(EdgetraceTableTest, MemoryEstimateGrowsWithTheTable) {
  auto small =
      EdgetraceTable::from_sections(testing::make_meta({kSites[0]}, 0, 4), 0, 4, 4, true, {});
  std::vector<SiteSpec> many;
  for (std::uint32_t i = 0; i < 500; ++i) {
    many.push_back({.tag = 8 + i,
                    .text = "a long enough format string number " + std::to_string(i),
                    .file = "some/long/path/to/a/source/file.c"});
  }
  auto big = EdgetraceTable::from_sections(testing::make_meta(many, 0, 4), 0, 1000, 4, true, {});
  ASSERT_TRUE(small);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->size(), 500u);
  EXPECT_GT(small->memory_bytes(), 100u);
  EXPECT_GT(big->memory_bytes(), 500u * (35 + 33));
  EXPECT_LT(big->memory_bytes(), 500u * 1000);
}

}  // namespace
}  // namespace edgetrace::decoder
