// The HTTP example service in-process: real sockets, its own /profiles endpoint as the
// downstream, spans and events captured by a recording layer.
#include "../http_service/service.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "edgetrace/core/trace_context.hpp"
#include "recording_layer.hpp"

namespace edgetrace::examples {
namespace {

using namespace std::chrono_literals;
using testing::SeenSpan;

constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kParentId = "00f067aa0ba902b7";

class HttpServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    layer_ = testing::install_recording_tracing();
    auto service = HttpService::create({});
    ASSERT_TRUE(service.ok());
    service_ = std::make_unique<HttpService>(std::move(service).value());
    server_ = HttpServer::listen("127.0.0.1", 0, [this](const Request& r, const Peer& p) {
                return service_->handle(r, p);
              }).value();
    service_->set_self_port(server_->port());
  }
  void TearDown() override {
    server_->stop();
    sdk::set_global_subscriber(nullptr);
  }

  Response get(std::string_view target, bool with_context, std::string_view request_id,
               beast_http::verb verb = beast_http::verb::get) {
    Request req{verb, std::string(target), 11};
    req.set(beast_http::field::user_agent, "examples-test/1.0");
    if (with_context)
      req.set("traceparent", "00-" + std::string(kTraceId) + "-" + std::string(kParentId) + "-01");
    if (!request_id.empty())
      req.set("x-request-id", to_beast(request_id));
    auto url = parse_url("http://127.0.0.1:" + std::to_string(server_->port()));
    auto res = send_request(std::move(req), url.value(), 10s);
    EXPECT_TRUE(res.ok()) << res.status().to_string();
    return res.ok() ? std::move(res).value() : Response{};
  }

  const SeenSpan* find(const std::vector<SeenSpan>& spans, std::string_view name) {
    for (const SeenSpan& s : spans)
      if (s.name == name)
        return &s;
    ADD_FAILURE() << "no span named " << name;
    return nullptr;
  }

  testing::RecordingLayer* layer_ = nullptr;
  std::unique_ptr<HttpService> service_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServiceTest, PropagatesContextThroughServerClientAndDownstreamSpans) {
  Response res = get("/users/42?verbose=1", true, "req-123");
  ASSERT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res["x-request-id"], "req-123");
  EXPECT_EQ(from_beast(res["x-trace-id"]), kTraceId);
  EXPECT_NE(res.body().find(R"("name":"user 42")"), std::string::npos) << res.body();

  auto spans = layer_->spans();
  ASSERT_EQ(spans.size(), 3u);
  const SeenSpan* server = find(spans, "GET /users/{id}");
  const SeenSpan* client = find(spans, "GET");
  const SeenSpan* downstream = find(spans, "GET /profiles/{id}");
  ASSERT_TRUE(server && client && downstream);

  // The response's traceparent is the server span's.
  auto tp = core::parse_traceparent(std::string(res["traceparent"]));
  ASSERT_TRUE(tp.ok()) << res["traceparent"];
  EXPECT_EQ(tp->trace_id.to_hex(), kTraceId);
  EXPECT_EQ(tp->parent_id, server->context.span_id);
  EXPECT_TRUE(tp->flags.sampled());

  // The tree: caller -> server -> client -> downstream server, all in the caller's trace.
  EXPECT_EQ(server->kind, sdk::SpanKind::kServer);
  EXPECT_EQ(server->parent.to_hex(), kParentId);
  EXPECT_TRUE(server->parent_remote);
  EXPECT_EQ(client->kind, sdk::SpanKind::kClient);
  EXPECT_EQ(client->parent, server->context.span_id);
  EXPECT_FALSE(client->parent_remote);
  EXPECT_EQ(downstream->kind, sdk::SpanKind::kServer);
  EXPECT_EQ(downstream->parent, client->context.span_id);
  EXPECT_TRUE(downstream->parent_remote);
  for (const SeenSpan* s : {server, client, downstream}) {
    EXPECT_EQ(s->context.trace_id.to_hex(), kTraceId) << s->name;
    EXPECT_EQ(s->status, sdk::SpanStatusCode::kUnset) << s->name;
  }

  const std::string port = std::to_string(server_->port());
  EXPECT_EQ(server->attribute("http.request.method"), "GET");
  EXPECT_EQ(server->attribute("url.path"), "/users/42");
  EXPECT_EQ(server->attribute("url.query"), "verbose=1");
  EXPECT_EQ(server->attribute("url.scheme"), "http");
  EXPECT_EQ(server->attribute("http.route"), "/users/{id}");
  EXPECT_EQ(server->attribute("http.response.status_code"), "200");
  EXPECT_EQ(server->attribute("server.address"), "127.0.0.1");
  EXPECT_EQ(server->attribute("server.port"), port);
  EXPECT_EQ(server->attribute("client.address"), "127.0.0.1");
  EXPECT_EQ(server->attribute("user_agent.original"), "examples-test/1.0");
  EXPECT_EQ(server->attribute("network.protocol.version"), "1.1");
  EXPECT_NE(server->attribute("http.request.header.x-request-id").find("req-123"),
            std::string::npos);
  EXPECT_EQ(client->attribute("http.request.method"), "GET");
  EXPECT_EQ(client->attribute("url.full"), "http://127.0.0.1:" + port + "/profiles/42");
  EXPECT_EQ(client->attribute("http.response.status_code"), "200");
  EXPECT_EQ(client->attribute("server.port"), port);
  EXPECT_EQ(downstream->attribute("http.route"), "/profiles/{id}");
  // The request id travels downstream too.
  EXPECT_NE(downstream->attribute("http.request.header.x-request-id").find("req-123"),
            std::string::npos);

  // Logs happened inside the spans.
  bool received_in_server = false;
  bool calling_in_client = false;
  for (const auto& e : layer_->events()) {
    if (e.message == "request received" && e.span_id == server->context.span_id) {
      received_in_server = true;
      EXPECT_EQ(e.fields.at("request.id"), "req-123");
      EXPECT_EQ(e.trace_id.to_hex(), kTraceId);
    }
    if (e.message == "calling downstream" && e.span_id == client->context.span_id)
      calling_in_client = true;
  }
  EXPECT_TRUE(received_in_server);
  EXPECT_TRUE(calling_in_client);
}

