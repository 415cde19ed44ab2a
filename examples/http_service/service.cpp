#define ET_TARGET "http_service"
#include "service.hpp"

#include <tuple>
#include <utility>

#include "edgetrace/core/trace_context.hpp"
#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/http.hpp"
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
constexpr std::string_view kUserAgent = "edgetrace-example-http-service/0.1";

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
  const std::string_view target = from_beast(request.target());
  const std::string_view path = target.substr(0, target.find('?'));

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

  // The SERVER span "<method> <route>": the caller's context, the HTTP conventions, the
  // request id.
  const sdk::http::beast::Headers incoming(request.base());
  sdk::http::beast::Peer ends;
  ends.client_address = peer.address;
  ends.client_port = peer.port;
  ends.local_address = peer.local_address;
  ends.local_port = peer.local_port;
  sdk::http::ServerRequest in = sdk::http::beast::server_request(request, incoming, ends);
  in.route = route;
  sdk::http::ServerOptions server_options;
  server_options.propagators = options_.propagators;
  sdk::http::ServerSpan server(in, server_options);
  const std::string& request_id = server.request_id();

  ET_INFO("request received", field<"http.request.method">(sdk::http::known_method(in.method)),
          field<"url.path">(path), field<"request.id">(request_id));

  const beast_http::verb method = request.method();
  Response response;
  if (route == "/users/{id}" && method == beast_http::verb::get) {
    response = get_user(request, id, request_id, server.baggage());
  } else if (route == "/profiles/{id}" && method == beast_http::verb::get) {
    response = get_profile(request, id);
  } else if (route == "/devices/{id}/commands/{name}" && method == beast_http::verb::post) {
    response = post_command(request, id, command);
  } else if (!route.empty()) {
    response = make_response(request, beast_http::status::method_not_allowed,
                             R"({"error":"method not allowed"})");
  } else {
    response = make_response(request, beast_http::status::not_found, R"({"error":"not found"})");
  }

  const int status = static_cast<int>(response.result_int());
  if (status >= 500) {
    ET_ERROR("request failed", field<"http.response.status_code">(status),
             field<"request.id">(request_id));
  } else {
    ET_INFO("request handled", field<"http.response.status_code">(status),
            field<"request.id">(request_id));
  }
  // Status code and status, then x-request-id, traceparent and x-trace-id on the answer.
  sdk::http::beast::finish(server, response);
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

  Request out{beast_http::verb::get, url.target, 11};
  out.set(beast_http::field::user_agent, to_beast(kUserAgent));
  out.set(to_beast(kRequestIdHeader), request_id);
  // The CLIENT span, child of the server span, injected into the outgoing request.
  const std::string full_url = url.full();
  sdk::http::ClientOptions client_options;
  client_options.propagators = options_.propagators;
  client_options.baggage = &baggage;
  sdk::http::ClientSpan client(sdk::http::beast::client_request(out, full_url), client_options);
  sdk::http::beast::inject(client, out);

  ET_INFO("calling downstream", field<"url.full">(full_url));
  core::Result<Response> result = send_request(std::move(out), url, options_.downstream_timeout);
  if (!result) {
    const std::string message = result.status().message();
    client.fail(core::to_string(result.status().code()), message);
    ET_ERROR("downstream call failed", field<"error.message">(message));
    return make_response(request, beast_http::status::bad_gateway,
                         R"({"error":"downstream unavailable"})");
  }
  const int status = static_cast<int>(result->result_int());
  // Client spans: 4xx and 5xx are both errors of the call.
  client.set_response_status(status);
  if (status >= 400) {
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
