#include "edgetrace/sdk/console_layer.hpp"

#include <unistd.h>

#include <cstdlib>

#include "internal/console_tree.hpp"
#include "internal/line_text.hpp"

namespace edgetrace::sdk {
namespace {

FILE* pick_stream(const ConsoleLayerOptions& options) noexcept {
  if (options.stream != nullptr)
    return options.stream;
  return options.to_stderr ? stderr : stdout;
}

bool ansi_for(const ConsoleLayerOptions& options, FILE* stream) noexcept {
  if (options.ansi != Ansi::kAuto)
    return resolve_ansi(options.ansi, false, nullptr);
  const int fd = fileno(stream);
  return resolve_ansi(Ansi::kAuto, fd >= 0 && ::isatty(fd) == 1, std::getenv("NO_COLOR"));
}

}  // namespace

bool resolve_ansi(Ansi mode, bool is_terminal, const char* no_color) noexcept {
  switch (mode) {
    case Ansi::kAlways:
      return true;
    case Ansi::kNever:
      return false;
    case Ansi::kAuto:
      break;
  }
  return is_terminal && (no_color == nullptr || no_color[0] == '\0');
}

ConsoleLayer::ConsoleLayer(ConsoleLayerOptions options)
    : stream_(pick_stream(options)), formatter_(options.line, ansi_for(options, stream_)) {
  if (options.line.format == LineFormat::kTree)
    tree_ = std::make_unique<internal::ConsoleTree>(options.tree, counters_);
}

ConsoleLayer::~ConsoleLayer() = default;

void ConsoleLayer::write(const std::string& line) noexcept {
  if (line.empty())
    return;
  flockfile(stream_);
  const std::size_t n = fwrite_unlocked(line.data(), 1, line.size(), stream_);
  const bool flushed = fflush_unlocked(stream_) == 0;
  funlockfile(stream_);
  if (n == line.size() && flushed) {
    counters_.lines_written.fetch_add(1, std::memory_order_relaxed);
  } else {
    counters_.write_errors.fetch_add(1, std::memory_order_relaxed);
  }
}

void ConsoleLayer::on_event(const Event& event) {
  if (shut_down_.load(std::memory_order_relaxed))
    return;
  if (tree_ && tree_->on_event(event))
    return;  // kept under its span
  internal::ScratchLine line;
  formatter_.format_event(event, line.str());
  write(line.str());
}

void ConsoleLayer::on_new_span(const SpanRecord& span) {
  if (tree_ && !shut_down_.load(std::memory_order_relaxed))
    tree_->on_new_span(span);
  if (!formatter_.wants_new_span_lines() || shut_down_.load(std::memory_order_relaxed))
    return;
  internal::ScratchLine line;
  formatter_.format_span_new(span, line.str());
  write(line.str());
}

void ConsoleLayer::on_close(const SpanRecord& span) {
  if (tree_ && !shut_down_.load(std::memory_order_relaxed)) {
    internal::ScratchLine text;
    tree_->on_close(span, text.str());
    write(text.str());
  }
  if (!formatter_.wants_close_span_lines() || shut_down_.load(std::memory_order_relaxed))
    return;
  internal::ScratchLine line;
  formatter_.format_span_close(span, line.str());
  write(line.str());
}

bool ConsoleLayer::force_flush(Deadline) {
  return std::fflush(stream_) == 0;
}

bool ConsoleLayer::shutdown(Deadline deadline) {
  if (shut_down_.exchange(true, std::memory_order_acq_rel))
    return true;
  if (tree_) {
    std::string text;
    tree_->flush_unfinished(text);  // spans whose root never closed
    write(text);
  }
  return force_flush(deadline);
}

std::unique_ptr<Layer> make_console_layer(ConsoleLayerOptions options) {
  return std::make_unique<ConsoleLayer>(options);
}

}  // namespace edgetrace::sdk
