// StoreExporter: the daemon's "store" exporter. Writes the spans and log records the
// durable queue delivers into the embedded trace store (store/trace_store.hpp), on the
// store's own writer thread.
//
//   auto opened = store::TraceStore::open(options);           // the daemon owns the store
//   if (!opened.ok()) { log(opened.status().message()); ... run without the store ... }
//   std::unique_ptr<store::TraceStore> db = std::move(opened).value();
//   store::StoreExporter exporter(*db);                      // borrows *db
//   exporters.push_back(&exporter);                           // TelemetryQueue calls it
//   query_api.serve(*db);                                     // readers use *db directly
//   ...
//   exporter.shutdown();                                      // drains, joins the thread
//   db.reset();                                               // only after shutdown()
//
// Delivery. export_traces()/export_logs() copy the request into a bounded hand-off and wait
// until the writer thread has committed it: kDelivered means the data is in the store
// (committed; durable at the next WAL sync, synchronous = NORMAL). Requests queued while a
// write runs (several callers) are written together, one transaction per batch of up to
// max_batch_requests. Other outcomes:
// - hand-off full (max_queued_requests waiting): kRetryLater at once, nothing accepted;
// - the deadline passes before the commit: kRetryLater; the request stays queued and is
//   still written, so the queue's retry delivers it again: spans are stored once (the
//   store ignores a (trace id, span id) it already holds), log records may be stored twice;
// - shutdown() called: kRetryLater for later calls; requests already accepted are written;
// - the write fails (disk full, I/O error, corrupt page): kDropped, counted. The store is
//   a local view beside the other exporters: a store that cannot write must not hold the
//   queue back from them, so the request is not retried for the store.
// Metrics requests are not stored (kDelivered).
//
// Metrics: write_metrics() writes the exporter's edgetraced_store_export_* counters and the
// store's own (TraceStore::write_metrics), so the daemon needs to call only this one.
//
// Thread-safety: export_*() from any threads (the queue's consumer); write_metrics() from
// any thread; shutdown() from any thread, idempotent, and called by the destructor.
// Blocking: export_*() block until the commit or the deadline. Memory: at most
// max_queued_requests copied requests, plus one batch being written.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "pipeline/exporter.hpp"
#include "store/trace_store.hpp"

namespace edgetrace::daemon::store {

struct StoreExporterOptions {
  // Requests waiting for the writer; beyond, export_*() return kRetryLater. At least 1.
  std::size_t max_queued_requests = 64;
  // Requests written in one transaction (fewer commits under load). At least 1.
  std::size_t max_batch_requests = 16;
};

class StoreExporter final : public Exporter {
 public:
  // `store` must outlive this exporter (or at least its shutdown()). Starts the writer thread.
  explicit StoreExporter(TraceStore& store, StoreExporterOptions options = {});
  ~StoreExporter() override;
  StoreExporter(const StoreExporter&) = delete;
  StoreExporter& operator=(const StoreExporter&) = delete;

  std::string_view name() const noexcept override { return "store"; }
  ExportResult export_traces(const otlp::TraceRequest& request, otlp::Deadline deadline) override;
  ExportResult export_logs(const otlp::LogsRequest& request, otlp::Deadline deadline) override;
  void write_metrics(MetricsText& out) const override;
  // Writes what is queued, stops the writer thread and joins it; export_*() waiting for a
  // commit get their result, later calls return kRetryLater.
  void shutdown() override;

 private:
  // One request handed to the writer; shared with the caller, who may stop waiting.
  struct Item {
    bool logs = false;
    otlp::TraceRequest traces_request;
    otlp::LogsRequest logs_request;
    bool done = false;
    bool written = false;
  };

  ExportResult hand_off(std::shared_ptr<Item> item, otlp::Deadline deadline);
  void run();
  void write_batch(std::vector<std::shared_ptr<Item>>& batch);
  bool write_one(Item& item);

  TraceStore& store_;
  const StoreExporterOptions options_;

  std::mutex mutex_;
  std::condition_variable work_;  // the writer waits for items or stop
  std::condition_variable done_;  // callers wait for their item
  std::deque<std::shared_ptr<Item>> queue_;
  bool stopping_ = false;
  std::thread writer_;

  std::atomic<std::uint64_t> delivered_traces_{0};
  std::atomic<std::uint64_t> delivered_logs_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> retry_full_{0};
  std::atomic<std::uint64_t> retry_deadline_{0};
  std::atomic<std::uint64_t> retry_shutdown_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> queued_{0};
};

}  // namespace edgetrace::daemon::store
