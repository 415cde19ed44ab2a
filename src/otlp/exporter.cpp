#include "edgetrace/otlp/exporter.hpp"

#include "edgetrace/otlp/codec.hpp"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace edgetrace::otlp {
namespace {

using opentelemetry::proto::metrics::v1::Metric;

// ---- item counting and splitting ------------------------------------------------------

// Accessors for the two-level requests (traces, logs): resource -> scope -> leaf items.
struct TraceShape {
  static const auto& resources(const ExportTraceServiceRequest& r) { return r.resource_spans(); }
  static auto* add_resource(ExportTraceServiceRequest& r) { return r.add_resource_spans(); }
  static const auto& scopes(const auto& rs) { return rs.scope_spans(); }
  static auto* add_scope(auto* rs) { return rs->add_scope_spans(); }
  static void clear_scopes(auto* rs) { rs->clear_scope_spans(); }
  static const auto& leaves(const auto& ss) { return ss.spans(); }
  static auto* add_leaf(auto* ss) { return ss->add_spans(); }
  static void clear_leaves(auto* ss) { ss->clear_spans(); }
};

struct LogsShape {
  static const auto& resources(const ExportLogsServiceRequest& r) { return r.resource_logs(); }
  static auto* add_resource(ExportLogsServiceRequest& r) { return r.add_resource_logs(); }
  static const auto& scopes(const auto& rl) { return rl.scope_logs(); }
  static auto* add_scope(auto* rl) { return rl->add_scope_logs(); }
  static void clear_scopes(auto* rl) { rl->clear_scope_logs(); }
  static const auto& leaves(const auto& sl) { return sl.log_records(); }
  static auto* add_leaf(auto* sl) { return sl->add_log_records(); }
  static void clear_leaves(auto* sl) { sl->clear_log_records(); }
};

template <typename Shape, typename Request>
std::size_t count_leaves(const Request& request) {
  std::size_t n = 0;
  for (const auto& r : Shape::resources(request)) {
    for (const auto& s : Shape::scopes(r))
      n += static_cast<std::size_t>(Shape::leaves(s).size());
  }
  return n;
}

template <typename Shape, typename Request>
std::pair<Request, Request> split_leaves(const Request& request) {
  const std::size_t half = count_leaves<Shape>(request) / 2;
  std::pair<Request, Request> out;
  std::size_t seen = 0;
  for (const auto& r : Shape::resources(request)) {
    decltype(Shape::add_resource(out.first)) dst_r[2] = {nullptr, nullptr};
    for (const auto& s : Shape::scopes(r)) {
      decltype(Shape::add_scope(dst_r[0])) dst_s[2] = {nullptr, nullptr};
      for (const auto& leaf : Shape::leaves(s)) {
        const int side = seen++ < half ? 0 : 1;
        Request& target = side == 0 ? out.first : out.second;
        if (dst_r[side] == nullptr) {
          dst_r[side] = Shape::add_resource(target);
          *dst_r[side] = r;
          Shape::clear_scopes(dst_r[side]);
        }
        if (dst_s[side] == nullptr) {
          dst_s[side] = Shape::add_scope(dst_r[side]);
          *dst_s[side] = s;
          Shape::clear_leaves(dst_s[side]);
        }
        *Shape::add_leaf(dst_s[side]) = leaf;
      }
    }
  }
  return out;
}

std::size_t data_points(const Metric& m) {
  switch (m.data_case()) {
    case Metric::kGauge:
      return static_cast<std::size_t>(m.gauge().data_points_size());
    case Metric::kSum:
      return static_cast<std::size_t>(m.sum().data_points_size());
    case Metric::kHistogram:
      return static_cast<std::size_t>(m.histogram().data_points_size());
    case Metric::kExponentialHistogram:
      return static_cast<std::size_t>(m.exponential_histogram().data_points_size());
    case Metric::kSummary:
      return static_cast<std::size_t>(m.summary().data_points_size());
    default:
      return 0;
  }
}

// Keeps data points [begin, end) of `m`.
Metric slice(const Metric& m, std::size_t begin, std::size_t end) {
  Metric out = m;
  auto keep = [&](auto* points) {
    auto* field = points;
    const int b = static_cast<int>(begin);
    const int e = static_cast<int>(end);
    if (e < field->size())
      field->DeleteSubrange(e, field->size() - e);
    if (b > 0)
      field->DeleteSubrange(0, b);
  };
  switch (out.data_case()) {
    case Metric::kGauge:
      keep(out.mutable_gauge()->mutable_data_points());
      break;
    case Metric::kSum:
      keep(out.mutable_sum()->mutable_data_points());
      break;
    case Metric::kHistogram:
      keep(out.mutable_histogram()->mutable_data_points());
      break;
    case Metric::kExponentialHistogram:
      keep(out.mutable_exponential_histogram()->mutable_data_points());
      break;
    case Metric::kSummary:
      keep(out.mutable_summary()->mutable_data_points());
      break;
    default:
      break;
  }
  return out;
}

// ---- redaction ------------------------------------------------------------------------

void replace_all(std::string& text, std::string_view needle, std::string_view with) {
  if (needle.empty())
    return;
  std::size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    text.replace(pos, needle.size(), with);
    pos += with.size();
  }
}

