// check_elf: what the symbol store accepts, and the parsed tables of a SymbolEntry.
#include <string>

#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/edgetrace_table.hpp"
#include "edgetrace/decoder/elf_file.hpp"
#include "edgetrace/decoder/symbol_store.hpp"

namespace edgetrace::decoder {

core::Result<CheckedElf> check_elf(std::span<const std::uint8_t> bytes, std::size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    return core::Status(core::StatusCode::kResourceExhausted,
                        "ELF of " + std::to_string(bytes.size()) +
                            " bytes is over the symbol store's limit of " +
                            std::to_string(max_bytes) + " bytes");
  }
  auto elf =
      ElfFile::from_bytes(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), "ELF", max_bytes);
  if (!elf) {
    // The reader prefixes its messages with the name given above; the caller adds its own.
    std::string message = elf.status().message();
    if (message.rfind("ELF: ", 0) == 0)
      message.erase(0, 5);
    return core::invalid_argument(message);
  }
  auto id = elf->build_id();
  if (!id || id->empty() || id->size() > 32) {
    return core::invalid_argument(
        "ELF has no GNU build-id note (link with -Wl,--build-id): a device stream could never "
        "name it");
  }
  auto entry = std::make_shared<SymbolEntry>();
  entry->build_id = build_id_hex(*id);
  CheckedElf out;
  int kinds = 0;
  auto table = EdgetraceTable::from_elf(*elf);
  if (table) {
    kinds |= static_cast<int>(SymbolKind::kEdgetrace);
    out.table_problems = table->check();
    entry->call_sites += table->size();
    entry->memory_bytes += table->memory_bytes();
    entry->edgetrace = std::make_shared<const EdgetraceTable>(std::move(*table));
  } else if (table.status().code() != core::StatusCode::kNotFound) {
    // A table is there but malformed: say what is wrong with it.
    return core::invalid_argument("ELF " + entry->build_id +
                                  ": edgetrace call-site table: " + table.status().message());
  }
  if (has_defmt_table(*elf)) {
    auto defmt = DefmtTable::from_elf(*elf);
    if (!defmt) {
      // A defmt firmware whose table is unusable (unsupported version, bad symbol): the
      // store would serve an ELF nobody can decode with.
      return core::invalid_argument("ELF " + entry->build_id +
                                    ": defmt table: " + defmt.status().message());
    }
    kinds |= static_cast<int>(SymbolKind::kDefmt);
    entry->call_sites += defmt->log_indices().size();
    entry->memory_bytes += defmt->memory_bytes();
    entry->defmt = std::make_shared<const DefmtTable>(std::move(*defmt));
  }
  if (kinds == 0) {
    return core::invalid_argument(
        "ELF " + entry->build_id +
        " has neither an edgetrace call-site table (sections edgetrace_meta and edgetrace_ids) "
        "nor a defmt table (section .defmt): nothing to decode a stream with");
  }
  entry->memory_bytes += sizeof(SymbolEntry);
  entry->kind = static_cast<SymbolKind>(kinds);
  out.entry = std::move(entry);
  return out;
}

}  // namespace edgetrace::decoder
