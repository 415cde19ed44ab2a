// QueryApi: the trace store's HTTP API on the UI listener (default port 16686, Jaeger's):
// Jaeger's query endpoints (/api/services, /api/traces, ... as jaeger-query answers them,
// so Grafana's Jaeger data source and Jaeger tools work), edgetrace's own (/api/v1/logs,
// /api/v1/traces/recent, /api/v1/live as server-sent events) and the embedded viewer at /.
// docs/query-api.md documents every endpoint.
//
//   ui::QueryApi api(store.get(), "", ui::QueryApiOptions{});   // store may be null
//   net::HttpServer server(options);                             // handler_threads > 0
//   api.mount(server);
//   server.start();
//   api.start();              // the live-tail thread
//   ...
//   api.stop();               // closes the live streams, joins the thread
//   server.stop();
//
// Without a store (disabled, or failed to open) every /api answer is 503 with the reason
// in Jaeger's error envelope; the viewer's files are still served.
//
// Threads. Handlers call the store directly: store reads take milliseconds and run on the
// server's handler pool (HttpServerOptions::handler_threads), never on its I/O threads.
// One live-tail thread polls store->traces_after() and logs_after() every
// `live_poll_interval` while anyone listens, and writes each new summary or log to every
// subscriber's stream; a subscriber whose stream is closed or full is dropped. At most
// `max_live_subscribers` streams (503 beyond); a comment line every `heartbeat_interval`
// keeps proxies from closing idle streams and detects gone clients.
//
// Thread-safety: mount() before the server starts; start()/stop() from one controlling
// thread; write_metrics() from any thread. The store must outlive the QueryApi.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "edgetrace/net/http_server.hpp"
#include "pipeline/metrics_text.hpp"
#include "store/trace_store.hpp"

namespace edgetrace::daemon::ui {

struct QueryApiOptions {
  std::chrono::milliseconds live_poll_interval{250};
  std::chrono::milliseconds heartbeat_interval{15000};
  std::size_t max_live_subscribers = 64;
  // Bytes one live stream may have waiting for a slow client before it is disconnected.
  std::size_t live_queue_bytes = 1 << 20;
  // Origins allowed to call the API from other pages (CORS); empty: same origin only.
  std::vector<std::string> cors_allowed_origins;
  // The clock for searches without `end` (tests pin it).
  std::function<std::uint64_t()> now_unix_nano;
};

struct QueryApiCounters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> bad_requests{0};  // 400
  std::atomic<std::uint64_t> store_errors{0};  // 500 (a store read failed)
  std::atomic<std::uint64_t> unavailable{0};   // 503 (no store, or too many live streams)
  std::atomic<std::uint64_t> live_events{0};   // events written to live streams
  std::atomic<std::uint64_t> live_dropped{0};  // live subscribers dropped (closed or slow)
};

class QueryApi {
 public:
  // `store` may be null; then `store_error` says why (e.g. the open() failure).
  QueryApi(store::TraceStore* store, std::string store_error, QueryApiOptions options);
  ~QueryApi();
  QueryApi(const QueryApi&) = delete;
  QueryApi& operator=(const QueryApi&) = delete;

  // Registers every endpoint and the static files on `server`.
  void mount(net::HttpServer& server);
  void start();
  void stop();

  std::size_t live_subscribers() const;
  const QueryApiCounters& counters() const noexcept { return counters_; }
  void write_metrics(MetricsText& out) const;

 private:
  struct Subscriber;

  net::Response services(const net::Request& request);
  net::Response operations_legacy(const net::Request& request);
  net::Response operations(const net::Request& request);
  net::Response find_traces(const net::Request& request);
  net::Response trace(const net::Request& request);
  net::Response logs(const net::Request& request);
  net::Response trace_logs(const net::Request& request);
  net::Response recent(const net::Request& request);
  void live(const net::Request& request, const net::Responder& responder);
  void tail();
  // The store's current end: the cursors a new stream starts from.
  std::pair<std::int64_t, std::int64_t> store_end();
  // Writes `event` to the subscribers that want it (every one with `to_all`); drops the
  // closed ones.
  void fan_out(const std::string& event, bool is_trace, bool to_all = false);
  std::uint64_t now() const;
  net::Response unavailable();
  net::Response bad_request(const std::string& message);
  net::Response store_failed(const core::Status& status);

  store::TraceStore* store_;
  std::string store_error_;
  QueryApiOptions options_;
  std::shared_ptr<const net::CorsPolicy> cors_;
  QueryApiCounters counters_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  // The live tail's cursors: set to the store's end by the first subscriber (before its
  // stream says "connected", so nothing written after that is missed), then advanced by
  // the tail thread. `cursor_epoch_` tells the tail a first subscriber reset them.
  std::int64_t trace_seq_ = 0;
  std::int64_t log_id_ = 0;
  std::uint64_t cursor_epoch_ = 0;
  bool stopping_ = false;
  bool started_ = false;
  std::thread tail_thread_;
};

}  // namespace edgetrace::daemon::ui
