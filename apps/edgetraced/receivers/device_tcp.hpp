// DeviceTcpReceiver: device streams over TCP, one stream per connection (a handshake, then
// frames), on net::TcpStreamListener.
//
//   DeviceTcpReceiver tcp({.listen = "0.0.0.0:7700"}, pipeline);
//   if (core::Status s = tcp.start(); !s.ok()) ...
//
// Every byte read is decoded and its spans and logs appended to the durable queue before the
// next read of that connection (TCP has no acknowledgement of its own: what was read is what
// was accepted). A connection that sends nothing for `idle_timeout` is closed; each connection
// reads into a buffer of `buffer_bytes` (its memory while idle, with the stream's decoder and
// bridge state); at most `max_connections` are open (more are closed at once and counted).
//
// Thread-safety: as Receiver. Streams are fed on the listener's I/O threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "edgetrace/decoder/decoder.hpp"
#include "edgetrace/net/tcp_stream_listener.hpp"
#include "pipeline/device_pipeline.hpp"
#include "pipeline/receiver.hpp"

namespace edgetrace::daemon {

struct DeviceTcpOptions {
  std::string listen = "0.0.0.0:7700";  // empty: disabled
  std::size_t max_connections = 16384;
  std::size_t buffer_bytes = 4096;
  std::chrono::milliseconds idle_timeout{300000};
  std::chrono::milliseconds max_connection_age{0};  // 0: no limit
  std::size_t io_threads = 1;
  decoder::StreamFormat format = decoder::StreamFormat::kEdgetrace;
};

class DeviceTcpReceiver : public Receiver {
 public:
  DeviceTcpReceiver(DeviceTcpOptions options, DevicePipeline& pipeline);
  ~DeviceTcpReceiver() override;
  std::string_view name() const noexcept override { return "device_tcp"; }
  core::Status start() override;
  void stop() override;
  void write_metrics(MetricsText& out) const override;
  std::uint16_t port() const noexcept;

 private:
  DeviceTcpOptions options_;
  DevicePipeline& pipeline_;
  std::unique_ptr<net::TcpStreamListener> listener_;
};

}  // namespace edgetrace::daemon
