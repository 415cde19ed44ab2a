// edgetrace-sim: the device library built for Linux, emulating N devices that each stream
// to a TCP endpoint over their own connection, or publish to an MQTT broker, for load
// tests and the demo.
//
//   edgetrace-sim --devices 100 --connect 127.0.0.1:7700 --steps 1000 --interval-ms 10
//   edgetrace-sim --devices 4 --steps 50 --self-check     # own receiver, decodes, verifies
//   edgetrace-sim --devices 8 --mqtt 127.0.0.1:1883 [--topic-prefix edgetrace] [--qos 0|1]
//   edgetrace-sim --devices 8 --mqtt 127.0.0.1:1883 --self-check   # subscribes, verifies
//   edgetrace-sim --devices 3 --mqtt 127.0.0.1:1883 --steps 0 --interval-ms 1000  # until ^C
//
// Over MQTT (5) each device's frames are collected per workload step and published as one
// message (QoS 1, or 0 with --qos 0) to <prefix>/<device id in hex>/frames, with the user
// properties `device-id` (the same hex) and `build-id` (this executable's GNU build-id in
// hex); the concatenated payloads of a topic are the device's byte stream. After the client
// reconnects, each device sends its handshake again before its next records, as over TCP.
//
// Commands (MQTT only): each device subscribes to <prefix>/<device id in hex>/commands. A
// command message's payload is one line of text, "<name> <traceparent>" (name: 1 to 32 of
// [A-Za-z0-9_.-]; traceparent: a W3C version-00 header), e.g.
// "blink 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01". The device runs a
// `handle_command` span whose parent is that remote span (so it continues the sender's
// trace), with the child spans `apply_command` and `ack_command` and a log naming the
// command, then publishes its frames at once. Malformed commands are counted and printed on
// stderr. docs/firmware.md ("Commands from the cloud") describes the format.
//
// --steps 0 runs until SIGINT or SIGTERM (one round of steps every --interval-ms, 1000 by
// default); either signal also ends a finite run after its current round. Paced runs (an
// interval, or --steps 0) advance the devices' clocks with real time.
//
// Each device has its own et_device, callback transport, clock (1 MHz ticks), device id
// (8 bytes: "sim" + index) and boot counter; all of them share this program's call-site
// table and GNU build-id, so a bridge decodes them with this executable's ELF file. One
// thread drives every device in turn (et_device_select). A lost connection is retried
// with backoff and followed by a handshake, as a device does after reconnecting.
//
// Exit codes: 0 success (and, with --self-check, the stream verified), 1 failure,
// 2 usage error.
#include <arpa/inet.h>
#include <link.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "command.hpp"
#include "edgetrace/decoder/edgetrace_decoder.hpp"
#include "edgetrace/decoder/edgetrace_table.hpp"
#include "edgetrace/decoder/elf_file.hpp"
#include "edgetrace/device/device.hpp"
#include "edgetrace/net/tcp_stream_listener.hpp"

