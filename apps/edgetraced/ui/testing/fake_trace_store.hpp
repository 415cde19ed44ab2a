// FakeTraceStore: an in-memory store::TraceStore for the query API's tests. It keeps every
// span and log in vectors and answers queries by scanning them, with the store's documented
// semantics (newest first, cursors, tag matching as text); `fail_reads` makes every read
// return an error. Thread-safe (one mutex); unbounded: tests only.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "store/trace_store.hpp"

namespace edgetrace::daemon::ui::testing {

class FakeTraceStore final : public store::TraceStore {
 public:
  std::atomic<bool> fail_reads{false};

  core::Status write_traces(const otlp::TraceRequest& request) override {
    std::lock_guard lock(mu_);
    std::set<std::string> touched;
    for (const auto& rs : request.resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& span : ss.spans()) {
          store::StoredSpan s;
          s.resource = rs.resource();
          s.scope = ss.scope();
          s.span = span;
          spans_.push_back(std::move(s));
          touched.insert(span.trace_id());
        }
      }
    }
    for (const std::string& t : touched)
      trace_seq_[t] = ++seq_;
    return {};
  }
  core::Status write_logs(const otlp::LogsRequest& request) override {
    std::lock_guard lock(mu_);
    for (const auto& rl : request.resource_logs()) {
      for (const auto& sl : rl.scope_logs()) {
        for (const auto& record : sl.log_records()) {
          store::LogRow row;
          row.id = static_cast<std::int64_t>(logs_.size()) + 1;
          row.log.resource = rl.resource();
          row.log.scope = sl.scope();
          row.log.record = record;
          logs_.push_back(std::move(row));
        }
      }
    }
    return {};
  }
  core::Status prune(std::uint64_t) override { return {}; }

  core::Result<std::vector<std::string>> services() override {
    std::lock_guard lock(mu_);
    if (fail_reads)
      return failure();
    std::set<std::string> names;
    for (const auto& s : spans_)
      names.insert(service_of(s.resource));
    return std::vector<std::string>(names.begin(), names.end());
  }
  core::Result<std::vector<store::OperationInfo>> operations(const std::string& service) override {
    std::lock_guard lock(mu_);
    if (fail_reads)
      return failure();
    std::set<std::pair<std::string, int>> ops;
    for (const auto& s : spans_) {
      if (service_of(s.resource) == service)
        ops.emplace(s.span.name(), static_cast<int>(s.span.kind()));
    }
    std::vector<store::OperationInfo> out;
    for (const auto& [name, kind] : ops) {
      store::OperationInfo info;
      info.name = name;
      info.span_kind = kind;
      out.push_back(info);
    }
    return out;
  }
  core::Result<std::vector<store::StoredSpan>> trace(const core::TraceId& id) override {
    std::lock_guard lock(mu_);
    if (fail_reads)
      return failure();
    return spans_of(bytes_of(id));
  }
  core::Result<std::vector<std::vector<store::StoredSpan>>> find_traces(
      const store::TraceQuery& q) override {
    std::lock_guard lock(mu_);
    if (fail_reads)
      return failure();
    last_trace_query = q;
    std::vector<std::pair<std::uint64_t, std::string>> found;  // (start, trace id)
    std::set<std::string> seen;
    for (const auto& s : spans_) {
      if (seen.count(s.span.trace_id()) > 0 || !matches(s, q))
        continue;
      seen.insert(s.span.trace_id());
      found.emplace_back(s.span.start_time_unix_nano(), s.span.trace_id());
    }
    std::sort(found.rbegin(), found.rend());
    std::vector<std::vector<store::StoredSpan>> out;
    for (const auto& [start, id] : found) {
      if (out.size() >= q.limit)
        break;
      out.push_back(spans_of(id));
    }
    return out;
  }
  core::Result<std::vector<store::LogRow>> logs(const store::LogQuery& q) override {
    std::lock_guard lock(mu_);
    if (fail_reads)
      return failure();
    last_log_query = q;
    std::vector<store::LogRow> out;
    for (auto it = logs_.rbegin(); it != logs_.rend() && out.size() < q.limit; ++it) {
      const auto& r = it->log.record;
      if (q.before_id != 0 && it->id >= q.before_id)
        continue;
      if (!q.text.empty() && r.body().string_value().find(q.text) == std::string::npos)
        continue;
      if (q.min_severity_number && static_cast<int>(r.severity_number()) < *q.min_severity_number)
        continue;
      if (!q.service.empty() && service_of(it->log.resource) != q.service)
        continue;
      if (q.trace_id && r.trace_id() != bytes_of(*q.trace_id))
        continue;
      out.push_back(*it);
    }
    return out;
  }
  core::Result<std::vector<store::LogRow>> logs_after(std::int64_t after,
                                                      std::size_t limit) override {
    std::lock_guard lock(mu_);
    if (fail_reads)
      return failure();
    std::vector<store::LogRow> out;
    for (const auto& row : logs_) {
      if (row.id > after && out.size() < limit)
        out.push_back(row);
    }
    return out;
  }
  core::Result<std::vector<store::TraceSummary>> traces_after(std::int64_t after,
                                                              std::size_t limit) override {
    std::lock_guard lock(mu_);
    if (fail_reads)
      return failure();
    std::vector<std::pair<std::int64_t, std::string>> order;
    for (const auto& [id, seq] : trace_seq_) {
      if (seq > after)
        order.emplace_back(seq, id);
    }
    std::sort(order.begin(), order.end());
    std::vector<store::TraceSummary> out;
    for (const auto& [seq, id] : order) {
      if (out.size() >= limit)
        break;
      store::TraceSummary s;
      s.seq = seq;
      std::array<std::uint8_t, 16> b{};
      std::copy(id.begin(), id.end(), b.begin());
      s.trace_id = core::TraceId(b);
      const auto spans = spans_of(id);
      s.span_count = spans.size();
      s.service = service_of(spans.front().resource);
      s.start_unix_nano = spans.front().span.start_time_unix_nano();
      std::uint64_t end = 0;
      for (const auto& sp : spans) {
        if (sp.span.parent_span_id().empty())
          s.root_name = sp.span.name();
        end = std::max<std::uint64_t>(end, sp.span.end_time_unix_nano());
        s.error = s.error || sp.span.status().code() ==
                                 opentelemetry::proto::trace::v1::Status::STATUS_CODE_ERROR;
      }
      s.duration_ns = end - s.start_unix_nano;
      out.push_back(s);
    }
    return out;
  }
  core::Result<store::StoreStats> stats() override { return store::StoreStats{}; }
  void write_metrics(MetricsText&) const override {}

  store::TraceQuery last_trace_query;
  store::LogQuery last_log_query;

 private:
  static core::Status failure() {
    return core::Status(core::StatusCode::kInternal, "disk I/O error");
  }
  static std::string bytes_of(const core::TraceId& id) {
    return std::string(id.bytes().begin(), id.bytes().end());
  }
  static std::string service_of(const opentelemetry::proto::resource::v1::Resource& r) {
    for (const auto& kv : r.attributes()) {
      if (kv.key() == "service.name")
        return kv.value().string_value();
    }
    return "";
  }
  std::vector<store::StoredSpan> spans_of(const std::string& id) const {
    std::vector<store::StoredSpan> out;
    for (const auto& s : spans_) {
      if (s.span.trace_id() == id)
        out.push_back(s);
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.span.start_time_unix_nano() < b.span.start_time_unix_nano();
    });
    return out;
  }
  static bool matches(const store::StoredSpan& s, const store::TraceQuery& q) {
    if (!q.service.empty() && service_of(s.resource) != q.service)
      return false;
    if (!q.operation.empty() && s.span.name() != q.operation)
      return false;
    const std::uint64_t start = s.span.start_time_unix_nano();
    if (start < q.start_unix_nano || (q.end_unix_nano != 0 && start > q.end_unix_nano))
      return false;
    const std::uint64_t d = s.span.end_time_unix_nano() - start;
    if ((q.min_duration_ns && d < *q.min_duration_ns) ||
        (q.max_duration_ns && d > *q.max_duration_ns))
      return false;
    for (const auto& [k, v] : q.tags) {
      bool found = false;
      for (const auto& kv : s.span.attributes()) {
        if (kv.key() == k &&
            (kv.value().string_value() == v ||
             (kv.value().has_int_value() && std::to_string(kv.value().int_value()) == v)))
          found = true;
      }
      if (!found)
        return false;
    }
    return true;
  }

  std::mutex mu_;
  std::vector<store::StoredSpan> spans_;
  std::vector<store::LogRow> logs_;
  std::map<std::string, std::int64_t> trace_seq_;
  std::int64_t seq_ = 0;
};

}  // namespace edgetrace::daemon::ui::testing
