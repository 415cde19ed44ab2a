// End-to-end: the real edgetraced binary with simulated devices (edgetrace-sim, the device
// library built for Linux) streaming over TCP, the real CLI uploading the ELF to the daemon's
// symbol service, and a real OTLP/HTTP receiver (FakeOtlpHttpReceiver) as the backend.
//
// Each test starts its own daemon on ephemeral ports, in its own directory. What is checked:
// every frame the devices sent is decoded and every span reaches the backend, exactly the
// daemon's own counts; a stream with an unknown build-id waits and is decoded when the ELF is
// uploaded; a kill -9 while the backend is down loses nothing once the daemon restarts;
// corrupt and truncated streams are counted exactly; config mistakes exit 2 naming the place.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "testing/fake_http_receiver.hpp"
#include "testing/temp_dir.hpp"
#include "testing/wait.hpp"
#include "tests/daemon_process.hpp"
#include "tests/mosquitto_broker.hpp"

namespace edgetrace::daemon {
namespace {

using edgetrace::testing::FakeOtlpHttpReceiver;
using edgetrace::testing::TempDir;
using edgetrace::testing::wait_until;
using testing::DaemonProcess;
using testing::run_command;
using namespace std::chrono_literals;

constexpr const char* kToken = "e2e-upload-token";

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// A daemon config for this test's directory: ephemeral ports, uploads allowed with kToken.
std::string daemon_config(const TempDir& dir, const std::string& otlp_endpoint,
                          const std::string& extra = "") {
  write_file(dir.file("token"), std::string(kToken) + "\n");
  return "shutdown_timeout = \"5s\"\n"
         "[admin]\nlisten = \"127.0.0.1:0\"\n"
         "[symbols]\nstore = \"" +
         dir.file("symbols") + "\"\ntoken_file = \"" + dir.file("token") +
         "\"\n"
         "[receivers.device_tcp]\nlisten = \"127.0.0.1:0\"\n"
         "[receivers.otlp]\nhttp = \"127.0.0.1:0\"\ngrpc = \"127.0.0.1:0\"\n"
         "[queue]\ndir = \"" +
         dir.file("queue") +
         "\"\nretry_max = \"500ms\"\n"
         "[exporters.otlp]\nendpoint = \"" +
         otlp_endpoint + "\"\ntimeout = \"2s\"\n" + extra;
}

std::unique_ptr<DaemonProcess> start_daemon(const TempDir& dir, const std::string& config,
                                            const std::string& name = "edgetraced") {
  const std::string path = dir.file(name + ".toml");
  write_file(path, config);
  return std::make_unique<DaemonProcess>(ET_EDGETRACED, std::vector<std::string>{"--config", path},
                                         dir.file(name + ".log"));
}

// Uploads the simulator's ELF (its own executable) through the daemon's symbol service.
void upload_sim_elf(const DaemonProcess& d, const TempDir& dir) {
  const auto [code, output] = run_command({ET_CLI, "symbols", "upload", "--server",
                                           "http://127.0.0.1:" + std::to_string(d.port("admin")),
                                           "--token-file", dir.file("token"), ET_SIM});
  ASSERT_EQ(code, 0) << output;
}

// Runs the simulator against the daemon's device TCP port; returns the frames it sent.
std::uint64_t run_sim(std::uint16_t port, int devices, int steps, int seed = 1) {
  const auto [code, output] = run_command({ET_SIM, "--devices", std::to_string(devices), "--steps",
                                           std::to_string(steps), "--seed", std::to_string(seed),
                                           "--connect", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(code, 0) << output;
  // "edgetrace-sim: 3 devices, 123 frames sent, 0 not delivered"
  const std::size_t at = output.find(" devices, ");
  EXPECT_NE(at, std::string::npos) << output;
  EXPECT_NE(output.find(", 0 not delivered"), std::string::npos) << output;
  return at == std::string::npos ? 0 : std::strtoull(output.c_str() + at + 10, nullptr, 10);
}

// A counter or gauge of the daemon (-1: absent).
std::int64_t metric(const DaemonProcess& d, std::string_view name,
                    const std::map<std::string, std::string>& labels = {}) {
  return d.count(name, labels);
}

// The spans and log records the backend accepted, by span id / (time, body) (at-least-once:
// a redelivered batch is counted once).
struct Received {
  std::set<std::string> span_ids;
  std::size_t log_records = 0;
  std::set<std::string> device_ids;
  std::set<std::string> service_names;
  std::set<std::string> environments;  // deployment.environment.name
  std::set<std::string> fleets;        // "fleet", set by [processors.resource]
};

Received received(const FakeOtlpHttpReceiver& rx) {
  Received out;
  for (const auto& r : rx.received()) {
    if (!r.decode_error.empty())
      continue;
    for (const auto& rs : r.traces.resource_spans()) {
      for (const auto& kv : rs.resource().attributes()) {
        if (kv.key() == "device.id")
          out.device_ids.insert(kv.value().string_value());
        if (kv.key() == "service.name")
          out.service_names.insert(kv.value().string_value());
        if (kv.key() == "deployment.environment.name")
          out.environments.insert(kv.value().string_value());
        if (kv.key() == "fleet")
          out.fleets.insert(kv.value().string_value());
      }
      for (const auto& ss : rs.scope_spans())
        for (const auto& s : ss.spans())
          out.span_ids.insert(s.span_id());
    }
    for (const auto& rl : r.logs.resource_logs())
      for (const auto& sl : rl.scope_logs())
        out.log_records += static_cast<std::size_t>(sl.log_records_size());
  }
  return out;
}

// One simulated device's stream, as it sent it over TCP: a real capture.
std::vector<std::uint8_t> capture_sim_stream(int steps) {
  std::vector<std::uint8_t> bytes = testing::capture_sim_stream(ET_SIM, steps);
  EXPECT_FALSE(bytes.empty()) << "edgetrace-sim capture failed";
  return bytes;
}

// Sends `bytes` over one TCP connection to the daemon and closes it.
void send_stream(std::uint16_t port, const std::vector<std::uint8_t>& bytes) {
  const int fd = testing::connect_loopback(port);
  ASSERT_GE(fd, 0);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  char c;
  while (::recv(fd, &c, 1, 0) > 0) {
  }
  ::close(fd);
}

TEST(DaemonE2eTest, EveryFrameOfEveryDeviceReachesTheBackend) {
  TempDir dir("edgetraced-e2e");
  FakeOtlpHttpReceiver rx;
  auto d = start_daemon(dir, daemon_config(dir, rx.url(),
                                           "[exporters.console]\nenabled = true\n"
                                           "[exporters.file]\npath = \"" +
                                               dir.file("out.jsonl") +
                                               "\"\n"
                                               "[devices.attributes]\n"
                                               "\"deployment.environment.name\" = \"e2e\"\n"
                                               "[processors.resource]\n"
                                               "attributes = { \"fleet\" = \"north\" }\n"));
  ASSERT_TRUE(d->started()) << d->log();
  ASSERT_NE(d->port("device TCP"), 0) << d->log();
  upload_sim_elf(*d, dir);

  const std::uint64_t sent = run_sim(d->port("device TCP"), 3, 40);
  ASSERT_GT(sent, 100u);
  const std::map<std::string, std::string> tcp{{"receiver", "device_tcp"}};
  // Every frame, handshakes included, arrived whole and was decoded.
  ASSERT_TRUE(wait_until(
      [&] {
        return metric(*d, "edgetraced_frames_received_total", tcp) >=
               static_cast<std::int64_t>(sent);
      },
      20s))
      << d->get("/metrics").second;
  EXPECT_EQ(metric(*d, "edgetraced_frames_received_total", tcp), static_cast<std::int64_t>(sent));
  EXPECT_EQ(metric(*d, "edgetraced_frames_corrupt_total", tcp), 0);
  EXPECT_EQ(metric(*d, "edgetraced_frames_lost_total", tcp), 0);
  EXPECT_EQ(metric(*d, "edgetraced_frames_unknown_total", tcp), 0);
  EXPECT_EQ(metric(*d, "edgetraced_device_streams_opened_total", tcp), 3);

  // The backend gets exactly the spans and logs the daemon rebuilt.
  ASSERT_TRUE(wait_until(
      [&] {
        const std::int64_t spans = metric(*d, "edgetraced_device_spans_total", tcp);
        const std::int64_t logs = metric(*d, "edgetraced_device_log_records_total", tcp);
        const Received got = received(rx);
        return spans > 0 && static_cast<std::int64_t>(got.span_ids.size()) == spans &&
               static_cast<std::int64_t>(got.log_records) == logs;
      },
      20s))
      << d->get("/metrics").second;
  const Received got = received(rx);
  EXPECT_EQ(got.device_ids.size(), 3u);
  // [devices.attributes] are on every resource; the service is named after the ELF file the
  // CLI uploaded (its name travels with the upload).
  EXPECT_EQ(got.service_names, std::set<std::string>{"edgetrace-sim"});
  EXPECT_EQ(got.environments, std::set<std::string>{"e2e"});
  EXPECT_EQ(got.fleets, std::set<std::string>{"north"});
  // A record leaves the queue once every exporter (also the file and the console) took it,
  // which may be just after the backend got it.
  EXPECT_TRUE(wait_until([&] { return metric(*d, "edgetraced_queue_depth") == 0; }, 10s))
      << d->get("/metrics").second;
  const std::int64_t spans = metric(*d, "edgetraced_device_spans_total", tcp);
  EXPECT_EQ(d->terminate(), 0) << d->log();

  // The same spans in the OTLP/JSON lines file, and every trace as a tree on the console
  // (stdout, here in the log): one root line per trace.
  std::ifstream lines(dir.file("out.jsonl"));
  std::string line;
  std::set<std::string> file_spans;
  while (std::getline(lines, line)) {
    if (line.rfind("{\"resourceSpans\"", 0) != 0)
      continue;
    core::Result<otlp::TraceRequest> r = otlp::decode_json<otlp::TraceRequest>(line);
    ASSERT_TRUE(r.ok()) << r.status().message();
    for (const auto& rs : r->resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& span : ss.spans())
          file_spans.insert(span.span_id());
  }
  EXPECT_EQ(file_spans, got.span_ids);
  std::size_t roots = 0;
  for (const auto& r : rx.received())
    for (const auto& rs : r.traces.resource_spans())
      for (const auto& ss : rs.scope_spans())
        for (const auto& span : ss.spans())
          // A root: no parent, or a remote one (SpanFlags bit 9: a W3C traceparent).
          roots += span.parent_span_id().empty() || (span.flags() & 0x200) != 0 ? 1 : 0;
  const std::string log = d->log();
  std::size_t printed = 0;
  for (std::size_t at = 0; (at = log.find(" (total: ", at)) != std::string::npos; ++at)
    ++printed;
  EXPECT_GT(roots, 0u);
  EXPECT_EQ(printed, roots) << log;
  EXPECT_GT(spans, 0);
}

TEST(DaemonE2eTest, UnknownBuildIdIsHeldUntilItsElfIsUploaded) {
  TempDir dir("edgetraced-e2e");
  FakeOtlpHttpReceiver rx;
  auto d = start_daemon(dir, daemon_config(dir, rx.url()));
  ASSERT_TRUE(d->started()) << d->log();

  // No ELF yet: the stream is held, nothing decoded, nothing exported.
  const std::uint64_t sent = run_sim(d->port("device TCP"), 1, 30);
  ASSERT_TRUE(wait_until([&] { return metric(*d, "edgetraced_held_streams") == 1; }, 20s))
      << d->get("/metrics").second;
  EXPECT_EQ(metric(*d, "edgetraced_device_spans_total", {{"receiver", "device_tcp"}}), 0);
  EXPECT_GT(metric(*d, "edgetraced_held_bytes"), 0);
  EXPECT_EQ(rx.items_accepted(), 0u);

  upload_sim_elf(*d, dir);
  ASSERT_TRUE(
      wait_until([&] { return metric(*d, "edgetraced_held_streams_resolved_total") == 1; }, 20s))
      << d->get("/metrics").second;
  EXPECT_EQ(metric(*d, "edgetraced_held_streams"), 0);
  EXPECT_EQ(metric(*d, "edgetraced_held_streams_expired_total"), 0);
  EXPECT_EQ(metric(*d, "edgetraced_frames_received_total", {{"receiver", "device_tcp"}}),
            static_cast<std::int64_t>(sent));
  ASSERT_TRUE(wait_until(
      [&] {
        return static_cast<std::int64_t>(received(rx).span_ids.size()) ==
               metric(*d, "edgetraced_device_spans_total", {{"receiver", "device_tcp"}});
      },
      20s));
  EXPECT_GT(received(rx).span_ids.size(), 0u);
  EXPECT_EQ(d->terminate(), 0) << d->log();
}

TEST(DaemonE2eTest, HeldStreamWhoseElfNeverArrivesIsReportedWithItsBuildId) {
  TempDir dir("edgetraced-e2e");
  FakeOtlpHttpReceiver rx;
  std::string config = daemon_config(dir, rx.url());
  config.replace(config.find("[symbols]\n"), 10, "[symbols]\nhold_time = \"1s\"\n");
  auto d = start_daemon(dir, config);
  ASSERT_TRUE(d->started()) << d->log();
  run_sim(d->port("device TCP"), 1, 10);
  ASSERT_TRUE(
      wait_until([&] { return metric(*d, "edgetraced_held_streams_expired_total") == 1; }, 20s))
      << d->get("/metrics").second;
  EXPECT_GT(metric(*d, "edgetraced_held_bytes_expired_total"), 0);
  EXPECT_EQ(metric(*d, "edgetraced_held_streams"), 0);
  // The log names the build-id of the simulator's ELF.
  auto [code, id] =
      run_command({ET_CLI, "symbols", "upload", "--store", dir.file("probe"), ET_SIM});
  ASSERT_EQ(code, 0) << id;
  const std::string build_id = id.substr(0, id.find_first_of(" \t:"));
  ASSERT_GE(build_id.size(), 16u) << id;
  EXPECT_NE(d->log().find(build_id), std::string::npos) << d->log();
  EXPECT_EQ(d->terminate(), 0) << d->log();
}

TEST(DaemonE2eTest, KillDuringBackendOutageLosesNothingAfterRestart) {
  TempDir dir("edgetraced-e2e");
  // The backend is down: nothing listens on this port.
  std::uint16_t down_port = 0;
  {
    FakeOtlpHttpReceiver gone;
    down_port = gone.port();
  }
  auto d = start_daemon(dir, daemon_config(dir, "http://127.0.0.1:" + std::to_string(down_port)));
  ASSERT_TRUE(d->started()) << d->log();
  upload_sim_elf(*d, dir);
  const std::uint64_t sent = run_sim(d->port("device TCP"), 4, 30);
  const std::map<std::string, std::string> tcp{{"receiver", "device_tcp"}};
  ASSERT_TRUE(wait_until(
      [&] {
        return metric(*d, "edgetraced_frames_received_total", tcp) ==
                   static_cast<std::int64_t>(sent) &&
               metric(*d, "edgetraced_device_streams_active", tcp) == 0;
      },
      20s))
      << d->get("/metrics").second;
  const std::int64_t spans = metric(*d, "edgetraced_device_spans_total", tcp);
  const std::int64_t logs = metric(*d, "edgetraced_device_log_records_total", tcp);
  ASSERT_GT(spans, 0);
  EXPECT_GT(metric(*d, "edgetraced_queue_depth"), 0);
  d->kill9();

  // Restarted with the backend up: the records accepted before the kill are delivered.
  FakeOtlpHttpReceiver rx;
  d = start_daemon(dir, daemon_config(dir, rx.url()), "edgetraced-2");
  ASSERT_TRUE(d->started()) << d->log();
  ASSERT_TRUE(wait_until(
      [&] {
        const Received got = received(rx);
        return static_cast<std::int64_t>(got.span_ids.size()) == spans &&
               static_cast<std::int64_t>(got.log_records) >= logs;
      },
      30s))
      << "spans " << received(rx).span_ids.size() << " of " << spans << "\n"
      << d->log();
  EXPECT_EQ(received(rx).device_ids.size(), 4u);
  EXPECT_EQ(d->terminate(), 0) << d->log();
}

TEST(DaemonE2eTest, CorruptAndTruncatedStreamsAreCountedExactly) {
  TempDir dir("edgetraced-e2e");
  FakeOtlpHttpReceiver rx;
  auto d = start_daemon(dir, daemon_config(dir, rx.url()));
  ASSERT_TRUE(d->started()) << d->log();
  upload_sim_elf(*d, dir);
  const std::vector<std::uint8_t> clean = capture_sim_stream(20);
  ASSERT_GT(clean.size(), 200u);
  const std::map<std::string, std::string> tcp{{"receiver", "device_tcp"}};

  // The clean capture: every frame valid.
  send_stream(d->port("device TCP"), clean);
  ASSERT_TRUE(wait_until([&] { return metric(*d, "edgetraced_device_streams_active", tcp) == 0; }));
  const std::int64_t frames = metric(*d, "edgetraced_frames_received_total", tcp);
  ASSERT_GT(frames, 10);
  EXPECT_EQ(metric(*d, "edgetraced_frames_corrupt_total", tcp), 0);

  // One byte changed inside a frame in the middle (a non-zero byte made another non-zero
  // byte, so the delimiters stay): exactly that frame is corrupt, and its sequence number is
  // a gap of one.
  std::vector<std::uint8_t> corrupt = clean;
  std::size_t at = corrupt.size() / 2;
  while (corrupt[at] == 0 || corrupt[at - 1] == 0 || corrupt[at + 1] == 0)
    ++at;
  corrupt[at] = corrupt[at] == 0xff ? 0x01 : static_cast<std::uint8_t>(corrupt[at] ^ 0x80);
  if (corrupt[at] == 0)
    corrupt[at] = 0x55;
  send_stream(d->port("device TCP"), corrupt);
  ASSERT_TRUE(wait_until([&] {
    return metric(*d, "edgetraced_device_streams_opened_total", tcp) == 2 &&
           metric(*d, "edgetraced_device_streams_active", tcp) == 0;
  }));
  EXPECT_EQ(metric(*d, "edgetraced_frames_corrupt_total", tcp), 1);
  EXPECT_EQ(metric(*d, "edgetraced_frames_lost_total", tcp), 1);
  EXPECT_EQ(metric(*d, "edgetraced_frames_received_total", tcp), 2 * frames - 1);

  // Cut in the middle of the last frame: the frames before are decoded, the bytes of the
  // partial one are counted as skipped when the connection ends.
  EXPECT_EQ(metric(*d, "edgetraced_device_bytes_skipped_total", tcp), 0);
  std::vector<std::uint8_t> truncated(clean.begin(), clean.end() - 3);
  std::size_t last_delimiter = truncated.size() - 1;
  while (truncated[last_delimiter] != 0)
    --last_delimiter;
  const std::int64_t partial = static_cast<std::int64_t>(truncated.size() - last_delimiter - 1);
  ASSERT_GT(partial, 0);
  send_stream(d->port("device TCP"), truncated);
  ASSERT_TRUE(wait_until([&] {
    return metric(*d, "edgetraced_device_streams_opened_total", tcp) == 3 &&
           metric(*d, "edgetraced_device_streams_active", tcp) == 0;
  }));
  EXPECT_EQ(metric(*d, "edgetraced_frames_received_total", tcp), 3 * frames - 2);
  EXPECT_EQ(metric(*d, "edgetraced_frames_corrupt_total", tcp), 1);
  EXPECT_EQ(metric(*d, "edgetraced_device_bytes_skipped_total", tcp), partial);

  // Garbage without a delimiter or a handshake: no frame, every byte counted as skipped.
  std::vector<std::uint8_t> garbage(5000);
  for (std::size_t i = 0; i < garbage.size(); ++i)
    garbage[i] = static_cast<std::uint8_t>((i * 131 + 7) % 251 + 1);
  send_stream(d->port("device TCP"), garbage);
  ASSERT_TRUE(wait_until([&] {
    return metric(*d, "edgetraced_device_streams_opened_total", tcp) == 4 &&
           metric(*d, "edgetraced_device_streams_active", tcp) == 0;
  }));
  EXPECT_EQ(metric(*d, "edgetraced_frames_received_total", tcp), 3 * frames - 2);
  EXPECT_EQ(metric(*d, "edgetraced_frames_corrupt_total", tcp), 1);
  EXPECT_EQ(metric(*d, "edgetraced_device_bytes_skipped_total", tcp), partial + 5000);
  EXPECT_EQ(metric(*d, "edgetraced_device_bytes_total", tcp),
            static_cast<std::int64_t>(clean.size() * 3 - 3 + garbage.size()));
  // Still serving: a clean stream afterwards decodes whole.
  EXPECT_EQ(d->get("/healthz").first, 200);
  EXPECT_EQ(d->terminate(), 0) << d->log();
}

// Every span the backend got, with repeats (a span exported twice counts twice).
std::size_t spans_with_repeats(const FakeOtlpHttpReceiver& rx) {
  std::size_t n = 0;
  for (const auto& r : rx.received())
    for (const auto& rs : r.traces.resource_spans())
      for (const auto& ss : rs.scope_spans())
        n += static_cast<std::size_t>(ss.spans_size());
  return n;
}

TEST(DaemonE2eTest, TwoDaemonsInOneMqttSharedGroupExportEveryFrameOnce) {
  TempDir dir("edgetraced-e2e");
  testing::Broker broker(ET_MOSQUITTO_BROKER, dir.path());
  ASSERT_TRUE(broker.start());
  FakeOtlpHttpReceiver rx;
  std::vector<std::unique_ptr<DaemonProcess>> daemons;
  for (const std::string name : {"a", "b"}) {
    std::string config =
        daemon_config(dir, rx.url(),
                      "[receivers.device_mqtt]\nurl = \"" + broker.url() +
                          "\"\ngroup = \"fleet\"\nclient_id = \"edgetraced-" + name + "\"\n");
    // Each daemon its own queue; one symbol store directory is fine (read-mostly, atomic puts).
    config.replace(config.find(dir.file("queue")), dir.file("queue").size(),
                   dir.file("queue-" + name));
    config.replace(config.find("[receivers.device_tcp]\nlisten = \"127.0.0.1:0\""),
                   std::string("[receivers.device_tcp]\nlisten = \"127.0.0.1:0\"").size(),
                   "[receivers.device_tcp]\nlisten = \"\"");
    daemons.push_back(start_daemon(dir, config, "edgetraced-" + name));
    ASSERT_TRUE(daemons.back()->started()) << daemons.back()->log();
  }
  upload_sim_elf(*daemons[0], dir);
  // Both subscribed (MQTT /readyz) before the devices publish.
  for (const auto& d : daemons)
    ASSERT_TRUE(wait_until([&] { return d->get("/readyz").first == 200; }, 20s)) << d->log();

  const auto [code, output] = run_command({ET_SIM, "--devices", "16", "--steps", "25", "--mqtt",
                                           "127.0.0.1:" + std::to_string(broker.port())});
  ASSERT_EQ(code, 0) << output;
  // "edgetrace-sim: 16 devices, 1234 frames in 400 MQTT messages (...)"
  const std::size_t at = output.find(" devices, ");
  ASSERT_NE(at, std::string::npos) << output;
  const std::int64_t sent = std::strtoll(output.c_str() + at + 10, nullptr, 10);
  ASSERT_GT(sent, 400);
  const std::map<std::string, std::string> mqtt{{"receiver", "device_mqtt"}};
  const auto total = [&](std::string_view name) {
    std::int64_t sum = 0;
    for (const auto& d : daemons)
      sum += std::max<std::int64_t>(0, metric(*d, name, mqtt));
    return sum;
  };
  ASSERT_TRUE(wait_until([&] { return total("edgetraced_frames_received_total") >= sent; }, 30s))
      << total("edgetraced_frames_received_total") << " of " << sent;
  // Each message went to one daemon of the group: every frame decoded once, none twice.
  EXPECT_EQ(total("edgetraced_frames_received_total"), sent);
  EXPECT_EQ(total("edgetraced_frames_duplicate_total"), 0);
  EXPECT_EQ(total("edgetraced_frames_corrupt_total"), 0);
  for (const auto& d : daemons)
    EXPECT_GT(metric(*d, "edgetraced_frames_received_total", mqtt), 0) << "one daemon got nothing";
  ASSERT_TRUE(wait_until(
      [&] {
        return static_cast<std::int64_t>(spans_with_repeats(rx)) ==
               total("edgetraced_device_spans_total");
      },
      30s));
  // No span reached the backend twice.
  EXPECT_EQ(received(rx).span_ids.size(), spans_with_repeats(rx));
  EXPECT_EQ(received(rx).device_ids.size(), 16u);
  for (const auto& d : daemons)
    EXPECT_EQ(d->terminate(), 0) << d->log();
}

// A command published to a simulated device's command topic (docs/firmware.md, "Commands
// from the cloud") continues the sender's trace: the device's handle_command span has the
// sender's trace id, the sender's span as its parent, and the remote-parent flags.
TEST(DaemonE2eTest, SimDeviceCommandContinuesTheSendersTrace) {
  TempDir dir("edgetraced-e2e");
  testing::Broker broker(ET_MOSQUITTO_BROKER, dir.path());
  ASSERT_TRUE(broker.start());
  FakeOtlpHttpReceiver rx;
  auto d = start_daemon(
      dir,
      daemon_config(dir, rx.url(), "[receivers.device_mqtt]\nurl = \"" + broker.url() + "\"\n"));
  ASSERT_TRUE(d->started()) << d->log();
  upload_sim_elf(*d, dir);
  ASSERT_TRUE(wait_until([&] { return d->get("/readyz").first == 200; }, 20s)) << d->log();

  // Two devices running until SIGTERM; "started" once they listen for commands.
  const std::string mqtt = "127.0.0.1:" + std::to_string(broker.port());
  DaemonProcess sim(ET_SIM,
                    {"--devices", "2", "--mqtt", mqtt, "--steps", "0", "--interval-ms", "50"},
                    dir.file("sim.log"));
  ASSERT_TRUE(sim.started()) << sim.log();
  constexpr std::string_view kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
  constexpr std::string_view kParent = "00f067aa0ba902b7";
  const std::string topic = "edgetrace/73696d0000000001/commands";  // device 1: "sim\0" + 1
  for (const std::string& payload :
       {std::string("set_interval 00-") + std::string(kTrace) + "-" + std::string(kParent) + "-01",
        std::string("no-traceparent-here")}) {
    const auto [code, output] =
        run_command({ET_MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-q",
                     "1", "-t", topic, "-m", payload});
    ASSERT_EQ(code, 0) << output;
  }

  // The command's spans, as the backend got them.
  struct Seen {
    std::string trace_id, span_id, parent_span_id, device_id;
    std::uint32_t flags = 0;
  };
  const auto find = [&](std::string_view name) {
    std::optional<Seen> out;
    for (const auto& r : rx.received()) {
      for (const auto& rs : r.traces.resource_spans()) {
        std::string device;
        for (const auto& kv : rs.resource().attributes())
          if (kv.key() == "device.id")
            device = kv.value().string_value();
        for (const auto& ss : rs.scope_spans())
          for (const auto& s : ss.spans())
            if (s.name() == name)
              out = Seen{core::to_hex(s.trace_id()), core::to_hex(s.span_id()),
                         core::to_hex(s.parent_span_id()), device, s.flags()};
      }
    }
    return out;
  };
  ASSERT_TRUE(wait_until([&] { return find("apply_command").has_value(); }, 30s)) << d->log();
  const std::optional<Seen> handle = find("handle_command");
  const std::optional<Seen> apply = find("apply_command");
  ASSERT_TRUE(handle && apply);
  EXPECT_EQ(handle->trace_id, kTrace);
  EXPECT_EQ(handle->parent_span_id, kParent);
  // Sampled, and "the parent is remote" known and set (OTLP SpanFlags 0x100 | 0x200).
  EXPECT_EQ(handle->flags, 0x301u);
  EXPECT_EQ(handle->device_id, "73696d0000000001");
  EXPECT_EQ(apply->trace_id, kTrace);
  EXPECT_EQ(apply->parent_span_id, handle->span_id);

  // The second, malformed command arrives after the first: wait until the device refused it.
  EXPECT_TRUE(wait_until([&] { return sim.log().find("not a command") != std::string::npos; }, 20s))
      << sim.log();
  EXPECT_EQ(sim.terminate(), 0) << sim.log();
  EXPECT_NE(sim.log().find("1 commands handled, 1 rejected"), std::string::npos) << sim.log();
  EXPECT_EQ(d->terminate(), 0) << d->log();
}

TEST(DaemonE2eTest, HttpDeviceGets202OnceItsFramesAreQueued) {
  TempDir dir("edgetraced-e2e");
  FakeOtlpHttpReceiver rx;
  write_file(dir.file("device-token"), "device-secret\n");
  auto d = start_daemon(dir, daemon_config(dir, rx.url(),
                                           "[receivers.device_http]\nlisten = \"127.0.0.1:0\"\n"
                                           "token_file = \"" +
                                               dir.file("device-token") + "\"\n"));
  ASSERT_TRUE(d->started()) << d->log();
  ASSERT_NE(d->port("device HTTP"), 0) << d->log();
  upload_sim_elf(*d, dir);
  const std::vector<std::uint8_t> stream = capture_sim_stream(10);
  const std::string body(stream.begin(), stream.end());
  const auto denied = d->http(d->port("device HTTP"), "POST", "/v1/device/frames", body,
                              {"Content-Type: application/octet-stream"});
  EXPECT_EQ(denied.first, 401) << denied.second;
  const auto ok =
      d->http(d->port("device HTTP"), "POST", "/v1/device/frames", body,
              {"Content-Type: application/octet-stream", "Authorization: Bearer device-secret"});
  ASSERT_EQ(ok.first, 202) << ok.second;
  const std::map<std::string, std::string> http{{"receiver", "device_http"}};
  // Answered after the queue had them: the counters are already there.
  EXPECT_GT(metric(*d, "edgetraced_frames_received_total", http), 10);
  EXPECT_EQ(metric(*d, "edgetraced_frames_corrupt_total", http), 0);
  const std::int64_t spans = metric(*d, "edgetraced_device_spans_total", http);
  ASSERT_GT(spans, 0);
  ASSERT_TRUE(wait_until(
      [&] { return static_cast<std::int64_t>(received(rx).span_ids.size()) == spans; }, 20s));
  EXPECT_EQ(d->terminate(), 0) << d->log();
}

// OpenTelemetry SDKs and Collectors send to the standard receivers: the data takes the otlp
// pipeline's processors, the durable queue and the exporters, like device data.
TEST(DaemonE2eTest, OtlpReceiversFeedThePipelineWithItsProcessors) {
  TempDir dir("edgetraced-e2e");
  FakeOtlpHttpReceiver rx;
  auto d =
      start_daemon(dir, daemon_config(dir, rx.url(),
                                      "[processors.resource]\nattributes = { region = \"eu\" }\n"
                                      "[processors.otlp.redaction]\nenabled = true\n"));
  ASSERT_TRUE(d->started()) << d->log();
  const std::uint16_t http_port = d->port("OTLP/HTTP");
  const std::uint16_t grpc_port = d->port("OTLP/gRPC");
  ASSERT_NE(http_port, 0) << d->log();
  ASSERT_NE(grpc_port, 0) << d->log();

  // Logs as OTLP/JSON over HTTP; the answer is JSON too.
  const std::string logs =
      R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":)"
      R"({"stringValue":"billing"}}]},"scopeLogs":[{"scope":{"name":"invoices"},"logRecords":[)"
      R"({"severityNumber":9,"body":{"stringValue":"sent to jane.doe@example.com"}}]}]}]})";
  const auto logs_reply =
      d->http(http_port, "POST", "/v1/logs", logs, {"Content-Type: application/json"});
  EXPECT_EQ(logs_reply.first, 200) << logs_reply.second;
  EXPECT_EQ(logs_reply.second, "{}");

  // Traces over OTLP/gRPC, sent by the project's own gRPC exporter transport.
  otlp::TraceRequest traces;
  auto* span = traces.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_name("charge-card");
  span->set_trace_id(std::string(16, '\x21'));
  span->set_span_id(std::string(8, '\x42'));
  otlp::OtlpExporterOptions grpc;
  grpc.protocol = otlp::Protocol::kGrpc;
  grpc.endpoint = "http://127.0.0.1:" + std::to_string(grpc_port);
  auto transport = otlp::create_transport(grpc);
  ASSERT_TRUE(transport) << transport.status().message();
  const otlp::TransportResponse sent =
      (*transport)
          ->send(otlp::Signal::kTraces, otlp::encode_protobuf(traces), otlp::Clock::now() + 10s);
  EXPECT_EQ(sent.verdict.action, otlp::Action::kSuccess) << sent.message;

  // Metrics as protobuf over HTTP: accepted and forwarded as they are.
  otlp::MetricsRequest metrics;
  auto* metric_proto = metrics.add_resource_metrics()->add_scope_metrics()->add_metrics();
  metric_proto->set_name("invoices.sent");
  metric_proto->mutable_sum()->add_data_points()->set_as_int(3);
  const auto metrics_reply =
      d->http(http_port, "POST", "/v1/metrics", otlp::encode_protobuf(metrics),
              {"Content-Type: application/x-protobuf"});
  EXPECT_EQ(metrics_reply.first, 200) << metrics_reply.second;

  std::string body;
  bool span_seen = false;
  bool metric_seen = false;
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& r : rx.received()) {
          for (const auto& rl : r.logs.resource_logs())
            body = rl.scope_logs(0).log_records(0).body().string_value();
          for (const auto& rs : r.traces.resource_spans())
            span_seen = span_seen || rs.scope_spans(0).spans(0).name() == "charge-card";
          for (const auto& rm : r.metrics.resource_metrics())
            metric_seen = metric_seen || rm.scope_metrics(0).metrics(0).name() == "invoices.sent";
        }
        return !body.empty() && span_seen && metric_seen;
      },
      20s))
      << d->get("/metrics").second;
  EXPECT_EQ(body, "sent to [REDACTED]");
  EXPECT_EQ(metric(*d, "edgetraced_processor_values_redacted_total", {{"pipeline", "otlp"}}), 1);
  // The device pipeline has no redaction configured (no such metric, or 0).
  EXPECT_LE(metric(*d, "edgetraced_processor_values_redacted_total", {{"pipeline", "device"}}), 0);
  EXPECT_EQ(d->terminate(), 0) << d->log();
}

