// End-to-end: the browser example (examples/browser: the OpenTelemetry JS SDK bundled with
// esbuild) in headless Chromium sends a trace and two log records through edgetraced's
// authenticated proxy to a fake OTLP upstream (FakeOtlpHttpReceiver).
//
// Real parts only: the page is served by a net::HttpServer on a port of its own, so it is
// another origin than the proxy and Chromium sends a CORS preflight before each POST that
// carries Authorization; Chromium is driven through chromedriver's WebDriver HTTP API (the
// Debian packages, versions matched); the token is an HS256 JWT (proxy/jwt_testing.hpp) for the
// subject "user-42"; the daemon forwards with the credential of its header_file. The token reaches
// the page through config.js, never through a URL, so no driver log has a reason to hold it.
//
// Checked: the upstream gets the spans "checkout" and "load-cart" and the INFO and ERROR log
// records, each with enduser.id = "user-42"; the upstream sees the daemon's credential and
// never the token; the proxy answers the preflight for the page's origin only; a page from an
// origin that is not allowed, and a page holding a token signed with another key, deliver
// nothing; and neither the token, the signing secret nor the upstream credential appear in the
// daemon's output, chromedriver's output or the browser's console.
//
// The bundle is built by the ctest fixture et_browser_example (tests/browser.cmake runs
// examples/browser/build.sh into ET_BROWSER_EXAMPLE_DIR).
#include <gtest/gtest.h>

#include <simdjson.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/json.hpp"
#include "edgetrace/net/http_server.hpp"
#include "proxy/jwt_testing.hpp"
#include "testing/fake_http_receiver.hpp"
#include "testing/temp_dir.hpp"
#include "tests/daemon_process.hpp"
#include "tests/headless_chromium.hpp"

namespace edgetrace::daemon {
namespace {

using edgetrace::testing::FakeOtlpHttpReceiver;
using edgetrace::testing::ReceivedRequest;
using edgetrace::testing::TempDir;
using testing::DaemonProcess;
using testing::HeadlessChromium;
using namespace std::chrono_literals;

constexpr std::string_view kSubject = "user-42";
constexpr std::string_view kSigningSecret = "browser-example-hs256-secret-3f9a1c";
constexpr std::string_view kUpstreamCredential = "upstream-credential-8d27e4b1";

// Generous: reached only when something is broken (the page's exports retry for ~10 s).
constexpr std::chrono::milliseconds kPageDeadline = 90s;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string json_string(std::string_view text) {
  std::string out;
  core::append_json_string(out, text, core::JsonEscape::kShortForms);
  return out;
}

// An HS256 token for `subject`, valid for an hour, as a dev token is minted.
std::string hs256_token(std::string_view secret, std::string_view subject) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  testing::TestClaims claims;
  claims.sub = std::string(subject);
  claims.iat = now;
  claims.exp = now + 3600;
  testing::TestHeader header;
  header.alg = "HS256";
  return testing::sign_hs256(header, claims.json(), secret);
}

// ---- the page's origin: a static site on its own port ----

// Serves the example's index.html and main.js from the bundle directory, and a config.js
// the test writes (the proxy URL and the token). Everything else is 404.
class StaticSite {
 public:
  explicit StaticSite(const std::filesystem::path& bundle) {
    files_["/index.html"] = {"text/html; charset=utf-8", read_file(bundle / "index.html")};
    files_["/main.js"] = {"text/javascript; charset=utf-8", read_file(bundle / "main.js")};
    net::HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.io_threads = 1;
    server_ = std::make_unique<net::HttpServer>(options);
    server_->route_prefix("GET", "/", net::sync_handler([this](net::Request&& request) {
                            const std::lock_guard lock(mu_);
                            auto it = files_.find(request.path);
                            if (it == files_.end())
                              return net::Response::text(404, "not found\n");
                            net::Response response;
                            response.content_type = it->second.content_type;
                            response.body = it->second.body;
                            return response;
                          }));
    started_ = server_->start();
  }

  bool started() const {
    const std::lock_guard lock(mu_);
    return started_.ok() && !files_.at("/main.js").body.empty();
  }
  std::string origin() const { return server_->url(); }
  void set_config(std::string_view proxy_url, std::string_view token) {
    const std::lock_guard lock(mu_);
    files_["/config.js"] = {"text/javascript; charset=utf-8",
                            "window.edgetraceExample = {proxy: " + json_string(proxy_url) +
                                ", token: " + json_string(token) + "};\n"};
  }

