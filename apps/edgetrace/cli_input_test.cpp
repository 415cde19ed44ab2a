// `edgetrace decode` reading live inputs: a serial port (a pseudo-terminal, put in raw
// mode by the CLI) and a TCP stream that stays open until Ctrl-C (SIGINT), which ends the
// decode cleanly with its summary.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "testing/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A pipe the CLI writes to (stdout or stderr); the test waits on what arrives.
class Pipe {
 public:
  Pipe() {
    int fds[2] = {-1, -1};
    if (::pipe2(fds, O_CLOEXEC) == 0) {
      read_ = fds[0];
      write_ = fds[1];
    }
  }
  ~Pipe() {
    close_write_end();
    if (read_ >= 0)
      ::close(read_);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  int write_end() const { return write_; }
  // In the parent once the child has its copy: the child's exit then ends the pipe.
  void close_write_end() {
    if (write_ >= 0)
      ::close(write_);
    write_ = -1;
  }
  // Reads until the text contains `needle` (true), or the end of the pipe or the timeout.
  bool read_until(std::string_view needle, std::chrono::milliseconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (text_.find(needle) == std::string::npos) {
      if (!read_some(deadline))
        return false;
    }
    return true;
  }
  // Reads until the writers are gone (the child exited) or the timeout; the whole text.
  const std::string& read_to_end(std::chrono::milliseconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (read_some(deadline)) {
    }
    return text_;
  }
  // What arrived so far.
  const std::string& text() const { return text_; }

 private:
  // One read, waiting at most until `deadline`; false at the end of the pipe or the deadline.
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{read_, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      return false;
    char buf[4096];
    const ssize_t n = ::read(read_, buf, sizeof buf);
    if (n <= 0)
      return false;
    text_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int read_ = -1;
  int write_ = -1;
  std::string text_;
};

const char* const kExpected =
    "handshake v1 hz=1000 boot=7 device=d301 dropped=0 build-id=20B\n"
    "span enter report id=1 parent=0\n"
    "[INFO] temp=21 hum=28\n"
    "[WARN] low battery\n"
    "span exit report id=1 parent=0 root=1\n"
    "span enter report id=2 parent=0\n"
    "[INFO] temp=-3 hum=ff\n"
    "[WARN] low battery\n"
    "span exit report id=2 parent=0 root=2\n";

class CliInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    // The fixture program's stream (its own build-id), as a device would send it.
    const pid_t pid = spawn({ET_FIXTURE_ELF, "--stream"}, dir_ / "capture.bin");
    int status = 0;
    ::waitpid(pid, &status, 0);
    capture_ = slurp(dir_ / "capture.bin");
    ASSERT_GT(capture_.size(), 50u);
  }
  pid_t spawn(std::vector<std::string> args, const fs::path& out) {
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int e = ::open((dir_ / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const pid_t pid = spawn(std::move(args), o, e);
    ::close(o);
    ::close(e);
    return pid;
  }
  // The same with stdout and stderr on the given descriptors.
  static pid_t spawn(std::vector<std::string> args, int o, int e) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(o, STDOUT_FILENO);
      ::dup2(e, STDERR_FILENO);
      std::vector<char*> argv;
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    return pid;
  }

  static int wait_exit(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  edgetrace::testing::TempDir temp_{"et-cli-input"};
  fs::path dir_;
  std::string capture_;
};

TEST_F(CliInputTest, SerialPortIsReadInRawMode) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  // Not inherited by the CLI: closing it here must hang the port up.
  ASSERT_EQ(::fcntl(master, F_SETFD, FD_CLOEXEC), 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  const std::string slave = ::ptsname(master);
  Pipe out;
  Pipe err;
  const pid_t pid = spawn({ET_CLI, "decode", "--elf", ET_FIXTURE_ELF, "--input", slave, "--baud",
                           "921600", "--time", "none", "--strict", "--verbose"},
                          out.write_end(), err.write_end());
  out.close_write_end();
  err.close_write_end();
  // --verbose names the input once it is open, in raw mode, and flushed of older input.
  ASSERT_TRUE(err.read_until("edgetrace: decoding serial " + slave + " at 921600 baud\n"))
      << err.text();
  // Bytes a terminal in cooked mode would change or swallow (CR to NL, erase, kill-line,
  // interrupt), before the first delimiter: in raw mode they arrive as they are and are
  // skipped as the tail of a frame the decoder never saw the start of.
  std::string bytes = std::string("\r\x7f\x15\x03\x00", 5);
  bytes += capture_;
  ASSERT_EQ(::write(master, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  // The last record decoded: the CLI has read every byte, and a hang-up loses none.
  EXPECT_TRUE(out.read_until("root=2\n")) << out.text();
  ::close(master);  // a hang-up ends the input
  EXPECT_EQ(wait_exit(pid), 0) << err.read_to_end();
  EXPECT_EQ(out.read_to_end(), kExpected);
  const std::string& summary = err.read_to_end();
  EXPECT_NE(summary.find("frames=9 records=9 corrupt=0 lost=0"), std::string::npos) << summary;
  EXPECT_NE(summary.find("skipped-bytes=4"), std::string::npos) << summary;
}

TEST_F(CliInputTest, CtrlCEndsALiveTcpDecodeWithItsSummary) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url = "tcp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));

  const int e = ::open((dir_ / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  Pipe out;
  const pid_t pid = spawn({ET_CLI, "decode", "--elf", ET_FIXTURE_ELF, "--input", url, "--time",
                           "none", "--color", "always"},
                          out.write_end(), e);
  out.close_write_end();
  ::close(e);
  const int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(conn, 0);
  ASSERT_EQ(::write(conn, capture_.data(), capture_.size()), static_cast<ssize_t>(capture_.size()));
  // The device keeps the connection open; the output appears as the frames arrive.
  EXPECT_TRUE(out.read_until("root=2")) << out.text();
  EXPECT_NE(out.text().find("\x1b[33m[WARN]\x1b[0m low battery"), std::string::npos) << out.text();
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  EXPECT_EQ(wait_exit(pid), 0);
  const std::string err = slurp(dir_ / "err");
  EXPECT_NE(err.find("summary: frames=9 records=9 corrupt=0"), std::string::npos) << err;
  ::close(conn);
  ::close(listener);
}

}  // namespace
