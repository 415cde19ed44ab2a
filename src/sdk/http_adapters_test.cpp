// The HTTP adapters end to end over real sockets on 127.0.0.1: each server adapter
// (Boost.Beast, cpp-httplib) answers each client adapter (Boost.Beast, cpp-httplib, libcurl).
// Checked on the recorded spans and the headers that crossed the wire: the client span is the
// parent of the server span, traceparent/tracestate/baggage travel, x-request-id is kept or
// made up, the answer carries traceparent and x-trace-id, and the status rules hold for 200,
// 404 and 500.
#define ET_TARGET "app"
// Boost 1.74's Asio uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
// clang-format on
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cctype>
#include <charconv>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <tuple>

#include "edgetrace/sdk/http.hpp"
#include "edgetrace/sdk/http/beast.hpp"
#include "edgetrace/sdk/http/curl.hpp"
#include "edgetrace/sdk/http/httplib.hpp"
#include "http_test_layer.hpp"
#include "testing/wait.hpp"

namespace edgetrace::sdk::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using testing::SeenSpan;

constexpr std::string_view kRoute = "/status/{code}";

// Sockets in these tests never wait longer than this for a peer.
void set_socket_timeouts(int fd) {
  timeval tv{};
  tv.tv_sec = 10;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// "/status/404" -> 404; anything else 400.
int code_of(std::string_view path) {
  constexpr std::string_view kPrefix = "/status/";
  int code = 400;
  if (path.starts_with(kPrefix)) {
    const std::string_view digits = path.substr(kPrefix.size(), 3);
    std::from_chars(digits.data(), digits.data() + digits.size(), code);
  }
  return code;
}

// What every test server's handler does inside its span: records the baggage it received.
void record_baggage(ServerSpan& span) {
  if (auto tenant = span.baggage().get("tenant"))
    span.span().record("app.tenant", *tenant);
}

// ---------------------------------------------------------------------------------------------
// Servers

class TestServer {
 public:
  virtual ~TestServer() = default;
  virtual std::uint16_t port() const = 0;
};

// One request per connection, on one thread, with blocking Beast calls.
class BeastServer final : public TestServer {
 public:
  BeastServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { run(); });
  }
  ~BeastServer() override {
    stopping_ = true;
    // Wake the blocking accept() with one last connection.
    boost::system::error_code ec;
    tcp::socket waker(io_);
    waker.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }
  std::uint16_t port() const override { return port_; }

 private:
  void run() {
    while (!stopping_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_)
        continue;
      set_socket_timeouts(socket.native_handle());
      serve(socket);
    }
  }

  static void serve(tcp::socket& socket) {
    boost::beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> request;
    boost::system::error_code ec;
    bhttp::read(socket, buffer, request, ec);
    if (ec)
      return;
    const std::string client = socket.remote_endpoint(ec).address().to_string();
    const std::string local = socket.local_endpoint(ec).address().to_string();
    beast::Peer peer;
    peer.client_address = client;
    peer.client_port = socket.remote_endpoint(ec).port();
    peer.local_address = local;
    peer.local_port = socket.local_endpoint(ec).port();

    const beast::Headers in(request.base());
    ServerSpan span(beast::server_request(request, in, peer));
    span.set_route(kRoute);
    record_baggage(span);
    const std::string_view target = beast::from_beast(request.target());
    bhttp::response<bhttp::string_body> response{
        static_cast<bhttp::status>(code_of(target.substr(0, target.find('?')))), request.version()};
    response.body() = "answered";
    response.keep_alive(false);
    response.prepare_payload();
    beast::finish(span, response);
    bhttp::write(socket, response, ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

class HttplibServer final : public TestServer {
 public:
  HttplibServer() {
    server_.set_read_timeout(10, 0);
    server_.set_write_timeout(10, 0);
    server_.Get(R"(/status/(\d+))",
                httplib_adapter::traced(std::string(kRoute),
                                        [](const ::httplib::Request& request,
                                           ::httplib::Response& response, ServerSpan& span) {
                                          record_baggage(span);
                                          // The helper's span is the current one: the handler's own
                                          // spans nest in it.
                                          auto work = ET_SPAN("load");
                                          response.status = code_of(request.path);
                                          response.set_content("answered", "text/plain");
                                        }));
    port_ = static_cast<std::uint16_t>(server_.bind_to_any_port("127.0.0.1"));
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    EXPECT_TRUE(edgetrace::testing::wait_until([this] { return server_.is_running(); }));
  }
  ~HttplibServer() override {
    server_.stop();
    thread_.join();
  }
  std::uint16_t port() const override { return port_; }

 private:
  ::httplib::Server server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// Clients

struct Answer {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "<missing>" : it->second;
  }
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Call {
  std::uint16_t port = 0;
  std::string path;
  std::string request_id;  // empty: none sent
  const core::Baggage* baggage = nullptr;
};

std::string url_of(const Call& call) {
  return "http://127.0.0.1:" + std::to_string(call.port) + call.path;
}

Answer call_with_beast(const Call& call) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), call.port));
  set_socket_timeouts(socket.native_handle());
  bhttp::request<bhttp::string_body> request{bhttp::verb::get, call.path, 11};
  request.set(bhttp::field::host, "127.0.0.1:" + std::to_string(call.port));
  request.set(bhttp::field::user_agent, "beast-client/1.0");
  if (!call.request_id.empty())
    request.set("x-request-id", beast::to_beast(call.request_id));
  const std::string url = url_of(call);
  ClientOptions options;
  options.baggage = call.baggage;
  ClientSpan span(beast::client_request(request, url), options);
  beast::inject(span, request);
  bhttp::write(socket, request);
  boost::beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> response;
  bhttp::read(socket, buffer, response);
  beast::finish(span, response);
  Answer answer;
  answer.status = static_cast<int>(response.result_int());
  for (const auto& field : response)
    answer.headers[lower(beast::from_beast(field.name_string()))] =
        std::string(beast::from_beast(field.value()));
  return answer;
}

