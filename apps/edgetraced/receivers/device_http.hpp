// DeviceHttpReceiver: device streams over HTTP, one stream per request, on its own
// net::HttpServer (receivers.device_http; suggested listen "0.0.0.0:7702").
//
//   POST /v1/device/frames
//     body: the stream's bytes (a handshake, then frames), as a device or gateway buffered
//     them; or frames only, when the transport says who sent them:
//       X-Edgetrace-Device-Id: d301                          (hex)
//       X-Edgetrace-Build-Id: 3f1c...                        (hex)
//     X-Edgetrace-Stream-Format: edgetrace | defmt-rzcobs | defmt-raw (default edgetrace;
//     defmt streams need X-Edgetrace-Build-Id)
//     Authorization: Bearer <token>   when token_file is set
//
//   202  the body's spans and logs are in the durable queue (or, for a build-id the symbol
//        store does not have yet, held in memory until its ELF is uploaded; the body says so)
//   400  bad identity headers, no handshake and no identity headers, no valid frame
//        (text/plain, one line)
//   401  token_file is set and the bearer token is missing or wrong (checked on the headers,
//        before the body is read; compared in constant time; never logged)
//   413  body over max_body_bytes (also once inflated, for Content-Encoding: gzip)
//   503  the durable queue refused the data; Retry-After says when to try again. Data of
//        the body decoded before the refusal may have been queued: a sender that retries
//        delivers at least once.
//   404 / 405  other paths / methods
//
//   DeviceHttpReceiver http({.listen = "0.0.0.0:7702"}, pipeline);
//   if (core::Status s = http.start(); !s.ok()) ...   // bind error, unreadable token file
//
// Each request is one DeviceStream: opened, fed the whole body, finished, and answered only
// after both feed() and finish() returned (the daemon's rule: accepted means durable).
// Decoding and the queue's file I/O run on `handler_threads`, never on the I/O threads.
// Memory per request is bounded by max_body_bytes plus one stream's decoder and bridge.
//
// Thread-safety: as Receiver.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "edgetrace/net/http_server.hpp"
#include "pipeline/device_pipeline.hpp"
#include "pipeline/receiver.hpp"

namespace edgetrace::daemon {

inline constexpr std::string_view kDeviceFramesPath = "/v1/device/frames";

struct DeviceHttpOptions {
  std::string listen{};                   // "host:port"; empty: disabled
  std::size_t max_body_bytes = 1u << 20;  // also the cap of an inflated gzip body
  std::string token_file{};  // bearer token required when set (config::read_token_file)
  std::size_t io_threads = 1;
  std::size_t handler_threads = 2;  // decode + queue append (file I/O) per request
  std::size_t max_connections = 1024;
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::seconds retry_after{5};  // the Retry-After of a 503
};

// Requests answered, by status, and the body bytes handed to device streams.
struct DeviceHttpCounters {
  std::atomic<std::uint64_t> accepted{0};      // 202
  std::atomic<std::uint64_t> bad_request{0};   // 400 from the handler
  std::atomic<std::uint64_t> unauthorized{0};  // 401
  std::atomic<std::uint64_t> unavailable{0};   // 503: the queue refused
  std::atomic<std::uint64_t> body_bytes{0};
};

class DeviceHttpReceiver : public Receiver {
 public:
  DeviceHttpReceiver(DeviceHttpOptions options, DevicePipeline& pipeline);
  ~DeviceHttpReceiver() override;
  std::string_view name() const noexcept override { return "device_http"; }
  core::Status start() override;
  void stop() override;
  void write_metrics(MetricsText& out) const override;
  // Listening (or disabled).
  bool ready() const override;
  // The bound port, after start() (0 when disabled).
  std::uint16_t port() const noexcept;
  const DeviceHttpCounters& counters() const noexcept { return counters_; }

 private:
  void handle(net::Request&& request, net::Responder responder);

  DeviceHttpOptions options_;
  DevicePipeline& pipeline_;
  std::string token_;  // from token_file; empty: no authentication
  DeviceHttpCounters counters_;
  std::unique_ptr<net::HttpServer> server_;  // kept after stop(): write_metrics may read it
  std::atomic<bool> running_{false};
};

}  // namespace edgetrace::daemon