// Removes "user:password@" from every URL in `text`.
void strip_userinfo(std::string& text) {
  std::size_t pos = 0;
  while ((pos = text.find("://", pos)) != std::string::npos) {
    const std::size_t start = pos + 3;
    const std::size_t end = text.find_first_of("/ \t\"'", start);
    const std::size_t at = text.rfind('@', end == std::string::npos ? text.size() : end);
    if (at != std::string::npos && at >= start) {
      text.replace(start, at + 1 - start, "[REDACTED]@");
    }
    pos = start;
  }
}

}  // namespace

std::size_t count_items(const ExportTraceServiceRequest& request) {
  return count_leaves<TraceShape>(request);
}
std::size_t count_items(const ExportLogsServiceRequest& request) {
  return count_leaves<LogsShape>(request);
}
std::size_t count_items(const ExportMetricsServiceRequest& request) {
  std::size_t n = 0;
  for (const auto& rm : request.resource_metrics()) {
    for (const auto& sm : rm.scope_metrics()) {
      for (const auto& m : sm.metrics())
        n += data_points(m);
    }
  }
  return n;
}

std::pair<ExportTraceServiceRequest, ExportTraceServiceRequest> split_in_halves(
    const ExportTraceServiceRequest& request) {
  return split_leaves<TraceShape>(request);
}
std::pair<ExportLogsServiceRequest, ExportLogsServiceRequest> split_in_halves(
    const ExportLogsServiceRequest& request) {
  return split_leaves<LogsShape>(request);
}
std::pair<ExportMetricsServiceRequest, ExportMetricsServiceRequest> split_in_halves(
    const ExportMetricsServiceRequest& request) {
  const std::size_t half = count_items(request) / 2;
  std::pair<ExportMetricsServiceRequest, ExportMetricsServiceRequest> out;
  std::size_t seen = 0;
  for (const auto& rm : request.resource_metrics()) {
    opentelemetry::proto::metrics::v1::ResourceMetrics* dst_r[2] = {nullptr, nullptr};
    for (const auto& sm : rm.scope_metrics()) {
      opentelemetry::proto::metrics::v1::ScopeMetrics* dst_s[2] = {nullptr, nullptr};
      for (const auto& m : sm.metrics()) {
        const std::size_t n = data_points(m);
        // Points [0, cut) of this metric go to the first half, the rest to the second.
        const std::size_t cut = seen >= half ? 0 : std::min(n, half - seen);
        seen += n;
        for (int side = 0; side < 2; ++side) {
          const std::size_t b = side == 0 ? 0 : cut;
          const std::size_t e = side == 0 ? cut : n;
          if (b == e)
            continue;
          auto& target = side == 0 ? out.first : out.second;
          if (dst_r[side] == nullptr) {
            dst_r[side] = target.add_resource_metrics();
            *dst_r[side] = rm;
            dst_r[side]->clear_scope_metrics();
          }
          if (dst_s[side] == nullptr) {
            dst_s[side] = dst_r[side]->add_scope_metrics();
            *dst_s[side] = sm;
            dst_s[side]->clear_metrics();
          }
          *dst_s[side]->add_metrics() = slice(m, b, e);
        }
      }
    }
  }
  return out;
}

