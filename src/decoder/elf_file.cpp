#include "edgetrace/decoder/elf_file.hpp"

#include <gelf.h>
#include <libelf.h>

#include <cstring>
#include <fstream>
#include <mutex>

#include "edgetrace/core/posix.hpp"

namespace edgetrace::decoder {

namespace {

constexpr std::uint32_t kNoteGnuBuildId = 3;  // NT_GNU_BUILD_ID

void init_libelf() {
  static std::once_flag once;
  std::call_once(once, [] { (void)elf_version(EV_CURRENT); });
}

std::string libelf_error() {
  const char* msg = elf_errmsg(-1);
  return msg != nullptr ? msg : "unknown libelf error";
}

}  // namespace

// Closes a libelf handle. libelf is used only while opening: afterwards every query reads
// the owned bytes, so const methods touch no shared libelf state (libelf's lazy section
// loading is not thread-safe).
struct ElfCloser {
  void operator()(Elf* e) const noexcept { elf_end(e); }
};

struct ElfFile::State {
  std::string name;
  std::vector<std::uint8_t> bytes;
  bool is64 = false;
  bool little = true;
  std::uint16_t machine = 0;
  std::vector<ElfSection> sections;
  std::vector<std::string> section_names;  // reserved once: ElfSection::name views these
};

ElfFile::ElfFile(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
ElfFile::ElfFile(ElfFile&&) noexcept = default;
ElfFile& ElfFile::operator=(ElfFile&&) noexcept = default;
ElfFile::~ElfFile() = default;

core::Result<ElfFile> ElfFile::open(const std::string& path, std::size_t max_size) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    return core::not_found(path + ": cannot open: " + core::errno_text(errno));
  }
  const std::streamoff size = in.tellg();
  if (size < 0) {
    return core::invalid_argument(path + ": cannot read (not a regular file?)");
  }
  if (static_cast<std::uint64_t>(size) > max_size) {
    return core::Status(core::StatusCode::kResourceExhausted,
                        path + ": " + std::to_string(size) + " bytes, more than the limit of " +
                            std::to_string(max_size) + " bytes for an ELF file");
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    return core::invalid_argument(path + ": read error");
  }
  return from_bytes(std::move(bytes), path, max_size);
}

