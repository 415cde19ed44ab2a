#define ET_TARGET "w3c_conformance"
#include "conformance.hpp"

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/semconv.hpp"
#include "edgetrace/sdk/span.hpp"

namespace edgetrace::examples {
namespace {

namespace sc = edgetrace::semconv;
namespace ondemand = simdjson::ondemand;
using edgetrace::field;
using sdk::SpanKind;
using sdk::SpanOptions;
using sdk::SpanStatusCode;

struct Call {
  Url url;
  std::string body;  // the "arguments" JSON text, byte for byte
};

// The exact JSON text of a value (arrays and objects as written, scalars as their token).
simdjson::error_code raw_value(ondemand::value& value, std::string_view& out) {
  ondemand::json_type type;
  if (auto error = value.type().get(type))
    return error;
  if (type == ondemand::json_type::array) {
    ondemand::array array;
    if (auto error = value.get_array().get(array))
      return error;
    return array.raw_json().get(out);
  }
  if (type == ondemand::json_type::object) {
    ondemand::object object;
    if (auto error = value.get_object().get(object))
      return error;
    return object.raw_json().get(out);
  }
  out = value.raw_json_token();
  while (!out.empty() &&
         (out.back() == ' ' || out.back() == '\t' || out.back() == '\n' || out.back() == '\r'))
    out.remove_suffix(1);
  return simdjson::SUCCESS;
}

core::Result<std::vector<Call>> parse_calls(const std::string& body, std::size_t max_calls) {
  const simdjson::padded_string json(body);
  ondemand::parser parser;
  ondemand::document doc;
  auto fail = [](std::string_view what, simdjson::error_code error) {
    return core::invalid_argument(std::string(what) + ": " + simdjson::error_message(error));
  };
  if (auto error = parser.iterate(json).get(doc))
    return fail("body is not JSON", error);
  ondemand::array array;
  if (auto error = doc.get_array().get(array))
    return fail("body is not a JSON array", error);
  std::vector<Call> calls;
  std::size_t index = 0;
  for (auto element : array) {
    const std::string where = "element " + std::to_string(index++);
    if (calls.size() == max_calls)
      return core::invalid_argument("more than " + std::to_string(max_calls) + " elements");
    ondemand::object object;
    if (auto error = element.get_object().get(object))
      return fail(where + " is not an object", error);
    std::string_view url_text;
    std::string_view arguments;
    bool have_url = false;
    bool have_arguments = false;
    for (auto member : object) {
      std::string_view key;
      if (auto error = member.unescaped_key().get(key))
        return fail(where, error);
      if (key == "url") {
        if (auto error = member.value().get_string().get(url_text))
          return fail(where + ": \"url\" is not a string", error);
        have_url = true;
      } else if (key == "arguments") {
        ondemand::value value;
        if (auto error = member.value().get(value))
          return fail(where, error);
        if (auto error = raw_value(value, arguments))
          return fail(where + ": \"arguments\"", error);
        have_arguments = true;
      }
    }
    if (!have_url)
      return core::invalid_argument(where + " has no \"url\"");
    core::Result<Url> url = parse_url(url_text);
    if (!url)
      return url.status().with_context(where);
    calls.push_back(
        Call{std::move(url).value(), have_arguments ? std::string(arguments) : std::string("[]")});
  }
  // current_location() fails with OUT_OF_BOUNDS once the whole input has been consumed.
  if (doc.current_location().error() == simdjson::SUCCESS)
    return core::invalid_argument("trailing content after the array");
  return calls;
}

Response make_response(const Request& request, beast_http::status status, std::string body) {
  Response response{status, request.version()};
  response.set(beast_http::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

}  // namespace

Response ConformanceService::handle(const Request& request, const Peer& peer) const {
  const std::string_view target(request.target().data(), request.target().size());
  if (target.substr(0, target.find('?')) != "/test")
    return make_response(request, beast_http::status::not_found, R"({"error":"not found"})");
  if (request.method() != beast_http::verb::post) {
    return make_response(request, beast_http::status::method_not_allowed,
                         R"({"error":"use POST /test"})");
  }
  counters_.requests.fetch_add(1, std::memory_order_relaxed);

  const BeastHeaders incoming(request.base());
  const sdk::Extracted extracted = options_.propagators.extract(incoming);
  SpanOptions options{.kind = SpanKind::kServer};
  if (extracted.context)
    options.remote_parent = *extracted.context;
  auto server = ET_SPAN_WITH(options, "POST /test");
  server.record(sc::http::kRequestMethod, "POST");
  server.record(sc::http::kRoute, "/test");
  server.record(sc::url::kPath, "/test");
  server.record(sc::url::kScheme, "http");
  server.record(sc::client::kAddress, peer.address);
  server.record(sc::network::kProtocolVersion, request.version() == 10 ? "1.0" : "1.1");

  core::Result<std::vector<Call>> calls = parse_calls(request.body(), options_.max_calls);
  if (!calls) {
    counters_.bad_requests.fetch_add(1, std::memory_order_relaxed);
    ET_WARN("bad test request", field<"error.message">(calls.status().message()));
    server.record(sc::http::kResponseStatusCode, std::int64_t{400});
    std::string message = calls.status().message();
    std::string escaped;
    for (char c : message) {
      if (c == '"' || c == '\\')
        escaped += '\\';
      if (static_cast<unsigned char>(c) >= 0x20)
        escaped += c;
    }
    return make_response(request, beast_http::status::bad_request,
                         R"({"error":")" + escaped + R"("})");
  }
  ET_INFO("test request", field<"calls">(calls->size()),
          field<"traceparent.valid">(extracted.context.has_value()));

  std::string statuses = "[";
  for (Call& call : *calls) {
    auto client = ET_SPAN_WITH((SpanOptions{.kind = SpanKind::kClient}), "POST");
    client.record(sc::http::kRequestMethod, "POST");
    client.record(sc::url::kFull, call.url.full());
    client.record(sc::server::kAddress, call.url.host);
    client.record(sc::server::kPort, static_cast<std::int64_t>(call.url.port));

    Request out{beast_http::verb::post, call.url.target, 11};
    out.set(beast_http::field::content_type, "application/json");
    out.body() = std::move(call.body);
    BeastHeaders carrier(out.base());
    // The context a real outgoing call carries: the client span's; without recording spans,
    // the incoming one unchanged (what a no-op tracer propagates).
    core::SpanContext context = client.context();
    if (!context.valid())
      context = sdk::Context::current().span_context();
    if (!context.valid() && extracted.context)
      context = *extracted.context;
    options_.propagators.inject(context, &extracted.baggage, carrier);

    counters_.calls.fetch_add(1, std::memory_order_relaxed);
    core::Result<Response> result = send_request(std::move(out), call.url, options_.call_timeout);
    if (statuses.size() > 1)
      statuses += ',';
    if (!result) {
      counters_.failed_calls.fetch_add(1, std::memory_order_relaxed);
      client.record(sc::error::kType, core::to_string(result.status().code()));
      client.set_status(SpanStatusCode::kError, result.status().message());
      ET_WARN("call failed", field<"error.message">(result.status().message()));
      statuses += '0';
      continue;
    }
    const int status = static_cast<int>(result->result_int());
    client.record(sc::http::kResponseStatusCode, static_cast<std::int64_t>(status));
    if (status >= 400) {
      client.record(sc::error::kType, std::to_string(status));
      client.set_status(SpanStatusCode::kError, "HTTP " + std::to_string(status));
    }
    statuses += std::to_string(status);
  }
  statuses += ']';
  server.record(sc::http::kResponseStatusCode, std::int64_t{200});
  return make_response(request, beast_http::status::ok, std::move(statuses));
}

}  // namespace edgetrace::examples
