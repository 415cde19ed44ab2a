#include "edgetrace/processors/processors.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <utility>

#include "edgetrace/core/severity.hpp"
#include "edgetrace/processors/redaction.hpp"
#include "edgetrace/processors/sampling.hpp"

namespace edgetrace::processors {

namespace proto = ::opentelemetry::proto;
using KeyValues = google::protobuf::RepeatedPtrField<proto::common::v1::KeyValue>;

namespace {

constexpr std::size_t kTraces = static_cast<std::size_t>(Signal::kTraces);
constexpr std::size_t kLogs = static_cast<std::size_t>(Signal::kLogs);
constexpr std::size_t kSampled = static_cast<std::size_t>(DropReason::kSampled);
constexpr std::size_t kRateCapped = static_cast<std::size_t>(DropReason::kRateCapped);

// The log classes sampling and rate caps tell apart.
enum LogClass : std::uint8_t { kDebugClass = 0, kInfoClass, kWarnClass, kErrorClass };

LogClass log_class(const proto::logs::v1::LogRecord& record) {
  std::optional<core::Level> level =
      core::level_from_severity_number(static_cast<int>(record.severity_number()));
  if (!level && !record.severity_text().empty())
    level = core::parse_level(record.severity_text());
  switch (level.value_or(core::Level::kInfo)) {
    case core::Level::kTrace:
    case core::Level::kDebug:
      return kDebugClass;
    case core::Level::kInfo:
      return kInfoClass;
    case core::Level::kWarn:
      return kWarnClass;
    case core::Level::kError:
    case core::Level::kFatal:
      return kErrorClass;
  }
  return kInfoClass;
}

// 56 pseudo-random bits from this thread's generator (for records without a trace id).
std::uint64_t random56() {
  thread_local std::mt19937_64 generator([] {
    std::random_device device;
    return (std::uint64_t{device()} << 32) ^ device() ^
           std::hash<std::thread::id>{}(std::this_thread::get_id());
  }());
  return generator() >> 8;
}

// Moves the items whose mark is set to the front, in order, and deletes the rest.
template <typename T>
void keep_marked(google::protobuf::RepeatedPtrField<T>& items, const std::vector<char>& keep) {
  int w = 0;
  for (int i = 0; i < items.size(); ++i) {
    if (keep[static_cast<std::size_t>(i)]) {
      if (i != w)
        items.SwapElements(i, w);
      ++w;
    }
  }
  items.DeleteSubrange(w, items.size() - w);
}

// Removes the elements for which `empty` holds, keeping the others in order.
template <typename T, typename Empty>
void remove_empty(google::protobuf::RepeatedPtrField<T>& items, Empty empty) {
  const auto keep_end =
      std::stable_partition(items.begin(), items.end(), [&](const T& t) { return !empty(t); });
  const int first = static_cast<int>(keep_end - items.begin());
  items.DeleteSubrange(first, items.size() - first);
}

bool is_stack_path_key(std::string_view key) {
  return key == "exception.stacktrace" || key == "code.filepath" || key == "code.file.path";
}

// Redaction over one request, with the allow-list looked up in a sorted vector.
class RedactionPass {
 public:
  RedactionPass(const Redactor& redactor, const std::vector<std::string>& allowed_sorted)
      : redactor_(redactor),
        allowed_(allowed_sorted),
        replacement_(redactor.options().replacement) {}

  std::uint64_t redacted = 0;
  std::uint64_t masked = 0;
  std::uint64_t trimmed = 0;

  void value(proto::common::v1::AnyValue& v, bool mask) {
    switch (v.value_case()) {
      case proto::common::v1::AnyValue::kStringValue:
        if (mask) {
          v.set_string_value(replacement_);
          ++masked;
        } else if (redactor_.redact(*v.mutable_string_value())) {
          ++redacted;
        }
        break;
      case proto::common::v1::AnyValue::kArrayValue:
        for (auto& e : *v.mutable_array_value()->mutable_values())
          value(e, mask);
        break;
      case proto::common::v1::AnyValue::kKvlistValue:
        for (auto& kv : *v.mutable_kvlist_value()->mutable_values())
          value(*kv.mutable_value(), mask);
        break;
      default:
        break;
    }
  }

