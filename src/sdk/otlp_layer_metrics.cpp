// The OTLP layer's self-metrics as OTLP metrics, named as the OpenTelemetry semantic
// conventions name an SDK's own metrics ("OpenTelemetry SDK metrics", otel.sdk.*), plus
// otel.logs.dropped_count. Every instrument is a cumulative Sum from the layer's creation:
// Counters are monotonic, UpDownCounters (live spans, queue size and capacity, in flight)
// are not.
#include <algorithm>
#include <charconv>
#include <map>
#include <utility>

#include "edgetrace/core/clock.hpp"
#include "edgetrace/otlp/model.hpp"
#include "internal/otlp_self_metrics.hpp"

namespace edgetrace::sdk::internal {
namespace {

namespace pb = ::opentelemetry::proto;
using otlp::add_int_attribute;
using otlp::add_string_attribute;

std::int64_t as_int(std::uint64_t v) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(v, INT64_MAX));
}
std::int64_t difference(std::uint64_t a, std::uint64_t b) {
  return a > b ? as_int(a - b) : 0;
}

class MetricWriter {
 public:
  MetricWriter(pb::metrics::v1::ScopeMetrics& scope, std::uint64_t start, std::uint64_t now)
      : scope_(scope), start_(start), now_(now) {}

  pb::metrics::v1::Sum& sum(std::string_view name, std::string_view unit,
                            std::string_view description, bool monotonic) {
    pb::metrics::v1::Metric* m = scope_.add_metrics();
    m->mutable_name()->assign(name.data(), name.size());
    m->mutable_unit()->assign(unit.data(), unit.size());
    m->mutable_description()->assign(description.data(), description.size());
    pb::metrics::v1::Sum* s = m->mutable_sum();
    s->set_aggregation_temporality(pb::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE);
    s->set_is_monotonic(monotonic);
    return *s;
  }
  pb::metrics::v1::NumberDataPoint& point(pb::metrics::v1::Sum& sum, std::int64_t value) {
    pb::metrics::v1::NumberDataPoint* p = sum.add_data_points();
    p->set_start_time_unix_nano(start_);
    p->set_time_unix_nano(now_);
    p->set_as_int(value);
    return *p;
  }

 private:
  pb::metrics::v1::ScopeMetrics& scope_;
  std::uint64_t start_;
  std::uint64_t now_;
};

using Attributes = google::protobuf::RepeatedPtrField<pb::common::v1::KeyValue>;

void component(Attributes& a, std::string_view type, const std::string& name) {
  add_string_attribute(a, "otel.component.type", type);
  add_string_attribute(a, "otel.component.name", name);
}

void exporter_attributes(Attributes& a, const ExporterSelfMetrics& e) {
  component(a, e.component_type, e.component_name);
  if (!e.server_address.empty())
    add_string_attribute(a, "server.address", e.server_address);
  if (e.server_port != 0)
    add_int_attribute(a, "server.port", e.server_port);
}

// otel.sdk.processor.<item>.{queue.size,queue.capacity,processed}
void write_processor(MetricWriter& w, std::string_view item, std::string_view unit,
                     std::string_view type, const ProcessorSelfMetrics& p) {
  const std::string prefix = "otel.sdk.processor." + std::string(item);
  auto& size = w.sum(prefix + ".queue.size", unit,
                     "The number of items in the queue of the SDK processor", false);
  component(*w.point(size, as_int(p.queue_size)).mutable_attributes(), type, p.component_name);
  auto& capacity =
      w.sum(prefix + ".queue.capacity", unit,
            "The maximum number of items the queue of the SDK processor can hold", false);
  component(*w.point(capacity, as_int(p.queue_capacity)).mutable_attributes(), type,
            p.component_name);
  auto& processed = w.sum(prefix + ".processed", unit,
                          "The number of items for which the processing has finished, either "
                          "successful or failed",
                          true);
  component(*w.point(processed, as_int(p.processed)).mutable_attributes(), type, p.component_name);
  const std::pair<std::string_view, std::uint64_t> failures[] = {
      {"queue_full", p.dropped_queue_full},
      {"already_shutdown", p.dropped_already_shutdown},
      {"shutdown_timeout", p.dropped_shutdown_timeout},
      {"sampled_out", p.dropped_sampled_out},
      {"rate_capped", p.dropped_rate_capped}};
  for (const auto& [error_type, n] : failures) {
    if (n == 0)
      continue;
    auto& a = *w.point(processed, as_int(n)).mutable_attributes();
    component(a, type, p.component_name);
    add_string_attribute(a, "error.type", error_type);
  }
}

