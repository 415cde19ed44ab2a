// HttpServer over real sockets: routes, keep-alive, every limit and its status, timeouts,
// connection cap, asynchronous answers, the authentication hook, CORS and draining.
#include "edgetrace/net/http_server.hpp"

#include <zlib.h>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "net_test_support.hpp"
#include "testing/gzip.hpp"

namespace edgetrace::net {
namespace {

using namespace std::chrono_literals;
using testing_support::get;
using testing_support::kDeadline;
using testing_support::post;
using testing_support::RawClient;
using testing_support::wait_for_count;

Handler echo() {
  return sync_handler(
      [](Request&& r) { return Response::text(200, r.method + " " + r.path + " " + r.body); });
}

using edgetrace::testing::gzip;
using edgetrace::testing::gzip_of_zeros;

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(std::move(options));
    server_->route("GET", "/hello",
                   sync_handler([](Request&&) { return Response::text(200, "hello"); }));
    server_->route("POST", "/echo", echo());
    server_->route("PUT", "/echo", echo());
    server_->route_prefix("GET", "/items/", echo());
    server_->route_prefix("GET", "/items/special/",
                          sync_handler([](Request&&) { return Response::text(200, "special"); }));
    for (auto& [method, path, handler, route_options] : extra_)
      server_->route(method, path, handler, route_options);
    auto st = server_->start();
    ASSERT_TRUE(st.ok()) << st.to_string();
  }
  void add(std::string method, std::string path, Handler h, RouteOptions o = {}) {
    extra_.push_back({std::move(method), std::move(path), std::move(h), std::move(o)});
  }
  std::uint16_t port() const { return server_->port(); }
  const HttpServerCounters& counters() const { return server_->counters(); }