core::Result<ElfFile> ElfFile::from_bytes(std::vector<std::uint8_t> bytes, std::string name,
                                          std::size_t max_size) {
  auto fail = [&name](const std::string& what) {
    return core::invalid_argument(name + ": " + what);
  };
  if (bytes.size() > max_size) {
    return core::Status(core::StatusCode::kResourceExhausted,
                        name + ": " + std::to_string(bytes.size()) +
                            " bytes, more than the limit of " + std::to_string(max_size) +
                            " bytes for an ELF file");
  }
  if (bytes.size() < 4 || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0) {
    return fail("not an ELF file (no \\x7fELF magic)");
  }
  if (bytes.size() < EI_NIDENT) {
    return fail("truncated ELF header");
  }
  const std::uint8_t cls = bytes[EI_CLASS];
  const std::uint8_t data = bytes[EI_DATA];
  if (cls != ELFCLASS32 && cls != ELFCLASS64) {
    return fail("unknown ELF class " + std::to_string(cls));
  }
  if (data != ELFDATA2LSB && data != ELFDATA2MSB) {
    return fail("unknown ELF byte order " + std::to_string(data));
  }
  const std::size_t ehdr_size = cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
  if (bytes.size() < ehdr_size) {
    return fail("truncated ELF header (" + std::to_string(bytes.size()) + " bytes)");
  }

  init_libelf();
  auto state = std::make_unique<State>();
  state->name = std::move(name);
  state->bytes = std::move(bytes);
  state->is64 = cls == ELFCLASS64;
  state->little = data == ELFDATA2LSB;
  const std::string& nm = state->name;
  auto err = [&nm](const std::string& what) { return core::invalid_argument(nm + ": " + what); };

  std::unique_ptr<Elf, ElfCloser> handle(
      elf_memory(reinterpret_cast<char*>(state->bytes.data()), state->bytes.size()));
  Elf* elf = handle.get();
  if (elf == nullptr || elf_kind(elf) != ELF_K_ELF) {
    return err("not an ELF file: " + libelf_error());
  }
  GElf_Ehdr ehdr;
  if (gelf_getehdr(elf, &ehdr) == nullptr) {
    return err("malformed ELF header: " + libelf_error());
  }
  state->machine = ehdr.e_machine;
  const std::uint64_t file_size = state->bytes.size();

  std::size_t shnum = 0;
  if (elf_getshdrnum(elf, &shnum) != 0) {
    return err("malformed section header table: " + libelf_error());
  }
  if (shnum > kMaxSections) {
    return err(std::to_string(shnum) + " sections, more than the limit of " +
               std::to_string(kMaxSections));
  }
  if (ehdr.e_shnum != 0 && ehdr.e_shnum != shnum) {
    // libelf shortens a section header table that does not fit in the buffer.
    return err("truncated: " + std::to_string(ehdr.e_shnum) +
               " section headers announced, the file holds " + std::to_string(shnum));
  }
  if (shnum > 0) {
    const std::uint64_t entsize = state->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    if (ehdr.e_shoff > file_size || shnum * entsize > file_size - ehdr.e_shoff) {
      return err("truncated: section headers end past the end of the file");
    }
  }
  std::size_t shstrndx = 0;
  if (shnum > 0 && elf_getshdrstrndx(elf, &shstrndx) != 0) {
    return err("malformed section name table index: " + libelf_error());
  }
  if (shnum > 0 && shstrndx >= shnum) {
    return err("section name table index " + std::to_string(shstrndx) + " out of range");
  }

  state->sections.reserve(shnum);
  state->section_names.reserve(shnum);
  for (std::size_t i = 1; i < shnum; ++i) {
    Elf_Scn* scn = elf_getscn(elf, i);
    GElf_Shdr shdr;
    if (scn == nullptr || gelf_getshdr(scn, &shdr) == nullptr) {
      return err("malformed section header " + std::to_string(i) + ": " + libelf_error());
    }
    ElfSection s;
    const char* sname = elf_strptr(elf, shstrndx, shdr.sh_name);
    if (sname == nullptr) {
      return err("section " + std::to_string(i) + " has a name outside the name table");
    }
    state->section_names.emplace_back(sname);
    s.name = state->section_names.back();
    s.type = shdr.sh_type;
    s.link = shdr.sh_link;
    s.entsize = shdr.sh_entsize;
    s.flags = shdr.sh_flags;
    s.address = shdr.sh_addr;
    s.size = shdr.sh_size;
    s.offset = shdr.sh_offset;
    if (shdr.sh_type != SHT_NOBITS && shdr.sh_type != SHT_NULL) {
      if (shdr.sh_offset > file_size || shdr.sh_size > file_size - shdr.sh_offset) {
        return err("truncated: section " + std::string(s.name) + " (offset " +
                   std::to_string(shdr.sh_offset) + ", size " + std::to_string(shdr.sh_size) +
                   ") ends past the end of the file (" + std::to_string(file_size) + " bytes)");
      }
      s.data = std::span<const std::uint8_t>(state->bytes.data() + shdr.sh_offset,
                                             static_cast<std::size_t>(shdr.sh_size));
    }
    state->sections.push_back(s);
  }
  return ElfFile(std::move(state));
}

const std::string& ElfFile::name() const noexcept {
  return state_->name;
}
bool ElfFile::is_64bit() const noexcept {
  return state_->is64;
}
bool ElfFile::is_little_endian() const noexcept {
  return state_->little;
}
std::uint16_t ElfFile::machine() const noexcept {
  return state_->machine;
}
std::span<const std::uint8_t> ElfFile::bytes() const noexcept {
  return state_->bytes;
}
std::span<const ElfSection> ElfFile::sections() const noexcept {
  return state_->sections;
}

