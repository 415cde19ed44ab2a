#define ET_TARGET "http_service"
#include "service.hpp"

#include <array>
#include <charconv>
#include <tuple>
#include <utility>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/trace_context.hpp"
#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/semconv.hpp"
#include "edgetrace/sdk/span.hpp"

namespace edgetrace::examples {
namespace {

namespace sc = edgetrace::semconv;
using edgetrace::field;
using sdk::SpanKind;
using sdk::SpanOptions;
using sdk::SpanStatusCode;

constexpr std::string_view kRequestIdHeader = "x-request-id";
constexpr std::string_view kRequestIdAttribute = "http.request.header.x-request-id";
constexpr std::string_view kUserAgent = "edgetrace-example-http-service/0.1";

// The method as the conventions want it: one of the known methods, else "_OTHER".
std::string_view semconv_method(std::string_view method) {
  static constexpr std::array<std::string_view, 9> kKnown = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  for (std::string_view known : kKnown) {
    if (method == known)
      return known;
  }
  return sc::http::kMethodOther;
}

bool is_digits(std::string_view s) {
  if (s.empty() || s.size() > 18)
    return false;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
  }
  return true;
}

// A path segment safe to copy into a URL and a JSON string.
bool is_simple_segment(std::string_view s) {
  if (s.empty() || s.size() > 64)
    return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok)
      return false;
  }
  return true;
}

// A request id may be echoed in headers and logs: keep only short, printable ones.
bool is_acceptable_request_id(std::string_view s) {
  if (s.empty() || s.size() > 128)
    return false;
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7f)
      return false;
  }
  return true;
}

// "/users/{id}" matched against "/users/42": the id, or empty.
std::string_view match_id(std::string_view path, std::string_view prefix) {
  if (path.size() <= prefix.size() || path.substr(0, prefix.size()) != prefix)
    return {};
  std::string_view id = path.substr(prefix.size());
  return id.find('/') == std::string_view::npos ? id : std::string_view{};
}

// "/devices/{id}/commands/{name}" matched against a path: {id, name}, or empty views.
std::pair<std::string_view, std::string_view> match_command(std::string_view path) {
  constexpr std::string_view kPrefix = "/devices/";
  constexpr std::string_view kMiddle = "/commands/";
  if (!path.starts_with(kPrefix))
    return {};
  const std::string_view rest = path.substr(kPrefix.size());
  const std::size_t middle = rest.find(kMiddle);
  if (middle == std::string_view::npos || middle == 0)
    return {};
  const std::string_view device = rest.substr(0, middle);
  const std::string_view command = rest.substr(middle + kMiddle.size());
  if (device.find('/') != std::string_view::npos || command.empty() ||
      command.find('/') != std::string_view::npos)
    return {};
  return {device, command};
}

Response make_response(const Request& request, beast_http::status status, std::string body) {
  Response response{status, request.version()};
  response.set(beast_http::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

// Host header "name:port" or "[v6]:port" split; the port defaults to 80.
std::pair<std::string, std::int64_t> split_host(std::string_view host) {
  std::int64_t port = 80;
  std::string_view name = host;
  const std::size_t close = host.rfind(']');
  const std::size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
    name = host.substr(0, colon);
    std::string_view digits = host.substr(colon + 1);
    std::int64_t parsed = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
    if (ec == std::errc() && end == digits.data() + digits.size())
      port = parsed;
  }
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']')
    name = name.substr(1, name.size() - 2);
  return {std::string(name), port};
}

}  // namespace

core::Result<HttpService> HttpService::create(HttpServiceOptions options) {
  HttpService service(std::move(options));
  if (!service.options_.downstream.empty()) {
    core::Result<Url> url = parse_url(service.options_.downstream);
    if (!url)
      return url.status().with_context("downstream");
    service.downstream_ = std::move(url).value();
  }
  return service;
}

void HttpService::set_self_port(std::uint16_t port) {
  if (options_.downstream.empty()) {
    downstream_ = Url{"http", "127.0.0.1", port, "/"};
  }
}

