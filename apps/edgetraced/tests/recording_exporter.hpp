// RecordingExporter: an Exporter for tests that keeps every request it is given and can be
// told to answer kRetryLater (a backend outage) or kDropped. test_queue_options(): a small
// TelemetryQueue for tests, retrying every 10-20 ms.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/exporter.hpp"
#include "pipeline/telemetry_queue.hpp"

namespace edgetrace::daemon::testing {

class RecordingExporter : public Exporter {
 public:
  std::string_view name() const noexcept override { return "recording"; }
  ExportResult export_traces(const otlp::TraceRequest& r, otlp::Deadline) override {
    std::lock_guard lock(mu_);
    ++calls_;
    if (answer_ == ExportResult::kDelivered)
      traces_.push_back(r);
    return answer_;
  }
  ExportResult export_logs(const otlp::LogsRequest& r, otlp::Deadline) override {
    std::lock_guard lock(mu_);
    ++calls_;
    const ExportResult answer = logs_answer_.value_or(answer_);
    if (answer == ExportResult::kDelivered)
      logs_.push_back(r);
    return answer;
  }
  void write_metrics(MetricsText&) const override {}

  void answer(ExportResult r) {
    std::lock_guard lock(mu_);
    answer_ = r;
  }
  // Log requests only (nullopt: as answer()).
  void answer_logs(std::optional<ExportResult> r) {
    std::lock_guard lock(mu_);
    logs_answer_ = r;
  }
  // Every span's name, in the order delivered.
  std::vector<std::string> span_names() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& r : traces_)
      for (const auto& rs : r.resource_spans())
        for (const auto& ss : rs.scope_spans())
          for (const auto& s : ss.spans())
            out.push_back(s.name());
    return out;
  }
  std::vector<otlp::TraceRequest> traces() const {
    std::lock_guard lock(mu_);
    return traces_;
  }
  std::vector<otlp::LogsRequest> logs() const {
    std::lock_guard lock(mu_);
    return logs_;
  }
  std::size_t span_count() const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& r : traces_)
      for (const auto& rs : r.resource_spans())
        for (const auto& ss : rs.scope_spans())
          n += static_cast<std::size_t>(ss.spans_size());
    return n;
  }
  std::size_t log_count() const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& r : logs_)
      for (const auto& rl : r.resource_logs())
        for (const auto& sl : rl.scope_logs())
          n += static_cast<std::size_t>(sl.log_records_size());
    return n;
  }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  ExportResult answer_ = ExportResult::kDelivered;
  std::optional<ExportResult> logs_answer_;
  std::vector<otlp::TraceRequest> traces_;
  std::vector<otlp::LogsRequest> logs_;
  int calls_ = 0;
};

// A queue in `directory` within `max_bytes` (segments of a sixteenth, records up to half a
// segment), retrying after 10 ms, then 20 ms.
inline TelemetryQueueOptions test_queue_options(const std::string& directory,
                                                std::uint64_t max_bytes = 1u << 20) {
  TelemetryQueueOptions o;
  o.queue.directory = directory;
  o.queue.max_bytes = max_bytes;
  o.queue.segment_bytes = static_cast<std::uint32_t>(max_bytes / 16);
  o.queue.max_record_bytes = static_cast<std::uint32_t>(max_bytes / 32);
  o.retry_initial = std::chrono::milliseconds(10);
  o.retry_max = std::chrono::milliseconds(20);
  return o;
}

}  // namespace edgetrace::daemon::testing
