// End-to-end: the web viewer (apps/edgetraced/ui/static, embedded in the binary) in headless
// Chromium, against the real edgetraced with its trace store and query API.
//
// The test sends through the daemon's OTLP/HTTP receiver (OTLP/JSON) a device's trace (its
// resource has device.id, edgetrace.device.boot_counter, process.executable.build_id.gnu and
// service.version; nested spans of known durations, one with an error) and a service's trace
// of known id spanning two services, plus log records linked to spans of both. It waits until
// the query API answers with every span, then, in Chromium at 1366x768:
//   - the search page finds the device's trace by its service, with its root, span count and
//     duration; its waterfall shows the device context of the selected span;
//   - the trace-id box opens the service's trace; the waterfall's rows carry the span names,
//     tree levels (aria-level) and durations (3 significant digits) that the store answers
//     (/api/traces/{id}), in depth-first order by start time;
//   - the keyboard moves the selection (ArrowUp) and collapses a subtree (ArrowLeft);
//   - a log line of the trace, followed to its span, selects and focuses that span's row;
//   - the page saves a screenshot (ET_TEST_ARTIFACTS_DIR/viewer.png) that is a PNG;
//   - no script error reached the browser's console.
#include <gtest/gtest.h>

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "testing/fake_http_receiver.hpp"
#include "testing/temp_dir.hpp"
#include "testing/wait.hpp"
#include "tests/daemon_process.hpp"
#include "tests/headless_chromium.hpp"

namespace edgetrace::daemon {
namespace {

using edgetrace::testing::FakeOtlpHttpReceiver;
using edgetrace::testing::TempDir;
using edgetrace::testing::wait_until;
using testing::DaemonProcess;
using testing::HeadlessChromium;
using testing::json_quote;
using namespace std::chrono_literals;

constexpr std::string_view kDeviceTrace = "5d0c1e0a7f3b4c2d9e8f7a6b5c4d3e2f";
constexpr std::string_view kServiceTrace = "0af7651916cd43dd8448eb211c80319c";
constexpr std::string_view kDeviceService = "thermostat-fw";
constexpr std::chrono::milliseconds kUiDeadline = 30s;  // reached only when something is broken

void write_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// A duration as the viewer shows it (format.js formatDuration): three significant digits in
// the largest unit of µs, ms, s that keeps at least 1 before the point.
std::string format_duration(std::int64_t us) {
  if (us == 0)
    return "0µs";
  const char* units[] = {"µs", "ms", "s"};
  const double divs[] = {1, 1e3, 1e6};
  int unit = 0;
  while (unit < 2 && static_cast<double>(us) >= divs[unit + 1])
    ++unit;
  double v = static_cast<double>(us) / divs[unit];
  if (v >= 999.5 && unit < 2)
    v = static_cast<double>(us) / divs[++unit];
  char text[32];
  const int decimals = v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
  std::snprintf(text, sizeof text, "%.*f%s", decimals, v, units[unit]);
  return text;
}

// ---- what the test sends (OTLP/JSON, ids in hex as the OTLP/JSON mapping has them) ----

struct SpanSpec {
  std::string id, parent, name;
  std::int64_t start_us;  // from the trace's start
  std::int64_t duration_us;
  int kind = 1;  // SPAN_KIND_INTERNAL
  bool error = false;
};

std::string nanos(std::int64_t us) {
  return "\"" + std::to_string(us * 1000) + "\"";
}

std::string attribute(std::string_view key, std::string_view value) {
  return R"({"key":)" + json_quote(key) + R"(,"value":{"stringValue":)" + json_quote(value) + "}}";
}

std::string int_attribute(std::string_view key, std::int64_t value) {
  return R"({"key":)" + json_quote(key) + R"(,"value":{"intValue":")" + std::to_string(value) +
         "\"}}";
}

std::string resource_spans(const std::vector<std::string>& resource, std::string_view trace_id,
                           std::int64_t t0_us, const std::vector<SpanSpec>& spans) {
  std::string out = R"({"resource":{"attributes":[)";
  for (std::size_t i = 0; i < resource.size(); ++i)
    out += (i ? "," : "") + resource[i];
  out += R"(]},"scopeSpans":[{"scope":{"name":"viewer-test"},"spans":[)";
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const SpanSpec& s = spans[i];
    out += (i ? "," : "") + std::string(R"({"traceId":")") + std::string(trace_id) +
           R"(","spanId":")" + s.id + "\"";
    if (!s.parent.empty())
      out += R"(,"parentSpanId":")" + s.parent + "\"";
    out += R"(,"name":)" + json_quote(s.name) + R"(,"kind":)" + std::to_string(s.kind) +
           R"(,"startTimeUnixNano":)" + nanos(t0_us + s.start_us) + R"(,"endTimeUnixNano":)" +
           nanos(t0_us + s.start_us + s.duration_us);
    if (s.error)
      out += R"(,"status":{"code":2,"message":"flash busy"})";
    out += "}";
  }
  return out + "]}]}";
}

