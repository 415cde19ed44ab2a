// The HTTP helpers without sockets: span names, attributes and status rules of the
// OpenTelemetry HTTP semantic conventions (docs/http/http-spans.md, stable), propagation, the
// request id and url.full redaction.
#define ET_TARGET "app"
#include "edgetrace/sdk/http.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "edgetrace/sdk/span.hpp"
#include "http_test_layer.hpp"

namespace edgetrace::sdk::http {
namespace {

using testing::SeenSpan;

constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kParentId = "00f067aa0ba902b7";
constexpr std::string_view kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

class HttpHelpersTest : public ::testing::Test {
 protected:
  void SetUp() override { layer_ = testing::install_recording_tracing(); }
  void TearDown() override { set_global_subscriber(nullptr); }

  SeenSpan only_span() {
    auto spans = layer_->spans();
    EXPECT_EQ(spans.size(), 1u);
    return spans.empty() ? SeenSpan{} : spans[0];
  }

  testing::RecordingLayer* layer_ = nullptr;
};

ServerRequest request_with(const HeaderMap& headers) {
  ServerRequest r;
  r.method = "GET";
  r.target = "/users/42?verbose=1";
  r.host = "api.example.com:8080";
  r.client_address = "10.0.0.7";
  r.client_port = 51000;
  r.local_address = "10.0.0.1";
  r.local_port = 8080;
  r.headers = &headers;
  return r;
}

TEST_F(HttpHelpersTest, ServerSpanContinuesTheCallersTraceWithTheConventionsAttributes) {
  HeaderMap in;
  in.set("traceparent", kTraceparent);
  in.set("tracestate", "vendor=abc");
  in.set("baggage", "user.id=alice");
  in.set("x-request-id", "req-123");
  in.set("User-Agent", "curl/8.0");
  HeaderMap out;
  core::SpanContext server_context;
  {
    ServerSpan server(request_with(in));
    EXPECT_EQ(server.request_id(), "req-123");
    EXPECT_EQ(server.baggage().get("user.id"), "alice");
    server.set_route("/users/{id}");
    server_context = server.context();
    server.finish(200, out);
  }
  const SeenSpan s = only_span();
  EXPECT_EQ(s.name, "GET /users/{id}");
  EXPECT_EQ(s.kind, SpanKind::kServer);
  EXPECT_EQ(s.context.trace_id.to_hex(), kTraceId);
  EXPECT_EQ(s.parent.to_hex(), kParentId);
  EXPECT_TRUE(s.parent_remote);
  EXPECT_EQ(s.status, SpanStatusCode::kUnset);
  EXPECT_EQ(s.attribute("http.request.method"), "GET");
  EXPECT_EQ(s.attribute("http.request.method_original"), "<missing>");
  EXPECT_EQ(s.attribute("url.path"), "/users/42");
  EXPECT_EQ(s.attribute("url.query"), "verbose=1");
  EXPECT_EQ(s.attribute("url.scheme"), "http");
  EXPECT_EQ(s.attribute("http.route"), "/users/{id}");
  EXPECT_EQ(s.attribute("http.response.status_code"), "200");
  EXPECT_EQ(s.attribute("server.address"), "api.example.com");
  EXPECT_EQ(s.attribute("server.port"), "8080");
  EXPECT_EQ(s.attribute("client.address"), "10.0.0.7");
  EXPECT_EQ(s.attribute("client.port"), "51000");
  EXPECT_EQ(s.attribute("network.peer.address"), "10.0.0.7");
  EXPECT_EQ(s.attribute("network.local.port"), "8080");
  EXPECT_EQ(s.attribute("network.protocol.version"), "1.1");
  EXPECT_EQ(s.attribute("user_agent.original"), "curl/8.0");
  EXPECT_EQ(s.attribute("http.request.header.x-request-id"), "[req-123]");
  EXPECT_EQ(s.attribute("error.type"), "<missing>");

  // The answer: the request id kept, this span's traceparent (and the caller's tracestate),
  // the trace id, and no baggage.
  EXPECT_EQ(out.get("x-request-id"), "req-123");
  EXPECT_EQ(out.get("traceparent"),
            "00-" + std::string(kTraceId) + "-" + s.context.span_id.to_hex() + "-01");
  EXPECT_EQ(out.get("tracestate"), "vendor=abc");
  EXPECT_EQ(out.get("x-trace-id"), std::string(kTraceId));
  EXPECT_FALSE(out.get("baggage"));
  EXPECT_EQ(server_context.span_id, s.context.span_id);
}

TEST_F(HttpHelpersTest, ServerStatusIsAnErrorFor5xxOnly) {
  for (int code : {200, 302, 404, 499, 500, 503}) {
    layer_->clear();
    HeaderMap in;
    HeaderMap out;
    {
      ServerSpan server(request_with(in));
      server.finish(code, out);
    }
    const SeenSpan s = only_span();
    EXPECT_EQ(s.attribute("http.response.status_code"), std::to_string(code));
    if (code >= 500) {
      EXPECT_EQ(s.status, SpanStatusCode::kError) << code;
      EXPECT_EQ(s.attribute("error.type"), std::to_string(code));
      // The code says why: no description.
      EXPECT_EQ(s.status_message, "");
    } else {
      EXPECT_EQ(s.status, SpanStatusCode::kUnset) << code;
      EXPECT_EQ(s.attribute("error.type"), "<missing>") << code;
    }
  }
}

TEST_F(HttpHelpersTest, ServerWithoutContextStartsATraceAndMakesUpARequestId) {
  std::set<std::string> ids;
  const std::string too_long(129, 'a');
  for (std::string_view sent :
       {std::string_view(), std::string_view("has space"), std::string_view(too_long)}) {
    layer_->clear();
    HeaderMap in;
    if (!sent.empty())
      in.set("x-request-id", sent);
    HeaderMap out;
    std::string id;
    {
      ServerSpan server(request_with(in));
      id = server.request_id();
      server.finish(200, out);
    }
    EXPECT_EQ(id.size(), 32u) << sent;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(out.get("x-request-id"), id);
    ids.insert(id);
    const SeenSpan s = only_span();
    EXPECT_FALSE(s.parent.valid());
    EXPECT_EQ(out.get("x-trace-id"), s.context.trace_id.to_hex());
    EXPECT_EQ(s.name, "GET");  // no route known: the method alone
    EXPECT_EQ(s.attribute("http.route"), "<missing>");
  }
  EXPECT_EQ(ids.size(), 3u);
}

TEST_F(HttpHelpersTest, UnknownMethodIsOtherAndNamedHttp) {
  for (std::string_view method : {"FOO", "get"}) {
    layer_->clear();
    HeaderMap in;
    ServerRequest r = request_with(in);
    r.method = method;
    r.route = "/users/{id}";
    { ServerSpan server(r); }
    const SeenSpan s = only_span();
    EXPECT_EQ(s.name, "HTTP /users/{id}");
    EXPECT_EQ(s.attribute("http.request.method"), "_OTHER");
    EXPECT_EQ(s.attribute("http.request.method_original"), std::string(method));
  }
  EXPECT_EQ(known_method("PATCH"), "PATCH");
  EXPECT_EQ(known_method("Get"), "_OTHER");
}

TEST_F(HttpHelpersTest, KnownMethodsCanBeReplaced) {
  const std::vector<std::string> webdav = split_methods(" GET, MKCOL ,,PROPFIND");
  ASSERT_EQ(webdav, (std::vector<std::string>{"GET", "MKCOL", "PROPFIND"}));
  EXPECT_EQ(known_method("MKCOL", webdav), "MKCOL");
  EXPECT_EQ(known_method("POST", webdav), "_OTHER");  // the list replaces the default one
  HeaderMap in;
  ServerRequest r = request_with(in);
  r.method = "PROPFIND";
  ServerOptions options;
  options.known_methods = webdav;
  { ServerSpan server(r, options); }
  const SeenSpan s = only_span();
  EXPECT_EQ(s.name, "PROPFIND");
  EXPECT_EQ(s.attribute("http.request.method"), "PROPFIND");
  EXPECT_EQ(s.attribute("http.request.method_original"), "<missing>");
}

TEST_F(HttpHelpersTest, ServerAddressAndPortComeFromTheHostHeaderWithSchemeDefaults) {
  struct Case {
    std::string_view host;
    std::string_view scheme;
    std::string address;
    std::string port;
  };
  for (const Case& c :
       {Case{"example.com", "http", "example.com", "80"},
        Case{"example.com", "https", "example.com", "443"},
        Case{"[::1]:9000", "http", "::1", "9000"}, Case{"[::1]", "https", "::1", "443"},
        Case{"bad:port", "http", "<missing>", "<missing>"}}) {
    layer_->clear();
    HeaderMap in;
    ServerRequest r = request_with(in);
    r.host = c.host;
    r.scheme = c.scheme;
    r.target = "http://ignored.example/a/b";  // absolute form
    { ServerSpan server(r); }
    const SeenSpan s = only_span();
    EXPECT_EQ(s.attribute("server.address"), c.address) << c.host;
    EXPECT_EQ(s.attribute("server.port"), c.port) << c.host;
    EXPECT_EQ(s.attribute("url.path"), "/a/b");
    EXPECT_EQ(s.attribute("url.query"), "<missing>");
    EXPECT_EQ(s.attribute("url.scheme"), std::string(c.scheme));
  }
}

TEST_F(HttpHelpersTest, ClientSpanIsAChildInjectsItselfAndFollowsTheClientStatusRule) {
  core::Baggage baggage = core::Baggage::parse("user.id=alice").value();
  for (int code : {200, 404, 500}) {
    layer_->clear();
    HeaderMap sent;
    {
      auto parent = ET_SPAN("handler");
      ClientRequest out;
      out.method = "GET";
      out.url = "http://user:secret@profiles.internal:8081/p/1?Signature=abc&x=1#top";
      out.protocol_version = "1.1";
      ClientOptions options;
      options.baggage = &baggage;
      ClientSpan client(out, options);
      client.inject(sent);
      client.set_response_status(code);
    }
    auto spans = layer_->spans();
    ASSERT_EQ(spans.size(), 2u);
    const SeenSpan& client = spans[0];
    const SeenSpan& parent = spans[1];
    EXPECT_EQ(client.name, "GET");
    EXPECT_EQ(client.kind, SpanKind::kClient);
    EXPECT_EQ(client.parent, parent.context.span_id);
    EXPECT_EQ(client.attribute("http.request.method"), "GET");
    EXPECT_EQ(client.attribute("url.full"),
              "http://REDACTED:REDACTED@profiles.internal:8081/p/1?Signature=REDACTED&x=1#top");
    EXPECT_EQ(client.attribute("server.address"), "profiles.internal");
    EXPECT_EQ(client.attribute("server.port"), "8081");
    EXPECT_EQ(client.attribute("network.protocol.version"), "1.1");
    EXPECT_EQ(client.attribute("http.response.status_code"), std::to_string(code));
    // A new trace: sampled, with the level-2 random flag (03).
    EXPECT_EQ(sent.get("traceparent"), "00-" + client.context.trace_id.to_hex() + "-" +
                                           client.context.span_id.to_hex() + "-03");
    EXPECT_EQ(sent.get("baggage"), "user.id=alice");
    if (code >= 400) {
      EXPECT_EQ(client.status, SpanStatusCode::kError) << code;
      EXPECT_EQ(client.attribute("error.type"), std::to_string(code));
    } else {
      EXPECT_EQ(client.status, SpanStatusCode::kUnset);
      EXPECT_EQ(client.attribute("error.type"), "<missing>");
    }
  }
}

TEST_F(HttpHelpersTest, ClientTransportFailureIsAnErrorWithItsType) {
  {
    ClientRequest out;
    out.method = "POST";
    out.url = "https://example.com/upload";
    out.resend_count = 2;
    ClientSpan client(out);
    client.fail("timeout", "no answer in 2 s");
  }
  const SeenSpan s = only_span();
  EXPECT_EQ(s.name, "POST");
  EXPECT_EQ(s.status, SpanStatusCode::kError);
  EXPECT_EQ(s.status_message, "no answer in 2 s");
  EXPECT_EQ(s.attribute("error.type"), "timeout");
  EXPECT_EQ(s.attribute("server.port"), "443");
  EXPECT_EQ(s.attribute("http.request.resend_count"), "2");
  EXPECT_EQ(s.attribute("http.response.status_code"), "<missing>");
}

TEST(HttpHelpersFilteredTest, AServerSpanFilteredOutStillCarriesTheCallersTraceOn) {
  // The helpers' own spans are off; the application's are on.
  testing::RecordingLayer* layer = testing::install_recording_tracing("trace,edgetrace::http=off");
  HeaderMap in;
  in.set("traceparent", kTraceparent);
  HeaderMap out;
  HeaderMap downstream;
  {
    ServerSpan server(request_with(in));
    EXPECT_FALSE(server.span().is_recording());
    {
      auto child = ET_SPAN("work");
      ClientRequest call;
      call.method = "GET";
      call.url = "http://127.0.0.1:1/x";
      ClientSpan client(call);
      client.inject(downstream);
    }
    server.finish(200, out);
  }
  auto spans = layer->spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "work");
  EXPECT_EQ(spans[0].context.trace_id.to_hex(), kTraceId);
  EXPECT_EQ(spans[0].parent.to_hex(), kParentId);
  // Downstream continues through the application's span; the answer names the trace but no
  // span of this server (none was recorded).
  EXPECT_EQ(downstream.get("traceparent"),
            "00-" + std::string(kTraceId) + "-" + spans[0].context.span_id.to_hex() + "-01");
  EXPECT_EQ(out.get("x-trace-id"), std::string(kTraceId));
  EXPECT_FALSE(out.get("traceparent"));
  EXPECT_TRUE(out.get("x-request-id"));
  set_global_subscriber(nullptr);
}

TEST(HttpUrlTest, SplitsAndRedactsAbsoluteUrls) {
  auto u = parse_url("HTTP://[::1]:8443/a?sig=1&AWSAccessKeyId=k&ok=2");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->redacted, "HTTP://[::1]:8443/a?sig=REDACTED&AWSAccessKeyId=REDACTED&ok=2");
  EXPECT_EQ(parse_url("https://example.com")->port, 443);
  EXPECT_EQ(parse_url("https://example.com")->redacted, "https://example.com");
  EXPECT_EQ(parse_url("ftp://example.com/x")->port, 0);
  EXPECT_FALSE(parse_url("/relative/path"));
  EXPECT_FALSE(parse_url("http://:80/"));
  EXPECT_FALSE(parse_url("http://host:99999/"));
  EXPECT_FALSE(parse_url("ht tp://host/"));
}

}  // namespace
}  // namespace edgetrace::sdk::http
