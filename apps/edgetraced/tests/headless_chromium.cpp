#include "tests/headless_chromium.hpp"

#include <simdjson.h>

#include <cstdlib>
#include <vector>

#include "edgetrace/core/json.hpp"
#include "net/net_test_support.hpp"

namespace edgetrace::daemon::testing {
namespace {

using namespace std::chrono_literals;

// The key under which W3C WebDriver names an element in JSON.
constexpr std::string_view kElementKey = "element-6066-11e4-a52e-4f735466cecf";

std::string minified(simdjson::dom::element element) {
  return simdjson::minify(element);
}

}  // namespace

std::string json_quote(std::string_view text) {
  std::string out;
  core::append_json_string(out, text, core::JsonEscape::kShortForms);
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return out;
}

HeadlessChromium::HeadlessChromium(const std::string& chromedriver, const std::string& chromium,
                                   const edgetrace::testing::TempDir& dir,
                                   HeadlessChromiumOptions options) {
  // "ChromeDriver was started successfully on port 41234."
  constexpr std::string_view kStarted = "started successfully on port ";
  std::string out;
  std::size_t at = std::string::npos;
  // With --port=0 chromedriver takes a free IPv6 port and then binds IPv4 to the same number,
  // which another process may hold ("IPv4 port not available. Exiting..."): start it again.
  for (int attempt = 1; attempt <= 5; ++attempt) {
    driver_ = std::make_unique<DaemonProcess>(
        chromedriver, std::vector<std::string>{"--port=0", "--log-level=INFO"},
        dir.file("chromedriver." + std::to_string(attempt) + ".out"));
    out = driver_->log();
    at = out.find(kStarted);
    if ((driver_->started() && at != std::string::npos) ||
        out.find("port not available") == std::string::npos)
      break;
  }
  if (!driver_->started() || at == std::string::npos) {
    error_ = "chromedriver did not start: " + out;
    return;
  }
  port_ = static_cast<std::uint16_t>(std::strtoul(out.c_str() + at + kStarted.size(), nullptr, 10));
  const std::string window =
      "--window-size=" + std::to_string(options.width) + "," + std::to_string(options.height);
  const std::string capabilities =
      R"({"capabilities":{"alwaysMatch":{"browserName":"chrome",)"
      R"("goog:loggingPrefs":{"browser":"ALL"},"goog:chromeOptions":{"binary":)" +
      json_quote(chromium) +
      R"(,"args":["--headless=new","--no-sandbox","--disable-gpu","--disable-dev-shm-usage",)"
      R"("--no-proxy-server","--disable-background-networking","--no-first-run",)" +
      json_quote(window) + "]}}}}";
  const auto [status, body] = call("POST", "/session", capabilities, 60s);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view id;
  if (status == 200 && !parser.parse(body).get(doc) && !doc["value"]["sessionId"].get(id))
    session_ = "/session/" + std::string(id);
  else
    error_ = "new session: " + std::to_string(status) + " " + body;
}

HeadlessChromium::~HeadlessChromium() {
  if (!session_.empty())
    (void)call("DELETE", session_, "", 30s);
  if (driver_->running())
    (void)driver_->terminate();
}

std::pair<int, std::string> HeadlessChromium::command(std::string_view method,
                                                      std::string_view path, std::string_view body,
                                                      std::chrono::milliseconds deadline) {
  return call(method, session_ + std::string(path), body, deadline);
}

std::pair<int, std::string> HeadlessChromium::call(std::string_view method, const std::string& path,
                                                   std::string_view body,
                                                   std::chrono::milliseconds deadline) {
  net::testing_support::RawClient client(port_);
  if (!client.connected())
    return {0, "chromedriver: cannot connect"};
  std::string request = std::string(method) + " " + path +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                        "Content-Type: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
  if (!client.send(request))
    return {0, "chromedriver: send failed"};
  std::optional<net::testing_support::RawResponse> response = client.read_response(deadline);
  if (!response)
    return {0, "chromedriver: no answer"};
  return {response->status, std::move(response->body)};
}

std::optional<std::string> HeadlessChromium::value_of(std::string_view what,
                                                      const std::pair<int, std::string>& answer) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::element value;
  if (answer.first == 200 && !parser.parse(answer.second).get(doc) && !doc["value"].get(value))
    return minified(value);
  last_error_ = std::string(what) + ": " + std::to_string(answer.first) + " " + answer.second;
  return std::nullopt;
}

std::string HeadlessChromium::element_id(std::string_view what,
                                         const std::pair<int, std::string>& answer) {
  const std::optional<std::string> value = value_of(what, answer);
  if (!value)
    return {};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view id;
  if (parser.parse(*value).get(doc) || doc[kElementKey].get(id)) {
    last_error_ = std::string(what) + ": no element in " + *value;
    return {};
  }
  return std::string(id);
}

bool HeadlessChromium::set_timeouts(std::chrono::milliseconds script,
                                    std::chrono::milliseconds page_load) {
  const std::string body = R"({"script":)" + std::to_string(script.count()) + R"(,"pageLoad":)" +
                           std::to_string(page_load.count()) + "}";
  if (!value_of("timeouts", command("POST", "/timeouts", body)))
    return false;
  script_timeout_ = script;
  return true;
}

