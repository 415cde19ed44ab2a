#define ET_TARGET "edgetrace::http"
#include "edgetrace/sdk/http.hpp"

#include <array>
#include <charconv>
#include <vector>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/sdk/semconv.hpp"

namespace edgetrace::sdk::http {
namespace {

namespace sc = edgetrace::semconv;

// The placeholder of unknown methods in span names (semconv HTTP spans, "Name").
constexpr std::string_view kUnknownMethodName = "HTTP";
// Query parameters whose values url.full must not carry (semconv url.full, note on
// "sensitive content"): pre-signed URL signatures and keys.
constexpr std::array<std::string_view, 4> kSensitiveQueryKeys = {"AWSAccessKeyId", "Signature",
                                                                 "sig", "X-Goog-Signature"};
constexpr std::string_view kRedacted = "REDACTED";

char lower_ascii(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::optional<std::uint16_t> parse_port(std::string_view digits) {
  unsigned port = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port == 0 ||
      port > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

std::uint16_t default_port(std::string_view scheme) noexcept {
  if (scheme == "http" || scheme == "ws")
    return 80;
  if (scheme == "https" || scheme == "wss")
    return 443;
  return 0;
}

struct HostPort {
  std::string_view host;
  std::optional<std::uint16_t> port;  // explicit port
  bool valid = false;
};

// "name", "name:port", "[v6]" or "[v6]:port" (a Host header or a URL's authority).
HostPort split_host_port(std::string_view authority) {
  HostPort out;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return out;
    out.host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return out;
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (out.host.empty())
    return out;
  if (has_port) {
    out.port = parse_port(port_text);
    if (!out.port)
      return out;
  }
  out.valid = true;
  return out;
}

// A request id is echoed in headers and logs: only short, printable ones are kept.
bool acceptable_request_id(std::string_view s) noexcept {
  if (s.empty() || s.size() > 128)
    return false;
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7f)
      return false;
  }
  return true;
}

std::string span_name(std::string_view method, std::string_view route) {
  std::string name(method == sc::http::kMethodOther ? kUnknownMethodName : method);
  if (!route.empty()) {
    name += ' ';
    name += route;
  }
  return name;
}

// The query with the values of sensitive keys replaced.
std::string redact_query(std::string_view query) {
  std::string out;
  out.reserve(query.size());
  while (true) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    bool sensitive = false;
    for (std::string_view k : kSensitiveQueryKeys)
      sensitive = sensitive || key == k;
    if (sensitive && eq != std::string_view::npos) {
      out.append(key);
      out += '=';
      out.append(kRedacted);
    } else {
      out.append(pair);
    }
    if (amp == std::string_view::npos)
      break;
    out += '&';
    query = query.substr(amp + 1);
  }
  return out;
}

Span start_server_span(const std::optional<core::SpanContext>& remote_parent) {
  SpanOptions options;
  options.kind = SpanKind::kServer;
  options.remote_parent = remote_parent;
  return ET_SPAN_WITH(options, "http.server.request");
}

Span start_client_span() {
  SpanOptions options;
  options.kind = SpanKind::kClient;
  return ET_SPAN_WITH(options, "http.client.request");
}

}  // namespace

std::string_view known_method(std::string_view method,
                              const std::vector<std::string>& known) noexcept {
  if (!known.empty()) {
    for (const std::string& k : known) {
      if (method == k)
        return method;
    }
    return sc::http::kMethodOther;
  }
  // RFC 9110 section 9 and RFC 5789 (PATCH), as the conventions define "known".
  static constexpr std::array<std::string_view, 9> kKnown = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (std::string_view k : kKnown) {
    if (method == k)
      return k;
  }
  return sc::http::kMethodOther;
}