std::string_view to_string(DropReason reason) noexcept {
  switch (reason) {
    case DropReason::kRejected:
      return "rejected";
    case DropReason::kUnauthorized:
      return "unauthorized";
    case DropReason::kRetryExhausted:
      return "retry_exhausted";
    case DropReason::kTooLarge:
      return "too_large";
    case DropReason::kCircuitOpen:
      return "circuit_open";
    case DropReason::kShutdown:
      return "shutdown";
    case DropReason::kEncodeFailed:
      return "encode_failed";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

std::uint64_t ExporterCounters::dropped_total() const noexcept {
  std::uint64_t n = 0;
  for (const auto& d : items_dropped)
    n += d.load(std::memory_order_relaxed);
  return n;
}

ErrorCallback stderr_error_callback(int burst) {
  struct Limiter {
    std::mutex mu;
    Clock::time_point window_start = Clock::now();
    int in_window = 0;
    std::uint64_t suppressed = 0;
  };
  auto limiter = std::make_shared<Limiter>();
  return [limiter, burst](std::string_view message) {
    std::lock_guard<std::mutex> lock(limiter->mu);
    const auto now = Clock::now();
    if (now - limiter->window_start >= std::chrono::minutes(1)) {
      limiter->window_start = now;
      limiter->in_window = 0;
    }
    if (limiter->in_window >= burst) {
      ++limiter->suppressed;
      return;
    }
    ++limiter->in_window;
    if (limiter->suppressed > 0) {
      std::fprintf(stderr, "edgetrace exporter: (%llu earlier messages suppressed)\n",
                   static_cast<unsigned long long>(limiter->suppressed));
      limiter->suppressed = 0;
    }
    std::fprintf(stderr, "edgetrace exporter: %.*s\n", static_cast<int>(message.size()),
                 message.data());
  };
}

OtlpExporter::OtlpExporter(OtlpExporterOptions options, std::unique_ptr<Transport> transport,
                           ErrorCallback on_error)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      on_error_(on_error ? std::move(on_error) : stderr_error_callback()) {
  options_.max_concurrent_requests = std::max(1, options_.max_concurrent_requests);
}

OtlpExporter::~OtlpExporter() {
  shutdown();
  // Calls on other threads (a batch processor abandoned at its deadline, for example) are
  // still using this object: they return promptly now, except a send already on the wire,
  // which ends by its request timeout.
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return active_calls_ == 0; });
}

void OtlpExporter::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shut_down_ = true;
  }
  cv_.notify_all();
}

std::string OtlpExporter::redact(std::string_view text) const {
  std::string out(text);
  for (const Header& h : options_.headers) {
    replace_all(out, h.value, "[REDACTED]");
    // Also the credential alone ("Bearer <token>" echoed as "<token>").
    std::size_t space = h.value.rfind(' ');
    if (space != std::string::npos && h.value.size() - space > 4) {
      replace_all(out, std::string_view(h.value).substr(space + 1), "[REDACTED]");
    }
  }
  strip_userinfo(out);
  return out;
}

void OtlpExporter::report(std::string_view message) {
  std::string line = redact(message);
  line.insert(0, std::string(to_string(options_.protocol)) + " ");
  on_error_(line);
}

void OtlpExporter::drop(DropReason reason, std::size_t items) {
  counters_.items_dropped[static_cast<std::size_t>(reason)].fetch_add(items,
                                                                      std::memory_order_relaxed);
}

bool OtlpExporter::acquire_slot(Deadline deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_until(lock, deadline, [&] {
        return shut_down_ || in_flight_ < options_.max_concurrent_requests;
      })) {
    return false;
  }
  if (shut_down_)
    return false;
  ++in_flight_;
  return true;
}

void OtlpExporter::release_slot() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
  }
  cv_.notify_all();
}

bool OtlpExporter::sleep_until(Clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_until(lock, until, [&] { return shut_down_; });
}

template <typename Request>
ExportOutcome OtlpExporter::export_request(Signal signal, const Request& request,
                                           Deadline deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++active_calls_;
  }
  struct Leave {
    OtlpExporter* self;
    ~Leave() {
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        --self->active_calls_;
      }
      self->cv_.notify_all();
    }
  } leave{this};
  const std::size_t items = count_items(request);
  ExportOutcome refused;
  if (!admit(items, refused))
    return refused;
  return send_with_retry(signal, request, items, deadline, 0);
}

bool OtlpExporter::admit(std::size_t items, ExportOutcome& refused) {
  counters_.items_accepted.fetch_add(items, std::memory_order_relaxed);
  refused = {};
  if (items == 0)
    return false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) {
      drop(DropReason::kShutdown, items);
      refused = {0, items};
      return false;
    }
  }
  if (breaker_.open()) {
    drop(DropReason::kCircuitOpen, items);
    refused = {0, items};
    return false;
  }
  return true;
}