Response HttpService::handle(const Request& request, const Peer& peer) const {
  const BeastHeaders incoming(request.base());
  const sdk::Extracted extracted = options_.propagators.extract(incoming);

  const std::string_view method = semconv_method(
      std::string_view(request.method_string().data(), request.method_string().size()));
  const std::string_view target(request.target().data(), request.target().size());
  const std::size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);

  std::string_view route;
  std::string_view id;
  std::string_view command;
  if (!(id = match_id(path, "/users/")).empty()) {
    route = "/users/{id}";
  } else if (!(id = match_id(path, "/profiles/")).empty()) {
    route = "/profiles/{id}";
  } else if (std::tie(id, command) = match_command(path); !id.empty()) {
    route = "/devices/{id}/commands/{name}";
  }

  std::string request_id = incoming.get(kRequestIdHeader).value_or("");
  if (!is_acceptable_request_id(request_id))
    request_id = core::TraceId::random().to_hex();

  SpanOptions options{.kind = SpanKind::kServer};
  if (extracted.context)
    options.remote_parent = *extracted.context;
  auto span = ET_SPAN_WITH(options, "http.server.request");
  // The conventions name a server span "<method> <route>", or "<method>" without a route.
  span.update_name(route.empty() ? std::string(method)
                                 : std::string(method) + " " + std::string(route));
  span.record(sc::http::kRequestMethod, method);
  if (method == sc::http::kMethodOther) {
    span.record(sc::http::kRequestMethodOriginal,
                std::string_view(request.method_string().data(), request.method_string().size()));
  }
  span.record(sc::url::kScheme, "http");
  span.record(sc::url::kPath, path);
  if (!query.empty())
    span.record(sc::url::kQuery, query);
  if (!route.empty())
    span.record(sc::http::kRoute, route);
  const auto host = request[beast_http::field::host];
  if (!host.empty()) {
    auto [host_name, host_port] = split_host(std::string_view(host.data(), host.size()));
    span.record(sc::server::kAddress, host_name);
    span.record(sc::server::kPort, host_port);
  }
  span.record(sc::client::kAddress, peer.address);
  span.record(sc::client::kPort, static_cast<std::int64_t>(peer.port));
  span.record(sc::network::kPeerAddress, peer.address);
  span.record(sc::network::kProtocolVersion,
              request.version() == 10 ? std::string_view("1.0") : std::string_view("1.1"));
  const auto user_agent = request[beast_http::field::user_agent];
  if (!user_agent.empty())
    span.record(sc::user_agent::kOriginal, std::string_view(user_agent.data(), user_agent.size()));
  span.record(kRequestIdAttribute, core::AttributeValue(std::vector<std::string>{request_id}));

  ET_INFO("request received", field<"http.request.method">(method), field<"url.path">(path),
          field<"request.id">(request_id));

  Response response;
  if (route == "/users/{id}" && method == "GET") {
    response = get_user(request, id, request_id, extracted.baggage);
  } else if (route == "/profiles/{id}" && method == "GET") {
    response = get_profile(request, id);
  } else if (route == "/devices/{id}/commands/{name}" && method == "POST") {
    response = post_command(request, id, command);
  } else if (!route.empty()) {
    response = make_response(request, beast_http::status::method_not_allowed,
                             R"({"error":"method not allowed"})");
  } else {
    response = make_response(request, beast_http::status::not_found, R"({"error":"not found"})");
  }

  const int status = static_cast<int>(response.result_int());
  span.record(sc::http::kResponseStatusCode, static_cast<std::int64_t>(status));
  if (status >= 500) {
    // Server spans: only 5xx are errors (a 4xx is the client's mistake).
    span.record(sc::error::kType, std::to_string(status));
    span.set_status(SpanStatusCode::kError, "HTTP " + std::to_string(status));
    ET_ERROR("request failed", field<"http.response.status_code">(status),
             field<"request.id">(request_id));
  } else {
    ET_INFO("request handled", field<"http.response.status_code">(status),
            field<"request.id">(request_id));
  }

  response.set(to_beast(kRequestIdHeader), request_id);
  if (span.is_recording()) {
    BeastHeaders outgoing(response.base());
    options_.propagators.inject(span.context(), nullptr, outgoing);
  }
  return response;
}

Response HttpService::get_user(const Request& request, std::string_view id,
                               const std::string& request_id, const core::Baggage& baggage) const {
  if (!is_simple_segment(id))
    return make_response(request, beast_http::status::not_found, R"({"error":"no such user"})");

  Url url = downstream_;
  std::string base = url.target;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  url.target = base + "/profiles/" + std::string(id);

  auto client = ET_SPAN_WITH((SpanOptions{.kind = SpanKind::kClient}), "http.client.request");
  client.update_name("GET");  // client spans are named after the method (no url template)
  client.record(sc::http::kRequestMethod, "GET");
  client.record(sc::url::kFull, url.full());
  client.record(sc::server::kAddress, url.host);
  client.record(sc::server::kPort, static_cast<std::int64_t>(url.port));
  client.record(sc::network::kProtocolVersion, "1.1");

  Request out{beast_http::verb::get, url.target, 11};
  out.set(beast_http::field::user_agent, to_beast(kUserAgent));
  out.set(to_beast(kRequestIdHeader), request_id);
  BeastHeaders carrier(out.base());
  // An unrecorded (filtered out) client span has no context: pass the current one through.
  const core::SpanContext context =
      client.is_recording() ? client.context() : sdk::Context::current().span_context();
  options_.propagators.inject(context, &baggage, carrier);

  ET_INFO("calling downstream", field<"url.full">(url.full()));
  core::Result<Response> result = send_request(std::move(out), url, options_.downstream_timeout);
  if (!result) {
    const std::string message = result.status().message();
    client.record(sc::error::kType, core::to_string(result.status().code()));
    client.set_status(SpanStatusCode::kError, message);
    ET_ERROR("downstream call failed", field<"error.message">(message));
    return make_response(request, beast_http::status::bad_gateway,
                         R"({"error":"downstream unavailable"})");
  }
  const int status = static_cast<int>(result->result_int());
  client.record(sc::http::kResponseStatusCode, static_cast<std::int64_t>(status));
  if (status >= 400) {
    // Client spans: 4xx and 5xx are both errors of the call.
    client.record(sc::error::kType, std::to_string(status));
    client.set_status(SpanStatusCode::kError, "HTTP " + std::to_string(status));
    ET_WARN("downstream answered an error", field<"http.response.status_code">(status));
    if (status == 404)
      return make_response(request, beast_http::status::not_found, R"({"error":"no such user"})");
    return make_response(request, beast_http::status::bad_gateway,
                         R"({"error":"downstream failed"})");
  }
  ET_INFO("downstream answered", field<"http.response.status_code">(status),
          field<"body.bytes">(result->body().size()));
  return make_response(request, beast_http::status::ok,
                       R"({"id":")" + std::string(id) + R"(","request_id":")" + request_id +
                           R"(","profile":)" + result->body() + "}");
}

