// Broker: a real mosquitto broker on 127.0.0.1:<free port>, anonymous, started as a child
// process by a test (the MQTT receiver's tests, the daemon's end-to-end tests).
//
//   testing::Broker broker(ET_MOSQUITTO_BROKER, dir.path());
//   ASSERT_TRUE(broker.start());          // waits until its port accepts connections
//   options.url = broker.url();           // "mqtt://127.0.0.1:<port>"
//   broker.stop();  broker.start();        // a restart on the same port
//
// Header-only. Thread-safety: one test thread.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "testing/wait.hpp"

namespace edgetrace::daemon::testing {

using namespace std::chrono_literals;

inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline bool port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A mosquitto broker on 127.0.0.1:<port>, anonymous, started as a child process.
class Broker {
 public:
  // `binary`: the mosquitto executable; its config and log go in `dir`.
  Broker(std::string binary, const std::filesystem::path& dir)
      : binary_(std::move(binary)), config_(dir / "mosquitto.conf"), log_(dir / "mosquitto.log") {
    port_ = free_port();
    std::ofstream(config_) << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\n";
  }
  ~Broker() { stop(); }
  bool start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      // Its log (stderr) to a file opened before it may switch to the mosquitto user.
      const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl(binary_.c_str(), "mosquitto", "-c", config_.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid_ > 0 && ::edgetrace::testing::wait_until([&] { return port_open(port_); }, 20s);
  }
  void stop() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGTERM);
    if (!edgetrace::testing::wait_for_exit(pid_, 20s)) {
      ::kill(pid_, SIGKILL);
      (void)edgetrace::testing::wait_for_exit(pid_, 20s);
    }
    pid_ = -1;
  }
  int port() const { return port_; }
  std::string url() const { return "mqtt://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string binary_;
  std::filesystem::path config_;
  std::filesystem::path log_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace edgetrace::daemon::testing