Answer call_with_httplib(const Call& call) {
  ::httplib::Client client("127.0.0.1", call.port);
  client.set_read_timeout(10, 0);
  ::httplib::Headers headers;
  headers.emplace("User-Agent", "httplib-client/1.0");
  if (!call.request_id.empty())
    headers.emplace("x-request-id", call.request_id);
  std::string url;
  ClientOptions options;
  options.baggage = call.baggage;
  ClientSpan span(httplib_adapter::client_request(
                      "GET", "http://127.0.0.1:" + std::to_string(call.port), call.path, url),
                  options);
  httplib_adapter::inject(span, headers);
  ::httplib::Result result = client.Get(call.path.c_str(), headers);
  httplib_adapter::finish(span, result);
  Answer answer;
  if (!result)
    return answer;
  answer.status = result->status;
  for (const auto& [name, value] : result->headers)
    answer.headers[lower(name)] = value;
  return answer;
}

std::size_t collect_body(char*, std::size_t size, std::size_t n, void*) {
  return size * n;
}

std::size_t collect_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* answer = static_cast<Answer*>(user);
  std::string_view line(data, size * n);
  const std::size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' '))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n'))
      value.remove_suffix(1);
    answer->headers[lower(line.substr(0, colon))] = std::string(value);
  }
  return size * n;
}

Answer call_with_curl(const Call& call, CURLcode* rc_out = nullptr) {
  CURL* easy = curl_easy_init();
  Answer answer;
  curl_easy_setopt(easy, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "curl-client/1.0");
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &answer);
  curl_slist* mine = nullptr;
  if (!call.request_id.empty())
    mine = curl_slist_append(mine, ("x-request-id: " + call.request_id).c_str());
  const std::string url = url_of(call);
  curl::Request request;
  request.method = "GET";
  request.url = url;
  request.headers = mine;
  request.options.baggage = call.baggage;
  const CURLcode rc = curl::perform(easy, request);
  if (rc_out != nullptr)
    *rc_out = rc;
  long status = 0;
  if (rc == CURLE_OK)
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  answer.status = static_cast<int>(status);
  curl_easy_cleanup(easy);
  curl_slist_free_all(mine);
  return answer;
}

// ---------------------------------------------------------------------------------------------

enum class ServerKind { kBeast, kHttplib };
enum class ClientKind { kBeast, kHttplib, kCurl };

// Readable parameters in test listings.
void PrintTo(ServerKind kind, std::ostream* os) {
  *os << (kind == ServerKind::kBeast ? "beast server" : "httplib server");
}
void PrintTo(ClientKind kind, std::ostream* os) {
  *os << (kind == ClientKind::kBeast     ? "beast client"
          : kind == ClientKind::kHttplib ? "httplib client"
                                         : "curl client");
}