TEST_F(HttpServiceTest, DownstreamFailureIsAnErrorOnEverySpanOfThePath) {
  Response res = get("/users/0", true, "req-500");
  EXPECT_EQ(res.result_int(), 502u);
  EXPECT_EQ(res["x-request-id"], "req-500");
  auto spans = layer_->spans();
  ASSERT_EQ(spans.size(), 3u);
  const SeenSpan* server = find(spans, "GET /users/{id}");
  const SeenSpan* client = find(spans, "GET");
  const SeenSpan* downstream = find(spans, "GET /profiles/{id}");
  ASSERT_TRUE(server && client && downstream);
  EXPECT_EQ(server->status, sdk::SpanStatusCode::kError);
  EXPECT_EQ(server->attribute("http.response.status_code"), "502");
  EXPECT_EQ(server->attribute("error.type"), "502");
  EXPECT_EQ(client->status, sdk::SpanStatusCode::kError);
  EXPECT_EQ(client->attribute("http.response.status_code"), "500");
  EXPECT_EQ(downstream->status, sdk::SpanStatusCode::kError);
  EXPECT_EQ(downstream->attribute("error.type"), "500");
}

TEST_F(HttpServiceTest, MakesUpARequestIdAndStartsATraceWithoutContext) {
  Response res = get("/users/7", false, "");
  ASSERT_EQ(res.result_int(), 200u);
  const std::string id(res["x-request-id"]);
  EXPECT_EQ(id.size(), 32u);
  auto spans = layer_->spans();
  const SeenSpan* server = find(spans, "GET /users/{id}");
  ASSERT_NE(server, nullptr);
  EXPECT_FALSE(server->parent.valid());
  auto tp = core::parse_traceparent(std::string(res["traceparent"]));
  ASSERT_TRUE(tp.ok());
  EXPECT_EQ(tp->trace_id, server->context.trace_id);
  EXPECT_EQ(res["x-trace-id"], server->context.trace_id.to_hex());
  EXPECT_NE(server->attribute("http.request.header.x-request-id").find(id), std::string::npos);
}

TEST_F(HttpServiceTest, UnknownPathIs404WithoutErrorStatus) {
  Response res = get("/nope", false, "r1");
  EXPECT_EQ(res.result_int(), 404u);
  auto spans = layer_->spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "GET");  // no route: the method alone
  EXPECT_EQ(spans[0].attribute("http.route"), "<missing>");
  EXPECT_EQ(spans[0].status, sdk::SpanStatusCode::kUnset);
  EXPECT_EQ(spans[0].attribute("http.response.status_code"), "404");
  EXPECT_EQ(spans[0].attribute("error.type"), "<missing>");
  // Even an unknown path answers with the request id and the trace.
  EXPECT_EQ(res["x-request-id"], "r1");
  EXPECT_EQ(res["x-trace-id"], spans[0].context.trace_id.to_hex());
}

