// Spans of Rust firmware instrumented with the tracing-defmt crate.
//
// tracing-defmt writes ordinary defmt log frames whose format strings start with a span
// context (docs/bridge.md, "tracing-defmt streams"):
//
//   ctx={=[u8;16]}:{=[u8;8]} parent={=[u8;8]} span_enter: NAME[(arg={}, ...)]
//   ctx={=[u8;16]}:{=[u8;8]} parent={=[u8;8]} span_exit: NAME
//   ctx={=[u8;16]}:{=[u8;8]} MESSAGE[, key={}, ...]          (an event inside a span)
//
// The markers are recognised from the defmt table (by interned string index, once), never
// by parsing rendered text. Trace id, span id and parent span id come from the byte-array
// arguments. A span starts at its enter frame and ends at its exit frame; the enter's
// (arg=...) values and the event's key={} fields become attributes. An exit without an
// enter, and an enter never closed before the stream ends, become incomplete spans
// (internal::mark_incomplete).
//
// Thread-safety: one per stream, one thread. Memory: at most max_open_spans open spans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "edgetrace/decoder/record.hpp"
#include "internal/output.hpp"

namespace edgetrace::decoder {
class DefmtTable;
}

namespace edgetrace::bridge::internal {

class TracingDefmtSpans {
 public:
  TracingDefmtSpans(const decoder::DefmtTable& table, std::size_t max_open_spans,
                    BridgeCounters& counters);
  ~TracingDefmtSpans();
  TracingDefmtSpans(const TracingDefmtSpans&) = delete;
  TracingDefmtSpans& operator=(const TracingDefmtSpans&) = delete;

  // The table has at least one tracing-defmt marker.
  bool has_markers() const noexcept;

  // If `record` is a span enter, span exit or in-span event marker, handles it (a finished
  // span goes to `out`; an event becomes a log record correlated to its span, and a span
  // event) and returns true. Other records: false, untouched.
  bool handle(const decoder::Record& record, std::uint64_t time_unix_nano,
              std::uint64_t observed_unix_nano, Output& out);

  // Adds a loss event to every open span.
  void note_loss(std::uint64_t time_unix_nano, const Loss& loss);

  // The stream ended: every open span is emitted as incomplete, ending at `time_unix_nano`.
  void end_stream(std::uint64_t time_unix_nano, std::string_view reason, Output& out);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace edgetrace::bridge::internal
