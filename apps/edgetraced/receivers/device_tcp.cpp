#include "receivers/device_tcp.hpp"

#include <string>

namespace edgetrace::daemon {
namespace {

class DeviceConnection : public net::TcpStreamHandler {
 public:
  explicit DeviceConnection(std::shared_ptr<DeviceStream> stream) : stream_(std::move(stream)) {}
  net::StreamAction on_data(std::span<const std::uint8_t> bytes) override {
    // A refusal is counted by the pipeline; the bytes were read and cannot be given back.
    (void)stream_->feed(bytes);
    return net::StreamAction::kContinue;
  }
  void on_close(const core::Status& reason) override {
    (void)reason;
    (void)stream_->finish();
  }

 private:
  std::shared_ptr<DeviceStream> stream_;
};

}  // namespace

DeviceTcpReceiver::DeviceTcpReceiver(DeviceTcpOptions options, DevicePipeline& pipeline)
    : options_(std::move(options)), pipeline_(pipeline) {}

DeviceTcpReceiver::~DeviceTcpReceiver() {
  stop();
}

core::Status DeviceTcpReceiver::start() {
  net::TcpStreamListenerOptions o;
  o.listen = options_.listen;
  o.io_threads = options_.io_threads;
  o.max_connections = options_.max_connections;
  o.read_buffer_bytes = options_.buffer_bytes;
  o.idle_timeout = options_.idle_timeout;
  o.max_connection_age = options_.max_connection_age;
  const decoder::StreamFormat format = options_.format;
  DevicePipeline* pipeline = &pipeline_;
  pipeline_.receiver("device_tcp");
  listener_ = std::make_unique<net::TcpStreamListener>(
      o, [pipeline, format](net::TcpStreamControl, std::string_view peer) {
        StreamOrigin origin;
        origin.receiver = "device_tcp";
        origin.peer = std::string(peer);
        origin.format = format;
        return std::make_unique<DeviceConnection>(pipeline->open(std::move(origin)));
      });
  if (core::Status s = listener_->start(); !s.ok())
    return core::Status(s.code(), "receivers.device_tcp: " + s.message());
  return {};
}

void DeviceTcpReceiver::stop() {
  if (listener_)
    listener_->stop();
}

std::uint16_t DeviceTcpReceiver::port() const noexcept {
  return listener_ ? listener_->port() : 0;
}

void DeviceTcpReceiver::write_metrics(MetricsText& out) const {
  if (!listener_)
    return;
  const net::TcpListenerCounters& c = listener_->counters();
  out.counter("edgetraced_tcp_connections_accepted_total", "Device TCP connections accepted.",
              {{"receiver", "device_tcp"}}, c.connections_accepted.load());
  out.counter("edgetraced_tcp_connections_refused_total",
              "Device TCP connections closed at once: over max_connections.",
              {{"receiver", "device_tcp"}}, c.connections_refused.load());
  out.gauge("edgetraced_tcp_connections_active", "Device TCP connections open.",
            {{"receiver", "device_tcp"}}, static_cast<double>(c.connections_active.load()));
  out.counter("edgetraced_tcp_idle_timeouts_total",
              "Device TCP connections closed after receivers.device_tcp.idle_timeout.",
              {{"receiver", "device_tcp"}}, c.idle_timeouts.load());
  out.counter("edgetraced_tcp_read_errors_total", "Device TCP connections ended by an error.",
              {{"receiver", "device_tcp"}}, c.read_errors.load());
}

}  // namespace edgetrace::daemon
