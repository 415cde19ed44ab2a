// Daemon: edgetraced's parts wired together from a DaemonConfig: the symbol source, the
// durable queue and its exporters, the device pipeline, the receivers the config enables and
// the admin listener (/healthz, /readyz, /metrics, /v1/symbols).
//
//   Daemon daemon(std::move(config));
//   if (core::Status s = daemon.start(); !s.ok()) { log(s); return 1; }   // nothing left running
//   wait_for_signal();
//   daemon.stop();     // receivers first, then the queue drains for shutdown_timeout
//
// Start order: the trace store (when enabled; a store that cannot be opened is logged and
// the daemon runs without it), queue (recovering what a previous run left) and exporters,
// symbols, pipeline, admin, the UI listener (query API + viewer), then receivers, so nothing is
// accepted before it can be kept. Stop order is the reverse: receivers stop accepting and finish
// their streams into the queue, the queue delivers what it can until shutdown_timeout, and whatever
// is left stays on disk for the next start.
//
// Thread-safety: start(), stop() and reload() from one controlling thread; metrics_text()
// from any thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "edgetrace/core/result.hpp"
#include "edgetrace/net/http_server.hpp"
#include "pipeline/device_pipeline.hpp"
#include "pipeline/exporter.hpp"
#include "pipeline/intake.hpp"
#include "pipeline/processors.hpp"
#include "pipeline/receiver.hpp"
#include "pipeline/symbol_source.hpp"
#include "pipeline/telemetry_queue.hpp"
#include "server/config.hpp"
#include "store/trace_store.hpp"
#include "ui/query_api.hpp"

namespace edgetrace::decoder {
class SymbolHttpHandler;
}  // namespace edgetrace::decoder

namespace edgetrace::daemon {

class ConsoleTreeExporter;
class FileLinesExporter;

class Daemon {
 public:
  explicit Daemon(DaemonConfig config);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  core::Status start();
  void stop();
  // SIGHUP: the file exporter reopens its file (log rotation); returns the keys that changed
  // in `fresh` but need a restart, for the log (docs/daemon.md "Signals").
  std::vector<std::string> reload(const DaemonConfig& fresh);

  std::string metrics_text() const;
  // The bound ports (tests start on port 0).
  std::uint16_t admin_port() const noexcept;
  std::uint16_t device_tcp_port() const noexcept;
  std::uint16_t device_http_port() const noexcept;
  std::uint16_t ui_port() const noexcept;
  // Whether the trace store is open (store.enabled and open() succeeded).
  bool store_open() const noexcept { return store_ != nullptr; }
  // Every listener with its bound port, in start order: {"admin", 7701}, {"proxy", 4320}...
  // (the "started" line prints them as "<name> on port <n>").
  std::vector<std::pair<std::string, std::uint16_t>> listening() const;
  TelemetryQueue& queue() noexcept { return *queue_; }
  DevicePipeline& pipeline() noexcept { return *pipeline_; }
  bool ready() const;

 private:
  core::Status start_exporters();
  core::Status start_receivers();
  core::Status start_admin();
  core::Status start_ui();
  void open_store();
  void timer();
  // Every counter of what was dropped (processors, queue, exporters).
  DropCounts collect_drops() const;
  // Appends a drop report to the queue when a count changed since the last one.
  void report_drops();

  DaemonConfig config_;
  // Declared before the exporters (its StoreExporter) and the query API, which borrow it.
  std::unique_ptr<store::TraceStore> store_;
  std::string store_error_;  // why the store is off, for the UI's 503 answers
  std::vector<std::unique_ptr<Exporter>> exporters_;
  ConsoleTreeExporter* console_exporter_ = nullptr;  // flushed by the 1 s timer
  FileLinesExporter* file_exporter_ = nullptr;       // reopened on SIGHUP
  std::unique_ptr<TelemetryQueue> queue_;
  std::unique_ptr<SymbolSource> symbols_;
  // By pipeline: device, otlp, proxy (kPipelines).
  std::array<std::unique_ptr<Processors>, 3> pipeline_processors_;
  Processors* processors_ = nullptr;  // the device pipeline's
  std::unique_ptr<DevicePipeline> pipeline_;
  std::vector<std::unique_ptr<Receiver>> receivers_;
  std::unique_ptr<Intake> intake_;        // the otlp pipeline's processors + queue
  std::unique_ptr<Intake> proxy_intake_;  // the proxy's (queue mode)
  std::vector<std::pair<std::string, std::uint16_t>> listening_;
  std::unique_ptr<decoder::SymbolHttpHandler> symbols_handler_;
  std::unique_ptr<net::HttpServer> admin_;
  std::unique_ptr<ui::QueryApi> query_api_;
  std::unique_ptr<net::HttpServer> ui_server_;
  std::uint16_t device_tcp_port_ = 0;
  std::uint16_t device_http_port_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool retry_now_ = false;
  std::uint64_t started_unix_nano_ = 0;
  std::uint64_t last_reported_drops_ = 0;  // sum of the counts in the last report
  std::thread held_thread_;
  bool started_ = false;
};

}  // namespace edgetrace::daemon
