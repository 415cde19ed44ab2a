// SymbolStore: firmware ELF files kept by GNU build-id, and their parsed tables.
//
// A device stream names the firmware it comes from only by the build-id in its handshake
// (docs/wire-format.md). The store keeps every uploaded ELF under that id, so a decoder
// (the `edgetrace decode --store` command, the bridge) finds the right call-site table for
// any device, whatever version it runs.
//
//   SymbolStoreOptions options;
//   options.directory = "/var/lib/edgetrace/symbols";
//   auto store = SymbolStore::open(options);          // Result<std::unique_ptr<SymbolStore>>
//   if (!store) return fail(store.status());
//   auto put = (*store)->put_file("build/firmware.elf");
//   if (put) printf("%s %zu call sites%s\n", put->info.build_id.c_str(),
//                   put->info.call_sites, put->already_present ? " (already present)" : "");
//   auto entry = (*store)->get(handshake_build_id);   // shared_ptr<const SymbolEntry>
//   if (entry) use((*entry)->edgetrace);              // the parsed edgetrace table
//
// Layout on disk (docs/symbol-store.md): `<directory>/<first two hex digits>/<build-id>.elf`
// with `<build-id>.meta` (size, upload time, kind, call sites) beside it. A write goes to a
// temporary file in the same folder, is fsync'ed, then published with link(2), which fails
// if the name exists: of two processes uploading the same build-id at once exactly one
// publishes, the other compares the bytes and reports "already present" (identical) or a
// conflict (different). A crash never leaves a partial `.elf` under a build-id name.
//
// SymbolStore: thread-safe; every method may be called from any thread, and several
// processes may share one directory. put/get (on a cache miss)/list/show/remove do file
// I/O and block on it; a cached get takes one mutex and does no I/O or allocation.
// get() returns shared ownership of an immutable entry, which stays valid after eviction.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "edgetrace/core/result.hpp"

namespace edgetrace::decoder {

class EdgetraceTable;
class DefmtTable;

// Which table(s) an ELF holds.
enum class SymbolKind : std::uint8_t { kEdgetrace = 1, kDefmt = 2, kBoth = 3 };
// "edgetrace", "defmt" or "edgetrace+defmt".
std::string_view to_string(SymbolKind kind) noexcept;

struct SymbolStoreOptions {
  // Root folder of the store; created (with parents) by open() when missing.
  std::filesystem::path directory;
  // put() refuses larger ELF files (kResourceExhausted).
  std::size_t max_elf_bytes = 64u * 1024 * 1024;
  // Memory the get() cache may hold, measured by the parsed tables' estimates. An entry
  // larger than the whole budget is returned but not cached.
  std::size_t cache_budget_bytes = 64u * 1024 * 1024;
};

// What the store knows about one ELF without parsing it again.
struct SymbolInfo {
  std::string build_id;  // lowercase hex
  std::uint64_t size = 0;
  std::int64_t uploaded_unix_seconds = 0;
  SymbolKind kind = SymbolKind::kEdgetrace;
  std::size_t call_sites = 0;  // edgetrace call sites plus defmt strings
  // The ELF's file name when it was uploaded ("sensor-2.1.elf"; "" when not given): the
  // daemon names a firmware's service after it, as `edgetrace decode --elf` does.
  std::string name;
};

// A file name fit for SymbolInfo::name: its last path component, at most 128 bytes, with
// every byte that is not printable ASCII (or is a space or a slash) replaced by '_'.
std::string sanitize_elf_name(std::string_view name);

struct PutResult {
  SymbolInfo info;
  bool already_present = false;  // identical bytes were stored before: nothing written
};

// The parsed tables of one ELF. Immutable once made; shared by every reader.
struct SymbolEntry {
  std::string build_id;  // lowercase hex
  SymbolKind kind = SymbolKind::kEdgetrace;
  std::shared_ptr<const EdgetraceTable> edgetrace;  // set for kEdgetrace and kBoth
  std::shared_ptr<const DefmtTable> defmt;          // set for kDefmt and kBoth
  std::size_t call_sites = 0;
  std::size_t memory_bytes = 0;  // estimate charged against the cache budget
};

// A checked ELF, as put() would accept it (also what `edgetrace symbols verify` prints).
struct CheckedElf {
  std::shared_ptr<const SymbolEntry> entry;
  // Problems in the edgetrace table that do not stop decoding (for example a C call site
  // whose {} placeholders differ from its arguments).
  std::vector<std::string> table_problems;
};

// Parses and validates ELF bytes without storing them: a real ELF, a GNU build-id, an
// edgetrace call-site table or a defmt table, at most `max_bytes`. Errors:
// kResourceExhausted (too large), kInvalidArgument (not an ELF, no build-id, no table,
// malformed table; the message says which).
core::Result<CheckedElf> check_elf(std::span<const std::uint8_t> bytes,
                                   std::size_t max_bytes = SymbolStoreOptions{}.max_elf_bytes);

// Reads a whole file of at most `max_bytes` (kResourceExhausted beyond, kNotFound when
// missing).
core::Result<std::vector<std::uint8_t>> read_elf_file(const std::filesystem::path& path,
                                                      std::size_t max_bytes);

// Canonical (lowercase) form of a build-id written in hex, or kInvalidArgument when it is
// not 2..64 hex digits of whole bytes.
core::Result<std::string> normalize_build_id(std::string_view hex);
std::string build_id_hex(std::span<const std::uint8_t> bytes);

// Every counter of the store, in one struct (exported by the daemon as Prometheus text).
struct SymbolStoreCounters {
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;  // get() that read the ELF from disk (or did not find it)
  std::uint64_t cache_evictions = 0;
  std::uint64_t puts = 0;             // new ELF files stored
  std::uint64_t already_present = 0;  // put() of bytes stored before
  std::uint64_t conflicts = 0;        // put() of different bytes under a stored build-id
  std::uint64_t invalid = 0;          // put() refused: not an ELF, no build-id, no table, size
  std::uint64_t removes = 0;
  std::uint64_t cache_bytes = 0;  // current estimate held by the cache
  std::uint64_t cache_entries = 0;
};

class SymbolStore {
 public:
  // Opens (creating if needed) the store's directory. Errors: kInvalidArgument (empty
  // path), kFailedPrecondition (cannot create or is not a directory).
  static core::Result<std::unique_ptr<SymbolStore>> open(SymbolStoreOptions options);