  struct Extra {
    std::string method;
    std::string path;
    Handler handler;
    RouteOptions options;
  };
  std::vector<Extra> extra_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, AnswersRoutesAndReusesAKeepAliveConnection) {
  start();
  EXPECT_EQ(server_->url(), "http://127.0.0.1:" + std::to_string(port()));
  RawClient c(port());
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(get("/hello")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello");
    EXPECT_EQ(r->header("Server"), "edgetrace");
  }
  // Two pipelined requests in one write are answered in order.
  ASSERT_TRUE(c.send(post("/echo", "one") + post("/echo", "two")));
  EXPECT_EQ(c.read_response()->body, "POST /echo one");
  EXPECT_EQ(c.read_response()->body, "POST /echo two");
  EXPECT_EQ(counters().connections_accepted.load(), 1u);
  EXPECT_EQ(counters().requests.load(), 5u);
  EXPECT_EQ(counters().responses_2xx.load(), 5u);
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  start();
  RawClient c(port());
  ASSERT_TRUE(c.send(get("/nope")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  ASSERT_TRUE(c.send("DELETE /echo HTTP/1.1\r\nHost: t\r\n\r\n"));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("Allow"), "POST, PUT");
  // A request without a body keeps the connection usable.
  ASSERT_TRUE(c.send(get("/hello")));
  EXPECT_EQ(c.read_response()->status, 200);
  EXPECT_EQ(counters().not_found.load(), 1u);
  EXPECT_EQ(counters().method_not_allowed.load(), 1u);
}

TEST_F(HttpServerTest, PrefixRoutesMatchTheLongestPrefixAndKeepTheQuery) {
  std::promise<std::string> query;
  add("GET", "/q", sync_handler([&](Request&& r) {
        query.set_value(r.query);
        return Response::empty(204);
      }));
  start();
  RawClient c(port());
  ASSERT_TRUE(c.send(get("/items/42")));
  EXPECT_EQ(c.read_response()->body, "GET /items/42 ");
  ASSERT_TRUE(c.send(get("/items/special/7")));
  EXPECT_EQ(c.read_response()->body, "special");
  ASSERT_TRUE(c.send(get("/q?a=1&b=2")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(query.get_future().get(), "a=1&b=2");
}

TEST_F(HttpServerTest, OversizedHeadersAre431) {
  HttpServerOptions o;
  o.max_header_bytes = 1024;
  start(o);
  RawClient c(port());
  ASSERT_TRUE(c.send(get("/hello", "X-Big: " + std::string(2000, 'a') + "\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(counters().header_too_large.load(), 1u);
}

TEST_F(HttpServerTest, ContentLengthOverTheLimitIs413BeforeTheBodyIsSent) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  start(o);
  RawClient c(port());
  // Only the headers: the answer cannot wait for (or buffer) the body.
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(counters().body_too_large.load(), 1u);
  EXPECT_EQ(counters().requests.load(), 1u);
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIs413AsSoonAsAChunkPassesIt) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  start(o);
  RawClient c(port());
  ASSERT_TRUE(
      c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
             "200\r\n" +
             std::string(0x200, 'a') +
             "\r\n"
             "300\r\n"));  // 0x500 > 1000: refused on the chunk header, unfinished
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(counters().body_too_large.load(), 1u);
}

TEST_F(HttpServerTest, ChunkedBodyWithinTheLimitReachesTheHandler) {
  start();
  RawClient c(port());
  ASSERT_TRUE(
      c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
             "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /echo abcdefg");
}

TEST_F(HttpServerTest, RouteBodyLimitOverridesTheServerLimit) {
  RouteOptions big;
  big.max_body_bytes = 5000;
  add("POST", "/big", echo(), big);
  HttpServerOptions o;
  o.max_body_bytes = 100;
  start(o);
  RawClient c(port());
  ASSERT_TRUE(c.send(post("/big", std::string(3000, 'x'))));
  EXPECT_EQ(c.read_response()->status, 200);
  ASSERT_TRUE(c.send(post("/echo", std::string(300, 'x'))));
  EXPECT_EQ(c.read_response()->status, 413);
}

TEST_F(HttpServerTest, GzipBodiesAreInflatedForTheHandler) {
  std::promise<Request> seen;
  add("POST", "/gz", sync_handler([&](Request&& r) {
        seen.set_value(r);
        return Response::empty(200);
      }));
  start();
  const std::string plain(5000, 'z');
  RawClient c(port());
  ASSERT_TRUE(c.send(post("/gz", gzip(plain), "Content-Encoding: gzip\r\n")));
  EXPECT_EQ(c.read_response()->status, 200);
  Request r = seen.get_future().get();
  EXPECT_EQ(r.body, plain);
  EXPECT_FALSE(r.has_header("Content-Encoding"));
}

TEST_F(HttpServerTest, GzipBombIs413WithoutInflatingItAll) {
  HttpServerOptions o;
  o.max_decompressed_bytes = 1 << 20;
  start(o);
  const std::string bomb = gzip_of_zeros(std::size_t{256} << 20);  // 256 MiB of zeros
  ASSERT_LT(bomb.size(), o.max_body_bytes);
  RawClient c(port());
  ASSERT_TRUE(c.send(post("/echo", bomb, "Content-Encoding: gzip\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(counters().decompressed_too_large.load(), 1u);
  // The body was read, so the connection stays usable.
  ASSERT_TRUE(c.send(get("/hello")));
  EXPECT_EQ(c.read_response()->status, 200);
}

TEST_F(HttpServerTest, MalformedGzipIs400AndOtherEncodingsAre415) {
  start();
  RawClient c(port());
  std::string truncated = gzip(std::string(1000, 'q'));
  truncated.resize(truncated.size() / 2);
  ASSERT_TRUE(c.send(post("/echo", truncated, "Content-Encoding: gzip\r\n")));
  EXPECT_EQ(c.read_response()->status, 400);
  ASSERT_TRUE(c.send(post("/echo", "not gzip at all", "Content-Encoding: gzip\r\n")));
  EXPECT_EQ(c.read_response()->status, 400);
  ASSERT_TRUE(c.send(post("/echo", "x", "Content-Encoding: br\r\n")));
  EXPECT_EQ(c.read_response()->status, 415);
  EXPECT_EQ(counters().bad_request.load(), 2u);
  EXPECT_EQ(counters().unsupported_encoding.load(), 1u);
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
  start();
  RawClient c(port());
  ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nBad Header Without Colon\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(counters().bad_request.load(), 1u);
}

TEST_F(HttpServerTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  HttpServerOptions o;
  o.idle_timeout = 200ms;
  start(o);
  RawClient c(port());
  ASSERT_TRUE(c.send(get("/hello")));
  ASSERT_EQ(c.read_response()->status, 200);
  EXPECT_TRUE(c.wait_closed());
  EXPECT_TRUE(wait_for_count(counters().idle_timeouts, 1));
  EXPECT_EQ(counters().read_timeouts.load(), 0u);
}

TEST_F(HttpServerTest, UnfinishedRequestIsClosedAfterTheReadTimeout) {
  HttpServerOptions o;
  o.idle_timeout = 60s;
  o.read_timeout = 200ms;
  start(o);
  RawClient c(port());
  ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_TRUE(c.wait_closed());
  EXPECT_TRUE(wait_for_count(counters().read_timeouts, 1));
  EXPECT_EQ(counters().idle_timeouts.load(), 0u);
}

TEST_F(HttpServerTest, ClientTricklingABytePerIntervalCannotHoldTheConnection) {
  HttpServerOptions o;
  o.idle_timeout = 60s;
  o.read_timeout = 300ms;
  start(o);
  RawClient c(port());
  std::atomic<bool> closed{false};
  // The client keeps sending (each byte well within any per-read timeout); only a deadline
  // on the whole request stops it.
  std::thread trickle([&] {
    const std::string request = get("/hello", "X-Pad: " + std::string(100000, 'p') + "\r\n");
    for (char ch : request) {
      if (closed.load() || !c.send(std::string_view(&ch, 1)))
        return;
      std::this_thread::sleep_for(20ms);  // the slow client's pace, not synchronisation
    }
  });
  EXPECT_TRUE(c.wait_closed());
  closed = true;
  trickle.join();
  EXPECT_TRUE(wait_for_count(counters().read_timeouts, 1));
}

TEST_F(HttpServerTest, ConnectionsOverTheCapAreRefusedWith503) {
  HttpServerOptions o;
  o.max_connections = 2;
  start(o);
  RawClient a(port());
  RawClient b(port());
  for (RawClient* c : {&a, &b}) {
    ASSERT_TRUE(c->send(get("/hello")));
    ASSERT_EQ(c->read_response()->status, 200);
  }
  RawClient extra(port());
  auto r = extra.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_TRUE(extra.wait_closed());
  EXPECT_EQ(counters().connections_refused.load(), 1u);
  EXPECT_EQ(counters().connections_active.load(), 2u);
}

TEST_F(HttpServerTest, ManyConcurrentKeepAliveClients) {
  std::atomic<int> handled{0};
  add("POST", "/count", sync_handler([&](Request&& r) {
        handled.fetch_add(1);
        return Response::text(200, std::to_string(r.body.size()));
      }));
  start();
  constexpr int kClients = 40;
  constexpr int kRequests = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      RawClient c(port());
      for (int j = 0; j < kRequests; ++j) {
        if (!c.send(post("/count", std::string(200, 'b'))))
          return;
        auto r = c.read_response();
        if (r && r->status == 200 && r->body == "200")
          ok.fetch_add(1);
      }
    });
  }
  for (auto& t : clients)
    t.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
  EXPECT_EQ(handled.load(), kClients * kRequests);
  EXPECT_EQ(counters().connections_accepted.load(), static_cast<std::uint64_t>(kClients));
}

TEST_F(HttpServerTest, HandlerAnswersLaterFromAnotherThread) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Responder> held;
  add("POST", "/later", [&](Request&&, Responder responder) {
    std::lock_guard<std::mutex> lock(mu);
    held = responder;
    cv.notify_all();
  });
  start();
  RawClient c(port());
  ASSERT_TRUE(c.send(post("/later", "x")));
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kDeadline, [&] { return held.has_value(); }));
  }
  std::thread other([&] {
    EXPECT_TRUE(held->respond(Response::empty(202)));
    EXPECT_FALSE(held->respond(Response::empty(500)));  // only the first answer counts
  });
  other.join();
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  // The connection is usable afterwards.
  ASSERT_TRUE(c.send(get("/hello")));
  EXPECT_EQ(c.read_response()->status, 200);
}