// otel.sdk.exporter.<item>.{inflight,exported}
void write_exporter(MetricWriter& w, std::string_view item, std::string_view unit,
                    const ExporterSelfMetrics& e) {
  const std::string prefix = "otel.sdk.exporter." + std::string(item);
  auto& inflight = w.sum(prefix + ".inflight", unit,
                         "The number of items which were passed to the exporter, but that have "
                         "not been exported yet (neither successful, nor failed)",
                         false);
  exporter_attributes(*w.point(inflight, as_int(e.inflight)).mutable_attributes(), e);
  auto& exported = w.sum(prefix + ".exported", unit,
                         "The number of items for which the export has finished, either "
                         "successful or failed",
                         true);
  exporter_attributes(*w.point(exported, as_int(e.exported)).mutable_attributes(), e);
  const std::pair<otlp::DropReason, std::uint64_t> failures[] = {
      {otlp::DropReason::kRejected, e.failed_rejected},
      {otlp::DropReason::kUnauthorized, e.failed_unauthorized},
      {otlp::DropReason::kRetryExhausted, e.failed_retry_exhausted},
      {otlp::DropReason::kTooLarge, e.failed_too_large},
      {otlp::DropReason::kCircuitOpen, e.failed_circuit_open},
      {otlp::DropReason::kShutdown, e.failed_shutdown},
      {otlp::DropReason::kEncodeFailed, e.failed_encode}};
  for (const auto& [reason, n] : failures) {
    if (n == 0)
      continue;
    auto& a = *w.point(exported, as_int(n)).mutable_attributes();
    exporter_attributes(a, e);
    add_string_attribute(a, "error.type", otlp::to_string(reason));
  }
}

void write_spans(MetricWriter& w, const SpanSelfMetrics& s) {
  constexpr std::string_view kSampled = "RECORD_AND_SAMPLE";
  constexpr std::string_view kUnsampled = "RECORD_ONLY";
  auto& live = w.sum("otel.sdk.span.live", "{span}",
                     "The number of created spans with recording=true for which the end "
                     "operation has not been called yet",
                     false);
  add_string_attribute(
      *w.point(live, difference(s.started_sampled(), s.ended_sampled)).mutable_attributes(),
      "otel.span.sampling_result", kSampled);
  add_string_attribute(
      *w.point(live, difference(s.started_unsampled(), s.ended_unsampled)).mutable_attributes(),
      "otel.span.sampling_result", kUnsampled);
  auto& started = w.sum("otel.sdk.span.started", "{span}", "The number of created spans", true);
  const struct {
    std::string_view origin;
    std::string_view sampling;
    std::uint64_t n;
  } points[] = {{"none", kSampled, s.started_root_sampled},
                {"none", kUnsampled, s.started_root_unsampled},
                {"local", kSampled, s.started_local_sampled},
                {"local", kUnsampled, s.started_local_unsampled},
                {"remote", kSampled, s.started_remote_sampled},
                {"remote", kUnsampled, s.started_remote_unsampled}};
  for (const auto& p : points) {
    if (p.n == 0 && !(p.origin == "none" && p.sampling == kSampled))
      continue;  // a zero point for every combination says nothing; one keeps the series
    auto& a = *w.point(started, as_int(p.n)).mutable_attributes();
    add_string_attribute(a, "otel.span.parent.origin", p.origin);
    add_string_attribute(a, "otel.span.sampling_result", p.sampling);
  }
  write_processor(w, "span", "{span}", "batching_span_processor", s.processor);
  write_exporter(w, "span", "{span}", s.exporter);
}

