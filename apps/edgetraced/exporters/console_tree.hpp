// ConsoleTreeExporter: the daemon's "console" exporter. Prints each finished trace as an
// indented tree with per-span durations, and optionally each log record as one line.
//
//   ConsoleTreeExporter console({.ascii = false, .logs = true});   // to stdout
//   exporters.push_back(&console);
//   every second:   console.flush(otlp::Clock::now());            // rootless traces
//   at shutdown:    console.shutdown();                            // prints what is left
//
// Output (one tree per trace, written with one write and flushed):
//
//   sample (total: 12.4ms)  device=65740001 boot=1
//   ├── read_sensor (4.10ms)
//   │   ├── i2c_transfer (1.90ms)
//   │   └── i2c_transfer (2.00ms) ERROR
//   └── sensor_report (800µs) ERROR INCOMPLETE
//
// - The first line is the trace's root: its name, its own duration as "total", then the
//   resource of the device that sent it: `device=` (resource attribute `device.id`, which
//   the device bridge writes as lowercase hex) and `boot=` (`edgetrace.device.boot_counter`).
//   A resource without `device.id` (an SDK service) shows `service=<service.name>` instead.
// - Children are ordered by start time (then by span id, so the order is total).
// - Durations have three significant digits, like the SDK's console layer
//   (sdk::append_duration): "1.25s", "12.4ms", "4.10ms", "850µs", "250ns". With `ascii` the
//   micro sign is written "us", and the tree uses `|--`, "`--" and "|   ".
// - Marks after the duration: " ERROR" (status code ERROR), " INCOMPLETE" (attribute
//   `edgetrace.span.incomplete` = true: the bridge ended the span at a disconnect, a reboot
//   or an eviction; such spans also have status ERROR). A span whose parent is not among
//   the spans printed is a top-level line marked " [parent 00f067aa missing]".
// - Names and values are printed with control characters escaped (\n, \x1b), so a span is
//   one line and telemetry cannot send terminal escape sequences.
// - The tree (order, glyphs, missing parents, cycles, depth limit) is drawn by the SDK's
//   renderer, edgetrace/sdk/trace_tree.hpp, which the SDK's console layer uses for its
//   "tree" format too: both consoles draw trees the same way.
//
// When a trace is printed. The spans of one trace may arrive in several export_traces()
// calls, children usually before their root (a device emits a span when it exits). Spans
// are buffered per trace id. A trace is printed, with everything buffered for it, when its
// root arrives: a span without a parent span id, or whose parent is remote (SpanFlags bits
// 8 and 9 set: the device's root continues a W3C traceparent from elsewhere). A trace
// whose root has not arrived root_timeout after its latest span is printed by flush(now),
// without a root. A span arriving for a trace already printed (one of the latest
// max_traces printed) is printed at once as one "late" line, and counted:
//
//   late: i2c_transfer (1.90ms)  trace=4bf92f35 parent=00f067aa
//
// Bounds: at most max_traces traces and max_spans spans are buffered; beyond either, the
// trace whose first span arrived earliest is dropped unprinted and counted (traces and
// spans evicted).
//
// Logs (option `logs`): one line per record, printed when exported:
//
//   2026-11-21T14:05:50.123456Z  WARN battery low  trace=4bf92f35 span=00f067aa
//
// Thread-safety: export_*(), flush(), flush_all() and shutdown() may be called from any
// threads (one mutex); write_metrics() reads atomics. Blocking: writes to the output
// stream under the mutex. Memory: bounded by max_traces and max_spans (plus the ids of
// the latest max_traces printed traces).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <list>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pipeline/exporter.hpp"

namespace edgetrace::daemon {

struct ConsoleTreeOptions {
  // Where lines go; not closed. `stream`, when set, is used instead of `file`.
  std::FILE* file = stdout;
  std::ostream* stream = nullptr;
  // `|--` and "`--" instead of box-drawing characters, "us" instead of "µs".
  bool ascii = false;
  // Also print each log record as one line.
  bool logs = false;
  // Buffered traces waiting for their root, and spans in them (each at least 1).
  std::size_t max_traces = 1024;
  std::size_t max_spans = 16384;
  // A trace whose root has not arrived this long after its latest span is printed by
  // flush() without it.
  std::chrono::milliseconds root_timeout{10000};
};

class ConsoleTreeExporter : public Exporter {
 public:
  explicit ConsoleTreeExporter(ConsoleTreeOptions options = {});

  std::string_view name() const noexcept override { return "console"; }
  // Buffers the request's spans and prints the traces whose root is now there.
  // kDelivered, or kRetryLater after shutdown().
  ExportResult export_traces(const otlp::TraceRequest& request, otlp::Deadline deadline) override;
  // Prints each record when `logs` is set; kDelivered (kRetryLater after shutdown()).
  ExportResult export_logs(const otlp::LogsRequest& request, otlp::Deadline deadline) override;
  void write_metrics(MetricsText& out) const override;
  // Prints everything still buffered (flush_all()); later exports return kRetryLater.
  void shutdown() override;

  // Prints the buffered traces whose latest span arrived at or before now - root_timeout
  // (arrival times are otlp::Clock, a steady clock). Returns how many traces it printed.
  // Call it from a timer, e.g. every second.
  std::size_t flush(otlp::Clock::time_point now);
  // Prints every buffered trace now.
  std::size_t flush_all();

 private:
  struct Span {
    std::string span_id;  // raw bytes, as in OTLP
    std::string parent_span_id;
    std::string name;
    std::uint64_t start = 0;
    std::uint64_t end = 0;
    bool root = false;
    bool error = false;
    bool incomplete = false;
    std::string resource;  // e.g. "device=65740001 boot=1"
  };
  struct Trace {
    std::string trace_id;
    std::vector<Span> spans;
    bool has_root = false;
    otlp::Clock::time_point last_arrival{};
    std::list<std::string>::iterator order;  // its place in order_
  };

  void add_span(Span span, const std::string& trace_id, otlp::Clock::time_point now,
                std::vector<std::string>& rooted, std::string& out);
  std::size_t flush_due(bool all, otlp::Clock::time_point now);
  void evict_oldest();
  void print_trace(Trace& trace, std::string& out);
  void forget(const std::string& trace_id);
  void remember_printed(const std::string& trace_id);
  void append_late_line(const Span& span, const std::string& trace_id, std::string& out) const;
  void append_duration(std::string& out, const Span& span) const;
  void write(const std::string& text);

  const ConsoleTreeOptions options_;
  std::mutex mutex_;
  bool shut_down_ = false;
  std::unordered_map<std::string, Trace> traces_;
  std::list<std::string> order_;  // trace ids, oldest first span first
  std::size_t buffered_spans_ = 0;
  std::unordered_set<std::string> printed_;
  std::deque<std::string> printed_order_;

  std::atomic<std::uint64_t> traces_printed_{0};
  std::atomic<std::uint64_t> rootless_traces_printed_{0};
  std::atomic<std::uint64_t> spans_printed_{0};
  std::atomic<std::uint64_t> late_spans_{0};
  std::atomic<std::uint64_t> traces_evicted_{0};
  std::atomic<std::uint64_t> spans_evicted_{0};
  std::atomic<std::uint64_t> log_records_printed_{0};
  std::atomic<std::uint64_t> write_errors_{0};
  std::atomic<std::uint64_t> buffered_spans_gauge_{0};
};

}  // namespace edgetrace::daemon
