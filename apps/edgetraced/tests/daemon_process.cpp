#include "tests/daemon_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "net/net_test_support.hpp"
#include "testing/wait.hpp"

extern char** environ;

namespace edgetrace::daemon::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& output_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The daemon blocks its signals itself; start it with none blocked.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ) != 0)
    pid = -1;
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

}  // namespace

DaemonProcess::DaemonProcess(std::string binary, std::vector<std::string> args,
                             std::string log_path, std::chrono::milliseconds timeout)
    : log_path_(std::move(log_path)) {
  std::remove(log_path_.c_str());
  std::vector<std::string> argv{std::move(binary)};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = spawn(argv, log_path_);
  if (pid_ < 0)
    return;
  std::string line;
  ::edgetrace::testing::wait_until(
      [&] {
        const std::string text = slurp(log_path_);
        const std::size_t at = text.find(" started");
        if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
          const std::size_t begin = text.rfind('\n', at);
          line = text.substr(begin == std::string::npos ? 0 : begin + 1,
                             text.find('\n', at) - (begin == std::string::npos ? 0 : begin + 1));
          return true;
        }
        return !running();
      },
      timeout);
  if (line.empty())
    return;
  started_ = true;
  // "...; admin on port 1234; device TCP on port 5678"
  std::size_t pos = 0;
  while ((pos = line.find(" on port ", pos)) != std::string::npos) {
    const std::size_t begin = line.rfind("; ", pos);
    const std::string what = line.substr(begin + 2, pos - begin - 2);
    ports_[what] = static_cast<std::uint16_t>(std::strtoul(line.c_str() + pos + 9, nullptr, 10));
    pos += 9;
  }
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

bool DaemonProcess::running() {
  if (pid_ <= 0)
    return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string DaemonProcess::log() const {
  return slurp(log_path_);
}

std::uint16_t DaemonProcess::port(std::string_view what) const {
  auto it = ports_.find(what);
  return it == ports_.end() ? 0 : it->second;
}

std::pair<int, std::string> DaemonProcess::http(std::uint16_t port, std::string_view method,
                                                std::string_view path, std::string_view body,
                                                const std::vector<std::string>& headers) const {
  net::testing_support::RawClient client(port);
  if (!client.connected())
    return {0, ""};
  std::string out = std::string(method) + " " + std::string(path) +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const std::string& h : headers)
    out += h + "\r\n";
  if (method != "GET")
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "\r\n";
  out += body;
  (void)client.send(out);  // the server may answer before reading it all (413)
  std::optional<net::testing_support::RawResponse> r = client.read_response();
  if (!r)
    return {0, ""};
  return {r->status, std::move(r->body)};
}

std::pair<int, std::string> DaemonProcess::get(std::string_view path) const {
  return http(port("admin"), "GET", path, "", {});
}

std::pair<int, std::string> DaemonProcess::put(std::string_view path, std::string_view body,
                                               std::string_view token) const {
  return http(port("admin"), "PUT", path, body, {"Authorization: Bearer " + std::string(token)});
}

std::optional<double> DaemonProcess::metric(
    std::string_view name, const std::map<std::string, std::string>& labels) const {
  const auto [status, text] = get("/metrics");
  if (status != 200)
    return std::nullopt;
  std::optional<double> sum;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#' || line.rfind(name, 0) != 0)
      continue;
    const std::size_t after = name.size();
    if (after >= line.size() || (line[after] != '{' && line[after] != ' '))
      continue;
    std::map<std::string, std::string> have;
    std::size_t value_at = after + 1;
    if (line[after] == '{') {
      const std::size_t close = line.find("} ", after);
      if (close == std::string::npos)
        continue;
      // a="b",c="d"  (the daemon escapes no '"' in its label values)
      const std::string inner = line.substr(after + 1, close - after - 1);
      std::size_t p = 0;
      while (p < inner.size()) {
        const std::size_t eq = inner.find("=\"", p);
        const std::size_t q = inner.find('"', eq + 2);
        if (eq == std::string::npos || q == std::string::npos)
          break;
        have[inner.substr(p, eq - p)] = inner.substr(eq + 2, q - eq - 2);
        p = q + 2;
      }
      value_at = close + 2;
    }
    bool match = true;
    for (const auto& [k, v] : labels)
      if (auto it = have.find(k); it == have.end() || it->second != v)
        match = false;
    if (match)
      sum = sum.value_or(0) + std::strtod(line.c_str() + value_at, nullptr);
  }
  return sum;
}

std::int64_t DaemonProcess::count(std::string_view name,
                                  const std::map<std::string, std::string>& labels) const {
  const std::optional<double> v = metric(name, labels);
  return v ? static_cast<std::int64_t>(*v) : -1;
}

int DaemonProcess::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, SIGTERM);
  std::optional<int> status = ::edgetrace::testing::wait_for_exit(pid_, timeout);
  if (!status) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return -1;
  }
  pid_ = -1;
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

void DaemonProcess::kill9() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0)
      ::close(fd);
    return -1;
  }
  return fd;
}

std::vector<std::uint8_t> capture_sim_stream(const std::string& sim, int steps) {
  const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (server < 0 || ::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(server, 4) != 0 ||
      ::getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (server >= 0)
      ::close(server);
    return {};
  }
  std::vector<std::uint8_t> bytes;
  std::thread reader([&] {
    const int fd = ::accept(server, nullptr, nullptr);
    std::uint8_t buf[65536];
    for (ssize_t n; fd >= 0 && (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      bytes.insert(bytes.end(), buf, buf + n);
    if (fd >= 0)
      ::close(fd);
  });
  const auto [code, output] =
      run_command({sim, "--devices", "1", "--steps", std::to_string(steps), "--connect",
                   "127.0.0.1:" + std::to_string(ntohs(addr.sin_port))});
  if (code != 0)
    ::shutdown(server, SHUT_RDWR);  // the reader's accept() returns
  reader.join();
  ::close(server);
  if (code != 0)
    bytes.clear();
  return bytes;
}

std::pair<int, std::string> run_command(const std::vector<std::string>& argv,
                                        std::chrono::milliseconds timeout) {
  char path[] = "/tmp/edgetraced-cmd-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0)
    return {-1, "mkstemp failed"};
  ::close(fd);
  const pid_t pid = spawn(argv, path);
  if (pid < 0) {
    std::remove(path);
    return {-1, "cannot start " + argv[0]};
  }
  std::optional<int> status = ::edgetrace::testing::wait_for_exit(pid, timeout);
  if (!status) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  std::string output = slurp(path);
  std::remove(path);
  if (!status || !WIFEXITED(*status))
    return {-1, output};
  return {WEXITSTATUS(*status), output};
}

}  // namespace edgetrace::daemon::testing
