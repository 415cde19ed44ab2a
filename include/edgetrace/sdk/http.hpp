// HTTP instrumentation: a SERVER span per request received and a CLIENT span per request sent,
// named and attributed by the OpenTelemetry HTTP semantic conventions (stable HTTP spans,
// semantic-conventions v1.26 and later), with W3C propagation and a request id. No HTTP
// library is needed: the request is described by a few views and a HeaderCarrier. The
// adapters in edgetrace/sdk/http/ do that for Boost.Beast (beast.hpp), cpp-httplib
// (httplib.hpp) and libcurl (curl.hpp); docs/http.md shows each.
//
//   // server: inside the handler, before routing or after it
//   sdk::http::ServerRequest in;
//   in.method = "GET"; in.target = "/users/42?verbose=1"; in.host = "api.example.com:8080";
//   in.client_address = "10.0.0.7"; in.headers = &request_headers;   // a HeaderCarrier
//   sdk::http::ServerSpan server(in);            // extracts traceparent/tracestate/baggage
//   server.set_route("/users/{id}");             // span name "GET /users/{id}"
//   ... handle; ET_INFO(...) lands inside the span ...
//   server.finish(200, response_headers);        // x-request-id, traceparent, x-trace-id
//
//   // client: around one request sent
//   sdk::http::ClientRequest out;
//   out.method = "GET"; out.url = "http://profiles:8081/profiles/42";
//   sdk::http::ClientOptions options;
//   options.baggage = &server.baggage();
//   sdk::http::ClientSpan client(out, options);
//   client.inject(outgoing_headers);             // traceparent, tracestate, baggage
//   ... send ...
//   client.set_response_status(404);             // or client.fail("timeout", message)
//
// What is recorded:
//   SERVER span "{method} {http.route}" (or "{method}" until a route is known; "HTTP" for an
//     unknown method): http.request.method (with http.request.method_original when it is
//     "_OTHER"), url.path, url.query, url.scheme, http.route, server.address and server.port
//     (from the Host header), client.address, client.port, network.peer.address,
//     network.peer.port, network.local.address, network.local.port, network.protocol.version,
//     user_agent.original, http.request.header.x-request-id, http.response.status_code.
//     Status: Error for 5xx (and codes below 100, which are not HTTP) with error.type the
//     code ("503"); 1xx-4xx leave it unset.
//   CLIENT span "{method}": http.request.method, url.full (user info and the signature
//     query parameters the conventions name are replaced by "REDACTED"), server.address,
//     server.port, network.protocol.version, http.request.resend_count when > 0,
//     http.response.status_code. Status: Error for 4xx and 5xx with error.type the code, or
//     for a transport failure with the caller's error.type ("timeout", ...).
//   The status description is left empty when the status code explains it.
//   Both spans are info-level spans of the target "edgetrace::http" (a filter directive
//   "edgetrace::http=off" turns them off; the caller's trace then still continues).
//
// Request id: the request's x-request-id is kept when it is 1-128 printable ASCII characters,
// else replaced by 32 random hex digits; finish() answers with it.
//
// Thread-safety and lifetime: a ServerSpan or ClientSpan is one request's, used by one thread
// and destroyed on the thread that created it (its span is the thread's current span while it
// lives, as any Span). Neither is movable: construct it where the request is handled. The
// views in ServerRequest/ClientRequest and the carrier are read during the constructor only;
// ClientOptions::baggage is read by inject(). Starting a span allocates (names, attributes);
// nothing here blocks or does I/O. Errors are not thrown: an unparsable Host or URL leaves
// the attributes it would have given unset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/baggage.hpp"
#include "edgetrace/core/trace_context.hpp"
#include "edgetrace/sdk/propagation.hpp"
#include "edgetrace/sdk/span.hpp"

namespace edgetrace::sdk::http {

// The method as the conventions record it: one of RFC 9110's methods or PATCH, exactly as
// written (methods are case-sensitive), else "_OTHER". With a non-empty `known`, the methods
// listed there replace that default list (the conventions' override, which
// OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS names; split it with split_methods()).
std::string_view known_method(std::string_view method,
                              const std::vector<std::string>& known = {}) noexcept;
// "GET,POST, MKCOL" -> {"GET", "POST", "MKCOL"} (spaces trimmed, empty items dropped).
std::vector<std::string> split_methods(std::string_view comma_separated);

// One request as the server received it. Every view is read by the ServerSpan constructor
// only.
struct ServerRequest {
  std::string_view method;                    // from the request line: "GET"
  std::string_view target;                    // "/users/42?verbose=1" (absolute form accepted)
  std::string_view scheme = "http";           // "https" behind TLS
  std::string_view host;                      // the Host header (or :authority); may be empty
  std::string_view protocol_version = "1.1";  // "1.0", "1.1", "2"
  std::string_view client_address;            // the peer's IP address
  std::uint16_t client_port = 0;              // 0: unknown
  std::string_view local_address;             // the address the request arrived on
  std::uint16_t local_port = 0;               // 0: unknown
  std::string_view route;                     // the matched route template, when known now
  const HeaderCarrier* headers = nullptr;     // the request's headers; null: none
};

struct ServerOptions {
  // Which headers carry the caller's context (OTEL_PROPAGATORS: Propagators::from_env).
  Propagators propagators = Propagators::w3c();
  // Kept or made up, answered, and recorded as http.request.header.<name>; empty: no id.
  std::string request_id_header = "x-request-id";
  // Answered with the trace id (32 hex digits); empty: not sent.
  std::string trace_id_header = "x-trace-id";
  // Methods recorded as themselves; empty: RFC 9110's and PATCH (see known_method()).
  std::vector<std::string> known_methods;
};

// The SERVER span of one request: started by the constructor (child of the extracted remote
// parent, or a new trace), ended by the destructor.
class ServerSpan {
 public:
  explicit ServerSpan(const ServerRequest& request, const ServerOptions& options = {});
  ~ServerSpan();
  ServerSpan(const ServerSpan&) = delete;
  ServerSpan& operator=(const ServerSpan&) = delete;

