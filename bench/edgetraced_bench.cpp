// edgetraced_bench: timed harness for the real edgetraced binary (started as a process), fed
// over loopback TCP with a real device stream (edgetrace-sim's, captured once), exporting to
// a real OTLP/HTTP receiver that decodes and discards. Prints one result line per mode.
//
//   edgetraced_bench ingest [streams=80] [connections=8] [buffer_bytes=4096]
//       `connections` senders share `streams` connections, each sending the whole capture
//       (about 22k frames); frames per second of wall time and per CPU-second of the daemon
//       (utime + stime from /proc), the clock stopped only once the queue has delivered
//       everything to the receiver.
//   edgetraced_bench idle [connections=10000]
//       connections that sent a handshake and stay open; the daemon's RSS growth per
//       connection (VmRSS from /proc, before and after, each after a settle).
//   edgetraced_bench soak [seconds=60] [devices=1000]
//       edgetrace-sim streaming from `devices` devices every 100 ms, half over TCP, half
//       publishing to a real mosquitto broker the daemon subscribes to; the daemon's RSS
//       sampled every 5 s (first, last, max) and everything delivered at the end.
//
// Paths of the binaries come from the build (ET_EDGETRACED, ET_SIM, ET_CLI). Results go in
// docs/benchmarks.md with the machine and the date.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/fake_http_receiver.hpp"
#include "testing/temp_dir.hpp"
#include "testing/wait.hpp"
#include "tests/daemon_process.hpp"
#include "tests/mosquitto_broker.hpp"

namespace {

using edgetrace::daemon::testing::DaemonProcess;
using edgetrace::daemon::testing::run_command;
using edgetrace::testing::FakeOtlpHttpReceiver;
using edgetrace::testing::TempDir;
using edgetrace::testing::wait_until;
using namespace std::chrono_literals;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "edgetraced_bench: %s\n", why.c_str());
  std::exit(1);
}

bool send_all(int fd, const std::vector<std::uint8_t>& bytes, std::size_t n) {
  std::size_t sent = 0;
  while (sent < n) {
    const ssize_t w = ::send(fd, bytes.data() + sent, n - sent, MSG_NOSIGNAL);
    if (w <= 0)
      return false;
    sent += static_cast<std::size_t>(w);
  }
  return true;
}

// One device's stream from edgetrace-sim, as it sent it over TCP.
std::vector<std::uint8_t> capture(int steps) {
  std::vector<std::uint8_t> bytes = edgetrace::daemon::testing::capture_sim_stream(ET_SIM, steps);
  if (bytes.empty())
    fail("edgetrace-sim capture failed");
  return bytes;
}

// utime + stime of a process, in seconds.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t close = text.rfind(')');
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14)
      utime = std::strtoull(f.c_str(), nullptr, 10);
    if (i == 15)
      stime = std::strtoull(f.c_str(), nullptr, 10);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// VmRSS of a process, in bytes.
std::uint64_t rss_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  return 0;
}

struct Setup {
  TempDir dir{"edgetraced-bench"};
  FakeOtlpHttpReceiver rx;
  std::unique_ptr<DaemonProcess> daemon;

  explicit Setup(const std::string& extra = "", std::size_t buffer_bytes = 4096) {
    rx.set_discard(true);
    std::ofstream(dir.file("token")) << "bench\n";
    std::ofstream(dir.file("edgetraced.toml"))
        << "[admin]\nlisten = \"127.0.0.1:0\"\n"
        << "[symbols]\nstore = \"" << dir.file("symbols") << "\"\ntoken_file = \""
        << dir.file("token") << "\"\n"
        << "[receivers.device_tcp]\nlisten = \"127.0.0.1:0\"\nidle_timeout = \"10m\"\n"
        << "buffer_bytes = " << buffer_bytes << "\n"
        << "[receivers.otlp]\nhttp = \"\"\ngrpc = \"\"\n"
        << "[queue]\ndir = \"" << dir.file("queue") << "\"\n"
        << "[exporters.otlp]\nendpoint = \"" << rx.url() << "\"\n"
        << extra;
    daemon = std::make_unique<DaemonProcess>(
        ET_EDGETRACED, std::vector<std::string>{"--config", dir.file("edgetraced.toml")},
        dir.file("edgetraced.log"));
    if (!daemon->started())
      fail("edgetraced did not start:\n" + daemon->log());
    const auto [code, output] =
        run_command({ET_CLI, "symbols", "upload", "--server",
                     "http://127.0.0.1:" + std::to_string(daemon->port("admin")), "--token-file",
                     dir.file("token"), ET_SIM});
    if (code != 0)
      fail("upload failed: " + output);
  }
  std::int64_t metric(std::string_view name) const { return daemon->count(name); }
  pid_t pid() const { return daemon->pid(); }
};

