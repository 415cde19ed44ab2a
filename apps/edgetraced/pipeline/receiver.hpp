// Receiver: one way telemetry enters the daemon (device TCP, MQTT, HTTP frames, serial;
// the OTLP receivers of the gateway). The daemon starts every receiver its config enables
// and stops them first on shutdown, so nothing arrives while the queue drains.
//
//   std::unique_ptr<Receiver> r = std::make_unique<DeviceTcpReceiver>(options, pipeline);
//   if (core::Status s = r->start(); !s.ok()) ...   // e.g. "device_tcp: 0.0.0.0:7700: ..."
//   ...
//   r->stop();                                       // every stream finished
//
// Thread-safety: start() and stop() from the controlling thread; write_metrics() from any
// thread (the admin listener). stop() blocks until the receiver's threads are joined and
// its streams finished (their data appended to the queue).
#pragma once

#include <string_view>

#include "edgetrace/core/result.hpp"
#include "pipeline/metrics_text.hpp"

namespace edgetrace::daemon {

class Receiver {
 public:
  virtual ~Receiver() = default;
  // "device_tcp", "device_mqtt", "device_http", "serial": its config table under
  // [receivers] and the `receiver` label of its metrics.
  virtual std::string_view name() const noexcept = 0;
  // Binds, connects or opens; the error names the receiver and the address.
  virtual core::Status start() = 0;
  virtual void stop() = 0;
  // Metrics of its own (connections, messages, reconnects...); the frame counters of its
  // streams are written by the DevicePipeline.
  virtual void write_metrics(MetricsText& out) const = 0;
  // Whether it is working (connected to its broker, listening): /readyz.
  virtual bool ready() const { return true; }
};

}  // namespace edgetrace::daemon
