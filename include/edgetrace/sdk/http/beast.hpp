// The Boost.Beast adapter of the HTTP helpers (edgetrace/sdk/http.hpp): a HeaderCarrier over
// Beast headers and the conversions between Beast messages and the helpers. Header-only; link
// edgetrace::sdk_http_beast (edgetrace::sdk and the Boost headers).
//
//   // server, in the handler of a request read from `socket`
//   namespace et_beast = edgetrace::sdk::http::beast;
//   const et_beast::Headers in(request.base());
//   edgetrace::sdk::http::ServerSpan server(et_beast::server_request(request, in, peer));
//   server.set_route("/users/{id}");
//   http::response<http::string_body> response = route(request);
//   et_beast::finish(server, response);   // status code, x-request-id, traceparent, x-trace-id
//
//   // client
//   http::request<http::string_body> out{http::verb::get, "/profiles/42", 11};
//   edgetrace::sdk::http::ClientSpan client(et_beast::client_request(out, url));
//   et_beast::inject(client, out);
//   ... write `out`, read `response`, or client.fail("timeout", ec.message()) ...
//   et_beast::finish(client, response);
//
// Thread-safety: a Headers carrier is as thread-safe as the Beast fields it wraps (one thread
// at a time). The ServerRequest and ClientRequest returned view the message and the carrier:
// use them before either changes or goes away.
#pragma once

#include <boost/beast/http.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "edgetrace/sdk/http.hpp"

namespace edgetrace::sdk::http::beast {

// Boost 1.74's Beast takes and returns boost::string_view.
inline boost::beast::string_view to_beast(std::string_view s) noexcept {
  return {s.data(), s.size()};
}
inline std::string_view from_beast(boost::beast::string_view s) noexcept {
  return {s.data(), s.size()};
}

// A propagation carrier reading (and, for mutable fields, writing) Beast headers. Several
// fields of one name are joined with ",", as HTTP allows.
class Headers final : public HeaderCarrier {
 public:
  explicit Headers(boost::beast::http::fields& fields) : read_(&fields), write_(&fields) {}
  explicit Headers(const boost::beast::http::fields& fields) : read_(&fields) {}

  std::optional<std::string> get(std::string_view name) const override {
    auto range = read_->equal_range(to_beast(name));
    if (range.first == range.second)
      return std::nullopt;
    std::string joined;
    for (auto it = range.first; it != range.second; ++it) {
      if (!joined.empty())
        joined += ',';
      joined.append(it->value().data(), it->value().size());
    }
    return joined;
  }
  // Replaces every field of that name; ignored on a read-only carrier.
  void set(std::string_view name, std::string_view value) override {
    if (write_ != nullptr)
      write_->set(to_beast(name), to_beast(value));
  }

 private:
  const boost::beast::http::fields* read_;
  boost::beast::http::fields* write_ = nullptr;
};

// The two ends of a server connection, as the accepting code knows them.
struct Peer {
  std::string_view client_address;
  std::uint16_t client_port = 0;
  std::string_view local_address;
  std::uint16_t local_port = 0;
};

inline std::string_view protocol_version(unsigned version) noexcept {
  switch (version) {
    case 10:
      return "1.0";
    case 11:
      return "1.1";
    case 20:
      return "2";
    default:
      return {};
  }
}

// What the ServerSpan needs from a received request; `headers` wraps request.base().
template <class Body, class Fields>
ServerRequest server_request(const boost::beast::http::request<Body, Fields>& request,
                             const Headers& headers, const Peer& peer = {},
                             std::string_view scheme = "http") {
  ServerRequest r;
  r.method = from_beast(request.method_string());
  r.target = from_beast(request.target());
  r.scheme = scheme;
  r.host = from_beast(request[boost::beast::http::field::host]);
  r.protocol_version = protocol_version(request.version());
  r.client_address = peer.client_address;
  r.client_port = peer.client_port;
  r.local_address = peer.local_address;
  r.local_port = peer.local_port;
  r.headers = &headers;
  return r;
}

// Records the response's status and writes the response headers, then ends the span. Call
// it before the response is written.
template <class Body, class Fields>
void finish(ServerSpan& span, boost::beast::http::response<Body, Fields>& response) {
  Headers headers(response.base());
  span.finish(static_cast<int>(response.result_int()), headers);
}

// What the ClientSpan needs from a request about to be sent to `url` (absolute).
template <class Body, class Fields>
ClientRequest client_request(const boost::beast::http::request<Body, Fields>& request,
                             std::string_view url) {
  ClientRequest r;
  r.method = from_beast(request.method_string());
  r.url = url;
  r.protocol_version = protocol_version(request.version());
  return r;
}

// Writes traceparent, tracestate and baggage into the request.
template <class Body, class Fields>
void inject(const ClientSpan& span, boost::beast::http::request<Body, Fields>& request) {
  Headers headers(request.base());
  span.inject(headers);
}

// Records the response's status code (the client rule: 4xx and 5xx are errors).
template <class Body, class Fields>
void finish(ClientSpan& span, const boost::beast::http::response<Body, Fields>& response) {
  span.set_response_status(static_cast<int>(response.result_int()));
  span.end();
}

}  // namespace edgetrace::sdk::http::beast
