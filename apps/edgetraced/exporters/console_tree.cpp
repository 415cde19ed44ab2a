#include "exporters/console_tree.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iterator>
#include <utility>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/severity.hpp"
#include "edgetrace/core/utf8.hpp"
#include "edgetrace/sdk/line_format.hpp"
#include "edgetrace/sdk/trace_tree.hpp"

namespace edgetrace::daemon {
namespace {

namespace v1 = ::opentelemetry::proto;
using AnyValue = v1::common::v1::AnyValue;

// OTLP SpanFlags: bit 8 "is_remote is known", bit 9 "the parent is remote".
constexpr std::uint32_t kParentIsRemote = 0x100 | 0x200;

constexpr std::string_view kIncompleteAttribute = "edgetrace.span.incomplete";

// Appends text with each control character escaped (C0, DEL and C1: \n, \t, \x1b,
// \u{9b}) and invalid UTF-8 replaced by U+FFFD: one span is one line, and telemetry cannot
// drive the terminal.
void append_printable(std::string& out, std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const core::Utf8CodePoint cp = core::decode_utf8(text, i);
    const char32_t c = cp.code_point;
    if (!cp.valid) {
      core::append_utf8(out, U'\uFFFD');
    } else if (c == U'\n') {
      out += "\\n";
    } else if (c == U'\t') {
      out += "\\t";
    } else if (c == U'\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(c));
      out += buffer;
    } else if (c >= 0x80 && c <= 0x9F) {
      char buffer[12];
      std::snprintf(buffer, sizeof buffer, "\\u{%x}", static_cast<unsigned>(c));
      out += buffer;
    } else {
      out.append(text.substr(i, cp.length));
    }
    i += cp.length;
  }
}

void append_any(std::string& out, const AnyValue& value) {
  switch (value.value_case()) {
    case AnyValue::kStringValue:
      append_printable(out, value.string_value());
      return;
    case AnyValue::kBoolValue:
      out += value.bool_value() ? "true" : "false";
      return;
    case AnyValue::kIntValue:
      out += std::to_string(value.int_value());
      return;
    case AnyValue::kDoubleValue: {
      char buffer[32];
      const auto r = std::to_chars(buffer, buffer + sizeof buffer, value.double_value());
      out.append(buffer, r.ptr);
      return;
    }
    case AnyValue::VALUE_NOT_SET:
      return;
    default: {
      // Arrays, maps and bytes: their OTLP/JSON form.
      std::string json;
      otlp::encode_json_message(value, json);
      append_printable(out, json);
      return;
    }
  }
}

// "device=65740001 boot=1", or "service=checkout" for a resource without a device id.
std::string resource_label(const v1::resource::v1::Resource& resource) {
  const AnyValue* device = nullptr;
  const AnyValue* boot = nullptr;
  const AnyValue* service = nullptr;
  for (const auto& kv : resource.attributes()) {
    if (kv.key() == "device.id")
      device = &kv.value();
    else if (kv.key() == "edgetrace.device.boot_counter")
      boot = &kv.value();
    else if (kv.key() == "service.name")
      service = &kv.value();
  }
  std::string out;
  if (device != nullptr) {
    out += "device=";
    append_any(out, *device);
  } else if (service != nullptr) {
    out += "service=";
    append_any(out, *service);
  }
  if (boot != nullptr) {
    if (!out.empty())
      out += ' ';
    out += "boot=";
    append_any(out, *boot);
  }
  return out;
}

// The first 4 bytes of an id in hex: enough to tell spans of one screen apart.
std::string short_id(std::string_view id) {
  if (id.empty())
    return "-";
  return core::to_hex(id.substr(0, 4));
}

bool is_unset_id(std::string_view id) {
  return std::all_of(id.begin(), id.end(), [](char c) { return c == '\0'; });
}

}  // namespace

ConsoleTreeExporter::ConsoleTreeExporter(ConsoleTreeOptions options)
    : options_([&] {
        options.max_traces = std::max<std::size_t>(options.max_traces, 1);
        options.max_spans = std::max<std::size_t>(options.max_spans, 1);
        return options;
      }()) {}

void ConsoleTreeExporter::append_duration(std::string& out, const Span& span) const {
  sdk::append_tree_duration(out, span.end > span.start ? span.end - span.start : 0, options_.ascii);
}

