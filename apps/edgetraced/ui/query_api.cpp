#include "ui/query_api.hpp"

#include <algorithm>
#include <charconv>

#include "edgetrace/core/json.hpp"
#include "edgetrace/core/percent_encoding.hpp"
#include "ui/jaeger_json.hpp"
#include "ui/query_params.hpp"
#include "ui/static_files.hpp"

namespace edgetrace::daemon::ui {
namespace {

constexpr std::size_t kTailBatch = 256;
constexpr std::size_t kSkipBatch = 1000;

std::string_view span_kind_name(int kind) {
  // opentelemetry SpanKind numbers; Jaeger's Operation.SpanKind strings.
  switch (kind) {
    case 1:
      return "internal";
    case 2:
      return "server";
    case 3:
      return "client";
    case 4:
      return "producer";
    case 5:
      return "consumer";
    default:
      return "";
  }
}

net::Response json(int status, std::string body) {
  return net::Response::json(status, std::move(body));
}

bool parse_int(std::string_view text, std::int64_t& out) {
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && r.ec == std::errc() && r.ptr == text.data() + text.size();
}

}  // namespace

struct QueryApi::Subscriber {
  net::StreamWriter writer;
  bool traces = true;
  bool logs = true;
};

QueryApi::QueryApi(store::TraceStore* store, std::string store_error, QueryApiOptions options)
    : store_(store), store_error_(std::move(store_error)), options_(std::move(options)) {
  if (!options_.cors_allowed_origins.empty()) {
    auto policy = std::make_shared<net::CorsPolicy>();
    policy->allowed_origins = options_.cors_allowed_origins;
    cors_ = std::move(policy);
  }
  if (store_error_.empty())
    store_error_ = "the trace store is disabled (store.enabled = false)";
}

QueryApi::~QueryApi() {
  stop();
}

std::uint64_t QueryApi::now() const {
  if (options_.now_unix_nano)
    return options_.now_unix_nano();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

net::Response QueryApi::unavailable() {
  counters_.unavailable.fetch_add(1, std::memory_order_relaxed);
  return json(503, jaeger_error(503, "trace store unavailable: " + store_error_));
}

net::Response QueryApi::bad_request(const std::string& message) {
  counters_.bad_requests.fetch_add(1, std::memory_order_relaxed);
  return json(400, jaeger_error(400, message));
}

net::Response QueryApi::store_failed(const core::Status& status) {
  counters_.store_errors.fetch_add(1, std::memory_order_relaxed);
  return json(500, jaeger_error(500, "trace store: " + status.message()));
}

void QueryApi::mount(net::HttpServer& server) {
  net::RouteOptions o;
  o.cors = cors_;
  auto sync = [this](net::Response (QueryApi::*method)(const net::Request&)) {
    return net::sync_handler([this, method](net::Request&& request) {
      counters_.requests.fetch_add(1, std::memory_order_relaxed);
      if (store_ == nullptr)
        return unavailable();
      return (this->*method)(request);
    });
  };
  server.route("GET", "/api/services", sync(&QueryApi::services), o);
  server.route_prefix("GET", "/api/services/", sync(&QueryApi::operations_legacy), o);
  server.route("GET", "/api/operations", sync(&QueryApi::operations), o);
  server.route("GET", "/api/traces", sync(&QueryApi::find_traces), o);
  server.route_prefix("GET", "/api/traces/", sync(&QueryApi::trace), o);
  server.route("GET", "/api/v1/logs", sync(&QueryApi::logs), o);
  server.route("GET", "/api/v1/traces/recent", sync(&QueryApi::recent), o);
  server.route_prefix("GET", "/api/v1/traces/", sync(&QueryApi::trace_logs), o);
  server.route(
      "GET", "/api/v1/live",
      [this](net::Request&& request, net::Responder responder) {
        counters_.requests.fetch_add(1, std::memory_order_relaxed);
        if (store_ == nullptr) {
          responder.respond(unavailable());
          return;
        }
        live(request, responder);
      },
      o);
  // Unknown /api paths: Jaeger's error envelope, never the viewer's index.html.
  server.route_prefix(
      "GET", "/api/",
      net::sync_handler([](net::Request&& request) { return serve_static(request); }), o);
  server.route_prefix(
      "GET", "/", net::sync_handler([](net::Request&& request) { return serve_static(request); }));
}

net::Response QueryApi::services(const net::Request&) {
  auto names = store_->services();
  if (!names)
    return store_failed(names.status());
  std::vector<std::string> sorted = std::move(names).value();
  std::sort(sorted.begin(), sorted.end());
  std::string data = "[";
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0)
      data += ',';
    core::append_json_string(data, sorted[i], core::JsonEscape::kShortForms);
  }
  data += ']';
  return json(200, jaeger_envelope(data, sorted.size()));
}

