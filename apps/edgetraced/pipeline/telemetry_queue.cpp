#include "pipeline/telemetry_queue.hpp"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <array>
#include <span>
#include <string>

namespace edgetrace::daemon {
namespace {

enum : std::uint8_t { kSignalTraces = 1, kSignalLogs = 2, kSignalMetrics = 3 };

std::size_t span_count(const otlp::TraceRequest& r) {
  std::size_t n = 0;
  for (const auto& rs : r.resource_spans())
    for (const auto& ss : rs.scope_spans())
      n += static_cast<std::size_t>(ss.spans_size());
  return n;
}

std::pair<std::size_t, std::uint8_t> log_count_and_priority(const otlp::LogsRequest& r) {
  std::size_t n = 0;
  int max_severity = 0;
  for (const auto& rl : r.resource_logs())
    for (const auto& sl : rl.scope_logs())
      for (const auto& lr : sl.log_records()) {
        ++n;
        max_severity = std::max(max_severity, static_cast<int>(lr.severity_number()));
      }
  return {n, static_cast<std::uint8_t>(std::clamp(max_severity, 0, 255))};
}

}  // namespace

TelemetryQueue::TelemetryQueue(TelemetryQueueOptions options, std::vector<Exporter*> exporters)
    : options_(std::move(options)),
      exporters_(std::move(exporters)),
      done_up_to_(exporters_.size(), std::array<std::uint64_t, kSignals>{}) {}

TelemetryQueue::~TelemetryQueue() {
  stop(std::chrono::steady_clock::now());
}

core::Status TelemetryQueue::open() {
  core::Result<otlp::DurableQueue> q = otlp::DurableQueue::open(options_.queue);
  if (!q)
    return core::Status(q.status().code(), "queue: " + q.status().message());
  queue_.emplace(std::move(q).value());
  // Records left by the previous run are delivered first.
  std::lock_guard lock(mu_);
  retry_pending_ = queue_->counters().depth > 0;
  idle_ = !retry_pending_;
  return {};
}

void TelemetryQueue::start() {
  if (thread_.joinable() || !queue_)
    return;
  thread_ = std::thread([this] { run(); });
}

void TelemetryQueue::stop(std::chrono::steady_clock::time_point deadline) {
  {
    std::lock_guard lock(mu_);
    accepting_ = false;
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = deadline;
    } else {
      stop_deadline_ = std::min(stop_deadline_, deadline);
    }
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    // The consumer drains until the deadline; then the exporters are told to give up.
    std::thread watchdog([this, deadline] {
      std::unique_lock lock(mu_);
      if (!cv_.wait_until(lock, deadline, [this] { return idle_; })) {
        lock.unlock();
        for (Exporter* e : exporters_)
          e->shutdown();
      }
    });
    thread_.join();
    {
      std::lock_guard lock(mu_);
      idle_ = true;
    }
    cv_.notify_all();
    watchdog.join();
  }
  if (queue_)
    (void)queue_->sync();
}

core::Status TelemetryQueue::append(const otlp::TraceRequest& request) {
  const std::size_t n = span_count(request);
  if (n == 0)
    return {};
  core::Status s = append_encoded(kSignalTraces, request, kTracePriority);
  if (s.ok()) {
    counters_.appended_traces.fetch_add(1, std::memory_order_relaxed);
    counters_.spans_appended.fetch_add(n, std::memory_order_relaxed);
  }
  return s;
}

core::Status TelemetryQueue::append(const otlp::LogsRequest& request) {
  const auto [n, priority] = log_count_and_priority(request);
  if (n == 0)
    return {};
  core::Status s = append_encoded(kSignalLogs, request, priority);
  if (s.ok()) {
    counters_.appended_logs.fetch_add(1, std::memory_order_relaxed);
    counters_.logs_appended.fetch_add(n, std::memory_order_relaxed);
  }
  return s;
}

core::Status TelemetryQueue::append(const otlp::MetricsRequest& request) {
  if (request.resource_metrics_size() == 0)
    return {};
  core::Status s = append_encoded(kSignalMetrics, request, kMetricsPriority);
  if (s.ok())
    counters_.appended_metrics.fetch_add(1, std::memory_order_relaxed);
  return s;
}

