// SymbolSource: the firmware tables of the daemon, by build-id: the local symbol store and,
// when configured, another daemon's store over HTTP with the local store as its cache.
//
//   SymbolSource symbols(options);
//   if (core::Status s = symbols.open(); !s.ok()) ...
//   std::shared_ptr<const decoder::SymbolEntry> e = symbols.find(build_id);   // nullptr: unknown
//
// find() looks in the local store (its LRU cache of parsed tables first); on a miss with a
// remote server configured it downloads the ELF once, stores it locally and returns its
// tables. A build-id found missing on the remote is not asked again for `negative_ttl`, so a
// device stream with an unknown build-id does not make one request per frame.
//
// Thread-safety: every method from any thread. find() may block on file I/O (a cache miss)
// or on the remote server (at most `remote_timeout`).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "edgetrace/bridge/resource.hpp"
#include "edgetrace/core/result.hpp"
#include "edgetrace/decoder/symbol_store.hpp"

namespace edgetrace::decoder {
class SymbolHttpClient;
}  // namespace edgetrace::decoder
#include "pipeline/metrics_text.hpp"

namespace edgetrace::daemon {

struct SymbolSourceOptions {
  decoder::SymbolStoreOptions store;  // directory, max_elf_bytes, cache_budget_bytes
  std::string remote_url;             // another daemon's admin URL; empty: none
  std::string remote_token;           // bearer token for the remote (reads need none)
  std::chrono::milliseconds remote_timeout{5000};
  std::chrono::milliseconds negative_ttl{10000};
};

struct SymbolSourceCounters {
  std::atomic<std::uint64_t> lookups{0};
  std::atomic<std::uint64_t> not_found{0};
  std::atomic<std::uint64_t> remote_fetches{0};  // ELF files downloaded and cached
  std::atomic<std::uint64_t> remote_errors{0};   // the remote failed (not "not found")
};

class SymbolSource {
 public:
  explicit SymbolSource(SymbolSourceOptions options);
  ~SymbolSource();
  core::Status open();
  std::shared_ptr<const decoder::SymbolEntry> find(std::span<const std::uint8_t> build_id);
  // What the bridge's resource says about a firmware: its build-id and its
  // `firmware.version` string, read once from the stored ELF and kept.
  bridge::FirmwareInfo firmware(std::span<const std::uint8_t> build_id);
  decoder::SymbolStore& store() noexcept { return *store_; }
  // Forgets the negative cache (after an upload).
  void forget_misses();
  void write_metrics(MetricsText& out) const;

 private:
  SymbolSourceOptions options_;
  std::unique_ptr<decoder::SymbolStore> store_;
  SymbolSourceCounters counters_;
  std::unique_ptr<decoder::SymbolHttpClient> remote_;  // guarded by remote_mu_
  std::mutex remote_mu_;
  std::mutex mu_;
  std::map<std::string, std::chrono::steady_clock::time_point> misses_;
  std::map<std::string, bridge::FirmwareInfo> firmware_;
};

}  // namespace edgetrace::daemon