// /api/services/{service}/operations: the service is path-escaped (url.QueryUnescape in
// jaeger's getOperationsLegacy).
net::Response QueryApi::operations_legacy(const net::Request& request) {
  std::string_view rest =
      std::string_view(request.path).substr(std::string_view("/api/services/").size());
  constexpr std::string_view kSuffix = "/operations";
  if (rest.size() <= kSuffix.size() || rest.substr(rest.size() - kSuffix.size()) != kSuffix)
    return json(404, jaeger_error(404, "no such endpoint"));
  auto service = core::percent_decode(rest.substr(0, rest.size() - kSuffix.size()));
  if (!service)
    return bad_request("malformed service name: " + service.status().message());
  auto ops = store_->operations(*service);
  if (!ops)
    return store_failed(ops.status());
  std::vector<std::string> names;
  for (const store::OperationInfo& op : *ops)
    names.push_back(op.name);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string data = "[";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0)
      data += ',';
    core::append_json_string(data, names[i], core::JsonEscape::kShortForms);
  }
  data += ']';
  return json(200, jaeger_envelope(data, names.size()));
}

net::Response QueryApi::operations(const net::Request& request) {
  const QueryParams params = QueryParams::parse(request.query);
  const std::string service(params.get("service").value_or(""));
  if (service.empty())
    return bad_request("parameter 'service' is required");
  const std::string_view kind = params.get("spanKind").value_or("");
  auto ops = store_->operations(service);
  if (!ops)
    return store_failed(ops.status());
  std::vector<store::OperationInfo> list = std::move(ops).value();
  std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
    return a.name != b.name ? a.name < b.name : a.span_kind < b.span_kind;
  });
  std::string data = "[";
  std::size_t n = 0;
  for (const store::OperationInfo& op : list) {
    const std::string_view name = span_kind_name(op.span_kind);
    if (!kind.empty() && kind != name)
      continue;
    if (n++ > 0)
      data += ',';
    data += "{\"name\":";
    core::append_json_string(data, op.name, core::JsonEscape::kShortForms);
    data += ",\"spanKind\":";
    core::append_json_string(data, name, core::JsonEscape::kShortForms);
    data += '}';
  }
  data += ']';
  return json(200, jaeger_envelope(data, n));
}

net::Response QueryApi::find_traces(const net::Request& request) {
  const QueryParams params = QueryParams::parse(request.query);
  std::string data = "[";
  std::size_t n = 0;
  // jaeger-query's search also takes traceID=... (repeatable) instead of a service.
  if (std::vector<std::string_view> ids = params.all("traceID"); !ids.empty()) {
    for (std::string_view text : ids) {
      auto id = parse_trace_id(text);
      if (!id)
        return bad_request("cannot parse traceID param: " + id.status().message());
      auto spans = store_->trace(*id);
      if (!spans)
        return store_failed(spans.status());
      if (spans->empty())
        continue;
      if (n++ > 0)
        data += ',';
      append_jaeger_trace(data, *spans);
    }
    data += ']';
    return json(200, jaeger_envelope(data, n));
  }
  auto query = parse_trace_query(params, now());
  if (!query)
    return bad_request(query.status().message());
  auto traces = store_->find_traces(*query);
  if (!traces)
    return store_failed(traces.status());
  for (const auto& spans : *traces) {
    if (n++ > 0)
      data += ',';
    append_jaeger_trace(data, spans);
  }
  data += ']';
  return json(200, jaeger_envelope(data, n));
}

net::Response QueryApi::trace(const net::Request& request) {
  const std::string_view text =
      std::string_view(request.path).substr(std::string_view("/api/traces/").size());
  auto id = parse_trace_id(text);
  if (!id)
    return bad_request(id.status().message());
  auto spans = store_->trace(*id);
  if (!spans)
    return store_failed(spans.status());
  if (spans->empty())
    return json(404, jaeger_error(404, "trace not found"));
  std::string data = "[";
  append_jaeger_trace(data, *spans);
  data += ']';
  return json(200, jaeger_envelope(data, 1));
}

net::Response QueryApi::logs(const net::Request& request) {
  const QueryParams params = QueryParams::parse(request.query);
  auto query = parse_log_query(params);
  if (!query)
    return bad_request(query.status().message());
  auto rows = store_->logs(*query);
  if (!rows)
    return store_failed(rows.status());
  std::string body = "{\"data\":[";
  for (std::size_t i = 0; i < rows->size(); ++i) {
    if (i > 0)
      body += ',';
    append_log(body, (*rows)[i]);
  }
  body += "],\"next_before\":";
  // A full page may have more behind it: the cursor is the oldest id shown.
  if (!rows->empty() && rows->size() >= query->limit)
    body += std::to_string(rows->back().id);
  else
    body += "null";
  body += '}';
  return json(200, std::move(body));
}