TEST_F(HttpServiceTest, UnreachableDownstreamIs502WithClientError) {
  auto dead = HttpServer::listen("127.0.0.1", 0, [](const Request& r, const Peer&) {
    return Response{beast_http::status::ok, r.version()};
  });
  const std::uint16_t dead_port = (*dead)->port();
  dead = core::invalid_argument("closed");
  auto service = HttpService::create(
      {.downstream = "http://127.0.0.1:" + std::to_string(dead_port), .downstream_timeout = 2s});
  ASSERT_TRUE(service.ok());
  *service_ = std::move(service).value();
  Response res = get("/users/5", true, "r2");
  EXPECT_EQ(res.result_int(), 502u);
  auto spans = layer_->spans();
  ASSERT_EQ(spans.size(), 2u);
  const SeenSpan* client = find(spans, "GET");
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->status, sdk::SpanStatusCode::kError);
  EXPECT_EQ(client->attribute("error.type"), "unavailable");
  EXPECT_EQ(client->attribute("http.response.status_code"), "<missing>");
}

// Records what the command route hands its transport.
class RecordingPublisher final : public CommandPublisher {
 public:
  core::Status publish(const CommandMessage& message) override {
    messages.push_back(message);
    return status;
  }
  std::vector<CommandMessage> messages;
  core::Status status;
};

TEST_F(HttpServiceTest, CommandRouteSendsTheProducerSpansTraceparentInTheMessage) {
  RecordingPublisher publisher;
  HttpServiceOptions options;
  options.commands = &publisher;
  *service_ = HttpService::create(std::move(options)).value();
  Response res =
      get("/devices/73696d0000000001/commands/blink", true, "c1", beast_http::verb::post);
  ASSERT_EQ(res.result_int(), 202u) << res.body();
  EXPECT_EQ(res.body(), R"({"device":"73696d0000000001","command":"blink","trace_id":")" +
                            std::string(kTraceId) + R"("})");

  auto spans = layer_->spans();
  ASSERT_EQ(spans.size(), 2u);
  const SeenSpan* server = find(spans, "POST /devices/{id}/commands/{name}");
  const SeenSpan* producer = find(spans, "publish edgetrace/{device}/commands");
  ASSERT_TRUE(server && producer);
  EXPECT_EQ(producer->kind, sdk::SpanKind::kProducer);
  EXPECT_EQ(producer->parent, server->context.span_id);
  EXPECT_EQ(producer->context.trace_id.to_hex(), kTraceId);
  EXPECT_EQ(producer->attribute("messaging.system"), "mqtt");
  EXPECT_EQ(producer->attribute("messaging.destination.name"),
            "edgetrace/73696d0000000001/commands");
  EXPECT_EQ(producer->attribute("messaging.operation.type"), "send");
  EXPECT_EQ(server->attribute("http.response.status_code"), "202");

  ASSERT_EQ(publisher.messages.size(), 1u);
  const CommandMessage& m = publisher.messages[0];
  const std::string traceparent =
      "00-" + std::string(kTraceId) + "-" + producer->context.span_id.to_hex() + "-01";
  EXPECT_EQ(m.topic, "edgetrace/73696d0000000001/commands");
  EXPECT_EQ(m.traceparent, traceparent);
  EXPECT_EQ(m.payload, "blink " + traceparent);
}

TEST_F(HttpServiceTest, CommandRouteIs503WithoutABrokerOrWhenThePublishFails) {
  Response none = get("/devices/d1/commands/blink", false, "c2", beast_http::verb::post);
  EXPECT_EQ(none.result_int(), 503u) << none.body();

  RecordingPublisher publisher;
  publisher.status = core::Status(core::StatusCode::kUnavailable, "no PUBACK");
  HttpServiceOptions options;
  options.commands = &publisher;
  *service_ = HttpService::create(std::move(options)).value();
  Response failed = get("/devices/d1/commands/blink", false, "c3", beast_http::verb::post);
  EXPECT_EQ(failed.result_int(), 503u);
  EXPECT_EQ(publisher.messages.size(), 1u);
  const auto spans = layer_->spans();
  for (const SeenSpan& s : spans) {
    if (s.kind == sdk::SpanKind::kProducer) {
      EXPECT_EQ(s.status, sdk::SpanStatusCode::kError) << s.status_message;
    }
  }

  // A GET is not a command; a bad name never reaches the transport.
  EXPECT_EQ(get("/devices/d1/commands/blink", false, "c4").result_int(), 405u);
  EXPECT_EQ(get("/devices/d1/commands/bl%20nk", false, "c5", beast_http::verb::post).result_int(),
            404u);
  EXPECT_EQ(publisher.messages.size(), 1u);
}

TEST(HttpServiceOptionsTest, RejectsANonHttpDownstream) {
  auto service = HttpService::create({.downstream = "https://example.com"});
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.status().message().find("downstream"), std::string::npos);
}

}  // namespace
}  // namespace edgetrace::examples