void write_logs(MetricWriter& w, const LogSelfMetrics& l) {
  auto& created = w.sum("otel.sdk.log.created", "{log_record}",
                        "The number of logs submitted to enabled SDK Loggers", true);
  w.point(created, as_int(l.created));
  write_processor(w, "log", "{log_record}", "batching_log_processor", l.processor);
  write_exporter(w, "log", "{log_record}", l.exporter);
  auto& dropped = w.sum("otel.logs.dropped_count", "{log_record}",
                        "The number of log records lost before the backend acknowledged them "
                        "(dropped by the processor or failed by the exporter)",
                        true);
  w.point(dropped, as_int(l.dropped_count()));
}

}  // namespace

constinit thread_local std::size_t ShardedCounters::t_shard_ = 0;

void ShardedCounters::add_first(std::size_t i) noexcept {
  static std::atomic<std::size_t> next{0};
  t_shard_ = next.fetch_add(1, std::memory_order_relaxed) % kShards + 1;
  add(i);
}

std::string next_component_name(std::string_view type) {
  static std::mutex mu;
  static std::map<std::string, std::uint64_t, std::less<>> next;
  std::lock_guard<std::mutex> lock(mu);
  auto it = next.find(type);
  if (it == next.end())
    it = next.emplace(std::string(type), 0).first;
  return std::string(type) + "/" + std::to_string(it->second++);
}

std::string exporter_component_type(otlp::Protocol protocol, otlp::Signal signal) {
  std::string out = "otlp_";
  switch (protocol) {
    case otlp::Protocol::kGrpc:
      out += "grpc_";
      break;
    case otlp::Protocol::kHttpProtobuf:
      out += "http_";
      break;
    case otlp::Protocol::kHttpJson:
      out += "http_json_";
      break;
  }
  switch (signal) {
    case otlp::Signal::kTraces:
      out += "span";
      break;
    case otlp::Signal::kLogs:
      out += "log";
      break;
    case otlp::Signal::kMetrics:
      out += "metric";
      break;
  }
  return out + "_exporter";
}

void endpoint_address(std::string_view endpoint, std::string& address, std::uint16_t& port) {
  address.clear();
  port = 0;
  std::string_view rest = endpoint;
  std::string_view scheme;
  if (const std::size_t s = rest.find("://"); s != std::string_view::npos) {
    scheme = rest.substr(0, s);
    rest.remove_prefix(s + 3);
  }
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos)
    rest.remove_prefix(at + 1);  // user info never becomes an attribute
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos)
      return;
    address.assign(rest.substr(1, close - 1));
    if (close + 1 < rest.size() && rest[close + 1] == ':')
      port_text = rest.substr(close + 2);
  } else if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    address.assign(rest.substr(0, colon));
    port_text = rest.substr(colon + 1);
  } else {
    address.assign(rest);
  }
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (r.ec == std::errc() && r.ptr == port_text.data() + port_text.size() && value <= 65535)
      port = static_cast<std::uint16_t>(value);
  } else if (scheme == "https") {
    port = 443;
  } else if (scheme == "http") {
    port = 80;
  }
}

void fill_exporter_metrics(const otlp::ExporterCounters& c, ExporterSelfMetrics& out) {
  using otlp::DropReason;
  constexpr auto r = std::memory_order_relaxed;
  out.exported = c.items_exported.load(r);
  out.failed_rejected = c.dropped(DropReason::kRejected) + c.items_rejected_partial.load(r);
  out.failed_unauthorized = c.dropped(DropReason::kUnauthorized);
  out.failed_retry_exhausted = c.dropped(DropReason::kRetryExhausted);
  out.failed_too_large = c.dropped(DropReason::kTooLarge);
  out.failed_circuit_open = c.dropped(DropReason::kCircuitOpen);
  out.failed_shutdown = c.dropped(DropReason::kShutdown);
  out.failed_encode = c.dropped(DropReason::kEncodeFailed);
  const std::uint64_t accepted = c.items_accepted.load(r);
  const std::uint64_t finished = out.exported + out.failed();
  out.inflight = accepted > finished ? accepted - finished : 0;
}