Response HttpService::get_profile(const Request& request, std::string_view id) const {
  if (!is_digits(id)) {
    ET_WARN("bad profile id", field<"id">(id));
    return make_response(request, beast_http::status::not_found, R"({"error":"no such profile"})");
  }
  if (id == "0") {
    ET_ERROR("profile store unavailable", field<"id">(id));
    return make_response(request, beast_http::status::internal_server_error,
                         R"({"error":"profile store unavailable"})");
  }
  ET_DEBUG("profile loaded", field<"id">(id));
  return make_response(
      request, beast_http::status::ok,
      R"({"id":")" + std::string(id) + R"(","name":"user )" + std::string(id) + R"("})");
}

Response HttpService::post_command(const Request& request, std::string_view device,
                                   std::string_view command) const {
  if (!is_simple_segment(device) || !is_simple_segment(command))
    return make_response(request, beast_http::status::not_found,
                         R"({"error":"bad device id or command name"})");
  const std::string topic = options_.command_topic_prefix + "/" + std::string(device) + "/commands";
  const std::string topic_template = options_.command_topic_prefix + "/{device}/commands";

  // Messaging conventions: a PRODUCER span named "<operation> <destination template>".
  auto producer = ET_SPAN_WITH((SpanOptions{.kind = SpanKind::kProducer}), "messaging.publish");
  producer.update_name("publish " + topic_template);
  producer.record(sc::messaging::kSystem, "mqtt");
  producer.record(sc::messaging::kOperationName, "publish");
  producer.record(sc::messaging::kOperationType, "send");
  producer.record(sc::messaging::kDestinationName, topic);
  producer.record("messaging.destination.template", topic_template);
  producer.record("device.id", device);
  producer.record("command.name", command);

  // An unrecorded (filtered out) producer span has no context: pass the current one on.
  const core::SpanContext context =
      producer.is_recording() ? producer.context() : sdk::Context::current().span_context();
  CommandMessage message;
  message.topic = topic;
  if (context.valid()) {
    core::TraceParent tp;
    tp.trace_id = context.trace_id;
    tp.parent_id = context.span_id;
    tp.flags = context.flags;
    message.traceparent = core::format_traceparent(tp);
    message.tracestate = context.state.to_header();
  }
  message.payload = std::string(command) + " " + message.traceparent;
  producer.record(sc::messaging::kMessageBodySize,
                  static_cast<std::int64_t>(message.payload.size()));

  if (options_.commands == nullptr || message.traceparent.empty()) {
    producer.record(sc::error::kType, "unavailable");
    producer.set_status(SpanStatusCode::kError, "no MQTT broker configured");
    ET_WARN("command not sent: no MQTT broker configured", field<"device.id">(device));
    return make_response(request, beast_http::status::service_unavailable,
                         R"({"error":"no MQTT broker configured"})");
  }
  ET_INFO("sending command", field<"device.id">(device), field<"command.name">(command),
          field<"messaging.destination.name">(topic));
  if (const core::Status sent = options_.commands->publish(message); !sent.ok()) {
    producer.record(sc::error::kType, core::to_string(sent.code()));
    producer.set_status(SpanStatusCode::kError, sent.message());
    ET_ERROR("command not sent", field<"error.message">(sent.message()));
    return make_response(request, beast_http::status::service_unavailable,
                         R"({"error":"MQTT broker unavailable"})");
  }
  return make_response(request, beast_http::status::accepted,
                       R"({"device":")" + std::string(device) + R"(","command":")" +
                           std::string(command) + R"(","trace_id":")" + context.trace_id.to_hex() +
                           R"("})");
}

}  // namespace edgetrace::examples
