#include "receivers/device_mqtt.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>
#include <vector>

#include "edgetrace/config/loader.hpp"
#include "edgetrace/core/ids.hpp"

namespace edgetrace::daemon {
namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t fnv1a(std::span<const std::uint8_t> bytes) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

bool is_hex(std::string_view text) noexcept {
  return !text.empty() && text.size() % 2 == 0 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

core::Bytes hex_bytes(std::string_view text) {
  core::Bytes out(text.size() / 2);
  if (core::internal::decode_hex(text, out, core::HexCase::kAny) >= 0)
    return {};
  return out;
}

// A device id as bytes: hex text decoded, other text as it is.
core::Bytes device_id_bytes(std::string_view text) {
  if (is_hex(text))
    return hex_bytes(text);
  return core::Bytes(text.begin(), text.end());
}

std::vector<std::string_view> split_levels(std::string_view topic) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = topic.find('/', start);
    out.push_back(topic.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos)
      return out;
    start = slash + 1;
  }
}

struct Endpoint {
  std::string host;
  int port = 0;
  bool tls = false;
};

core::Result<Endpoint> parse_url(std::string_view url) {
  Endpoint e;
  std::string_view rest;
  if (url.starts_with("mqtt://")) {
    rest = url.substr(7);
    e.port = 1883;
  } else if (url.starts_with("mqtts://")) {
    rest = url.substr(8);
    e.port = 8883;
    e.tls = true;
  } else {
    return core::Status(
        core::StatusCode::kInvalidArgument,
        "url '" + std::string(url) + "': expected mqtt://host[:port] or " + "mqtts://host[:port]");
  }
  if (!rest.empty() && rest.back() == '/')
    rest.remove_suffix(1);
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos)
      return core::Status(core::StatusCode::kInvalidArgument,
                          "url '" + std::string(url) + "': unclosed [ of an IPv6 address");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':')
        return core::Status(core::StatusCode::kInvalidArgument,
                            "url '" + std::string(url) + "': expected :port after ]");
      port = rest.substr(close + 2);
    }
  } else if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty() || host.find('/') != std::string_view::npos)
    return core::Status(core::StatusCode::kInvalidArgument,
                        "url '" + std::string(url) + "': no host");
  if (!port.empty()) {
    int p = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || p > 65535) {
        p = -1;
        break;
      }
      p = p * 10 + (c - '0');
    }
    if (p < 1 || p > 65535)
      return core::Status(core::StatusCode::kInvalidArgument,
                          "url '" + std::string(url) + "': port must be 1..65535");
    e.port = p;
  }
  e.host = std::string(host);
  return e;
}

std::string default_client_id() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0)
    host[0] = '\0';
  return "edgetraced-" + std::string(host.data()) + "-" + std::to_string(::getpid());
}

// The value of the first user property `name`, if any.
std::optional<std::string> user_property(const mosquitto_property* props, std::string_view name) {
  const mosquitto_property* p = props;
  bool skip = false;
  while (p != nullptr) {
    char* key = nullptr;
    char* value = nullptr;
    p = mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &key, &value, skip);
    skip = true;
    if (p == nullptr)
      break;
    std::optional<std::string> found;
    if (key != nullptr && name == key && value != nullptr)
      found = std::string(value);
    std::free(key);
    std::free(value);
    if (found)
      return found;
  }
  return std::nullopt;
}

void lib_init() {
  static const int once = mosquitto_lib_init();
  (void)once;
}

// The recent frames of one device, to recognise redelivered ones: per sequence number the
// hash of the last record accepted with it and when (in accepted frames). Guarded by its own
// mutex: the stream may call accept_frame on the pipeline's retry thread (a held stream).
class DuplicateWindow {
 public:
  bool accept(std::span<const std::uint8_t> record, std::uint8_t seq) {
    std::lock_guard lock(mu_);
    const std::uint64_t hash = fnv1a(record);
    Slot& slot = slots_[seq & 0x7f];
    if (slot.used && accepted_ - slot.at < kDuplicateWindow && slot.hash == hash)
      return false;
    // A new handshake with sequence 0 (docs/wire-format.md): the device restarted or
    // reconnected, its sequence numbers start again.
    if (seq == 0 && !record.empty() && record[0] == 0)
      slots_.fill(Slot{});
    slot = Slot{.hash = hash, .at = ++accepted_, .used = true};
    return true;
  }
  // Before a message is fed, and to undo what it added when the pipeline refused it (the
  // broker redelivers it: its frames must be accepted then).
  void begin() {
    std::lock_guard lock(mu_);
    saved_slots_ = slots_;
    saved_accepted_ = accepted_;
  }
  void rollback() {
    std::lock_guard lock(mu_);
    slots_ = saved_slots_;
    accepted_ = saved_accepted_;
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::uint64_t at = 0;
    bool used = false;
  };
  std::mutex mu_;
  std::array<Slot, 128> slots_{};
  std::uint64_t accepted_ = 0;
  std::array<Slot, 128> saved_slots_{};
  std::uint64_t saved_accepted_ = 0;
};

}  // namespace

