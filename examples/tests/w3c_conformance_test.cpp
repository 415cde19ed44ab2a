// The conformance service driven the way the w3c/trace-context harness drives it: POST /test
// with cases, the forwarded calls received by a local echo server.
#include "../w3c_conformance/conformance.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "edgetrace/core/text.hpp"
#include "edgetrace/core/trace_context.hpp"
#include "recording_layer.hpp"

namespace edgetrace::examples {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kTraceId = "0af7651916cd43dd8448eb211c80319c";
constexpr std::string_view kParentId = "b7ad6b7169203331";
const std::string kValid = "00-" + std::string(kTraceId) + "-" + std::string(kParentId) + "-01";

struct Received {
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // lowercase names, in order
  std::string body;
  std::string content_type;

  std::vector<std::string> all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers)
      if (k == name)
        out.push_back(v);
    return out;
  }
  std::string one(std::string_view name) const {
    auto v = all(name);
    return v.size() == 1 ? v[0] : "<" + std::to_string(v.size()) + " values>";
  }
};

class ConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    layer_ = testing::install_recording_tracing();
    echo_ = HttpServer::listen("127.0.0.1", 0, [this](const Request& r, const Peer&) {
              Received rec{std::string(r.target()),
                           {},
                           r.body(),
                           std::string(r[beast_http::field::content_type])};
              for (const auto& f : r)
                rec.headers.emplace_back(core::to_lower_ascii(std::string(f.name_string())),
                                         std::string(f.value()));
              {
                std::lock_guard<std::mutex> lock(mu_);
                received_.push_back(std::move(rec));
              }
              Response res{beast_http::status::ok, r.version()};
              res.body() = "ok";
              return res;
            }).value();
    service_ = std::make_unique<ConformanceService>(ConformanceOptions{});
    server_ = HttpServer::listen("127.0.0.1", 0, [this](const Request& r, const Peer& p) {
                return service_->handle(r, p);
              }).value();
  }
  void TearDown() override {
    server_->stop();
    echo_->stop();
    sdk::set_global_subscriber(nullptr);
  }

  std::string echo_url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(echo_->port()) + std::string(path);
  }
  // One case per path, each with `arguments` "[]".
  std::string cases(std::initializer_list<std::string_view> paths) const {
    std::string body = "[";
    for (std::string_view p : paths) {
      if (body.size() > 1)
        body += ",";
      body += R"({"url": ")" + echo_url(p) + R"(", "arguments": []})";
    }
    return body + "]";
  }

  Response post_test(const std::vector<std::pair<std::string, std::string>>& headers,
                     std::string body) {
    Request req{beast_http::verb::post, "/test", 11};
    req.set(beast_http::field::content_type, "application/json");
    for (const auto& [k, v] : headers)
      req.insert(k, v);
    req.body() = std::move(body);
    auto url = parse_url("http://127.0.0.1:" + std::to_string(server_->port()) + "/test");
    auto res = send_request(std::move(req), url.value(), 10s);
    EXPECT_TRUE(res.ok()) << res.status().to_string();
    return res.ok() ? std::move(res).value() : Response{};
  }

  void reset() {
    std::lock_guard<std::mutex> lock(mu_);
    received_.clear();
  }
  std::vector<Received> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

  // The single forwarded call's traceparent, parsed.
  core::TraceParent forwarded_traceparent(const Received& r) {
    auto tp = core::parse_traceparent(r.one("traceparent"));
    EXPECT_TRUE(tp.ok()) << r.one("traceparent");
    return tp.ok() ? *tp : core::TraceParent{};
  }

  testing::RecordingLayer* layer_ = nullptr;
  std::unique_ptr<HttpServer> echo_;
  std::unique_ptr<ConformanceService> service_;
  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  std::vector<Received> received_;
};

