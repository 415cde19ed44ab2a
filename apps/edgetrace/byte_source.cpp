#include "byte_source.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>

#include "edgetrace/core/posix.hpp"
#include "serial_port.hpp"

namespace edgetrace::cli {
namespace {

using core::Result;
using core::Status;
using core::StatusCode;

volatile std::sig_atomic_t g_stop = 0;

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
  if (serial::input_kind(fd) == serial::InputKind::kTerminal) {
    Status raw = serial::configure_raw(fd, options.baud, spec);
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
    if (serial::is_hangup(errno))
      return std::size_t{0};  // the peer went away, or the serial port hung up
    return Status(StatusCode::kUnavailable,
                  description_ + ": read failed: " + core::errno_text(errno));
  }
}

}  // namespace edgetrace::cli
