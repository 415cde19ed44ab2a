#include "edgetrace/core/posix.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace edgetrace::core {
namespace {

// strerror_r comes in two shapes: XSI returns an int and fills the buffer; GNU returns the
// message (which may or may not be the buffer). Overloads pick the right reading.
[[maybe_unused]] const char* strerror_result(int result, const char* buffer, int error,
                                             char* fallback, std::size_t size) {
  if (result == 0)
    return buffer;
  std::snprintf(fallback, size, "error %d", error);
  return fallback;
}
[[maybe_unused]] const char* strerror_result(const char* result, const char*, int, char*,
                                             std::size_t) {
  return result;
}

}  // namespace

std::string errno_text(int error) {
  char buffer[256] = {};
  char fallback[32] = {};
  const char* text = strerror_result(::strerror_r(error, buffer, sizeof buffer), buffer, error,
                                     fallback, sizeof fallback);
  if (text == nullptr || *text == '\0')
    return "error " + std::to_string(error);
  return text;
}

int write_all(int fd, std::span<const std::uint8_t> bytes) noexcept {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno;
    }
    if (n == 0)
      return EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

int write_all(int fd, std::string_view bytes) noexcept {
  return write_all(fd,
                   std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

}  // namespace edgetrace::core
