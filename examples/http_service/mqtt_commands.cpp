#include "mqtt_commands.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <charconv>
#include <condition_variable>
#include <mutex>
#include <set>

namespace edgetrace::examples {

struct MqttCommandPublisher::State {
  mosquitto* client = nullptr;
  std::chrono::milliseconds ack_timeout{2000};
  std::mutex mutex;
  std::condition_variable acked_cv;
  std::set<int> acked;     // message ids acknowledged and not yet collected, guarded
  bool connected = false;  // guarded
};

namespace {

core::Status unavailable(std::string message) {
  return core::Status(core::StatusCode::kUnavailable, std::move(message));
}

}  // namespace

core::Result<std::unique_ptr<MqttCommandPublisher>> MqttCommandPublisher::connect(
    std::string_view endpoint, std::chrono::milliseconds ack_timeout) {
  const std::size_t colon = endpoint.rfind(':');
  int port = 0;
  if (colon == std::string_view::npos || colon == 0 ||
      std::from_chars(endpoint.data() + colon + 1, endpoint.data() + endpoint.size(), port).ptr !=
          endpoint.data() + endpoint.size() ||
      port < 1 || port > 65535) {
    return core::Status(core::StatusCode::kInvalidArgument,
                        "MQTT broker: expected host:port, got '" + std::string(endpoint) + "'");
  }
  const std::string host(endpoint.substr(0, colon));
  mosquitto_lib_init();
  auto state = std::make_unique<State>();
  state->ack_timeout = ack_timeout;
  state->client = mosquitto_new(nullptr, true, state.get());
  if (state->client == nullptr) {
    mosquitto_lib_cleanup();
    return unavailable("MQTT broker: mosquitto_new failed");
  }
  // From here the destructor frees the client.
  std::unique_ptr<MqttCommandPublisher> publisher(new MqttCommandPublisher(std::move(state)));
  State& s = *publisher->state_;
  mosquitto_int_option(s.client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_connect_callback_set(s.client, [](mosquitto*, void* obj, int rc) {
    auto* st = static_cast<State*>(obj);
    std::lock_guard lock(st->mutex);
    st->connected = rc == 0;
  });
  mosquitto_disconnect_callback_set(s.client, [](mosquitto*, void* obj, int) {
    auto* st = static_cast<State*>(obj);
    std::lock_guard lock(st->mutex);
    st->connected = false;
  });
  mosquitto_publish_callback_set(s.client, [](mosquitto*, void* obj, int mid) {
    auto* st = static_cast<State*>(obj);
    {
      std::lock_guard lock(st->mutex);
      st->acked.insert(mid);
    }
    st->acked_cv.notify_all();
  });
  mosquitto_reconnect_delay_set(s.client, 1, 10, true);
  if (const int rc = mosquitto_connect(s.client, host.c_str(), port, 30); rc != MOSQ_ERR_SUCCESS) {
    return unavailable("MQTT broker " + std::string(endpoint) + ": " + mosquitto_strerror(rc));
  }
  if (const int rc = mosquitto_loop_start(s.client); rc != MOSQ_ERR_SUCCESS)
    return unavailable(std::string("MQTT network thread: ") + mosquitto_strerror(rc));
  return publisher;
}

MqttCommandPublisher::MqttCommandPublisher(std::unique_ptr<State> state)
    : state_(std::move(state)) {}

MqttCommandPublisher::~MqttCommandPublisher() {
  mosquitto_disconnect(state_->client);
  mosquitto_loop_stop(state_->client, false);
  mosquitto_destroy(state_->client);
  mosquitto_lib_cleanup();
}

core::Status MqttCommandPublisher::publish(const CommandMessage& message) {
  State& s = *state_;
  mosquitto_property* props = nullptr;
  if (!message.traceparent.empty())
    mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "traceparent",
                                       message.traceparent.c_str());
  if (!message.tracestate.empty())
    mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "tracestate",
                                       message.tracestate.c_str());
  int mid = 0;
  // An acknowledgement that comes before this thread waits stays in `acked` until collected.
  const int rc = mosquitto_publish_v5(s.client, &mid, message.topic.c_str(),
                                      static_cast<int>(message.payload.size()),
                                      message.payload.data(), 1, false, props);
  mosquitto_property_free_all(&props);
  if (rc != MOSQ_ERR_SUCCESS)
    return unavailable(std::string("MQTT publish: ") + mosquitto_strerror(rc));
  std::unique_lock lock(s.mutex);
  if (!s.acked_cv.wait_for(lock, s.ack_timeout, [&] { return s.acked.contains(mid); }))
    return unavailable("MQTT publish: no acknowledgement from the broker");
  s.acked.erase(mid);
  return core::Status{};
}

}  // namespace edgetrace::examples
