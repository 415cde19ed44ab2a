// DaemonProcess: the real edgetraced binary, started by an end-to-end test as a child process.
//
//   testing::TempDir dir("edgetraced-e2e");
//   DaemonProcess d(ET_EDGETRACED, {"--config", config_path});   // waits for "started"
//   ASSERT_TRUE(d.started()) << d.log();
//   std::uint16_t tcp = d.port("device TCP");                    // from the "started" line
//   EXPECT_EQ(d.metric("edgetraced_device_frames_total", {{"receiver", "device_tcp"}}), 42);
//   EXPECT_EQ(d.terminate(), 0);                                 // SIGTERM, exit status
//
// The daemon's stderr (its own log) goes to a file beside the config; log() reads it. Ports
// are the "<what> on port N" parts of its "started" line (listeners bound to port 0). get()
// is a plain HTTP/1.1 GET on the admin listener. kill9() is SIGKILL, for crash tests.
//
// Thread-safety: one test thread. The destructor kills a daemon still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgetrace::daemon::testing {

class DaemonProcess {
 public:
  // Starts `binary args...`, stderr to `log_path` (default: a file in /tmp), and waits up to
  // `timeout` for the "started" line (or the process's exit).
  DaemonProcess(std::string binary, std::vector<std::string> args, std::string log_path,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  bool started() const noexcept { return started_; }
  pid_t pid() const noexcept { return pid_; }
  bool running();
  std::string log() const;
  // The port of "<what> on port N" in the started line ("admin", "device TCP", ...); 0 if none.
  std::uint16_t port(std::string_view what) const;

  // GET path on the admin listener: {status, body}; status 0 when it could not connect.
  std::pair<int, std::string> get(std::string_view path) const;
  // PUT body on the admin listener with a bearer token.
  std::pair<int, std::string> put(std::string_view path, std::string_view body,
                                  std::string_view token) const;
  // A request to any of its listeners (the device HTTP receiver): {status, body}.
  std::pair<int, std::string> http(std::uint16_t port, std::string_view method,
                                   std::string_view path, std::string_view body,
                                   const std::vector<std::string>& headers) const;
  // The value of one sample of /metrics whose labels include `labels` (summed when several
  // match); nullopt if none matches.
  std::optional<double> metric(std::string_view name,
                               const std::map<std::string, std::string>& labels = {}) const;
  // metric() as an integer (counters and gauges of counts); -1 when absent.
  std::int64_t count(std::string_view name,
                     const std::map<std::string, std::string>& labels = {}) const;

  // SIGTERM and wait: waitpid()'s exit code, or -1 on timeout (then SIGKILLed) / a signal.
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void kill9();

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  bool started_ = false;
  std::map<std::string, std::uint16_t, std::less<>> ports_;
};

// One device's stream as edgetrace-sim (at `sim`) sends it over TCP for `steps` workload
// steps, received on a listener of this process: a real capture. Empty when it failed.
std::vector<std::uint8_t> capture_sim_stream(const std::string& sim, int steps);

// Connects to 127.0.0.1:`port`; -1 on failure.
int connect_loopback(std::uint16_t port);

// Runs a command to its end (no shell), stdout+stderr captured: {exit code or -1, output}.
std::pair<int, std::string> run_command(
    const std::vector<std::string>& argv,
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace edgetrace::daemon::testing
