#include "receivers/serial.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include "edgetrace/core/posix.hpp"
#include "receivers/device_identity.hpp"
#include "serial_port.hpp"

namespace edgetrace::daemon {
namespace {

constexpr std::string_view kReceiver = "serial";

std::uint64_t mtime_unix_nanos(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return 0;
  return static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
         static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
}

bool is_directory(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

off_t file_size(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? st.st_size : -1;
}

}  // namespace

SerialReceiver::SerialReceiver(SerialOptions options, DevicePipeline& pipeline)
    : options_(std::move(options)), pipeline_(pipeline) {}

SerialReceiver::~SerialReceiver() {
  stop();
  if (wake_fd_ >= 0)
    ::close(wake_fd_);
}

void SerialReceiver::log(const std::string& line) const {
  if (options_.log)
    options_.log(line);
}

core::Status SerialReceiver::start() {
  if (options_.path.empty() || thread_.joinable())
    return {};
  if (!serial::is_supported_baud(options_.baud))
    return core::invalid_argument("receivers.serial.baud: unsupported baud rate " +
                                  std::to_string(options_.baud));
  auto device = parse_hex_id(options_.device_id, "receivers.serial.device_id");
  if (!device)
    return device.status();
  auto build = parse_hex_id(options_.build_id, "receivers.serial.build_id");
  if (!build)
    return build.status();
  device_id_ = std::move(device).value();
  build_id_ = std::move(build).value();
  if (wake_fd_ < 0) {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0)
      return core::Status(core::StatusCode::kInternal,
                          "receivers.serial: eventfd: " + core::errno_text(errno));
  }
  pipeline_.receiver(kReceiver);
  stopping_.store(false);
  thread_ = std::thread([this] { run(); });
  return {};
}

void SerialReceiver::stop() {
  if (!thread_.joinable())
    return;
  stopping_.store(true);
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
  thread_.join();
  std::uint64_t drained = 0;
  (void)!::read(wake_fd_, &drained, sizeof drained);
}

bool SerialReceiver::wait(std::chrono::milliseconds timeout) {
  if (stopping_.load())
    return false;
  pollfd p{wake_fd_, POLLIN, 0};
  int n;
  do {
    n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (n < 0 && errno == EINTR);
  return !stopping_.load();
}

void SerialReceiver::run() {
  std::chrono::milliseconds backoff = options_.reopen_initial;
  bool failure_logged = false;
  while (!stopping_.load()) {
    const int fd = ::open(options_.path.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    core::Status opened;
    if (fd < 0) {
      opened = core::Status(core::StatusCode::kUnavailable,
                            "cannot open " + options_.path + ": " + core::errno_text(errno));
    }
    const serial::InputKind kind = fd < 0 ? serial::InputKind::kOther : serial::input_kind(fd);
    if (fd >= 0 && kind == serial::InputKind::kTerminal)
      opened = serial::configure_raw(fd, options_.baud, options_.path);
    if (fd >= 0 && is_directory(fd))
      opened = core::Status(core::StatusCode::kFailedPrecondition,
                            options_.path + " is a directory, not a port, pipe or file");
    if (!opened.ok()) {
      if (fd >= 0)
        ::close(fd);
      counters_.open_failures.fetch_add(1, std::memory_order_relaxed);
      if (!failure_logged) {
        log("receivers.serial: " + opened.message() + "; retrying (at most every " +
            std::to_string(options_.reopen_max.count()) + " ms)");
        failure_logged = true;
      }
      if (!wait(backoff))
        return;
      backoff = std::min(backoff * 2, options_.reopen_max);
      continue;
    }
    if (failure_logged)
      log("receivers.serial: " + options_.path + " opened");
    failure_logged = false;
    backoff = options_.reopen_initial;

    const bool regular = kind == serial::InputKind::kRegularFile;
    StreamOrigin origin;
    origin.receiver = std::string(kReceiver);
    origin.peer = options_.path;
    origin.device_id = device_id_;
    origin.build_id = build_id_;
    origin.format = options_.format;
    if (regular) {
      origin.time = bridge::TimeMode::kAnchored;
      origin.anchor_unix_nanos = mtime_unix_nanos(fd);
    }
    std::shared_ptr<DeviceStream> stream = pipeline_.open(std::move(origin));
    counters_.opens.fetch_add(1, std::memory_order_relaxed);
    counters_.open.store(true);
    std::uint64_t bytes = 0;
    const End end = read_stream(fd, regular, *stream, bytes);
    // A refusal is counted by the pipeline; the bytes were read and cannot be given back.
    (void)stream->finish();
    stream.reset();
    ::close(fd);
    counters_.open.store(false);
    if (end == End::kStop)
      return;
    counters_.stream_ends.fetch_add(1, std::memory_order_relaxed);
    if (regular && !options_.follow) {
      counters_.done.store(true);
      log("receivers.serial: " + options_.path + " replayed to its end");
      return;
    }
    if (kind == serial::InputKind::kTerminal)
      log("receivers.serial: " + options_.path + " hung up; opening it again");
    if (bytes == 0 && !regular) {
      // Opened and ended at once (a port that hangs up as soon as it is opened): not a
      // reason to spin.
      if (!wait(backoff))
        return;
      backoff = std::min(backoff * 2, options_.reopen_max);
    }
  }
}

SerialReceiver::End SerialReceiver::read_stream(int fd, bool regular_file, DeviceStream& stream,
                                                std::uint64_t& bytes) {
  std::vector<std::uint8_t> buffer(std::max<std::size_t>(options_.buffer_bytes, 64));
  off_t offset = 0;
  for (;;) {
    if (stopping_.load())
      return End::kStop;
    bool hung_up = false;
    if (!regular_file) {
      // Regular files are always readable; pipes and terminals are waited on.
      pollfd p[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) {
        if (errno == EINTR)
          continue;
        counters_.read_errors.fetch_add(1, std::memory_order_relaxed);
        log("receivers.serial: poll " + options_.path + ": " + core::errno_text(errno));
        return End::kEndOfInput;
      }
      if (p[1].revents != 0)
        return End::kStop;
      hung_up = (p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
    }
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n > 0) {
      offset += n;
      bytes += static_cast<std::uint64_t>(n);
      (void)stream.feed(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0) {
      const int err = errno;
      if (err == EINTR || (err == EAGAIN && !hung_up))
        continue;
      if (err == EAGAIN)
        return End::kEndOfInput;  // hung up with nothing left to read
      if (serial::is_hangup(err))
        return End::kEndOfInput;
      counters_.read_errors.fetch_add(1, std::memory_order_relaxed);
      log("receivers.serial: read " + options_.path + ": " + core::errno_text(err));
      return End::kEndOfInput;
    }
    // End of input: a pipe's writer closed, a terminal hung up, or the end of a file.
    if (!regular_file || !options_.follow)
      return End::kEndOfInput;
    if (file_size(fd) < offset) {
      log("receivers.serial: " + options_.path +
          " shrank (truncated or replaced); reading it "
          "again from its start");
      return End::kTruncated;
    }
    if (!wait(options_.follow_interval))
      return End::kStop;
  }
}

bool SerialReceiver::ready() const {
  return counters_.open.load() || counters_.done.load() || options_.path.empty();
}

void SerialReceiver::write_metrics(MetricsText& out) const {
  const Label receiver{"receiver", kReceiver};
  out.counter("edgetraced_serial_opens_total",
              "Opens of receivers.serial.path (each one is a new device stream).", {receiver},
              counters_.opens.load(std::memory_order_relaxed));
  out.counter("edgetraced_serial_open_failures_total",
              "Failed opens of receivers.serial.path (absent, unplugged, settings refused).",
              {receiver}, counters_.open_failures.load(std::memory_order_relaxed));
  out.counter("edgetraced_serial_stream_ends_total",
              "Serial streams ended: hang-up or unplug, pipe writer closed, end of a file.",
              {receiver}, counters_.stream_ends.load(std::memory_order_relaxed));
  out.counter("edgetraced_serial_read_errors_total", "Reads of receivers.serial.path that failed.",
              {receiver}, counters_.read_errors.load(std::memory_order_relaxed));
  out.gauge("edgetraced_serial_open", "1 while receivers.serial.path is open.", {receiver},
            counters_.open.load() ? 1.0 : 0.0);
}

}  // namespace edgetrace::daemon
