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
#include <cstdint>
#include <cstdio>
#include <memory>

#include "edgetrace/sdk/layer.hpp"
#include "edgetrace/sdk/line_format.hpp"

namespace edgetrace::sdk {

struct ConsoleLayerOptions {
  LineOptions line{};
  Ansi ansi = Ansi::kAuto;
  bool to_stderr = false;  // stderr instead of stdout
  FILE* stream = nullptr;  // overrides stdout/stderr when set (tests, custom streams)
};

struct ConsoleLayerCounters {
  std::atomic<std::uint64_t> lines_written{0};
  std::atomic<std::uint64_t> write_errors{0};  // lines fwrite did not fully write
};

// Whether Ansi `mode` means colours, for a stream that is (or not) a terminal and the value
// of NO_COLOR (null when unset).
bool resolve_ansi(Ansi mode, bool is_terminal, const char* no_color) noexcept;

class ConsoleLayer final : public Layer {
 public:
  explicit ConsoleLayer(ConsoleLayerOptions options);

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
  std::atomic<bool> shut_down_{false};
};

std::unique_ptr<Layer> make_console_layer(ConsoleLayerOptions options);

}  // namespace edgetrace::sdk