 private:
  struct File {
    std::string content_type;
    std::string body;
  };
  mutable std::mutex mu_;
  std::map<std::string, File, std::less<>> files_;
  std::unique_ptr<net::HttpServer> server_;
  core::Status started_;
};

// ---- headless Chromium through chromedriver (tests/headless_chromium.hpp) ----

// Opens `url` and waits (in the page: a MutationObserver, no polling) until the example
// reports "done" or "failed: ..."; returns that text, or why there is none.
std::string run_page(HeadlessChromium& browser, const std::string& url) {
  if (!browser.set_timeouts(kPageDeadline, 60s))
    return "timeouts: " + browser.last_error();
  if (std::string error = browser.navigate(url); !error.empty())
    return "navigate: " + error;
  constexpr std::string_view kWait = R"(
    const finish = arguments[0];
    const settled = () => document.title === "done" || document.title.startsWith("failed");
    if (settled()) { finish(document.title); return; }
    new MutationObserver((changes, observer) => {
      if (settled()) { observer.disconnect(); finish(document.title); }
    }).observe(document.documentElement, {subtree: true, childList: true, characterData: true});
  )";
  const std::optional<std::string> title = browser.execute_async(kWait, "[]", 30s);
  if (!title)
    return "wait: " + browser.last_error();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view text;
  if (!parser.parse(*title).get(doc) && !doc.get(text))
    return std::string(text);
  return "wait: " + *title;
}

// ---- what the upstream received ----

bool has_user(const google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>&
                  attributes) {
  for (const auto& kv : attributes) {
    if (kv.key() == "enduser.id")
      return kv.value().string_value() == kSubject;
  }
  return false;
}

std::string resource_service(const opentelemetry::proto::resource::v1::Resource& resource) {
  for (const auto& kv : resource.attributes()) {
    if (kv.key() == "service.name")
      return kv.value().string_value();
  }
  return {};
}

struct Span {
  std::string trace_id, span_id, parent_span_id, service;
  bool user = false;  // the attribute enduser.id = kSubject (the proxy stamps each record)
};
struct Log {
  std::string body, severity_text, trace_id, span_id, service;
  int severity = 0;
  bool user = false;
};
struct Upstream {
  std::map<std::string, Span> spans;  // by name
  std::map<std::string, Log> logs;    // by body
  std::size_t requests = 0;
  std::set<std::string> paths;
  std::vector<std::string> problems;  // decode errors, duplicates
};

Upstream upstream(const FakeOtlpHttpReceiver& rx) {
  Upstream out;
  for (const ReceivedRequest& r : rx.received()) {
    ++out.requests;
    out.paths.insert(r.path);
    if (!r.decode_error.empty())
      out.problems.push_back(r.path + ": " + r.decode_error);
    for (const auto& rs : r.traces.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& s : ss.spans()) {
          Span span{s.trace_id(), s.span_id(), s.parent_span_id(), resource_service(rs.resource()),
                    has_user(s.attributes())};
          if (!out.spans.emplace(s.name(), span).second)
            out.problems.push_back("span " + s.name() + " twice");
        }
      }
    }
    for (const auto& rl : r.logs.resource_logs()) {
      for (const auto& sl : rl.scope_logs()) {
        for (const auto& l : sl.log_records()) {
          Log log{l.body().string_value(),
                  l.severity_text(),
                  l.trace_id(),
                  l.span_id(),
                  resource_service(rl.resource()),
                  static_cast<int>(l.severity_number()),
                  has_user(l.attributes())};
          if (!out.logs.emplace(log.body, log).second)
            out.problems.push_back("log record " + log.body + " twice");
        }
      }
    }
  }
  return out;
}

// ---- the daemon ----

// edgetraced with only its admin listener and the proxy (no fixed port, so tests and other
// daemons run side by side): the page's origin allowed, the
// upstream `rx`, header_file holding the upstream credential, tokens signed with
// kSigningSecret.
std::unique_ptr<DaemonProcess> start_daemon(const TempDir& dir, const FakeOtlpHttpReceiver& rx,
                                            const std::string& allowed_origin) {
  write_file(dir.file("jwt.secret"), kSigningSecret);
  write_file(dir.file("upstream-headers.txt"),
             "Authorization: Bearer " + std::string(kUpstreamCredential) + "\n");
  const std::string config =
      "shutdown_timeout = \"5s\"\n"
      "[admin]\nlisten = \"127.0.0.1:0\"\n"
      "[symbols]\nstore = " +
      json_string(dir.file("symbols")) +
      "\n"
      "[receivers.device_tcp]\nlisten = \"\"\n"
      "[receivers.otlp]\nhttp = \"\"\ngrpc = \"\"\n"
      "[queue]\ndir = " +
      json_string(dir.file("queue")) +
      "\n"
      "[proxy]\nlisten = \"127.0.0.1:0\"\nmode = \"forward\"\n"
      "[proxy.upstream]\nendpoint = " +
      json_string(rx.url()) + "\nheader_file = " + json_string(dir.file("upstream-headers.txt")) +
      "\n"
      "[proxy.jwt]\nhs256_secret_file = " +
      json_string(dir.file("jwt.secret")) +
      "\n"
      "[proxy.cors]\nallowed_origins = [" +
      json_string(allowed_origin) + "]\n";
  write_file(dir.file("edgetraced.toml"), config);
  return std::make_unique<DaemonProcess>(
      ET_EDGETRACED, std::vector<std::string>{"--config", dir.file("edgetraced.toml")},
      dir.file("edgetraced.log"));
}