int ingest(int streams, int connections, int buffer_bytes) {
  const std::vector<std::uint8_t> stream = capture(4000);
  Setup s("", static_cast<std::size_t>(buffer_bytes));
  const std::uint16_t port = s.daemon->port("device TCP");
  std::atomic<int> left{streams};
  std::atomic<std::uint64_t> sent_streams{0};
  const double cpu0 = cpu_seconds(s.pid());
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> senders;
  for (int i = 0; i < connections; ++i) {
    senders.emplace_back([&] {
      while (left.fetch_sub(1) > 0) {
        const int fd = edgetrace::daemon::testing::connect_loopback(port);
        if (fd < 0)
          return;
        if (send_all(fd, stream, stream.size()))
          sent_streams.fetch_add(1);
        ::close(fd);
      }
    });
  }
  for (auto& t : senders)
    t.join();
  // Everything read is decoded, queued and delivered before the clock stops.
  wait_until(
      [&] {
        return s.metric("edgetraced_device_streams_opened_total") == streams &&
               s.metric("edgetraced_device_streams_active") == 0 &&
               s.metric("edgetraced_queue_depth") == 0;
      },
      600s);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds(s.pid()) - cpu0;
  const std::int64_t frames = s.metric("edgetraced_frames_received_total");
  const std::int64_t corrupt = s.metric("edgetraced_frames_corrupt_total");
  const std::int64_t exported = s.metric("edgetraced_exported_items_total");
  std::printf(
      "ingest: %d connections (%d-byte reads), %llu streams of %zu bytes, %lld frames (%lld "
      "corrupt) in %.1f s "
      "wall, daemon CPU %.1f s: %.0f frames/s wall, %.0f frames per daemon CPU-second; %lld "
      "spans+logs exported, %llu items at the receiver\n",
      connections, buffer_bytes, static_cast<unsigned long long>(sent_streams.load()),
      stream.size(), static_cast<long long>(frames), static_cast<long long>(corrupt), wall, cpu,
      static_cast<double>(frames) / wall, static_cast<double>(frames) / cpu,
      static_cast<long long>(exported), static_cast<unsigned long long>(s.rx.items_accepted()));
  return s.daemon->terminate() == 0 ? 0 : 1;
}

int idle(int connections) {
  const std::vector<std::uint8_t> stream = capture(1);
  // The handshake: the leading delimiter and the first frame.
  std::size_t handshake = 1;
  while (handshake < stream.size() && stream[handshake] != 0)
    ++handshake;
  ++handshake;
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &r);
  // This process holds the client ends, the daemon (which inherits the limit) the others.
  if (r.rlim_cur < static_cast<rlim_t>(connections) + 100)
    fail("RLIMIT_NOFILE " + std::to_string(r.rlim_cur) + " is too low for " +
         std::to_string(connections) + " connections");
  Setup s;
  const std::uint16_t port = s.daemon->port("device TCP");
  std::this_thread::sleep_for(1s);
  const std::uint64_t before = rss_bytes(s.pid());
  std::vector<int> fds;
  for (int i = 0; i < connections; ++i) {
    const int fd = edgetrace::daemon::testing::connect_loopback(port);
    if (fd < 0)
      fail("connect failed after " + std::to_string(i) + " connections");
    if (!send_all(fd, stream, handshake))
      fail("send failed");
    fds.push_back(fd);
  }
  wait_until(
      [&] {
        return s.metric("edgetraced_device_streams_active") == connections &&
               s.metric("edgetraced_frames_received_total") == connections;
      },
      120s);
  std::this_thread::sleep_for(2s);
  const std::uint64_t after = rss_bytes(s.pid());
  const std::int64_t active = s.metric("edgetraced_device_streams_active");
  std::printf(
      "idle: %d connections (%lld streams active, each past its handshake): RSS %.1f MiB -> "
      "%.1f MiB, %.1f KiB per connection\n",
      connections, static_cast<long long>(active), static_cast<double>(before) / 1048576.0,
      static_cast<double>(after) / 1048576.0,
      static_cast<double>(after - before) / 1024.0 / connections);
  for (int fd : fds)
    ::close(fd);
  return s.daemon->terminate() == 0 ? 0 : 1;
}

