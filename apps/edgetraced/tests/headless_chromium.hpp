// HeadlessChromium: the system's Chromium in headless mode, driven through chromedriver's W3C
// WebDriver HTTP API, for end-to-end tests of pages (the browser example, the web viewer).
//
//   testing::TempDir dir("edgetraced-viewer");
//   HeadlessChromium browser(ET_CHROMEDRIVER, ET_CHROMIUM, dir);   // chromedriver + session
//   ASSERT_TRUE(browser.ready()) << browser.error();
//   ASSERT_EQ(browser.navigate("http://127.0.0.1:8080/"), "");
//   std::string row = browser.wait_for("[data-testid=span-row]", 20s);   // element id
//   ASSERT_TRUE(browser.click(row));
//   std::optional<std::string> png = browser.screenshot_png();
//
// chromedriver runs as a child process (DaemonProcess) on a port of its own, its output
// (the INFO log: every command and answer) in `dir`; the session is closed and chromedriver
// stopped by the destructor. Each call is one HTTP/1.1 request on a new connection to
// 127.0.0.1 and blocks until chromedriver answers or its deadline passes. Waiting for the page
// happens in the page (execute_async with a MutationObserver), never by polling from here.
//
// Thread-safety: one test thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "testing/temp_dir.hpp"
#include "tests/daemon_process.hpp"

namespace edgetrace::daemon::testing {

struct HeadlessChromiumOptions {
  // The window's inner size (--window-size): a laptop screen by default.
  int width = 1366;
  int height = 768;
};

class HeadlessChromium {
 public:
  HeadlessChromium(const std::string& chromedriver, const std::string& chromium,
                   const edgetrace::testing::TempDir& dir, HeadlessChromiumOptions options = {});
  // Closes the session (Chromium), then stops chromedriver.
  ~HeadlessChromium();
  HeadlessChromium(const HeadlessChromium&) = delete;
  HeadlessChromium& operator=(const HeadlessChromium&) = delete;

  bool ready() const { return !session_.empty(); }
  // Why there is no session (or chromedriver's output).
  std::string error() const { return error_.empty() ? driver_->log() : error_; }

  // One WebDriver command on the session: `path` after "/session/<id>" ("" for the session
  // itself). {HTTP status, body}; status 0 when chromedriver could not be reached.
  std::pair<int, std::string> command(
      std::string_view method, std::string_view path, std::string_view body,
      std::chrono::milliseconds deadline = std::chrono::seconds(30));

  // Sets the script and page-load timeouts; false on failure.
  bool set_timeouts(std::chrono::milliseconds script, std::chrono::milliseconds page_load);
  // Opens `url` and waits for its load event: "" on success, else the error.
  std::string navigate(std::string_view url);

  // Runs `script` (a function body; `args_json` a JSON array) in the page: the JSON of what
  // it returned, or nullopt (then last_error() says why).
  std::optional<std::string> execute(std::string_view script, std::string_view args_json = "[]");
  // As execute, for a script whose last argument is a callback it calls with the result;
  // waits up to the script timeout (set_timeouts) plus `deadline` for chromedriver.
  std::optional<std::string> execute_async(
      std::string_view script, std::string_view args_json = "[]",
      std::chrono::milliseconds deadline = std::chrono::seconds(120));
  // execute() of a script returning a string: that string.
  std::optional<std::string> execute_string(std::string_view script,
                                            std::string_view args_json = "[]");

  // The element id of the first element matching `css`, waiting (in the page, on DOM
  // mutations) up to `timeout` for it to exist and be rendered; "" when none came.
  std::string wait_for(std::string_view css, std::chrono::milliseconds timeout);
  // The element id of the first match now; "" when none.
  std::string find(std::string_view css);
  bool click(const std::string& element);
  // Types `text` into the element (WebDriver key codes such as "\uE007" for Enter allowed).
  bool send_keys(const std::string& element, std::string_view text);
  // Presses and releases one key on whatever has the focus (WebDriver actions): a character,
  // or a WebDriver key code such as "\uE013" (ArrowUp).
  bool press(std::string_view key);
  // The element's rendered text; nullopt on error.
  std::optional<std::string> text(const std::string& element);
  // The page as a PNG (the screenshot command's base64, decoded); nullopt on error.
  std::optional<std::string> screenshot_png();

  // The browser's console and network messages since the session began, one a line
  // (WebDriver hands out each message once; they are kept here).
  std::string console();
  // What chromedriver printed.
  std::string driver_output() const { return driver_->log(); }
  // The error of the last call that failed.
  const std::string& last_error() const { return last_error_; }

 private:
  std::pair<int, std::string> call(std::string_view method, const std::string& path,
                                   std::string_view body, std::chrono::milliseconds deadline);
  // The "value" of an answer, as JSON; nullopt (last_error_ set) when it is not a success.
  std::optional<std::string> value_of(std::string_view what,
                                      const std::pair<int, std::string>& answer);
  std::string element_id(std::string_view what, const std::pair<int, std::string>& answer);

  std::unique_ptr<DaemonProcess> driver_;  // never null after the constructor
  std::uint16_t port_ = 0;
  std::string session_;
  std::string error_;
  std::string console_;
  std::string last_error_;
  std::chrono::milliseconds script_timeout_{30000};
};

// The JSON string literal of `text` (quotes included), for building command bodies.
std::string json_quote(std::string_view text);

// Standard base64 (RFC 4648, padding optional) decoded; nullopt on a character outside it.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace edgetrace::daemon::testing
