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

// Notes as a linker lays them out: another note first, then the build-id, in either byte
// order; a truncated or foreign note is not a build-id.
TEST(FindBuildIdNoteTest, FindsTheGnuBuildIdAfterOtherNotesInEitherByteOrder) {
  auto u32 = [](std::vector<std::uint8_t>& out, std::uint32_t v, bool little) {
    for (int i = 0; i < 4; ++i) {
      out.push_back(static_cast<std::uint8_t>(v >> (8 * (little ? i : 3 - i))));
    }
  };
  for (bool little : {true, false}) {
    std::vector<std::uint8_t> notes;
    // NT_GNU_ABI_TAG (1), name "GNU", 16-byte descriptor.
    u32(notes, 4, little);
    u32(notes, 16, little);
    u32(notes, 1, little);
    notes.insert(notes.end(), {'G', 'N', 'U', 0});
    notes.insert(notes.end(), 16, 0x11);
    const std::size_t start = notes.size();
    // NT_GNU_BUILD_ID (3), 5-byte id: the descriptor is padded to 8 bytes.
    u32(notes, 4, little);
    u32(notes, 5, little);
    u32(notes, 3, little);
    notes.insert(notes.end(), {'G', 'N', 'U', 0, 0xde, 0xad, 0xbe, 0xef, 0x01, 0, 0, 0});
    const auto found = find_build_id_note(notes, little);
    ASSERT_TRUE(found.has_value()) << little;
    EXPECT_EQ(std::vector<std::uint8_t>(found->id.begin(), found->id.end()),
              (std::vector<std::uint8_t>{0xde, 0xad, 0xbe, 0xef, 0x01}));
    EXPECT_EQ(found->note.data(), notes.data() + start);
    EXPECT_EQ(found->note.size(), 12u + 4u + 5u);  // header, name, id (no trailing padding)
    // The other byte order reads nonsense sizes: no build-id, no out-of-bounds read.
    EXPECT_FALSE(find_build_id_note(notes, !little).has_value());
    // Cut inside the id: malformed, not found.
    const std::span<const std::uint8_t> cut(notes.data(), notes.size() - 6);
    EXPECT_FALSE(find_build_id_note(cut, little).has_value());
  }
}

TEST(FindBuildIdNoteTest, AgreesWithTheFileReaderOnItsOwnExecutable) {
  auto elf = ElfFile::from_bytes(read_self(), "self");
  ASSERT_TRUE(elf) << elf.status().to_string();
  const ElfSection* note = elf->find_section(".note.gnu.build-id");
  if (note == nullptr) {
    GTEST_SKIP() << "test binary linked without --build-id";
  }
  const auto found = find_build_id_note(note->data, elf->is_little_endian());
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->note.size(), note->data.size());
  EXPECT_EQ(std::vector<std::uint8_t>(found->id.begin(), found->id.end()), elf->build_id());
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
