// The console layer: events (and, when asked, span new/close lines) on stdout or stderr.
//
//   auto tracing = std::make_shared<Tracing>(Tracing::Options{});
//   tracing->add_layer(make_console_layer({.line = {.format = LineFormat::kCompact}}),
//                      Filter::parse("info").value());
//   set_global_subscriber(tracing);
//   ET_INFO("listening", field<"port">(8080));
//   // 2026-11-21T14:05:50.123456Z  INFO app: listening port=8080
//
// Lines are formatted by LineFormatter (line_format.hpp; docs/sdk.md shows every format).
//
// The tree format (line.format = LineFormat::kTree, TOML format = "tree"): when a local root
// span closes (a span without a parent in this process), it prints with its finished
// descendants as an indented tree with each span's duration, and, with tree.events, the
// events that happened inside each span under it:
//
//   score_address_handler (total: 198ms)
//   ├── validate_api_key (45.0ms)
//   │   ├── DEBUG key found user=7
//   │   └── verify_pbkdf2_hash (43.0ms)
//   └── calculate_score (12.0ms) ERROR
//
// A span that is still open when its root closes prints later, with its own finished
// descendants, when it closes ("late: name (1.20s)  root=score_address_handler
// trace=4bf92f35", then its subtree). Memory is bounded: at most tree.max_spans_per_trace
// spans of one trace and tree.max_buffered_spans spans in all wait for their root, at most
// tree.max_events_per_span events per span; what does not fit is counted and reported by a
// summary line ("... 12 more spans not shown (limit 256 per trace)"). Events outside any
// span (and all events when tree.events is off) print at once as kFull lines. The tree
// format allocates (it keeps spans until their root closes): it is meant for development
// consoles, not for hot paths under load.
// Colours: Ansi::kAuto writes them only when the stream is a terminal and NO_COLOR is unset
// or empty, decided once when the layer is made.
//
// ConsoleLayer: callbacks may run on any number of threads. Each line is formatted into a
// per-thread buffer (no allocation in steady state) and written with one fwrite under the
// stream's lock, then flushed, so lines from different threads never interleave and appear
// at once even on a pipe. The write happens on the caller's thread: a console that is not
// read (a full pipe, a stopped terminal) blocks the logging thread, as with any console
// logger. Use the file layer for high volumes. The layer borrows the FILE*; it never closes
// it. After shutdown() every callback is a no-op.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "edgetrace/sdk/layer.hpp"
#include "edgetrace/sdk/line_format.hpp"

namespace edgetrace::sdk {

// The tree format's options (used when line.format is LineFormat::kTree).
struct TreeOptions {
  bool events = true;  // events inside spans print under their span
  bool ascii = false;  // `|--` instead of box-drawing characters, "us" instead of "µs"
  std::size_t max_spans_per_trace = 256;  // spans of one trace waiting for their root
  std::size_t max_buffered_spans = 4096;  // spans of all traces waiting for their roots
  std::size_t max_events_per_span = 32;   // events kept under one span
};

struct ConsoleLayerOptions {
  LineOptions line{};
  Ansi ansi = Ansi::kAuto;
  bool to_stderr = false;  // stderr instead of stdout
  FILE* stream = nullptr;  // overrides stdout/stderr when set (tests, custom streams)
  TreeOptions tree{};
};

struct ConsoleLayerCounters {
  std::atomic<std::uint64_t> lines_written{0};
  std::atomic<std::uint64_t> write_errors{0};  // lines fwrite did not fully write
  // The tree format:
  std::atomic<std::uint64_t> trees_printed{0};     // local roots printed with their spans
  std::atomic<std::uint64_t> late_spans{0};        // spans printed after their root
  std::atomic<std::uint64_t> spans_not_shown{0};   // over a limit (reported by a summary)
  std::atomic<std::uint64_t> events_not_shown{0};  // over max_events_per_span
};

namespace internal {
class ConsoleTree;
}  // namespace internal

// Whether Ansi `mode` means colours, for a stream that is (or not) a terminal and the value
// of NO_COLOR (null when unset).
bool resolve_ansi(Ansi mode, bool is_terminal, const char* no_color) noexcept;

class ConsoleLayer final : public Layer {
 public:
  explicit ConsoleLayer(ConsoleLayerOptions options);
  ~ConsoleLayer() override;

  const LineFormatter& formatter() const noexcept { return formatter_; }
  const ConsoleLayerCounters& counters() const noexcept { return counters_; }

  void on_new_span(const SpanRecord& span) override;
  void on_close(const SpanRecord& span) override;
  void on_event(const Event& event) override;
  bool wants_span_timings() const override { return formatter_.wants_close_span_lines(); }
  bool force_flush(Deadline deadline) override;
  bool shutdown(Deadline deadline) override;

 private:
  void write(const std::string& line) noexcept;

  FILE* stream_;
  LineFormatter formatter_;
  ConsoleLayerCounters counters_;
  std::unique_ptr<internal::ConsoleTree> tree_;  // the tree format's state, else null
  std::atomic<bool> shut_down_{false};
};

std::unique_ptr<Layer> make_console_layer(ConsoleLayerOptions options);

}  // namespace edgetrace::sdk
