// HttpServer: the asynchronous HTTP/1.1 server every listening part of edgetrace uses.
//
//   edgetrace::net::HttpServerOptions options;
//   options.listen = "127.0.0.1:0";
//   options.max_body_bytes = 1 << 20;
//   edgetrace::net::HttpServer server(options);
//   server.route("POST", "/v1/logs", handle_logs);                    // net::Handler
//   server.route_prefix("GET", "/api/v1/symbols/", net::sync_handler(show_symbol));
//   if (auto st = server.start(); !st.ok()) return fail(st);  // e.g. address in use
//   std::cout << server.url() << "\n";                        // "http://127.0.0.1:41234"
//   ...
//   server.stop(std::chrono::seconds(5));   // drain: in-flight requests finish
//
// Threads. A fixed pool of `io_threads` threads runs one io_context; connections never get
// a thread of their own. Each connection's work is serialised on its own strand. Handlers
// run on those I/O threads unless `handler_threads` > 0, in which
// case they run on a separate pool of that many threads. Either way a handler must not
// block for long; it may keep its Responder and answer later from any thread.
// Authentication hooks always run on the I/O threads, before the body is read.
//
// Reading a request, in order (each refusal is counted in HttpServerCounters):
//   - waits at most `idle_timeout` for the first byte of a request (then closes quietly);
//   - from that first byte the whole request (headers and body) must arrive within
//     `read_timeout`, so a client trickling one byte a second is closed (no response);
//   - headers over `max_header_bytes`: 431, connection closed;
//   - malformed request: 400, connection closed;
//   - unknown path: 404; known path, other method: 405 with Allow;
//   - the route's AuthHook runs before any body byte is read; a refusal is sent as is;
//   - a body over the route's limit (`RouteOptions::max_body_bytes`, else `max_body_bytes`):
//     413 as soon as the Content-Length or the chunk sizes pass it, before it is buffered;
//   - `Expect: 100-continue` is answered only after the checks above;
//   - `Content-Encoding: gzip` bodies are inflated with an output cap
//     (`max_decompressed_bytes`): 413 past it (a gzip bomb costs at most the cap), 400 if
//     the gzip data is malformed; other encodings: 415 (unless decompress_gzip is false, in
//     which case bodies are passed as sent).
// A response to a request whose body was not read closes the connection.
// More than `max_connections` open connections: the next one is answered 503 and closed.
//
// Allocation: per request, the Request's strings and the response buffer. Memory per
// connection is bounded by max_header_bytes + the body limit + max_decompressed_bytes.
//
// Thread-safety: route*() only before start(). start(), stop(), port(), url() and
// counters() from any thread. stop() blocks for at most its deadline plus the time running
// handlers take to return; the destructor calls stop(drain_timeout).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "edgetrace/core/result.hpp"
#include "edgetrace/net/http.hpp"

namespace edgetrace::net {

namespace internal {
class HttpServerCore;
}  // namespace internal

struct TlsOptions {
  std::string certificate_file;  // PEM server certificate (chain); TLS is on when set
  std::string private_key_file;  // PEM private key of that certificate
  // PEM CA certificates; when set, clients must present a certificate signed by one of
  // them (mutual TLS) or the handshake is refused.
  std::string client_ca_file;
  bool enabled() const noexcept { return !certificate_file.empty(); }
};

struct HttpServerOptions {
  std::string listen = "127.0.0.1:0";  // "host:port", "[::1]:port"; port 0: any free port
  std::size_t io_threads = 2;
  std::size_t handler_threads = 0;  // 0: handlers run on the I/O threads
  std::size_t max_connections = 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::size_t max_decompressed_bytes = 16 * 1024 * 1024;
  bool decompress_gzip = true;
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds write_timeout{30000};
  std::chrono::milliseconds drain_timeout{5000};  // used by the destructor
  TlsOptions tls;
  std::string server_name = "edgetrace";  // the Server header; none when empty
};

// Monotonic counts since start(), except connections_active. Readable from any thread.
struct HttpServerCounters {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused{0};  // over max_connections
  std::atomic<std::uint64_t> connections_active{0};
  std::atomic<std::uint64_t> requests{0};  // requests whose headers were read
  std::atomic<std::uint64_t> responses_1xx{0};
  std::atomic<std::uint64_t> responses_2xx{0};
  std::atomic<std::uint64_t> responses_3xx{0};
  std::atomic<std::uint64_t> responses_4xx{0};
  std::atomic<std::uint64_t> responses_5xx{0};
  std::atomic<std::uint64_t> header_too_large{0};        // 431
  std::atomic<std::uint64_t> body_too_large{0};          // 413, body bytes
  std::atomic<std::uint64_t> decompressed_too_large{0};  // 413, inflated bytes
  std::atomic<std::uint64_t> bad_request{0};             // 400 (malformed request or gzip)
  std::atomic<std::uint64_t> unsupported_encoding{0};    // 415
  std::atomic<std::uint64_t> not_found{0};               // 404 from the route table
  std::atomic<std::uint64_t> method_not_allowed{0};      // 405 from the route table
  std::atomic<std::uint64_t> idle_timeouts{0};
  std::atomic<std::uint64_t> read_timeouts{0};
  std::atomic<std::uint64_t> write_timeouts{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> auth_refused{0};
  std::atomic<std::uint64_t> cors_preflights{0};
  std::atomic<std::uint64_t> handler_errors{0};    // handler threw, or dropped its Responder
  std::atomic<std::uint64_t> forced_closes{0};     // connections closed by stop()'s deadline
  std::atomic<std::uint64_t> stream_overflows{0};  // streamed responses closed: client too slow
};

struct RouteOptions {
  AuthHook auth;                           // none: every request is let through
  std::shared_ptr<const CorsPolicy> cors;  // none: no CORS headers, OPTIONS is 405
  std::size_t max_body_bytes = 0;          // 0: the server's max_body_bytes
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // `method` + exact `path` (no query). A later route for the same pair replaces it.
  void route(std::string method, std::string path, Handler handler, RouteOptions options = {});
  // Every path that starts with `prefix`; the longest matching prefix wins; exact routes
  // are tried first.
  void route_prefix(std::string method, std::string prefix, Handler handler,
                    RouteOptions options = {});

  // Binds, listens and starts the I/O threads. kInvalidArgument for a bad address or TLS
  // file, kUnavailable when the address cannot be bound (the message names it, e.g.
  // "127.0.0.1:8080: Address already in use"), kFailedPrecondition if already started.
  core::Status start();

  // Stops accepting, closes idle keep-alive connections, lets requests in flight finish
  // (their responses close the connection), then after `deadline` closes whatever is left
  // and joins the threads. Idempotent.
  void stop(std::chrono::milliseconds deadline);
  void stop() { stop(drain_timeout_); }

  // Runs `work` on an I/O thread after the work already queued there: the requests whose
  // bytes have arrived are handled first. A handler running on the I/O threads uses it to
  // act once per round of ready connections instead of once per request (the proxy sends
  // what a round gathered as one upstream request). `work` must not block. Dropped, never
  // run, once the server has stopped; from any thread.
  void defer(std::function<void()> work);

  std::uint16_t port() const noexcept;  // the bound port, after start()
  std::string url() const;              // "http://127.0.0.1:<port>" or "https://..."
  const HttpServerCounters& counters() const noexcept;

 private:
  std::shared_ptr<internal::HttpServerCore> core_;
  std::chrono::milliseconds drain_timeout_;
};

}  // namespace edgetrace::net