TEST_F(ConformanceTest, ValidTraceparentKeepsTraceIdWithNewParentPerCallAndTracestate) {
  const std::string tracestate = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
  Response res = post_test({{"traceparent", kValid}, {"tracestate", tracestate}},
                           cases({"/callback/a", "/callback/b"}));
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "[200,200]");

  auto calls = received();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].target, "/callback/a");
  EXPECT_EQ(calls[1].target, "/callback/b");
  const core::TraceParent a = forwarded_traceparent(calls[0]);
  const core::TraceParent b = forwarded_traceparent(calls[1]);
  EXPECT_EQ(a.trace_id.to_hex(), kTraceId);
  EXPECT_EQ(b.trace_id.to_hex(), kTraceId);
  EXPECT_NE(a.parent_id.to_hex(), kParentId);
  EXPECT_NE(b.parent_id.to_hex(), kParentId);
  EXPECT_NE(a.parent_id, b.parent_id);  // one client span per call
  EXPECT_TRUE(a.flags.sampled());
  EXPECT_EQ(calls[0].one("tracestate"), tracestate);
  EXPECT_EQ(calls[1].one("tracestate"), tracestate);
  EXPECT_EQ(calls[0].content_type, "application/json");

  // The propagated parent ids are the client spans, children of the server span, whose
  // parent is the caller's span.
  auto spans = layer_->spans();
  ASSERT_EQ(spans.size(), 3u);
  const testing::SeenSpan* server = nullptr;
  std::vector<const testing::SeenSpan*> clients;
  for (const auto& s : spans) {
    if (s.kind == sdk::SpanKind::kServer)
      server = &s;
    if (s.kind == sdk::SpanKind::kClient)
      clients.push_back(&s);
  }
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_EQ(server->name, "POST /test");
  EXPECT_EQ(server->parent.to_hex(), kParentId);
  EXPECT_TRUE(server->parent_remote);
  EXPECT_EQ(clients[0]->context.span_id, a.parent_id);
  EXPECT_EQ(clients[1]->context.span_id, b.parent_id);
  EXPECT_EQ(clients[0]->parent, server->context.span_id);
  EXPECT_EQ(clients[0]->attribute("url.full"), echo_url("/callback/a"));
  EXPECT_EQ(clients[0]->attribute("http.response.status_code"), "200");
}

TEST_F(ConformanceTest, ArgumentsAreForwardedByteForByte) {
  const std::string nested =
      R"([ {"url": "http://127.0.0.1:1/x", "arguments": [ ] }, {"k": "caf\u00e9 \"q\"", "n": 1.50} ])";
  const std::string body = R"([{"url": ")" + echo_url("/callback/n") + R"(", "arguments": )" +
                           nested + R"(}, {"arguments": {"a" : null}, "url": ")" +
                           echo_url("/callback/o") + R"("}, {"url": ")" + echo_url("/callback/s") +
                           R"(", "arguments": 12.0e3 })";
  Response res = post_test({{"traceparent", kValid}}, body + "]");
  EXPECT_EQ(res.result_int(), 200u);
  auto calls = received();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].body, nested);
  EXPECT_EQ(calls[1].body, R"({"a" : null})");
  EXPECT_EQ(calls[2].body, "12.0e3");
}

TEST_F(ConformanceTest, InvalidTraceparentsStartANewTraceAndDropTracestate) {
  const std::string upper = "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01";
  const std::vector<std::string> invalid = {
      "ff-" + std::string(kTraceId) + "-" + std::string(kParentId) + "-01",        // version ff
      upper,                                                                       // uppercase hex
      "00-00000000000000000000000000000000-" + std::string(kParentId) + "-01",     // zero trace
      "00-" + std::string(kTraceId) + "-0000000000000000-01",                      // zero parent
      "00-" + std::string(kTraceId) + "-" + std::string(kParentId) + "-01-extra",  // v00 long
      "00-" + std::string(kTraceId) + "-" + std::string(kParentId) + "-0",         // short
      "00-" + std::string(kTraceId) + "-" + std::string(kParentId) + "-.1",        // bad flags
  };
  for (const std::string& tp : invalid) {
    SCOPED_TRACE(tp);
    reset();
    Response res =
        post_test({{"traceparent", tp}, {"tracestate", "foo=1"}}, cases({"/callback/i"}));
    EXPECT_EQ(res.result_int(), 200u);
    auto calls = received();
    ASSERT_EQ(calls.size(), 1u);
    const core::TraceParent out = forwarded_traceparent(calls[0]);
    EXPECT_TRUE(out.trace_id.valid());
    EXPECT_NE(core::to_lower_ascii(out.trace_id.to_hex()), kTraceId);
    EXPECT_TRUE(calls[0].all("tracestate").empty()) << calls[0].one("tracestate");
  }
}

TEST_F(ConformanceTest, MissingTraceparentStartsANewTraceEvenWithTracestate) {
  Response res = post_test({{"tracestate", "foo=1"}}, cases({"/callback/m"}));
  EXPECT_EQ(res.result_int(), 200u);
  auto calls = received();
  ASSERT_EQ(calls.size(), 1u);
  const core::TraceParent out = forwarded_traceparent(calls[0]);
  EXPECT_TRUE(out.trace_id.valid());
  EXPECT_TRUE(calls[0].all("tracestate").empty());
}

