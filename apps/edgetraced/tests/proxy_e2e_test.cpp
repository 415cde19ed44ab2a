// End-to-end: the real edgetraced binary as the authenticated proxy for browsers and phones,
// in front of a real OTLP/HTTP receiver (FakeOtlpHttpReceiver) as the upstream backend, with
// tokens signed by OpenSSL (proxy/jwt_testing.hpp) and requests over real sockets.
//
// What is checked: what reaches the upstream (the subject as enduser.id on every record, the
// server-side credential, never the client's token); every kind of bad token answered 401
// with its reason code; bad bodies (malformed, deep, huge, gzip bomb, chunked over the
// limit, slow, oversized headers); each upstream failure answered with its documented status;
// the three rate limits; CORS; queue mode; and that no token or credential appears in any
// output of the daemon.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "edgetrace/otlp/codec.hpp"
#include "net_test_support.hpp"
#include "proxy/jwt_testing.hpp"
#include "testing/fake_http_receiver.hpp"
#include "testing/gzip.hpp"
#include "testing/temp_dir.hpp"
#include "testing/wait.hpp"
#include "tests/daemon_process.hpp"

namespace edgetrace::daemon {
namespace {

using edgetrace::net::testing_support::RawClient;
using edgetrace::net::testing_support::RawResponse;
using edgetrace::testing::FakeOtlpHttpReceiver;
using edgetrace::testing::Reply;
using edgetrace::testing::TempDir;
using edgetrace::testing::wait_until;
using testing::DaemonProcess;
using namespace std::chrono_literals;

constexpr std::string_view kSecret = "proxy-e2e-hs256-secret-0123456789abcdef";
constexpr std::string_view kCredential = "upstream-write-credential-7f3a9c";
constexpr std::string_view kOrigin = "http://app.example.test";

void write_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

testing::TestHeader header(std::string alg, std::string kid = "") {
  testing::TestHeader h;
  h.alg = std::move(alg);
  h.kid = std::move(kid);
  return h;
}

// Claims the proxy under test accepts: its issuer and audience, ten minutes to live.
testing::TestClaims claims_for(std::string sub) {
  testing::TestClaims c;
  c.sub = std::move(sub);
  c.iss = "https://auth.example.test";
  c.aud = "edgetrace-proxy";
  c.exp = unix_now() + 600;
  return c;
}

std::string hs256(const testing::TestClaims& claims, std::string_view secret = kSecret) {
  return testing::sign_hs256(header("HS256"), claims.json(), secret);
}

std::string token_for(std::string sub) {
  return hs256(claims_for(std::move(sub)));
}

// An OTLP/JSON logs request with `n` records; the first one claims to be someone else.
std::string logs_json(int n = 2) {
  std::string records;
  for (int i = 0; i < n; ++i) {
    if (i > 0)
      records += ",";
    records += R"({"timeUnixNano":"1700000000000000000","severityNumber":9,"severityText":"INFO",)"
               R"("body":{"stringValue":"clicked checkout )" +
               std::to_string(i) + R"("})" +
               (i == 0 ? R"(,"attributes":[{"key":"enduser.id","value":{"stringValue":"spoofed"}}])"
                       : "") +
               "}";
  }
  return R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":)"
         R"({"stringValue":"web-app"}}]},"scopeLogs":[{"scope":{"name":"ui"},"logRecords":[)" +
         records + "]}]}]}";
}

// An OTLP protobuf traces request with spans "checkout" and "load-cart".
std::string traces_protobuf() {
  otlp::TraceRequest r;
  auto* rs = r.add_resource_spans();
  auto* kv = rs->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("web-app");
  auto* ss = rs->add_scope_spans();
  const std::string trace_id(16, '\x11');
  for (const char* name : {"checkout", "load-cart"}) {
    auto* span = ss->add_spans();
    span->set_name(name);
    span->set_trace_id(trace_id);
    span->set_span_id(std::string(8, name[0]));
    span->set_start_time_unix_nano(1700000000000000000ull);
    span->set_end_time_unix_nano(1700000000100000000ull);
  }
  return otlp::encode_protobuf(r);
}

RawResponse send(std::uint16_t port, std::string_view method, std::string_view path,
                 std::string_view body, const std::vector<std::string>& headers) {
  RawClient c(port);
  std::string out = std::string(method) + " " + std::string(path) +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const std::string& h : headers)
    out += h + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  if (!c.connected() || !c.send(out))
    return {};
  return c.read_response().value_or(RawResponse{});
}