TEST_F(HttpServerTest, DeferredWorkRunsOnTheIoThreadAfterTheHandlerReturned) {
  std::atomic<bool> handler_returned{false};
  std::thread::id handler_thread;
  add("POST", "/deferred", [&](Request&&, Responder responder) {
    handler_thread = std::this_thread::get_id();
    server_->defer([&, responder] {
      const bool ok = handler_returned.load() && std::this_thread::get_id() == handler_thread;
      responder.respond(Response::empty(ok ? 200 : 500));
    });
    handler_returned = true;
  });
  HttpServerOptions o;
  o.io_threads = 1;
  start(o);
  RawClient c(port());
  ASSERT_TRUE(c.send(post("/deferred", "x")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);

  // Once stopped, deferred work is dropped, never run.
  server_->stop(std::chrono::milliseconds(1000));
  bool ran = false;
  server_->defer([&] { ran = true; });
  EXPECT_FALSE(ran);
}

TEST_F(HttpServerTest, DroppedResponderAnswers500AndThrowingHandlerToo) {
  add("GET", "/drop", [](Request&&, Responder) {});
  add("GET", "/throw", [](Request&&, Responder) { throw std::runtime_error("boom"); });
  start();
  RawClient c(port());
  ASSERT_TRUE(c.send(get("/drop")));
  EXPECT_EQ(c.read_response()->status, 500);
  RawClient d(port());
  ASSERT_TRUE(d.send(get("/throw")));
  EXPECT_EQ(d.read_response()->status, 500);
  EXPECT_EQ(counters().handler_errors.load(), 2u);
}

TEST_F(HttpServerTest, AbortClosesTheConnectionWithoutAnAnswer) {
  add("GET", "/abort", [](Request&&, Responder responder) {
    EXPECT_TRUE(responder.abort());
    EXPECT_FALSE(responder.respond(Response::empty(200)));
  });
  start();
  RawClient c(port());
  ASSERT_TRUE(c.send(get("/abort")));
  EXPECT_FALSE(c.read_response());
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(counters().responses_5xx.load() + counters().responses_2xx.load(), 0u);
}

TEST_F(HttpServerTest, HandlerPoolKeepsABlockedHandlerOffTheIoThread) {
  std::promise<void> second_ran;
  auto second_future = second_ran.get_future().share();
  add("GET", "/block", sync_handler([&](Request&&) {
        // Blocks until the other request has been handled: with one I/O thread this only
        // finishes if handlers do not run on it.
        const bool ok = second_future.wait_for(kDeadline) == std::future_status::ready;
        return Response::empty(ok ? 200 : 504);
      }));
  add("GET", "/free", sync_handler([&](Request&&) {
        second_ran.set_value();
        return Response::empty(200);
      }));
  HttpServerOptions o;
  o.io_threads = 1;
  o.handler_threads = 2;
  start(o);
  RawClient a(port());
  ASSERT_TRUE(a.send(get("/block")));
  RawClient b(port());
  ASSERT_TRUE(b.send(get("/free")));
  EXPECT_EQ(b.read_response()->status, 200);
  EXPECT_EQ(a.read_response()->status, 200);
}

TEST_F(HttpServerTest, AuthHookRefusesBeforeTheBodyIsRead) {
  std::atomic<int> handled{0};
  RouteOptions auth;
  auth.auth = [](const Request& r) -> std::optional<Response> {
    EXPECT_TRUE(r.body.empty());
    if (r.header("Authorization") != "Bearer good")
      return Response::text(401, "token required\n").with_header("WWW-Authenticate", "Bearer");
    return std::nullopt;
  };
  add("POST", "/private", sync_handler([&](Request&& r) {
        handled.fetch_add(1);
        return Response::text(200, r.body);
      }),
      auth);
  start();
  RawClient c(port());
  // Headers only: the refusal cannot wait for the 1 MB body.
  ASSERT_TRUE(c.send("POST /private HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->header("WWW-Authenticate"), "Bearer");
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(counters().auth_refused.load(), 1u);

  RawClient ok(port());
  ASSERT_TRUE(ok.send(post("/private", "payload", "Authorization: Bearer good\r\n")));
  r = ok.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "payload");
  EXPECT_EQ(handled.load(), 1);
}

TEST_F(HttpServerTest, ExpectContinueIsAnsweredAfterTheChecks) {
  start();
  RawClient c(port());
  ASSERT_TRUE(
      c.send("PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
             "Expect: 100-continue\r\n\r\n"));
  auto cont = c.read_response();
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  ASSERT_TRUE(c.send("hello"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "PUT /echo hello");
}

TEST_F(HttpServerTest, CorsPreflightAndActualResponses) {
  auto policy = std::make_shared<CorsPolicy>();
  policy->allowed_origins = {"https://app.example"};
  policy->max_age = std::chrono::seconds(300);
  RouteOptions cors;
  cors.cors = policy;
  add("POST", "/api/logs", sync_handler([](Request&&) { return Response::empty(202); }), cors);
  start();
  RawClient c(port());
  ASSERT_TRUE(
      c.send("OPTIONS /api/logs HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\n"
             "Access-Control-Request-Method: POST\r\n"
             "Access-Control-Request-Headers: content-type\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(r->header("Access-Control-Allow-Methods"), "POST");
  EXPECT_NE(r->header("Access-Control-Allow-Headers").find("Content-Type"), std::string::npos);
  EXPECT_EQ(r->header("Access-Control-Max-Age"), "300");

  ASSERT_TRUE(
      c.send("OPTIONS /api/logs HTTP/1.1\r\nHost: t\r\nOrigin: https://evil.example\r\n"
             "Access-Control-Request-Method: POST\r\n\r\n"));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));

  ASSERT_TRUE(c.send(post("/api/logs", "{}", "Origin: https://app.example\r\n")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->header("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(r->header("Vary"), "Origin");

  ASSERT_TRUE(c.send(post("/api/logs", "{}", "Origin: https://evil.example\r\n")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  EXPECT_FALSE(r->has_header("Access-Control-Allow-Origin"));
  EXPECT_EQ(counters().cors_preflights.load(), 2u);

  // A route without a CORS policy does not answer preflights.
  ASSERT_TRUE(
      c.send("OPTIONS /echo HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\n"
             "Access-Control-Request-Method: POST\r\n\r\n"));
  EXPECT_EQ(c.read_response()->status, 405);
}

TEST_F(HttpServerTest, StopDrainsInFlightRequestsAndClosesIdleConnections) {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Responder> held;
  add("POST", "/slow", [&](Request&&, Responder responder) {
    std::lock_guard<std::mutex> lock(mu);
    held = responder;
    cv.notify_all();
  });
  start();
  RawClient idle(port());
  ASSERT_TRUE(idle.send(get("/hello")));
  ASSERT_EQ(idle.read_response()->status, 200);
  RawClient busy(port());
  ASSERT_TRUE(busy.send(post("/slow", "x")));
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kDeadline, [&] { return held.has_value(); }));
  }
  std::thread stopper([&] { server_->stop(std::chrono::milliseconds(kDeadline)); });
  EXPECT_TRUE(idle.wait_closed());  // idle keep-alive connection closed at once
  // The request in flight is still answered, with Connection: close.
  EXPECT_TRUE(held->respond(Response::text(200, "done")));
  auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(busy.wait_closed());
  stopper.join();
  EXPECT_EQ(counters().forced_closes.load(), 0u);
  // No longer accepting.
  RawClient late(port());
  EXPECT_TRUE(!late.connected() || late.wait_closed());
}

TEST_F(HttpServerTest, StopForceClosesWhatIsLeftAfterTheDeadline) {
  std::optional<Responder> held;
  std::mutex mu;
  std::condition_variable cv;
  add("POST", "/never", [&](Request&&, Responder responder) {
    std::lock_guard<std::mutex> lock(mu);
    held = responder;
    cv.notify_all();
  });
  start();
  RawClient busy(port());
  ASSERT_TRUE(busy.send(post("/never", "x")));
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, kDeadline, [&] { return held.has_value(); }));
  }
  server_->stop(100ms);
  EXPECT_TRUE(busy.wait_closed());
  EXPECT_EQ(counters().forced_closes.load(), 1u);
  // Answering after the stop is harmless.
  held->respond(Response::empty(200));
  held.reset();
}

// A handler that starts a stream and hands its writer to the test.
class StreamHolder {
 public:
  Handler handler(std::size_t max_queued_bytes = 1 << 20) {
    return [this, max_queued_bytes](Request&&, Responder responder) {
      StreamWriter w = responder.start_stream(200, "text/event-stream",
                                              {{"Cache-Control", "no-cache"}}, max_queued_bytes);
      std::lock_guard<std::mutex> lock(mu_);
      writer_ = w;
      cv_.notify_all();
    };
  }
  std::optional<StreamWriter> wait() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, kDeadline, [&] { return writer_.has_value(); }))
      return std::nullopt;
    return writer_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<StreamWriter> writer_;
};

