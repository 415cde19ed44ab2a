// SerialReceiver on real inputs into the real device path: a pseudo-terminal put in raw mode
// at the configured baud rate, a named pipe opened again for each writer, and a capture
// file replayed once (anchored time) or followed as it grows.
#include "receivers/serial.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "edgetrace/core/posix.hpp"
#include "receivers/receiver_test_support.hpp"

namespace edgetrace::daemon {
namespace {

using namespace testing;
using edgetrace::testing::wait_until;

class SerialTest : public ::testing::Test {
 protected:
  void start(SerialOptions options) {
    options.reopen_initial = std::chrono::milliseconds(5);
    options.reopen_max = std::chrono::milliseconds(50);
    options.log = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      log_.emplace_back(line);
    };
    receiver_ = std::make_unique<SerialReceiver>(std::move(options), *path_.pipeline);
    ASSERT_TRUE(receiver_->start().ok());
  }
  void write_file(const std::string& file, const std::vector<std::uint8_t>& bytes, int flags) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(core::write_all(fd, bytes), 0);
    ::close(fd);
  }
  std::uint64_t streams_opened() { return path_.counters("serial").streams_opened.load(); }

  ReceiverTestPath path_;
  std::vector<std::uint8_t> stream_ = fixture_stream();
  std::unique_ptr<SerialReceiver> receiver_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(SerialTest, PseudoTerminalIsReadInRawModeAtTheConfiguredBaud) {
  int master = -1;
  int slave = -1;
  char name[128] = {};
  ASSERT_EQ(::openpty(&master, &slave, name, nullptr, nullptr), 0);
  ::close(slave);  // the receiver opens it by path
  start({.path = name, .baud = 921600});
  ASSERT_TRUE(wait_until([&] { return receiver_->counters().opens.load() >= 1; }));
  EXPECT_TRUE(receiver_->ready());
  // The slave's settings, read through the master.
  termios tio{};
  ASSERT_EQ(::tcgetattr(master, &tio), 0);
  EXPECT_EQ(::cfgetispeed(&tio), static_cast<speed_t>(B921600));
  EXPECT_EQ(tio.c_lflag & (ICANON | ECHO | ISIG), 0u);
  // Bytes a terminal in cooked mode would change or swallow (CR to NL, erase, kill-line,
  // interrupt) before the first delimiter: in raw mode they arrive as sent and are skipped.
  std::vector<std::uint8_t> bytes = {'\r', 0x7f, 0x15, 0x03, 0x00};
  bytes.insert(bytes.end(), stream_.begin(), stream_.end());
  ASSERT_EQ(core::write_all(master, bytes), 0);
  ASSERT_TRUE(path_.wait_for(2, 4));
  const Exported e = path_.exported();
  EXPECT_EQ(e.log_bodies, kFixtureLogs);
  // The stream's counters move after its records reached the queue.
  EXPECT_TRUE(wait_until([&] { return path_.counters("serial").frames_received.load() == 9; }));
  EXPECT_EQ(path_.counters("serial").frames_corrupt.load(), 0u);
  // Unplugged: the stream ends and the receiver keeps trying to open the port again.
  ::close(master);
  ASSERT_TRUE(wait_until([&] { return receiver_->counters().stream_ends.load() >= 1; }));
  ASSERT_TRUE(wait_until([&] { return receiver_->counters().open_failures.load() >= 2; }));
  EXPECT_FALSE(receiver_->ready());
  EXPECT_EQ(path_.counters("serial").streams_active.load(), 0u);
  receiver_->stop();
}

TEST_F(SerialTest, NamedPipeIsOpenedAgainForEachWriter) {
  const std::string fifo = path_.dir.file("device.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  start({.path = fifo});
  for (std::uint64_t writer = 1; writer <= 2; ++writer) {
    // Each writer connects once the receiver has (re)opened the pipe, so the two sessions
    // cannot merge into one.
    ASSERT_TRUE(wait_until([&] { return receiver_->counters().opens.load() == writer; }));
    write_file(fifo, stream_, 0);  // blocks until the reader is there; closes at the end
    ASSERT_TRUE(path_.wait_for(2 * writer, 4 * writer));
    ASSERT_TRUE(wait_until([&] { return receiver_->counters().stream_ends.load() == writer; }));
  }
  ASSERT_TRUE(wait_until([&] { return receiver_->counters().opens.load() == 3; }));
  EXPECT_TRUE(receiver_->ready());  // open again, waiting for the next writer
  // One device stream per writer (two finished), plus the one waiting.
  EXPECT_EQ(streams_opened(), 3u);
  EXPECT_EQ(path_.counters("serial").streams_active.load(), 1u);
  EXPECT_EQ(path_.counters("serial").frames_lost.load(), 0u);
  EXPECT_EQ(path_.exported().span_names.size(), 4u);
}

TEST_F(SerialTest, FileReplayWithoutFollowFinishesWithCaptureTime) {
  const std::string file = path_.dir.file("capture.bin");
  write_file(file, stream_, O_TRUNC);
  // Written at 2024-01-01T00:00:00Z: the replay's times are anchored there, not now.
  constexpr std::uint64_t kMtime = 1704067200ull * 1'000'000'000;
  const timespec times[2] = {{1704067200, 0}, {1704067200, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
  start({.path = file, .follow = false});
  ASSERT_TRUE(wait_until([&] { return receiver_->counters().done.load(); }));
  EXPECT_TRUE(receiver_->ready());
  ASSERT_TRUE(path_.wait_for(2, 4));
  const Exported e = path_.exported();
  EXPECT_EQ(e.span_names, (std::vector<std::string>{"report", "report"}));
  EXPECT_EQ(e.log_bodies, kFixtureLogs);
  for (std::uint64_t start : e.span_starts) {
    EXPECT_GE(start, kMtime);
    EXPECT_LT(start, kMtime + 3'600'000'000'000ull);
  }
  EXPECT_EQ(receiver_->counters().opens.load(), 1u);
  EXPECT_EQ(path_.counters("serial").streams_active.load(), 0u);  // finished
}

TEST_F(SerialTest, FollowedFileDeliversAppendedBytes) {
  const std::string file = path_.dir.file("growing.bin");
  // The handshake and the first span (enter, two logs, exit), then later the second.
  write_file(file, frames(stream_, 0, 5), O_TRUNC);
  start({.path = file, .follow = true, .follow_interval = std::chrono::milliseconds(5)});
  ASSERT_TRUE(path_.wait_for(1, 2));
  write_file(file, frames(stream_, 5), O_APPEND);
  ASSERT_TRUE(path_.wait_for(2, 4));
  EXPECT_EQ(path_.exported().log_bodies, kFixtureLogs);
  EXPECT_EQ(receiver_->counters().opens.load(), 1u);  // one stream, still open
  EXPECT_FALSE(receiver_->counters().done.load());
  EXPECT_EQ(path_.counters("serial").streams_active.load(), 1u);
  receiver_->stop();
  EXPECT_EQ(path_.counters("serial").streams_active.load(), 0u);
}

TEST_F(SerialTest, ConfiguredIdsDecodeAStreamWithoutHandshake) {
  const std::string file = path_.dir.file("frames.bin");
  write_file(file, frames(stream_, 1), O_TRUNC);
  start({.path = file, .device_id = "ABCD", .build_id = path_.build_id_hex});
  ASSERT_TRUE(wait_until([&] { return receiver_->counters().done.load(); }));
  ASSERT_TRUE(path_.wait_for(2, 4));
  const Exported e = path_.exported();
  EXPECT_EQ(e.log_bodies, kFixtureLogs);  // the table of receivers.serial.build_id
  ASSERT_FALSE(e.device_ids.empty());
  for (const std::string& id : e.device_ids)
    EXPECT_EQ(id, "abcd");
}

TEST_F(SerialTest, DirectoryIsAnOpenFailureNotAStream) {
  start({.path = path_.dir.path().string()});
  ASSERT_TRUE(wait_until([&] { return receiver_->counters().open_failures.load() >= 2; }));
  EXPECT_EQ(receiver_->counters().opens.load(), 0u);
  EXPECT_FALSE(receiver_->ready());
  receiver_->stop();
  std::lock_guard lock(log_mu_);
  ASSERT_EQ(log_.size(), 1u);  // reported once, not at every retry
  EXPECT_NE(log_[0].find("is a directory"), std::string::npos) << log_[0];
}

TEST_F(SerialTest, BadOptionsFailStart) {
  SerialReceiver baud({.path = "/dev/null", .baud = 12345}, *path_.pipeline);
  EXPECT_NE(baud.start().message().find("receivers.serial.baud"), std::string::npos);
  SerialReceiver id({.path = "/dev/null", .device_id = "xyz"}, *path_.pipeline);
  EXPECT_NE(id.start().message().find("receivers.serial.device_id"), std::string::npos);
  SerialReceiver off({}, *path_.pipeline);
  EXPECT_TRUE(off.start().ok());
}

}  // namespace
}  // namespace edgetrace::daemon