class ProxyE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir_.file("secret"), std::string(kSecret) + "\n");
    write_file(dir_.file("headers"), "Authorization: " + std::string(kCredential) + "\n");
  }

  // Starts the daemon with the proxy in front of upstream_; `extra` adds or replaces tables.
  void start(const std::string& proxy_extra = "", const std::string& extra = "") {
    const std::string config =
        "shutdown_timeout = \"5s\"\n"
        "[admin]\nlisten = \"127.0.0.1:0\"\n"
        "[symbols]\nstore = \"" +
        dir_.file("symbols") +
        "\"\n"
        "[receivers.device_tcp]\nlisten = \"\"\n"
        "[receivers.otlp]\nhttp = \"\"\ngrpc = \"\"\n"
        "[queue]\ndir = \"" +
        dir_.file("queue") +
        "\"\nretry_max = \"500ms\"\n"
        "[proxy]\nlisten = \"127.0.0.1:0\"\n" +
        proxy_extra + "\n[proxy.upstream]\nendpoint = \"" + upstream_.url() +
        "\"\nheader_file = \"" + dir_.file("headers") +
        "\"\ntimeout = \"1s\"\n"
        "[proxy.jwt]\nhs256_secret_file = \"" +
        dir_.file("secret") +
        "\"\nissuer = \"https://auth.example.test\"\naudience = \"edgetrace-proxy\"\n"
        "clock_skew = \"5s\"\n"
        "[proxy.cors]\nallowed_origins = [\"" +
        std::string(kOrigin) + "\"]\n" + extra;
    write_file(dir_.file("edgetraced.toml"), config);
    daemon_ = std::make_unique<DaemonProcess>(
        ET_EDGETRACED, std::vector<std::string>{"--config", dir_.file("edgetraced.toml")},
        dir_.file("edgetraced.log"));
    ASSERT_TRUE(daemon_->started()) << daemon_->log();
    port_ = daemon_->port("proxy");
    ASSERT_NE(port_, 0) << daemon_->log();
  }

  RawResponse post(std::string_view signal, std::string_view body, const std::string& token,
                   std::string_view content_type = "application/json",
                   std::vector<std::string> headers = {}) {
    headers.push_back("Content-Type: " + std::string(content_type));
    if (!token.empty())
      headers.push_back("Authorization: Bearer " + token);
    used_tokens_.push_back(token);
    return send(port_, "POST", "/api/v1/telemetry/" + std::string(signal), body, headers);
  }

  // Every token used and the upstream credential are absent from the daemon's output.
  void TearDown() override {
    if (!daemon_)
      return;
    EXPECT_EQ(daemon_->terminate(), 0);
    const std::string log = daemon_->log();
    EXPECT_EQ(log.find(kCredential), std::string::npos) << log;
    EXPECT_EQ(log.find(kSecret), std::string::npos) << log;
    for (const std::string& t : used_tokens_) {
      if (t.size() > 16) {
        EXPECT_EQ(log.find(t.substr(t.size() - 16)), std::string::npos) << "token in the log";
      }
    }
  }

  TempDir dir_{"edgetraced-proxy"};
  FakeOtlpHttpReceiver upstream_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::uint16_t port_ = 0;
  std::vector<std::string> used_tokens_;
};

std::string attribute(
    const google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>& kvs,
    std::string_view key) {
  for (const auto& kv : kvs)
    if (kv.key() == key)
      return kv.value().string_value();
  return "<absent>";
}

