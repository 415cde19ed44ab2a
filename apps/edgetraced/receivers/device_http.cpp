#include "receivers/device_http.hpp"

#include <optional>
#include <span>
#include <string>
#include <utility>

#include "edgetrace/config/loader.hpp"
#include "edgetrace/core/text.hpp"
#include "receivers/device_identity.hpp"

namespace edgetrace::daemon {
namespace {

constexpr std::string_view kReceiver = "device_http";

bool bearer_matches(std::string_view authorization, std::string_view token) {
  const std::optional<std::string_view> given = core::bearer_token(authorization);
  return given && core::constant_time_equal(*given, token);
}

}  // namespace

DeviceHttpReceiver::DeviceHttpReceiver(DeviceHttpOptions options, DevicePipeline& pipeline)
    : options_(std::move(options)), pipeline_(pipeline) {}

DeviceHttpReceiver::~DeviceHttpReceiver() {
  stop();
}

core::Status DeviceHttpReceiver::start() {
  if (options_.listen.empty() || running_.load())
    return {};
  if (!options_.token_file.empty()) {
    auto token = config::read_token_file(options_.token_file);
    if (!token)
      return core::Status(token.status().code(),
                          "receivers.device_http.token_file: " + token.status().message());
    token_ = std::move(token).value();
  }
  pipeline_.receiver(kReceiver);
  net::HttpServerOptions o;
  o.listen = options_.listen;
  o.io_threads = options_.io_threads;
  o.handler_threads = options_.handler_threads;
  o.max_connections = options_.max_connections;
  o.max_body_bytes = options_.max_body_bytes;
  o.max_decompressed_bytes = options_.max_body_bytes;
  o.idle_timeout = options_.idle_timeout;
  o.read_timeout = options_.read_timeout;
  auto server = std::make_unique<net::HttpServer>(o);
  net::RouteOptions route;
  if (!token_.empty()) {
    route.auth = [this](const net::Request& headers) -> std::optional<net::Response> {
      if (bearer_matches(headers.header("Authorization"), token_))
        return std::nullopt;
      counters_.unauthorized.fetch_add(1, std::memory_order_relaxed);
      return net::Response::text(401, "a valid bearer token is required\n")
          .with_header("WWW-Authenticate", "Bearer realm=\"edgetraced\"");
    };
  }
  server->route(
      "POST", std::string(kDeviceFramesPath),
      [this](net::Request&& request, net::Responder responder) {
        handle(std::move(request), std::move(responder));
      },
      std::move(route));
  if (core::Status s = server->start(); !s.ok())
    return core::Status(s.code(), "receivers.device_http: " + s.message());
  server_ = std::move(server);
  running_.store(true);
  return {};
}

void DeviceHttpReceiver::handle(net::Request&& request, net::Responder responder) {
  const std::span<const std::uint8_t> body(
      reinterpret_cast<const std::uint8_t*>(request.body.data()), request.body.size());
  counters_.body_bytes.fetch_add(body.size(), std::memory_order_relaxed);
  auto bad_request = [&](const core::Status& s) {
    counters_.bad_request.fetch_add(1, std::memory_order_relaxed);
    responder.respond(net::Response::text(400, s.message() + "\n"));
  };
  auto identity = read_device_identity({.device_id = request.header("X-Edgetrace-Device-Id"),
                                        .build_id = request.header("X-Edgetrace-Build-Id"),
                                        .format = request.header("X-Edgetrace-Stream-Format")});
  if (!identity)
    return bad_request(identity.status());
  if (core::Status s = check_device_body(*identity, body); !s.ok())
    return bad_request(s);

  StreamOrigin origin;
  origin.receiver = std::string(kReceiver);
  origin.peer = request.remote;
  origin.device_id = std::move(identity->device_id);
  origin.build_id = std::move(identity->build_id);
  origin.format = identity->format;
  std::shared_ptr<DeviceStream> stream = pipeline_.open(std::move(origin));
  core::Status fed = stream->feed(body);
  core::Status finished = stream->finish();
  if (!fed.ok() || !finished.ok()) {
    counters_.unavailable.fetch_add(1, std::memory_order_relaxed);
    responder.respond(
        net::Response::text(503, "the durable queue did not take the data; retry later\n")
            .with_header("Retry-After", std::to_string(options_.retry_after.count())));
    return;
  }
  counters_.accepted.fetch_add(1, std::memory_order_relaxed);
  responder.respond(net::Response::text(
      202,
      stream->held() ? "held: the firmware's ELF is not in the symbol store yet\n" : "queued\n"));
}

void DeviceHttpReceiver::stop() {
  if (server_)
    server_->stop();
  running_.store(false);
}

bool DeviceHttpReceiver::ready() const {
  return running_.load() || options_.listen.empty();  // disabled: nothing to wait for
}

std::uint16_t DeviceHttpReceiver::port() const noexcept {
  return server_ ? server_->port() : 0;
}

void DeviceHttpReceiver::write_metrics(MetricsText& out) const {
  if (!server_)
    return;
  const net::HttpServerCounters& s = server_->counters();
  constexpr std::string_view kRequests = "edgetraced_device_http_requests_total";
  constexpr std::string_view kHelp =
      "Requests to the device HTTP receiver, by response status code.";
  auto code = [&](std::string_view status, std::uint64_t n) {
    out.counter(kRequests, kHelp, {{"receiver", kReceiver}, {"code", status}}, n);
  };
  code("202", counters_.accepted.load(std::memory_order_relaxed));
  code("400", counters_.bad_request.load(std::memory_order_relaxed) + s.bad_request.load());
  code("401", counters_.unauthorized.load(std::memory_order_relaxed));
  code("404", s.not_found.load());
  code("405", s.method_not_allowed.load());
  code("413", s.body_too_large.load() + s.decompressed_too_large.load());
  code("415", s.unsupported_encoding.load());
  code("431", s.header_too_large.load());
  code("500", s.handler_errors.load());
  code("503", counters_.unavailable.load(std::memory_order_relaxed) + s.connections_refused.load());
  out.counter("edgetraced_device_http_body_bytes_total",
              "Request body bytes handed to the device HTTP receiver (after gzip inflation).",
              {{"receiver", kReceiver}}, counters_.body_bytes.load(std::memory_order_relaxed));
  out.gauge("edgetraced_device_http_connections_active",
            "Connections open to the device HTTP receiver.", {{"receiver", kReceiver}},
            static_cast<double>(s.connections_active.load()));
}

}  // namespace edgetrace::daemon
