// SymbolBackend: the local SymbolStore or the symbols API of a server, behind one interface.
#include <cstdio>
#include <map>

#include "commands.hpp"
#include "edgetrace/config/loader.hpp"
#include "edgetrace/core/text.hpp"
#include "symbol_http.hpp"

namespace edgetrace::cli {
namespace {

using core::Result;
using core::Status;
using decoder::PutResult;
using decoder::SymbolEntry;
using decoder::SymbolInfo;

class LocalBackend final : public SymbolBackend {
 public:
  explicit LocalBackend(std::unique_ptr<decoder::SymbolStore> store) : store_(std::move(store)) {}
  Result<PutResult> put(const std::vector<std::uint8_t>& elf, const std::string& name) override {
    return store_->put(elf, name);
  }
  Result<std::vector<SymbolInfo>> list() override { return store_->list(); }
  Result<SymbolInfo> show(const std::string& id) override { return store_->show(id); }
  Status remove(const std::string& id) override { return store_->remove(id); }
  Result<std::shared_ptr<const SymbolEntry>> get(const std::string& id) override {
    return store_->get(std::string_view(id));
  }

 private:
  std::unique_ptr<decoder::SymbolStore> store_;
};

class RemoteBackend final : public SymbolBackend {
 public:
  RemoteBackend(const std::string& url, std::string token, std::size_t max_elf_bytes)
      : client_(url, std::move(token), options(max_elf_bytes)), max_elf_bytes_(max_elf_bytes) {}
  Result<PutResult> put(const std::vector<std::uint8_t>& elf, const std::string& name) override {
    return client_.upload(elf, name);
  }
  Result<std::vector<SymbolInfo>> list() override { return client_.list(); }
  Result<SymbolInfo> show(const std::string& id) override { return client_.show(id); }
  Status remove(const std::string& id) override { return client_.remove(id); }
  Result<std::shared_ptr<const SymbolEntry>> get(const std::string& id) override {
    auto key = decoder::normalize_build_id(id);
    if (!key)
      return key.status();
    if (auto it = cache_.find(*key); it != cache_.end())
      return it->second;
    auto bytes = client_.fetch(*key);
    if (!bytes)
      return bytes.status();
    auto checked = decoder::check_elf(*bytes, max_elf_bytes_);
    if (!checked)
      return checked.status().with_context("ELF served for build-id " + *key);
    if (checked->entry->build_id != *key) {
      return core::Status(
          core::StatusCode::kDataLoss,
          "the server answered build-id " + *key + " with the ELF of " + checked->entry->build_id);
    }
    cache_.emplace(*key, checked->entry);
    return checked->entry;
  }

 private:
  static decoder::SymbolHttpClientOptions options(std::size_t max_elf_bytes) {
    decoder::SymbolHttpClientOptions o;
    o.max_elf_bytes = max_elf_bytes;
    return o;
  }
  decoder::SymbolHttpClient client_;
  std::size_t max_elf_bytes_;
  std::map<std::string, std::shared_ptr<const SymbolEntry>> cache_;
};

}  // namespace

void print_error(const std::string& message) {
  std::fprintf(stderr, "edgetrace: %s\n", message.c_str());
}

void SymbolsLocation::add_options(CLI::App& command, bool with_token) {
  auto* store = command.add_option("--store", store_dir, "symbol store directory (local)");
  auto* server =
      command.add_option("--server", server_url, "symbol server base URL (http://host:port)");
  store->excludes(server);
  if (with_token) {
    command
        .add_option("--token-file", token_file,
                    "file holding the bearer token for uploads and deletes (default: the "
                    "EDGETRACE_TOKEN environment variable)")
        ->needs(server);
  }
  command.add_option("--max-elf-size", max_elf_bytes,
                     "largest ELF accepted, in bytes (default 64 MiB)");
}

std::string SymbolsLocation::usage_problem() const {
  if (store_dir.empty() == server_url.empty())
    return "give exactly one of --store DIR or --server URL";
  return {};
}

Result<std::unique_ptr<SymbolBackend>> SymbolBackend::open(const SymbolsLocation& location) {
  if (!location.store_dir.empty()) {
    decoder::SymbolStoreOptions options;
    options.directory = location.store_dir;
    options.max_elf_bytes = location.max_elf_bytes;
    auto store = decoder::SymbolStore::open(options);
    if (!store)
      return store.status();
    return std::unique_ptr<SymbolBackend>(new LocalBackend(std::move(*store)));
  }
  std::string token;
  if (!location.token_file.empty()) {
    auto t = config::read_token_file(location.token_file);
    if (!t)
      return t.status();
    token = std::move(*t);
  } else if (const char* env = std::getenv("EDGETRACE_TOKEN"); env != nullptr) {
    token = std::string(core::trim_ows(env));
  }
  return std::unique_ptr<SymbolBackend>(
      new RemoteBackend(location.server_url, std::move(token), location.max_elf_bytes));
}

}  // namespace edgetrace::cli