core::Status TelemetryQueue::append_protobuf(otlp::Signal signal, std::string_view bytes,
                                             const otlp::WireSummary& summary) {
  if (summary.items == 0)
    return {};
  thread_local std::string buffer;
  buffer.clear();
  std::uint8_t priority = kMetricsPriority;
  switch (signal) {
    case otlp::Signal::kTraces:
      buffer.push_back(static_cast<char>(kSignalTraces));
      priority = kTracePriority;
      break;
    case otlp::Signal::kLogs:
      buffer.push_back(static_cast<char>(kSignalLogs));
      priority = static_cast<std::uint8_t>(std::clamp(summary.max_severity, 0, 255));
      break;
    case otlp::Signal::kMetrics:
      buffer.push_back(static_cast<char>(kSignalMetrics));
      break;
  }
  buffer.append(bytes);
  core::Status s = append_payload(buffer, priority);
  if (s.ok()) {
    switch (signal) {
      case otlp::Signal::kTraces:
        counters_.appended_traces.fetch_add(1, std::memory_order_relaxed);
        counters_.spans_appended.fetch_add(summary.items, std::memory_order_relaxed);
        break;
      case otlp::Signal::kLogs:
        counters_.appended_logs.fetch_add(1, std::memory_order_relaxed);
        counters_.logs_appended.fetch_add(summary.items, std::memory_order_relaxed);
        break;
      case otlp::Signal::kMetrics:
        counters_.appended_metrics.fetch_add(1, std::memory_order_relaxed);
        break;
    }
  }
  return s;
}

core::Status TelemetryQueue::append_encoded(std::uint8_t signal,
                                            const google::protobuf::Message& request,
                                            std::uint8_t priority) {
  thread_local std::string buffer;
  buffer.clear();
  buffer.push_back(static_cast<char>(signal));
  otlp::encode_protobuf_message(request, buffer);
  return append_payload(buffer, priority);
}

core::Status TelemetryQueue::append_payload(const std::string& payload, std::uint8_t priority) {
  if (!queue_)
    return core::Status(core::StatusCode::kUnavailable, "queue: not open");
  {
    std::lock_guard lock(mu_);
    if (!accepting_)
      return core::Status(core::StatusCode::kUnavailable, "queue: the daemon is stopping");
  }
  core::Result<std::uint64_t> seq = queue_->append(payload, priority);
  if (!seq) {
    counters_.append_refused.fetch_add(1, std::memory_order_relaxed);
    return seq.status();
  }
  {
    std::lock_guard lock(mu_);
    appended_seq_ = std::max(appended_seq_, *seq);
    idle_ = false;
  }
  cv_.notify_all();
  return {};
}

bool TelemetryQueue::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [this] { return acked_seq_ >= appended_seq_; });
}

otlp::DurableQueueCounters TelemetryQueue::queue_counters() const {
  return queue_ ? queue_->counters() : otlp::DurableQueueCounters{};
}

namespace {

// Records of one signal delivered together stop at this many payload bytes: one export
// request of a reasonable size (the exporters split larger ones anyway).
constexpr std::size_t kGroupBytes = 1u << 20;

std::uint8_t signal_of(const otlp::QueuedRecord& record) {
  return record.payload.empty() ? 0 : record.payload[0];
}

}  // namespace

