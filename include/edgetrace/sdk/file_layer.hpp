// The rolling file layer: log lines in files that roll over by time, written by a
// background thread so the logging threads never wait for the disk.
//
//   auto file = FileLayer::create({.directory = "/var/log/checkout",
//                                  .prefix = "worker-3",
//                                  .rotation = Rotation::kHourly,
//                                  .max_files = 48});
//   if (!file) { std::fprintf(stderr, "%s\n", file.status().to_string().c_str()); return 1; }
//   const FileLayer* handle = file.value().get();           // for its counters
//   tracing->add_layer(std::move(file).value(), Filter::parse("debug").value());
//   ...
//   handle->counters().dropped_queue_full.load();
//
// File names are those of Rust's tracing-appender: `<prefix>.<date>.<suffix>` with date
// YYYY-MM-DD (daily), YYYY-MM-DD-HH (hourly) or YYYY-MM-DD-HH-MM (minutely), in UTC;
// kNever writes `<prefix>.<suffix>`. An empty prefix or suffix drops its part and its dot.
// Files are opened in append mode (a restart continues today's file) and created 0644.
// The writer checks the clock before each batch it writes: the first batch at or after a
// period boundary goes to the new file. After every rotation (and at create()) the oldest
// files of this prefix, suffix and rotation beyond `max_files` are deleted (0 keeps all);
// other files in the directory are never touched.
//
// Lines are formatted on the logging thread (LineFormatter, ANSI always off) straight into
// a slot of a bounded queue of `queue_capacity` lines (rounded up to a power of two, at
// least 2); the slots' buffers are reused, so in steady state logging does not allocate
// (memory: each slot keeps the capacity of the longest line it held, up to 64 KiB). A
// background thread writes batches with write(2): while lines keep coming it looks for
// them every 2 ms (the logging threads do not wake it, which would cost each line a
// syscall), after 100 ms without lines it sleeps until the next line wakes it; lines reach
// the file within a few milliseconds. force_flush() waits until everything logged before
// the call is written.
//
// Full queue: lossy (default) drops the line and counts it in dropped_queue_full; the
// caller never waits. lossy = false makes the caller wait until the writer has made room:
// nothing is dropped, but a slow or stalled disk then slows or stalls the logging threads.
//
// FileLayer: callbacks may run on any number of threads. create() does I/O (directory,
// first file, retention) on the caller's thread; afterwards only the writer thread does.
// shutdown() (and the destructor, with a 5 s deadline) writes what is queued and joins the
// writer; lines that could not be written by the deadline are dropped and counted.
//
// fork(): in a child process the parent's layer is a clean no-op (its writer thread does not
// exist there): lines are dropped and counted in dropped_in_forked_child, force_flush and
// shutdown return false at once, and destroying it frees nothing. Create a new FileLayer
// (with another prefix) in the child to log there.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "edgetrace/core/result.hpp"
#include "edgetrace/sdk/layer.hpp"
#include "edgetrace/sdk/line_format.hpp"

namespace edgetrace::sdk {

enum class Rotation : std::uint8_t { kNever, kMinutely, kHourly, kDaily };

struct FileLayerOptions {
  std::string directory = "logs";  // created (with its parents) when missing; a relative
                                   // path is resolved against the working directory by create()
  std::string prefix = "app";      // e.g. a worker id; no '/'
  std::string suffix = "log";      // no '/'
  Rotation rotation = Rotation::kDaily;
  std::size_t max_files = 0;  // files of this prefix/suffix to keep; 0 = keep all
  LineOptions line{};
  // Written, followed by one space, at the start of every line (e.g. a worker id), so that
  // several processes can share one file. Each batch of whole lines goes out in one
  // write(2) on an O_APPEND descriptor, so lines from different processes never tear.
  // No line breaks.
  std::string line_prefix{};
  std::size_t queue_capacity = 8192;  // lines; 1 .. 1048576
  bool lossy = true;                  // false: a full queue makes the caller wait
  // The time used for rotation (not for the lines' timestamps, which are the events').
  // Default: std::chrono::system_clock::now. Called by create() and by the writer thread.
  std::function<std::chrono::system_clock::time_point()> clock{};
};

struct FileLayerCounters {
  std::atomic<std::uint64_t> written{0};                  // lines written to a file
  std::atomic<std::uint64_t> dropped_queue_full{0};       // lossy queue was full
  std::atomic<std::uint64_t> dropped_write_failed{0};     // lines lost to write_errors
  std::atomic<std::uint64_t> dropped_after_shutdown{0};   // logged after or during shutdown
  std::atomic<std::uint64_t> dropped_in_forked_child{0};  // logged in a fork()ed child
  std::atomic<std::uint64_t> write_errors{0};             // failed open(2) or write(2)
  std::atomic<std::uint64_t> rotations{0};                // new files after the first
  std::atomic<std::uint64_t> files_removed{0};            // deleted by max_files
};

// The file name for the period holding `time`, e.g. "app.2026-11-21-14.log" (kHourly).
std::string rolling_file_name(std::string_view prefix, std::string_view suffix, Rotation rotation,
                              std::chrono::system_clock::time_point time);

class FileLayer final : public Layer {
 public:
  // Checks the options, creates the directory, opens the current file, applies max_files
  // and starts the writer thread. Errors name the path and the reason.
  static core::Result<std::unique_ptr<FileLayer>> create(FileLayerOptions options);
  ~FileLayer() override;
  FileLayer(const FileLayer&) = delete;
  FileLayer& operator=(const FileLayer&) = delete;

  const FileLayerCounters& counters() const noexcept;
  // The file being written (directory/name).
  std::string current_path() const;

  void on_new_span(const SpanRecord& span) override;
  void on_close(const SpanRecord& span) override;
  void on_event(const Event& event) override;
  bool wants_span_timings() const override;
  bool force_flush(Deadline deadline) override;
  bool shutdown(Deadline deadline) override;

 private:
  struct State;
  explicit FileLayer(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace edgetrace::sdk