net::Response QueryApi::trace_logs(const net::Request& request) {
  std::string_view rest =
      std::string_view(request.path).substr(std::string_view("/api/v1/traces/").size());
  constexpr std::string_view kSuffix = "/logs";
  if (rest.size() <= kSuffix.size() || rest.substr(rest.size() - kSuffix.size()) != kSuffix)
    return json(404, jaeger_error(404, "no such endpoint"));
  auto id = parse_trace_id(rest.substr(0, rest.size() - kSuffix.size()));
  if (!id)
    return bad_request(id.status().message());
  store::LogQuery q;
  q.trace_id = *id;
  q.limit = kMaxLogLimit;
  auto rows = store_->logs(q);
  if (!rows)
    return store_failed(rows.status());
  std::string body = "{\"data\":[";
  bool first = true;
  for (auto it = rows->rbegin(); it != rows->rend(); ++it) {  // newest first -> oldest first
    if (!first)
      body += ',';
    first = false;
    append_log(body, *it);
  }
  body += "]}";
  return json(200, std::move(body));
}

net::Response QueryApi::recent(const net::Request& request) {
  const QueryParams params = QueryParams::parse(request.query);
  std::int64_t after = 0;
  if (auto text = params.get("after");
      text && !text->empty() && (!parse_int(*text, after) || after < 0))
    return bad_request("unable to parse param 'after': expected a non-negative integer");
  auto limit = parse_limit(params, 100, kMaxTraceLimit);
  if (!limit)
    return bad_request(limit.status().message());
  auto summaries = store_->traces_after(after, *limit);
  if (!summaries)
    return store_failed(summaries.status());
  std::string body = "{\"data\":[";
  std::int64_t next = after;
  for (std::size_t i = 0; i < summaries->size(); ++i) {
    if (i > 0)
      body += ',';
    append_summary(body, (*summaries)[i]);
    next = std::max(next, (*summaries)[i].seq);
  }
  body += "],\"next_after\":" + std::to_string(next) + "}";
  return json(200, std::move(body));
}

void QueryApi::live(const net::Request& request, const net::Responder& responder) {
  const QueryParams params = QueryParams::parse(request.query);
  auto sub = std::make_shared<Subscriber>();
  sub->traces = params.get("traces").value_or("1") != "0";
  sub->logs = params.get("logs").value_or("1") != "0";
  bool first;
  {
    std::lock_guard lock(mu_);
    first = subscribers_.empty();
  }
  // Read outside the lock (store reads); only the first subscriber moves the cursors.
  const std::pair<std::int64_t, std::int64_t> end =
      first ? store_end() : std::pair<std::int64_t, std::int64_t>{0, 0};
  {
    std::lock_guard lock(mu_);
    if (first && subscribers_.empty()) {
      trace_seq_ = end.first;
      log_id_ = end.second;
      ++cursor_epoch_;
    }
    if (stopping_ || !started_) {
      responder.respond(unavailable());
      return;
    }
    if (subscribers_.size() >= options_.max_live_subscribers) {
      counters_.unavailable.fetch_add(1, std::memory_order_relaxed);
      responder.respond(
          json(503, jaeger_error(503, "too many live streams (at most " +
                                          std::to_string(options_.max_live_subscribers) + ")")));
      return;
    }
    std::vector<net::Header> headers;
    headers.push_back({"Cache-Control", "no-cache"});
    headers.push_back({"X-Accel-Buffering", "no"});  // nginx: do not buffer the stream
    sub->writer = responder.start_stream(200, "text/event-stream; charset=utf-8",
                                         std::move(headers), options_.live_queue_bytes);
    // The comment tells the client the stream is open before any event; retry: how long an
    // EventSource waits before reconnecting.
    if (!sub->writer.write(": connected\nretry: 3000\n\n"))
      return;
    subscribers_.push_back(sub);
  }
  cv_.notify_all();
}

std::size_t QueryApi::live_subscribers() const {
  std::lock_guard lock(mu_);
  return subscribers_.size();
}

void QueryApi::start() {
  std::lock_guard lock(mu_);
  if (started_ || store_ == nullptr)
    return;
  started_ = true;
  stopping_ = false;
  tail_thread_ = std::thread([this] { tail(); });
}

