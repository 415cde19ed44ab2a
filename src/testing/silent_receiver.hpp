// A receiver that never answers: a TCP listener on 127.0.0.1 that the kernel completes
// connections to and nothing ever reads, until close(). Then every held connection is reset
// and every new one refused. Tests use it to hold exports for as long as they choose,
// without a timed delay.
//
//   SilentReceiver silent;
//   ASSERT_TRUE(silent.ok());
//   options.endpoint = silent.url() + "/v1/logs";   // exports hang on it
//   ...                                              // prove the caller did not wait
//   silent.close();                                  // the held exports fail now
//
// Thread-safety: none (one test thread). close() is idempotent; the destructor closes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace edgetrace::testing {

class SilentReceiver {
 public:
  SilentReceiver() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
      return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      close();
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  SilentReceiver(const SilentReceiver&) = delete;
  SilentReceiver& operator=(const SilentReceiver&) = delete;
  ~SilentReceiver() { close(); }

  bool ok() const noexcept { return fd_ >= 0; }
  std::uint16_t port() const noexcept { return port_; }
  // "http://127.0.0.1:<port>", without a path.
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void close() noexcept {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace edgetrace::testing
