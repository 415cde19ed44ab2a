// Request/Response helpers, the Responder and the CORS helper.
#include "edgetrace/net/http.hpp"

#include <algorithm>
#include <atomic>
#include <exception>

#include "edgetrace/core/text.hpp"

namespace edgetrace::net {

std::string_view Request::header(std::string_view name) const noexcept {
  for (const Header& h : headers) {
    if (core::iequals_ascii(h.name, name))
      return h.value;
  }
  return {};
}

bool Request::has_header(std::string_view name) const noexcept {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const Header& h) { return core::iequals_ascii(h.name, name); });
}

Response Response::empty(int status) {
  Response r;
  r.status = status;
  return r;
}

Response Response::text(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

Response Response::json(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

Response& Response::with_header(std::string name, std::string value) & {
  headers.push_back({std::move(name), std::move(value)});
  return *this;
}

Response&& Response::with_header(std::string name, std::string value) && {
  headers.push_back({std::move(name), std::move(value)});
  return std::move(*this);
}

namespace internal {

// Shared by the copies of one Responder; answers 500 if none of them answered.
class ResponderState {
 public:
  explicit ResponderState(std::shared_ptr<ResponseSink> sink) : sink_(std::move(sink)) {}
  ~ResponderState() {
    if (!done_.exchange(true) && sink_ != nullptr)
      sink_->abandoned();
  }
  ResponderState(const ResponderState&) = delete;
  ResponderState& operator=(const ResponderState&) = delete;

  bool respond(Response&& response) {
    if (done_.exchange(true))
      return false;
    sink_->deliver(std::move(response));
    return true;
  }
  bool responded() const noexcept { return done_.load(); }
  std::shared_ptr<StreamSink> start_stream(Response&& head, std::size_t max_queued_bytes) {
    if (done_.exchange(true))
      return nullptr;
    return sink_->start_stream(std::move(head), max_queued_bytes);
  }
  bool abort() {
    if (done_.exchange(true))
      return false;
    sink_->abort();
    return true;
  }

 private:
  std::shared_ptr<ResponseSink> sink_;
  std::atomic<bool> done_{false};
};

}  // namespace internal

Responder::Responder(std::shared_ptr<internal::ResponseSink> sink)
    : state_(std::make_shared<internal::ResponderState>(std::move(sink))) {}

bool Responder::respond(Response response) const {
  return state_ != nullptr && state_->respond(std::move(response));
}

bool Responder::abort() const {
  return state_ != nullptr && state_->abort();
}

bool Responder::responded() const noexcept {
  return state_ == nullptr || state_->responded();
}

StreamWriter Responder::start_stream(int status, std::string content_type,
                                     std::vector<Header> headers,
                                     std::size_t max_queued_bytes) const {
  if (state_ == nullptr)
    return StreamWriter();
  Response head;
  head.status = status;
  head.content_type = std::move(content_type);
  head.headers = std::move(headers);
  return StreamWriter(state_->start_stream(std::move(head), max_queued_bytes));
}

bool StreamWriter::write(std::string chunk) const {
  return sink_ != nullptr && sink_->write(std::move(chunk));
}

void StreamWriter::close() const {
  if (sink_ != nullptr)
    sink_->close();
}

bool StreamWriter::is_open() const noexcept {
  return sink_ != nullptr && !sink_->closed();
}

Handler sync_handler(SyncHandler handler) {
  return [h = std::move(handler)](Request&& request, Responder responder) {
    responder.respond(h(std::move(request)));
  };
}

// ---------------------------------------------------------------------------------------
// CORS (https://fetch.spec.whatwg.org/#http-cors-protocol)

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty())
      out += ", ";
    out += item;
  }
  return out;
}

bool any_origin(const CorsPolicy& policy) {
  return std::find(policy.allowed_origins.begin(), policy.allowed_origins.end(), "*") !=
         policy.allowed_origins.end();
}

void add_origin(const CorsPolicy& policy, std::string_view origin, Response& response) {
  // With credentials a wildcard is not allowed by browsers: echo the origin instead.
  if (any_origin(policy) && !policy.allow_credentials) {
    response.headers.push_back({"Access-Control-Allow-Origin", "*"});
  } else {
    response.headers.push_back({"Access-Control-Allow-Origin", std::string(origin)});
    response.headers.push_back({"Vary", "Origin"});
  }
  if (policy.allow_credentials)
    response.headers.push_back({"Access-Control-Allow-Credentials", "true"});
}

}  // namespace

bool cors_origin_allowed(const CorsPolicy& policy, std::string_view origin) noexcept {
  if (origin.empty())
    return false;
  for (const auto& allowed : policy.allowed_origins) {
    if (allowed == "*" || core::iequals_ascii(allowed, origin))
      return true;
  }
  return false;
}

Response cors_preflight(const CorsPolicy& policy, const Request& request,
                        const std::vector<std::string>& methods) {
  const std::string_view origin = request.header("Origin");
  const std::string_view wanted = core::trim_ows(request.header("Access-Control-Request-Method"));
  const bool method_ok = std::find(methods.begin(), methods.end(), wanted) != methods.end();
  if (!cors_origin_allowed(policy, origin) || !method_ok)
    return Response::text(403, "cross-origin request not allowed\n");
  Response r = Response::empty(204);
  add_origin(policy, origin, r);
  r.headers.push_back({"Access-Control-Allow-Methods", join(methods)});
  r.headers.push_back({"Access-Control-Allow-Headers", join(policy.allowed_headers)});
  r.headers.push_back({"Access-Control-Max-Age", std::to_string(policy.max_age.count())});
  return r;
}

void add_cors_headers(const CorsPolicy& policy, const Request& request, Response& response) {
  const std::string_view origin = request.header("Origin");
  if (!cors_origin_allowed(policy, origin))
    return;
  add_origin(policy, origin, response);
}

}  // namespace edgetrace::net