std::vector<std::string> split_methods(std::string_view comma_separated) {
  std::vector<std::string> out;
  while (!comma_separated.empty()) {
    const std::size_t comma = comma_separated.find(',');
    std::string_view item = comma_separated.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    if (!item.empty())
      out.emplace_back(item);
    if (comma == std::string_view::npos)
      break;
    comma_separated.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<UrlParts> parse_url(std::string_view url) {
  const std::size_t colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0)
    return std::nullopt;
  UrlParts parts;
  for (char c : url.substr(0, colon)) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '-' || c == '.';
    if (!ok)
      return std::nullopt;
    parts.scheme += lower_ascii(c);
  }
  const std::string_view rest = url.substr(colon + 3);
  const std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  const std::string_view tail =
      end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  const std::size_t at = authority.rfind('@');
  const bool has_user_info = at != std::string_view::npos;
  if (has_user_info)
    authority = authority.substr(at + 1);
  const HostPort hp = split_host_port(authority);
  if (!hp.valid)
    return std::nullopt;
  parts.host = std::string(hp.host);
  parts.port = hp.port.value_or(default_port(parts.scheme));

  // url.full: "scheme://[REDACTED:REDACTED@]authority" then the path, the redacted query and
  // the fragment.
  parts.redacted = std::string(url.substr(0, colon + 3));
  if (has_user_info)
    parts.redacted += "REDACTED:REDACTED@";
  parts.redacted.append(authority);
  const std::size_t question = tail.find('?');
  if (question == std::string_view::npos) {
    parts.redacted.append(tail);
  } else {
    const std::size_t hash = tail.find('#', question);
    parts.redacted.append(tail.substr(0, question + 1));
    parts.redacted += redact_query(tail.substr(question + 1, hash == std::string_view::npos
                                                                 ? std::string_view::npos
                                                                 : hash - question - 1));
    if (hash != std::string_view::npos)
      parts.redacted.append(tail.substr(hash));
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// ServerSpan

ServerSpan::ServerSpan(const ServerRequest& request, const ServerOptions& options)
    : ServerSpan(request, options,
                 request.headers != nullptr ? options.propagators.extract(*request.headers)
                                            : Extracted{}) {}

ServerSpan::ServerSpan(const ServerRequest& request, const ServerOptions& options,
                       Extracted&& extracted)
    : options_(options),
      method_(known_method(request.method, options.known_methods)),
      baggage_(std::move(extracted.baggage)),
      remote_parent_(extracted.context),
      span_(start_server_span(remote_parent_)) {
  if (!options_.request_id_header.empty()) {
    if (request.headers != nullptr) {
      std::optional<std::string> id = request.headers->get(options_.request_id_header);
      if (id && acceptable_request_id(*id))
        request_id_ = std::move(*id);
    }
    if (request_id_.empty())
      request_id_ = core::TraceId::random().to_hex();
  }
  if (!span_.is_recording() && remote_parent_)
    remote_scope_.emplace(Context::from_remote(*remote_parent_));
  if (!span_.is_recording())
    return;

  span_.update_name(span_name(method_, request.route));
  span_.record(sc::http::kRequestMethod, std::string_view(method_));
  if (method_ == sc::http::kMethodOther)
    span_.record(sc::http::kRequestMethodOriginal, request.method);

  std::string_view target = request.target;
  // Absolute form ("http://host/path"): the path starts after the authority.
  if (const std::size_t scheme_end = target.find("://");
      scheme_end != std::string_view::npos && !target.starts_with('/')) {
    const std::size_t path = target.find_first_of("/?", scheme_end + 3);
    target = path == std::string_view::npos ? std::string_view("/") : target.substr(path);
  }
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  span_.record(sc::url::kPath, path.empty() ? std::string_view("/") : path);
  if (question != std::string_view::npos) {
    const std::string_view query = target.substr(question + 1);
    const std::size_t hash = query.find('#');
    span_.record(sc::url::kQuery, query.substr(0, hash));
  }
  span_.record(sc::url::kScheme, request.scheme);
  if (!request.route.empty())
    span_.record(sc::http::kRoute, request.route);
  if (!request.host.empty()) {
    const HostPort hp = split_host_port(request.host);
    if (hp.valid) {
      span_.record(sc::server::kAddress, hp.host);
      const std::uint16_t port = hp.port.value_or(default_port(request.scheme));
      if (port != 0)
        span_.record(sc::server::kPort, static_cast<std::int64_t>(port));
    }
  }
  if (!request.client_address.empty()) {
    span_.record(sc::client::kAddress, request.client_address);
    span_.record(sc::network::kPeerAddress, request.client_address);
  }
  if (request.client_port != 0) {
    span_.record(sc::client::kPort, static_cast<std::int64_t>(request.client_port));
    span_.record(sc::network::kPeerPort, static_cast<std::int64_t>(request.client_port));
  }
  if (!request.local_address.empty())
    span_.record(sc::network::kLocalAddress, request.local_address);
  if (request.local_port != 0)
    span_.record(sc::network::kLocalPort, static_cast<std::int64_t>(request.local_port));
  if (!request.protocol_version.empty())
    span_.record(sc::network::kProtocolVersion, request.protocol_version);
  if (request.headers != nullptr) {
    if (std::optional<std::string> agent = request.headers->get("user-agent"))
      span_.record(sc::user_agent::kOriginal, std::string_view(*agent));
  }
  if (!request_id_.empty()) {
    std::string name(sc::http::kRequestHeaderPrefix);
    for (char c : options_.request_id_header)
      name += lower_ascii(c);
    span_.record(name, core::AttributeValue(std::vector<std::string>{request_id_}));
  }
}

ServerSpan::~ServerSpan() {
  end();
}

void ServerSpan::set_route(std::string_view route) {
  if (route.empty())
    return;
  span_.update_name(span_name(method_, route));
  span_.record(sc::http::kRoute, route);
}

void ServerSpan::set_response_status(int status_code) {
  span_.record(sc::http::kResponseStatusCode, static_cast<std::int64_t>(status_code));
  // Server spans: 5xx is an error; a 4xx is the client's mistake and leaves the status unset.
  if (status_code >= 500 || status_code < 100) {
    span_.record(sc::error::kType, std::to_string(status_code));
    span_.set_status(SpanStatusCode::kError);
  }
}

void ServerSpan::write_response_headers(HeaderCarrier& response_headers) const {
  if (!options_.request_id_header.empty())
    response_headers.set(options_.request_id_header, request_id_);
  if (span_.is_recording()) {
    // The answer names this span, not the caller's: no baggage goes back.
    options_.propagators.inject(span_.context(), nullptr, response_headers);
  }
  const core::SpanContext ctx = context();
  if (!options_.trace_id_header.empty() && ctx.trace_id.valid())
    response_headers.set(options_.trace_id_header, ctx.trace_id.to_hex());
}

void ServerSpan::finish(int status_code, HeaderCarrier& response_headers) {
  set_response_status(status_code);
  write_response_headers(response_headers);
  end();
}

void ServerSpan::fail(std::string_view error_type, std::string_view message) {
  span_.record(sc::error::kType, error_type);
  span_.set_status(SpanStatusCode::kError, message);
}

void ServerSpan::end() {
  remote_scope_.reset();
  span_.end();
}

core::SpanContext ServerSpan::context() const {
  if (span_.is_recording())
    return span_.context();
  return remote_parent_.value_or(core::SpanContext{});
}

// ---------------------------------------------------------------------------------------------
// ClientSpan

ClientSpan::ClientSpan(const ClientRequest& request, const ClientOptions& options)
    : options_(options), span_(start_client_span()) {
  if (!span_.is_recording())
    return;
  const std::string method(known_method(request.method, options_.known_methods));
  // No url.template is known: client spans are named after the method alone.
  span_.update_name(span_name(method, {}));
  span_.record(sc::http::kRequestMethod, std::string_view(method));
  if (method == sc::http::kMethodOther)
    span_.record(sc::http::kRequestMethodOriginal, request.method);
  if (std::optional<UrlParts> url = parse_url(request.url)) {
    span_.record(sc::url::kFull, std::string_view(url->redacted));
    span_.record(sc::server::kAddress, std::string_view(url->host));
    if (url->port != 0)
      span_.record(sc::server::kPort, static_cast<std::int64_t>(url->port));
  }
  if (!request.protocol_version.empty())
    span_.record(sc::network::kProtocolVersion, request.protocol_version);
  if (request.resend_count > 0)
    span_.record(sc::http::kRequestResendCount, static_cast<std::int64_t>(request.resend_count));
}

ClientSpan::~ClientSpan() {
  end();
}

void ClientSpan::inject(HeaderCarrier& request_headers) const {
  options_.propagators.inject(context(), options_.baggage, request_headers);
}

void ClientSpan::set_response_status(int status_code) {
  span_.record(sc::http::kResponseStatusCode, static_cast<std::int64_t>(status_code));
  // Client spans: 4xx and 5xx are both errors of the call.
  if (status_code >= 400 || status_code < 100) {
    span_.record(sc::error::kType, std::to_string(status_code));
    span_.set_status(SpanStatusCode::kError);
  }
}

void ClientSpan::fail(std::string_view error_type, std::string_view message) {
  span_.record(sc::error::kType, error_type);
  span_.set_status(SpanStatusCode::kError, message);
}

void ClientSpan::end() {
  span_.end();
}

core::SpanContext ClientSpan::context() const {
  // An unrecorded (filtered out) client span has no context: pass the current one through.
  return span_.is_recording() ? span_.context() : Context::current().span_context();
}

}  // namespace edgetrace::sdk::http