std::string HeadlessChromium::navigate(std::string_view url) {
  if (!value_of("navigate", command("POST", "/url", R"({"url":)" + json_quote(url) + "}", 90s)))
    return last_error_;
  return {};
}

std::optional<std::string> HeadlessChromium::execute(std::string_view script,
                                                     std::string_view args_json) {
  return value_of("execute", command("POST", "/execute/sync",
                                     R"({"script":)" + json_quote(script) + R"(,"args":)" +
                                         std::string(args_json) + "}"));
}

std::optional<std::string> HeadlessChromium::execute_async(std::string_view script,
                                                           std::string_view args_json,
                                                           std::chrono::milliseconds deadline) {
  return value_of("execute/async", command("POST", "/execute/async",
                                           R"({"script":)" + json_quote(script) + R"(,"args":)" +
                                               std::string(args_json) + "}",
                                           script_timeout_ + deadline));
}

std::optional<std::string> HeadlessChromium::execute_string(std::string_view script,
                                                            std::string_view args_json) {
  const std::optional<std::string> value = execute(script, args_json);
  if (!value)
    return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view text;
  if (parser.parse(*value).get(doc) || doc.get(text)) {
    last_error_ = "execute: not a string: " + *value;
    return std::nullopt;
  }
  return std::string(text);
}

std::string HeadlessChromium::wait_for(std::string_view css, std::chrono::milliseconds timeout) {
  // Resolves with the element once it exists and has a layout box (not hidden), or with
  // null at the timeout; watches DOM mutations, attributes included (hidden, aria-*).
  constexpr std::string_view kWait = R"(
    const [css, ms, done] = arguments;
    const match = () => {
      for (const e of document.querySelectorAll(css))
        if (e.getClientRects().length) return e;
      return null;
    };
    const found = match();
    if (found) { done(found); return; }
    const observer = new MutationObserver(() => {
      const e = match();
      if (e) { observer.disconnect(); clearTimeout(timer); done(e); }
    });
    const timer = setTimeout(() => { observer.disconnect(); done(null); }, ms);
    observer.observe(document.documentElement,
                     {subtree: true, childList: true, attributes: true, characterData: true});
  )";
  const std::string args = "[" + json_quote(css) + "," + std::to_string(timeout.count()) + "]";
  if (timeout + 5s > script_timeout_ && !set_timeouts(timeout + 5s, 60s))
    return {};
  const std::optional<std::string> value = execute_async(kWait, args, timeout + 30s);
  if (!value)
    return {};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view id;
  if (parser.parse(*value).get(doc) || doc[kElementKey].get(id)) {
    last_error_ =
        "no element " + std::string(css) + " within " + std::to_string(timeout.count()) + " ms";
    return {};
  }
  return std::string(id);
}

std::string HeadlessChromium::find(std::string_view css) {
  return element_id(
      "find " + std::string(css),
      command("POST", "/element", R"({"using":"css selector","value":)" + json_quote(css) + "}"));
}

bool HeadlessChromium::click(const std::string& element) {
  return value_of("click", command("POST", "/element/" + element + "/click", "{}")).has_value();
}

bool HeadlessChromium::send_keys(const std::string& element, std::string_view text) {
  return value_of("send keys", command("POST", "/element/" + element + "/value",
                                       R"({"text":)" + json_quote(text) + "}"))
      .has_value();
}

bool HeadlessChromium::press(std::string_view key) {
  const std::string k = json_quote(key);
  const std::string actions = R"({"actions":[{"type":"key","id":"keyboard","actions":[)"
                              R"({"type":"keyDown","value":)" +
                              k + R"(},{"type":"keyUp","value":)" + k + "}]}]}";
  return value_of("press", command("POST", "/actions", actions)).has_value();
}

std::optional<std::string> HeadlessChromium::text(const std::string& element) {
  const std::optional<std::string> value =
      value_of("text", command("GET", "/element/" + element + "/text", ""));
  if (!value)
    return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view text;
  if (parser.parse(*value).get(doc) || doc.get(text))
    return std::nullopt;
  return std::string(text);
}

std::optional<std::string> HeadlessChromium::screenshot_png() {
  const std::optional<std::string> value =
      value_of("screenshot", command("GET", "/screenshot", ""));
  if (!value)
    return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view b64;
  if (parser.parse(*value).get(doc) || doc.get(b64)) {
    last_error_ = "screenshot: not a string";
    return std::nullopt;
  }
  return base64_decode(b64);
}

std::string HeadlessChromium::console() {
  const auto [status, body] = command("POST", "/se/log", R"({"type":"browser"})");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array entries;
  if (status != 200 || parser.parse(body).get(doc) || doc["value"].get(entries))
    return console_ + "(no more browser log: " + std::to_string(status) + " " + body + ")";
  for (simdjson::dom::element entry : entries) {
    std::string_view message;
    if (!entry["message"].get(message))
      console_.append(message).push_back('\n');
  }
  return console_;
}

}  // namespace edgetrace::daemon::testing