ExportResult ConsoleTreeExporter::export_traces(const otlp::TraceRequest& request,
                                                otlp::Deadline deadline) {
  (void)deadline;
  std::lock_guard lock(mutex_);
  if (shut_down_)
    return ExportResult::kRetryLater;
  const otlp::Clock::time_point now = otlp::Clock::now();
  std::string out;
  std::vector<std::string> rooted;  // traces whose root arrived, in arrival order
  for (const auto& resource_spans : request.resource_spans()) {
    const std::string resource = resource_label(resource_spans.resource());
    for (const auto& scope_spans : resource_spans.scope_spans()) {
      for (const auto& s : scope_spans.spans()) {
        Span span;
        span.span_id = s.span_id();
        if (!is_unset_id(s.parent_span_id()))
          span.parent_span_id = s.parent_span_id();
        span.name = s.name();
        span.start = s.start_time_unix_nano();
        span.end = s.end_time_unix_nano();
        span.root = span.parent_span_id.empty() || (s.flags() & kParentIsRemote) == kParentIsRemote;
        span.error = s.status().code() == v1::trace::v1::Status::STATUS_CODE_ERROR;
        for (const auto& kv : s.attributes())
          if (kv.key() == kIncompleteAttribute && kv.value().bool_value())
            span.incomplete = true;
        span.resource = resource;
        add_span(std::move(span), s.trace_id(), now, rooted, out);
      }
    }
  }
  for (const std::string& id : rooted) {
    const auto it = traces_.find(id);
    if (it == traces_.end() || !it->second.has_root)
      continue;  // evicted by a later span of the same request
    print_trace(it->second, out);
    forget(id);
    remember_printed(id);
  }
  buffered_spans_gauge_.store(buffered_spans_, std::memory_order_relaxed);
  write(out);
  return ExportResult::kDelivered;
}

void ConsoleTreeExporter::add_span(Span span, const std::string& trace_id,
                                   otlp::Clock::time_point now, std::vector<std::string>& rooted,
                                   std::string& out) {
  if (printed_.contains(trace_id)) {
    append_late_line(span, trace_id, out);
    late_spans_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  while (buffered_spans_ >= options_.max_spans && !order_.empty())
    evict_oldest();
  auto it = traces_.find(trace_id);
  if (it == traces_.end()) {
    while (traces_.size() >= options_.max_traces && !order_.empty())
      evict_oldest();
    it = traces_.emplace(trace_id, Trace{}).first;
    it->second.trace_id = trace_id;
    order_.push_back(trace_id);
    it->second.order = std::prev(order_.end());
  }
  Trace& trace = it->second;
  trace.last_arrival = now;
  if (span.root && !trace.has_root) {
    trace.has_root = true;
    rooted.push_back(trace_id);
  }
  trace.spans.push_back(std::move(span));
  ++buffered_spans_;
}

void ConsoleTreeExporter::evict_oldest() {
  const auto it = traces_.find(order_.front());
  spans_evicted_.fetch_add(it->second.spans.size(), std::memory_order_relaxed);
  traces_evicted_.fetch_add(1, std::memory_order_relaxed);
  buffered_spans_ -= it->second.spans.size();
  order_.pop_front();
  traces_.erase(it);
}

void ConsoleTreeExporter::forget(const std::string& trace_id) {
  const auto it = traces_.find(trace_id);
  buffered_spans_ -= it->second.spans.size();
  order_.erase(it->second.order);
  traces_.erase(it);
}

void ConsoleTreeExporter::remember_printed(const std::string& trace_id) {
  if (!printed_.insert(trace_id).second)
    return;
  printed_order_.push_back(trace_id);
  if (printed_order_.size() > options_.max_traces) {
    printed_.erase(printed_order_.front());
    printed_order_.pop_front();
  }
}

void ConsoleTreeExporter::append_late_line(const Span& span, const std::string& trace_id,
                                           std::string& out) const {
  out += "late: ";
  append_printable(out, span.name);
  out += " (";
  append_duration(out, span);
  out += ')';
  if (span.error)
    out += " ERROR";
  if (span.incomplete)
    out += " INCOMPLETE";
  out += "  trace=";
  out += short_id(trace_id);
  if (!span.parent_span_id.empty()) {
    out += " parent=";
    out += short_id(span.parent_span_id);
  }
  out += '\n';
}

void ConsoleTreeExporter::print_trace(Trace& trace, std::string& out) {
  // The tree itself (order, glyphs, missing parents, cycles, depth) is the SDK's renderer,
  // shared with the SDK's console layer; this builds each span's line.
  const std::vector<Span>& spans = trace.spans;
  const std::size_t n = spans.size();
  std::vector<std::string> texts(n);
  std::vector<sdk::TreeLine> lines(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Span& span = spans[i];
    std::string& text = texts[i];
    append_printable(text, span.name);
    text += span.root ? " (total: " : " (";
    append_duration(text, span);
    text += ')';
    if (span.error)
      text += " ERROR";
    if (span.incomplete)
      text += " INCOMPLETE";
    lines[i].id = span.span_id;
    lines[i].parent_id = span.parent_span_id;
    lines[i].order = span.start;
    lines[i].top = span.root;
    lines[i].tail = span.resource;
  }
  for (std::size_t i = 0; i < n; ++i)
    lines[i].text = texts[i];
  sdk::TreeStyle style;
  style.ascii = options_.ascii;
  sdk::render_tree(lines, style, out);

  if (trace.has_root)
    traces_printed_.fetch_add(1, std::memory_order_relaxed);
  else
    rootless_traces_printed_.fetch_add(1, std::memory_order_relaxed);
  spans_printed_.fetch_add(n, std::memory_order_relaxed);
}

std::size_t ConsoleTreeExporter::flush(otlp::Clock::time_point now) {
  return flush_due(false, now);
}

std::size_t ConsoleTreeExporter::flush_all() {
  return flush_due(true, {});
}

std::size_t ConsoleTreeExporter::flush_due(bool all, otlp::Clock::time_point now) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> due;
  for (const std::string& id : order_)
    if (all || traces_.at(id).last_arrival + options_.root_timeout <= now)
      due.push_back(id);
  std::string out;
  for (const std::string& id : due) {
    print_trace(traces_.at(id), out);
    forget(id);
    remember_printed(id);
  }
  buffered_spans_gauge_.store(buffered_spans_, std::memory_order_relaxed);
  write(out);
  return due.size();
}

