// The `edgetrace` CLI's commands, each registered on the CLI11 app by its own file.
//
// A command's callback (run while parsing) stores what to do in `Action`; main() runs it
// after parsing succeeded, so usage errors (exit 2) are all reported before any work.
//
// Exit codes (docs/cli.md): kExitOk 0, kExitFailed 1 (an operation failed or the input was
// invalid; the reason is on stderr), kExitUsage 2 (the command line is wrong).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "edgetrace/core/result.hpp"
#include "edgetrace/decoder/symbol_store.hpp"

namespace edgetrace::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

using Action = std::function<int()>;

void add_symbols_command(CLI::App& app, Action& action);
void add_decode_command(CLI::App& app, Action& action);
void add_version_command(CLI::App& app, Action& action);

// Prints "edgetrace: <message>" on stderr.
void print_error(const std::string& message);

// Where symbols are: a local store directory or a server (`--store` / `--server`).
struct SymbolsLocation {
  std::string store_dir;
  std::string server_url;
  std::string token_file;
  std::size_t max_elf_bytes = decoder::SymbolStoreOptions{}.max_elf_bytes;

  // Adds --store, --server, --token-file (and --max-elf-size) to a command.
  void add_options(CLI::App& command, bool with_token);
  // Empty when exactly one of --store / --server is given, else the usage error.
  std::string usage_problem() const;
};

// The symbol store a command talks to: local or over HTTP, the same operations.
class SymbolBackend {
 public:
  // Opens the store directory or prepares the client (reading the token file). The
  // token is never printed, not even in errors.
  static core::Result<std::unique_ptr<SymbolBackend>> open(const SymbolsLocation& location);
  virtual ~SymbolBackend() = default;

  // `name`: the ELF's file name, kept with it (the daemon names the service after it).
  virtual core::Result<decoder::PutResult> put(const std::vector<std::uint8_t>& elf,
                                               const std::string& name) = 0;
  virtual core::Result<std::vector<decoder::SymbolInfo>> list() = 0;
  virtual core::Result<decoder::SymbolInfo> show(const std::string& build_id) = 0;
  virtual core::Status remove(const std::string& build_id) = 0;
  // The parsed tables of a build-id (from the local cache or downloaded once).
  virtual core::Result<std::shared_ptr<const decoder::SymbolEntry>> get(
      const std::string& build_id) = 0;
};

}  // namespace edgetrace::cli
