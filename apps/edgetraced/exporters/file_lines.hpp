// FileLinesExporter: the daemon's "file" exporter. Appends each request to a file as one
// line of OTLP/JSON, as the OpenTelemetry Collector's file exporter writes them (JSON lines:
// one ExportTraceServiceRequest, ExportLogsServiceRequest or ExportMetricsServiceRequest
// object per line, encoded by otlp::encode_json, so otlp::decode_json reads each line back).
//
//   FileLinesExporter file({.path = "/var/lib/edgetraced/telemetry.jsonl",
//                           .max_bytes = 64 << 20, .max_files = 5});
//   if (core::Status s = file.open(); !s.ok())
//     fail(s);            // "unavailable: exporters.file: cannot open '/x/t.jsonl': ..."
//   exporters.push_back(&file);
//   on SIGHUP:  file.reopen().ignore();    // after logrotate moved the file away
//
// - Every line is written with write(2) to a file opened with O_APPEND, before the export
//   returns: there is no user-space buffer (nothing to fflush), so what an export
//   acknowledged is in the kernel and survives a kill of the daemon (not a power loss:
//   there is no fsync).
// - Rotation (max_bytes > 0): before a line that would take the file beyond max_bytes, the
//   file is renamed to path.1, path.1 to path.2, ... up to path.<max_files>, the oldest is
//   removed, and a new file is started. A line is never split; a line longer than
//   max_bytes gets a file of its own. max_files = 0 keeps no rotated file (the file starts
//   over empty). max_bytes = 0: no rotation.
// - reopen() closes the file and opens `path` again (creating it): for external rotation
//   tools (logrotate without copytruncate) that rename the file and send SIGHUP.
// - A failed write (disk full, I/O error, file not open) returns kRetryLater, so the queue
//   keeps the request and offers it again; the part of the line written is truncated away
//   so the file never holds half a line; it is counted in write_errors. While the file is
//   not open, each export tries to open it again first.
// - Empty requests (no resource entries) write nothing.
//
// Thread-safety: export_*(), open(), reopen() and shutdown() may be called from any
// threads (one mutex); write_metrics() reads atomics. Blocking: file I/O under the mutex.
// Memory: the encoded line of the current request.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "edgetrace/core/result.hpp"
#include "pipeline/exporter.hpp"

namespace edgetrace::daemon {

struct FileLinesOptions {
  // The file lines are appended to (created with mode 0644 less the umask).
  std::string path{};
  // Rotate before the file would exceed this many bytes; 0: never.
  std::uint64_t max_bytes = 0;
  // Rotated files kept: path.1 (newest) ... path.<max_files> (oldest).
  std::size_t max_files = 5;
};

class FileLinesExporter : public Exporter {
 public:
  explicit FileLinesExporter(FileLinesOptions options);
  ~FileLinesExporter() override;
  FileLinesExporter(const FileLinesExporter&) = delete;
  FileLinesExporter& operator=(const FileLinesExporter&) = delete;

  // Opens (creates) the file for appending. The error names the path and the reason.
  [[nodiscard]] core::Status open();
  // Closes the file and opens `path` again; the same errors as open().
  [[nodiscard]] core::Status reopen();

  std::string_view name() const noexcept override { return "file"; }
  ExportResult export_traces(const otlp::TraceRequest& request, otlp::Deadline deadline) override;
  ExportResult export_logs(const otlp::LogsRequest& request, otlp::Deadline deadline) override;
  ExportResult export_metrics(const otlp::MetricsRequest& request,
                              otlp::Deadline deadline) override;
  void write_metrics(MetricsText& out) const override;
  // Closes the file; later exports return kRetryLater.
  void shutdown() override;

  const FileLinesOptions& options() const noexcept { return options_; }

 private:
  enum Signal : std::size_t { kTraces, kLogs, kMetrics, kSignalCount };
  core::Status open_locked();
  void close_locked();
  bool rotate_locked();
  ExportResult write_line(Signal signal, const std::string& line);

  const FileLinesOptions options_;
  std::mutex mutex_;
  int fd_ = -1;
  std::uint64_t size_ = 0;  // bytes in the open file
  bool shut_down_ = false;

  std::atomic<std::uint64_t> lines_[kSignalCount] = {};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> write_errors_{0};
  std::atomic<std::uint64_t> rotations_{0};
  std::atomic<std::uint64_t> reopens_{0};
};

}  // namespace edgetrace::daemon