void to_otlp_metrics(const SelfMetrics& m, std::uint64_t start_unix_nano,
                     std::uint64_t now_unix_nano, otlp::ExportMetricsServiceRequest& out) {
  auto& scope = *out.mutable_resource_metrics(0)->mutable_scope_metrics(0);
  scope.clear_metrics();
  MetricWriter w(scope, start_unix_nano, now_unix_nano);
  if (!m.spans.processor.component_name.empty())
    write_spans(w, m.spans);
  if (!m.logs.processor.component_name.empty())
    write_logs(w, m.logs);
  if (!m.metrics_exporter.component_name.empty())
    write_exporter(w, "metric_data_point", "{data_point}", m.metrics_exporter);
}

SelfMetricsReporter::SelfMetricsReporter(std::unique_ptr<otlp::OtlpExporter> exporter,
                                         std::chrono::milliseconds interval,
                                         const core::Resource& resource, std::string scope_name,
                                         std::string scope_version, Snapshot snapshot)
    : exporter_(std::move(exporter)),
      interval_(std::max(interval, std::chrono::milliseconds(1))),
      start_unix_nano_(core::unix_nanos()),
      snapshot_(std::move(snapshot)) {
  auto* rm = request_.add_resource_metrics();
  otlp::to_otlp_resource(resource, *rm->mutable_resource());
  rm->set_schema_url(resource.schema_url());
  auto* scope = rm->add_scope_metrics()->mutable_scope();
  scope->set_name(std::move(scope_name));
  scope->set_version(std::move(scope_version));
  thread_ = std::thread([this] { run(); });
}

SelfMetricsReporter::~SelfMetricsReporter() {
  stop();
}

std::uint64_t activity(const SelfMetrics& m) noexcept {
  auto processor = [](const ProcessorSelfMetrics& p) {
    return p.processed + p.dropped() + p.dropped_sampled_out + p.dropped_rate_capped;
  };
  auto exporter = [](const ExporterSelfMetrics& e) { return e.exported + e.failed(); };
  return m.spans.started() + m.spans.ended_sampled + m.spans.ended_unsampled +
         processor(m.spans.processor) + exporter(m.spans.exporter) + m.logs.created +
         processor(m.logs.processor) + exporter(m.logs.exporter);
}

bool SelfMetricsReporter::export_now(otlp::Deadline deadline, bool only_if_changed) {
  std::unique_lock<std::timed_mutex> lock(export_mu_, deadline);
  if (!lock.owns_lock())
    return false;  // a periodic export still runs past the caller's deadline
  const SelfMetrics m = snapshot_();
  const std::uint64_t now_activity = activity(m);
  if (now_activity == 0 || (only_if_changed && now_activity == exported_activity_))
    return true;
  to_otlp_metrics(m, start_unix_nano_, core::unix_nanos(), request_);
  const otlp::ExportOutcome out = exporter_->export_metrics(request_, deadline);
  exported_activity_ = now_activity;
  return out.failed == 0;
}

void SelfMetricsReporter::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    const auto wake = otlp::Clock::now() + interval_;
    if (cv_.wait_until(lock, wake, [this] { return stopping_; }))
      return;
    lock.unlock();
    (void)export_now(otlp::Clock::now() + exporter_->options().timeout, false);
    lock.lock();
  }
}

void SelfMetricsReporter::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable())
      return;
    stopping_ = true;
  }
  cv_.notify_all();
  exporter_->shutdown();  // an export in progress returns promptly
  if (thread_.joinable())
    thread_.join();
}

}  // namespace edgetrace::sdk::internal
