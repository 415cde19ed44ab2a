// `edgetrace decode` reading live inputs: a serial port (a pseudo-terminal, put in raw
// mode by the CLI) and a TCP stream that stays open until Ctrl-C (SIGINT), which ends the
// decode cleanly with its summary.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "testing/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

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
    const fs::path err = dir_ / "err";
    const pid_t pid = ::fork();
    if (pid == 0) {
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
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
  const pid_t pid = spawn({ET_CLI, "decode", "--elf", ET_FIXTURE_ELF, "--input", slave, "--baud",
                           "921600", "--time", "none", "--strict"},
                          dir_ / "out");
  // Wait until the CLI has the port open (and so has set raw mode: open() does it).
  bool opened = false;
  for (int i = 0; i < 200 && !opened; ++i) {
    std::error_code ec;
    for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
      if (fs::read_symlink(fd.path(), ec) == slave)
        opened = true;
    }
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(opened);
  std::this_thread::sleep_for(200ms);
  // Bytes a terminal in cooked mode would change or swallow (CR to NL, erase, kill-line,
  // interrupt), before the first delimiter: in raw mode they arrive as they are and are
  // skipped as the tail of a frame the decoder never saw the start of.
  std::string bytes = std::string("\r\x7f\x15\x03\x00", 5);
  bytes += capture_;
  ASSERT_EQ(::write(master, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  std::this_thread::sleep_for(300ms);
  ::close(master);  // a hang-up ends the input
  EXPECT_EQ(wait_exit(pid), 0) << slurp(dir_ / "err");
  EXPECT_EQ(slurp(dir_ / "out"), kExpected);
  const std::string err = slurp(dir_ / "err");
  EXPECT_NE(err.find("frames=9 records=9 corrupt=0 lost=0"), std::string::npos) << err;
  EXPECT_NE(err.find("skipped-bytes=4"), std::string::npos) << err;
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

  const pid_t pid = spawn({ET_CLI, "decode", "--elf", ET_FIXTURE_ELF, "--input", url, "--time",
                           "none", "--color", "always"},
                          dir_ / "out");
  const int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(conn, 0);
  ASSERT_EQ(::write(conn, capture_.data(), capture_.size()), static_cast<ssize_t>(capture_.size()));
  // The device keeps the connection open; the output appears as the frames arrive.
  std::string out;
  for (int i = 0; i < 500 && out.find("root=2") == std::string::npos; ++i) {
    std::this_thread::sleep_for(10ms);
    out = slurp(dir_ / "out");
  }
  EXPECT_NE(out.find("\x1b[33m[WARN]\x1b[0m low battery"), std::string::npos) << out;
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  EXPECT_EQ(wait_exit(pid), 0);
  const std::string err = slurp(dir_ / "err");
  EXPECT_NE(err.find("summary: frames=9 records=9 corrupt=0"), std::string::npos) << err;
  ::close(conn);
  ::close(listener);
}

}  // namespace