// What the processors drop reaches the backend as OTLP metrics (the drop report), with the
// reason and the pipeline, so a team sees its losses where it looks at its data.
TEST(DaemonE2eTest, DroppedItemsAreReportedToTheBackendAsMetrics) {
  TempDir dir("edgetraced-e2e");
  FakeOtlpHttpReceiver rx;
  auto d = start_daemon(dir, daemon_config(dir, rx.url(),
                                           "[processors.logs]\nmin_severity = \"warn\"\n"
                                           "[telemetry]\ndrop_report_interval = \"1s\"\n"));
  ASSERT_TRUE(d->started()) << d->log();
  const std::uint16_t http_port = d->port("OTLP/HTTP");
  ASSERT_NE(http_port, 0) << d->log();
  // Three records below WARN (dropped), one at ERROR (kept).
  const std::string logs = R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[)"
                           R"({"severityNumber":5,"body":{"stringValue":"a"}},)"
                           R"({"severityNumber":9,"body":{"stringValue":"b"}},)"
                           R"({"severityNumber":9,"body":{"stringValue":"c"}},)"
                           R"({"severityNumber":17,"body":{"stringValue":"kept"}}]}]}]})";
  const auto reply =
      d->http(http_port, "POST", "/v1/logs", logs, {"Content-Type: application/json"});
  EXPECT_EQ(reply.first, 200) << reply.second;

  std::int64_t reported = -1;
  std::string service;
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& r : rx.received())
          for (const auto& rm : r.metrics.resource_metrics())
            for (const auto& sm : rm.scope_metrics())
              for (const auto& m : sm.metrics()) {
                if (m.name() != "edgetraced.logs.dropped")
                  continue;
                for (const auto& kv : rm.resource().attributes())
                  if (kv.key() == "service.name")
                    service = kv.value().string_value();
                for (const auto& p : m.sum().data_points()) {
                  std::string reason;
                  std::string pipeline;
                  for (const auto& kv : p.attributes()) {
                    if (kv.key() == "reason")
                      reason = kv.value().string_value();
                    if (kv.key() == "pipeline")
                      pipeline = kv.value().string_value();
                  }
                  if (reason == "below_min_severity" && pipeline == "otlp")
                    reported = p.as_int();
                }
              }
        return reported == 3;
      },
      20s))
      << "reported " << reported << "\n"
      << d->log();
  EXPECT_EQ(service, "edgetraced");
  EXPECT_EQ(d->terminate(), 0) << d->log();
}

