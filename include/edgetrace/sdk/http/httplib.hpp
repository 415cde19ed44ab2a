// The cpp-httplib adapter of the HTTP helpers (edgetrace/sdk/http.hpp). Header-only; link
// edgetrace::sdk_http_httplib (edgetrace::sdk and cpp-httplib, Debian libcpp-httplib-dev).
//
//   namespace et_httplib = edgetrace::sdk::http::httplib_adapter;
//
//   // server: wrap each handler with its route template
//   httplib::Server server;
//   server.Get(R"(/users/(\d+))", et_httplib::traced("/users/{id}",
//       [](const httplib::Request& req, httplib::Response& res) { ... }));
//   server.Get("/orders", et_httplib::traced("/orders",
//       [](const httplib::Request& req, httplib::Response& res, ServerSpan& span) {
//         ... span.request_id(), span.baggage() ...
//       }));
//
//   // client
//   httplib::Client client("http://127.0.0.1:8081");
//   httplib::Headers headers;
//   edgetrace::sdk::http::ClientSpan span(et_httplib::client_request("GET", client_url, path));
//   et_httplib::inject(span, headers);
//   httplib::Result result = client.Get(path.c_str(), headers);
//   et_httplib::finish(span, result);     // status code, or error.type from httplib::Error
//
// traced() starts the SERVER span before the handler runs (so the handler's spans and
// events are inside it) and finishes it when the handler returns, before cpp-httplib writes
// the response; a handler that throws gets error.type = "exception", status 500, and the
// exception goes on to cpp-httplib. Alone, it leaves requests that match no route untraced
// (cpp-httplib answers them without a handler); instrument(server) traces every request
// from its pre- and post-routing handlers, and traced() then only names the span:
//
//   et_httplib::instrument(server);                 // every request, 404s included
//   server.Get(R"(/users/(\d+))", et_httplib::traced("/users/{id}", handler));
//
// Thread-safety: the handler returned by traced() is called by cpp-httplib's worker threads
// concurrently; it holds only immutable state. The Headers carrier is one thread's.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "edgetrace/sdk/http.hpp"

namespace edgetrace::sdk::http::httplib_adapter {

// A propagation carrier over httplib::Headers (a case-insensitive multimap). Several values of
// one name are joined with ","; set() replaces them; set() on a read-only carrier is ignored.
class Headers final : public HeaderCarrier {
 public:
  explicit Headers(::httplib::Headers& headers) : read_(&headers), write_(&headers) {}
  explicit Headers(const ::httplib::Headers& headers) : read_(&headers) {}

  std::optional<std::string> get(std::string_view name) const override {
    auto range = read_->equal_range(std::string(name));
    if (range.first == range.second)
      return std::nullopt;
    std::string joined;
    for (auto it = range.first; it != range.second; ++it) {
      if (!joined.empty())
        joined += ',';
      joined += it->second;
    }
    return joined;
  }
  void set(std::string_view name, std::string_view value) override {
    if (write_ == nullptr)
      return;
    write_->erase(std::string(name));
    write_->emplace(std::string(name), std::string(value));
  }