  SymbolStore(const SymbolStore&) = delete;
  SymbolStore& operator=(const SymbolStore&) = delete;
  ~SymbolStore();

  // Validates (check_elf) and stores the bytes under their build-id. Identical bytes stored
  // before: OK with already_present. Different bytes under the same build-id:
  // kAlreadyExists with a message that says "conflict". Invalid ELF: kInvalidArgument or
  // kResourceExhausted. I/O failure: kInternal.
  // `name` (sanitized, optional) is kept as SymbolInfo::name; a later put of the same bytes
  // with a name adds it when the first had none. put_file() gives the file's name.
  core::Result<PutResult> put(std::span<const std::uint8_t> elf, std::string_view name = {});
  core::Result<PutResult> put_file(const std::filesystem::path& path);

  // The parsed tables for a build-id (hex, any case, or the raw bytes of a handshake).
  // kNotFound when no such ELF is stored, kInvalidArgument for a malformed id, kDataLoss
  // when the stored file no longer parses.
  core::Result<std::shared_ptr<const SymbolEntry>> get(std::string_view build_id_hex);
  core::Result<std::shared_ptr<const SymbolEntry>> get(std::span<const std::uint8_t> build_id);

  // The stored ELF file's bytes (what an HTTP GET serves).
  core::Result<std::vector<std::uint8_t>> read_elf(std::string_view build_id_hex) const;

  // Every stored ELF, sorted by build-id.
  core::Result<std::vector<SymbolInfo>> list() const;
  core::Result<SymbolInfo> show(std::string_view build_id_hex) const;
  // Deletes an ELF and its metadata, and drops it from the cache. kNotFound if absent.
  core::Status remove(std::string_view build_id_hex);

  SymbolStoreCounters counters() const;
  const SymbolStoreOptions& options() const noexcept { return options_; }

 private:
  explicit SymbolStore(SymbolStoreOptions options);

  std::filesystem::path elf_path(const std::string& id) const;
  std::filesystem::path meta_path(const std::string& id) const;
  core::Result<SymbolInfo> read_info(const std::string& id) const;
  core::Status write_meta(const SymbolInfo& info) const;
  void cache_insert(const std::shared_ptr<const SymbolEntry>& entry);
  void cache_erase(const std::string& id);

  struct CacheNode {
    std::string id;
    std::shared_ptr<const SymbolEntry> entry;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  SymbolStoreOptions options_;

  mutable std::mutex mu_;     // guards the cache below
  std::list<CacheNode> lru_;  // front: most recently used
  std::unordered_map<std::string, std::list<CacheNode>::iterator, StringHash, std::equal_to<>>
      index_;
  std::size_t cache_bytes_ = 0;

  std::atomic<std::uint64_t> hits_{0}, misses_{0}, evictions_{0}, puts_{0}, already_present_{0},
      conflicts_{0}, invalid_{0}, removes_{0};
};

}  // namespace edgetrace::decoder
