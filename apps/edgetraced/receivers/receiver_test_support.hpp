// What the device_http and serial receiver tests share: the real device path of the daemon
// (symbol store holding the fixture ELF, durable TelemetryQueue, DevicePipeline) exporting
// into a RecordingExporter, the fixture program's device stream, a summary of what was
// exported, and a plain HTTP/1.1 exchange over a real socket.
//
//   ReceiverTestPath path;                                   // fresh directories
//   std::vector<std::uint8_t> stream = fixture_stream();     // handshake + 2 spans + 4 logs
//   ... a receiver fed from path.pipeline ...
//   ASSERT_TRUE(path.wait_for(2, 4));                         // spans, logs exported
//   EXPECT_EQ(path.exported().log_bodies, kFixtureLogs);
//
// The fixture stream comes from running the symbol store's fixture program with --stream
// (ET_FIXTURE_ELF), the same bytes `edgetrace decode` is tested with: device id d301, the
// program's own build-id, span "report" twice, each with an INFO and a WARN log.
//
// Test code: not thread-safe except where the parts it holds are; allocates freely.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgetrace/core/text.hpp"
#include "net/net_test_support.hpp"
#include "pipeline/device_pipeline.hpp"
#include "pipeline/symbol_source.hpp"
#include "pipeline/telemetry_queue.hpp"
#include "testing/symbol_fixture_elf.hpp"
#include "testing/temp_dir.hpp"
#include "testing/wait.hpp"
#include "tests/recording_exporter.hpp"

namespace edgetrace::daemon::testing {

using namespace std::chrono_literals;

inline const std::vector<std::string> kFixtureLogs = {"temp=21 hum=28", "low battery",
                                                      "temp=-3 hum=ff", "low battery"};

// The fixture program's device stream (its stdout with --stream).
inline std::vector<std::uint8_t> fixture_stream() {
  std::vector<std::uint8_t> out;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2";
    return out;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    char arg0[] = ET_FIXTURE_ELF;
    char arg1[] = "--stream";
    char* argv[] = {arg0, arg1, nullptr};
    ::execv(arg0, argv);
    ::_exit(127);
  }
  ::close(fds[1]);
  std::uint8_t buf[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0)
      break;
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_GT(out.size(), 50u);
  return out;
}

// The bytes of `stream` from frame `first` (0-based) up to, not including, frame `end`
// (frames end at each 0x00 delimiter). frames(s, 1, n) drops the handshake.
inline std::vector<std::uint8_t> frames(const std::vector<std::uint8_t>& stream, std::size_t first,
                                        std::size_t end = SIZE_MAX) {
  std::vector<std::uint8_t> out;
  std::size_t index = 0;
  for (std::uint8_t b : stream) {
    if (index >= end)
      break;
    if (index >= first)
      out.push_back(b);
    if (b == 0)
      ++index;
  }
  return out;
}

inline std::string as_text(const std::vector<std::uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// What the exporter received, flattened.
struct Exported {
  std::vector<std::string> span_names;
  std::vector<std::uint64_t> span_starts;  // start_time_unix_nano
  std::vector<std::string> log_bodies;
  std::vector<std::string> device_ids;  // resource device.id of each resource (spans, logs)
};

template <typename Resource>
void collect_device_id(const Resource& resource, Exported& out) {
  for (const auto& kv : resource.attributes())
    if (kv.key() == "device.id")
      out.device_ids.push_back(kv.value().string_value());
}

// The device path of the daemon on fresh directories, with the fixture ELF in its store.
class ReceiverTestPath {
 public:
  ReceiverTestPath() : symbols_(symbol_options()), queue_(queue_options(), {&exporter}) {
    EXPECT_TRUE(symbols_.open().ok());
    auto put = symbols_.store().put(edgetrace::testing::fixture_elf());
    EXPECT_TRUE(put.ok()) << put.status().to_string();
    if (put)
      build_id_hex = put->info.build_id;
    const core::Status opened = queue_.open();
    EXPECT_TRUE(opened.ok()) << opened.to_string();
    queue_.start();
    pipeline = std::make_unique<DevicePipeline>(DevicePipelineOptions{}, symbols_, queue_);
  }
  ~ReceiverTestPath() { pipeline.reset(); }

  TelemetryQueue& queue() { return queue_; }
  ReceiverCounters& counters(std::string_view receiver) { return pipeline->receiver(receiver); }

  // Waits until `spans` spans and `logs` log records were exported (and no more arrive
  // before the queue is idle).
  bool wait_for(std::size_t spans, std::size_t logs) {
    const bool arrived = edgetrace::testing::wait_until(
        [&] { return exporter.span_count() >= spans && exporter.log_count() >= logs; }, 30s);
    queue_.wait_idle(std::chrono::steady_clock::now() + 10s);
    return arrived && exporter.span_count() == spans && exporter.log_count() == logs;
  }

  Exported exported() const {
    Exported out;
    for (const auto& r : exporter.traces())
      for (const auto& rs : r.resource_spans()) {
        collect_device_id(rs.resource(), out);
        for (const auto& ss : rs.scope_spans())
          for (const auto& s : ss.spans()) {
            out.span_names.push_back(s.name());
            out.span_starts.push_back(s.start_time_unix_nano());
          }
      }
    for (const auto& r : exporter.logs())
      for (const auto& rl : r.resource_logs()) {
        collect_device_id(rl.resource(), out);
        for (const auto& sl : rl.scope_logs())
          for (const auto& l : sl.log_records())
            out.log_bodies.push_back(l.body().string_value());
      }
    return out;
  }

  edgetrace::testing::TempDir dir{"et-receiver"};
  RecordingExporter exporter;
  std::string build_id_hex;  // the fixture ELF's
  std::unique_ptr<DevicePipeline> pipeline;

 private:
  SymbolSourceOptions symbol_options() {
    SymbolSourceOptions o;
    o.store.directory = dir.path() / "symbols";
    return o;
  }
  TelemetryQueueOptions queue_options() {
    return test_queue_options((dir.path() / "queue").string(), 4 << 20);
  }

  SymbolSource symbols_;
  TelemetryQueue queue_;
};

// One HTTP/1.1 exchange over a new connection to 127.0.0.1:`port` (the net tests' raw
// client): sends `request` as given (the server may answer and close before reading it all:
// 413) and reads one response.
using HttpReply = net::testing_support::RawResponse;

inline HttpReply http_exchange(std::uint16_t port, const std::string& request) {
  net::testing_support::RawClient client(port);
  if (!client.connected()) {
    ADD_FAILURE() << "connect to port " << port;
    return {};
  }
  (void)client.send(request);
  std::optional<HttpReply> reply = client.read_response(30s);
  return reply ? *reply : HttpReply{};
}

// A POST of `body` with the given extra header lines ("Name: value").
inline HttpReply http_post(std::uint16_t port, std::string_view path, std::string_view body,
                           const std::vector<std::string>& headers = {}) {
  std::string request = "POST " + std::string(path) +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                        "Content-Type: application/octet-stream\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n";
  for (const std::string& h : headers)
    request += h + "\r\n";
  request += "\r\n";
  request += body;
  return http_exchange(port, request);
}

}  // namespace edgetrace::daemon::testing
