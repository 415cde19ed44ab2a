// Locations of defmt log statements from DWARF (libdw), as defmt's decoder finds them:
// every log macro defines a static named DEFMT_LOG_STATEMENT whose linkage name is the
// interned string's symbol, whose address is the string's index, and whose declaration
// gives the file and line; the namespaces around it give the module path.

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <libelf.h>

#include <mutex>
#include <unordered_set>

#include "edgetrace/decoder/defmt.hpp"

namespace edgetrace::decoder {

namespace {

constexpr int kMaxDieDepth = 64;

struct Definition {
  std::uint64_t address = 0;
  Dwarf_Off declaration = 0;  // the DIE the module path comes from
  std::string linkage_name;
  std::string file;
  int line = 0;
};

// The declaration's file. libdw's dwarf_decl_file does not resolve DWARF 5's file 0 (the
// primary source file, which LLVM refers to), so that case is looked up here.
std::string decl_file(Dwarf_Die* die) {
  if (const char* f = dwarf_decl_file(die)) {
    return f;
  }
  Dwarf_Attribute attr;
  Dwarf_Word index = 0;
  Dwarf_Die cu;
  Dwarf_Files* files = nullptr;
  std::size_t nfiles = 0;
  if (dwarf_attr_integrate(die, DW_AT_decl_file, &attr) == nullptr ||
      dwarf_formudata(&attr, &index) != 0 || dwarf_diecu(die, &cu, nullptr, nullptr) == nullptr ||
      dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 || index >= nfiles) {
    return {};
  }
  const char* f = dwarf_filesrc(files, index, nullptr, nullptr);
  return f != nullptr ? f : "";
}

struct Walker {
  std::unordered_map<Dwarf_Off, std::string> module_of;  // DEFMT_LOG_STATEMENT DIE -> path
  std::vector<Definition> definitions;
  std::vector<std::string> namespaces;

  std::string module() const {
    std::string m;
    for (const std::string& n : namespaces) {
      if (!m.empty()) {
        m += "::";
      }
      m += n;
    }
    return m;
  }

  void variable(Dwarf_Die* die) {
    Dwarf_Attribute attr;
    const char* name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
    if (name == nullptr || std::string_view(name) != "DEFMT_LOG_STATEMENT") {
      return;
    }
    module_of.emplace(dwarf_dieoffset(die), module());
    if (dwarf_attr(die, DW_AT_location, &attr) == nullptr) {
      return;  // a declaration; its definition refers to it
    }
    Dwarf_Op* ops = nullptr;
    std::size_t nops = 0;
    if (dwarf_getlocation(&attr, &ops, &nops) != 0) {
      return;
    }
    Definition d;
    bool has_address = false;
    for (std::size_t i = 0; i < nops && !has_address; ++i) {
      if (ops[i].atom == DW_OP_addr) {
        d.address = ops[i].number;
        has_address = true;
      } else if (ops[i].atom == DW_OP_addrx || ops[i].atom == DW_OP_GNU_addr_index) {
        // DWARF 5 (LLVM's default): an index into .debug_addr.
        Dwarf_Attribute addr_attr;
        Dwarf_Addr addr = 0;
        if (dwarf_getlocation_attr(&attr, &ops[i], &addr_attr) == 0 &&
            dwarf_formaddr(&addr_attr, &addr) == 0) {
          d.address = addr;
          has_address = true;
        }
      }
    }
    const char* linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (!has_address || linkage == nullptr) {
      return;
    }
    d.linkage_name = linkage;
    d.declaration = dwarf_dieoffset(die);
    Dwarf_Attribute spec;
    Dwarf_Die target;
    if (dwarf_attr(die, DW_AT_specification, &spec) != nullptr &&
        dwarf_formref_die(&spec, &target) != nullptr) {
      d.declaration = dwarf_dieoffset(&target);
    }
    d.file = decl_file(die);
    dwarf_decl_line(die, &d.line);
    definitions.push_back(std::move(d));
  }

  void walk(Dwarf_Die* parent, int depth) {
    if (depth > kMaxDieDepth) {
      return;
    }
    Dwarf_Die child;
    if (dwarf_child(parent, &child) != 0) {
      return;
    }
    do {
      const int tag = dwarf_tag(&child);
      if (tag == DW_TAG_namespace) {
        const char* name = dwarf_diename(&child);
        namespaces.emplace_back(name != nullptr ? name : "");
        walk(&child, depth + 1);
        namespaces.pop_back();
      } else if (tag == DW_TAG_variable) {
        variable(&child);
      } else if (dwarf_haschildren(&child) > 0) {
        walk(&child, depth + 1);  // e.g. statics inside functions
      }
    } while (dwarf_siblingof(&child, &child) == 0);
  }
};

}  // namespace

std::unordered_map<std::uint16_t, Location> read_defmt_locations(const ElfFile& elf,
                                                                 const DefmtTable& table) {
  std::unordered_map<std::uint16_t, Location> out;
  static std::once_flag once;
  std::call_once(once, [] { (void)elf_version(EV_CURRENT); });
  const std::span<const std::uint8_t> bytes = elf.bytes();
  Elf* e = elf_memory(const_cast<char*>(reinterpret_cast<const char*>(bytes.data())), bytes.size());
  if (e == nullptr) {
    return out;
  }
  Dwarf* dw = dwarf_begin_elf(e, DWARF_C_READ, nullptr);
  if (dw == nullptr) {
    elf_end(e);
    return out;
  }
  Walker w;
  Dwarf_CU* cu = nullptr;
  Dwarf_Die cudie;
  Dwarf_Half version = 0;
  std::uint8_t unit_type = 0;
  while (dwarf_get_units(dw, cu, &cu, &version, &unit_type, &cudie, nullptr) == 0) {
    w.walk(&cudie, 0);
  }
  std::unordered_set<std::string_view> symbols;
  for (std::uint16_t i : table.log_indices()) {
    symbols.insert(table.find(i)->symbol);
  }
  for (const Definition& d : w.definitions) {
    // A statement the linker removed keeps its DWARF but not its symbol; skip it.
    if (d.address > 0xFFFF || !symbols.contains(d.linkage_name)) {
      continue;
    }
    const auto index = static_cast<std::uint16_t>(d.address);
    const DefmtEntry* entry = table.find(index);
    if (entry == nullptr || entry->symbol != d.linkage_name) {
      continue;
    }
    Location loc;
    loc.file = d.file;
    loc.line = d.line > 0 ? static_cast<std::uint32_t>(d.line) : 0;
    if (const auto it = w.module_of.find(d.declaration); it != w.module_of.end()) {
      loc.module = it->second;
    }
    out.emplace(index, std::move(loc));
  }
  dwarf_end(dw);
  elf_end(e);
  return out;
}

}  // namespace edgetrace::decoder