void ConsoleTreeExporter::shutdown() {
  flush_all();
  std::lock_guard lock(mutex_);
  shut_down_ = true;
}

ExportResult ConsoleTreeExporter::export_logs(const otlp::LogsRequest& request,
                                              otlp::Deadline deadline) {
  (void)deadline;
  std::lock_guard lock(mutex_);
  if (shut_down_)
    return ExportResult::kRetryLater;
  if (!options_.logs)
    return ExportResult::kDelivered;
  std::string out;
  std::uint64_t count = 0;
  for (const auto& resource_logs : request.resource_logs()) {
    for (const auto& scope_logs : resource_logs.scope_logs()) {
      for (const auto& r : scope_logs.log_records()) {
        const std::uint64_t time =
            r.time_unix_nano() != 0 ? r.time_unix_nano() : r.observed_time_unix_nano();
        if (time != 0)
          sdk::append_rfc3339_micros(out, time);
        else
          out += '-';
        std::string severity;
        if (!r.severity_text().empty())
          append_printable(severity, r.severity_text());
        else if (const auto level = core::level_from_severity_number(r.severity_number()))
          severity = core::severity_text(*level);
        else
          severity = "-";
        out += ' ';
        // Right-aligned in five columns, like the SDK's console layer.
        if (severity.size() < 5)
          out.append(5 - severity.size(), ' ');
        out += severity;
        out += ' ';
        append_any(out, r.body());
        if (!r.trace_id().empty() && !is_unset_id(r.trace_id())) {
          out += "  trace=";
          out += short_id(r.trace_id());
        }
        if (!r.span_id().empty() && !is_unset_id(r.span_id())) {
          out += " span=";
          out += short_id(r.span_id());
        }
        out += '\n';
        ++count;
      }
    }
  }
  log_records_printed_.fetch_add(count, std::memory_order_relaxed);
  write(out);
  return ExportResult::kDelivered;
}

void ConsoleTreeExporter::write(const std::string& text) {
  if (text.empty())
    return;
  if (options_.stream != nullptr) {
    options_.stream->write(text.data(), static_cast<std::streamsize>(text.size()));
    options_.stream->flush();
    if (!*options_.stream) {
      write_errors_.fetch_add(1, std::memory_order_relaxed);
      options_.stream->clear();
    }
    return;
  }
  if (options_.file == nullptr)
    return;
  const std::size_t written = std::fwrite(text.data(), 1, text.size(), options_.file);
  if (std::fflush(options_.file) != 0 || written != text.size()) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    std::clearerr(options_.file);
  }
}

void ConsoleTreeExporter::write_metrics(MetricsText& out) const {
  const auto counter = [&](std::string_view metric, std::string_view help,
                           const std::atomic<std::uint64_t>& value) {
    out.counter(metric, help, {{"exporter", "console"}}, value.load(std::memory_order_relaxed));
  };
  counter("edgetraced_console_traces_printed_total", "Traces printed when their root arrived.",
          traces_printed_);
  counter("edgetraced_console_rootless_traces_printed_total",
          "Traces printed by the root timeout or at shutdown, without their root span.",
          rootless_traces_printed_);
  counter("edgetraced_console_spans_printed_total", "Spans printed in trees.", spans_printed_);
  counter("edgetraced_console_late_spans_total",
          "Spans that arrived after their trace was printed (printed as late lines).", late_spans_);
  counter("edgetraced_console_traces_evicted_total",
          "Buffered traces dropped unprinted because max_traces or max_spans was reached.",
          traces_evicted_);
  counter("edgetraced_console_spans_evicted_total", "Spans in the evicted traces.", spans_evicted_);
  counter("edgetraced_console_log_records_printed_total", "Log records printed.",
          log_records_printed_);
  counter("edgetraced_console_write_errors_total", "Failed writes to the console output.",
          write_errors_);
  out.gauge("edgetraced_console_buffered_spans", "Spans waiting for their trace's root.",
            {{"exporter", "console"}},
            static_cast<double>(buffered_spans_gauge_.load(std::memory_order_relaxed)));
}

}  // namespace edgetrace::daemon
