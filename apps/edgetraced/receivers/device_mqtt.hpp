// DeviceMqttReceiver: device streams from an MQTT broker (MQTT 5, QoS 1, libmosquitto), one
// DeviceStream per device.
//
//   DeviceMqttReceiver mqtt({.url = "mqtt://127.0.0.1:1883", .group = "edgetraced"}, pipeline);
//   if (core::Status s = mqtt.start(); !s.ok()) ...   // bad options; a broker that is down
//   ...                                               // is retried with backoff, not an error
//   mqtt.stop();
//
// Devices. The device id of a message is its `device-id` MQTT 5 user property or else the
// topic level that the `+` of `topic` matches (hex such as "73696d0000000001" is decoded to
// its bytes; other text is taken as bytes). A `build-id` user property (hex) names the
// firmware without waiting for a handshake. The payloads of one device, in arrival order, are
// its byte stream: a frame may span messages. A device with no message for
// `device_idle_timeout` has its stream finished (open spans end as incomplete); at most
// `max_devices` are open, messages of further devices are counted
// (edgetraced_mqtt_devices_refused_total) and dropped.
//
// Acknowledgement. libmosquitto 2.0 (the version this is built with) has no manual
// acknowledgement: it queues the PUBACK of a QoS 1 message before calling the message
// callback, and its network thread writes it only after the callback returns. The payload is
// therefore fed to the pipeline inside the callback, so the PUBACK leaves only after feed()
// has put the data in the durable queue. If feed() fails (the queue refused it), the
// callback shuts the socket down before returning, so the queued PUBACK is never written:
// the broker keeps the message in the session (clean_start false, session_expiry) and
// redelivers it after the reconnection.
//
// Duplicates. QoS 1 is at-least-once: a message is redelivered when its PUBACK was lost, and
// a shared-subscription group can hand it to another member. Every frame goes through the
// stream's accept_frame: each device keeps the (sequence number, hash of record bytes) of
// its last kDuplicateWindow accepted frames; a frame equal to one of them is skipped and
// counted (edgetraced_frames_duplicate_total). A handshake not seen before (a reboot or a
// new connection of the device) empties the window. The window is below the 128 sequence
// numbers, so two genuine frames never match. A redelivered message that starts in the
// middle of a frame gives one piece that fails its CRC (counted corrupt, nothing exported
// twice). Two daemons of a group that both get the same message (a broker redelivering to
// another member) cannot see each other's windows and may export it twice.
//
// Groups. The broker hands each message to one member of a group, so one device's
// messages are spread over the group's daemons: each daemon's stream of that device has
// gaps, which its decoder counts in edgetraced_frames_lost_total (the frames went to another
// member, they are not lost) and after which device times are uncertain until the next
// handshake. Spans and logs are complete (a span's exit frame carries the whole span).
//
// Thread-safety: as Receiver. Messages are fed on libmosquitto's network thread; a sweeper
// thread finishes idle devices. stop() disconnects, joins both threads and finishes every
// stream. Allocation: each message's payload is copied by libmosquitto; the receiver keeps
// one small record per device.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "edgetrace/decoder/decoder.hpp"
#include "pipeline/device_pipeline.hpp"
#include "pipeline/receiver.hpp"

struct mosquitto;
struct mosquitto_message;
struct mqtt5__property;

namespace edgetrace::daemon {

// Frames of a device remembered to recognise redelivered ones (below 128, the sequence
// numbers' period).
inline constexpr std::size_t kDuplicateWindow = 96;

struct DeviceMqttOptions {
  // mqtt://host[:port] (1883) or mqtts://host[:port] (8883, TLS with tls_ca_file).
  std::string url = "mqtt://127.0.0.1:1883";
  // Topic filter; its `+` level is the device id. Subscribed with QoS 1.
  std::string topic = "edgetrace/+/frames";
  // Empty: a plain subscription. Otherwise `$share/<group>/<topic>`: the daemons of a group
  // split the devices' messages between them.
  std::string group;
  // Empty: "edgetraced-<hostname>-<pid>". A persistent session (messages queued while the
  // daemon is down) needs the same client id at the next start: set it explicitly.
  std::string client_id;
  std::string username;       // empty: none
  std::string password_file;  // read with config::read_token_file; empty: no password
  std::string tls_ca_file;    // CA certificates (PEM) for mqtts://
  std::chrono::seconds keepalive{30};
  std::chrono::seconds reconnect_min{1};  // backoff doubles up to reconnect_max
  std::chrono::seconds reconnect_max{30};
  // false: the broker keeps the session (subscription and unacknowledged QoS 1 messages)
  // for session_expiry after a disconnection, and delivers what arrived meanwhile.
  bool clean_start = false;
  std::chrono::seconds session_expiry{3600};
  // QoS 1 messages in flight from the broker at once (1..65535).
  int receive_maximum = 64;
  std::chrono::milliseconds device_idle_timeout{300000};
  std::size_t max_devices = 100000;
  decoder::StreamFormat format = decoder::StreamFormat::kEdgetrace;
  // Lines for the daemon's log (connection refused by the broker, lost connection...).
  std::function<void(std::string_view)> log{};
};

struct DeviceMqttCounters {
  std::atomic<std::uint64_t> messages{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> reconnects{0};  // connections after the first
  std::atomic<std::uint64_t> connected{0};   // gauge: 1 while connected and subscribed
  std::atomic<std::uint64_t> devices{0};     // gauge
  std::atomic<std::uint64_t> devices_refused{0};
  std::atomic<std::uint64_t> refused_feeds{0};  // feed() failed: not acknowledged
};

class DeviceMqttReceiver : public Receiver {
 public:
  DeviceMqttReceiver(DeviceMqttOptions options, DevicePipeline& pipeline);
  ~DeviceMqttReceiver() override;
  DeviceMqttReceiver(const DeviceMqttReceiver&) = delete;
  DeviceMqttReceiver& operator=(const DeviceMqttReceiver&) = delete;

  std::string_view name() const noexcept override { return "device_mqtt"; }
  // Errors (kInvalidArgument): a bad url, topic, option or password file. A broker that
  // cannot be reached is not an error: the receiver retries and ready() stays false.
  core::Status start() override;
  void stop() override;
  void write_metrics(MetricsText& out) const override;
  // Connected and subscribed.
  bool ready() const override { return counters_.connected.load() != 0; }
  const DeviceMqttCounters& counters() const noexcept { return counters_; }

 private:
  struct Device;
  static void on_connect(mosquitto* m, void* self, int rc, int flags, const mqtt5__property* props);
  static void on_subscribe(mosquitto* m, void* self, int mid, int count, const int* granted,
                           const mqtt5__property* props);
  static void on_disconnect(mosquitto* m, void* self, int rc, const mqtt5__property* props);
  static void on_message(mosquitto* m, void* self, const mosquitto_message* msg,
                         const mqtt5__property* props);
  void handle(mosquitto* m, const mosquitto_message& msg, const mqtt5__property* props);
  void sweep();

  DeviceMqttOptions options_;
  DevicePipeline& pipeline_;
  DeviceMqttCounters counters_;
  std::string subscription_;
  std::size_t device_level_ = 0;  // topic level of the `+`; npos: none
  mosquitto* client_ = nullptr;
  bool loop_started_ = false;
  bool ever_connected_ = false;  // network thread only

  std::mutex mu_;  // devices_, stopping_
  std::map<std::string, std::unique_ptr<Device>, std::less<>> devices_;
  bool stopping_ = false;
  std::condition_variable sweep_cv_;
  std::thread sweeper_;
};

}  // namespace edgetrace::daemon