int soak(int seconds, int devices) {
  rlimit r{};
  ::getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &r);
  TempDir broker_dir("edgetraced-bench-broker");
  edgetrace::daemon::testing::Broker broker(ET_MOSQUITTO_BROKER, broker_dir.path());
  if (!broker.start())
    fail("mosquitto did not start");
  Setup s("[receivers.device_mqtt]\nurl = \"" + broker.url() + "\"\n");
  if (!wait_until([&] { return s.daemon->get("/readyz").first == 200; }, 20s))
    fail("the daemon did not subscribe:\n" + s.daemon->log());
  const std::uint16_t port = s.daemon->port("device TCP");
  // 100 ms between rounds: about `seconds` * 10 steps per device.
  const std::string steps = std::to_string(seconds * 10);
  const std::string half = std::to_string(devices / 2);
  std::vector<std::uint64_t> samples;
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done.load()) {
      samples.push_back(rss_bytes(s.pid()));
      for (int i = 0; i < 50 && !done.load(); ++i)
        std::this_thread::sleep_for(100ms);
    }
  });
  const auto limit = std::chrono::seconds(seconds * 3 + 60);
  std::pair<int, std::string> tcp;
  std::thread tcp_sim([&] {
    tcp = run_command({ET_SIM, "--devices", half, "--steps", steps, "--interval-ms", "100",
                       "--connect", "127.0.0.1:" + std::to_string(port)},
                      limit);
  });
  const std::pair<int, std::string> mqtt =
      run_command({ET_SIM, "--devices", half, "--steps", steps, "--interval-ms", "100", "--seed",
                   "2", "--mqtt", "127.0.0.1:" + std::to_string(broker.port())},
                  limit);
  tcp_sim.join();
  if (tcp.first != 0 || mqtt.first != 0)
    fail("edgetrace-sim failed:\n" + tcp.second + mqtt.second);
  wait_until(
      [&] {
        return s.metric("edgetraced_device_streams_active") <=
                   static_cast<std::int64_t>(devices / 2) &&
               s.metric("edgetraced_queue_depth") == 0;
      },
      300s);
  done = true;
  sampler.join();
  std::uint64_t max = 0;
  for (std::uint64_t v : samples)
    max = std::max(max, v);
  // "edgetrace-sim: 500 devices, 12345 frames ..." of each simulator.
  const auto frames_sent = [](const std::string& text) {
    const std::size_t at = text.find(" devices, ");
    return at == std::string::npos ? 0ll : std::strtoll(text.c_str() + at + 10, nullptr, 10);
  };
  const long long sent = frames_sent(tcp.second) + frames_sent(mqtt.second);
  const long long received = s.metric("edgetraced_frames_received_total");
  std::printf("soak: %lld frames sent, %lld received: %lld unaccounted for\n", sent, received,
              sent - received);
  std::printf("soak: daemon RSS every 5 s (MiB):");
  for (std::uint64_t v : samples)
    std::printf(" %.1f", static_cast<double>(v) / 1048576.0);
  std::printf("\n");
  const auto first_line = [](const std::string& text) { return text.substr(0, text.find('\n')); };
  std::printf(
      "soak: %d devices (%s over TCP, %s over MQTT) for %d s\n  %s\n  %s\n  daemon RSS first "
      "%.1f MiB, last %.1f MiB, max %.1f MiB (%zu samples, every 5 s); %lld frames decoded, %lld "
      "corrupt, %lld lost, %lld duplicate; queue depth at end %lld\n",
      devices, half.c_str(), half.c_str(), seconds, first_line(tcp.second).c_str(),
      first_line(mqtt.second).c_str(),
      static_cast<double>(samples.empty() ? 0 : samples.front()) / 1048576.0,
      static_cast<double>(samples.empty() ? 0 : samples.back()) / 1048576.0,
      static_cast<double>(max) / 1048576.0, samples.size(),
      static_cast<long long>(s.metric("edgetraced_frames_received_total")),
      static_cast<long long>(s.metric("edgetraced_frames_corrupt_total")),
      static_cast<long long>(s.metric("edgetraced_frames_lost_total")),
      static_cast<long long>(s.metric("edgetraced_frames_duplicate_total")),
      static_cast<long long>(s.metric("edgetraced_queue_depth")));
  return s.daemon->terminate() == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  const auto arg = [&](int i, int fallback) { return argc > i ? std::atoi(argv[i]) : fallback; };
  if (mode == "ingest")
    return ingest(arg(2, 80), arg(3, 8), arg(4, 4096));
  if (mode == "idle")
    return idle(arg(2, 10000));
  if (mode == "soak")
    return soak(arg(2, 60), arg(3, 1000));
  std::fprintf(stderr,
               "usage: edgetraced_bench ingest [streams] [connections] [buffer_bytes] | idle "
               "[connections] | "
               "soak [seconds] [devices]\n");
  return 2;
}
