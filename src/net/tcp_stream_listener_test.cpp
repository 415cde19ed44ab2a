// TcpStreamListener over real sockets: delivery, back-pressure, limits and timeouts.
#include "edgetrace/net/tcp_stream_listener.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <optional>

#include "net_test_support.hpp"

namespace edgetrace::net {
namespace {

using namespace std::chrono_literals;
using testing_support::kDeadline;
using testing_support::RawClient;
using testing_support::wait_for_count;

// What the handlers of one test saw, shared between I/O threads and the test.
struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  std::string bytes;
  std::vector<core::Status> closes;
  std::optional<TcpStreamControl> control;
  std::size_t calls = 0;

  template <typename Pred>
  bool wait(Pred pred) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, kDeadline, pred);
  }
};

class RecordingHandler : public TcpStreamHandler {
 public:
  RecordingHandler(Seen& seen, std::size_t pause_after) : seen_(seen), pause_after_(pause_after) {}
  StreamAction on_data(std::span<const std::uint8_t> bytes) override {
    std::lock_guard<std::mutex> lock(seen_.mu);
    seen_.bytes.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    ++seen_.calls;
    seen_.cv.notify_all();
    if (seen_.bytes.find("CLOSE") != std::string::npos)
      return StreamAction::kClose;
    return seen_.bytes.size() >= pause_after_ ? StreamAction::kPause : StreamAction::kContinue;
  }
  void on_close(const core::Status& reason) override {
    std::lock_guard<std::mutex> lock(seen_.mu);
    seen_.closes.push_back(reason);
    seen_.cv.notify_all();
  }

 private:
  Seen& seen_;
  std::size_t pause_after_;
};

std::unique_ptr<TcpStreamListener> start_listener(Seen& seen, TcpStreamListenerOptions options,
                                                  std::size_t pause_after = SIZE_MAX) {
  auto listener = std::make_unique<TcpStreamListener>(
      std::move(options), [&seen, pause_after](TcpStreamControl control, std::string_view peer) {
        EXPECT_EQ(peer.rfind("127.0.0.1:", 0), 0u);
        std::lock_guard<std::mutex> lock(seen.mu);
        seen.control = control;
        return std::make_unique<RecordingHandler>(seen, pause_after);
      });
  auto st = listener->start();
  EXPECT_TRUE(st.ok()) << st.to_string();
  return listener;
}

TEST(TcpStreamListenerTest, DeliversBytesAndReportsAnOrderlyClose) {
  Seen seen;
  auto listener = start_listener(seen, {});
  {
    RawClient c(listener->port());
    ASSERT_TRUE(c.send("hello "));
    ASSERT_TRUE(c.send("device"));
    ASSERT_TRUE(seen.wait([&] { return seen.bytes == "hello device"; }));
  }
  ASSERT_TRUE(seen.wait([&] { return seen.closes.size() == 1; }));
  EXPECT_TRUE(seen.closes[0].ok()) << seen.closes[0].to_string();
  EXPECT_EQ(listener->counters().bytes_received.load(), 12u);
  EXPECT_EQ(listener->counters().connections_accepted.load(), 1u);
}

TEST(TcpStreamListenerTest, PausedConnectionIsNotReadUntilResumed) {
  Seen seen;
  TcpStreamListenerOptions o;
  o.read_buffer_bytes = 4;
  auto listener = start_listener(seen, o, /*pause_after=*/4);
  RawClient c(listener->port());
  ASSERT_TRUE(c.send("abcdefgh"));
  ASSERT_TRUE(seen.wait([&] { return seen.bytes.size() >= 4; }));
  // Paused after the first read: nothing more arrives (the buffer cap is 4 bytes per read)
  // until resume(). The counter shows the pause happened before we check.
  ASSERT_TRUE(wait_for_count(listener->counters().pauses, 1));
  {
    std::lock_guard<std::mutex> lock(seen.mu);
    EXPECT_EQ(seen.bytes, "abcd");
    EXPECT_EQ(seen.calls, 1u);
  }
  seen.control->resume();
  ASSERT_TRUE(seen.wait([&] { return seen.bytes == "abcdefgh"; }));
}

TEST(TcpStreamListenerTest, HandlerCanCloseAndControlCanClose) {
  Seen seen;
  auto listener = start_listener(seen, {});
  RawClient c(listener->port());
  ASSERT_TRUE(c.send("CLOSE"));
  EXPECT_TRUE(c.wait_closed());
  ASSERT_TRUE(seen.wait([&] { return seen.closes.size() == 1; }));
  EXPECT_EQ(seen.closes[0].code(), core::StatusCode::kCancelled);

  RawClient d(listener->port());
  ASSERT_TRUE(d.send("x"));
  ASSERT_TRUE(seen.wait([&] { return seen.bytes.size() == 6; }));
  seen.control->close();
  EXPECT_TRUE(d.wait_closed());
  ASSERT_TRUE(seen.wait([&] { return seen.closes.size() == 2; }));
}

TEST(TcpStreamListenerTest, IdleConnectionIsClosedAfterTheTimeout) {
  Seen seen;
  TcpStreamListenerOptions o;
  o.idle_timeout = 200ms;
  auto listener = start_listener(seen, o);
  RawClient c(listener->port());
  ASSERT_TRUE(c.send("a"));
  EXPECT_TRUE(c.wait_closed());
  ASSERT_TRUE(seen.wait([&] { return seen.closes.size() == 1; }));
  EXPECT_EQ(seen.closes[0].code(), core::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(listener->counters().idle_timeouts.load(), 1u);
}

TEST(TcpStreamListenerTest, ConnectionAgeLimitClosesABusyConnection) {
  Seen seen;
  TcpStreamListenerOptions o;
  o.max_connection_age = 200ms;
  auto listener = start_listener(seen, o);
  RawClient c(listener->port());
  ASSERT_TRUE(c.send("a"));
  EXPECT_TRUE(c.wait_closed());
  ASSERT_TRUE(wait_for_count(listener->counters().age_limit_closes, 1));
}

TEST(TcpStreamListenerTest, ConnectionsOverTheCapAreClosedAndCounted) {
  Seen seen;
  TcpStreamListenerOptions o;
  o.max_connections = 1;
  auto listener = start_listener(seen, o);
  RawClient a(listener->port());
  ASSERT_TRUE(a.send("a"));
  ASSERT_TRUE(seen.wait([&] { return seen.bytes == "a"; }));
  RawClient b(listener->port());
  EXPECT_TRUE(b.wait_closed());
  EXPECT_EQ(listener->counters().connections_refused.load(), 1u);
  EXPECT_EQ(listener->counters().connections_active.load(), 1u);
}

TEST(TcpStreamListenerTest, StopClosesEveryConnectionWithCancelled) {
  Seen seen;
  auto listener = start_listener(seen, {});
  RawClient a(listener->port());
  ASSERT_TRUE(a.send("a"));
  ASSERT_TRUE(seen.wait([&] { return seen.bytes == "a"; }));
  listener->stop();
  EXPECT_TRUE(a.wait_closed());
  ASSERT_EQ(seen.closes.size(), 1u);
  EXPECT_EQ(seen.closes[0].code(), core::StatusCode::kCancelled);
  seen.control->resume();  // harmless after the close
}

}  // namespace
}  // namespace edgetrace::net
