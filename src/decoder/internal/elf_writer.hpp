// Writes small ELF files (32 or 64 bit, either byte order) with given sections and
// symbols, for the decoder's tests and fuzz seeds: a table reader can be tested against
// exact bytes without a cross toolchain.
//
//   internal::ElfWriter w(/*is64=*/false, /*little_endian=*/true);
//   w.add_section("edgetrace_ids", SHT_PROGBITS, 0, /*addr=*/0, std::vector<uint8_t>(3));
//   w.add_build_id({0xaa, 0xbb});
//   w.add_symbol("{\"tag\":\"defmt_info\"}", /*value=*/1, /*size=*/1, /*section=*/1);
//   std::vector<uint8_t> bytes = w.write();
//
// Not thread-safe; allocates. Test code only.
#pragma once

#include <elf.h>

#include <cstdint>
#include <string>
#include <vector>

namespace edgetrace::decoder::internal {

class ElfWriter {
 public:
  ElfWriter(bool is64, bool little_endian, std::uint16_t machine = EM_ARM)
      : is64_(is64), little_(little_endian), machine_(machine) {}

  // Returns the section's index in the section header table (1, 2, ...).
  std::size_t add_section(std::string name, std::uint32_t type, std::uint64_t flags,
                          std::uint64_t addr, std::vector<std::uint8_t> data) {
    sections_.push_back({std::move(name), type, flags, addr, std::move(data)});
    return sections_.size();
  }

  // A .note.gnu.build-id section holding `id`.
  std::size_t add_build_id(const std::vector<std::uint8_t>& id) {
    std::vector<std::uint8_t> note;
    put(note, 4, 4);
    put(note, id.size(), 4);
    put(note, 3, 4);  // NT_GNU_BUILD_ID
    note.insert(note.end(), {'G', 'N', 'U', 0});
    note.insert(note.end(), id.begin(), id.end());
    while (note.size() % 4 != 0) {
      note.push_back(0);
    }
    return add_section(".note.gnu.build-id", SHT_NOTE, SHF_ALLOC, 0, std::move(note));
  }

  void add_symbol(std::string name, std::uint64_t value, std::uint64_t size, std::uint16_t section,
                  std::uint8_t info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT)) {
    symbols_.push_back({std::move(name), value, size, section, info});
  }

  // Appends an unsigned integer of `size` bytes in the file's byte order.
  void put(std::vector<std::uint8_t>& out, std::uint64_t v, std::size_t size) const {
    for (std::size_t i = 0; i < size; ++i) {
      const std::size_t shift = 8 * (little_ ? i : size - 1 - i);
      out.push_back(static_cast<std::uint8_t>(v >> shift));
    }
  }

  std::vector<std::uint8_t> write() const {
    std::vector<Section> all = sections_;
    std::vector<std::uint8_t> strtab{0};
    std::vector<std::uint8_t> symtab;
    if (!symbols_.empty()) {
      symtab.assign(is64_ ? 24 : 16, 0);  // the null symbol
      for (const Symbol& s : symbols_) {
        const std::size_t name = strtab.size();
        strtab.insert(strtab.end(), s.name.begin(), s.name.end());
        strtab.push_back(0);
        if (is64_) {
          put(symtab, name, 4);
          symtab.push_back(s.info);
          symtab.push_back(0);
          put(symtab, s.section, 2);
          put(symtab, s.value, 8);
          put(symtab, s.size, 8);
        } else {
          put(symtab, name, 4);
          put(symtab, s.value, 4);
          put(symtab, s.size, 4);
          symtab.push_back(s.info);
          symtab.push_back(0);
          put(symtab, s.section, 2);
        }
      }
      all.push_back({".strtab", SHT_STRTAB, 0, 0, strtab});
      all.push_back({".symtab", SHT_SYMTAB, 0, 0, symtab});
    }
    std::vector<std::uint8_t> shstrtab{0};
    std::vector<std::size_t> names;
    all.push_back({".shstrtab", SHT_STRTAB, 0, 0, {}});
    for (const Section& s : all) {
      names.push_back(shstrtab.size());
      shstrtab.insert(shstrtab.end(), s.name.begin(), s.name.end());
      shstrtab.push_back(0);
    }
    all.back().data = shstrtab;

    const std::size_t ehsize = is64_ ? 64 : 52;
    const std::size_t shentsize = is64_ ? 64 : 40;
    std::vector<std::uint8_t> out(ehsize, 0);
    std::vector<std::uint64_t> offsets;
    for (const Section& s : all) {
      while (out.size() % 8 != 0) {
        out.push_back(0);
      }
      offsets.push_back(out.size());
      out.insert(out.end(), s.data.begin(), s.data.end());
    }
    while (out.size() % 8 != 0) {
      out.push_back(0);
    }
    const std::uint64_t shoff = out.size();
    const std::size_t shnum = all.size() + 1;
    out.resize(out.size() + shentsize, 0);  // the null section
    for (std::size_t i = 0; i < all.size(); ++i) {
      const Section& s = all[i];
      std::uint64_t link = 0;
      std::uint64_t entsize = 0;
      std::uint64_t info = 0;
      if (s.type == SHT_SYMTAB) {
        link = all.size() - 2;  // .strtab precedes it (1-based index = size - 2)
        entsize = is64_ ? 24 : 16;
        info = 1;
      }
      put(out, names[i], 4);
      put(out, s.type, 4);
      const std::size_t w = is64_ ? 8 : 4;
      put(out, s.flags, w);
      put(out, s.addr, w);
      put(out, offsets[i], w);
      put(out, s.data.size(), w);
      put(out, link, 4);
      put(out, info, 4);
      put(out, 1, w);  // addralign
      put(out, entsize, w);
    }
    // The ELF header.
    std::vector<std::uint8_t> h = {0x7f,
                                   'E',
                                   'L',
                                   'F',
                                   static_cast<std::uint8_t>(is64_ ? 2 : 1),
                                   static_cast<std::uint8_t>(little_ ? 1 : 2),
                                   1,
                                   0};
    h.resize(16, 0);
    put(h, ET_EXEC, 2);
    put(h, machine_, 2);
    put(h, 1, 4);
    const std::size_t w = is64_ ? 8 : 4;
    put(h, 0, w);  // entry
    put(h, 0, w);  // phoff
    put(h, shoff, w);
    put(h, 0, 4);  // flags
    put(h, ehsize, 2);
    put(h, is64_ ? 56 : 32, 2);
    put(h, 0, 2);  // phnum
    put(h, shentsize, 2);
    put(h, shnum, 2);
    put(h, shnum - 1, 2);  // .shstrtab is last
    std::copy(h.begin(), h.end(), out.begin());
    return out;
  }

 private:
  struct Section {
    std::string name;
    std::uint32_t type;
    std::uint64_t flags;
    std::uint64_t addr;
    std::vector<std::uint8_t> data;
  };
  struct Symbol {
    std::string name;
    std::uint64_t value;
    std::uint64_t size;
    std::uint16_t section;
    std::uint8_t info;
  };
  bool is64_;
  bool little_;
  std::uint16_t machine_;
  std::vector<Section> sections_;
  std::vector<Symbol> symbols_;
};

}  // namespace edgetrace::decoder::internal