namespace {

struct SimDevice {
  int index = 0;
  et_device device{};
  et_callback callback{};
  std::uint64_t clock = 0;  // ticks, 1 MHz
  std::uint8_t id[8] = {};
  int fd = -1;
  std::uint64_t frames = 0;
  std::uint64_t reconnects = 0;
  // MQTT: the frames of the current batch, its topic, and the connection generation the
  // device last sent its handshake on.
  std::vector<std::uint8_t> batch;
  std::uint32_t batch_frames = 0;
  std::string topic;
  std::string id_hex;
  std::uint64_t generation = 0;
};

std::vector<SimDevice>* g_devices = nullptr;
std::string g_host = "127.0.0.1";
int g_port = 0;
std::vector<std::uint8_t> g_build_id_note;
std::string g_build_id_hex;  // the descriptor of g_build_id_note

// The active device's clock: the tick source has no context argument, so it looks up
// the device the simulator selected.
std::uint64_t sim_tick() {
  et_device* active = et_device_active();
  for (auto& d : *g_devices) {
    if (&d.device == active) {
      return d.clock;
    }
  }
  return 0;
}

int dial() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(g_port));
  if (::inet_pton(AF_INET, g_host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, const std::uint8_t* data, std::size_t len) {
  while (len > 0) {
    const ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    data += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

// MQTT publisher: one client for every device; the network loop runs on its own thread
// and reconnects on its own.
struct MqttState {
  mosquitto* client = nullptr;
  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> generation{0};  // incremented on every (re)connection
  std::atomic<std::int64_t> pending{0};      // published, not yet acknowledged
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  int qos = 1;
  // Commands: the topic of each device (index = device), subscribed on every connection;
  // commands received on the network thread wait in `commands` for the main thread.
  std::string prefix;
  std::vector<std::string> command_topics;
  std::map<std::string, int, std::less<>> device_by_command_topic;
  std::atomic<std::size_t> command_subacks{0};  // SUBACKs received, over all connections
  std::mutex commands_mutex;
  std::deque<std::pair<int, std::string>> commands;  // (device, payload), guarded
  std::atomic<std::uint64_t> commands_rejected{0};
  std::uint64_t commands_handled = 0;
};
MqttState* g_mqtt = nullptr;

// Set by SIGINT/SIGTERM: the run ends after its current round.
volatile sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) {
  g_stop = 1;
}

int send_frame_mqtt(void* ctx, const std::uint8_t* frame, std::size_t len) {
  auto* d = static_cast<SimDevice*>(ctx);
  if (!g_mqtt->connected || d->generation != g_mqtt->generation) {
    return 0;  // offline: dropped and counted; the handshake follows the reconnection
  }
  d->batch.insert(d->batch.end(), frame, frame + len);
  ++d->batch_frames;
  ++d->frames;
  return 1;
}

// Publishes the device's batch of complete frames as one message (MQTT 5, with the
// device-id and build-id user properties).
void flush_mqtt(SimDevice& d) {
  if (d.batch.empty()) {
    return;
  }
  mosquitto_property* props = nullptr;
  mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "device-id",
                                     d.id_hex.c_str());
  if (!g_build_id_hex.empty()) {
    mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "build-id",
                                       g_build_id_hex.c_str());
  }
  ++g_mqtt->pending;
  const int rc = mosquitto_publish_v5(g_mqtt->client, nullptr, d.topic.c_str(),
                                      static_cast<int>(d.batch.size()), d.batch.data(), g_mqtt->qos,
                                      false, props);
  mosquitto_property_free_all(&props);
  if (rc != MOSQ_ERR_SUCCESS) {
    --g_mqtt->pending;
    d.callback.rejected += d.batch_frames;  // the batch is lost: its frames not delivered
    d.frames -= d.batch_frames;
  } else {
    ++g_mqtt->messages;
    g_mqtt->bytes += d.batch.size();
  }
  d.batch.clear();
  d.batch_frames = 0;
}

bool split_endpoint(const std::string& endpoint, std::string* host, int* port) {
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return false;
  }
  *host = endpoint.substr(0, colon);
  char* end = nullptr;
  const long p = std::strtol(endpoint.c_str() + colon + 1, &end, 10);
  if (end == endpoint.c_str() + colon + 1 || *end != '\0' || p < 1 || p > 65535) {
    return false;
  }
  *port = static_cast<int>(p);
  return true;
}

// --self-check with --mqtt: subscribes to <prefix>/+/frames on the same broker before the
// devices start and keeps every topic's payloads, in arrival order.
struct MqttReceiver {
  mosquitto* client = nullptr;
  std::mutex mutex;
  std::map<std::string, std::vector<std::uint8_t>> by_topic;
  std::uint64_t bytes = 0;
  std::atomic<bool> subscribed{false};

  std::map<int, std::vector<std::uint8_t>> streams() {
    std::lock_guard lock(mutex);
    std::map<int, std::vector<std::uint8_t>> out;
    int i = 0;
    for (auto& [topic, data] : by_topic) {
      out[i++] = data;
    }
    return out;
  }
  std::uint64_t received() {
    std::lock_guard lock(mutex);
    return bytes;
  }
};

int send_frame(void* ctx, const std::uint8_t* frame, std::size_t len) {
  auto* d = static_cast<SimDevice*>(ctx);
  if (d->fd < 0 || !send_all(d->fd, frame, len)) {
    if (d->fd >= 0) {
      ::close(d->fd);
      d->fd = -1;
    }
    return 0;  // counted as rejected by the transport; the device reconnects later
  }
  ++d->frames;
  return 1;
}

// The GNU build-id note of this executable, from its PT_NOTE segments as loaded (the
// devices send the build-id in their handshakes, as firmware does from its linked note).
int find_build_id(dl_phdr_info* info, std::size_t, void*) {
  if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0') {
    return 0;  // not the main program
  }
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) {
      continue;
    }
    const std::span<const std::uint8_t> notes(
        reinterpret_cast<const std::uint8_t*>(info->dlpi_addr + ph.p_vaddr), ph.p_memsz);
    if (const auto found = edgetrace::decoder::find_build_id_note(
            notes, std::endian::native == std::endian::little)) {
      g_build_id_note.assign(found->note.begin(), found->note.end());
      static constexpr char kDigits[] = "0123456789abcdef";
      g_build_id_hex.clear();
      for (const std::uint8_t b : found->id) {
        g_build_id_hex += kDigits[b >> 4];
        g_build_id_hex += kDigits[b & 0x0f];
      }
      return 1;
    }
  }
  return 0;
}

