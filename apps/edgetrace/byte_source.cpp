#include "byte_source.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

#include "edgetrace/core/posix.hpp"

namespace edgetrace::cli {
namespace {

using core::Result;
using core::Status;
using core::StatusCode;

volatile std::sig_atomic_t g_stop = 0;

speed_t baud_constant(unsigned baud) noexcept {
  switch (baud) {
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    case 230400:
      return B230400;
    case 460800:
      return B460800;
    case 500000:
      return B500000;
    case 921600:
      return B921600;
    case 1000000:
      return B1000000;
    case 1500000:
      return B1500000;
    case 2000000:
      return B2000000;
    case 3000000:
      return B3000000;
    case 4000000:
      return B4000000;
    default:
      return B0;
  }
}

Status make_raw(int fd, unsigned baud, const std::string& path) {
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0)
    return Status(StatusCode::kFailedPrecondition,
                  path + ": not a serial port: " + core::errno_text(errno));
  ::cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~static_cast<tcflag_t>(CSTOPB | PARENB | CRTSCTS);
  tio.c_cc[VMIN] = 1;  // block until at least one byte
  tio.c_cc[VTIME] = 0;
  const speed_t speed = baud_constant(baud);
  if (::cfsetispeed(&tio, speed) != 0 || ::cfsetospeed(&tio, speed) != 0 ||
      ::tcsetattr(fd, TCSANOW, &tio) != 0) {
    return Status(StatusCode::kFailedPrecondition, path + ": cannot set raw mode at " +
                                                       std::to_string(baud) +
                                                       " baud: " + core::errno_text(errno));
  }
  ::tcflush(fd, TCIFLUSH);
  return Status();
}

Result<int> connect_tcp(const std::string& hostport) {
  const auto colon = hostport.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == hostport.size())
    return core::invalid_argument("tcp input needs tcp://HOST:PORT, got tcp://" + hostport);
  std::string host = hostport.substr(0, colon);
  const std::string port = hostport.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    return Status(StatusCode::kUnavailable,
                  "tcp://" + hostport + ": cannot resolve: " + ::gai_strerror(rc));
  }
  int last_err = 0;
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_err = errno;
      continue;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
      break;
    last_err = errno;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0) {
    return Status(StatusCode::kUnavailable,
                  "tcp://" + hostport + ": cannot connect: " + core::errno_text(last_err));
  }
  return fd;
}

}  // namespace

bool is_supported_baud(unsigned baud) noexcept {
  return baud_constant(baud) != B0;
}

void ByteSource::request_stop() noexcept {
  g_stop = 1;
}

bool ByteSource::stop_requested() noexcept {
  return g_stop != 0;
}

Result<std::unique_ptr<ByteSource>> ByteSource::open(const std::string& spec,
                                                     const ByteSourceOptions& options) {
  if (spec.empty() || spec == "-")
    return std::unique_ptr<ByteSource>(new ByteSource(STDIN_FILENO, false, "standard input"));
  if (spec.rfind("tcp://", 0) == 0) {
    auto fd = connect_tcp(spec.substr(6));
    if (!fd)
      return fd.status();
    return std::unique_ptr<ByteSource>(new ByteSource(*fd, true, "tcp " + spec.substr(6)));
  }
  const int fd = ::open(spec.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Status(err == ENOENT ? StatusCode::kNotFound : StatusCode::kFailedPrecondition,
                  "cannot open " + spec + ": " + core::errno_text(err));
  }
  std::unique_ptr<ByteSource> src(new ByteSource(fd, true, "file " + spec));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && ::isatty(fd)) {
    if (!is_supported_baud(options.baud))
      return core::invalid_argument("unsupported baud rate " + std::to_string(options.baud));
    Status raw = make_raw(fd, options.baud, spec);
    if (!raw.ok())
      return raw;
    src->description_ = "serial " + spec + " at " + std::to_string(options.baud) + " baud";
  }
  return src;
}

ByteSource::~ByteSource() {
  if (owned_ && fd_ >= 0)
    ::close(fd_);
}

std::optional<std::uint64_t> ByteSource::capture_mtime_unix_nanos() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))
    return std::nullopt;
  return static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
         static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
}

core::Status ByteSource::rewind() {
  if (!capture_mtime_unix_nanos() || ::lseek(fd_, 0, SEEK_SET) != 0)
    return core::Status(core::StatusCode::kFailedPrecondition,
                        description_ + ": cannot be read twice");
  return core::Status();
}

Result<std::size_t> ByteSource::read(std::span<std::uint8_t> buffer) {
  for (;;) {
    if (g_stop)
      return std::size_t{0};
    const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n >= 0)
      return static_cast<std::size_t>(n);
    if (errno == EINTR)
      continue;  // a signal: the loop checks whether it asked us to stop
    if (errno == ECONNRESET || errno == EIO)
      return std::size_t{0};  // the peer went away; a serial port's EIO is a hang-up
    return Status(StatusCode::kUnavailable,
                  description_ + ": read failed: " + core::errno_text(errno));
  }
}

}  // namespace edgetrace::cli