struct LogSpec {
  std::string service, trace_id, span_id, severity_text, body;
  int severity;
  std::int64_t at_us;
};

std::string logs_request(const std::vector<LogSpec>& logs) {
  std::string out = R"({"resourceLogs":[)";
  for (std::size_t i = 0; i < logs.size(); ++i) {
    const LogSpec& l = logs[i];
    out += (i ? "," : "") + std::string(R"({"resource":{"attributes":[)") +
           attribute("service.name", l.service) +
           R"(]},"scopeLogs":[{"scope":{"name":"app"},"logRecords":[{"timeUnixNano":)" +
           nanos(l.at_us) + R"(,"severityNumber":)" + std::to_string(l.severity) +
           R"(,"severityText":)" + json_quote(l.severity_text) + R"(,"body":{"stringValue":)" +
           json_quote(l.body) + R"(},"traceId":")" + l.trace_id + R"(","spanId":")" + l.span_id +
           "\"}]}]}";
  }
  return out + "]}";
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- what the store answers ----

struct StoredSpan {
  std::string id, parent, name;
  std::int64_t start = 0, duration = 0;
};

// The spans of /api/traces/{id} (parent: the CHILD_OF reference); empty when not (yet) there.
std::map<std::string, StoredSpan> stored_spans(const DaemonProcess& d, std::uint16_t ui,
                                               std::string_view trace_id) {
  std::map<std::string, StoredSpan> out;
  const auto [status, body] = d.http(ui, "GET", "/api/traces/" + std::string(trace_id), "", {});
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array spans;
  if (status != 200 || parser.parse(body).get(doc) || doc["data"].at(0)["spans"].get(spans))
    return out;
  for (simdjson::dom::element span : spans) {
    StoredSpan s;
    std::string_view id, name;
    std::int64_t start = 0, duration = 0;
    if (span["spanID"].get(id) || span["operationName"].get(name) || span["startTime"].get(start) ||
        span["duration"].get(duration))
      continue;
    s.id = id;
    s.name = name;
    s.start = start;
    s.duration = duration;
    simdjson::dom::array refs;
    if (!span["references"].get(refs)) {
      for (simdjson::dom::element ref : refs) {
        std::string_view type, parent;
        if (!ref["refType"].get(type) && type == "CHILD_OF" && !ref["spanID"].get(parent))
          s.parent = parent;
      }
    }
    out[s.id] = s;
  }
  return out;
}

std::size_t stored_log_count(const DaemonProcess& d, std::uint16_t ui, std::string_view trace_id) {
  const auto [status, body] =
      d.http(ui, "GET", "/api/v1/traces/" + std::string(trace_id) + "/logs", "", {});
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array logs;
  if (status != 200 || parser.parse(body).get(doc) || doc["data"].get(logs))
    return 0;
  return logs.size();
}

