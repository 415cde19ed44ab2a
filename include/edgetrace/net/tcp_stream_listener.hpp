// TcpStreamListener: a plain TCP listener for byte streams (devices sending framed
// records), on the same I/O-thread model and limits as HttpServer.
//
//   class FrameSink : public edgetrace::net::TcpStreamHandler {
//    public:
//     StreamAction on_data(std::span<const std::uint8_t> bytes) override {
//       decoder.feed(bytes);
//       return queue.full() ? StreamAction::kPause : StreamAction::kContinue;
//     }
//     void on_close(const core::Status& why) override { decoder.finish(); }
//   };
//   edgetrace::net::TcpStreamListener listener({.listen = "0.0.0.0:4600"},
//       [](TcpStreamControl control, std::string_view peer) {
//         return std::make_unique<FrameSink>(std::move(control));   // keeps control to resume
//       });
//   if (auto st = listener.start(); !st.ok()) ...
//
// Each accepted connection gets its own handler object, created by the factory on an I/O
// thread. on_data() and on_close() are called on that connection's strand (one at a time,
// never concurrently for one connection), on an I/O thread: they must not block for long.
// `bytes` is valid only during the call. Back-pressure: on_data() returning kPause stops
// reading that connection (the kernel's buffers then push back on the sender) until
// TcpStreamControl::resume(), which any thread may call. kClose closes it.
//
// Limits: at most `max_connections` open (more are accepted and closed at once, counted);
// each read takes at most `read_buffer_bytes` (the connection's buffer, reused); a
// connection that sends nothing for `idle_timeout` while being read is closed (time spent
// paused does not count); a connection older than `max_connection_age` (0: no limit) is
// closed. on_close() is called exactly once per handler, with OK for a peer's orderly close,
// kDeadlineExceeded for a timeout, kCancelled for stop() or kClose, kUnavailable for a
// socket error.
//
// Thread-safety: start(), stop(), port() and counters() from any thread (not from a
// handler: stop() joins the I/O threads). The destructor calls stop().
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "edgetrace/core/result.hpp"

namespace edgetrace::net {

enum class StreamAction { kContinue, kPause, kClose };

class TcpStreamHandler {
 public:
  virtual ~TcpStreamHandler() = default;
  virtual StreamAction on_data(std::span<const std::uint8_t> bytes) = 0;
  virtual void on_close(const core::Status& reason) = 0;
};

namespace internal {
class StreamConnectionControl {
 public:
  virtual ~StreamConnectionControl() = default;
  virtual void resume() = 0;
  virtual void close() = 0;
};
}  // namespace internal

// A handle on one connection, given to its handler. Copyable; usable from any thread, also
// after the connection closed (then it does nothing). It does not keep the socket open.
class TcpStreamControl {
 public:
  explicit TcpStreamControl(std::weak_ptr<internal::StreamConnectionControl> connection)
      : connection_(std::move(connection)) {}
  // Reading continues after an on_data() that returned kPause.
  void resume() const;
  // Closes the connection; on_close() follows with kCancelled.
  void close() const;

 private:
  std::weak_ptr<internal::StreamConnectionControl> connection_;
};

using TcpStreamHandlerFactory = std::function<std::unique_ptr<TcpStreamHandler>(
    TcpStreamControl control, std::string_view peer)>;

struct TcpStreamListenerOptions {
  std::string listen = "127.0.0.1:0";
  std::size_t io_threads = 1;
  std::size_t max_connections = 256;
  std::size_t read_buffer_bytes = 64 * 1024;
  std::chrono::milliseconds idle_timeout{120000};
  std::chrono::milliseconds max_connection_age{0};
};

struct TcpListenerCounters {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused{0};  // over max_connections
  std::atomic<std::uint64_t> connections_active{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> pauses{0};  // on_data() returned kPause
  std::atomic<std::uint64_t> idle_timeouts{0};
  std::atomic<std::uint64_t> age_limit_closes{0};
  std::atomic<std::uint64_t> read_errors{0};
};

class TcpStreamListener {
 public:
  TcpStreamListener(TcpStreamListenerOptions options, TcpStreamHandlerFactory factory);
  ~TcpStreamListener();
  TcpStreamListener(const TcpStreamListener&) = delete;
  TcpStreamListener& operator=(const TcpStreamListener&) = delete;

  // Errors as HttpServer::start().
  core::Status start();
  // Stops accepting, closes every connection (on_close with kCancelled), joins the threads.
  void stop();

  std::uint16_t port() const noexcept;
  const TcpListenerCounters& counters() const noexcept;

 private:
  class Core;
  std::shared_ptr<Core> core_;
};

}  // namespace edgetrace::net
