// The instrumented HTTP service of the examples: what a real handler does with edgetrace.
//
//   HttpService service(HttpServiceOptions{.downstream = "http://127.0.0.1:8081"});
//   auto server = HttpServer::listen("127.0.0.1", 8080, [&](const Request& r, const Peer& p) {
//     return service.handle(r, p);
//   }).value();
//
// Routes:
//   GET /users/{id}     calls GET <downstream>/profiles/{id} and wraps the answer;
//                       a failed or 5xx downstream call answers 502
//   GET /profiles/{id}  the downstream endpoint: 200 with a profile; id 0 simulates a broken
//                       store (500); an id that is not a number is 404
//   anything else       404
//
// Every request gets a SERVER span named "<method> <route>" whose parent is the incoming
// traceparent (tracestate and baggage are honoured), with the HTTP semantic-convention
// attributes; the x-request-id header is kept (or made up) and echoed; the response carries
// the server span's traceparent. The downstream call is a CLIENT span, child of the server
// span, whose context is injected into the outgoing request. 5xx answers set status ERROR.
// Events are logged inside the spans.
//
// Thread-safety: handle() may run on many threads at once; the service holds only immutable
// state after set_self_port().
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "../common/http.hpp"
#include "edgetrace/sdk/propagation.hpp"

namespace edgetrace::examples {

struct HttpServiceOptions {
  // Base URL of the downstream service ("http://127.0.0.1:8081"); empty: this service itself.
  std::string downstream;
  std::chrono::milliseconds downstream_timeout{2000};
  // Propagation (OTEL_PROPAGATORS is read by main()).
  sdk::Propagators propagators = sdk::Propagators::w3c();
};

class HttpService {
 public:
  // Fails when `downstream` is not an http:// URL.
  static core::Result<HttpService> create(HttpServiceOptions options);

  // Where an empty `downstream` points: http://127.0.0.1:<port>. Call before serving.
  void set_self_port(std::uint16_t port);

  Response handle(const Request& request, const Peer& peer) const;

 private:
  explicit HttpService(HttpServiceOptions options) : options_(std::move(options)) {}
  Response get_user(const Request& request, std::string_view id, const std::string& request_id,
                    const core::Baggage& baggage) const;
  Response get_profile(const Request& request, std::string_view id) const;

  HttpServiceOptions options_;
  Url downstream_;
};

}  // namespace edgetrace::examples