const ElfSection* ElfFile::find_section(std::string_view name) const noexcept {
  for (const ElfSection& s : state_->sections) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

core::Result<ElfSection> ElfFile::section(std::string_view name) const {
  const ElfSection* s = find_section(name);
  if (s == nullptr) {
    return core::not_found(state_->name + ": no section " + std::string(name));
  }
  return *s;
}

std::uint64_t ElfFile::read_uint(const std::uint8_t* p, std::size_t size) const noexcept {
  std::uint64_t v = 0;
  if (state_->little) {
    for (std::size_t i = size; i-- > 0;) {
      v = (v << 8) | p[i];
    }
  } else {
    for (std::size_t i = 0; i < size; ++i) {
      v = (v << 8) | p[i];
    }
  }
  return v;
}

std::optional<std::vector<std::uint8_t>> ElfFile::build_id() const {
  for (const ElfSection& s : state_->sections) {
    if (s.type != SHT_NOTE) {
      continue;
    }
    if (const auto note = find_build_id_note(s.data, state_->little)) {
      return std::vector<std::uint8_t>(note->id.begin(), note->id.end());
    }
  }
  return std::nullopt;
}

std::optional<BuildIdNote> find_build_id_note(std::span<const std::uint8_t> notes,
                                              bool little_endian) noexcept {
  auto read32 = [little_endian](const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      v |= std::uint64_t{p[little_endian ? i : 3 - i]} << (8 * i);
    }
    return v;
  };
  // Notes: namesz, descsz, type (4 bytes each), name and desc each padded to 4 bytes (also
  // in ELF64 files as produced by GNU tools).
  const std::span<const std::uint8_t> d = notes;
  std::size_t pos = 0;
  while (d.size() - pos >= 12) {
    const std::size_t start = pos;
    const std::uint64_t namesz = read32(d.data() + pos);
    const std::uint64_t descsz = read32(d.data() + pos + 4);
    const std::uint64_t type = read32(d.data() + pos + 8);
    pos += 12;
    const std::uint64_t name_padded = (namesz + 3) & ~std::uint64_t{3};
    const std::uint64_t desc_padded = (descsz + 3) & ~std::uint64_t{3};
    if (name_padded > d.size() - pos || descsz > d.size() - pos - name_padded) {
      break;  // malformed note: look no further
    }
    const bool gnu = namesz == 4 && std::memcmp(d.data() + pos, "GNU", 4) == 0;
    if (gnu && type == kNoteGnuBuildId && descsz > 0) {
      const std::size_t desc = pos + static_cast<std::size_t>(name_padded);
      const std::size_t end = desc + static_cast<std::size_t>(descsz);
      return BuildIdNote{d.subspan(start, end - start), d.subspan(desc, end - desc)};
    }
    pos += static_cast<std::size_t>(name_padded);
    if (desc_padded > d.size() - pos) {
      break;
    }
    pos += static_cast<std::size_t>(desc_padded);
  }
  return std::nullopt;
}

core::Status ElfFile::for_each_symbol(const std::function<void(const ElfSymbol&)>& fn) const {
  const auto& sections = state_->sections;
  const ElfSection* symtab = nullptr;
  for (const ElfSection& s : sections) {
    if (s.type == SHT_SYMTAB) {
      symtab = &s;
      break;
    }
    if (s.type == SHT_DYNSYM && symtab == nullptr) {
      symtab = &s;
    }
  }
  if (symtab == nullptr) {
    return core::Status();
  }
  const std::string where = state_->name + ": symbol table " + std::string(symtab->name);
  // sh_link is a section header index; `sections` leaves out index 0.
  if (symtab->link == 0 || symtab->link > sections.size()) {
    return core::invalid_argument(where + " links to no string table");
  }
  const std::span<const std::uint8_t> strtab = sections[symtab->link - 1].data;
  const std::size_t entsize = state_->is64 ? 24 : 16;
  const std::span<const std::uint8_t> d = symtab->data;
  const std::size_t count = d.size() / entsize;
  for (std::size_t i = 1; i < count; ++i) {
    const std::uint8_t* p = d.data() + i * entsize;
    const std::uint64_t name = read_uint(p, 4);
    ElfSymbol out;
    std::uint64_t shndx = 0;
    std::uint8_t info = 0;
    if (state_->is64) {
      info = p[4];
      shndx = read_uint(p + 6, 2);
      out.value = read_uint(p + 8, 8);
      out.size = read_uint(p + 16, 8);
    } else {
      out.value = read_uint(p + 4, 4);
      out.size = read_uint(p + 8, 4);
      info = p[12];
      shndx = read_uint(p + 14, 2);
    }
    if (name >= strtab.size()) {
      return core::invalid_argument(where + ": symbol " + std::to_string(i) +
                                    " has a name outside the string table");
    }
    const char* text = reinterpret_cast<const char*>(strtab.data() + name);
    const std::size_t len = strnlen(text, strtab.size() - static_cast<std::size_t>(name));
    if (len == strtab.size() - name) {
      return core::invalid_argument(where + ": symbol " + std::to_string(i) +
                                    " has an unterminated name");
    }
    out.name = std::string_view(text, len);
    out.type = static_cast<std::uint8_t>(info & 0x0f);
    out.binding = static_cast<std::uint8_t>(info >> 4);
    if (shndx != SHN_UNDEF && shndx < SHN_LORESERVE && shndx <= sections.size()) {
      out.section = sections[shndx - 1].name;
    }
    fn(out);
  }
  return core::Status();
}

}  // namespace edgetrace::decoder
