// SerialReceiver: a device stream read from a path (receivers.serial): a serial port, a
// named pipe, or a capture file.
//
//   SerialReceiver serial({.path = "/dev/ttyACM0", .baud = 921600}, pipeline);
//   if (core::Status s = serial.start(); !s.ok()) ...   // bad baud rate or id; never "absent"
//
// What `path` is decides how it is read (checked at each open):
// - a terminal (a UART, USB CDC-ACM, a pseudo-terminal): put in raw mode at `baud`
//   (serial::configure_raw; input from before the open is discarded). A hang-up or unplug
//   ends the stream; the port is opened again, and while it cannot be (not plugged in) the
//   receiver retries with a backoff from reopen_initial doubling to reopen_max.
// - a named pipe (FIFO): waits for a writer; when the writer closes, the stream ends and the
//   pipe is opened again to wait for the next one.
// - a regular file: replayed from its start, with capture time (bridge::TimeMode::kAnchored,
//   the first record at the file's modification time). At its end, follow = false finishes
//   the stream and the receiver is done; follow = true keeps reading what is appended, like
//   `tail -f` (checked every follow_interval; a file that shrinks was truncated or replaced:
//   the stream ends and the file is read again from its start).
// - anything else is read like a pipe.
// Every successful open is one DeviceStream (so an unplug and replug is a new stream).
//
// A serial port has no acknowledgement: bytes read are handed to the stream, and bytes the
// durable queue refuses are counted by the pipeline (queue_refusals), not read again.
//
// Thread-safety: as Receiver. One thread of its own reads and decodes; stop() wakes it
// (an eventfd), finishes the open stream and joins.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "edgetrace/core/attributes.hpp"
#include "edgetrace/decoder/decoder.hpp"
#include "pipeline/device_pipeline.hpp"
#include "pipeline/receiver.hpp"

namespace edgetrace::daemon {

struct SerialOptions {
  std::string path{};      // a tty, a FIFO or a regular file; empty: disabled
  unsigned baud = 115200;  // terminals only; 9600 .. 4000000 (serial::is_supported_baud)
  decoder::StreamFormat format = decoder::StreamFormat::kEdgetrace;
  std::string device_id{};  // hex; the device's id when its stream has no handshake
  std::string build_id{};   // hex; the firmware when the stream has no handshake (defmt)
  bool follow = false;      // regular files: keep reading appended bytes after the end
  std::chrono::milliseconds reopen_initial{200};
  std::chrono::milliseconds reopen_max{10000};
  std::chrono::milliseconds follow_interval{250};
  std::size_t buffer_bytes = 4096;  // one read
  // Called with a line for the daemon's own log (cannot open, hung up...).
  std::function<void(std::string_view)> log{};
};

struct SerialCounters {
  std::atomic<std::uint64_t> opens{0};          // successful opens = streams
  std::atomic<std::uint64_t> open_failures{0};  // failed attempts (absent, refused settings)
  std::atomic<std::uint64_t> stream_ends{0};    // hang-up, writer closed, end of a file
  std::atomic<std::uint64_t> read_errors{0};    // reads failed with another error
  std::atomic<bool> open{false};                // a stream is being read now
  std::atomic<bool> done{false};                // a replayed file (follow = false) ended
};

class SerialReceiver : public Receiver {
 public:
  SerialReceiver(SerialOptions options, DevicePipeline& pipeline);
  ~SerialReceiver() override;
  std::string_view name() const noexcept override { return "serial"; }
  // Checks the options (kInvalidArgument: baud rate, ids) and starts the reading thread.
  core::Status start() override;
  void stop() override;
  void write_metrics(MetricsText& out) const override;
  // The port is open, or the replayed file was read to its end (or it is disabled).
  bool ready() const override;
  const SerialCounters& counters() const noexcept { return counters_; }

 private:
  enum class End : std::uint8_t { kStop, kEndOfInput, kTruncated };
  void run();
  // Reads one open of the path until it ends; `bytes`: how many were read.
  End read_stream(int fd, bool regular_file, DeviceStream& stream, std::uint64_t& bytes);
  // Waits for `timeout` or stop(): false when stopping.
  bool wait(std::chrono::milliseconds timeout);
  void log(const std::string& line) const;

  SerialOptions options_;
  DevicePipeline& pipeline_;
  core::Bytes device_id_;
  core::Bytes build_id_;
  SerialCounters counters_;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace edgetrace::daemon
