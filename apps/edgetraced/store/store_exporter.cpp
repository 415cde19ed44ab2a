#include "store/store_exporter.hpp"

#include <algorithm>
#include <utility>

namespace edgetrace::daemon::store {

StoreExporter::StoreExporter(TraceStore& store, StoreExporterOptions options)
    : store_(store), options_(options) {
  writer_ = std::thread([this] { run(); });
}

StoreExporter::~StoreExporter() {
  shutdown();
}

ExportResult StoreExporter::export_traces(const otlp::TraceRequest& request,
                                          otlp::Deadline deadline) {
  auto item = std::make_shared<Item>();
  item->traces_request = request;
  return hand_off(std::move(item), deadline);
}

ExportResult StoreExporter::export_logs(const otlp::LogsRequest& request, otlp::Deadline deadline) {
  auto item = std::make_shared<Item>();
  item->logs = true;
  item->logs_request = request;
  return hand_off(std::move(item), deadline);
}

ExportResult StoreExporter::hand_off(std::shared_ptr<Item> item, otlp::Deadline deadline) {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    retry_shutdown_.fetch_add(1, std::memory_order_relaxed);
    return ExportResult::kRetryLater;
  }
  if (queue_.size() >= std::max<std::size_t>(options_.max_queued_requests, 1)) {
    retry_full_.fetch_add(1, std::memory_order_relaxed);
    return ExportResult::kRetryLater;
  }
  queue_.push_back(item);
  queued_.store(queue_.size(), std::memory_order_relaxed);
  work_.notify_one();
  if (!done_.wait_until(lock, deadline, [&] { return item->done; })) {
    retry_deadline_.fetch_add(1, std::memory_order_relaxed);
    return ExportResult::kRetryLater;
  }
  if (!item->written) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return ExportResult::kDropped;
  }
  (item->logs ? delivered_logs_ : delivered_traces_).fetch_add(1, std::memory_order_relaxed);
  return ExportResult::kDelivered;
}

void StoreExporter::run() {
  std::vector<std::shared_ptr<Item>> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty())
      return;  // stopping, and everything accepted is written
    const std::size_t n =
        std::min(queue_.size(), std::max<std::size_t>(options_.max_batch_requests, 1));
    batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queued_.store(queue_.size(), std::memory_order_relaxed);
    lock.unlock();
    write_batch(batch);
    lock.lock();
    for (auto& item : batch)
      item->done = true;
    batch.clear();
    done_.notify_all();
  }
}

// The batch's traces as one request and its logs as another, each one transaction; when
// one fails, its requests are written one by one so that one bad request (too large, say)
// does not take the others with it.
void StoreExporter::write_batch(std::vector<std::shared_ptr<Item>>& batch) {
  batches_.fetch_add(1, std::memory_order_relaxed);
  for (const bool logs : {false, true}) {
    std::vector<Item*> items;
    for (auto& item : batch)
      if (item->logs == logs)
        items.push_back(item.get());
    if (items.empty())
      continue;
    if (items.size() == 1) {
      items[0]->written = write_one(*items[0]);
      continue;
    }
    // The merge copies, so each request is still whole for the one-by-one fallback.
    bool ok;
    if (logs) {
      otlp::LogsRequest merged;
      for (Item* item : items)
        merged.mutable_resource_logs()->MergeFrom(item->logs_request.resource_logs());
      ok = store_.write_logs(merged).ok();
    } else {
      otlp::TraceRequest merged;
      for (Item* item : items)
        merged.mutable_resource_spans()->MergeFrom(item->traces_request.resource_spans());
      ok = store_.write_traces(merged).ok();
    }
    for (Item* item : items)
      item->written = ok ? true : write_one(*item);
  }
}

bool StoreExporter::write_one(Item& item) {
  return item.logs ? store_.write_logs(item.logs_request).ok()
                   : store_.write_traces(item.traces_request).ok();
}

void StoreExporter::shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_.notify_all();
  if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id())
    writer_.join();
}

void StoreExporter::write_metrics(MetricsText& out) const {
  const auto load = [](const std::atomic<std::uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  out.counter("edgetraced_store_export_delivered_total",
              "Requests committed to the store, by signal.",
              {{"exporter", "store"}, {"signal", "traces"}}, load(delivered_traces_));
  out.counter("edgetraced_store_export_delivered_total",
              "Requests committed to the store, by signal.",
              {{"exporter", "store"}, {"signal", "logs"}}, load(delivered_logs_));
  out.counter("edgetraced_store_export_dropped_total",
              "Requests the store failed to write (not retried for the store).",
              {{"exporter", "store"}}, load(dropped_));
  out.counter("edgetraced_store_export_retry_total", "Requests answered kRetryLater, by reason.",
              {{"exporter", "store"}, {"reason", "full"}}, load(retry_full_));
  out.counter("edgetraced_store_export_retry_total", "Requests answered kRetryLater, by reason.",
              {{"exporter", "store"}, {"reason", "deadline"}}, load(retry_deadline_));
  out.counter("edgetraced_store_export_retry_total", "Requests answered kRetryLater, by reason.",
              {{"exporter", "store"}, {"reason", "shutdown"}}, load(retry_shutdown_));
  out.counter("edgetraced_store_export_batches_total", "Batches the writer thread wrote.",
              {{"exporter", "store"}}, load(batches_));
  out.gauge("edgetraced_store_export_queued", "Requests waiting for the writer thread.",
            {{"exporter", "store"}}, static_cast<double>(load(queued_)));
  store_.write_metrics(out);
}

}  // namespace edgetrace::daemon::store