TEST_F(ProxyE2e, ForwardsWithTheSubjectOnEveryRecordAndTheServerCredential) {
  start();
  const std::string token = token_for("user-42");
  RawResponse logs = post("logs", logs_json(3), token);
  ASSERT_EQ(logs.status, 200) << logs.head << logs.body;
  EXPECT_EQ(logs.header("Content-Type"), "application/json");
  RawResponse traces = post("traces", traces_protobuf(), token, "application/x-protobuf");
  ASSERT_EQ(traces.status, 200) << traces.head << traces.body;
  EXPECT_EQ(traces.header("Content-Type"), "application/x-protobuf");
  EXPECT_TRUE(otlp::decode_protobuf<otlp::TraceResponse>(traces.body).ok());

  ASSERT_EQ(upstream_.request_count(), 2u);
  const auto received = upstream_.received();
  int records = 0;
  int spans = 0;
  for (const auto& r : received) {
    EXPECT_EQ(r.headers.at("authorization"), kCredential);
    EXPECT_TRUE(r.decode_error.empty()) << r.decode_error;
    for (const auto& rl : r.logs.resource_logs())
      for (const auto& sl : rl.scope_logs())
        for (const auto& record : sl.log_records()) {
          ++records;
          // The client's own enduser.id ("spoofed") is replaced, not kept beside it.
          EXPECT_EQ(attribute(record.attributes(), "enduser.id"), "user-42");
          int n = 0;
          for (const auto& kv : record.attributes())
            n += kv.key() == "enduser.id" ? 1 : 0;
          EXPECT_EQ(n, 1);
        }
    for (const auto& rs : r.traces.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& span : ss.spans()) {
          ++spans;
          EXPECT_EQ(attribute(span.attributes(), "enduser.id"), "user-42") << span.name();
        }
  }
  EXPECT_EQ(records, 3);
  EXPECT_EQ(spans, 2);
  EXPECT_EQ(daemon_->count("edgetraced_proxy_requests_total", {{"outcome", "forwarded"}}), 2);
  EXPECT_EQ(daemon_->count("edgetraced_proxy_items_forwarded_total", {{"signal", "logs"}}), 3);
}

TEST_F(ProxyE2e, EachBadTokenIsRefusedWithItsReasonCode) {
  const testing::TestKey rsa = testing::TestKey::generate_rsa("rsa-1");
  const testing::TestKey other_rsa = testing::TestKey::generate_rsa("rsa-2");
  write_file(dir_.file("jwks.json"), testing::jwks_json({&rsa}));
  start("", "");
  daemon_.reset();
  // Again with the JWKS beside the HS256 secret (both key sources at once).
  {
    std::ifstream in(dir_.file("edgetraced.toml"));
    std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    config.replace(config.find("[proxy.jwt]\n"), 12,
                   "[proxy.jwt]\njwks_file = \"" + dir_.file("jwks.json") + "\"\n");
    write_file(dir_.file("edgetraced.toml"), config);
    daemon_ = std::make_unique<DaemonProcess>(
        ET_EDGETRACED, std::vector<std::string>{"--config", dir_.file("edgetraced.toml")},
        dir_.file("edgetraced2.log"));
    ASSERT_TRUE(daemon_->started()) << daemon_->log();
    port_ = daemon_->port("proxy");
  }
  const std::int64_t now = unix_now();
  const testing::TestClaims good = claims_for("user-1");
  auto with = [&](auto change) {
    testing::TestClaims c = good;
    change(c);
    return c;
  };
  const std::string valid = hs256(good);
  // The payload of another token spliced under this one's signature.
  const std::string other_payload = hs256(with([](auto& c) { c.sub = "admin"; }));
  const std::string tampered =
      valid.substr(0, valid.find('.')) +
      other_payload.substr(other_payload.find('.'),
                           other_payload.rfind('.') - other_payload.find('.')) +
      valid.substr(valid.rfind('.'));
  struct Case {
    std::string name;
    std::string token;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"missing", "", "token_missing"},
      {"expired", hs256(with([&](auto& c) { c.exp = now - 60; })), "token_expired"},
      {"not yet valid", hs256(with([&](auto& c) { c.nbf = now + 60; })), "token_not_yet_valid"},
      {"wrong issuer", hs256(with([](auto& c) { c.iss = "https://evil.test"; })), "wrong_issuer"},
      {"wrong audience", hs256(with([](auto& c) { c.aud = "someone-else"; })), "wrong_audience"},
      {"wrong key", hs256(good, "another-secret-of-at-least-32-bytes!!"), "bad_signature"},
      {"unknown kid", testing::sign_rs256(header("RS256", "rsa-2"), good.json(), other_rsa),
       "unknown_kid"},
      {"rs256 by another key under a known kid",
       testing::sign_rs256(header("RS256", "rsa-1"), good.json(), other_rsa), "bad_signature"},
      {"tampered payload", tampered, "bad_signature"},
      {"alg none", testing::unsigned_token(header("none"), good.json()), "alg_none"},
      {"algorithm confusion",
       testing::sign_hs256(header("HS256", "rsa-1"), good.json(), rsa.public_pem), "bad_signature"},
      {"unknown algorithm", testing::sign_hs256(header("HS512"), good.json(), kSecret),
       "alg_unsupported"},
      {"oversized",
       hs256(with([](auto& c) { c.extra = "\"pad\":\"" + std::string(9000, 'a') + "\""; })),
       "token_too_large"},
      {"garbage", "not-a-jwt", "token_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RawResponse r = post("logs", logs_json(), c.token);
    EXPECT_EQ(r.status, 401) << r.head << r.body;
    EXPECT_EQ(r.body, "{\"error\":\"" + c.code + "\"}\n");
    if (!c.token.empty()) {
      EXPECT_EQ(r.body.find(c.token), std::string::npos);
    }
  }
  EXPECT_EQ(upstream_.request_count(), 0u);
  // The good token and the RS256 one from the JWKS pass.
  EXPECT_EQ(post("logs", logs_json(), valid).status, 200);
  EXPECT_EQ(
      post("logs", logs_json(), testing::sign_rs256(header("RS256", "rsa-1"), good.json(), rsa))
          .status,
      200);
  EXPECT_EQ(daemon_->count("edgetraced_proxy_requests_total", {{"outcome", "unauthorized"}}),
            static_cast<std::int64_t>(cases.size()));
}