// One step of a device's workload: a sampled measurement in a span, and now and then a
// warning and a remote-parent command.
void workload_step(SimDevice& d, int step, std::mt19937& rng) {
  const int temp = 18 + static_cast<int>(rng() % 8);
  const unsigned hum = 35u + static_cast<unsigned>(rng() % 30);
  {
    ETD_SPAN("sample");
    d.clock += 120;
    {
      ETD_SPAN("read_sensor");
      d.clock += 800 + rng() % 200;
      ETD_DEBUG("i2c addr={:#x} bytes={}", std::uint8_t{0x40}, 4);
    }
    ETD_INFO("temp={} hum={}", temp, hum);
  }
  if (step % 10 == 9) {
    ETD_WARN("battery low: {} mV (device {})", 3300 - step % 300, d.index);
  }
  if (step % 25 == 24) {
    et_remote_parent parent;
    char tp[56];
    std::snprintf(tp, sizeof tp, "00-%016llx%016llx-%016llx-01",
                  static_cast<unsigned long long>(0x0af7651916cd43ddULL + d.index),
                  static_cast<unsigned long long>(0x8448eb211c80319cULL + step),
                  static_cast<unsigned long long>(0xb7ad6b7169203331ULL));
    if (et_remote_parent_parse(&parent, tp, 55) != 0) {
      ETD_SPAN_REMOTE("handle_command", parent);
      d.clock += 2000;
      ETD_INFO("command {} applied", "set_interval");
    }
  }
}

// A paced device's clock follows real time (never backwards), so the bridge's wall-clock
// mapping of its spans matches when they happened.
void advance_to_real_time(SimDevice& d, std::chrono::steady_clock::time_point started) {
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  const std::uint64_t now = 1000000ull * static_cast<std::uint64_t>(d.index) +
                            static_cast<std::uint64_t>(elapsed.count());
  d.clock = std::max(d.clock, now);
}

// Runs one command on the selected device: a span continuing the sender's trace.
void handle_command(SimDevice& d, std::string_view name, const et_remote_parent& parent) {
  // The device library copies string arguments into the frame: a NUL-terminated copy.
  const std::string command(name);
  ETD_SPAN_REMOTE("handle_command", parent);
  d.clock += 150;
  ETD_INFO("command {} received (device {})", command.c_str(), d.index);
  {
    ETD_SPAN("apply_command");
    d.clock += 1500;
    ETD_DEBUG("applied {}", command.c_str());
  }
  {
    ETD_SPAN("ack_command");
    d.clock += 300;
  }
}

// Runs the commands received so far, each on its device, whose frames are then published.
// `started`: the start of a paced run (the clocks follow real time), else null.
void run_commands(std::vector<SimDevice>& sims,
                  const std::chrono::steady_clock::time_point* started) {
  std::deque<std::pair<int, std::string>> pending;
  {
    std::lock_guard lock(g_mqtt->commands_mutex);
    pending.swap(g_mqtt->commands);
  }
  for (const auto& [index, payload] : pending) {
    std::string_view name;
    et_remote_parent parent;
    if (!edgetrace::sim::parse_command(payload, &name, &parent)) {
      ++g_mqtt->commands_rejected;
      std::fprintf(stderr,
                   "edgetrace-sim: device %d: not a command (\"<name> <traceparent>\"): %.80s\n",
                   index, payload.c_str());
      continue;
    }
    SimDevice& d = sims[static_cast<std::size_t>(index)];
    et_device_select(&d.device);
    if (started != nullptr) {
      advance_to_real_time(d, *started);
    }
    handle_command(d, name, parent);
    flush_mqtt(d);
    ++g_mqtt->commands_handled;
  }
  et_device_select(nullptr);
}

// This executable's call-site table, read from its ELF file as a bridge would; null (the
// reason printed) if it cannot be read.
std::shared_ptr<const edgetrace::decoder::EdgetraceTable> load_own_table() {
  auto elf = edgetrace::decoder::ElfFile::open("/proc/self/exe");
  if (!elf) {
    std::fprintf(stderr, "self-check: %s\n", elf.status().to_string().c_str());
    return nullptr;
  }
  auto parsed = edgetrace::decoder::EdgetraceTable::from_elf(*elf);
  if (!parsed) {
    std::fprintf(stderr, "self-check: %s\n", parsed.status().to_string().c_str());
    return nullptr;
  }
  return std::make_shared<const edgetrace::decoder::EdgetraceTable>(std::move(parsed).value());
}