struct DeviceMqttReceiver::Device {
  std::shared_ptr<DuplicateWindow> window;
  std::shared_ptr<DeviceStream> stream;
  core::Bytes build_id;
  Clock::time_point last_message;
};

DeviceMqttReceiver::DeviceMqttReceiver(DeviceMqttOptions options, DevicePipeline& pipeline)
    : options_(std::move(options)), pipeline_(pipeline) {}

DeviceMqttReceiver::~DeviceMqttReceiver() {
  stop();
}

core::Status DeviceMqttReceiver::start() {
  auto invalid = [](const std::string& what) {
    return core::Status(core::StatusCode::kInvalidArgument, "receivers.device_mqtt: " + what);
  };
  core::Result<Endpoint> endpoint = parse_url(options_.url);
  if (!endpoint)
    return invalid(endpoint.status().message());
  const std::string& topic = options_.topic;
  if (topic.empty() || topic.starts_with("$share/"))
    return invalid("topic must be a topic filter (use group for a shared subscription)");
  const std::vector<std::string_view> levels = split_levels(topic);
  device_level_ = std::string_view::npos;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i] == "+" && device_level_ == std::string_view::npos)
      device_level_ = i;
    if (levels[i].find_first_of("+#") != std::string_view::npos && levels[i] != "+" &&
        !(levels[i] == "#" && i + 1 == levels.size()))
      return invalid("topic '" + topic + "': + and # must be whole levels, # the last");
  }
  if (options_.group.find_first_of("/+#") != std::string::npos)
    return invalid("group '" + options_.group + "' must not contain /, + or #");
  subscription_ = options_.group.empty() ? topic : "$share/" + options_.group + "/" + topic;
  if (options_.receive_maximum < 1 || options_.receive_maximum > 65535)
    return invalid("receive_maximum must be 1..65535");
  if (options_.keepalive.count() != 0 &&
      (options_.keepalive.count() < 5 || options_.keepalive.count() > 65535))
    return invalid("keepalive must be 0 or 5..65535 seconds");
  if (options_.reconnect_min.count() < 1 || options_.reconnect_max < options_.reconnect_min)
    return invalid("reconnect_min must be at least 1 s and reconnect_max at least reconnect_min");
  if (options_.max_devices == 0)
    return invalid("max_devices must be at least 1");
  if (options_.device_idle_timeout.count() <= 0)
    return invalid("device_idle_timeout must be positive");
  std::string password;
  if (!options_.password_file.empty()) {
    core::Result<std::string> read = config::read_token_file(options_.password_file);
    if (!read)
      return invalid("password_file: " + read.status().message());
    password = std::move(read).value();
  }
  const std::string client_id =
      options_.client_id.empty() ? default_client_id() : options_.client_id;

  lib_init();
  pipeline_.receiver("device_mqtt");
  client_ = mosquitto_new(client_id.c_str(), options_.clean_start, this);
  if (client_ == nullptr)
    return invalid("cannot create the MQTT client (client_id '" + client_id + "')");
  mosquitto_int_option(client_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_int_option(client_, MOSQ_OPT_RECEIVE_MAXIMUM, options_.receive_maximum);
  mosquitto_int_option(client_, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_connect_v5_callback_set(client_, &DeviceMqttReceiver::on_connect);
  mosquitto_disconnect_v5_callback_set(client_, &DeviceMqttReceiver::on_disconnect);
  mosquitto_message_v5_callback_set(client_, &DeviceMqttReceiver::on_message);
  mosquitto_subscribe_v5_callback_set(client_, &DeviceMqttReceiver::on_subscribe);
  mosquitto_reconnect_delay_set(client_, static_cast<unsigned>(options_.reconnect_min.count()),
                                static_cast<unsigned>(options_.reconnect_max.count()), true);
  if (!options_.username.empty() &&
      mosquitto_username_pw_set(client_, options_.username.c_str(),
                                options_.password_file.empty() ? nullptr : password.c_str()) !=
          MOSQ_ERR_SUCCESS) {
    stop();
    return invalid("username or password not accepted by the MQTT client library");
  }
  if (endpoint->tls) {
    const int rc = options_.tls_ca_file.empty()
                       ? mosquitto_int_option(client_, MOSQ_OPT_TLS_USE_OS_CERTS, 1)
                       : mosquitto_tls_set(client_, options_.tls_ca_file.c_str(), nullptr, nullptr,
                                           nullptr, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      stop();
      return invalid("tls_ca_file '" + options_.tls_ca_file + "': " + mosquitto_strerror(rc));
    }
  }
  mosquitto_property* props = nullptr;
  if (!options_.clean_start)
    mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                 static_cast<std::uint32_t>(options_.session_expiry.count()));
  // Blocks for the TCP connection only; the MQTT handshake and every later connection are
  // the network thread's. A broker that is down now is retried with backoff.
  const int rc =
      mosquitto_connect_bind_v5(client_, endpoint->host.c_str(), endpoint->port,
                                static_cast<int>(options_.keepalive.count()), nullptr, props);
  mosquitto_property_free_all(&props);
  if (rc != MOSQ_ERR_SUCCESS && options_.log)
    options_.log("receivers.device_mqtt: " + options_.url + ": " + mosquitto_strerror(rc) +
                 "; retrying");
  if (rc == MOSQ_ERR_INVAL || rc == MOSQ_ERR_NOT_SUPPORTED) {
    stop();
    return invalid(options_.url + ": " + mosquitto_strerror(rc));
  }
  if (const int lrc = mosquitto_loop_start(client_); lrc != MOSQ_ERR_SUCCESS) {
    stop();
    return invalid(std::string("cannot start the MQTT network thread: ") + mosquitto_strerror(lrc));
  }
  loop_started_ = true;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  sweeper_ = std::thread([this] { sweep(); });
  return {};
}