 private:
  const ::httplib::Headers* read_;
  ::httplib::Headers* write_ = nullptr;
};

// "HTTP/1.1" -> "1.1".
inline std::string_view protocol_version(std::string_view version) noexcept {
  constexpr std::string_view kPrefix = "HTTP/";
  return version.starts_with(kPrefix) ? version.substr(kPrefix.size()) : version;
}

// What the ServerSpan needs from a received request; `headers` wraps request.headers.
inline ServerRequest server_request(const ::httplib::Request& request, const Headers& headers,
                                    std::string_view route = {}, std::string_view scheme = "http") {
  ServerRequest r;
  r.method = request.method;
  r.target = request.target.empty() ? std::string_view(request.path) : request.target;
  r.scheme = scheme;
  auto host = request.headers.find("Host");
  if (host != request.headers.end())
    r.host = host->second;
  r.protocol_version = protocol_version(request.version);
  r.client_address = request.remote_addr;
  if (request.remote_port > 0 && request.remote_port <= 65535)
    r.client_port = static_cast<std::uint16_t>(request.remote_port);
  r.local_address = request.local_addr;
  if (request.local_port > 0 && request.local_port <= 65535)
    r.local_port = static_cast<std::uint16_t>(request.local_port);
  r.route = route;
  r.headers = &headers;
  return r;
}

// Records the response's status and writes the response headers, then ends the span.
inline void finish(ServerSpan& span, ::httplib::Response& response) {
  Headers headers(response.headers);
  span.finish(response.status, headers);
}

namespace internal {
// The span instrument() opened for the request this thread is serving (cpp-httplib runs the
// pre-routing handler, the route's handler and the post-routing handler on one thread).
inline thread_local std::unique_ptr<ServerSpan> request_span;
}  // namespace internal

// The SERVER span of the request the calling thread serves, when instrument() opened one.
inline ServerSpan* current_request_span() noexcept {
  return internal::request_span.get();
}

// Traces every request `server` receives, including those no route matches (404): a SERVER
// span opened before routing and finished just before the answer is written. Handlers
// wrapped with traced() then only name the span with their route. Replaces the server's
// pre- and post-routing handlers.
inline void instrument(::httplib::Server& server, ServerOptions options = {}) {
  auto shared = std::make_shared<const ServerOptions>(std::move(options));
  server.set_pre_routing_handler([shared](const ::httplib::Request& request, ::httplib::Response&) {
    // A span left by a request that never reached post-routing ends first.
    internal::request_span.reset();
    const Headers in(request.headers);
    internal::request_span = std::make_unique<ServerSpan>(server_request(request, in), *shared);
    return ::httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_post_routing_handler([](const ::httplib::Request&, ::httplib::Response& response) {
    if (std::unique_ptr<ServerSpan> span = std::move(internal::request_span)) {
      Headers headers(response.headers);
      span->finish(response.status, headers);
    }
  });
}

// A handler running `handler` inside a SERVER span named "{method} {route}". `handler` is
// called as handler(request, response), or handler(request, response, span) when it takes the
// ServerSpan (for its request id, the caller's baggage, or a more precise route).
template <class Handler>
::httplib::Server::Handler traced(std::string route, Handler handler, ServerOptions options = {}) {
  return [route = std::move(route), handler = std::move(handler), options = std::move(options)](
             const ::httplib::Request& request, ::httplib::Response& response) {
    if (ServerSpan* opened = current_request_span()) {
      // instrument() opened the span and finishes it: name it, and run the handler.
      opened->set_route(route);
      if constexpr (std::is_invocable_v<Handler&, const ::httplib::Request&, ::httplib::Response&,
                                        ServerSpan&>) {
        handler(request, response, *opened);
      } else {
        handler(request, response);
      }
      return;
    }
    const Headers in(request.headers);
    ServerSpan span(server_request(request, in, route), options);
    try {
      if constexpr (std::is_invocable_v<Handler&, const ::httplib::Request&, ::httplib::Response&,
                                        ServerSpan&>) {
        handler(request, response, span);
      } else {
        handler(request, response);
      }
    } catch (const std::exception&) {
      span.fail("exception");
      response.status = 500;
      finish(span, response);
      throw;
    }
    // cpp-httplib turns a status left at -1 into 200 after the handler.
    if (response.status == -1)
      response.status = 200;
    finish(span, response);
  };
}

// What the ClientSpan needs for `method` `base_url` + `path` ("http://host:port", "/a?b").
// The returned request views `storage`, which receives the full URL.
inline ClientRequest client_request(std::string_view method, std::string_view base_url,
                                    std::string_view path, std::string& storage) {
  storage.assign(base_url);
  while (!storage.empty() && storage.back() == '/')
    storage.pop_back();
  if (path.empty() || path.front() != '/')
    storage += '/';
  storage.append(path);
  ClientRequest r;
  r.method = method;
  r.url = storage;
  r.protocol_version = "1.1";  // cpp-httplib speaks HTTP/1.1 only
  return r;
}

// Writes traceparent, tracestate and baggage into the headers of the request to send.
inline void inject(const ClientSpan& span, ::httplib::Headers& headers) {
  Headers carrier(headers);
  span.inject(carrier);
}

// A short error.type for cpp-httplib's transport errors.
inline std::string_view error_type(::httplib::Error error) noexcept {
  switch (error) {
    case ::httplib::Error::Connection:
      return "connection_error";
    case ::httplib::Error::Read:
      return "read_error";
    case ::httplib::Error::Write:
      return "write_error";
    case ::httplib::Error::ConnectionTimeout:
      return "timeout";
    case ::httplib::Error::Canceled:
      return "canceled";
    case ::httplib::Error::SSLConnection:
    case ::httplib::Error::SSLLoadingCerts:
    case ::httplib::Error::SSLServerVerification:
      return "tls_error";
    default:
      return "_OTHER";
  }
}

// Records the response's status code (4xx and 5xx are errors), or the transport error, and
// ends the span.
inline void finish(ClientSpan& span, const ::httplib::Result& result) {
  if (result) {
    span.set_response_status(result->status);
  } else {
    span.fail(error_type(result.error()), ::httplib::to_string(result.error()));
  }
  span.end();
}

}  // namespace edgetrace::sdk::http::httplib_adapter