// One device's stream under check: its own decoder over this executable's call-site table,
// fed as the bytes arrive. Not thread-safe (one connection's handler, or one thread).
class StreamCheck {
 public:
  StreamCheck(std::shared_ptr<const edgetrace::decoder::EdgetraceTable> table, int index)
      : table_(std::move(table)), index_(index), decoder_(table_, options(index)) {}

  void feed(std::span<const std::uint8_t> bytes) {
    decoder_.feed(bytes, [this](const edgetrace::decoder::Record& r) { count(r); });
  }
  // The stream ended, for `reason` (OK: the sender closed it).
  void finish(edgetrace::core::Status reason) {
    decoder_.finish([this](const edgetrace::decoder::Record& r) { count(r); });
    end_ = std::move(reason);
  }

  std::uint64_t events() const noexcept { return decoder_.counters().records; }

  // Checks the stream: handshakes announcing the ELF's build-id, `expected_events` records,
  // every frame valid and decoded, and an orderly end. Prints each problem on stderr and
  // returns their number.
  int failures(int expected_events) const {
    const edgetrace::decoder::DecoderCounters& c = decoder_.counters();
    const auto events = static_cast<int>(c.records);
    int failures = 0;
    if (handshakes_with_our_build_id_ == 0 ||
        static_cast<std::uint64_t>(handshakes_with_our_build_id_) != c.handshakes ||
        c.build_id_mismatches != 0) {
      std::fprintf(
          stderr, "self-check: connection %d: %d of %llu handshakes carry the ELF's build-id\n",
          index_, handshakes_with_our_build_id_, static_cast<unsigned long long>(c.handshakes));
      ++failures;
    }
    if (events != expected_events || c.lost_frames != 0 || c.corrupt_frames != 0 ||
        c.malformed_records != 0 || c.unknown_callsites != 0 || c.records_skipped != 0 ||
        c.bytes_skipped != 0) {
      std::fprintf(stderr,
                   "self-check: connection %d: %d events (expected %d), %llu lost, %llu corrupt, "
                   "%llu malformed, %llu unknown call sites, %llu skipped\n",
                   index_, events, expected_events, static_cast<unsigned long long>(c.lost_frames),
                   static_cast<unsigned long long>(c.corrupt_frames),
                   static_cast<unsigned long long>(c.malformed_records),
                   static_cast<unsigned long long>(c.unknown_callsites),
                   static_cast<unsigned long long>(c.records_skipped + c.bytes_skipped));
      ++failures;
    }
    if (!end_.ok()) {
      std::fprintf(stderr, "self-check: connection %d: ended with %s\n", index_,
                   end_.to_string().c_str());
      ++failures;
    }
    return failures;
  }

 private:
  static edgetrace::decoder::DecoderOptions options(int index) {
    edgetrace::decoder::DecoderOptions options;
    options.render = false;
    options.on_problem = [index](std::string_view problem) {
      std::fprintf(stderr, "self-check: connection %d: %.*s\n", index,
                   static_cast<int>(problem.size()), problem.data());
    };
    return options;
  }
  void count(const edgetrace::decoder::Record& r) {
    if (r.kind == edgetrace::decoder::RecordKind::kHandshake && !table_->build_id().empty() &&
        r.handshake.build_id == table_->build_id()) {
      ++handshakes_with_our_build_id_;
    }
  }

  std::shared_ptr<const edgetrace::decoder::EdgetraceTable> table_;
  int index_;
  edgetrace::decoder::StreamDecoder decoder_;
  int handshakes_with_our_build_id_ = 0;
  edgetrace::core::Status end_;
};

using StreamChecks = std::map<int, std::unique_ptr<StreamCheck>>;  // by stream index

// Reports the checked streams: one per device, each as StreamCheck::failures() expects.
// Returns the exit code.
int report(const StreamChecks& checks, const edgetrace::decoder::EdgetraceTable& table, int devices,
           int steps) {
  // Per device per step: 2 span enters + 2 exits + 2 logs; every 10th step a warning;
  // every 25th a command (enter, log, exit). Plus the handshake.
  const int per_device = 1 + 6 * steps + steps / 10 + 3 * (steps / 25);
  int failures = 0;
  std::uint64_t total = 0;
  if (static_cast<int>(checks.size()) != devices) {
    std::fprintf(stderr, "self-check: %zu streams, expected %d\n", checks.size(), devices);
    ++failures;
  }
  for (const auto& [index, check] : checks) {
    failures += check->failures(per_device);
    total += check->events();
  }
  std::printf("self-check: %d devices, %llu events decoded, %d failures, build-id %s\n", devices,
              static_cast<unsigned long long>(total), failures,
              table.build_id().empty() ? "missing" : "matches");
  return failures == 0 ? 0 : 1;
}