std::unique_ptr<TestServer> make_server(ServerKind kind) {
  if (kind == ServerKind::kBeast)
    return std::make_unique<BeastServer>();
  return std::make_unique<HttplibServer>();
}

Answer send(ClientKind kind, const Call& call) {
  switch (kind) {
    case ClientKind::kBeast:
      return call_with_beast(call);
    case ClientKind::kHttplib:
      return call_with_httplib(call);
    case ClientKind::kCurl:
      return call_with_curl(call);
  }
  return {};
}

const SeenSpan* find_kind(const std::vector<SeenSpan>& spans, SpanKind kind) {
  for (const SeenSpan& s : spans) {
    if (s.kind == kind)
      return &s;
  }
  return nullptr;
}

class HttpAdaptersTest : public ::testing::TestWithParam<std::tuple<ServerKind, ClientKind>> {
 protected:
  void SetUp() override { layer_ = testing::install_recording_tracing(); }
  void TearDown() override { set_global_subscriber(nullptr); }
  testing::RecordingLayer* layer_ = nullptr;
};

TEST_P(HttpAdaptersTest, ClientSpanParentsServerSpanAcrossTheSocketWithStatusRules) {
  const auto [server_kind, client_kind] = GetParam();
  std::unique_ptr<TestServer> server = make_server(server_kind);
  const std::string port = std::to_string(server->port());
  const core::Baggage baggage = core::Baggage::parse("tenant=t1").value();
  // The caller continues a trace that carries a tracestate: it must reach the server and come
  // back in its answer.
  core::SpanContext caller;
  caller.trace_id = core::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").value();
  caller.span_id = core::SpanId::from_hex("00f067aa0ba902b7").value();
  caller.flags = core::TraceFlags(0x01);
  caller.state = core::TraceState::parse("vendor=abc").value();
  caller.remote = true;

  for (int code : {200, 404, 500}) {
    SCOPED_TRACE(code);
    layer_->clear();
    Call call;
    call.port = server->port();
    call.path = "/status/" + std::to_string(code) + "?q=1";
    call.request_id = code == 404 ? "" : "req-" + std::to_string(code);
    call.baggage = &baggage;
    Answer answer;
    {
      auto scope = Context::from_remote(caller).attach();
      answer = send(client_kind, call);
    }
    ASSERT_EQ(answer.status, code);
    const std::size_t expected_spans = server_kind == ServerKind::kHttplib ? 3 : 2;
    ASSERT_TRUE(edgetrace::testing::wait_until([&] { return layer_->size() >= expected_spans; }));
    const auto spans = layer_->spans();
    const SeenSpan* s = find_kind(spans, SpanKind::kServer);
    const SeenSpan* c = find_kind(spans, SpanKind::kClient);
    ASSERT_TRUE(s && c);

    // One trace: caller -> client span -> (socket) -> server span.
    EXPECT_EQ(c->context.trace_id, caller.trace_id);
    EXPECT_EQ(c->parent, caller.span_id);
    EXPECT_EQ(s->context.trace_id, caller.trace_id);
    EXPECT_EQ(s->parent, c->context.span_id);
    EXPECT_TRUE(s->parent_remote);
    if (server_kind == ServerKind::kHttplib) {
      // The handler's own span nests inside the helper's server span.
      bool nested = false;
      for (const SeenSpan& x : spans)
        nested = nested || (x.name == "load" && x.parent == s->context.span_id);
      EXPECT_TRUE(nested);
    }

    // The answer's headers.
    EXPECT_EQ(answer.header("traceparent"),
              "00-" + caller.trace_id.to_hex() + "-" + s->context.span_id.to_hex() + "-01");
    EXPECT_EQ(answer.header("tracestate"), "vendor=abc");
    EXPECT_EQ(answer.header("x-trace-id"), caller.trace_id.to_hex());
    const std::string request_id = answer.header("x-request-id");
    if (call.request_id.empty()) {
      EXPECT_EQ(request_id.size(), 32u) << request_id;
    } else {
      EXPECT_EQ(request_id, call.request_id);
    }
    EXPECT_EQ(s->attribute("http.request.header.x-request-id"), "[" + request_id + "]");
    EXPECT_EQ(s->attribute("app.tenant"), "t1");  // baggage crossed the socket

    // The server span.
    EXPECT_EQ(s->name, "GET /status/{code}");
    EXPECT_EQ(s->attribute("http.request.method"), "GET");
    EXPECT_EQ(s->attribute("http.route"), "/status/{code}");
    EXPECT_EQ(s->attribute("url.path"), "/status/" + std::to_string(code));
    EXPECT_EQ(s->attribute("url.query"), "q=1");
    EXPECT_EQ(s->attribute("url.scheme"), "http");
    EXPECT_EQ(s->attribute("server.address"), "127.0.0.1");
    EXPECT_EQ(s->attribute("server.port"), port);
    EXPECT_EQ(s->attribute("client.address"), "127.0.0.1");
    EXPECT_NE(s->attribute("client.port"), "<missing>");
    EXPECT_EQ(s->attribute("network.protocol.version"), "1.1");
    EXPECT_NE(s->attribute("user_agent.original"), "<missing>");
    EXPECT_EQ(s->attribute("http.response.status_code"), std::to_string(code));
    EXPECT_EQ(s->status, code >= 500 ? SpanStatusCode::kError : SpanStatusCode::kUnset);
    EXPECT_EQ(s->attribute("error.type"), code >= 500 ? std::to_string(code) : "<missing>");

    // The client span.
    EXPECT_EQ(c->name, "GET");
    EXPECT_EQ(c->attribute("http.request.method"), "GET");
    EXPECT_EQ(c->attribute("url.full"), "http://127.0.0.1:" + port + call.path);
    EXPECT_EQ(c->attribute("server.address"), "127.0.0.1");
    EXPECT_EQ(c->attribute("server.port"), port);
    EXPECT_EQ(c->attribute("http.response.status_code"), std::to_string(code));
    EXPECT_EQ(c->status, code >= 400 ? SpanStatusCode::kError : SpanStatusCode::kUnset);
    EXPECT_EQ(c->attribute("error.type"), code >= 400 ? std::to_string(code) : "<missing>");
    if (client_kind == ClientKind::kCurl) {
      EXPECT_EQ(c->attribute("network.peer.address"), "127.0.0.1");
      EXPECT_EQ(c->attribute("network.peer.port"), port);
      EXPECT_EQ(c->attribute("network.protocol.version"), "1.1");
    }
  }
}

