// The OTLP layer's self-metrics: counters written on the application's threads, the mapping
// of SelfMetrics to OTLP metrics (semantic conventions, "OpenTelemetry SDK metrics"), and the
// reporter thread that exports them.
//
// Thread-safety: ShardedCounters::add from any thread; SelfMetricsReporter's methods from any
// thread (exports are serialised).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "edgetrace/core/resource.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "edgetrace/sdk/self_metrics.hpp"

namespace edgetrace::sdk::internal {

// Counters bumped on every span start and end and every event: one cache line per shard and
// threads spread over the shards, so two threads rarely write the same line.
class ShardedCounters {
 public:
  // started: 2 * origin (0 none, 1 local, 2 remote) + (unsampled ? 1 : 0)
  static constexpr std::size_t kStarted = 0;
  static constexpr std::size_t kEndedSampled = 6;
  static constexpr std::size_t kEndedUnsampled = 7;
  static constexpr std::size_t kLogsCreated = 8;
  static constexpr std::size_t kCount = 9;

  void add(std::size_t i) noexcept {
    const std::size_t shard = t_shard_;
    if (shard == 0) [[unlikely]] {
      add_first(i);
      return;
    }
    shards_[shard - 1].values[i].fetch_add(1, std::memory_order_relaxed);
  }
  std::uint64_t sum(std::size_t i) const noexcept {
    std::uint64_t n = 0;
    for (const Shard& s : shards_)
      n += s.values[i].load(std::memory_order_relaxed);
    return n;
  }

 private:
  static constexpr std::size_t kShards = 16;
  struct alignas(64) Shard {
    std::array<std::atomic<std::uint64_t>, kCount> values{};
  };
  // This thread's shard + 1; 0 until its first add (constant-initialised: no guard).
  static constinit thread_local std::size_t t_shard_;
  // A thread's first add: takes the next shard, round-robin, then adds.
  [[gnu::noinline]] void add_first(std::size_t i) noexcept;
  std::array<Shard, kShards> shards_{};
};

// "<type>/<n>": n counts the components of that type made in this process, from 0.
std::string next_component_name(std::string_view type);
// otlp_grpc_span_exporter, otlp_http_log_exporter, otlp_http_json_metric_exporter, ...
std::string exporter_component_type(otlp::Protocol protocol, otlp::Signal signal);
// server.address and server.port of an endpoint URL ("http://host:4318/v1/traces").
void endpoint_address(std::string_view endpoint, std::string& address, std::uint16_t& port);
// A snapshot of an exporter's counters, in the self-metrics' terms.
void fill_exporter_metrics(const otlp::ExporterCounters& c, ExporterSelfMetrics& out);

// The sum of every monotonic count of the spans and logs: it changes when anything happened.
std::uint64_t activity(const SelfMetrics& m) noexcept;

// Writes `m` as OTLP metrics (cumulative sums from start_unix_nano to now_unix_nano) into
// `out`'s only ScopeMetrics, replacing what was there.
void to_otlp_metrics(const SelfMetrics& m, std::uint64_t start_unix_nano,
                     std::uint64_t now_unix_nano, otlp::ExportMetricsServiceRequest& out);

// Exports a snapshot every interval, and on request, on a thread of its own.
class SelfMetricsReporter {
 public:
  using Snapshot = std::function<SelfMetrics()>;

  SelfMetricsReporter(std::unique_ptr<otlp::OtlpExporter> exporter,
                      std::chrono::milliseconds interval, const core::Resource& resource,
                      std::string scope_name, std::string scope_version, Snapshot snapshot);
  ~SelfMetricsReporter();
  SelfMetricsReporter(const SelfMetricsReporter&) = delete;
  SelfMetricsReporter& operator=(const SelfMetricsReporter&) = delete;

  // Exports a snapshot now; true when the receiver took it by the deadline. Nothing is sent
  // while nothing has been counted yet, nor, with `only_if_changed`, when nothing was
  // counted since the last export (a flush or shutdown of an idle layer then costs nothing,
  // even with the receiver unreachable).
  bool export_now(otlp::Deadline deadline, bool only_if_changed);
  // Stops the thread (an export in progress returns promptly). Idempotent.
  void stop();

  const otlp::ExporterCounters& counters() const noexcept { return exporter_->counters(); }
  const otlp::OtlpExporterOptions& options() const noexcept { return exporter_->options(); }

 private:
  void run();

  std::unique_ptr<otlp::OtlpExporter> exporter_;
  const std::chrono::milliseconds interval_;
  const std::uint64_t start_unix_nano_;
  Snapshot snapshot_;
  std::timed_mutex export_mu_;  // one export at a time; guards request_
  otlp::ExportMetricsServiceRequest request_;
  std::uint64_t exported_activity_ = 0;  // activity() of the last snapshot sent
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace edgetrace::sdk::internal
