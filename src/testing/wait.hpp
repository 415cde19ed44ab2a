// Waiting in tests for something that sends no notification of its own: a counter that
// another thread moves, or a child process that exits.
//
//   using edgetrace::testing::wait_until;
//   ASSERT_TRUE(wait_until([&] { return layer->counters().logs_exported >= 2; }));
//
//   std::optional<int> status = edgetrace::testing::wait_for_exit(pid, 20s);
//   ASSERT_TRUE(status) << "the child hung";      // *status is waitpid()'s status
//
// wait_until checks `done` until it returns true or `timeout` passes, sleeping about a
// millisecond between checks. It is for state with nothing to wait on; wait on a condition
// variable, a pipe or a socket wherever one exists. The deadline is generous on purpose: a
// loaded machine makes a test slower, never wrong. It never asserts after a fixed wait.
//
// wait_for_exit blocks on a pidfd of the child (poll(2), no polling loop) until it exits or
// `timeout` passes. On exit it reaps the child and returns waitpid()'s status; on timeout it
// returns nullopt and leaves the child running (the caller may kill it and call again). The
// caller must be the child's parent. On kernels without pidfd_open (before Linux 5.3) it
// falls back to checking waitpid(WNOHANG) every millisecond.
//
// Header-only; no shared state: both functions may be called from any thread.
#pragma once

#include <poll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <thread>

namespace edgetrace::testing {

template <typename Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

inline std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
  int status = 0;
  const auto reap = [&]() -> bool {
    pid_t r;
    do {
      r = ::waitpid(pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    return r == pid;
  };
#ifdef SYS_pidfd_open
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool exited = false;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      const int n = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
      if (n > 0) {
        exited = true;  // a pidfd is readable once its process has exited
        break;
      }
      if (n == 0 || errno != EINTR)
        break;
    }
    ::close(fd);
    if (exited && reap())
      return status;
    return std::nullopt;
  }
#endif
  return wait_until(reap, timeout) ? std::optional<int>(status) : std::nullopt;
}

}  // namespace edgetrace::testing