std::string param_name(const ::testing::TestParamInfo<std::tuple<ServerKind, ClientKind>>& info) {
  const char* servers[] = {"BeastServer", "HttplibServer"};
  const char* clients[] = {"BeastClient", "HttplibClient", "CurlClient"};
  return std::string(servers[static_cast<int>(std::get<0>(info.param))]) +
         clients[static_cast<int>(std::get<1>(info.param))];
}

INSTANTIATE_TEST_SUITE_P(
    EveryPair, HttpAdaptersTest,
    ::testing::Combine(::testing::Values(ServerKind::kBeast, ServerKind::kHttplib),
                       ::testing::Values(ClientKind::kBeast, ClientKind::kHttplib,
                                         ClientKind::kCurl)),
    param_name);

TEST(HttplibInstrumentTest, TracesEveryRequestOnceWithRoutesFromTracedHandlers) {
  testing::RecordingLayer* layer = testing::install_recording_tracing();
  ::httplib::Server server;
  httplib_adapter::instrument(server);
  server.Get(R"(/status/(\d+))",
             httplib_adapter::traced(std::string(kRoute), [](const ::httplib::Request& request,
                                                             ::httplib::Response& response) {
               response.status = code_of(request.path);
             }));
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  ASSERT_TRUE(edgetrace::testing::wait_until([&] { return server.is_running(); }));

  Call call;
  call.port = static_cast<std::uint16_t>(port);
  call.path = "/status/200";
  call.request_id = "kept";
  const Answer routed = call_with_httplib(call);
  call.path = "/no/such/route";
  call.request_id.clear();
  const Answer unrouted = call_with_httplib(call);
  server.stop();
  thread.join();

  EXPECT_EQ(routed.status, 200);
  EXPECT_EQ(routed.header("x-request-id"), "kept");
  EXPECT_EQ(unrouted.status, 404);
  EXPECT_EQ(unrouted.header("x-request-id").size(), 32u);
  const auto spans = layer->spans();
  ASSERT_EQ(spans.size(), 4u);  // server and client span of each request, none twice
  std::vector<const SeenSpan*> servers;
  for (const SeenSpan& s : spans) {
    if (s.kind == SpanKind::kServer)
      servers.push_back(&s);
  }
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0]->name, "GET /status/{code}");
  EXPECT_EQ(servers[0]->attribute("http.route"), "/status/{code}");
  EXPECT_EQ(servers[0]->attribute("http.response.status_code"), "200");
  EXPECT_EQ(servers[1]->name, "GET");  // no route matched: the method alone
  EXPECT_EQ(servers[1]->attribute("url.path"), "/no/such/route");
  EXPECT_EQ(servers[1]->attribute("http.response.status_code"), "404");
  EXPECT_EQ(servers[1]->status, SpanStatusCode::kUnset);
  EXPECT_EQ(unrouted.header("x-trace-id"), servers[1]->context.trace_id.to_hex());
  EXPECT_EQ(unrouted.header("traceparent"), "00-" + servers[1]->context.trace_id.to_hex() + "-" +
                                                servers[1]->context.span_id.to_hex() + "-03");
  set_global_subscriber(nullptr);
}

