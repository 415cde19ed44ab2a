// edgetrace symbols upload|list|show|verify|delete|serve
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "commands.hpp"
#include "edgetrace/config/loader.hpp"
#include "edgetrace/decoder/edgetrace_table.hpp"
#include "symbol_http.hpp"

namespace edgetrace::cli {
namespace {

using decoder::SymbolInfo;

std::string format_time(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct SymbolsOptions {
  SymbolsLocation location;
  std::vector<std::string> files;
  std::string build_id;
  bool json = false;
};

int upload(const SymbolsOptions& o) {
  auto backend = SymbolBackend::open(o.location);
  if (!backend) {
    print_error(backend.status().message());
    return kExitFailed;
  }
  int failed = 0;
  for (const std::string& path : o.files) {
    auto bytes = decoder::read_elf_file(path, o.location.max_elf_bytes);
    if (!bytes) {
      print_error(bytes.status().message());
      ++failed;
      continue;
    }
    auto put = (*backend)->put(*bytes, std::filesystem::path(path).filename().string());
    if (!put) {
      print_error(path + ": " + put.status().message());
      ++failed;
      continue;
    }
    std::printf("%s %s %zu call sites (%s)%s\n", put->info.build_id.c_str(), path.c_str(),
                put->info.call_sites, std::string(to_string(put->info.kind)).c_str(),
                put->already_present ? ", already present" : "");
  }
  std::fflush(stdout);
  if (failed > 0) {
    print_error(std::to_string(failed) + " of " + std::to_string(o.files.size()) +
                " files not uploaded");
    return kExitFailed;
  }
  return kExitOk;
}

void print_info(const SymbolInfo& info, bool json) {
  if (json) {
    std::printf("%s\n", decoder::symbol_info_json(info).c_str());
    return;
  }
  std::printf("%s  %10llu bytes  %s  %-9s %zu call sites\n", info.build_id.c_str(),
              static_cast<unsigned long long>(info.size),
              format_time(info.uploaded_unix_seconds).c_str(),
              std::string(to_string(info.kind)).c_str(), info.call_sites);
}

int list(const SymbolsOptions& o) {
  auto backend = SymbolBackend::open(o.location);
  if (!backend) {
    print_error(backend.status().message());
    return kExitFailed;
  }
  auto all = (*backend)->list();
  if (!all) {
    print_error(all.status().message());
    return kExitFailed;
  }
  for (const auto& info : *all)
    print_info(info, o.json);
  if (!o.json)
    std::fprintf(stderr, "%zu ELF files\n", all->size());
  return kExitOk;
}

int show(const SymbolsOptions& o) {
  auto backend = SymbolBackend::open(o.location);
  if (!backend) {
    print_error(backend.status().message());
    return kExitFailed;
  }
  auto info = (*backend)->show(o.build_id);
  if (!info) {
    print_error(info.status().message());
    return kExitFailed;
  }
  if (o.json) {
    print_info(*info, true);
    return kExitOk;
  }
  std::printf("build-id    %s\n", info->build_id.c_str());
  std::printf("size        %llu bytes\n", static_cast<unsigned long long>(info->size));
  std::printf("uploaded    %s\n", format_time(info->uploaded_unix_seconds).c_str());
  std::printf("kind        %s\n", std::string(to_string(info->kind)).c_str());
  std::printf("call sites  %zu\n", info->call_sites);
  return kExitOk;
}

int remove(const SymbolsOptions& o) {
  auto backend = SymbolBackend::open(o.location);
  if (!backend) {
    print_error(backend.status().message());
    return kExitFailed;
  }
  core::Status st = (*backend)->remove(o.build_id);
  if (!st.ok()) {
    print_error(st.message());
    return kExitFailed;
  }
  std::printf("deleted %s\n", o.build_id.c_str());
  return kExitOk;
}

// What put() would say, plus the edgetrace table's own check (C call sites whose {}
// placeholders differ from their arguments are not caught at compile time).
int verify(const SymbolsOptions& o) {
  int failed = 0;
  for (const std::string& path : o.files) {
    auto bytes = decoder::read_elf_file(path, o.location.max_elf_bytes);
    if (!bytes) {
      print_error(bytes.status().message());
      ++failed;
      continue;
    }
    auto checked = decoder::check_elf(*bytes, o.location.max_elf_bytes);
    if (!checked) {
      print_error(path + ": " + checked.status().message());
      ++failed;
      continue;
    }
    const auto& entry = *checked->entry;
    for (const std::string& problem : checked->table_problems)
      std::printf("%s: error: %s\n", path.c_str(), problem.c_str());
    std::printf("%s: build-id %s, %s, table: %zu call sites, %zu problems\n", path.c_str(),
                entry.build_id.c_str(), std::string(to_string(entry.kind)).c_str(),
                entry.call_sites, checked->table_problems.size());
    if (!checked->table_problems.empty())
      ++failed;
  }
  return failed == 0 ? kExitOk : kExitFailed;
}

struct ServeOptions {
  std::string store_dir;
  std::string listen = "127.0.0.1:8080";
  std::string token_file;
  std::size_t max_elf_bytes = decoder::SymbolStoreOptions{}.max_elf_bytes;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
};

// Serves the store until SIGINT or SIGTERM, then drains. The bound URL is the first line on
// stdout, so a script that asked for port 0 can read it.
int serve(const ServeOptions& o) {
  std::string token;
  if (!o.token_file.empty()) {
    auto t = config::read_token_file(o.token_file);
    if (!t) {
      print_error(t.status().message());
      return kExitFailed;
    }
    token = std::move(*t);
  } else if (const char* env = std::getenv("EDGETRACE_TOKEN"); env != nullptr && *env != '\0') {
    token = env;
  }
  decoder::SymbolStoreOptions store_options;
  store_options.directory = o.store_dir;
  store_options.max_elf_bytes = o.max_elf_bytes;
  auto store = decoder::SymbolStore::open(store_options);
  if (!store) {
    print_error(store.status().message());
    return kExitFailed;
  }
  decoder::SymbolHttpHandler handler(**store, token);
  decoder::SymbolHttpServerOptions options;
  options.listen = o.listen;
  options.tls.certificate_file = o.tls_cert;
  options.tls.private_key_file = o.tls_key;
  options.tls.client_ca_file = o.tls_client_ca;

  // Block the signals before the server's threads start (they inherit the mask), then
  // wait for one on this thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = decoder::SymbolHttpServer::start(handler, options);
  if (!server) {
    print_error(server.status().message());
    return kExitFailed;
  }
  std::printf("%s\n", (*server)->url().c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "edgetrace: serving the symbol store %s on %s%s\n", o.store_dir.c_str(),
               (*server)->url().c_str(),
               token.empty() ? " (read-only: no token configured, uploads are refused)" : "");
  int signal = 0;
  sigwait(&signals, &signal);
  std::fprintf(stderr, "edgetrace: %s received, draining\n",
               signal == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->stop();
  const auto& c = (*server)->counters();
  std::fprintf(stderr, "edgetrace: stopped after %llu requests on %llu connections\n",
               static_cast<unsigned long long>(c.requests.load()),
               static_cast<unsigned long long>(c.connections_accepted.load()));
  return kExitOk;
}

}  // namespace

void add_symbols_command(CLI::App& app, Action& action) {
  auto* symbols = app.add_subcommand(
      "symbols", "Firmware ELF files in a symbol store, by GNU build-id (for decoding)");
  symbols->require_subcommand(1);
  auto o = std::make_shared<SymbolsOptions>();

  auto usage_checked = [&action, o](int (*run)(const SymbolsOptions&)) {
    return [&action, o, run] {
      if (const std::string problem = o->location.usage_problem(); !problem.empty())
        throw CLI::ValidationError(problem);
      action = [o, run] { return run(*o); };
    };
  };

  auto* up = symbols->add_subcommand(
      "upload",
      "Validate and upload firmware ELF files; prints each build-id and its number of call "
      "sites. Exit 1 if any file is invalid or refused (the others are still uploaded)");
  up->add_option("elf", o->files, "ELF files")->required();
  o->location.add_options(*up, true);
  up->callback(usage_checked(upload));

  auto* ls = symbols->add_subcommand("list", "List the stored ELF files");
  o->location.add_options(*ls, false);
  ls->add_flag("--json", o->json, "one JSON object per line");
  ls->callback(usage_checked(list));

  auto* sh = symbols->add_subcommand("show", "Size, upload time, kind and call sites of one ELF");
  sh->add_option("build-id", o->build_id, "build-id in hex")->required();
  o->location.add_options(*sh, false);
  sh->add_flag("--json", o->json, "print a JSON object");
  sh->callback(usage_checked(show));

  auto* del = symbols->add_subcommand("delete", "Delete one ELF from the store");
  del->add_option("build-id", o->build_id, "build-id in hex")->required();
  o->location.add_options(*del, true);
  del->callback(usage_checked(remove));

  auto* ver = symbols->add_subcommand(
      "verify",
      "Check that ELF files would be accepted (ELF, build-id, a table, size) and check the "
      "edgetrace call-site table's placeholders. Exit 1 on any problem");
  ver->add_option("elf", o->files, "ELF files")->required();
  ver->add_option("--max-elf-size", o->location.max_elf_bytes,
                  "largest ELF accepted, in bytes (default 64 MiB)");
  ver->callback([&action, o] { action = [o] { return verify(*o); }; });

  auto so = std::make_shared<ServeOptions>();
  auto* srv = symbols->add_subcommand(
      "serve",
      "Serve a store directory over HTTP (the /api/v1/symbols API that upload --server, "
      "list --server and decode --server use) until SIGINT or SIGTERM, then drain. Prints "
      "the bound URL on stdout first. Reads need no token; uploads and deletes need the "
      "bearer token of --token-file (default: EDGETRACE_TOKEN; without one the store is "
      "read-only)");
  srv->add_option("--store", so->store_dir, "symbol store directory (created if missing)")
      ->required();
  srv->add_option("--listen", so->listen,
                  "address to listen on, host:port ([::1]:port for IPv6; port 0 picks a free "
                  "port; default 127.0.0.1:8080)");
  srv->add_option("--token-file", so->token_file,
                  "file holding the bearer token that uploads and deletes must present");
  srv->add_option("--max-elf-size", so->max_elf_bytes,
                  "largest ELF accepted, in bytes (default 64 MiB); larger uploads get 413");
  auto* cert = srv->add_option("--tls-cert", so->tls_cert, "serve HTTPS with this PEM certificate");
  auto* key = srv->add_option("--tls-key", so->tls_key, "the PEM private key of --tls-cert");
  cert->needs(key);
  key->needs(cert);
  srv->add_option("--tls-client-ca", so->tls_client_ca,
                  "require client certificates signed by these PEM CAs (mutual TLS)")
      ->needs(cert);
  srv->callback([&action, so] { action = [so] { return serve(*so); }; });
}

}  // namespace edgetrace::cli