template <typename Request>
ExportOutcome OtlpExporter::split_and_send(Signal signal, const Request& request, std::size_t items,
                                           Deadline deadline, int depth) {
  counters_.splits.fetch_add(1, std::memory_order_relaxed);
  auto halves = split_in_halves(request);
  const std::size_t first = count_items(halves.first);
  ExportOutcome a = send_with_retry(signal, halves.first, first, deadline, depth + 1);
  ExportOutcome b = send_with_retry(signal, halves.second, items - first, deadline, depth + 1);
  return {a.delivered + b.delivered, a.failed + b.failed};
}

template <typename Request>
ExportOutcome OtlpExporter::send_with_retry(Signal signal, const Request& request,
                                            std::size_t items, Deadline deadline, int depth) {
  auto split = [&]() -> ExportOutcome {
    return split_and_send(signal, request, items, deadline, depth);
  };

  core::Result<std::string> body = transport_->encode(signal, request);
  if (!body) {
    drop(DropReason::kEncodeFailed, items);
    report("cannot encode " + std::to_string(items) + " " + std::string(to_string(signal)) +
           " items: " + body.status().message());
    return {0, items};
  }
  return send_body(signal, *body, items, deadline, split);
}

template <typename SplitFn>
ExportOutcome OtlpExporter::send_body(Signal signal, const std::string& body, std::size_t items,
                                      Deadline deadline, SplitFn&& split) {
  if (options_.max_request_bytes != 0 && body.size() > options_.max_request_bytes) {
    if (items >= 2)
      return split();
    drop(DropReason::kTooLarge, 1);
    report("dropped one " + std::string(to_string(signal)) + " item of " +
           std::to_string(body.size()) + " bytes: larger than max_request_bytes (" +
           std::to_string(options_.max_request_bytes) + ")");
    return {0, 1};
  }
  Backoff backoff(options_.retry);
  const auto first_attempt = Clock::now();
  for (int attempt = 0;; ++attempt) {
    if (breaker_.open()) {
      drop(DropReason::kCircuitOpen, items);
      return {0, items};
    }
    if (!acquire_slot(deadline)) {
      bool shut;
      {
        std::lock_guard<std::mutex> lock(mu_);
        shut = shut_down_;
      }
      drop(shut ? DropReason::kShutdown : DropReason::kRetryExhausted, items);
      return {0, items};
    }
    counters_.requests.fetch_add(1, std::memory_order_relaxed);
    if (attempt > 0)
      counters_.retries.fetch_add(1, std::memory_order_relaxed);
    const Deadline request_deadline = std::min(deadline, Clock::now() + options_.timeout);
    TransportResponse r = transport_->send(signal, body, request_deadline);
    release_slot();
    counters_.bytes_sent.fetch_add(r.bytes_sent, std::memory_order_relaxed);
    const bool opened = breaker_.record(r.verdict.action);
    if (r.verdict.action != Action::kSuccess) {
      counters_.failed_requests_by_action[static_cast<std::size_t>(r.verdict.action)].fetch_add(
          1, std::memory_order_relaxed);
    }

    switch (r.verdict.action) {
      case Action::kSuccess: {
        const std::size_t rejected =
            std::min(items, static_cast<std::size_t>(std::max<std::int64_t>(0, r.rejected_items)));
        if (rejected > 0 || !r.message.empty()) {
          counters_.items_rejected_partial.fetch_add(rejected, std::memory_order_relaxed);
          report("partial success: receiver rejected " + std::to_string(rejected) + " of " +
                 std::to_string(items) + " " + std::string(to_string(signal)) + " items" +
                 (r.message.empty() ? "" : ": " + r.message));
        }
        counters_.items_exported.fetch_add(items - rejected, std::memory_order_relaxed);
        return {items - rejected, rejected};
      }
      case Action::kSplit:
        if (items >= 2)
          return split();
        drop(DropReason::kTooLarge, items);
        report("receiver refused a single " + std::string(to_string(signal)) +
               " item as too large: " + r.message);
        return {0, items};
      case Action::kDrop:
        drop(DropReason::kRejected, items);
        report("receiver rejected " + std::to_string(items) + " " + std::string(to_string(signal)) +
               " items: " + r.message);
        return {0, items};
      case Action::kFatal:
        drop(DropReason::kUnauthorized, items);
        report("receiver refused the credentials (" + r.message + "); " + std::to_string(items) +
               " " + std::string(to_string(signal)) + " items dropped");
        if (opened) {
          counters_.circuit_opened.fetch_add(1, std::memory_order_relaxed);
          report(
              "circuit breaker open after 3 consecutive authentication failures: nothing "
              "more is sent to " +
              resolved_endpoint(options_, signal) + " until it is reset or reconfigured");
        }
        return {0, items};
      case Action::kRetry: {
        const auto delay = r.verdict.retry_after.value_or(backoff.next());
        const auto when = Clock::now() + delay;
        if (when - first_attempt > options_.retry.max_elapsed || when > deadline) {
          drop(DropReason::kRetryExhausted, items);
          report("giving up on " + std::to_string(items) + " " + std::string(to_string(signal)) +
                 " items after " + std::to_string(attempt + 1) + " attempts: " + r.message);
          return {0, items};
        }
        if (!sleep_until(when)) {
          drop(DropReason::kShutdown, items);
          return {0, items};
        }
        break;
      }
    }
  }
}

