// Serial ports and the other device inputs a program reads from a path: what the `edgetrace`
// CLI (`decode --input /dev/ttyACM0`) and the daemon's serial receiver (receivers.serial)
// both need, written once.
//
//   const int fd = ::open(path.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC);
//   if (serial::input_kind(fd) == serial::InputKind::kTerminal) {
//     if (core::Status s = serial::configure_raw(fd, 115200, path); !s.ok()) ...
//   }
//   ...
//   if (n < 0 && serial::is_hangup(errno)) ...   // unplugged: the end of this stream
//
// configure_raw() puts a terminal in raw mode (termios: cfmakeraw, 8N1, no flow control,
// receiver on, modem lines ignored, a read returns as soon as one byte is there) at a baud
// rate, and discards input that was waiting from before (bytes of an earlier session would
// be the tail of a frame whose start is lost).
//
// Thread-safety: free functions without state; they do what the system calls they make do
// (no allocation except error messages, no blocking).
#pragma once

#include <cstdint>
#include <string>

#include "edgetrace/core/result.hpp"

namespace edgetrace::serial {

// Whether a baud rate is one termios knows (9600 .. 4000000).
bool is_supported_baud(unsigned baud) noexcept;

// What an open descriptor reads from.
enum class InputKind : std::uint8_t {
  kTerminal,     // a tty (serial port, USB CDC-ACM, pseudo-terminal)
  kFifo,         // a named pipe (or an anonymous one)
  kRegularFile,  // a capture on disk
  kOther,        // sockets, other character devices
};
InputKind input_kind(int fd) noexcept;

// Raw mode at `baud` (see the banner); `path` names the port in errors.
// kInvalidArgument: a baud rate termios does not know. kFailedPrecondition: not a terminal,
// or the driver refused the settings (the message has the system's reason).
core::Status configure_raw(int fd, unsigned baud, const std::string& path);

// Whether a read(2) error means the other end went away (a serial port's EIO after a
// hang-up or unplug, a reset connection) rather than a fault worth reporting.
bool is_hangup(int error) noexcept;

}  // namespace edgetrace::serial
