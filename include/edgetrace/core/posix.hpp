// POSIX helpers every component needs: the text of an errno value and a complete write().
//
//   if (const int err = core::write_all(fd, bytes); err != 0)
//     return core::Status(core::StatusCode::kInternal,
//                         "write " + path + ": " + core::errno_text(err));
//
// Thread-safety: both functions may be called from any thread (errno_text uses
// strerror_r, never the shared buffer of strerror). write_all blocks like write(2) does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace edgetrace::core {

// The system's message for `error` ("No such file or directory"), or "error N" for a value
// the C library does not know.
std::string errno_text(int error);

// Writes all of `bytes` to `fd`, retrying after EINTR and after partial writes. Returns 0
// when everything was written, otherwise the errno value of the failed write(2) (EIO when
// write returned 0 for a non-empty buffer). How much was written before a failure is not
// reported: callers treat the file's tail as unknown.
[[nodiscard]] int write_all(int fd, std::span<const std::uint8_t> bytes) noexcept;
[[nodiscard]] int write_all(int fd, std::string_view bytes) noexcept;

}  // namespace edgetrace::core
