// The symbol store's fixture ELF (a host program with an edgetrace call-site table, built by
// src/decoder/store.cmake, whose path the tests get as ET_FIXTURE_ELF) and variants of it
// with another build-id or none, for the symbol store and symbol HTTP tests.
//
//   auto elf = edgetrace::testing::fixture_elf();
//   auto other = edgetrace::testing::flip_build_id(elf, 0, 0x01);   // same table, new id
#pragma once

#include <cstdint>
#include <vector>

#include "edgetrace/decoder/elf_file.hpp"
#include "testing/file_contents.hpp"

namespace edgetrace::testing {

inline std::vector<std::uint8_t> fixture_elf() {
  return read_bytes(ET_FIXTURE_ELF);
}

// File offset of the build-id note (its header: namesz, descsz, type, then "GNU\0", id).
inline std::size_t build_id_note_offset(const std::vector<std::uint8_t>& elf) {
  auto parsed = decoder::ElfFile::from_bytes(elf);
  if (!parsed)
    return 0;
  const decoder::ElfSection* note = parsed->find_section(".note.gnu.build-id");
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

}  // namespace edgetrace::testing