TEST(DaemonE2eTest, SerialReceiverReplaysACaptureFile) {
  TempDir dir("edgetraced-e2e");
  FakeOtlpHttpReceiver rx;
  const std::vector<std::uint8_t> stream = capture_sim_stream(10);
  {
    std::ofstream out(dir.file("capture.bin"), std::ios::binary);
    out.write(reinterpret_cast<const char*>(stream.data()),
              static_cast<std::streamsize>(stream.size()));
  }
  // The ELF is in the store before the daemon starts (a lab bench replaying captures).
  const auto [ucode, uout] =
      run_command({ET_CLI, "symbols", "upload", "--store", dir.file("symbols"), ET_SIM});
  ASSERT_EQ(ucode, 0) << uout;
  auto d = start_daemon(
      dir, daemon_config(dir, rx.url(),
                         "[receivers.serial]\npath = \"" + dir.file("capture.bin") + "\"\n"));
  ASSERT_TRUE(d->started()) << d->log();
  const std::map<std::string, std::string> serial{{"receiver", "serial"}};
  ASSERT_TRUE(wait_until(
      [&] {
        return metric(*d, "edgetraced_device_bytes_total", serial) ==
               static_cast<std::int64_t>(stream.size());
      },
      20s))
      << d->get("/metrics").second;
  ASSERT_TRUE(
      wait_until([&] { return metric(*d, "edgetraced_device_streams_active", serial) == 0; }));
  EXPECT_EQ(metric(*d, "edgetraced_frames_corrupt_total", serial), 0);
  const std::int64_t spans = metric(*d, "edgetraced_device_spans_total", serial);
  ASSERT_GT(spans, 0);
  ASSERT_TRUE(wait_until(
      [&] { return static_cast<std::int64_t>(received(rx).span_ids.size()) == spans; }, 20s));
  EXPECT_EQ(d->terminate(), 0) << d->log();
}

