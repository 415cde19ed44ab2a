#include "exporters/file_lines.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

namespace edgetrace::daemon {
namespace {

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

}  // namespace

FileLinesExporter::FileLinesExporter(FileLinesOptions options) : options_(std::move(options)) {}

FileLinesExporter::~FileLinesExporter() {
  close_locked();
}

core::Status FileLinesExporter::open() {
  std::lock_guard lock(mutex_);
  if (fd_ >= 0)
    return core::Status();
  return open_locked();
}

core::Status FileLinesExporter::reopen() {
  std::lock_guard lock(mutex_);
  close_locked();
  reopens_.fetch_add(1, std::memory_order_relaxed);
  return open_locked();
}

core::Status FileLinesExporter::open_locked() {
  if (options_.path.empty())
    return core::invalid_argument("exporters.file: path is empty");
  const int fd = ::open(options_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    return core::Status(
        core::StatusCode::kUnavailable,
        "exporters.file: cannot open '" + options_.path + "' for appending: " + errno_text(error));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return core::Status(
        core::StatusCode::kUnavailable,
        "exporters.file: cannot stat '" + options_.path + "': " + errno_text(error));
  }
  fd_ = fd;
  size_ = S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
  return core::Status();
}

void FileLinesExporter::close_locked() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  size_ = 0;
}

bool FileLinesExporter::rotate_locked() {
  namespace fs = std::filesystem;
  close_locked();
  std::error_code ec;
  const auto numbered = [&](std::size_t i) { return options_.path + "." + std::to_string(i); };
  if (options_.max_files == 0) {
    fs::remove(options_.path, ec);
  } else {
    fs::remove(numbered(options_.max_files), ec);
    for (std::size_t i = options_.max_files - 1; i >= 1; --i) {
      if (fs::exists(numbered(i), ec))
        fs::rename(numbered(i), numbered(i + 1), ec);
    }
    fs::rename(options_.path, numbered(1), ec);
  }
  rotations_.fetch_add(1, std::memory_order_relaxed);
  // A failed rename leaves the old file in place: lines keep going to it (it grows past
  // max_bytes) rather than being refused.
  return open_locked().ok();
}

ExportResult FileLinesExporter::write_line(Signal signal, const std::string& line) {
  std::lock_guard lock(mutex_);
  if (shut_down_)
    return ExportResult::kRetryLater;
  if (fd_ < 0 && !open_locked().ok()) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    return ExportResult::kRetryLater;
  }
  if (options_.max_bytes > 0 && size_ > 0 && size_ + line.size() > options_.max_bytes &&
      !rotate_locked()) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    return ExportResult::kRetryLater;
  }
  // Where the line starts: what a failed write is truncated back to. (Another writer of the
  // same file would move it; fstat tells where the end is now.)
  std::uint64_t start = size_;
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode))
    start = static_cast<std::uint64_t>(st.st_size);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    done += static_cast<std::size_t>(n);
  }
  if (done < line.size()) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    // Never leave half a line: the retry writes it whole.
    if (done > 0 && S_ISREG(st.st_mode) && ::ftruncate(fd_, static_cast<off_t>(start)) != 0)
      close_locked();  // the next export reopens and appends after what is there
    return ExportResult::kRetryLater;
  }
  size_ = start + line.size();
  lines_[signal].fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(line.size(), std::memory_order_relaxed);
  return ExportResult::kDelivered;
}

ExportResult FileLinesExporter::export_traces(const otlp::TraceRequest& request,
                                              otlp::Deadline deadline) {
  (void)deadline;
  if (request.resource_spans_size() == 0)
    return ExportResult::kDelivered;
  std::string line;
  otlp::encode_json(request, line);
  line += '\n';
  return write_line(kTraces, line);
}

ExportResult FileLinesExporter::export_logs(const otlp::LogsRequest& request,
                                            otlp::Deadline deadline) {
  (void)deadline;
  if (request.resource_logs_size() == 0)
    return ExportResult::kDelivered;
  std::string line;
  otlp::encode_json(request, line);
  line += '\n';
  return write_line(kLogs, line);
}

ExportResult FileLinesExporter::export_metrics(const otlp::MetricsRequest& request,
                                               otlp::Deadline deadline) {
  (void)deadline;
  if (request.resource_metrics_size() == 0)
    return ExportResult::kDelivered;
  std::string line;
  otlp::encode_json(request, line);
  line += '\n';
  return write_line(kMetrics, line);
}

void FileLinesExporter::shutdown() {
  std::lock_guard lock(mutex_);
  shut_down_ = true;
  close_locked();
}

void FileLinesExporter::write_metrics(MetricsText& out) const {
  static constexpr std::array<std::string_view, kSignalCount> kSignals = {"traces", "logs",
                                                                          "metrics"};
  for (std::size_t i = 0; i < kSignalCount; ++i)
    out.counter("edgetraced_file_lines_total", "Requests written, one OTLP/JSON line each.",
                {{"exporter", "file"}, {"signal", kSignals[i]}},
                lines_[i].load(std::memory_order_relaxed));
  out.counter("edgetraced_file_bytes_total", "Bytes written (lines with their newline).",
              {{"exporter", "file"}}, bytes_.load(std::memory_order_relaxed));
  out.counter("edgetraced_file_write_errors_total",
              "Requests that could not be written (retried from the queue).",
              {{"exporter", "file"}}, write_errors_.load(std::memory_order_relaxed));
  out.counter("edgetraced_file_rotations_total", "Files rotated at max_bytes.",
              {{"exporter", "file"}}, rotations_.load(std::memory_order_relaxed));
  out.counter("edgetraced_file_reopens_total", "reopen() calls (SIGHUP).", {{"exporter", "file"}},
              reopens_.load(std::memory_order_relaxed));
}

}  // namespace edgetrace::daemon