  // The matched route template ("/users/{id}"): names the span "{method} {route}" and
  // records http.route. Never pass the raw path (unbounded cardinality).
  void set_route(std::string_view route);

  // Records http.response.status_code and, for 5xx, error.type and status Error.
  void set_response_status(int status_code);
  // Writes the request id, traceparent (and tracestate) of this span and the trace id header.
  void write_response_headers(HeaderCarrier& response_headers) const;
  // Both of the above, then ends the span.
  void finish(int status_code, HeaderCarrier& response_headers);
  // The request failed without a response (the handler threw, the connection dropped):
  // error.type (an exception type or a short class such as "timeout") and status Error.
  void fail(std::string_view error_type, std::string_view message = {});
  // Ends the span now (idempotent); the destructor calls it.
  void end();

  const std::string& request_id() const noexcept { return request_id_; }
  // The baggage the caller sent (pass it to the ClientSpans of downstream calls).
  const core::Baggage& baggage() const noexcept { return baggage_; }
  // This span's context; when the span is not recorded (filtered out), the caller's.
  core::SpanContext context() const;
  Span& span() noexcept { return span_; }

 private:
  ServerSpan(const ServerRequest& request, const ServerOptions& options, Extracted&& extracted);

  // Keeps the caller's context current when the span itself is not recorded, so that child
  // spans and downstream calls still continue the caller's trace.
  struct RemoteScope {
    explicit RemoteScope(const Context& context) : scope(context.attach()) {}
    Context::Scope scope;
  };

  ServerOptions options_;
  std::string method_;  // as recorded: a known method or "_OTHER"
  core::Baggage baggage_;
  std::optional<core::SpanContext> remote_parent_;
  Span span_;
  std::string request_id_;
  std::optional<RemoteScope> remote_scope_;
};

// One request as the client sends it.
struct ClientRequest {
  std::string_view method;  // "GET"
  std::string_view url;     // absolute: "http://host:port/path?query"
  std::string_view protocol_version;
  int resend_count = 0;  // retries and redirects before this attempt
};

struct ClientOptions {
  Propagators propagators = Propagators::w3c();
  // Sent in the baggage header; borrowed, read by inject().
  const core::Baggage* baggage = nullptr;
  // Methods recorded as themselves; empty: RFC 9110's and PATCH (see known_method()).
  std::vector<std::string> known_methods;
};

// The CLIENT span of one request sent: a child of the thread's current span (the server span
// of the request being handled, typically), ended by the destructor.
class ClientSpan {
 public:
  explicit ClientSpan(const ClientRequest& request, const ClientOptions& options = {});
  ~ClientSpan();
  ClientSpan(const ClientSpan&) = delete;
  ClientSpan& operator=(const ClientSpan&) = delete;

  // Writes traceparent (and tracestate) of this span, or of the current context when the
  // span is not recorded, and the baggage.
  void inject(HeaderCarrier& request_headers) const;
  // Records http.response.status_code and, for 4xx and 5xx, error.type and status Error.
  void set_response_status(int status_code);
  // The request got no response: error.type ("timeout", "connection_refused", ...) and
  // status Error with `message`.
  void fail(std::string_view error_type, std::string_view message = {});
  void end();

  // The context injected into the request.
  core::SpanContext context() const;
  Span& span() noexcept { return span_; }

 private:
  ClientOptions options_;
  Span span_;
};

// The parts of an absolute URL the client span records.
struct UrlParts {
  std::string scheme;    // lower case
  std::string host;      // without brackets for IPv6 literals
  std::uint16_t port{};  // explicit, or the scheme's default (80, 443); 0 when unknown
  std::string redacted;  // the URL for url.full (credentials and signatures replaced)
};
// Nullopt when `url` has no "scheme://host".
std::optional<UrlParts> parse_url(std::string_view url);

}  // namespace edgetrace::sdk::http