TelemetryQueue::Delivery TelemetryQueue::deliver(Group group) {
  const std::uint8_t signal = signal_of(*group.front());
  if (signal == 0 || signal >= kSignals)
    return Delivery::kUnreadable;
  const otlp::Signal sig = signal == kSignalTraces ? otlp::Signal::kTraces
                           : signal == kSignalLogs ? otlp::Signal::kLogs
                                                   : otlp::Signal::kMetrics;
  // Serialized protobuf messages concatenated are their merge (repeated fields append): the
  // group's bodies, one after the other, are one request with every record's resource
  // spans or logs. Those an exporter already took (after a retry) are left out.
  thread_local std::string bodies;
  std::optional<std::uint64_t> joined_after;  // what `bodies` holds now
  const auto join = [&](std::uint64_t after) {
    if (joined_after == after)
      return;
    joined_after = after;
    bodies.clear();
    for (const otlp::QueuedRecord* r : group)
      if (r->sequence > after)
        bodies.append(reinterpret_cast<const char*>(r->payload.data()) + 1, r->payload.size() - 1);
  };
  const auto parse = [&](google::protobuf::Message& message, std::uint64_t after) {
    join(after);
    otlp::DecodeLimits limits;
    limits.max_message_bytes = bodies.size() + 1;
    return otlp::decode_protobuf_message(bodies, message, limits).ok();
  };
  const std::uint64_t first = group.front()->sequence;
  const std::uint64_t last = group.back()->sequence;

  // The whole group as stored, for exporters taking protobuf bytes: no decode, no encode.
  // The wire scan counts its items; what it does not vouch for (a record that would not
  // decode, a rare encoding) is decoded instead. Traces and logs only: the scan does not
  // read metrics.
  std::optional<otlp::WireSummary> stored;
  bool stored_scanned = false;
  // The whole group decoded, for the other exporters; one arena per group: the parsed
  // request's thousands of small objects are freed at once.
  google::protobuf::Arena arena;
  google::protobuf::Message* message = nullptr;
  bool parsed = false;

  for (std::size_t i = 0; i < exporters_.size(); ++i) {
    std::uint64_t& done = done_up_to_[i][signal];
    if (done >= last)
      continue;
    const otlp::Deadline deadline = otlp::Clock::now() + options_.export_timeout;
    ExportResult r = ExportResult::kDelivered;
    bool as_stored =
        done < first && sig != otlp::Signal::kMetrics && exporters_[i]->takes_protobuf(sig);
    if (as_stored && !stored_scanned) {
      stored_scanned = true;
      join(0);
      otlp::DecodeLimits limits;
      limits.max_message_bytes = bodies.size() + 1;
      stored = otlp::scan_protobuf(bodies, sig == otlp::Signal::kLogs, limits);
    }
    // Bytes the scan does not vouch for are decoded: that decides whether they are readable.
    as_stored = as_stored && stored.has_value();
    if (as_stored) {
      join(0);
      r = exporters_[i]->export_protobuf(sig, bodies, stored->items, deadline);
    } else {
      if (!parsed) {
        parsed = true;
        switch (signal) {
          case kSignalTraces:
            message = google::protobuf::Arena::CreateMessage<otlp::TraceRequest>(&arena);
            break;
          case kSignalLogs:
            message = google::protobuf::Arena::CreateMessage<otlp::LogsRequest>(&arena);
            break;
          default:
            message = google::protobuf::Arena::CreateMessage<otlp::MetricsRequest>(&arena);
            break;
        }
        if (!parse(*message, 0))
          return Delivery::kUnreadable;
      }
      google::protobuf::Message* m = message;
      if (done >= first) {
        // Part of the group went to this exporter before a retry: only the rest, once.
        m = message->New(&arena);
        if (!parse(*m, done))
          continue;
      }
      switch (signal) {
        case kSignalTraces:
          r = exporters_[i]->export_traces(static_cast<const otlp::TraceRequest&>(*m), deadline);
          break;
        case kSignalLogs:
          r = exporters_[i]->export_logs(static_cast<const otlp::LogsRequest&>(*m), deadline);
          break;
        default:
          r = exporters_[i]->export_metrics(static_cast<const otlp::MetricsRequest&>(*m), deadline);
          break;
      }
    }
    if (r == ExportResult::kRetryLater)
      return Delivery::kRetry;
    done = last;
  }
  return Delivery::kDone;
}

TelemetryQueue::Delivery TelemetryQueue::deliver_group(Group group) {
  const Delivery d = deliver(group);
  if (d != Delivery::kUnreadable)
    return d;
  if (group.size() == 1) {
    // Unreadable on its own: counted and acknowledged, never retried.
    counters_.unreadable.fetch_add(1, std::memory_order_relaxed);
    return Delivery::kDone;
  }
  // One of them spoils the merge: each on its own, so the others are still delivered.
  for (std::size_t k = 0; k < group.size(); ++k)
    if (deliver_group(group.subspan(k, 1)) == Delivery::kRetry)
      return Delivery::kRetry;
  return Delivery::kDone;
}

