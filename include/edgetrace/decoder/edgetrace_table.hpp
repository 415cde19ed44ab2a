// The edgetrace call-site table: what each call site of a firmware means (kind, level,
// argument types, file, line, format string or span name), read from the firmware's ELF
// file (sections edgetrace_meta and edgetrace_ids, docs/wire-format.md "The call-site
// table"), together with the ELF's GNU build-id.
//
//   auto elf = ElfFile::open("firmware.elf");
//   auto table = EdgetraceTable::from_elf(*elf);   // Result<EdgetraceTable>
//   if (!table) { std::cerr << table.status().to_string() << "\n"; }
//   for (const std::string& problem : table->check()) std::cerr << problem << "\n";
//   const CallSite* site = table->find(tag);       // O(1)
//
// Thread-safety: immutable once built; share one table between decoders and threads as a
// std::shared_ptr<const EdgetraceTable>. Allocation: building allocates; find() does not.
// Ownership: the table owns all its strings (it does not borrow from the ElfFile).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "edgetrace/core/result.hpp"
#include "edgetrace/core/severity.hpp"
#include "edgetrace/decoder/elf_file.hpp"

namespace edgetrace::decoder {

// Argument classes: the low 4 bits of a call site's signature byte.
enum class ArgClass : std::uint8_t {
  kI32 = 1,
  kU32 = 2,
  kI64 = 3,
  kU64 = 4,
  kBool = 5,
  kChar = 6,
  kF32 = 7,
  kF64 = 8,
  kCstr = 9,
  kStr = 10,
  kBytes = 11,
};

// One piece of a parsed format string: literal text followed by at most one placeholder.
struct FormatPiece {
  std::string literal;     // braces already unescaped
  int arg = -1;            // index of the argument shown after the literal, -1 for none
  char spec = '\0';        // '\0' (plain), 'x', 'X', 'b'
  bool alternate = false;  // '#': 0x / 0b prefix
};

struct CallSite {
  enum class Kind : std::uint8_t { kLog = 1, kSpan = 2 };

  std::uint32_t tag = 0;  // wire tag: index + 8
  Kind kind = Kind::kLog;
  core::Level level = core::Level::kInfo;
  std::uint8_t arg_count = 0;
  std::array<std::uint8_t, 8> signature{};  // class | byte width << 4, per argument
  std::uint32_t line = 0;
  std::string file;
  std::string text;  // format string (log) or span name (span)

  // Parsed once when the table is built; for logs only. A malformed format string (only
  // possible from C call sites, see EdgetraceTable::check) renders literally.
  std::vector<FormatPiece> pieces;
  bool format_ok = true;
  int placeholder_count = 0;

  ArgClass arg_class(std::size_t i) const noexcept {
    return static_cast<ArgClass>(signature[i] & 0x0f);
  }
  // Declared byte width of an integer argument (1, 2, 4, 8).
  int arg_width(std::size_t i) const noexcept;
  // "i8".."i64", "u8".."u64", "bool", "char", "f32", "f64", "str", "bytes".
  const char* arg_type(std::size_t i) const noexcept;
};

class EdgetraceTable {
 public:
  // Largest call-site index accepted (the wire format allows 16 376 with two-byte tags;
  // larger tags are valid varints, so this leaves room while bounding memory).
  static constexpr std::uint64_t kMaxSites = 1u << 20;

  // Reads the table from an ELF. Errors (messages start with the ELF's name):
  //   not_found         "ELF has no edgetrace call-site table (section edgetrace_meta
  //                      missing)" (or edgetrace_ids)
  //   invalid_argument  truncated or malformed records, anchors outside edgetrace_ids,
  //                      unknown kinds, levels or argument classes, duplicate call sites.
  static core::Result<EdgetraceTable> from_elf(const ElfFile& elf);

  // Reads records from the bytes of an edgetrace_meta section. `ids_address` and
  // `ids_size` locate edgetrace_ids; pointer_size is 4 or 8. `name` prefixes errors.
  static core::Result<EdgetraceTable> from_sections(std::span<const std::uint8_t> meta,
                                                    std::uint64_t ids_address,
                                                    std::uint64_t ids_size,
                                                    std::size_t pointer_size, bool little_endian,
                                                    std::vector<std::uint8_t> build_id,
                                                    const std::string& name = "<memory>");

  // Builds a table from call sites given directly (tests, fuzzing, other front ends).
  // Tags must be distinct and >= 8; pieces are computed here.
  static core::Result<EdgetraceTable> from_sites(std::vector<CallSite> sites,
                                                 std::vector<std::uint8_t> build_id);

  // The call site of a wire tag, or nullptr. O(1).
  const CallSite* find(std::uint64_t tag) const noexcept {
    const std::uint64_t index = tag - 8;
    if (tag < 8 || index >= slots_.size() || slots_[index] == 0) {
      return nullptr;
    }
    return &sites_[slots_[index] - 1];
  }

  // Call sites ordered by tag.
  std::span<const CallSite> sites() const noexcept { return sites_; }
  std::size_t size() const noexcept { return sites_.size(); }
  // The ELF's GNU build-id; empty if it has none.
  const std::vector<std::uint8_t>& build_id() const noexcept { return build_id_; }

  // Problems in the table itself, one line each ("file:line: 2 placeholders but 1
  // arguments in "..."", "file:line: malformed format string "...""). C call sites
  // are not checked at compile time, so run this after linking.
  std::vector<std::string> check() const;

  // An estimate of the heap memory the table holds, for cache budgets.
  std::size_t memory_bytes() const noexcept;

 private:
  std::vector<CallSite> sites_;
  std::vector<std::uint32_t> slots_;  // index (tag - 8) -> position in sites_ + 1, 0 = none
  std::vector<std::uint8_t> build_id_;
};

// Parses a format string into pieces; returns false for a malformed one (unbalanced brace,
// unknown display hint). `count` receives the number of placeholders.
bool parse_format(const std::string& format, std::vector<FormatPiece>& pieces, int& count);

}  // namespace edgetrace::decoder
