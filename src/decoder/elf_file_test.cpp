#include "edgetrace/decoder/elf_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace edgetrace::decoder {
namespace {

std::vector<std::uint8_t> read_self() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
}

TEST(ElfFileTest, OpensItsOwnExecutable) {
  auto elf = ElfFile::open("/proc/self/exe");
  ASSERT_TRUE(elf) << elf.status().to_string();
  EXPECT_TRUE(elf->is_64bit());
  EXPECT_TRUE(elf->is_little_endian());
  ASSERT_NE(elf->find_section(".text"), nullptr);
  EXPECT_GT(elf->find_section(".text")->size, 0u);
  EXPECT_FALSE(elf->section(".no_such_section"));
  bool saw_main = false;
  ASSERT_TRUE(elf->for_each_symbol([&](const ElfSymbol& s) {
                   if (s.name == "main") {
                     saw_main = true;
                     EXPECT_EQ(s.section, ".text");
                   }
                 })
                  .ok());
  EXPECT_TRUE(saw_main);
}

TEST(ElfFileTest, BuildIdMatchesTheNoteSection) {
  auto elf = ElfFile::from_bytes(read_self(), "self");
  ASSERT_TRUE(elf) << elf.status().to_string();
  const ElfSection* note = elf->find_section(".note.gnu.build-id");
  if (note == nullptr) {
    GTEST_SKIP() << "test binary linked without --build-id";
  }
  auto id = elf->build_id();
  ASSERT_TRUE(id.has_value());
  ASSERT_EQ(note->data.size(), 16 + id->size());
  EXPECT_TRUE(std::equal(id->begin(), id->end(), note->data.begin() + 16));
}

TEST(ElfFileTest, RejectsNonElfInput) {
  auto r = ElfFile::from_bytes({'h', 'e', 'l', 'l', 'o'}, "hello.txt");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().message(), "hello.txt: not an ELF file (no \\x7fELF magic)");
  EXPECT_FALSE(ElfFile::from_bytes({}, "empty"));
}

TEST(ElfFileTest, RejectsMissingFile) {
  auto r = ElfFile::open("/nonexistent/firmware.elf");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound);
}

TEST(ElfFileTest, RejectsEveryTruncation) {
  const std::vector<std::uint8_t> full = read_self();
  ASSERT_GT(full.size(), 4096u);
  // The section headers sit at the end: cutting anywhere leaves them out of the file.
  for (std::size_t cut : {std::size_t{3}, std::size_t{16}, std::size_t{40}, std::size_t{64},
                          full.size() / 2, full.size() - 1}) {
    auto r =
        ElfFile::from_bytes(std::vector<std::uint8_t>(full.begin(), full.begin() + cut), "cut");
    EXPECT_FALSE(r) << "cut at " << cut;
  }
}

TEST(ElfFileTest, RefusesFilesOverTheSizeCap) {
  auto r = ElfFile::open("/proc/self/exe", 1024);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), core::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace edgetrace::decoder
