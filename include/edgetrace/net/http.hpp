// HTTP messages as edgetrace's server layer hands them to handlers: Request, Response,
// the Responder a handler answers through, and the CORS helper.
//
//   void handle(edgetrace::net::Request&& request, edgetrace::net::Responder responder) {
//     if (request.header("Content-Type") != "application/json") {
//       responder.respond(Response::text(415, "JSON only\n"));
//       return;
//     }
//     queue.push(std::move(request.body), [responder](bool durable) {   // any thread, later
//       responder.respond(durable ? Response::empty(202) : Response::text(503, "full\n"));
//     });
//   }
//
// These types carry no Boost or socket type, so code that handles requests (the symbols
// API, the daemon's receivers) stays independent of the transport and testable without it.
//
// Thread-safety: Request and Response are values. A Responder (and its copies) may be used
// from any thread; see its comment.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgetrace::net {

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method;  // "GET", "POST", ... as sent (case-sensitive, RFC 9110)
  std::string target;  // the request target as sent, e.g. "/api/v1/symbols/ab?x=1"
  std::string path;    // the target up to '?', e.g. "/api/v1/symbols/ab"
  std::string query;   // after '?', without it; empty when absent
  std::vector<Header> headers;
  // The body, already inflated when it was sent with Content-Encoding: gzip (the header is
  // then removed from `headers`). Empty in the request an authentication hook sees.
  std::string body;
  std::string remote;  // the peer's "address:port"
  bool tls = false;    // received over TLS

  // The first header of that name (case-insensitive), or "" when absent. The view is valid
  // while the Request lives and is not modified.
  std::string_view header(std::string_view name) const noexcept;
  bool has_header(std::string_view name) const noexcept;
};

struct Response {
  int status = 200;
  std::string content_type;     // no Content-Type header when empty
  std::vector<Header> headers;  // added as given; Content-Length is set by the server
  std::string body;
  bool close = false;  // close the connection after this response

  static Response empty(int status);
  static Response text(int status, std::string body);  // text/plain; charset=utf-8
  static Response json(int status, std::string body);  // application/json
  Response& with_header(std::string name, std::string value) &;
  Response&& with_header(std::string name, std::string value) &&;
};

namespace internal {
// The connection end of a streamed response (see StreamWriter).
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // False (and nothing queued) once the stream is closed.
  virtual bool write(std::string&& chunk) = 0;
  virtual void close() = 0;
  virtual bool closed() const noexcept = 0;
};

// What a Responder delivers to: the connection that read the request.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void deliver(Response&& response) = 0;
  // Sends `head` (status and headers) without a Content-Length and keeps the connection for
  // a body written in pieces. nullptr when the sink cannot stream (the connection is gone,
  // or a test double).
  virtual std::shared_ptr<StreamSink> start_stream(Response&& head, std::size_t max_queued_bytes) {
    (void)head;
    (void)max_queued_bytes;
    return nullptr;
  }
  // Every Responder copy was destroyed without an answer.
  virtual void abandoned() = 0;
  // Close the connection without an answer.
  virtual void abort() = 0;
};
class ResponderState;
}  // namespace internal

// A response body sent in pieces as they come (server-sent events, live tails), returned
// by Responder::start_stream(). The response has no Content-Length: it ends when the
// connection closes (`Connection: close`), so the client reads until then.
//
// Bounds. Pieces wait on the connection's strand to be written, at most `max_queued_bytes`
// of them: a write that would pass that closes the stream (and the connection), so a slow
// client is disconnected, never buffered without limit. Each socket write must finish
// within the server's write_timeout. HttpServer::stop() closes every stream.
//
// Thread-safety: copyable; the copies share the stream; write() and close() from any
// thread, never blocking. A default-constructed StreamWriter is closed.
class StreamWriter {
 public:
  StreamWriter() = default;
  explicit StreamWriter(std::shared_ptr<internal::StreamSink> sink) : sink_(std::move(sink)) {}

  // Queues `chunk`. False when the stream is closed (client gone, queue over its bound,
  // server stopping): the caller should drop this writer.
  bool write(std::string chunk) const;
  // Sends what is queued, then closes the connection. Idempotent.
  void close() const;
  bool is_open() const noexcept;

 private:
  std::shared_ptr<internal::StreamSink> sink_;
};

// The one way to answer a request. Copyable; the copies share one answer: the first
// respond() (from any thread, at any time) sends it, later calls return false and do
// nothing. When the last copy is destroyed without an answer, the server answers 500, so
// a lost request never leaves its client waiting.
//
// respond() never blocks: it queues the write on the connection's I/O strand. If the
// connection was closed meanwhile (timeout, server stopped), the answer is dropped.
class Responder {
 public:
  explicit Responder(std::shared_ptr<internal::ResponseSink> sink);
  Responder(const Responder&) = default;
  Responder(Responder&&) noexcept = default;
  Responder& operator=(const Responder&) = default;
  Responder& operator=(Responder&&) noexcept = default;
  ~Responder() = default;

  // True if this call sent the answer.
  bool respond(Response response) const;
  // Closes the connection instead of answering (for a client that must not get one, or a
  // test double dropping a connection). True if no answer had been given.
  bool abort() const;
  bool responded() const noexcept;
  // Answers with `status` and these headers, then a body written in pieces through the
  // returned writer (see StreamWriter). Counts as the answer: a closed writer when one had
  // been given already or the connection is gone.
  StreamWriter start_stream(int status, std::string content_type, std::vector<Header> headers = {},
                            std::size_t max_queued_bytes = 1 << 20) const;

 private:
  std::shared_ptr<internal::ResponderState> state_;
};

// A route's request handler. It runs on an I/O thread (or on the server's handler pool,
// see HttpServerOptions::handler_threads) and must return quickly: blocking there delays
// every connection served by that thread. Long work answers later through the Responder.
using Handler = std::function<void(Request&& request, Responder responder)>;
// A handler that answers before it returns.
using SyncHandler = std::function<Response(Request&& request)>;
Handler sync_handler(SyncHandler handler);

// Called once a request's headers are read and before its body is: returns nothing to
// let the request through, or the response that refuses it (401, 403, ...). The request's
// body is empty. Runs on an I/O thread (also with a handler pool); must not block.
using AuthHook = std::function<std::optional<Response>(const Request& headers_only)>;

// Cross-origin resource sharing for routes browsers call from other origins.
struct CorsPolicy {
  // Exact origins ("https://app.example.com"), or "*" for any origin.
  std::vector<std::string> allowed_origins;
  // Request headers a preflight may ask for.
  std::vector<std::string> allowed_headers = {"Content-Type", "Authorization", "Content-Encoding"};
  std::chrono::seconds max_age{600};
  bool allow_credentials = false;  // adds Access-Control-Allow-Credentials: true
};

// True if `origin` (the request's Origin header) may call.
bool cors_origin_allowed(const CorsPolicy& policy, std::string_view origin) noexcept;
// The answer to a preflight OPTIONS request for a path whose routes accept `methods`: 204
// with Access-Control-Allow-Origin/-Methods/-Headers/-Max-Age when the origin is allowed and
// the requested method is among `methods`; 403 without CORS headers otherwise.
Response cors_preflight(const CorsPolicy& policy, const Request& request,
                        const std::vector<std::string>& methods);
// Adds Access-Control-Allow-Origin (and Vary: Origin) to an actual response when the
// request's origin is allowed; leaves the response unchanged otherwise.
void add_cors_headers(const CorsPolicy& policy, const Request& request, Response& response);

}  // namespace edgetrace::net