TEST_F(ConformanceTest, DuplicateTraceparentHeadersAreInvalid) {
  const std::string other = "00-" + std::string(kTraceId) + "-1111111111111111-01";
  Response res =
      post_test({{"traceparent", kValid}, {"traceparent", other}}, cases({"/callback/d"}));
  EXPECT_EQ(res.result_int(), 200u);
  auto calls = received();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_NE(forwarded_traceparent(calls[0]).trace_id.to_hex(), kTraceId);
}

TEST_F(ConformanceTest, HeaderNamesAreCaseInsensitiveAndHigherVersionsParse) {
  const std::string future =
      "cc-" + std::string(kTraceId) + "-" + std::string(kParentId) + "-01-what-the-future-holds";
  Response res =
      post_test({{"TraceParent", future}, {"TraceState", "foo=1"}}, cases({"/callback/f"}));
  EXPECT_EQ(res.result_int(), 200u);
  auto calls = received();
  ASSERT_EQ(calls.size(), 1u);
  const core::TraceParent out = forwarded_traceparent(calls[0]);
  EXPECT_EQ(out.version, 0);  // written as the version we speak
  EXPECT_EQ(out.trace_id.to_hex(), kTraceId);
  EXPECT_NE(out.parent_id.to_hex(), kParentId);
  EXPECT_EQ(calls[0].one("tracestate"), "foo=1");
}

TEST_F(ConformanceTest, UnsampledParentPropagatesUnsampled) {
  const std::string unsampled =
      "00-" + std::string(kTraceId) + "-" + std::string(kParentId) + "-00";
  Response res = post_test({{"traceparent", unsampled}}, cases({"/callback/u"}));
  EXPECT_EQ(res.result_int(), 200u);
  auto calls = received();
  ASSERT_EQ(calls.size(), 1u);
  const core::TraceParent out = forwarded_traceparent(calls[0]);
  EXPECT_EQ(out.trace_id.to_hex(), kTraceId);
  EXPECT_NE(out.parent_id.to_hex(), kParentId);
  EXPECT_FALSE(out.flags.sampled());
}

TEST_F(ConformanceTest, InvalidTracestateIsDroppedButTraceparentKept) {
  std::string members33;
  for (int i = 0; i < 33; ++i)
    members33 += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  std::string members32;
  for (int i = 0; i < 32; ++i)
    members32 += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  const std::vector<std::pair<std::string, std::string>> cases_and_expected = {
      {members33, ""},                  // more than 32 members
      {"foo=1,BAR=2", ""},              // uppercase key
      {"foo=1,,bar=2", "foo=1,bar=2"},  // empty members are allowed
      {members32, members32},           // exactly 32 is fine
  };
  for (const auto& [ts, expected] : cases_and_expected) {
    SCOPED_TRACE(ts);
    reset();
    Response res = post_test({{"traceparent", kValid}, {"tracestate", ts}}, cases({"/cb"}));
    EXPECT_EQ(res.result_int(), 200u);
    auto calls = received();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(forwarded_traceparent(calls[0]).trace_id.to_hex(), kTraceId);
    if (expected.empty()) {
      EXPECT_TRUE(calls[0].all("tracestate").empty()) << calls[0].one("tracestate");
    } else {
      EXPECT_EQ(calls[0].one("tracestate"), expected);
    }
  }
}

