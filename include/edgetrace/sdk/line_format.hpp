// Text lines for the console and file layers: the full, compact, pretty and JSON formats.
//
//   LineFormatter formatter(LineOptions{.format = LineFormat::kCompact}, /*ansi=*/false);
//   std::string line;
//   formatter.format_event(event, line);   // appends one line ending in '\n'
//   // 2026-11-21T14:05:50.123456Z  INFO outer:inner: shop::cart: paid amount=12.5 user=7
//
// The formats follow Rust tracing-subscriber's fmt output (docs/sdk.md shows each one):
//   kFull     timestamp, level, span list with fields, target, message, fields, ids
//   kCompact  span names only; span fields appended after the event's fields
//   kPretty   several lines per event: message, `at file:line`, `in span with fields`
//   kJson     one JSON object per line (valid UTF-8, numbers as JSON numbers)
// Timestamps are RFC 3339 in UTC with microseconds, taken from the event (or the span's
// start/end for span lines). trace_id/span_id are shown whenever the event is inside a span,
// sampled or not (unlike the OTLP layer, which only refers to sampled spans).
//
// Control characters in messages, names and string values are escaped (\n, \u{1b}, ...), so
// one event is one line (kPretty aside) and logged data cannot emit terminal escape
// sequences; invalid UTF-8 becomes U+FFFD.
//
// Thread-safety: a LineFormatter is immutable after construction; format_* may run on any
// number of threads at once. Allocation: only by growing `out`, so a reused buffer stops
// allocating once it is large enough. No I/O, never blocks (show_thread_names costs one
// prctl system call per line).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "edgetrace/core/severity.hpp"
#include "edgetrace/sdk/callsite.hpp"

namespace edgetrace::sdk {

class SpanRecord;

// kTree is the console layer's trace-tree format (console_layer.hpp): spans print as a tree
// when their local root closes; the lines it writes outside trees are kFull lines.
enum class LineFormat : std::uint8_t { kFull, kCompact, kPretty, kJson, kTree };

// Whether a layer writes ANSI colours. kAuto: only on a terminal, and only when the NO_COLOR
// environment variable is unset or empty (https://no-color.org).
enum class Ansi : std::uint8_t { kAuto, kAlways, kNever };

// Span lifecycle lines ("log_spans"): `new` when a span starts, `close` with its busy and
// idle times when it ends.
enum class SpanEvents : std::uint8_t { kNone, kNew, kClose, kNewAndClose };

struct LineOptions {
  LineFormat format = LineFormat::kFull;
  bool show_target = true;
  bool show_thread_ids = false;    // the OS thread id (gettid)
  bool show_thread_names = false;  // pthread_getname_np
  bool show_source_location = false;
  bool show_span_list = true;  // every enclosing span (false: the current span only)
  bool show_trace_ids = true;  // trace_id/span_id when inside a span
  SpanEvents span_events = SpanEvents::kNone;
};

class LineFormatter {
 public:
  LineFormatter(LineOptions options, bool ansi) noexcept;

  const LineOptions& options() const noexcept { return options_; }
  bool ansi() const noexcept { return ansi_; }
  bool wants_new_span_lines() const noexcept {
    return options_.span_events == SpanEvents::kNew ||
           options_.span_events == SpanEvents::kNewAndClose;
  }
  bool wants_close_span_lines() const noexcept {
    return options_.span_events == SpanEvents::kClose ||
           options_.span_events == SpanEvents::kNewAndClose;
  }

  // Appends the event as one line (kPretty: a block of lines), ending in '\n'.
  void format_event(const Event& event, std::string& out) const;
  // Appends the `new` line of a span that started (timestamp: its start).
  void format_span_new(const SpanRecord& span, std::string& out) const;
  // Appends the `close` line of a span that ended (timestamp: its end), with time.busy and
  // time.idle when the span's timings were measured.
  void format_span_close(const SpanRecord& span, std::string& out) const;

 private:
  struct Line;
  void format(const Line& line, std::string& out) const;
  void format_text(const Line& line, std::string& out) const;
  void format_pretty(const Line& line, std::string& out) const;
  void format_json(const Line& line, std::string& out) const;

  LineOptions options_;
  bool ansi_;
};

// Appends `unix_nano` as RFC 3339 UTC with microseconds: 2026-11-21T14:05:50.123456Z.
void append_rfc3339_micros(std::string& out, std::uint64_t unix_nano);

// Appends a duration the way tracing-subscriber shows span times: three significant
// digits and a unit (ns, µs, ms, s), e.g. "12.3µs", "4.50ms", "250ns".
void append_duration(std::string& out, std::uint64_t nanos);

}  // namespace edgetrace::sdk
