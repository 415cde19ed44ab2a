// ByteSource: where `edgetrace decode` reads a device stream from.
//
//   auto src = ByteSource::open("tcp://127.0.0.1:7000", {});   // or a file, "-", /dev/ttyACM0
//   std::uint8_t buf[4096];
//   while (true) {
//     auto n = (*src)->read(buf);        // blocks; 0 at the end of the input
//     if (!n || *n == 0) break;
//     decoder.feed({buf, *n}, sink);
//   }
//
// Input specs: `-` is standard input; `tcp://HOST:PORT` connects as a client; a path to a
// terminal device (a serial port) is opened in raw mode (termios: no echo, no line
// discipline, 8N1) at `baud`; any other path is read as a file (a capture).
//
// Not thread-safe (one reader). Owns its descriptor (except standard input's). A read
// interrupted by a signal returns 0 ("end") once `request_stop()` was called, so Ctrl-C
// ends a live decode cleanly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "edgetrace/core/result.hpp"
#include "serial_port.hpp"

namespace edgetrace::cli {

struct ByteSourceOptions {
  unsigned baud = 115200;  // serial ports only
};

class ByteSource {
 public:
  static core::Result<std::unique_ptr<ByteSource>> open(const std::string& spec,
                                                        const ByteSourceOptions& options);
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  // Reads what is available (at least one byte, blocking until then); 0 at the end of the
  // input (end of file, peer closed, or stop requested).
  core::Result<std::size_t> read(std::span<std::uint8_t> buffer);

  // A regular file (a capture, also when given as standard input): its modification time,
  // the time its last byte was written. nullopt for streams (pipes, sockets, terminals).
  std::optional<std::uint64_t> capture_mtime_unix_nanos() const;
  // Reads a regular file again from its start. Error for streams.
  core::Status rewind();

  // What was opened, for messages: "file stream.bin", "tcp 127.0.0.1:7000", ...
  const std::string& description() const noexcept { return description_; }

  // Async-signal-safe: makes the current and every later read() return 0.
  static void request_stop() noexcept;
  static bool stop_requested() noexcept;

 private:
  ByteSource(int fd, bool owned, std::string description)
      : fd_(fd), owned_(owned), description_(std::move(description)) {}

  int fd_;
  bool owned_;
  std::string description_;
};

// Whether a baud rate is one termios knows (9600 .. 4000000).
using serial::is_supported_baud;

}  // namespace edgetrace::cli