// The tracestate cases of the official test suite (w3c/trace-context test/test.py,
// TraceContextTest, Level 2 key grammar since w3c/trace-context#584), sent as the harness
// sends them: header by header, with the traceparent
// 00-12345678901234567890123456789012-1234567890123456-00. `expected` is the forwarded
// tracestate; "" means none is forwarded (the suite's "expects the tracestate to be
// discarded").
TEST_F(ConformanceTest, W3cTestSuiteTracestateCases) {
  const std::string tp = "00-12345678901234567890123456789012-1234567890123456-00";
  std::string bar01_10, bar11_20, bar21_30;
  for (int i = 1; i <= 30; ++i) {
    std::string& part = i <= 10 ? bar01_10 : i <= 20 ? bar11_20 : bar21_30;
    char member[16];
    std::snprintf(member, sizeof member, "bar%02d=%02d", i, i);
    part += (part.empty() ? "" : ",") + std::string(member);
  }
  const std::string bar01_32 = bar01_10 + "," + bar11_20 + "," + bar21_30 + ",bar31=31,bar32=32";
  std::string all_key;
  for (char c = 'a'; c <= 'z'; ++c)
    all_key += c;
  all_key += "0123456789_-*/";
  std::string all_value;
  for (int c = 0x20; c <= 0x7e; ++c)
    if (c != ',' && c != '=')
      all_value += static_cast<char>(c);
  struct Case {
    const char* test;                     // the suite's test method
    std::vector<std::string> tracestate;  // one entry per header
    std::string expected;
  };
  const std::vector<Case> suite = {
      {"test_tracestate_included_traceparent_included", {"foo=1,bar=2"}, "foo=1,bar=2"},
      {"test_tracestate_empty_header", {""}, ""},
      {"test_tracestate_empty_header", {"foo=1", ""}, "foo=1"},
      {"test_tracestate_empty_header", {"", "foo=1"}, "foo=1"},
      {"test_tracestate_multiple_headers_different_keys",
       {"foo=1,bar=2", "rojo=1,congo=2", "baz=3"},
       "foo=1,bar=2,rojo=1,congo=2,baz=3"},
      {"test_tracestate_duplicated_keys", {"foo=1,foo=1"}, "foo=1"},
      {"test_tracestate_duplicated_keys", {"foo=1,foo=2"}, "foo=1"},
      {"test_tracestate_duplicated_keys", {"foo=1", "foo=1"}, "foo=1"},
      {"test_tracestate_duplicated_keys", {"foo=1", "foo=2"}, "foo=1"},
      {"test_tracestate_all_allowed_characters",
       {all_key + "=" + all_value},
       all_key + "=" + all_value},
      {"test_tracestate_all_allowed_characters",
       {all_key + "@a-z0-9_-*/=" + all_value},
       all_key + "@a-z0-9_-*/=" + all_value},
      {"test_tracestate_ows_handling", {"foo=1 \t , \t bar=2, \t baz=3"}, "foo=1,bar=2,baz=3"},
      {"test_tracestate_ows_handling", {"foo=1\t \t,\t \tbar=2,\t \tbaz=3"}, "foo=1,bar=2,baz=3"},
      {"test_tracestate_ows_handling", {" foo=1"}, "foo=1"},
      {"test_tracestate_ows_handling", {"\tfoo=1"}, "foo=1"},
      {"test_tracestate_ows_handling", {"foo=1 "}, "foo=1"},
      {"test_tracestate_ows_handling", {"foo=1\t"}, "foo=1"},
      {"test_tracestate_ows_handling", {"\t foo=1 \t"}, "foo=1"},
      {"test_tracestate_key_illegal_characters", {"foo =1"}, ""},
      {"test_tracestate_key_illegal_characters", {"FOO=1"}, ""},
      {"test_tracestate_key_illegal_characters", {"foo.bar=1"}, ""},
      {"test_tracestate_key_illegal_vendor_format", {"foo@=1,bar=2"}, "foo@=1,bar=2"},
      {"test_tracestate_key_illegal_vendor_format", {"@foo=1,bar=2"}, ""},
      {"test_tracestate_key_illegal_vendor_format", {"foo@@bar=1,bar=2"}, "foo@@bar=1,bar=2"},
      {"test_tracestate_key_illegal_vendor_format", {"foo@bar@baz=1,bar=2"}, "foo@bar@baz=1,bar=2"},
      {"test_tracestate_member_count_limit",
       {bar01_10, bar11_20, bar21_30, "bar31=31,bar32=32"},
       bar01_32},
      {"test_tracestate_member_count_limit",
       {bar01_10, bar11_20, bar21_30, "bar31=31,bar32=32,bar33=33"},
       ""},
      {"test_tracestate_key_length_limit",
       {"foo=1", std::string(256, 'z') + "=1"},
       "foo=1," + std::string(256, 'z') + "=1"},
      {"test_tracestate_key_length_limit", {"foo=1", std::string(257, 'z') + "=1"}, ""},
      {"test_tracestate_key_length_limit",
       {"foo=1", std::string(241, 't') + "@" + std::string(14, 'v') + "=1"},
       "foo=1," + std::string(241, 't') + "@" + std::string(14, 'v') + "=1"},
      {"test_tracestate_key_length_limit",
       {"foo=1", std::string(242, 't') + "@v=1"},
       "foo=1," + std::string(242, 't') + "@v=1"},
      {"test_tracestate_key_length_limit",
       {"foo=1", "t@" + std::string(15, 'v') + "=1"},
       "foo=1,t@" + std::string(15, 'v') + "=1"},
      {"test_tracestate_value_illegal_characters", {"foo=bar=baz"}, ""},
      {"test_tracestate_value_illegal_characters", {"foo=,bar=3"}, ""},
  };
  for (const Case& c : suite) {
    std::string shown;
    for (const std::string& h : c.tracestate)
      shown += "[" + h.substr(0, 40) + "]";
    SCOPED_TRACE(std::string(c.test) + " " + shown);
    reset();
    std::vector<std::pair<std::string, std::string>> headers = {{"traceparent", tp}};
    for (const std::string& h : c.tracestate)
      headers.emplace_back("tracestate", h);
    Response res = post_test(headers, cases({"/cb"}));
    EXPECT_EQ(res.result_int(), 200u);
    auto calls = received();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(forwarded_traceparent(calls[0]).trace_id.to_hex(),
              "12345678901234567890123456789012");
    if (c.expected.empty()) {
      EXPECT_TRUE(calls[0].all("tracestate").empty()) << calls[0].one("tracestate");
    } else {
      EXPECT_EQ(calls[0].one("tracestate"), c.expected);
    }
  }
}

