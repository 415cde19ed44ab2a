// Fuzzes ElfFile::from_bytes and the edgetrace call-site table reader with arbitrary
// bytes: any input gives a value or a clear error, never a crash, a hang or unbounded
// memory. Seeds (fuzz/corpus/elf_reader_fuzz) are small ELF32/ELF64 files with a table.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "edgetrace/decoder/edgetrace_table.hpp"
#include "edgetrace/decoder/elf_file.hpp"

using namespace edgetrace::decoder;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto elf = ElfFile::from_bytes(std::vector<std::uint8_t>(data, data + size), "fuzz");
  if (!elf) {
    if (elf.status().message().empty()) {
      std::abort();
    }
    return 0;
  }
  std::size_t total = 0;
  for (const ElfSection& s : elf->sections()) {
    total += s.name.size() + s.data.size();
  }
  (void)elf->build_id();
  elf->for_each_symbol([&total](const ElfSymbol& s) { total += s.name.size(); }).ignore();
  auto table = EdgetraceTable::from_elf(*elf);
  if (table) {
    for (const auto& problem : table->check()) {
      total += problem.size();
    }
    for (const CallSite& site : table->sites()) {
      if (table->find(site.tag) != &site) {
        std::abort();
      }
    }
    total += table->memory_bytes();
  }
  (void)total;
  return 0;
}