// The secrets of this test that must never be printed.
void expect_no_secret(std::string_view what, std::string_view text, std::string_view token) {
  EXPECT_EQ(text.find(token), std::string_view::npos) << what << " holds the token";
  EXPECT_EQ(text.find(kSigningSecret), std::string_view::npos) << what << " holds the secret";
  EXPECT_EQ(text.find(kUpstreamCredential), std::string_view::npos)
      << what << " holds the upstream credential";
}

// One run: the upstream, the static site, the daemon and the browser, each on its own port.
struct Scene {
  TempDir dir{"edgetraced-browser"};
  FakeOtlpHttpReceiver rx;
  StaticSite site{ET_BROWSER_EXAMPLE_DIR};
  std::unique_ptr<DaemonProcess> daemon;
  std::unique_ptr<HeadlessChromium> browser;
  std::string proxy_url;

  // Starts everything; `allowed_origin` empty: the page's own origin.
  void start(std::string allowed_origin = "") {
    ASSERT_TRUE(site.started()) << "no bundle in " << ET_BROWSER_EXAMPLE_DIR
                                << " (ctest fixture et_browser_example: examples/browser/build.sh)";
    daemon = start_daemon(dir, rx, allowed_origin.empty() ? site.origin() : allowed_origin);
    ASSERT_TRUE(daemon->started()) << daemon->log();
    ASSERT_NE(daemon->port("proxy"), 0) << daemon->log();
    proxy_url = "http://127.0.0.1:" + std::to_string(daemon->port("proxy"));
    browser = std::make_unique<HeadlessChromium>(ET_CHROMEDRIVER, ET_CHROMIUM, dir);
    ASSERT_TRUE(browser->ready()) << browser->error();
  }

  // Serves config.js with `token` and runs the page: "done" or "failed: ...".
  std::string open_page(const std::string& token) {
    site.set_config(proxy_url, token);
    return run_page(*browser, site.origin() + "/index.html");
  }

  // Stops the daemon (a clean exit), then checks every output of the run (the daemon's
  // whole log, chromedriver, the browser's console) for the secrets.
  void finish(const std::string& token) {
    EXPECT_EQ(daemon->terminate(), 0) << daemon->log();
    expect_no_secret("the daemon's output", daemon->log(), token);
    expect_no_secret("chromedriver's output", browser->driver_output(), token);
    expect_no_secret("the browser's console", browser->console(), token);
  }
};