TEST_F(ConformanceTest, MultipleTracestateHeadersAreCombined) {
  Response res = post_test(
      {{"traceparent", kValid}, {"tracestate", "foo=1"}, {"tracestate", "bar=2"}}, cases({"/cb"}));
  EXPECT_EQ(res.result_int(), 200u);
  auto calls = received();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].one("tracestate"), "foo=1,bar=2");
}

TEST_F(ConformanceTest, BaggageIsForwardedWithTheCall) {
  Response res =
      post_test({{"traceparent", kValid}, {"baggage", "user=alice,tier=gold"}}, cases({"/cb"}));
  EXPECT_EQ(res.result_int(), 200u);
  auto calls = received();
  ASSERT_EQ(calls.size(), 1u);
  const std::string baggage = calls[0].one("baggage");
  EXPECT_NE(baggage.find("user=alice"), std::string::npos) << baggage;
  EXPECT_NE(baggage.find("tier=gold"), std::string::npos) << baggage;
}

TEST_F(ConformanceTest, BadBodiesAreRejectedWithAReasonAndNoCalls) {
  const std::vector<std::string> bad = {"",
                                        "{}",
                                        "[1]",
                                        R"([{"arguments": []}])",
                                        R"([{"url": 5}])",
                                        R"([{"url": "https://127.0.0.1/x"}])",
                                        "[{\"url\": \"http://127.0.0.1:1/\"",
                                        "[] x"};
  for (const std::string& body : bad) {
    SCOPED_TRACE(body);
    Response res = post_test({{"traceparent", kValid}}, body);
    EXPECT_EQ(res.result_int(), 400u);
    EXPECT_NE(res.body().find("error"), std::string::npos);
  }
  EXPECT_TRUE(received().empty());
  EXPECT_EQ(service_->counters().bad_requests.load(), bad.size());
  EXPECT_EQ(service_->counters().calls.load(), 0u);
}

TEST_F(ConformanceTest, UnreachableUrlIsReportedAndTheRestStillCalled) {
  // A port nobody listens on: bind one, note it, close it.
  std::uint16_t dead_port = 0;
  {
    auto dead = HttpServer::listen("127.0.0.1", 0, [](const Request& r, const Peer&) {
      return Response{beast_http::status::ok, r.version()};
    });
    dead_port = (*dead)->port();
  }
  const std::string body = R"([{"url": "http://127.0.0.1:)" + std::to_string(dead_port) +
                           R"(/x", "arguments": []}, {"url": ")" + echo_url("/after") +
                           R"(", "arguments": []}])";
  Response res = post_test({{"traceparent", kValid}}, body);
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res.body(), "[0,200]");
  EXPECT_EQ(received().size(), 1u);
  EXPECT_EQ(service_->counters().failed_calls.load(), 1u);
}

TEST_F(ConformanceTest, OtherPathsAndMethodsAreRefused) {
  Request req{beast_http::verb::get, "/test", 11};
  auto url = parse_url("http://127.0.0.1:" + std::to_string(server_->port()) + "/test");
  auto res = send_request(std::move(req), url.value(), 5s);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->result_int(), 405u);
  Request other{beast_http::verb::post, "/other", 11};
  res = send_request(std::move(other), url.value(), 5s);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->result_int(), 404u);
}

}  // namespace
}  // namespace edgetrace::examples
