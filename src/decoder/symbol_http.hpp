// The symbol store over HTTP: a request handler (mounted by the daemon, or served on its
// own by SymbolHttpServer) and the client the `edgetrace` CLI uses.
//
//   GET    /api/v1/symbols                 200 JSON {"symbols":[{build_id,size,uploaded,kind,
//                                               call_sites}...]}
//   GET    /api/v1/symbols/<build-id>      200 the ELF bytes (application/octet-stream), 404
//   GET    /api/v1/symbols/<build-id>/info 200 JSON of one entry, 404
//   PUT    /api/v1/symbols/<build-id>      body: the ELF (X-Edgetrace-Elf-Name: its file name,
//                                          optional). Bearer token required. 201 stored,
//                                          200 already present, 409 conflict, 400 invalid
//                                          ELF or build-id not the path's, 413 too large
//   DELETE /api/v1/symbols/<build-id>      Bearer token required. 204, 404
//   401 without a token, 403 with a wrong one; writes are refused (403) when the handler
//   has no token configured.
//
//   SymbolHttpHandler handler(*store, token);
//   auto server = SymbolHttpServer::start(handler, {});           // 127.0.0.1, any port
//   SymbolHttpClient client((*server)->url(), token);
//   auto put = client.upload(elf_bytes);                           // Result<PutResult>
//
//   mount_symbols_api(daemon_http_server, handler);   // the same API on another server
//
// Tokens are compared in constant time and never written to a message, log or error. On a
// net::HttpServer the token of a PUT or DELETE is checked on the headers, before the body
// (the ELF) is read.
//
// SymbolHttpHandler: thread-safe (the store is); handle() blocks on the store's file I/O.
// It borrows the store, which must outlive it. SymbolHttpServer: an edgetrace::net
// HttpServer (fixed I/O threads, the store's I/O on a small handler pool, the limits and
// timeouts of docs/net.md); stop() and the destructor drain and close every connection.
// SymbolHttpClient: not thread-safe (one libcurl handle); each call blocks up to its
// timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/result.hpp"
#include "edgetrace/decoder/symbol_store.hpp"
#include "edgetrace/net/http_server.hpp"

namespace edgetrace::decoder {

inline constexpr std::string_view kSymbolsApiPath = "/api/v1/symbols";

// A transport-neutral request: what the handler needs from any HTTP server.
struct SymbolHttpRequest {
  std::string method;         // "GET", "PUT", "DELETE"
  std::string target;         // path and query, e.g. "/api/v1/symbols/ab12"
  std::string authorization;  // the Authorization header's value, or empty
  std::string body;
  std::string elf_name{};  // PUT: the X-Edgetrace-Elf-Name header (the file's name), or empty
};

struct SymbolHttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class SymbolHttpHandler {
 public:
  // `write_token`: the bearer token PUT and DELETE require; empty refuses every write.
  SymbolHttpHandler(SymbolStore& store, std::string write_token);

  SymbolHttpResponse handle(const SymbolHttpRequest& request) const;

  // Largest request body accepted (the store's ELF size limit).
  std::size_t max_body_bytes() const noexcept { return store_.options().max_elf_bytes; }

  // Whether an Authorization header value allows writes: 0 when it does, else the HTTP
  // status (401 no bearer token, 403 a wrong one or none configured).
  int authorize(const std::string& authorization) const;

