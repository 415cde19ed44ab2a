// ElfFile: a read-only view of an ELF file (32 or 64 bit, either byte order), read with
// libelf, for the tables a device stream is decoded with: sections by name, symbols and
// the GNU build-id note.
//
//   auto elf = edgetrace::decoder::ElfFile::open("firmware.elf");
//   if (!elf) { std::cerr << elf.status().to_string() << "\n"; return 1; }
//   if (auto id = elf->build_id()) { ... }
//   auto meta = elf->section("edgetrace_meta");      // Result<ElfSection>
//   elf->for_each_symbol([](const ElfSymbol& s) { ... });
//
// Files and byte buffers share one path (the whole file is read into memory and handed
// to elf_memory), so a buffer from the network is parsed exactly like a file. Input is
// never trusted: a file over the size cap, not an ELF, truncated, or whose section
// headers point outside the file gives a clear error, never a crash.
//
// Thread-safety: an ElfFile is immutable after open; const methods may be called from
// several threads (libelf is used only while opening; queries read the owned bytes, with
// bounds checks). Ownership: it owns the bytes; views it returns (section data, names)
// live as long as the ElfFile (moving it keeps them valid). Allocation: open() reads the
// file once; queries do not allocate except where they return owning values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/result.hpp"

namespace edgetrace::decoder {

struct ElfSection {
  std::string_view name;
  std::uint32_t type = 0;     // SHT_*
  std::uint64_t flags = 0;    // SHF_*
  std::uint64_t address = 0;  // sh_addr (0 for non-allocated sections)
  std::uint64_t size = 0;     // sh_size
  std::uint64_t offset = 0;   // sh_offset in the file
  std::uint32_t link = 0;     // sh_link (a section header index)
  std::uint64_t entsize = 0;  // sh_entsize
  // The bytes as in the file (in the ELF's byte order); empty for SHT_NOBITS (.bss).
  std::span<const std::uint8_t> data;
};

struct ElfSymbol {
  std::string_view name;
  std::uint64_t value = 0;
  std::uint64_t size = 0;
  std::uint8_t type = 0;     // STT_*
  std::uint8_t binding = 0;  // STB_*
  std::string_view section;  // name of the section it is defined in; empty if none
};

class ElfFile {
 public:
  // Largest file accepted (larger inputs are refused before being read).
  static constexpr std::size_t kMaxFileSize = std::size_t{256} << 20;
  // Largest number of sections accepted.
  static constexpr std::size_t kMaxSections = 65535;

  // Reads and parses `path`. Errors: not_found / permission (cannot open),
  // resource_exhausted (over max_size), invalid_argument (not an ELF, truncated,
  // malformed). Messages start with the path.
  static core::Result<ElfFile> open(const std::string& path, std::size_t max_size = kMaxFileSize);
  // Parses a buffer, taking ownership. `name` is used in error messages.
  static core::Result<ElfFile> from_bytes(std::vector<std::uint8_t> bytes,
                                          std::string name = "<memory>",
                                          std::size_t max_size = kMaxFileSize);

  ElfFile(ElfFile&&) noexcept;
  ElfFile& operator=(ElfFile&&) noexcept;
  ~ElfFile();

  // The path or name it was opened with.
  const std::string& name() const noexcept;
  bool is_64bit() const noexcept;
  bool is_little_endian() const noexcept;
  std::uint16_t machine() const noexcept;  // e_machine (EM_ARM = 40, EM_X86_64 = 62)
  std::size_t pointer_size() const noexcept { return is_64bit() ? 8 : 4; }
  // The whole file.
  std::span<const std::uint8_t> bytes() const noexcept;

  // Every section, in section-header order (index 0, the null section, is left out).
  std::span<const ElfSection> sections() const noexcept;
  // The first section called `name`; nullptr if there is none.
  const ElfSection* find_section(std::string_view name) const noexcept;
  // Same, as a Result: not_found "<file>: no section <name>".
  core::Result<ElfSection> section(std::string_view name) const;

  // The GNU build-id (NT_GNU_BUILD_ID note, name "GNU") from any SHT_NOTE section;
  // nullopt if the file has none.
  std::optional<std::vector<std::uint8_t>> build_id() const;

  // Calls `fn` for each symbol of .symtab (or .dynsym if there is no .symtab), skipping
  // the null symbol. Error if the symbol table is malformed (symbols before the error have
  // been passed to `fn`). No symbol table: OK, no calls. The views in ElfSymbol live as
  // long as the ElfFile.
  core::Status for_each_symbol(const std::function<void(const ElfSymbol&)>& fn) const;

  // Reads an unsigned integer of `size` bytes (1, 2, 4 or 8) at `p` in the ELF's byte
  // order. The caller checks bounds.
  std::uint64_t read_uint(const std::uint8_t* p, std::size_t size) const noexcept;

 private:
  struct State;
  explicit ElfFile(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

// A GNU build-id note (type NT_GNU_BUILD_ID, name "GNU", non-empty descriptor).
struct BuildIdNote {
  // The note from its header to the end of its descriptor (without trailing padding): what
  // the device library's build_id_note points at.
  std::span<const std::uint8_t> note;
  // The descriptor: the build-id itself.
  std::span<const std::uint8_t> id;
};

// Finds the first GNU build-id note in `notes`, the contents of an SHT_NOTE section or a
// PT_NOTE segment (namesz, descsz, type in the given byte order; name and descriptor each
// padded to 4 bytes). nullopt if there is none, or if the notes are malformed before one
// is found. The spans point into `notes`. Used for files (ElfFile::build_id) and for the
// notes of a running program (its PT_NOTE segments in memory). Does not allocate.
std::optional<BuildIdNote> find_build_id_note(std::span<const std::uint8_t> notes,
                                              bool little_endian) noexcept;

// Lowercase hex of a byte string ("aabbccdd"), for build-ids in messages and paths.
using core::to_hex;

}  // namespace edgetrace::decoder