void DeviceMqttReceiver::stop() {
  if (client_ != nullptr) {
    mosquitto_disconnect(client_);
    if (loop_started_)
      mosquitto_loop_stop(client_, false);
    loop_started_ = false;
    mosquitto_destroy(client_);
    client_ = nullptr;
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  sweep_cv_.notify_all();
  if (sweeper_.joinable())
    sweeper_.join();
  std::lock_guard lock(mu_);
  for (auto& [id, device] : devices_)
    (void)device->stream->finish();
  devices_.clear();
  counters_.devices.store(0);
  counters_.connected.store(0);
}

void DeviceMqttReceiver::on_connect(mosquitto* m, void* self, int rc, int,
                                    const mosquitto_property*) {
  auto* r = static_cast<DeviceMqttReceiver*>(self);
  if (rc != 0) {
    if (r->options_.log)
      r->options_.log("receivers.device_mqtt: " + r->options_.url +
                      " refused the connection: " + mosquitto_reason_string(rc));
    return;
  }
  if (r->ever_connected_)
    r->counters_.reconnects.fetch_add(1, std::memory_order_relaxed);
  r->ever_connected_ = true;
  // Ready once the broker granted the subscription (on_subscribe), not at the CONNACK.
  const int sub = mosquitto_subscribe_v5(m, nullptr, r->subscription_.c_str(), 1, 0, nullptr);
  if (sub != MOSQ_ERR_SUCCESS && r->options_.log)
    r->options_.log("receivers.device_mqtt: subscribe to '" + r->subscription_ +
                    "': " + mosquitto_strerror(sub));
}

void DeviceMqttReceiver::on_subscribe(mosquitto*, void* self, int, int count, const int* granted,
                                      const mosquitto_property*) {
  auto* r = static_cast<DeviceMqttReceiver*>(self);
  if (count >= 1 && granted[0] <= 2) {
    r->counters_.connected.store(1);
    return;
  }
  if (r->options_.log)
    r->options_.log("receivers.device_mqtt: the broker refused the subscription to '" +
                    r->subscription_ +
                    "': " + mosquitto_reason_string(count >= 1 ? granted[0] : 0x80));
}

void DeviceMqttReceiver::on_disconnect(mosquitto*, void* self, int rc, const mosquitto_property*) {
  auto* r = static_cast<DeviceMqttReceiver*>(self);
  r->counters_.connected.store(0);
  if (rc != 0 && r->options_.log)
    r->options_.log("receivers.device_mqtt: connection to " + r->options_.url +
                    " lost; reconnecting");
}

void DeviceMqttReceiver::on_message(mosquitto* m, void* self, const mosquitto_message* msg,
                                    const mosquitto_property* props) {
  static_cast<DeviceMqttReceiver*>(self)->handle(m, *msg, props);
}

void DeviceMqttReceiver::handle(mosquitto* m, const mosquitto_message& msg,
                                const mosquitto_property* props) {
  const auto size = static_cast<std::size_t>(std::max(msg.payloadlen, 0));
  counters_.messages.fetch_add(1, std::memory_order_relaxed);
  counters_.bytes.fetch_add(size, std::memory_order_relaxed);
  const std::string_view topic = msg.topic != nullptr ? msg.topic : "";

  std::string device = user_property(props, "device-id").value_or("");
  if (device.empty() && device_level_ != std::string_view::npos) {
    const std::vector<std::string_view> levels = split_levels(topic);
    if (device_level_ < levels.size())
      device = std::string(levels[device_level_]);
  }
  if (device.empty())
    device = std::string(topic);  // no device id: one stream per topic
  if (is_hex(device))             // "0A0B" and "0a0b" are one device
    std::transform(device.begin(), device.end(), device.begin(),
                   [](char c) { return c >= 'A' && c <= 'F' ? static_cast<char>(c + 32) : c; });
  core::Bytes build_id;
  if (std::optional<std::string> hex = user_property(props, "build-id"); hex && is_hex(*hex))
    build_id = hex_bytes(*hex);

  std::lock_guard lock(mu_);
  auto it = devices_.find(device);
  if (it != devices_.end() && !build_id.empty() && build_id != it->second->build_id) {
    // Another firmware on this device: a new stream.
    (void)it->second->stream->finish();
    devices_.erase(it);
    it = devices_.end();
  }
  if (it == devices_.end()) {
    if (devices_.size() >= options_.max_devices) {
      counters_.devices_refused.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    auto d = std::make_unique<Device>();
    d->window = std::make_shared<DuplicateWindow>();
    d->build_id = build_id;
    StreamOrigin origin;
    origin.receiver = "device_mqtt";
    origin.peer = std::string(topic);
    origin.device_id = device_id_bytes(device);
    origin.build_id = build_id;
    origin.format = options_.format;
    origin.accept_frame = [w = d->window](std::span<const std::uint8_t> record, std::uint8_t seq) {
      return w->accept(record, seq);
    };
    d->stream = pipeline_.open(std::move(origin));
    it = devices_.emplace(device, std::move(d)).first;
    counters_.devices.store(devices_.size());
  }
  Device& d = *it->second;
  d.last_message = Clock::now();
  if (size == 0)
    return;
  d.window->begin();
  const core::Status fed =
      d.stream->feed(std::span(static_cast<const std::uint8_t*>(msg.payload), size));
  if (!fed.ok()) {
    // Not in the queue: the PUBACK libmosquitto queued must not leave. Shutting the socket
    // down makes its write fail; the broker redelivers the message on the next connection.
    d.window->rollback();
    counters_.refused_feeds.fetch_add(1, std::memory_order_relaxed);
    ::shutdown(mosquitto_socket(m), SHUT_RDWR);
    if (options_.log)
      options_.log("receivers.device_mqtt: " + std::string(topic) + ": " + fed.message() +
                   "; message not acknowledged, reconnecting for its redelivery");
  }
}

void DeviceMqttReceiver::sweep() {
  const auto period = std::clamp<std::chrono::milliseconds>(options_.device_idle_timeout / 4,
                                                            std::chrono::milliseconds(10),
                                                            std::chrono::milliseconds(1000));
  std::unique_lock lock(mu_);
  while (!stopping_) {
    sweep_cv_.wait_for(lock, period, [&] { return stopping_; });
    if (stopping_)
      return;
    const auto now = Clock::now();
    for (auto it = devices_.begin(); it != devices_.end();) {
      if (now - it->second->last_message >= options_.device_idle_timeout) {
        (void)it->second->stream->finish();
        it = devices_.erase(it);
      } else {
        ++it;
      }
    }
    counters_.devices.store(devices_.size());
  }
}

void DeviceMqttReceiver::write_metrics(MetricsText& out) const {
  const std::initializer_list<Label> labels{{"receiver", "device_mqtt"}};
  out.counter("edgetraced_mqtt_messages_total", "MQTT messages received from devices.", labels,
              counters_.messages.load());
  out.counter("edgetraced_mqtt_bytes_total", "Payload bytes of the MQTT messages received.", labels,
              counters_.bytes.load());
  out.counter("edgetraced_mqtt_reconnects_total",
              "Connections to the MQTT broker after the first one.", labels,
              counters_.reconnects.load());
  out.gauge("edgetraced_mqtt_connected", "1 while connected to the MQTT broker.", labels,
            static_cast<double>(counters_.connected.load()));
  out.gauge("edgetraced_mqtt_devices", "Devices with an open stream.", labels,
            static_cast<double>(counters_.devices.load()));
  out.counter("edgetraced_mqtt_devices_refused_total",
              "MQTT messages dropped because receivers.device_mqtt.max_devices were open.", labels,
              counters_.devices_refused.load());
  out.counter("edgetraced_mqtt_messages_unacknowledged_total",
              "MQTT messages not acknowledged because the queue refused them (redelivered).",
              labels, counters_.refused_feeds.load());
}

}  // namespace edgetrace::daemon