void TelemetryQueue::run() {
  std::chrono::milliseconds backoff = options_.retry_initial;
  for (;;) {
    std::uint64_t target = 0;  // appended before this read: an empty read covers them
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || appended_seq_ > read_seq_ || retry_pending_; });
      if (!stopping_ && !retry_pending_ && options_.batch_delay.count() > 0) {
        // Let more records join this one (see TelemetryQueueOptions::batch_delay).
        cv_.wait_for(lock, options_.batch_delay, [this] {
          return stopping_ || appended_seq_ - read_seq_ >= options_.batch_records;
        });
      }
      if (stopping_ && (std::chrono::steady_clock::now() >= stop_deadline_ ||
                        (appended_seq_ <= acked_seq_ && !retry_pending_)))
        return;
      retry_pending_ = false;
      target = appended_seq_;
    }
    core::Result<std::vector<otlp::QueuedRecord>> batch = queue_->read(options_.batch_records);
    if (!batch || batch->empty()) {
      std::unique_lock lock(mu_);
      read_seq_ = std::max(read_seq_, target);
      if (batch) {
        acked_seq_ = std::max(acked_seq_, target);
        idle_ = appended_seq_ == target;
        cv_.notify_all();
      } else {
        // The queue's files failed to read: try again later rather than spin.
        retry_pending_ = true;
        cv_.wait_for(lock, options_.retry_initial, [this] { return stopping_; });
      }
      continue;
    }
    // The batch's records of each signal go out as few requests as possible (a device stream
    // appends its spans and its logs alternately). Each exporter keeps, per signal, the last
    // sequence it took, so a retry re-delivers only what it has not; the batch is
    // acknowledged once every record of it went to every exporter.
    std::uint64_t last_done = 0;
    bool retry = false;
    std::array<std::vector<const otlp::QueuedRecord*>, kSignals> by_signal;
    for (const otlp::QueuedRecord& r : *batch)
      by_signal[signal_of(r) < kSignals ? signal_of(r) : 0].push_back(&r);
    for (const auto& records : by_signal) {
      for (std::size_t begin = 0; begin < records.size() && !retry;) {
        std::size_t end = begin + 1;
        std::size_t bytes = records[begin]->payload.size();
        while (end < records.size() && bytes + records[end]->payload.size() <= kGroupBytes)
          bytes += records[end++]->payload.size();
        if (deliver_group(Group(records.data() + begin, end - begin)) == Delivery::kRetry)
          retry = true;
        begin = end;
      }
    }
    if (!retry)
      last_done = batch->back().sequence;
    if (last_done != 0)
      (void)queue_->ack(last_done);
    {
      std::lock_guard lock(mu_);
      read_seq_ = std::max(read_seq_, batch->back().sequence);
      if (last_done != 0)
        acked_seq_ = std::max(acked_seq_, last_done);
    }
    cv_.notify_all();
    if (!retry) {
      backoff = options_.retry_initial;
      continue;
    }
    counters_.retries.fetch_add(1, std::memory_order_relaxed);
    queue_->rewind();
    std::unique_lock lock(mu_);
    retry_pending_ = true;
    const auto until = std::chrono::steady_clock::now() + backoff;
    cv_.wait_until(lock, stopping_ ? std::min(until, stop_deadline_) : until, [this] {
      return stopping_ && std::chrono::steady_clock::now() >= stop_deadline_;
    });
    if (stopping_ && std::chrono::steady_clock::now() >= stop_deadline_)
      return;
    backoff = std::min(backoff * 2, options_.retry_max);
  }
}

void TelemetryQueue::drop_counts(DropCounts& out) const {
  const otlp::DurableQueueCounters q = queue_counters();
  for (std::size_t r = 0; r < otlp::kDropReasonCount; ++r)
    out.push_back({"edgetraced.queue.records.dropped",
                   std::string(otlp::to_string(static_cast<otlp::QueueDropReason>(r))), "",
                   q.dropped[r]});
  out.push_back({"edgetraced.queue.records.dropped", "unreadable", "",
                 counters_.unreadable.load(std::memory_order_relaxed)});
  out.push_back({"edgetraced.queue.records.dropped", "refused", "",
                 counters_.append_refused.load(std::memory_order_relaxed)});
}

void TelemetryQueue::write_metrics(MetricsText& out) const {
  const otlp::DurableQueueCounters q = queue_counters();
  out.gauge("edgetraced_queue_depth", "Records in the durable queue not yet delivered.", {},
            static_cast<double>(q.depth));
  out.gauge("edgetraced_queue_bytes", "Payload bytes of the records in the durable queue.", {},
            static_cast<double>(q.depth_bytes));
  out.gauge("edgetraced_queue_disk_bytes", "Bytes of the durable queue's files.", {},
            static_cast<double>(q.bytes_on_disk));
  out.counter("edgetraced_queue_appended_total", "Records appended to the durable queue.", {},
              q.appended);
  out.counter("edgetraced_queue_recovered_total",
              "Records found in the durable queue at start (left by the previous run).", {},
              q.recovered);
  for (std::size_t i = 0; i < otlp::kDropReasonCount; ++i) {
    const std::string reason(otlp::to_string(static_cast<otlp::QueueDropReason>(i)));
    out.sample("edgetraced_queue_dropped_total", "counter",
               "Records the durable queue dropped, by reason (disk budget, size, I/O).",
               {{"reason", reason}}, static_cast<double>(q.dropped[i]));
  }
  out.counter("edgetraced_queue_append_refused_total",
              "Appends the queue refused (receivers did not acknowledge them).", {},
              counters_.append_refused.load(std::memory_order_relaxed));
  out.counter("edgetraced_queue_corrupt_records_total",
              "Damaged stretches of the queue's files skipped.", {}, q.corrupt_records);
  out.counter("edgetraced_queue_retries_total",
              "Times delivery stopped for an exporter to retry later (backend unavailable).", {},
              counters_.retries.load(std::memory_order_relaxed));
  out.counter("edgetraced_queue_unreadable_total", "Queue records that did not decode.", {},
              counters_.unreadable.load(std::memory_order_relaxed));
}

}  // namespace edgetrace::daemon