// A row of the waterfall as the test expects it: depth-first, children by start time.
struct Row {
  std::string id, name, duration;
  int level = 0;
  bool operator==(const Row&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Row& r) {
  return os << "{" << r.id << " " << r.name << " level " << r.level << " " << r.duration << "}";
}

std::vector<Row> expected_rows(const std::map<std::string, StoredSpan>& spans) {
  std::map<std::string, std::vector<const StoredSpan*>> children;
  std::vector<const StoredSpan*> roots;
  for (const auto& [id, s] : spans) {
    if (!s.parent.empty() && spans.contains(s.parent))
      children[s.parent].push_back(&s);
    else
      roots.push_back(&s);
  }
  const auto by_start = [](const StoredSpan* a, const StoredSpan* b) {
    return a->start != b->start ? a->start < b->start : a->id < b->id;
  };
  std::vector<Row> rows;
  const auto visit = [&](auto&& self, const StoredSpan* s, int level) -> void {
    rows.push_back({s->id, s->name, format_duration(s->duration), level});
    auto& kids = children[s->id];
    std::sort(kids.begin(), kids.end(), by_start);
    for (const StoredSpan* k : kids)
      self(self, k, level + 1);
  };
  std::sort(roots.begin(), roots.end(), by_start);
  for (const StoredSpan* r : roots)
    visit(visit, r, 1);
  return rows;
}

// The waterfall's rows as the page shows them (visible ones only).
std::vector<Row> shown_rows(HeadlessChromium& browser) {
  const std::optional<std::string> json = browser.execute_string(R"(
    return JSON.stringify([...document.querySelectorAll("[data-testid=span-row]")]
      .filter((r) => !r.hidden)
      .map((r) => ({id: r.dataset.spanId, level: Number(r.getAttribute("aria-level")),
                    name: r.querySelector("[data-testid=span-name]").textContent,
                    duration: r.querySelector("[data-testid=span-duration]").textContent})));
  )");
  std::vector<Row> rows;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array items;
  if (!json || parser.parse(*json).get(doc) || doc.get(items))
    return rows;
  for (simdjson::dom::element item : items) {
    std::string_view id, name, duration;
    std::int64_t level = 0;
    if (!item["id"].get(id) && !item["name"].get(name) && !item["duration"].get(duration) &&
        !item["level"].get(level))
      rows.push_back(
          {std::string(id), std::string(name), std::string(duration), static_cast<int>(level)});
  }
  return rows;
}

// The selected row's span id and whether it has the focus: "id focused" / "id".
std::string selection(HeadlessChromium& browser) {
  return browser
      .execute_string(R"(
        const row = document.querySelector("[data-testid=span-row][aria-selected=true]");
        if (!row) return "none";
        return row.dataset.spanId + (document.activeElement === row ? " focused" : "");
      )")
      .value_or("error: " + browser.last_error());
}

std::string text_of(HeadlessChromium& browser, std::string_view css) {
  const std::string element = browser.find(css);
  if (element.empty())
    return "(no " + std::string(css) + ")";
  return browser.text(element).value_or("(no text)");
}

// ---- the daemon ----

std::unique_ptr<DaemonProcess> start_daemon(const TempDir& dir, const FakeOtlpHttpReceiver& rx) {
  const std::string config =
      "shutdown_timeout = \"5s\"\n"
      "[admin]\nlisten = \"127.0.0.1:0\"\n"
      "[symbols]\nstore = " +
      json_quote(dir.file("symbols")) +
      "\n"
      "[receivers.device_tcp]\nlisten = \"\"\n"
      "[receivers.otlp]\nhttp = \"127.0.0.1:0\"\ngrpc = \"\"\n"
      "[queue]\ndir = " +
      json_quote(dir.file("queue")) +
      "\n"
      "[exporters.otlp]\nendpoint = " +
      json_quote(rx.url()) +
      "\ntimeout = \"2s\"\n"
      "[store]\nenabled = true\npath = " +
      json_quote(dir.file("store.db")) +
      "\n"
      "[ui]\nlisten = \"127.0.0.1:0\"\n";
  write_file(dir.file("edgetraced.toml"), config);
  return std::make_unique<DaemonProcess>(
      ET_EDGETRACED, std::vector<std::string>{"--config", dir.file("edgetraced.toml")},
      dir.file("edgetraced.log"));
}

TEST(ViewerBrowserTest, FindsTracesShowsTheWaterfallAndFollowsALogToItsSpan) {
  TempDir dir("edgetraced-viewer");
  FakeOtlpHttpReceiver rx;
  auto d = start_daemon(dir, rx);
  ASSERT_TRUE(d->started()) << d->log();
  const std::uint16_t otlp = d->port("OTLP/HTTP");
  const std::uint16_t ui = d->port("UI");
  ASSERT_NE(otlp, 0) << d->log();
  ASSERT_NE(ui, 0) << d->log();

  // The device's trace, ten seconds ago: within the search's default range (last hour).
  const std::int64_t device_t0 = now_us() - 10'000'000;
  const std::vector<SpanSpec> device_spans = {
      {"a000000000000001", "", "control_loop", 0, 1'250'000},
      {"a000000000000002", "a000000000000001", "read_sensor", 1'000, 850},
      {"a000000000000003", "a000000000000001", "pid_step", 5'000, 12'400},
      {"a000000000000004", "a000000000000003", "flash_write", 9'000, 4'560, 1, true},
      {"a000000000000005", "a000000000000001", "uplink", 400'000, 800'000, 3},
  };
  const std::vector<std::string> device_resource = {
      attribute("service.name", kDeviceService),
      attribute("service.version", "2.4.1"),
      attribute("device.id", "thermo-0042"),
      int_attribute("edgetrace.device.boot_counter", 17),
      attribute("process.executable.build_id.gnu", "9f86d081884c7d659a2feaa0c55ad015"),
  };
  // The service's trace: "ingest" calls "orders-db".
  const std::int64_t service_t0 = now_us() - 5'000'000;
  const std::vector<SpanSpec> ingest_spans = {
      {"b000000000000001", "", "POST /v1/orders", 0, 120'000, 2},
      {"b000000000000002", "b000000000000001", "validate", 2'000, 3'500},
      {"b000000000000003", "b000000000000001", "store order", 10'000, 45'600, 3},
  };
  const std::vector<SpanSpec> db_spans = {
      {"b000000000000004", "b000000000000003", "sqlite insert", 20'000, 12'300, 2},
      {"b000000000000005", "b000000000000004", "fsync", 30'000, 1'500},
  };
  const std::string traces =
      R"({"resourceSpans":[)" +
      resource_spans(device_resource, kDeviceTrace, device_t0, device_spans) + "," +
      resource_spans({attribute("service.name", "ingest")}, kServiceTrace, service_t0,
                     ingest_spans) +
      "," +
      resource_spans({attribute("service.name", "orders-db")}, kServiceTrace, service_t0,
                     db_spans) +
      "]}";
  const std::string logs = logs_request({
      {"ingest", std::string(kServiceTrace), "b000000000000002", "INFO", "order validated", 9,
       service_t0 + 4'000},
      {"orders-db", std::string(kServiceTrace), "b000000000000004", "WARN",
       "slow insert into orders", 13, service_t0 + 25'000},
      {std::string(kDeviceService), std::string(kDeviceTrace), "a000000000000004", "ERROR",
       "flash busy, retrying", 17, device_t0 + 12'000},
  });
  const auto traces_reply =
      d->http(otlp, "POST", "/v1/traces", traces, {"Content-Type: application/json"});
  ASSERT_EQ(traces_reply.first, 200) << traces_reply.second;
  const auto logs_reply =
      d->http(otlp, "POST", "/v1/logs", logs, {"Content-Type: application/json"});
  ASSERT_EQ(logs_reply.first, 200) << logs_reply.second;

  // The store has everything (the query API has no notification to wait on).
  std::map<std::string, StoredSpan> service_stored;
  ASSERT_TRUE(wait_until(
      [&] {
        service_stored = stored_spans(*d, ui, kServiceTrace);
        return service_stored.size() == 5 && stored_spans(*d, ui, kDeviceTrace).size() == 5 &&
               stored_log_count(*d, ui, kServiceTrace) == 2;
      },
      30s))
      << "store: " << service_stored.size() << " spans of the service trace\n"
      << d->log();

  HeadlessChromium browser(ET_CHROMEDRIVER, ET_CHROMIUM, dir);
  ASSERT_TRUE(browser.ready()) << browser.error();
  ASSERT_TRUE(browser.set_timeouts(kUiDeadline + 5s, 60s)) << browser.last_error();
  const std::string origin = "http://127.0.0.1:" + std::to_string(ui);

  // ---- search by service: the device's trace ----
  ASSERT_EQ(browser.navigate(origin + "/"), "");
  ASSERT_NE(browser.wait_for("[data-testid=search-service][data-loaded]", kUiDeadline), "")
      << browser.last_error() << "\n"
      << browser.console();
  const std::string option =
      browser.find("[data-testid=search-service] option[value=" + json_quote(kDeviceService) + "]");
  ASSERT_NE(option, "") << browser.last_error();
  ASSERT_TRUE(browser.click(option)) << browser.last_error();
  ASSERT_TRUE(browser.click(browser.find("[data-testid=search-submit]"))) << browser.last_error();
  const std::string result = browser.wait_for(
      "[data-testid=trace-result][data-trace-id=\"" + std::string(kDeviceTrace) + "\"]",
      kUiDeadline);
  ASSERT_NE(result, "") << browser.last_error() << "\n" << browser.console();
  const std::string result_text = browser.text(result).value_or("");
  EXPECT_NE(result_text.find("control_loop"), std::string::npos) << result_text;
  EXPECT_NE(result_text.find("5 spans"), std::string::npos) << result_text;
  EXPECT_NE(result_text.find("1.25s"), std::string::npos) << result_text;
  EXPECT_EQ(browser.execute_string(R"(return location.pathname + location.search)")
                .value_or("")
                .find("/search?service=thermostat-fw"),
            0u);

  // ---- its waterfall and the device context ----
  ASSERT_TRUE(browser.click(result)) << browser.last_error();
  const std::string root_row =
      browser.wait_for("[data-testid=span-row][data-span-id=a000000000000001]", kUiDeadline);
  ASSERT_NE(root_row, "") << browser.last_error() << "\n" << browser.console();
  EXPECT_EQ(shown_rows(browser), expected_rows(stored_spans(*d, ui, kDeviceTrace)));
  EXPECT_EQ(shown_rows(browser), (std::vector<Row>{
                                     {"a000000000000001", "control_loop", "1.25s", 1},
                                     {"a000000000000002", "read_sensor", "850µs", 2},
                                     {"a000000000000003", "pid_step", "12.4ms", 2},
                                     {"a000000000000004", "flash_write", "4.56ms", 3},
                                     {"a000000000000005", "uplink", "800ms", 2},
                                 }));
  ASSERT_TRUE(browser.click(root_row)) << browser.last_error();
  EXPECT_EQ(selection(browser), "a000000000000001 focused");
  const std::string device = text_of(browser, "[data-testid=device-context]");
  for (const char* expected : {"thermo-0042", "17", "2.4.1", "9f86d081884c7d659a2feaa0c55ad015"})
    EXPECT_NE(device.find(expected), std::string::npos) << expected << " not in " << device;
  EXPECT_EQ(browser.find("[data-testid=span-row][data-span-id=a000000000000004].has-error").empty(),
            false)
      << "the span with status ERROR is not marked";

  // ---- the trace-id box: the service's trace ----
  ASSERT_EQ(browser.navigate(origin + "/search"), "");
  const std::string lookup = browser.wait_for("[data-testid=search-trace-id]", kUiDeadline);
  ASSERT_NE(lookup, "") << browser.last_error();
  ASSERT_TRUE(browser.send_keys(lookup, std::string(kServiceTrace) + "\uE007"))
      << browser.last_error();
  ASSERT_NE(browser.wait_for("[data-testid=span-row][data-span-id=b000000000000005]", kUiDeadline),
            "")
      << browser.last_error() << "\n"
      << browser.console();
  EXPECT_EQ(text_of(browser, "[data-testid=trace-id]"), kServiceTrace);
  EXPECT_EQ(text_of(browser, "[data-testid=trace-span-total]"), "5");
  EXPECT_EQ(text_of(browser, "[data-testid=trace-total-duration]"), "120ms");
  const std::string services = text_of(browser, "[data-testid=trace-services]");
  EXPECT_NE(services.find("ingest"), std::string::npos) << services;
  EXPECT_NE(services.find("orders-db"), std::string::npos) << services;

  // Names, levels and durations: what the store answers, and what was sent.
  const std::vector<Row> rows = shown_rows(browser);
  EXPECT_EQ(rows, expected_rows(service_stored));
  EXPECT_EQ(rows, (std::vector<Row>{
                      {"b000000000000001", "POST /v1/orders", "120ms", 1},
                      {"b000000000000002", "validate", "3.50ms", 2},
                      {"b000000000000003", "store order", "45.6ms", 2},
                      {"b000000000000004", "sqlite insert", "12.3ms", 3},
                      {"b000000000000005", "fsync", "1.50ms", 4},
                  }));

  // ---- the keyboard: ArrowUp moves the selection, ArrowLeft collapses ----
  ASSERT_TRUE(browser.click(browser.find("[data-testid=span-row][data-span-id=b000000000000003]")));
  EXPECT_EQ(selection(browser), "b000000000000003 focused");
  ASSERT_TRUE(browser.press("\uE013")) << browser.last_error();  // ArrowUp
  EXPECT_EQ(selection(browser), "b000000000000002 focused");
  ASSERT_TRUE(browser.press("\uE015")) << browser.last_error();  // ArrowDown
  ASSERT_TRUE(browser.press("\uE012")) << browser.last_error();  // ArrowLeft: collapse
  EXPECT_EQ(shown_rows(browser).size(), 3u);
  ASSERT_TRUE(browser.press("\uE014")) << browser.last_error();  // ArrowRight: expand
  EXPECT_EQ(shown_rows(browser).size(), 5u);

  // ---- a log line followed to its span ----
  const std::string log_link = browser.find(
      "[data-testid=trace-log][data-span-id=b000000000000004] [data-testid=log-span-link]");
  ASSERT_NE(log_link, "") << browser.last_error();
  const std::string log_line =
      text_of(browser, "[data-testid=trace-log][data-span-id=b000000000000004]");
  EXPECT_NE(log_line.find("slow insert into orders"), std::string::npos) << log_line;
  EXPECT_EQ(browser
                .find("[data-testid=span-row][data-span-id=b000000000000004] "
                      "[data-testid=span-log-marker]")
                .empty(),
            false)
      << "no log marker on the span's row";
  EXPECT_NE(selection(browser), "b000000000000004 focused");
  ASSERT_TRUE(browser.click(log_link)) << browser.last_error();
  EXPECT_EQ(selection(browser), "b000000000000004 focused");
  EXPECT_EQ(text_of(browser, "[data-testid=details-name]"), "sqlite insert");
  EXPECT_EQ(text_of(browser, "[data-testid=details-duration]"), "12.3ms");

  // ---- the screenshot, kept with the build's test artifacts ----
  const std::optional<std::string> png = browser.screenshot_png();
  ASSERT_TRUE(png) << browser.last_error();
  ASSERT_GT(png->size(), 1000u);
  EXPECT_EQ(png->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::filesystem::create_directories(ET_TEST_ARTIFACTS_DIR);
  const std::string shot = std::string(ET_TEST_ARTIFACTS_DIR) + "/viewer.png";
  write_file(shot, *png);
  EXPECT_EQ(std::filesystem::file_size(shot), png->size());

  const std::string console = browser.console();
  EXPECT_EQ(console.find("Uncaught"), std::string::npos) << console;
  EXPECT_EQ(d->terminate(), 0) << d->log();
}

}  // namespace
}  // namespace edgetrace::daemon