// --self-check over TCP: a TcpStreamListener on 127.0.0.1 (ephemeral port) accepts every
// device's connection; each connection's handler feeds its own StreamCheck as bytes arrive
// and hands it over when the connection closes, waking wait_closed(). Streams are numbered
// in accept order.
class Receiver {
 public:
  Receiver(std::shared_ptr<const edgetrace::decoder::EdgetraceTable> table, int devices)
      : table_(std::move(table)),
        listener_({.listen = "127.0.0.1:0",
                   .io_threads = 1,
                   // Room for every device and as many reconnections; the rest would be refused.
                   .max_connections = 2 * static_cast<std::size_t>(devices),
                   .read_buffer_bytes = 4096},
                  [this](edgetrace::net::TcpStreamControl, std::string_view) {
                    std::lock_guard lock(mutex_);
                    return std::make_unique<Handler>(*this, opened_++);
                  }) {}

  edgetrace::core::Status start() { return listener_.start(); }
  std::uint16_t port() const noexcept { return listener_.port(); }

  // Blocks until at least `expected` connections were accepted and every accepted one was
  // closed, or `deadline`. Returns whether they were.
  bool wait_closed(int expected, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return closed_cv_.wait_until(lock, deadline,
                                 [&] { return opened_ >= expected && closed_ == opened_; });
  }

  // Stops the listener (a connection still open ends with kCancelled) and returns every
  // connection's check.
  StreamChecks finish() {
    listener_.stop();
    std::lock_guard lock(mutex_);
    return std::move(checks_);
  }

  // Connections accepted and closed so far.
  std::pair<int, int> connections() {
    std::lock_guard lock(mutex_);
    return {opened_, closed_};
  }

 private:
  class Handler final : public edgetrace::net::TcpStreamHandler {
   public:
    Handler(Receiver& receiver, int index)
        : receiver_(receiver),
          index_(index),
          check_(std::make_unique<StreamCheck>(receiver.table_, index)) {}

    edgetrace::net::StreamAction on_data(std::span<const std::uint8_t> bytes) override {
      check_->feed(bytes);
      return edgetrace::net::StreamAction::kContinue;
    }
    void on_close(const edgetrace::core::Status& reason) override {
      check_->finish(reason);
      {
        std::lock_guard lock(receiver_.mutex_);
        receiver_.checks_[index_] = std::move(check_);
        ++receiver_.closed_;
      }
      receiver_.closed_cv_.notify_all();
    }

   private:
    Receiver& receiver_;
    int index_;
    std::unique_ptr<StreamCheck> check_;
  };

  std::shared_ptr<const edgetrace::decoder::EdgetraceTable> table_;
  std::mutex mutex_;
  std::condition_variable closed_cv_;
  int opened_ = 0;  // handlers created, guarded by mutex_
  int closed_ = 0;  // handlers closed, guarded by mutex_
  StreamChecks checks_;
  // Last: destroyed (stopped) first, while everything its handlers use is alive.
  edgetrace::net::TcpStreamListener listener_;
};

bool init_device(SimDevice& d, int i, int (*send)(void*, const std::uint8_t*, std::size_t)) {
  d.index = i;
  std::memcpy(d.id, "sim", 3);
  d.id[4] = static_cast<std::uint8_t>(i >> 24);
  d.id[5] = static_cast<std::uint8_t>(i >> 16);
  d.id[6] = static_cast<std::uint8_t>(i >> 8);
  d.id[7] = static_cast<std::uint8_t>(i);
  d.clock = 1000000ull * static_cast<std::uint64_t>(i);
  et_callback_init(&d.callback, send, &d);
  et_device_config cfg = ETD_DEVICE_CONFIG_INIT;
  cfg.transport = et_callback_transport(&d.callback);
  cfg.tick64 = sim_tick;
  cfg.tick_hz = 1000000;
  cfg.build_id_note = g_build_id_note.empty() ? nullptr : g_build_id_note.data();
  cfg.device_id = d.id;
  cfg.device_id_len = sizeof d.id;
  cfg.boot_counter = 1;
  cfg.handshake_period_ticks = 10000000;  // 10 s of device time
  if (et_device_init(&d.device, &cfg) == 0) {
    std::fprintf(stderr, "edgetrace-sim: device init failed\n");
    return false;
  }
  return true;
}

// The device id init_device gives device `i`, in hex: the id level of its MQTT topics.
std::string device_id_hex(int i) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "73696d00%08x", static_cast<unsigned>(i));  // "sim\0" + index
  return hex;
}