bool OtlpExporter::accepts_encoded() const noexcept {
  return options_.protocol != Protocol::kHttpJson;
}

ExportOutcome OtlpExporter::export_encoded_traces(const std::string& body, std::size_t items,
                                                  Deadline deadline) {
  return export_protobuf(Signal::kTraces, body, items, deadline);
}

ExportOutcome OtlpExporter::export_traces(const ExportTraceServiceRequest& request,
                                          Deadline deadline) {
  return export_request(Signal::kTraces, request, deadline);
}
ExportOutcome OtlpExporter::export_logs(const ExportLogsServiceRequest& request,
                                        Deadline deadline) {
  return export_request(Signal::kLogs, request, deadline);
}
ExportOutcome OtlpExporter::export_metrics(const ExportMetricsServiceRequest& request,
                                           Deadline deadline) {
  return export_request(Signal::kMetrics, request, deadline);
}

namespace {

// Calls `fn` with the request of `signal` decoded from `body` (on an arena), or returns
// false when it does not decode.
template <typename Fn>
bool with_decoded(Signal signal, const std::string& body, Fn&& fn) {
  google::protobuf::Arena arena;
  DecodeLimits limits;
  limits.max_message_bytes = body.size() + 1;
  const auto decode = [&](auto* request) {
    if (!decode_protobuf_message(body, *request, limits).ok())
      return false;
    fn(*request);
    return true;
  };
  switch (signal) {
    case Signal::kTraces:
      return decode(google::protobuf::Arena::CreateMessage<ExportTraceServiceRequest>(&arena));
    case Signal::kLogs:
      return decode(google::protobuf::Arena::CreateMessage<ExportLogsServiceRequest>(&arena));
    case Signal::kMetrics:
      break;
  }
  return decode(google::protobuf::Arena::CreateMessage<ExportMetricsServiceRequest>(&arena));
}

}  // namespace

ExportOutcome OtlpExporter::export_protobuf(Signal signal, const std::string& body,
                                            std::size_t items, Deadline deadline) {
  if (!accepts_encoded()) {
    // Re-encoded as OTLP/JSON: through the typed path, which counts the items itself.
    ExportOutcome out;
    if (!with_decoded(signal, body, [&](const auto& request) {
          out = export_request(signal, request, deadline);
        })) {
      counters_.items_accepted.fetch_add(items, std::memory_order_relaxed);
      drop(DropReason::kEncodeFailed, items);
      report("cannot decode " + std::to_string(items) + " encoded " +
             std::string(to_string(signal)) + " items");
      return {0, items};
    }
    return out;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++active_calls_;
  }
  struct Leave {
    OtlpExporter* self;
    ~Leave() {
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        --self->active_calls_;
      }
      self->cv_.notify_all();
    }
  } leave{this};
  ExportOutcome refused;
  if (!admit(items, refused))
    return refused;
  auto split = [&]() -> ExportOutcome {
    ExportOutcome out{0, items};
    if (!with_decoded(signal, body, [&](const auto& request) {
          out = split_and_send(signal, request, items, deadline, 0);
        })) {
      drop(DropReason::kEncodeFailed, items);
      report("cannot decode " + std::to_string(items) + " encoded " +
             std::string(to_string(signal)) + " items to split them");
    }
    return out;
  };
  return send_body(signal, body, items, deadline, split);
}

}  // namespace edgetrace::otlp
