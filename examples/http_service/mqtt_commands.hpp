// MqttCommandPublisher: the HTTP example's MQTT client, which hands a device its command
// (libmosquitto, MQTT 5, QoS 1).
//
//   auto commands = MqttCommandPublisher::connect("127.0.0.1:1883").value();
//   HttpService::create({.commands = commands.get()});
//
// Thread-safety: publish() may run on many threads at once. It blocks until the broker
// acknowledged the message (PUBACK) or `ack_timeout` passed. The client reconnects on its
// own network thread; a publish while disconnected fails at once (the caller answers 503).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "service.hpp"

namespace edgetrace::examples {

class MqttCommandPublisher final : public CommandPublisher {
 public:
  // Connects to the broker at "host:port" (IPv4 or a name) and starts the network thread.
  // Fails when `endpoint` is not host:port or the first connection cannot be opened.
  static core::Result<std::unique_ptr<MqttCommandPublisher>> connect(
      std::string_view endpoint, std::chrono::milliseconds ack_timeout = std::chrono::seconds(2));
  ~MqttCommandPublisher() override;
  MqttCommandPublisher(const MqttCommandPublisher&) = delete;
  MqttCommandPublisher& operator=(const MqttCommandPublisher&) = delete;

  // QoS 1, not retained, with the MQTT 5 user properties `traceparent` (and `tracestate`
  // when not empty), as the W3C Trace Context MQTT format names them.
  core::Status publish(const CommandMessage& message) override;

 private:
  struct State;
  explicit MqttCommandPublisher(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace edgetrace::examples
