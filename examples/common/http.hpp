// The small HTTP toolkit the examples share (HTTP/1.1, plain TCP): a server (an
// edgetrace::net::HttpServer handing Beast messages to the handler), a Beast client call with
// a deadline and a URL splitter. Tracing of requests is the SDK's (edgetrace/sdk/http/beast.hpp).
//
//   auto server = HttpServer::listen("127.0.0.1", 0, [](const Request& req, const Peer& peer) {
//     Response res{boost::beast::http::status::ok, req.version()};
//     res.body() = "hello";
//     return res;
//   });
//   std::printf("listening on 127.0.0.1:%u\n", (*server)->port());
//   ...
//   Result<Response> r = send_request(std::move(request), parse_url(url).value(), 2s);
//
// Thread-safety: HttpServer calls the handler concurrently, on a pool of 16 handler threads
// (handlers may block on downstream calls); stop() may be called from any thread, lets
// requests in flight finish (up to 2 s) and returns after every connection closed.
// send_request() is a blocking call with its own io_context: call it from any thread.
// Errors are returned as core::Result; nothing here throws across its interface.
#pragma once

#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "edgetrace/core/result.hpp"
#include "edgetrace/sdk/http/beast.hpp"
#include "edgetrace/sdk/propagation.hpp"

namespace edgetrace::examples {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;
using Response = beast_http::response<beast_http::string_body>;

// Beast (Boost 1.74) takes boost::string_view; the SDK's Beast adapter converts.
using sdk::http::beast::from_beast;
using sdk::http::beast::to_beast;

// A propagation carrier over Beast headers: the SDK's Beast adapter.
using BeastHeaders = sdk::http::beast::Headers;

// An http:// URL split into what a client needs.
struct Url {
  std::string scheme;  // "http"
  std::string host;    // "127.0.0.1", "example.com" (IPv6 literals without brackets)
  std::uint16_t port = 80;
  std::string target;  // path and query, at least "/"

  std::string authority() const;  // host[:port] as a Host header carries it
  std::string full() const;       // scheme://authority/target
};

// Parses "http://host[:port][/path][?query]". https and user info are rejected (the examples
// speak plain HTTP).
core::Result<Url> parse_url(std::string_view text);

// The two ends of a server connection.
struct Peer {
  std::string address;  // the client's IP address
  std::uint16_t port = 0;
  std::string local_address;
  std::uint16_t local_port = 0;
};

using Handler = std::function<Response(const Request&, const Peer&)>;

// An HTTP/1.1 server (keep-alive) on edgetrace::net: two I/O threads and a pool of handler
// threads, with the limits and timeouts of docs/net.md (bodies up to 8 MiB).
class HttpServer {
 public:
  // Binds host:port (0 picks a free port) and starts serving.
  static core::Result<std::unique_ptr<HttpServer>> listen(const std::string& host,
                                                          std::uint16_t port, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const noexcept;
  // Responses written so far.
  std::uint64_t requests_served() const noexcept { return served_.load(); }
  // Stops accepting, closes every connection and joins every thread. Idempotent.
  void stop();

 private:
  struct State;
  explicit HttpServer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  std::atomic<std::uint64_t> served_{0};
};

// Sends `request` to `url` (sets Host and the target when empty) and reads the response,
// everything within `timeout`. Errors: unavailable (connect, reset, timeout) or
// invalid_argument.
core::Result<Response> send_request(Request request, const Url& url,
                                    std::chrono::milliseconds timeout);

}  // namespace edgetrace::examples
