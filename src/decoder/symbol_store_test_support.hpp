// Shared by the symbol store and symbol HTTP tests: a temporary directory, the fixture ELF
// (a host program with an edgetrace call-site table, see store.cmake) and variants of it.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "edgetrace/decoder/elf_file.hpp"

namespace edgetrace::decoder::testing_support {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "et-store-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
}

inline std::vector<std::uint8_t> fixture_elf() {
  return read_file(ET_FIXTURE_ELF);
}

// File offset of the build-id note (its header: namesz, descsz, type, then "GNU\0", id).
inline std::size_t build_id_note_offset(const std::vector<std::uint8_t>& elf) {
  auto parsed = ElfFile::from_bytes(elf);
  if (!parsed)
    return 0;
  const ElfSection* note = parsed->find_section(".note.gnu.build-id");
  return note == nullptr ? 0 : static_cast<std::size_t>(note->offset);
}

// A copy whose build-id byte `index` is xor'ed with `mask` (a valid ELF of another
// build-id when mask != 0).
inline std::vector<std::uint8_t> flip_build_id(std::vector<std::uint8_t> elf, std::size_t index,
                                               std::uint8_t mask) {
  const std::size_t note = build_id_note_offset(elf);
  if (note != 0)
    elf.at(note + 16 + index) ^= mask;
  return elf;
}

// A copy whose build-id note has another note type, so the file has no build-id.
inline std::vector<std::uint8_t> without_build_id(std::vector<std::uint8_t> elf) {
  const std::size_t note = build_id_note_offset(elf);
  if (note != 0)
    elf.at(note + 8) = 0x7f;
  return elf;
}

}  // namespace edgetrace::decoder::testing_support
