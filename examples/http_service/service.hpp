// The instrumented HTTP service of the examples: what a real handler does with edgetrace.
//
//   HttpService service(HttpServiceOptions{.downstream = "http://127.0.0.1:8081"});
//   auto server = HttpServer::listen("127.0.0.1", 8080, [&](const Request& r, const Peer& p) {
//     return service.handle(r, p);
//   }).value();
//
// Routes:
//   GET /users/{id}     calls GET <downstream>/profiles/{id} and wraps the answer;
//                       a failed or 5xx downstream call answers 502
//   GET /profiles/{id}  the downstream endpoint: 200 with a profile; id 0 simulates a broken
//                       store (500); an id that is not a number is 404
//   POST /devices/{id}/commands/{name}
//                       sends the command `name` to device `id` over MQTT: one message on
//                       <command_topic_prefix>/{id}/commands whose payload is the line
//                       "<name> <traceparent>" (docs/firmware.md, "Commands from the
//                       cloud"), the traceparent being the PRODUCER span's, so the device's
//                       spans continue this request's trace. 202 once the broker
//                       acknowledged it, with {"device":..,"command":..,"trace_id":..}; 503
//                       when no broker is configured or it did not acknowledge; 404 for an
//                       id or name that is not 1-64 of [A-Za-z0-9_-]
//   anything else       404
//
// Every request gets a SERVER span named "<method> <route>" whose parent is the incoming
// traceparent (tracestate and baggage are honoured), with the HTTP semantic-convention
// attributes; the x-request-id header is kept (or made up) and echoed; the response carries
// the server span's traceparent and the trace id (x-trace-id). The downstream call is a CLIENT
// span, child of the server span, whose context is injected into the outgoing request. Both
// come from the SDK's HTTP helpers (edgetrace/sdk/http.hpp and its Beast adapter,
// docs/http.md); the service itself only routes and logs. The command publish is a
// PRODUCER span "publish <prefix>/{device}/commands" with the messaging conventions
// (messaging.system "mqtt", messaging.destination.name the topic, messaging.operation.*).
// 5xx answers set status ERROR.
// Events are logged inside the spans.
//
// Thread-safety: handle() may run on many threads at once; the service holds only immutable
// state after set_self_port().
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "../common/http.hpp"
#include "edgetrace/sdk/propagation.hpp"

namespace edgetrace::examples {

// One command for a device, as the service hands it to a CommandPublisher.
struct CommandMessage {
  std::string topic;        // "<prefix>/<device id>/commands"
  std::string payload;      // "<name> <traceparent>"
  std::string traceparent;  // also sent as a message property where the transport has them
  std::string tracestate;   // may be empty
};

// Where the command route sends a message: MqttCommandPublisher (mqtt_commands.hpp), or a
// test double. publish() may run on many threads at once and blocks until the message is
// accepted by the transport or failed.
class CommandPublisher {
 public:
  virtual ~CommandPublisher() = default;
  virtual core::Status publish(const CommandMessage& message) = 0;
};

struct HttpServiceOptions {
  // Base URL of the downstream service ("http://127.0.0.1:8081"); empty: this service itself.
  std::string downstream;
  std::chrono::milliseconds downstream_timeout{2000};
  // Propagation (OTEL_PROPAGATORS is read by main()).
  sdk::Propagators propagators = sdk::Propagators::w3c();
  // The command route's transport, borrowed: it must outlive the service. Null: that route
  // answers 503.
  CommandPublisher* commands = nullptr;
  // Commands go to <command_topic_prefix>/<device id>/commands (edgetrace-sim's topics).
  std::string command_topic_prefix = "edgetrace";
};

class HttpService {
 public:
  // Fails when `downstream` is not an http:// URL.
  static core::Result<HttpService> create(HttpServiceOptions options);

  // Where an empty `downstream` points: http://127.0.0.1:<port>. Call before serving.
  void set_self_port(std::uint16_t port);

  Response handle(const Request& request, const Peer& peer) const;

 private:
  explicit HttpService(HttpServiceOptions options) : options_(std::move(options)) {}
  Response get_user(const Request& request, std::string_view id, const std::string& request_id,
                    const core::Baggage& baggage) const;
  Response get_profile(const Request& request, std::string_view id) const;
  Response post_command(const Request& request, std::string_view device,
                        std::string_view command) const;

  HttpServiceOptions options_;
  Url downstream_;
};

}  // namespace edgetrace::examples
