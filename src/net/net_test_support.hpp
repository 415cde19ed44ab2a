// Test support for the net tests: a raw-socket HTTP client with deadlines (so tests can
// send oversized, slow or malformed requests and watch the server close the connection),
// and a wait for a counter to reach a value.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "edgetrace/core/text.hpp"

namespace edgetrace::net::testing_support {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Generous: only reached when the behaviour under test is broken.
inline constexpr std::chrono::milliseconds kDeadline{10000};

struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;

  // The value of a header (case-insensitive name), or "" when absent.
  std::string header(std::string_view name) const {
    std::size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos + 2 < head.size()) {
      const std::size_t end = head.find("\r\n", pos + 2);
      const std::string_view line(head.data() + pos + 2,
                                  (end == std::string::npos ? head.size() : end) - pos - 2);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos && core::iequals_ascii(line.substr(0, colon), name))
        return std::string(core::trim_ows(line.substr(colon + 1)));
      pos = end;
    }
    return {};
  }
  bool has_header(std::string_view name) const {
    return head.find("\r\n" + std::string(name) + ":") != std::string::npos;
  }
};

class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads one response (Content-Length framed, or up to the close); nullopt if the
  // connection closed first or the deadline passed.
  std::optional<RawResponse> read_response(std::chrono::milliseconds deadline = kDeadline) {
    const auto until = Clock::now() + deadline;
    std::size_t head_end;
    while ((head_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(until))
        return std::nullopt;
    }
    RawResponse r;
    r.head = pending_.substr(0, head_end);
    pending_.erase(0, head_end + 4);
    if (r.head.size() < 12 || r.head.compare(0, 5, "HTTP/") != 0)
      return std::nullopt;
    r.status = std::stoi(r.head.substr(9, 3));
    const std::string length = r.header("Content-Length");
    if (!length.empty()) {
      const std::size_t n = std::stoul(length);
      while (pending_.size() < n) {
        if (!fill(until))
          return std::nullopt;
      }
      r.body = pending_.substr(0, n);
      pending_.erase(0, n);
    } else if (r.status >= 200 && r.status != 204 && r.status != 304) {
      while (fill(until)) {
      }
      r.body = std::move(pending_);
      pending_.clear();
    }
    return r;
  }

  // Everything received so far once it contains `needle` (for streamed responses);
  // nullopt if the connection closed first or the deadline passed.
  std::optional<std::string> read_until(std::string_view needle,
                                        std::chrono::milliseconds deadline = kDeadline) {
    const auto until = Clock::now() + deadline;
    while (pending_.find(needle) == std::string::npos) {
      if (!fill(until))
        return std::nullopt;
    }
    return pending_;
  }

  // True once the server has closed the connection (end of stream or reset), false if the
  // deadline passes first. Bytes that arrive meanwhile are discarded.
  bool wait_closed(std::chrono::milliseconds deadline = kDeadline) {
    const auto until = Clock::now() + deadline;
    for (;;) {
      const int rc = wait_readable(until);
      if (rc <= 0)
        return false;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
        return true;
    }
  }

  int fd() const { return fd_; }

 private:
  int wait_readable(Clock::time_point until) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (left.count() <= 0)
        return 0;
      pollfd p{fd_, POLLIN, 0};
      const int rc = ::poll(&p, 1, static_cast<int>(left.count()));
      if (rc < 0 && errno == EINTR)
        continue;
      return rc;
    }
  }
  bool fill(Clock::time_point until) {
    if (wait_readable(until) <= 0)
      return false;
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0)
      return false;
    pending_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

// Waits until `counter` reaches at least `value` (counters are updated by I/O threads just
// after the socket event a test observes).
inline bool wait_for_count(const std::atomic<std::uint64_t>& counter, std::uint64_t value,
                           std::chrono::milliseconds deadline = kDeadline) {
  const auto until = Clock::now() + deadline;
  while (counter.load() < value) {
    if (Clock::now() > until)
      return false;
    std::this_thread::yield();
  }
  return true;
}

inline std::string get(std::string_view path, std::string_view extra_headers = "") {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

inline std::string post(std::string_view path, std::string_view body,
                        std::string_view extra_headers = "") {
  return "POST " + std::string(path) +
         " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         std::string(extra_headers) + "\r\n" + std::string(body);
}

}  // namespace edgetrace::net::testing_support