TEST(BrowserProxyTest, PageTelemetryReachesTheUpstreamAsTheTokensUser) {
  Scene scene;
  ASSERT_NO_FATAL_FAILURE(scene.start());
  const std::string token = hs256_token(kSigningSecret, kSubject);

  const std::string outcome = scene.open_page(token);
  ASSERT_EQ(outcome, "done") << "browser:\n"
                             << scene.browser->console() << "daemon:\n"
                             << scene.daemon->log();

  // The page resolves its flushes only once the proxy answered, and the proxy answers (in
  // forward mode) only after the upstream did: everything is there now.
  const Upstream got = upstream(scene.rx);
  EXPECT_TRUE(got.problems.empty()) << ::testing::PrintToString(got.problems);
  EXPECT_EQ(got.paths, (std::set<std::string>{"/v1/traces", "/v1/logs"}));
  ASSERT_EQ(got.spans.size(), 2u);
  ASSERT_TRUE(got.spans.contains("checkout"));
  ASSERT_TRUE(got.spans.contains("load-cart"));
  const Span& checkout = got.spans.at("checkout");
  const Span& load_cart = got.spans.at("load-cart");
  EXPECT_EQ(load_cart.trace_id, checkout.trace_id);
  EXPECT_EQ(load_cart.parent_span_id, checkout.span_id);
  EXPECT_TRUE(checkout.parent_span_id.empty());
  for (const auto& [name, span] : got.spans) {
    EXPECT_TRUE(span.user) << name << " has no enduser.id = " << kSubject;
    EXPECT_EQ(span.service, "edgetrace-browser-example") << name;
  }

  ASSERT_EQ(got.logs.size(), 2u);
  ASSERT_TRUE(got.logs.contains("cart loaded"));
  ASSERT_TRUE(got.logs.contains("payment declined"));
  EXPECT_EQ(got.logs.at("cart loaded").severity, 9);  // SEVERITY_NUMBER_INFO
  EXPECT_EQ(got.logs.at("cart loaded").severity_text, "INFO");
  EXPECT_EQ(got.logs.at("payment declined").severity, 17);  // SEVERITY_NUMBER_ERROR
  EXPECT_EQ(got.logs.at("payment declined").severity_text, "ERROR");
  for (const auto& [body, log] : got.logs) {
    EXPECT_TRUE(log.user) << body << " has no enduser.id = " << kSubject;
    EXPECT_EQ(log.service, "edgetrace-browser-example") << body;
    EXPECT_EQ(log.trace_id, checkout.trace_id) << body;  // emitted inside "load-cart"
    EXPECT_EQ(log.span_id, load_cart.span_id) << body;
  }

  // The upstream saw the daemon's credential and never the browser's token.
  for (const ReceivedRequest& r : scene.rx.received()) {
    EXPECT_EQ(r.headers.count("authorization"), 1u) << r.path;
    if (r.headers.count("authorization") == 1) {
      EXPECT_EQ(r.headers.at("authorization"), "Bearer " + std::string(kUpstreamCredential));
    }
    for (const auto& [name, value] : r.headers)
      EXPECT_EQ(value.find(token), std::string::npos) << r.path << " header " << name;
    EXPECT_EQ(r.traces.DebugString().find(token), std::string::npos) << r.path;
    EXPECT_EQ(r.logs.DebugString().find(token), std::string::npos) << r.path;
  }

  // The daemon's own count: one request forwarded per signal, every item, and one preflight
  // per path (Authorization is not a CORS-safelisted header, so Chromium asked first).
  const DaemonProcess& d = *scene.daemon;
  EXPECT_EQ(d.count("edgetraced_proxy_requests_total", {{"outcome", "forwarded"}}), 2);
  EXPECT_EQ(d.count("edgetraced_proxy_requests_total"), 2);
  EXPECT_EQ(d.count("edgetraced_proxy_items_forwarded_total", {{"signal", "traces"}}), 2);
  EXPECT_EQ(d.count("edgetraced_proxy_items_forwarded_total", {{"signal", "logs"}}), 2);
  EXPECT_EQ(d.count("edgetraced_proxy_cors_preflights_total"), 2);

  // The proxy's preflight answer, for the page's origin and for another.
  const auto preflight = [&](const std::string& origin) {
    return d.http(d.port("proxy"), "OPTIONS", "/api/v1/telemetry/traces", "",
                  {"Origin: " + origin, "Access-Control-Request-Method: POST",
                   "Access-Control-Request-Headers: authorization,content-type"});
  };
  EXPECT_EQ(preflight(scene.site.origin()).first, 204);
  EXPECT_EQ(preflight("http://evil.example").first, 403);
  EXPECT_EQ(d.count("edgetraced_proxy_cors_preflights_total"), 4);

  scene.finish(token);
}

TEST(BrowserProxyTest, PageFromAnOriginNotAllowedDeliversNothing) {
  Scene scene;
  ASSERT_NO_FATAL_FAILURE(scene.start("http://127.0.0.1:1"));  // not the page's origin
  const std::string token = hs256_token(kSigningSecret, kSubject);

  const std::string outcome = scene.open_page(token);
  EXPECT_TRUE(outcome.starts_with("failed: ")) << outcome;
  EXPECT_EQ(scene.rx.request_count(), 0u);
  // Chromium asked (and asks again on each of the exporter's retries), was refused, and
  // sent no POST.
  EXPECT_GE(scene.daemon->count("edgetraced_proxy_cors_preflights_total"), 2);
  EXPECT_EQ(scene.daemon->count("edgetraced_proxy_requests_total"), 0);
  scene.finish(token);
}

TEST(BrowserProxyTest, PageWithATokenOfAnotherKeyDeliversNothing) {
  Scene scene;
  ASSERT_NO_FATAL_FAILURE(scene.start());
  const std::string token = hs256_token("another-key-entirely-0c4b", kSubject);

  const std::string outcome = scene.open_page(token);
  EXPECT_TRUE(outcome.starts_with("failed: ")) << outcome;
  EXPECT_NE(outcome.find("401"), std::string::npos) << outcome;
  EXPECT_EQ(scene.rx.request_count(), 0u);
  // One POST per signal, each refused (401 is not retried).
  const DaemonProcess& d = *scene.daemon;
  EXPECT_EQ(d.count("edgetraced_proxy_requests_total", {{"outcome", "unauthorized"}}), 2);
  EXPECT_EQ(d.count("edgetraced_proxy_requests_total"), 2);
  EXPECT_EQ(d.count("edgetraced_proxy_tokens_rejected_total", {{"reason", "bad_signature"}}), 2);
  scene.finish(token);
}

}  // namespace
}  // namespace edgetrace::daemon