  // `item`: attributes of a span, event, link or record (the allow-list applies).
  void attributes(KeyValues& kvs, bool item) {
    const bool allow_list = item && !allowed_.empty();
    for (auto& kv : kvs) {
      const bool mask = allow_list && !std::binary_search(allowed_.begin(), allowed_.end(),
                                                          kv.key(), std::less<>());
      if (!mask && redactor_.options().trim_stack_paths && is_stack_path_key(kv.key()) &&
          kv.value().value_case() == proto::common::v1::AnyValue::kStringValue &&
          redactor_.trim_paths(*kv.mutable_value()->mutable_string_value())) {
        ++trimmed;
      }
      value(*kv.mutable_value(), mask);
    }
  }

  void text(std::string& s) {
    if (redactor_.redact(s))
      ++redacted;
  }

 private:
  const Redactor& redactor_;
  const std::vector<std::string>& allowed_;
  const std::string& replacement_;
};

core::Status check_ratio(std::string_view name, double v) {
  if (!(v >= 0 && v <= 1))
    return core::invalid_argument("sampling " + std::string(name) + " must be between 0 and 1");
  return {};
}

}  // namespace

std::string_view to_string(Signal signal) noexcept {
  return signal == Signal::kTraces ? "traces" : "logs";
}

std::string_view to_string(DropReason reason) noexcept {
  return reason == DropReason::kSampled ? "sampled" : "rate_capped";
}

core::Result<std::unique_ptr<Processors>> Processors::create(ProcessorsOptions options) {
  const SamplingOptions& s = options.sampling;
  for (auto [name, v] : {std::pair<std::string_view, double>{"trace_ratio", s.trace_ratio},
                         {"debug_log_ratio", s.debug_log_ratio},
                         {"info_log_ratio", s.info_log_ratio},
                         {"warn_log_ratio", s.warn_log_ratio}}) {
    if (core::Status st = check_ratio(name, v); !st.ok())
      return st;
  }
  const RateCapOptions& rc = options.scope_rate;
  if (!std::isfinite(rc.per_second) || rc.per_second < 0 || !std::isfinite(rc.burst) ||
      rc.burst < 0) {
    return core::invalid_argument("rate_cap per_second and burst must be finite and >= 0");
  }
  std::unique_ptr<Redactor> redactor;
  if (options.redaction.enabled) {
    std::sort(options.redaction.allowed_attributes.begin(),
              options.redaction.allowed_attributes.end());
    core::Result<std::unique_ptr<Redactor>> r = Redactor::create(options.redaction);
    if (!r)
      return r.status();
    redactor = std::move(*r);
  }
  return std::unique_ptr<Processors>(new Processors(std::move(options), std::move(redactor)));
}

Processors::Processors(ProcessorsOptions options, std::unique_ptr<Redactor> redactor)
    : options_(std::move(options)),
      redactor_(std::move(redactor)),
      trace_threshold_(rejection_threshold(options_.sampling.trace_ratio)),
      log_thresholds_{rejection_threshold(options_.sampling.debug_log_ratio),
                      rejection_threshold(options_.sampling.info_log_ratio),
                      rejection_threshold(options_.sampling.warn_log_ratio), 0},
      burst_(options_.scope_rate.burst >= 1 ? options_.scope_rate.burst
                                            : std::max(1.0, options_.scope_rate.per_second)) {}

Processors::~Processors() = default;

bool Processors::keep_log(const proto::logs::v1::LogRecord& record) const {
  const std::uint64_t threshold = log_thresholds_[log_class(record)];
  if (threshold == 0)
    return true;
  // A record inside a trace follows the trace's randomness, so a trace kept at a ratio
  // no higher than this one keeps its records.
  if (valid_trace_id(record.trace_id()))
    return trace_randomness(record.trace_id()) >= threshold;
  return random56() >= threshold;
}

std::size_t Processors::take_tokens(std::string_view scope, std::size_t wanted,
                                    Clock::time_point now) {
  const double rate = options_.scope_rate.per_second;
  std::lock_guard<std::mutex> lock(buckets_mutex_);
  Bucket* bucket = nullptr;
  thread_local std::string key;
  key.assign(scope);
  auto it = buckets_.find(key);
  if (it != buckets_.end()) {
    bucket = &it->second;
  } else if (buckets_.size() < options_.scope_rate.max_scopes) {
    bucket = &buckets_.emplace(key, Bucket{burst_, now}).first->second;
  } else {
    bucket = &overflow_bucket_;
    if (!overflow_started_) {
      *bucket = Bucket{burst_, now};
      overflow_started_ = true;
    }
  }
  if (now > bucket->last) {
    const double seconds = std::chrono::duration<double>(now - bucket->last).count();
    bucket->tokens = std::min(burst_, bucket->tokens + seconds * rate);
    bucket->last = now;
  }
  const auto available = static_cast<std::size_t>(std::floor(bucket->tokens));
  const std::size_t granted = std::min(wanted, available);
  bucket->tokens -= static_cast<double>(granted);
  return granted;
}

Outcome Processors::process(otlp::TraceRequest& request, Clock::time_point /*now*/) {
  Outcome out;
  std::uint64_t received = 0;
  thread_local std::vector<char> keep;
  for (auto& rs : *request.mutable_resource_spans()) {
    for (auto& ss : *rs.mutable_scope_spans()) {
      auto& spans = *ss.mutable_spans();
      received += static_cast<std::uint64_t>(spans.size());
      if (trace_threshold_ == 0)
        continue;
      keep.assign(static_cast<std::size_t>(spans.size()), 1);
      bool any_dropped = false;
      for (int i = 0; i < spans.size(); ++i) {
        if (!keep_trace(spans.Get(i).trace_id(), trace_threshold_)) {
          keep[static_cast<std::size_t>(i)] = 0;
          ++out.sampled_out;
          any_dropped = true;
        }
      }
      if (any_dropped)
        keep_marked(spans, keep);
    }
  }
  if (out.sampled_out > 0) {
    for (auto& rs : *request.mutable_resource_spans())
      remove_empty(*rs.mutable_scope_spans(), [](const auto& ss) { return ss.spans_size() == 0; });
    remove_empty(*request.mutable_resource_spans(),
                 [](const auto& rs) { return rs.scope_spans_size() == 0; });
  }
  out.kept = received - out.sampled_out;

  if (redactor_) {
    RedactionPass pass(*redactor_, options_.redaction.allowed_attributes);
    for (auto& rs : *request.mutable_resource_spans()) {
      pass.attributes(*rs.mutable_resource()->mutable_attributes(), false);
      for (auto& ss : *rs.mutable_scope_spans()) {
        if (ss.has_scope())
          pass.attributes(*ss.mutable_scope()->mutable_attributes(), false);
        for (auto& span : *ss.mutable_spans()) {
          pass.attributes(*span.mutable_attributes(), true);
          for (auto& event : *span.mutable_events())
            pass.attributes(*event.mutable_attributes(), true);
          for (auto& link : *span.mutable_links())
            pass.attributes(*link.mutable_attributes(), true);
          if (span.has_status() && !span.status().message().empty())
            pass.text(*span.mutable_status()->mutable_message());
        }
      }
    }
    out.redacted_values = pass.redacted + pass.masked;
    totals_.values_redacted.fetch_add(pass.redacted, std::memory_order_relaxed);
    totals_.attributes_masked.fetch_add(pass.masked, std::memory_order_relaxed);
    totals_.stack_paths_trimmed.fetch_add(pass.trimmed, std::memory_order_relaxed);
  }
  totals_.received[kTraces].fetch_add(received, std::memory_order_relaxed);
  totals_.kept[kTraces].fetch_add(out.kept, std::memory_order_relaxed);
  totals_.dropped[kTraces][kSampled].fetch_add(out.sampled_out, std::memory_order_relaxed);
  return out;
}

Outcome Processors::process(otlp::LogsRequest& request, Clock::time_point now) {
  Outcome out;
  std::uint64_t received = 0;
  const bool sampling = std::any_of(log_thresholds_.begin(), log_thresholds_.end(),
                                    [](std::uint64_t t) { return t != 0; });
  const bool rate_cap = options_.scope_rate.per_second > 0;
  thread_local std::vector<char> keep;
  thread_local std::vector<std::uint8_t> classes;
  for (auto& rl : *request.mutable_resource_logs()) {
    for (auto& sl : *rl.mutable_scope_logs()) {
      auto& records = *sl.mutable_log_records();
      const auto n = static_cast<std::size_t>(records.size());
      received += n;
      if (!sampling && !rate_cap)
        continue;
      keep.assign(n, 1);
      std::size_t kept = n;
      if (sampling) {
        for (std::size_t i = 0; i < n; ++i) {
          if (!keep_log(records.Get(static_cast<int>(i)))) {
            keep[i] = 0;
            --kept;
            ++out.sampled_out;
          }
        }
      }
      if (rate_cap && kept > 0) {
        const std::size_t granted = take_tokens(sl.scope().name(), kept, now);
        std::size_t excess = kept - granted;
        out.rate_capped += excess;
        // Over the cap: the lowest severity goes first, the oldest first among equals.
        if (excess > 0) {
          classes.resize(n);
          for (std::size_t i = 0; i < n; ++i)
            classes[i] = keep[i] ? log_class(records.Get(static_cast<int>(i))) : 0;
          for (std::uint8_t c = kDebugClass; c <= kErrorClass && excess > 0; ++c) {
            for (std::size_t i = 0; i < n && excess > 0; ++i) {
              if (keep[i] && classes[i] == c) {
                keep[i] = 0;
                --excess;
              }
            }
          }
        }
        kept = granted;
      }
      if (kept != n)
        keep_marked(records, keep);
    }
  }
  if (out.sampled_out + out.rate_capped > 0) {
    for (auto& rl : *request.mutable_resource_logs())
      remove_empty(*rl.mutable_scope_logs(),
                   [](const auto& sl) { return sl.log_records_size() == 0; });
    remove_empty(*request.mutable_resource_logs(),
                 [](const auto& rl) { return rl.scope_logs_size() == 0; });
  }
  out.kept = received - out.sampled_out - out.rate_capped;

  if (redactor_) {
    RedactionPass pass(*redactor_, options_.redaction.allowed_attributes);
    for (auto& rl : *request.mutable_resource_logs()) {
      pass.attributes(*rl.mutable_resource()->mutable_attributes(), false);
      for (auto& sl : *rl.mutable_scope_logs()) {
        if (sl.has_scope())
          pass.attributes(*sl.mutable_scope()->mutable_attributes(), false);
        for (auto& record : *sl.mutable_log_records()) {
          if (record.has_body())
            pass.value(*record.mutable_body(), false);
          pass.attributes(*record.mutable_attributes(), true);
        }
      }
    }
    out.redacted_values = pass.redacted + pass.masked;
    totals_.values_redacted.fetch_add(pass.redacted, std::memory_order_relaxed);
    totals_.attributes_masked.fetch_add(pass.masked, std::memory_order_relaxed);
    totals_.stack_paths_trimmed.fetch_add(pass.trimmed, std::memory_order_relaxed);
  }
  totals_.received[kLogs].fetch_add(received, std::memory_order_relaxed);
  totals_.kept[kLogs].fetch_add(out.kept, std::memory_order_relaxed);
  totals_.dropped[kLogs][kSampled].fetch_add(out.sampled_out, std::memory_order_relaxed);
  totals_.dropped[kLogs][kRateCapped].fetch_add(out.rate_capped, std::memory_order_relaxed);
  return out;
}

Processors::Counters Processors::counters() const noexcept {
  Counters c;
  for (std::size_t s = 0; s < kSignalCount; ++s) {
    c.received[s] = totals_.received[s].load(std::memory_order_relaxed);
    c.kept[s] = totals_.kept[s].load(std::memory_order_relaxed);
    for (std::size_t r = 0; r < kDropReasonCount; ++r)
      c.dropped[s][r] = totals_.dropped[s][r].load(std::memory_order_relaxed);
  }
  c.values_redacted = totals_.values_redacted.load(std::memory_order_relaxed);
  c.attributes_masked = totals_.attributes_masked.load(std::memory_order_relaxed);
  c.stack_paths_trimmed = totals_.stack_paths_trimmed.load(std::memory_order_relaxed);
  return c;
}

}  // namespace edgetrace::processors