TEST_F(HttpServerTest, StreamedResponseSendsPiecesAsTheyComeAndEndsWithTheConnection) {
  StreamHolder holder;
  add("GET", "/stream", holder.handler());
  start();
  RawClient c(port());
  ASSERT_TRUE(c.send(get("/stream")));
  std::optional<StreamWriter> w = holder.wait();
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->is_open());
  ASSERT_TRUE(w->write("data: one\n\n"));
  auto first = c.read_until("data: one\n\n");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << *first;
  EXPECT_NE(first->find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(first->find("Cache-Control: no-cache\r\n"), std::string::npos);
  EXPECT_NE(first->find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(first->find("Content-Length"), std::string::npos);
  // The second piece arrives while the response is still open.
  ASSERT_TRUE(w->write("data: two\n\n"));
  ASSERT_TRUE(c.read_until("data: two\n\n"));
  w->close();
  EXPECT_FALSE(w->is_open());
  EXPECT_FALSE(w->write("late"));
  auto all = c.read_response();  // the whole response, read to the close
  ASSERT_TRUE(all);
  EXPECT_EQ(all->body, "data: one\n\ndata: two\n\n");
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(counters().responses_2xx.load(), 1u);
}

TEST_F(HttpServerTest, SlowStreamClientIsDisconnectedInsteadOfBuffered) {
  StreamHolder holder;
  add("GET", "/stream", holder.handler(64 * 1024));
  start();
  RawClient c(port());
  ASSERT_TRUE(c.send(get("/stream")));
  std::optional<StreamWriter> w = holder.wait();
  ASSERT_TRUE(w);
  // The client reads nothing: once the socket buffers are full, pieces wait on the strand
  // until the bound is passed and the stream is closed. Socket buffers hold a few MiB at most.
  const std::string piece(32 * 1024, 'x');
  bool refused = false;
  for (int i = 0; i < 100000 && !refused; ++i)
    refused = !w->write(piece);
  EXPECT_TRUE(refused);
  EXPECT_FALSE(w->is_open());
  EXPECT_TRUE(wait_for_count(counters().stream_overflows, 1));
  EXPECT_TRUE(c.wait_closed());
}

TEST_F(HttpServerTest, StopClosesOpenStreams) {
  StreamHolder holder;
  add("GET", "/stream", holder.handler());
  start();
  RawClient c(port());
  ASSERT_TRUE(c.send(get("/stream")));
  std::optional<StreamWriter> w = holder.wait();
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->write(": hello\n\n"));
  ASSERT_TRUE(c.read_until(": hello\n\n"));
  server_->stop(std::chrono::milliseconds(kDeadline));
  EXPECT_TRUE(c.wait_closed());
  EXPECT_FALSE(w->is_open());
  EXPECT_FALSE(w->write("after stop"));
  EXPECT_EQ(counters().forced_closes.load(), 0u);  // closed by the drain, not the deadline
}

TEST_F(HttpServerTest, AddressInUseIsAClearError) {
  start();
  HttpServerOptions o;
  o.listen = "127.0.0.1:" + std::to_string(port());
  HttpServer second(o);
  auto st = second.start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), core::StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("127.0.0.1:" + std::to_string(port())), std::string::npos);
  EXPECT_NE(st.message().find("in use"), std::string::npos) << st.message();

  HttpServerOptions bad;
  bad.listen = "not-an-address";
  HttpServer third(bad);
  EXPECT_EQ(third.start().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->start().code(), core::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace edgetrace::net