// Waits up to `seconds` for `done` to hold, polling every 10 ms.
template <typename F>
bool wait_for(F done, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

int run_mqtt(const std::string& endpoint, const std::string& prefix, int devices, int steps,
             int interval_ms, unsigned seed, bool check, int qos) {
  std::string host;
  int port = 0;
  if (!split_endpoint(endpoint, &host, &port)) {
    std::fprintf(stderr, "edgetrace-sim: --mqtt needs host:port\n");
    return 2;
  }
  dl_iterate_phdr(find_build_id, nullptr);
  mosquitto_lib_init();
  MqttState state;
  state.qos = qos;
  g_mqtt = &state;
  MqttReceiver rx;
  int result = 1;
  std::vector<SimDevice> sims(static_cast<std::size_t>(devices));
  g_devices = &sims;

  auto cleanup = [&] {
    for (mosquitto* m : {state.client, rx.client}) {
      if (m != nullptr) {
        mosquitto_disconnect(m);
        mosquitto_loop_stop(m, false);
        mosquitto_destroy(m);
      }
    }
    state.client = rx.client = nullptr;
    et_device_select(nullptr);
    g_mqtt = nullptr;
    mosquitto_lib_cleanup();
  };

  if (check) {
    rx.client = mosquitto_new(nullptr, true, &rx);
    if (rx.client == nullptr) {
      std::fprintf(stderr, "edgetrace-sim: mosquitto_new failed\n");
      cleanup();
      return 1;
    }
    static std::string sub_topic;
    sub_topic = prefix + "/+/frames";
    mosquitto_connect_callback_set(rx.client, [](mosquitto* m, void*, int rc) {
      if (rc == 0) {
        mosquitto_subscribe(m, nullptr, sub_topic.c_str(), 1);
      }
    });
    mosquitto_subscribe_callback_set(rx.client, [](mosquitto*, void* obj, int, int, const int*) {
      static_cast<MqttReceiver*>(obj)->subscribed = true;
    });
    mosquitto_message_callback_set(rx.client,
                                   [](mosquitto*, void* obj, const mosquitto_message* msg) {
                                     auto* r = static_cast<MqttReceiver*>(obj);
                                     const auto* p = static_cast<const std::uint8_t*>(msg->payload);
                                     std::lock_guard lock(r->mutex);
                                     auto& s = r->by_topic[msg->topic];
                                     s.insert(s.end(), p, p + msg->payloadlen);
                                     r->bytes += static_cast<std::uint64_t>(msg->payloadlen);
                                   });
    if (mosquitto_connect(rx.client, host.c_str(), port, 30) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(rx.client) != MOSQ_ERR_SUCCESS ||
        !wait_for([&] { return rx.subscribed.load(); }, 10)) {
      std::fprintf(stderr, "edgetrace-sim: self-check subscriber could not subscribe on %s\n",
                   endpoint.c_str());
      cleanup();
      return 1;
    }
  }

  state.client = mosquitto_new(nullptr, true, &state);
  if (state.client == nullptr) {
    std::fprintf(stderr, "edgetrace-sim: mosquitto_new failed\n");
    cleanup();
    return 1;
  }
  mosquitto_int_option(state.client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_disconnect_callback_set(state.client, [](mosquitto*, void* obj, int) {
    static_cast<MqttState*>(obj)->connected = false;
  });
  mosquitto_publish_callback_set(
      state.client, [](mosquitto*, void* obj, int) { --static_cast<MqttState*>(obj)->pending; });
  // Every device's command topic, subscribed on each connection (the session is not kept).
  state.prefix = prefix;
  for (int i = 0; i < devices; ++i) {
    state.command_topics.push_back(prefix + "/" + device_id_hex(i) + "/commands");
    state.device_by_command_topic.emplace(state.command_topics.back(), i);
  }
  mosquitto_connect_callback_set(state.client, [](mosquitto* m, void* obj, int rc) {
    if (rc != 0) {
      return;
    }
    auto* st = static_cast<MqttState*>(obj);
    for (const std::string& topic : st->command_topics) {
      mosquitto_subscribe(m, nullptr, topic.c_str(), 1);
    }
    ++st->generation;
    st->connected = true;
  });
  mosquitto_subscribe_callback_set(state.client, [](mosquitto*, void* obj, int, int, const int*) {
    auto* st = static_cast<MqttState*>(obj);
    // Once every topic of the first connection is acknowledged, a script may send commands.
    if (++st->command_subacks == st->command_topics.size()) {
      std::printf(
          "edgetrace-sim: %zu devices started, listening for commands on "
          "%s/<device-id>/commands\n",
          st->command_topics.size(), st->prefix.c_str());
      std::fflush(stdout);
    }
  });
  mosquitto_message_callback_set(
      state.client, [](mosquitto*, void* obj, const mosquitto_message* msg) {
        auto* st = static_cast<MqttState*>(obj);
        const auto it = st->device_by_command_topic.find(std::string_view(msg->topic));
        if (it == st->device_by_command_topic.end() || msg->payloadlen > 256) {
          ++st->commands_rejected;
          return;
        }
        std::string payload(static_cast<const char*>(msg->payload),
                            static_cast<std::size_t>(std::max(msg->payloadlen, 0)));
        std::lock_guard lock(st->commands_mutex);
        st->commands.emplace_back(it->second, std::move(payload));
      });
  mosquitto_reconnect_delay_set(state.client, 1, 10, true);
  // The first connection is made here; later ones by the network thread.
  if (mosquitto_connect(state.client, host.c_str(), port, 30) != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "edgetrace-sim: could not connect to the MQTT broker at %s\n",
                 endpoint.c_str());
  }
  mosquitto_loop_start(state.client);
  wait_for([&] { return state.connected.load(); }, 5);

  for (int i = 0; i < devices; ++i) {
    SimDevice& d = sims[static_cast<std::size_t>(i)];
    // Connected: the handshake et_device_init sends opens the first batch. Not yet: the
    // device sends it once the client is connected.
    d.generation = state.connected ? state.generation.load() : 0;
    if (!init_device(d, i, send_frame_mqtt)) {
      cleanup();
      return 1;
    }
    d.id_hex = device_id_hex(i);
    d.topic = prefix + "/" + d.id_hex + "/frames";
  }

  std::mt19937 rng(seed);
  const auto started = std::chrono::steady_clock::now();
  const bool paced = steps == 0 || interval_ms > 0;
  for (int step = 0; (steps == 0 || step < steps) && g_stop == 0; ++step) {
    const auto round_end =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms);
    for (auto& d : sims) {
      et_device_select(&d.device);
      if (d.generation != state.generation && state.connected) {
        d.generation = state.generation;
        ++d.reconnects;
        d.callback.seq = 0;  // a new connection is a new stream
        et_device_handshake(&d.device);
      }
      if (paced) {
        advance_to_real_time(d, started);
      }
      workload_step(d, step, rng);
      flush_mqtt(d);
    }
    // Commands wait at most 20 ms while the round's interval passes.
    do {
      run_commands(sims, paced ? &started : nullptr);
      const auto left = round_end - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        break;
      }
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(20)));
    } while (g_stop == 0);
  }
  run_commands(sims, paced ? &started : nullptr);
  et_device_select(nullptr);
  const bool acked = wait_for([&] { return state.pending.load() == 0; }, 20);
  std::uint64_t frames = 0;
  std::uint64_t lost = 0;
  for (auto& d : sims) {
    frames += d.frames;
    lost += d.callback.rejected;
  }
  std::printf(
      "edgetrace-sim: %d devices, %llu frames in %llu MQTT messages (%llu bytes), %llu not "
      "delivered, %lld unacknowledged; %llu commands handled, %llu rejected\n",
      devices, static_cast<unsigned long long>(frames),
      static_cast<unsigned long long>(state.messages), static_cast<unsigned long long>(state.bytes),
      static_cast<unsigned long long>(lost), static_cast<long long>(state.pending.load()),
      static_cast<unsigned long long>(state.commands_handled),
      static_cast<unsigned long long>(state.commands_rejected.load()));
  if (!check) {
    result = acked ? 0 : 1;
    cleanup();
    return result;
  }
  // Every acknowledged byte reaches the subscriber (QoS 1 both ways), in order per topic.
  wait_for([&] { return rx.received() >= state.bytes; }, 20);
  const auto streams = rx.streams();
  cleanup();
  const auto table = load_own_table();
  if (table == nullptr) {
    return 1;
  }
  StreamChecks checks;
  for (const auto& [index, bytes] : streams) {
    auto stream = std::make_unique<StreamCheck>(table, index);
    stream->feed(bytes);
    stream->finish({});
    checks[index] = std::move(stream);
  }
  return report(checks, *table, devices, steps);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "edgetrace-sim: N simulated devices streaming the device wire format over TCP or MQTT"};
  int devices = 10;
  int steps = 100;
  int interval_ms = 0;
  std::string endpoint;
  std::string mqtt_endpoint;
  std::string topic_prefix = "edgetrace";  // edgetraced's default topic: edgetrace/+/frames
  bool check = false;
  unsigned seed = 1;
  app.add_option("--devices", devices, "number of devices")->check(CLI::Range(1, 10000));
  app.add_option("--steps", steps, "workload steps per device; 0: until SIGINT/SIGTERM")
      ->check(CLI::Range(0, 100000000));
  app.add_option("--interval-ms", interval_ms,
                 "time between rounds of steps (with --steps 0, 1000 by default)")
      ->check(CLI::Range(0, 60000));
  app.add_option("--connect", endpoint, "host:port of the receiver (IPv4)");
  app.add_option("--mqtt", mqtt_endpoint, "host:port of an MQTT broker (IPv4) to publish to");
  app.add_option("--topic-prefix", topic_prefix, "MQTT topics are <prefix>/<device-id>/frames");
  int qos = 1;
  app.add_option("--qos", qos, "MQTT QoS of the published messages (0 or 1)")
      ->check(CLI::Range(0, 1));
  app.add_flag("--self-check", check,
               "run a local receiver (with --mqtt: subscribe to the broker) and verify every "
               "stream");
  app.add_option("--seed", seed, "random seed of the workload");
  CLI11_PARSE(app, argc, argv);
  const bool mqtt = !mqtt_endpoint.empty();
  if (mqtt ? !endpoint.empty() : check == !endpoint.empty()) {
    std::fprintf(stderr,
                 "edgetrace-sim: give exactly one of --connect, --self-check and --mqtt "
                 "(--mqtt may add --self-check)\n");
    return 2;
  }
  if (steps == 0 && check) {
    std::fprintf(stderr, "edgetrace-sim: --self-check needs a number of --steps\n");
    return 2;
  }
  if (steps == 0 && interval_ms == 0) {
    interval_ms = 1000;
  }
  struct sigaction stop {};
  stop.sa_handler = on_stop_signal;
  sigemptyset(&stop.sa_mask);
  sigaction(SIGINT, &stop, nullptr);
  sigaction(SIGTERM, &stop, nullptr);
  if (mqtt && (topic_prefix.empty() || topic_prefix.find_first_of("+#") != std::string::npos)) {
    std::fprintf(stderr, "edgetrace-sim: --topic-prefix must be non-empty, without + or #\n");
    return 2;
  }
  if (mqtt) {
    return run_mqtt(mqtt_endpoint, topic_prefix, devices, steps, interval_ms, seed, check, qos);
  }
  dl_iterate_phdr(find_build_id, nullptr);

  std::shared_ptr<const edgetrace::decoder::EdgetraceTable> table;
  std::unique_ptr<Receiver> rx;
  if (check) {
    table = load_own_table();
    if (table == nullptr) {
      return 1;
    }
    rx = std::make_unique<Receiver>(table, devices);
    if (const auto st = rx->start(); !st.ok()) {
      std::fprintf(stderr, "edgetrace-sim: listen on 127.0.0.1: %s\n", st.to_string().c_str());
      return 1;
    }
    g_port = rx->port();
  } else {
    const auto colon = endpoint.rfind(':');
    if (colon == std::string::npos) {
      std::fprintf(stderr, "edgetrace-sim: --connect needs host:port\n");
      return 2;
    }
    g_host = endpoint.substr(0, colon);
    g_port = std::atoi(endpoint.c_str() + colon + 1);
  }

  std::vector<SimDevice> sims(static_cast<std::size_t>(devices));
  g_devices = &sims;
  for (int i = 0; i < devices; ++i) {
    SimDevice& d = sims[static_cast<std::size_t>(i)];
    d.fd = dial();
    if (!init_device(d, i, send_frame)) {
      return 1;
    }
  }

  std::mt19937 rng(seed);
  std::uint64_t lost = 0;
  for (int step = 0; (steps == 0 || step < steps) && g_stop == 0; ++step) {
    for (auto& d : sims) {
      if (d.fd < 0) {
        d.fd = dial();
        if (d.fd < 0) {
          continue;  // device offline this round; its records are dropped and counted
        }
        ++d.reconnects;
        d.callback.seq = 0;  // a new connection is a new stream
        et_device_select(&d.device);
        et_device_handshake(&d.device);
      }
      et_device_select(&d.device);
      workload_step(d, step, rng);
    }
    if (interval_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
  }
  std::uint64_t frames = 0;
  for (auto& d : sims) {
    frames += d.frames;
    lost += d.callback.rejected;
    if (d.fd >= 0) {
      ::shutdown(d.fd, SHUT_WR);
      ::close(d.fd);
    }
  }
  et_device_select(nullptr);
  std::printf("edgetrace-sim: %d devices, %llu frames sent, %llu not delivered\n", devices,
              static_cast<unsigned long long>(frames), static_cast<unsigned long long>(lost));
  if (check) {
    // Every connection was closed above: the receiver has the rest of the streams in its
    // socket buffers and reads them out.
    if (!rx->wait_closed(devices, std::chrono::steady_clock::now() + std::chrono::seconds(30))) {
      const auto [accepted, closed] = rx->connections();
      std::fprintf(stderr,
                   "self-check: after 30 s, %d of %d expected connections accepted, %d closed\n",
                   accepted, devices, closed);
    }
    return report(rx->finish(), *table, devices, steps);
  }
  return 0;
}