TEST(DaemonE2eTest, ConfigMistakesExitTwoNamingTheFileLineAndColumn) {
  TempDir dir("edgetraced-e2e");
  struct Case {
    std::string text;
    std::string expected;  // in the message
  };
  const std::vector<Case> cases = {
      {"[queue]\nmax_bytes = \"lots\"\n", "bad.toml:2:"},                      // bad size
      {"[queue]\nmax_byte = 10\n", "max_byte"},                                // unknown key
      {"[receivers.device_tcp]\nlisten = \"nohost\"\n", "bad.toml:2:"},        // bad address
      {"[exporters.otlp]\nprotocol = \"udp\"\n", "udp"},                       // bad choice
      {"[queue\nmax_bytes = 1\n", "bad.toml:1:"},                              // TOML syntax
      {"[symbols]\nhold_max_bytes = \"2MiB\"\nhold_total_bytes = \"1MiB\"\n",  // inconsistent
       "hold_max_bytes"},
      {"shutdown_timeout = true\n", "bad.toml:1:"},  // wrong type
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    write_file(dir.file("bad.toml"), c.text);
    const auto [code, output] =
        run_command({ET_EDGETRACED, "--check-config", dir.file("bad.toml")});
    EXPECT_EQ(code, 2) << output;
    EXPECT_NE(output.find(c.expected), std::string::npos) << output;
  }
  // The printed default config is itself valid.
  const auto [pcode, printed] = run_command({ET_EDGETRACED, "--print-config"});
  ASSERT_EQ(pcode, 0);
  write_file(dir.file("default.toml"), printed);
  const auto [ccode, coutput] =
      run_command({ET_EDGETRACED, "--check-config", dir.file("default.toml")});
  EXPECT_EQ(ccode, 0) << coutput;
  // The production config shipped in deploy/ is valid.
  const auto [dcode, doutput] =
      run_command({ET_EDGETRACED, "--check-config", ET_SOURCE_DIR "/deploy/edgetraced.toml"});
  EXPECT_EQ(dcode, 0) << doutput;
  // --set takes TOML values and bare words.
  const auto [scode, soutput] = run_command(
      {ET_EDGETRACED, "--check-config", dir.file("default.toml"), "--set", "queue.max_bytes=1000",
       "--set", "exporters.otlp.endpoint=\"http://collector:4318\"", "--set",
       "telemetry.log_level=debug"});
  EXPECT_EQ(scode, 0) << soutput;
  const auto [bcode, boutput] =
      run_command({ET_EDGETRACED, "--check-config", dir.file("default.toml"), "--set",
                   "queue.max_bytes=\"lots\""});
  EXPECT_EQ(bcode, 2) << boutput;
  EXPECT_NE(boutput.find("queue.max_bytes"), std::string::npos) << boutput;
}

}  // namespace
}  // namespace edgetrace::daemon
