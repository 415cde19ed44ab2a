// A child process for end-to-end tests: started with extra environment variables, its
// stdout and stderr collected by a reader thread, stopped with a signal.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "wait.hpp"

extern char** environ;

namespace edgetrace::examples::testing {

class ChildProcess {
 public:
  // Starts argv[0] with `argv`, the test's environment minus `unset`, plus `env` ("K=V").
  ChildProcess(std::vector<std::string> argv, std::vector<std::string> env,
               std::vector<std::string> unset = {}) {
    std::vector<std::string> environment;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string_view entry(*e);
      bool drop = false;
      for (const std::string& name : unset)
        drop |= entry.substr(0, name.size() + 1) == name + "=";
      for (const std::string& kv : env)
        drop |= entry.substr(0, kv.find('=') + 1) == kv.substr(0, kv.find('=') + 1);
      if (!drop)
        environment.emplace_back(entry);
    }
    environment.insert(environment.end(), env.begin(), env.end());
    std::vector<char*> argv_c;
    for (std::string& a : argv)
      argv_c.push_back(a.data());
    argv_c.push_back(nullptr);
    std::vector<char*> env_c;
    for (std::string& e : environment)
      env_c.push_back(e.data());
    env_c.push_back(nullptr);

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return;
    pid_ = ::fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      // Sockets of the test (receivers, echo servers) are not the child's to keep open.
      ::close_range(3, ~0U, 0);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::execve(argv_c[0], argv_c.data(), env_c.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
    reader_ = std::thread([this] {
      char buf[4096];
      for (;;) {
        const ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n <= 0)
          break;
        std::lock_guard<std::mutex> lock(mu_);
        output_.append(buf, static_cast<std::size_t>(n));
        cv_.notify_all();
      }
      std::lock_guard<std::mutex> lock(mu_);
      eof_ = true;
      cv_.notify_all();
    });
  }

  ~ChildProcess() {
    if (pid_ > 0 && !exit_status_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (reader_.joinable())
      reader_.join();
    if (fd_ >= 0)
      ::close(fd_);
  }

  bool started() const { return pid_ > 0; }

  // The first output line containing `needle` (without the newline), within `timeout`.
  std::optional<std::string> wait_for_line(std::string_view needle,
                                           std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<std::string> found;
    cv_.wait_for(lock, timeout, [&] {
      std::size_t start = 0;
      for (std::size_t nl; (nl = output_.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string_view line(output_.data() + start, nl - start);
        if (line.find(needle) != std::string_view::npos) {
          found = std::string(line);
          return true;
        }
      }
      return eof_;
    });
    return found;
  }

  void signal(int sig) const { ::kill(pid_, sig); }

  // The exit code (or 128 + signal), or nullopt when the child is still running.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    if (!exit_status_) {
      const std::optional<int> status = ::edgetrace::testing::wait_for_exit(pid_, timeout);
      if (!status)
        return std::nullopt;
      exit_status_ = WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
    }
    if (reader_.joinable())
      reader_.join();
    return exit_status_;
  }

  std::string output() const {
    std::lock_guard<std::mutex> lock(mu_);
    return output_;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string output_;
  bool eof_ = false;
  std::optional<int> exit_status_;
};

}  // namespace edgetrace::examples::testing