void QueryApi::stop() {
  std::vector<std::shared_ptr<Subscriber>> subs;
  {
    std::lock_guard lock(mu_);
    if (!started_)
      return;
    stopping_ = true;
    subs.swap(subscribers_);
  }
  cv_.notify_all();
  if (tail_thread_.joinable())
    tail_thread_.join();
  for (auto& s : subs)
    s->writer.close();
  std::lock_guard lock(mu_);
  started_ = false;
}

void QueryApi::fan_out(const std::string& event, bool is_trace, bool to_all) {
  std::vector<std::shared_ptr<Subscriber>> subs;
  {
    std::lock_guard lock(mu_);
    subs = subscribers_;
  }
  std::vector<Subscriber*> gone;
  for (auto& s : subs) {
    if (!to_all && (is_trace ? !s->traces : !s->logs))
      continue;
    if (s->writer.write(event))
      counters_.live_events.fetch_add(1, std::memory_order_relaxed);
    else
      gone.push_back(s.get());
  }
  if (gone.empty())
    return;
  std::lock_guard lock(mu_);
  std::erase_if(subscribers_, [&](const std::shared_ptr<Subscriber>& s) {
    return std::find(gone.begin(), gone.end(), s.get()) != gone.end();
  });
  counters_.live_dropped.fetch_add(gone.size(), std::memory_order_relaxed);
}

std::pair<std::int64_t, std::int64_t> QueryApi::store_end() {
  std::int64_t seq = 0;
  std::int64_t id = 0;
  for (;;) {
    auto batch = store_->traces_after(seq, kSkipBatch);
    if (!batch || batch->empty())
      break;
    seq = batch->back().seq;
    if (batch->size() < kSkipBatch)
      break;
  }
  for (;;) {
    auto batch = store_->logs_after(id, kSkipBatch);
    if (!batch || batch->empty())
      break;
    id = batch->back().id;
    if (batch->size() < kSkipBatch)
      break;
  }
  return {seq, id};
}

// The live tail: while anyone listens, polls the store from the cursors and writes what is
// new to every subscriber.
void QueryApi::tail() {
  auto last_heartbeat = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.live_poll_interval);
    if (stopping_)
      break;
    if (subscribers_.empty())
      continue;
    std::int64_t trace_seq = trace_seq_;
    std::int64_t log_id = log_id_;
    const std::uint64_t epoch = cursor_epoch_;
    lock.unlock();
    if (auto summaries = store_->traces_after(trace_seq, kTailBatch); summaries) {
      for (const store::TraceSummary& s : *summaries) {
        std::string event = "event: trace\ndata: ";
        append_summary(event, s);
        event += "\n\n";
        fan_out(event, true);
        trace_seq = std::max(trace_seq, s.seq);
      }
    }
    if (auto rows = store_->logs_after(log_id, kTailBatch); rows) {
      for (const store::LogRow& row : *rows) {
        std::string event = "event: log\ndata: ";
        append_log(event, row);
        event += "\n\n";
        fan_out(event, false);
        log_id = std::max(log_id, row.id);
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_heartbeat >= options_.heartbeat_interval) {
      last_heartbeat = now;
      fan_out(": heartbeat\n\n", true, true);
    }
    lock.lock();
    if (cursor_epoch_ == epoch) {
      trace_seq_ = trace_seq;
      log_id_ = log_id;
    }
  }
}

void QueryApi::write_metrics(MetricsText& out) const {
  out.gauge("edgetraced_ui_store_available", "1 when the query API has a trace store", {},
            store_ != nullptr ? 1 : 0);
  out.counter("edgetraced_ui_requests_total", "Query API requests", {},
              counters_.requests.load(std::memory_order_relaxed));
  out.counter("edgetraced_ui_bad_requests_total", "Query API requests refused with 400", {},
              counters_.bad_requests.load(std::memory_order_relaxed));
  out.counter("edgetraced_ui_store_errors_total", "Query API requests failed by the store (500)",
              {}, counters_.store_errors.load(std::memory_order_relaxed));
  out.counter("edgetraced_ui_unavailable_total",
              "Query API requests answered 503 (no store, too many live streams)", {},
              counters_.unavailable.load(std::memory_order_relaxed));
  out.gauge("edgetraced_ui_live_subscribers", "Open /api/v1/live streams", {},
            static_cast<double>(live_subscribers()));
  out.counter("edgetraced_ui_live_events_total", "Events and heartbeats written to live streams",
              {}, counters_.live_events.load(std::memory_order_relaxed));
  out.counter("edgetraced_ui_live_dropped_total", "Live streams dropped (client gone or too slow)",
              {}, counters_.live_dropped.load(std::memory_order_relaxed));
}

}  // namespace edgetrace::daemon::ui