// A port nobody listens on: bound, then closed.
std::uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

TEST(HttpAdapterFailuresTest, TransportFailuresAreClientErrorsWithATypeAndNoStatusCode) {
  testing::RecordingLayer* layer = testing::install_recording_tracing();
  Call call;
  call.port = closed_port();
  call.path = "/status/200";

  CURLcode rc = CURLE_OK;
  const Answer curl_answer = call_with_curl(call, &rc);
  EXPECT_EQ(rc, CURLE_COULDNT_CONNECT);
  EXPECT_EQ(curl_answer.status, 0);
  const Answer httplib_answer = call_with_httplib(call);
  EXPECT_EQ(httplib_answer.status, 0);

  const auto spans = layer->spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].attribute("error.type"), "connection_refused");
  EXPECT_EQ(spans[1].attribute("error.type"), "connection_error");
  for (const SeenSpan& s : spans) {
    EXPECT_EQ(s.kind, SpanKind::kClient);
    EXPECT_EQ(s.status, SpanStatusCode::kError);
    EXPECT_FALSE(s.status_message.empty());
    EXPECT_EQ(s.attribute("http.response.status_code"), "<missing>");
  }
  set_global_subscriber(nullptr);
}

// The caller's header list is back on the handle after perform(): a second transfer with the
// same handle sends the caller's headers and one traceparent, not an accumulation.
TEST(HttpAdapterFailuresTest, CurlPerformRestoresTheCallersHeaderList) {
  testing::RecordingLayer* layer = testing::install_recording_tracing();
  std::map<std::string, int> traceparents_seen;
  ::httplib::Server server;
  server.Get("/echo", [&](const ::httplib::Request& request, ::httplib::Response& response) {
    traceparents_seen[request.get_header_value("traceparent")] +=
        static_cast<int>(request.get_header_value_count("traceparent"));
    response.set_content(request.get_header_value("x-mine"), "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { server.listen_after_bind(); });
  ASSERT_TRUE(edgetrace::testing::wait_until([&] { return server.is_running(); }));

  CURL* easy = curl_easy_init();
  curl_easy_setopt(easy, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect_body);
  curl_slist* mine = curl_slist_append(nullptr, "x-mine: yes");
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/echo";
  curl::Request request;
  request.url = url;
  request.headers = mine;
  EXPECT_EQ(curl::perform(easy, request), CURLE_OK);
  EXPECT_EQ(curl::perform(easy, request), CURLE_OK);
  curl_easy_cleanup(easy);
  curl_slist_free_all(mine);
  server.stop();
  thread.join();

  ASSERT_EQ(traceparents_seen.size(), 2u);  // two spans, two different traceparents
  for (const auto& [traceparent, count] : traceparents_seen) {
    EXPECT_EQ(count, 1) << traceparent;
    EXPECT_EQ(traceparent.size(), 55u);
  }
  EXPECT_EQ(layer->size(), 2u);
  set_global_subscriber(nullptr);
}

}  // namespace
}  // namespace edgetrace::sdk::http