 private:
  SymbolStore& store_;
  std::string token_;
};

// Mounts the symbols API (GET, PUT, DELETE under /api/v1/symbols) on `server`, before its
// start(). The handler must outlive the server. PUT and DELETE check the bearer token on
// the headers; bodies are limited to handler.max_body_bytes().
void mount_symbols_api(net::HttpServer& server, const SymbolHttpHandler& handler);

// The same API under another path prefix ("/v1/symbols" on the daemon's admin listener:
// GET <prefix>, GET/PUT/DELETE <prefix>/<build-id>). `on_stored` (optional) is called after
// each PUT that stored a new ELF (201), with its build-id, from a handler thread.
struct SymbolsMount {
  std::string prefix = std::string(kSymbolsApiPath);
  std::function<void(const std::string& build_id)> on_stored{};
};
void mount_symbols_api(net::HttpServer& server, const SymbolHttpHandler& handler,
                       SymbolsMount mount);

struct SymbolHttpServerOptions {
  // "host:port" ("[::1]:8080"); when empty, bind_address and port are used.
  std::string listen;
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port (see SymbolHttpServer::port())
  std::size_t max_connections = 64;
  std::size_t io_threads = 2;
  std::size_t handler_threads = 2;  // run the store's file I/O
  // A keep-alive connection idle longer than this is closed.
  std::chrono::milliseconds io_timeout{10000};
  // A request (headers and ELF body) must arrive within this.
  std::chrono::milliseconds read_timeout{120000};
  std::chrono::milliseconds drain_timeout{5000};
  net::TlsOptions tls;  // HTTPS when tls.certificate_file is set
};

class SymbolHttpServer {
 public:
  // kUnavailable when the address cannot be bound (in use), kInvalidArgument when malformed.
  static core::Result<std::unique_ptr<SymbolHttpServer>> start(const SymbolHttpHandler& handler,
                                                               SymbolHttpServerOptions options);
  ~SymbolHttpServer();
  SymbolHttpServer(const SymbolHttpServer&) = delete;
  SymbolHttpServer& operator=(const SymbolHttpServer&) = delete;

  std::uint16_t port() const noexcept;
  // "http://<host>:<port>" (https with TLS; IPv6 hosts in brackets)
  std::string url() const;
  // Drains (requests in flight finish) for up to drain_timeout, then closes. Idempotent.
  void stop();
  void stop(std::chrono::milliseconds deadline);
  const net::HttpServerCounters& counters() const noexcept;

 private:
  explicit SymbolHttpServer(std::unique_ptr<net::HttpServer> server);
  std::unique_ptr<net::HttpServer> server_;
};

struct SymbolHttpClientOptions {
  std::chrono::milliseconds timeout{30000};
  std::size_t max_elf_bytes = SymbolStoreOptions{}.max_elf_bytes;
};

class SymbolHttpClient {
 public:
  // `base_url`: "http://host:port" (a trailing slash is fine); `token` may be empty for
  // reads.
  SymbolHttpClient(std::string base_url, std::string token, SymbolHttpClientOptions options = {});
  ~SymbolHttpClient();
  SymbolHttpClient(const SymbolHttpClient&) = delete;
  SymbolHttpClient& operator=(const SymbolHttpClient&) = delete;

  // The ELF stored under a build-id. kNotFound on 404.
  core::Result<std::vector<std::uint8_t>> fetch(std::string_view build_id_hex);
  // Uploads an ELF (validated locally first, to read its build-id). Conflict:
  // kAlreadyExists; invalid: kInvalidArgument; 401/403: kUnauthenticated/kPermissionDenied.
  // `name`: the file's name, sent as X-Edgetrace-Elf-Name (kept as SymbolInfo::name).
  core::Result<PutResult> upload(std::span<const std::uint8_t> elf, std::string_view name = {});
  core::Result<std::vector<SymbolInfo>> list();
  core::Result<SymbolInfo> show(std::string_view build_id_hex);
  core::Status remove(std::string_view build_id_hex);

 private:
  struct Reply {
    long status = 0;
    std::string body;
  };
  core::Result<Reply> request(const std::string& method, const std::string& path,
                              std::span<const std::uint8_t> body, bool with_token,
                              std::string_view elf_name = {});

  std::string base_url_;
  std::string token_;
  SymbolHttpClientOptions options_;
  void* curl_ = nullptr;
};

// JSON of one entry, as the list and info endpoints write it.
std::string symbol_info_json(const SymbolInfo& info);

}  // namespace edgetrace::decoder
