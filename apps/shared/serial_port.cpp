#include "serial_port.hpp"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "edgetrace/core/posix.hpp"

namespace edgetrace::serial {
namespace {

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

}  // namespace

bool is_supported_baud(unsigned baud) noexcept {
  return baud_constant(baud) != B0;
}

InputKind input_kind(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return InputKind::kOther;
  if (S_ISCHR(st.st_mode) && ::isatty(fd))
    return InputKind::kTerminal;
  if (S_ISFIFO(st.st_mode))
    return InputKind::kFifo;
  if (S_ISREG(st.st_mode))
    return InputKind::kRegularFile;
  return InputKind::kOther;
}

core::Status configure_raw(int fd, unsigned baud, const std::string& path) {
  using core::Status;
  using core::StatusCode;
  const speed_t speed = baud_constant(baud);
  if (speed == B0)
    return core::invalid_argument("unsupported baud rate " + std::to_string(baud));
  termios tio{};
  if (::tcgetattr(fd, &tio) != 0)
    return Status(StatusCode::kFailedPrecondition,
                  path + ": not a serial port: " + core::errno_text(errno));
  ::cfmakeraw(&tio);
  tio.c_cflag |= CLOCAL | CREAD;
  tio.c_cflag &= ~static_cast<tcflag_t>(CSTOPB | PARENB | CRTSCTS);
  tio.c_cc[VMIN] = 1;  // block until at least one byte
  tio.c_cc[VTIME] = 0;
  if (::cfsetispeed(&tio, speed) != 0 || ::cfsetospeed(&tio, speed) != 0 ||
      ::tcsetattr(fd, TCSANOW, &tio) != 0) {
    return Status(StatusCode::kFailedPrecondition, path + ": cannot set raw mode at " +
                                                       std::to_string(baud) +
                                                       " baud: " + core::errno_text(errno));
  }
  ::tcflush(fd, TCIFLUSH);
  return Status();
}

bool is_hangup(int error) noexcept {
  return error == EIO || error == ECONNRESET;
}

}  // namespace edgetrace::serial
