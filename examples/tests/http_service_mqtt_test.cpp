// The command route end to end: the HTTP example service in-process with its real MQTT
// client (MqttCommandPublisher), a real mosquitto broker on 127.0.0.1 and a real subscriber
// on the device's command topic, which must get the PRODUCER span's traceparent.
#include <gtest/gtest.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <mutex>
#include <string>
#include <vector>

#include "../http_service/mqtt_commands.hpp"
#include "../http_service/service.hpp"
#include "recording_layer.hpp"
#include "testing/temp_dir.hpp"
#include "testing/wait.hpp"
#include "tests/mosquitto_broker.hpp"

namespace edgetrace::examples {
namespace {

using namespace std::chrono_literals;
using testing::SeenSpan;

constexpr std::string_view kTopic = "edgetrace/73696d0000000002/commands";

// A subscriber on kTopic keeping every message's payload and `traceparent` user property.
class Subscriber {
 public:
  explicit Subscriber(int port) {
    client_ = mosquitto_new(nullptr, true, this);
    mosquitto_int_option(client_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(
        client_, [](mosquitto* m, void*, int rc, int, const mosquitto_property*) {
          if (rc == 0)
            mosquitto_subscribe_v5(m, nullptr, std::string(kTopic).c_str(), 1, 0, nullptr);
        });
    mosquitto_subscribe_v5_callback_set(
        client_, [](mosquitto*, void* self, int, int, const int*, const mosquitto_property*) {
          static_cast<Subscriber*>(self)->subscribed_ = true;
        });
    mosquitto_message_v5_callback_set(
        client_,
        [](mosquitto*, void* self, const mosquitto_message* msg, const mosquitto_property* props) {
          auto* s = static_cast<Subscriber*>(self);
          char* name = nullptr;
          char* value = nullptr;
          std::string traceparent;
          for (const mosquitto_property* p = props; p != nullptr; p = mosquitto_property_next(p)) {
            if (mosquitto_property_identifier(p) == MQTT_PROP_USER_PROPERTY &&
                mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &name, &value,
                                                    false) != nullptr) {
              if (std::string_view(name) == "traceparent")
                traceparent = value;
              std::free(name);
              std::free(value);
            }
          }
          std::lock_guard lock(s->mutex_);
          s->messages_.push_back({std::string(static_cast<const char*>(msg->payload),
                                              static_cast<std::size_t>(msg->payloadlen)),
                                  traceparent});
        });
    connected_ = mosquitto_connect(client_, "127.0.0.1", port, 30) == MOSQ_ERR_SUCCESS &&
                 mosquitto_loop_start(client_) == MOSQ_ERR_SUCCESS;
  }
  ~Subscriber() {
    mosquitto_disconnect(client_);
    mosquitto_loop_stop(client_, false);
    mosquitto_destroy(client_);
  }
  bool wait_subscribed() {
    return connected_ && edgetrace::testing::wait_until([&] { return subscribed_.load(); }, 20s);
  }
  // (payload, traceparent property) of each message received.
  std::vector<std::pair<std::string, std::string>> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  mosquitto* client_ = nullptr;
  bool connected_ = false;
  std::atomic<bool> subscribed_{false};
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> messages_;
};

TEST(HttpServiceMqttTest, CommandReachesTheDevicesTopicWithTheProducerSpansTraceparent) {
  edgetrace::testing::TempDir dir("http-service-mqtt");
  daemon::testing::Broker broker(ET_MOSQUITTO_BROKER, dir.path());
  ASSERT_TRUE(broker.start());
  mosquitto_lib_init();
  auto subscriber = std::make_unique<Subscriber>(broker.port());
  ASSERT_TRUE(subscriber->wait_subscribed());

  testing::RecordingLayer* layer = testing::install_recording_tracing();
  auto publisher = MqttCommandPublisher::connect("127.0.0.1:" + std::to_string(broker.port()));
  ASSERT_TRUE(publisher.ok()) << publisher.status().to_string();
  HttpServiceOptions options;
  options.commands = publisher->get();
  HttpService service = HttpService::create(std::move(options)).value();
  auto server = HttpServer::listen("127.0.0.1", 0, [&](const Request& r, const Peer& p) {
                  return service.handle(r, p);
                }).value();

  Request req{beast_http::verb::post, "/devices/73696d0000000002/commands/set_interval", 11};
  auto res = send_request(
      std::move(req), parse_url("http://127.0.0.1:" + std::to_string(server->port())).value(), 10s);
  ASSERT_TRUE(res.ok()) << res.status().to_string();
  ASSERT_EQ(res->result_int(), 202u) << res->body();

  const SeenSpan* producer = nullptr;
  const auto spans = layer->spans();
  for (const SeenSpan& s : spans)
    if (s.kind == sdk::SpanKind::kProducer)
      producer = &s;
  ASSERT_NE(producer, nullptr);
  // A new trace here: sampled, and its id random (flags 03, W3C Trace Context level 2).
  const std::string traceparent = "00-" + producer->context.trace_id.to_hex() + "-" +
                                  producer->context.span_id.to_hex() + "-03";
  EXPECT_NE(res->body().find(producer->context.trace_id.to_hex()), std::string::npos);

  // Acknowledged by the broker before the 202: the subscriber gets it shortly.
  ASSERT_TRUE(edgetrace::testing::wait_until([&] { return !subscriber->messages().empty(); }, 20s));
  const auto messages = subscriber->messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].first, "set_interval " + traceparent);
  EXPECT_EQ(messages[0].second, traceparent);

  server->stop();
  sdk::set_global_subscriber(nullptr);
  publisher->reset();
  subscriber.reset();
  mosquitto_lib_cleanup();
}

TEST(HttpServiceMqttTest, ConnectFailsForABadEndpoint) {
  EXPECT_FALSE(MqttCommandPublisher::connect("no-port").ok());
  EXPECT_FALSE(MqttCommandPublisher::connect("127.0.0.1:0").ok());
}

}  // namespace
}  // namespace edgetrace::examples