TEST_F(ProxyE2e, BadBodiesAreRefusedAndNothingIsForwarded) {
  start("max_body_bytes = 65536\nmax_decompressed_bytes = 262144\nread_timeout = \"1s\"\n");
  const std::string token = token_for("user-7");
  // Malformed protobuf and JSON.
  EXPECT_EQ(
      post("traces", std::string("\x0a\xff\xff\xff\xff\x0f", 6), token, "application/x-protobuf")
          .status,
      400);
  EXPECT_EQ(post("logs", "{\"resourceLogs\":[{", token).status, 400);
  EXPECT_EQ(post("logs", logs_json(), token, "text/plain").status, 415);
  // Deep nesting: an AnyValue array nested 2,000 levels.
  std::string deep = R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":)";
  for (int i = 0; i < 2000; ++i)
    deep += R"({"arrayValue":{"values":[)";
  deep += R"({"stringValue":"x"})";
  for (int i = 0; i < 2000; ++i)
    deep += "]}}";
  deep += "}]}]}]}";
  ASSERT_LT(deep.size(), 65536u);
  EXPECT_EQ(post("logs", deep, token).status, 400);
  // A huge array inside the size limit decodes or is refused, never crashes.
  std::string huge = R"({"resourceLogs":[)";
  for (int i = 0; i < 20000; ++i)
    huge += i == 0 ? "{}" : ",{}";
  huge += "]}";
  const int huge_status = post("logs", huge, token).status;
  EXPECT_TRUE(huge_status == 200 || huge_status == 400) << huge_status;
  // gzip bomb: 8 MiB of zeros in a few KiB, over max_decompressed_bytes once inflated.
  const std::string bomb = edgetrace::testing::gzip_of_zeros(std::size_t{8} << 20);
  ASSERT_LT(bomb.size(), 65536u);
  EXPECT_EQ(post("logs", bomb, token, "application/json", {"Content-Encoding: gzip"}).status, 413);
  // Chunked body over the limit: 413 before it is all sent.
  {
    RawClient c(port_);
    ASSERT_TRUE(c.send("POST /api/v1/telemetry/logs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                       token +
                       "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
    const std::string chunk(32768, 'a');
    for (int i = 0; i < 3; ++i)
      c.send("8000\r\n" + chunk + "\r\n");
    std::optional<RawResponse> r = c.read_response();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 413);
  }
  // Oversized headers: 431.
  EXPECT_EQ(
      post("logs", logs_json(), token, "application/json", {"X-Filler: " + std::string(20000, 'f')})
          .status,
      431);
  // A slow client (half a request, then nothing) is closed by the read timeout.
  {
    RawClient c(port_);
    ASSERT_TRUE(c.send("POST /api/v1/telemetry/logs HTTP/1.1\r\nHost: x\r\nContent-Length: 100"));
    EXPECT_TRUE(c.wait_closed());
  }
  // Nothing reached the upstream (the huge request holds no record: nothing to forward).
  EXPECT_EQ(upstream_.request_count(), 0u);
  EXPECT_GE(daemon_->count("edgetraced_proxy_requests_total", {{"outcome", "malformed"}}), 2);
  EXPECT_GE(daemon_->count("edgetraced_proxy_body_too_large_total"), 2);
}

TEST_F(ProxyE2e, UpstreamFailuresGetTheirDocumentedStatus) {
  start();
  const std::string token = token_for("user-9");
  upstream_.script({Reply::http(401, "bad credential"), Reply::http(500, "boom"),
                    Reply::http(429).with_retry_after("7"), Reply::http(503).with_retry_after("3"),
                    Reply::ok().with_delay(3s)});
  RawResponse r401 = post("logs", logs_json(), token);
  EXPECT_EQ(r401.status, 502);
  EXPECT_EQ(r401.body, "{\"error\":\"upstream_failed\"}\n");
  EXPECT_EQ(post("logs", logs_json(), token).status, 502);
  RawResponse r429 = post("logs", logs_json(), token);
  EXPECT_EQ(r429.status, 429);
  EXPECT_EQ(r429.header("Retry-After"), "7");
  RawResponse r503 = post("logs", logs_json(), token);
  EXPECT_EQ(r503.status, 429);
  EXPECT_EQ(r503.header("Retry-After"), "3");
  // Slower than proxy.upstream.timeout (1 s).
  RawResponse slow = post("logs", logs_json(), token);
  EXPECT_EQ(slow.status, 502);
  EXPECT_EQ(slow.body, "{\"error\":\"upstream_unreachable\"}\n");
  // Down.
  upstream_.stop();
  RawResponse down = post("logs", logs_json(), token);
  EXPECT_EQ(down.status, 502);
  EXPECT_EQ(down.body, "{\"error\":\"upstream_unreachable\"}\n");
  EXPECT_EQ(daemon_->count("edgetraced_proxy_requests_total", {{"outcome", "forwarded"}}), 0);
  EXPECT_EQ(daemon_->count("edgetraced_proxy_requests_total", {{"outcome", "upstream_throttled"}}),
            2);
}

TEST_F(ProxyE2e, AddressLimitComesBeforeAuthenticationAndSubjectsHaveTheirOwn) {
  start("",
        "[proxy.rate_limit]\naddress_per_second = 0.001\naddress_burst = 4\n"
        "subject_per_second = 0.001\nsubject_burst = 2\n");
  const std::string alice = token_for("alice");
  const std::string bob = token_for("bob");
  // Alice spends her two; her third is refused; Bob still has his.
  EXPECT_EQ(post("logs", logs_json(), alice).status, 200);
  EXPECT_EQ(post("logs", logs_json(), alice).status, 200);
  RawResponse third = post("logs", logs_json(), alice);
  EXPECT_EQ(third.status, 429);
  EXPECT_FALSE(third.header("Retry-After").empty());
  EXPECT_EQ(post("logs", logs_json(), bob).status, 200);
  // The address bucket (4) is now empty: even a bad token gets 429, not 401, so anonymous
  // floods are refused before any signature check.
  RawResponse flood = post("logs", logs_json(), "garbage");
  EXPECT_EQ(flood.status, 429);
  EXPECT_EQ(
      daemon_->count("edgetraced_proxy_requests_total", {{"outcome", "rate_limited_subject"}}), 1);
  EXPECT_EQ(
      daemon_->count("edgetraced_proxy_requests_total", {{"outcome", "rate_limited_address"}}), 1);
  EXPECT_EQ(upstream_.request_count(), 3u);
}

TEST_F(ProxyE2e, GlobalLimitAppliesToEveryone) {
  start("", "[proxy.rate_limit]\nglobal_per_second = 0.001\nglobal_burst = 1\n");
  EXPECT_EQ(post("logs", logs_json(), token_for("a")).status, 200);
  RawResponse r = post("logs", logs_json(), token_for("b"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(daemon_->count("edgetraced_proxy_requests_total", {{"outcome", "rate_limited_global"}}),
            1);
}

TEST_F(ProxyE2e, CorsPreflightAndHeadersOnEveryAnswer) {
  start();
  RawResponse pre = send(port_, "OPTIONS", "/api/v1/telemetry/traces", "",
                         {"Origin: " + std::string(kOrigin), "Access-Control-Request-Method: POST",
                          "Access-Control-Request-Headers: authorization, content-type"});
  EXPECT_EQ(pre.status, 204) << pre.head;
  EXPECT_EQ(pre.header("Access-Control-Allow-Origin"), kOrigin);
  EXPECT_NE(pre.header("Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
  RawResponse other = send(port_, "OPTIONS", "/api/v1/telemetry/traces", "",
                           {"Origin: http://evil.test", "Access-Control-Request-Method: POST"});
  EXPECT_EQ(other.status, 403);
  EXPECT_TRUE(other.header("Access-Control-Allow-Origin").empty());
  RawResponse ok = post("logs", logs_json(), token_for("u"), "application/json",
                        {"Origin: " + std::string(kOrigin)});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.header("Access-Control-Allow-Origin"), kOrigin);
  // A refusal carries them too, so the page can read why.
  RawResponse refused =
      post("logs", logs_json(), "", "application/json", {"Origin: " + std::string(kOrigin)});
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.header("Access-Control-Allow-Origin"), kOrigin);
}

TEST_F(ProxyE2e, QueueModeAnswersOncePersistedAndExportsThroughTheQueue) {
  FakeOtlpHttpReceiver backend;
  start("mode = \"queue\"\n",
        "[exporters.otlp]\nendpoint = \"" + backend.url() + "\"\ntimeout = \"2s\"\n");
  EXPECT_EQ(post("logs", logs_json(2), token_for("queued-user")).status, 200);
  ASSERT_TRUE(backend.wait_for_requests(1, 10s));
  const auto r = backend.received();
  ASSERT_EQ(r[0].logs.resource_logs(0).scope_logs(0).log_records_size(), 2);
  EXPECT_EQ(
      attribute(r[0].logs.resource_logs(0).scope_logs(0).log_records(1).attributes(), "enduser.id"),
      "queued-user");
  EXPECT_EQ(upstream_.request_count(), 0u);
}

}  // namespace
// Many clients at once (forward mode merges the requests that wait for the upstream into
// one upstream request): every client is answered 200, every record reaches the upstream
// exactly once, stamped with its own client's subject, whatever batch it went in.
TEST_F(ProxyE2e, ConcurrentClientsAreEachForwardedWithTheirOwnSubject) {
  start("",
        "[proxy.rate_limit]\naddress_per_second = 100000.0\naddress_burst = 100000.0\n"
        "subject_per_second = 100000.0\nsubject_burst = 100000.0\n");
  constexpr int kClients = 16;
  constexpr int kRequests = 10;
  std::vector<std::string> tokens;
  for (int c = 0; c < kClients; ++c)
    tokens.push_back(token_for("user-" + std::to_string(c)));
  std::vector<int> failures(kClients, 0);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&, c] {
      for (int i = 0; i < kRequests; ++i) {
        const std::string body =
            R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":")" +
            std::to_string(c) + "/" + std::to_string(i) + R"("}}]}]}]})";
        RawResponse r =
            send(port_, "POST", "/api/v1/telemetry/logs", body,
                 {"Content-Type: application/json", "Authorization: Bearer " + tokens[c]});
        failures[c] += r.status == 200 ? 0 : 1;
      }
    });
  for (std::thread& t : clients)
    t.join();
  for (const std::string& t : tokens)
    used_tokens_.push_back(t);
  for (int c = 0; c < kClients; ++c)
    EXPECT_EQ(failures[c], 0) << "client " << c;

  std::map<std::string, int> seen;  // "c/i" -> times received
  for (const auto& r : upstream_.received())
    for (const auto& rl : r.logs.resource_logs())
      for (const auto& sl : rl.scope_logs())
        for (const auto& record : sl.log_records()) {
          const std::string& text = record.body().string_value();
          ++seen[text];
          EXPECT_EQ(attribute(record.attributes(), "enduser.id"),
                    "user-" + text.substr(0, text.find('/')))
              << text;
        }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kClients * kRequests));
  for (const auto& [text, n] : seen)
    EXPECT_EQ(n, 1) << text;
  EXPECT_LE(upstream_.request_count(), static_cast<std::size_t>(kClients * kRequests));
  EXPECT_EQ(daemon_->count("edgetraced_proxy_items_forwarded_total", {{"signal", "logs"}}),
            kClients * kRequests);
}

}  // namespace edgetrace::daemon
