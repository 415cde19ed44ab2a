#include "pipeline/symbol_source.hpp"

#include "edgetrace/core/text.hpp"
#include "edgetrace/decoder/elf_file.hpp"
#include "symbol_http.hpp"

namespace edgetrace::daemon {

SymbolSource::SymbolSource(SymbolSourceOptions options) : options_(std::move(options)) {}

SymbolSource::~SymbolSource() = default;

core::Status SymbolSource::open() {
  core::Result<std::unique_ptr<decoder::SymbolStore>> store =
      decoder::SymbolStore::open(options_.store);
  if (!store)
    return core::Status(store.status().code(), "symbols.store: " + store.status().message());
  store_ = std::move(store).value();
  if (!options_.remote_url.empty()) {
    decoder::SymbolHttpClientOptions client;
    client.timeout = options_.remote_timeout;
    client.max_elf_bytes = options_.store.max_elf_bytes;
    remote_ = std::make_unique<decoder::SymbolHttpClient>(options_.remote_url,
                                                          options_.remote_token, client);
  }
  return {};
}

std::shared_ptr<const decoder::SymbolEntry> SymbolSource::find(
    std::span<const std::uint8_t> build_id) {
  counters_.lookups.fetch_add(1, std::memory_order_relaxed);
  if (build_id.empty() || !store_) {
    counters_.not_found.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  core::Result<std::shared_ptr<const decoder::SymbolEntry>> local = store_->get(build_id);
  if (local)
    return *local;
  if (remote_ && local.status().code() == core::StatusCode::kNotFound) {
    const std::string id = decoder::build_id_hex(build_id);
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(mu_);
      auto it = misses_.find(id);
      if (it != misses_.end() && now < it->second) {
        counters_.not_found.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
      }
    }
    std::string name;  // the remote's name for the file, kept with the local copy
    core::Result<std::vector<std::uint8_t>> elf = [&] {
      std::lock_guard lock(remote_mu_);
      core::Result<std::vector<std::uint8_t>> bytes = remote_->fetch(id);
      if (bytes) {
        if (core::Result<decoder::SymbolInfo> info = remote_->show(id); info)
          name = info->name;
      }
      return bytes;
    }();
    if (elf) {
      core::Result<decoder::PutResult> put = store_->put(*elf, name);
      if (put) {
        counters_.remote_fetches.fetch_add(1, std::memory_order_relaxed);
        core::Result<std::shared_ptr<const decoder::SymbolEntry>> got = store_->get(build_id);
        if (got)
          return *got;
      } else {
        counters_.remote_errors.fetch_add(1, std::memory_order_relaxed);
      }
    } else if (elf.status().code() != core::StatusCode::kNotFound) {
      counters_.remote_errors.fetch_add(1, std::memory_order_relaxed);
    }
    std::lock_guard lock(mu_);
    if (misses_.size() > 4096)
      misses_.clear();
    misses_[id] = now + options_.negative_ttl;
  }
  counters_.not_found.fetch_add(1, std::memory_order_relaxed);
  return nullptr;
}

bridge::FirmwareInfo SymbolSource::firmware(std::span<const std::uint8_t> build_id) {
  const std::string id = decoder::build_id_hex(build_id);
  {
    std::lock_guard lock(mu_);
    if (auto it = firmware_.find(id); it != firmware_.end())
      return it->second;
  }
  bridge::FirmwareInfo info;
  info.build_id.assign(build_id.begin(), build_id.end());
  if (store_) {
    core::Result<std::vector<std::uint8_t>> bytes = store_->read_elf(id);
    if (!bytes)
      return info;  // not stored (yet): not cached, so a later upload is seen
    // The name it was uploaded under names the service (as `edgetrace decode --elf` does).
    if (core::Result<decoder::SymbolInfo> stored = store_->show(id); stored)
      info.elf_name = stored->name;
    core::Result<decoder::ElfFile> elf = decoder::ElfFile::from_bytes(std::move(bytes).value(), id);
    if (elf) {
      core::Result<bridge::FirmwareInfo> read = bridge::read_firmware_info(*elf, "");
      if (read)
        info.version = read->version;
    }
  }
  std::lock_guard lock(mu_);
  if (firmware_.size() > 4096)
    firmware_.clear();
  firmware_[id] = info;
  return info;
}

void SymbolSource::forget_misses() {
  std::lock_guard lock(mu_);
  misses_.clear();
}

void SymbolSource::write_metrics(MetricsText& out) const {
  const decoder::SymbolStoreCounters c =
      store_ ? store_->counters() : decoder::SymbolStoreCounters{};
  out.counter("edgetraced_symbol_cache_hits_total",
              "Symbol lookups answered from the cache of parsed tables.", {}, c.cache_hits);
  out.counter("edgetraced_symbol_cache_misses_total",
              "Symbol lookups that read the store's files (or found nothing).", {}, c.cache_misses);
  out.gauge("edgetraced_symbol_cache_bytes", "Estimated memory of the cached tables.", {},
            static_cast<double>(c.cache_bytes));
  out.counter("edgetraced_symbol_uploads_total", "New ELF files stored.", {}, c.puts);
  out.counter("edgetraced_symbol_lookups_not_found_total",
              "Build-ids looked up and not found (locally or on the remote).", {},
              counters_.not_found.load(std::memory_order_relaxed));
  out.counter("edgetraced_symbol_remote_fetches_total",
              "ELF files downloaded from the remote symbol server and cached.", {},
              counters_.remote_fetches.load(std::memory_order_relaxed));
  out.counter("edgetraced_symbol_remote_errors_total",
              "Failed requests to the remote symbol server.", {},
              counters_.remote_errors.load(std::memory_order_relaxed));
}

}  // namespace edgetrace::daemon
