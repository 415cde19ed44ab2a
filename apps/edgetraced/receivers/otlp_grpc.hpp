// OtlpGrpcReceiver: the standard OTLP/gRPC receiver (receivers.otlp.grpc; default listen
// "0.0.0.0:4317", the port the OTLP specification assigns to OTLP/gRPC), a grpc++ server
// serving the three Export methods
//   /opentelemetry.proto.collector.{trace,logs,metrics}.v1.{Trace,Logs,Metrics}Service/Export
// into an Intake (the pipeline's processors, then the durable queue).
//
//   OK                  everything kept is in the durable queue; the response carries
//                       partial_success (rejected_spans / rejected_log_records /
//                       rejected_data_points and error_message) when a processor refused
//                       items (OTLP specification, "OTLP/gRPC", "Partial Success").
//   INVALID_ARGUMENT    the message is not a valid Export request (the decoder's message
//                       says what and where). Not retryable ("Failures": InvalidArgument
//                       for bad data).
//   RESOURCE_EXHAUSTED  the durable queue is full; the status details (grpc-status-details-
//                       bin, a google.rpc.Status) hold a google.rpc.RetryInfo of
//                       retry_delay, which is what makes RESOURCE_EXHAUSTED retryable for an
//                       OTLP client ("Failures": "only if the server signals that the
//                       recovery from resource exhaustion is possible ... RetryInfo").
//   UNAVAILABLE         the daemon is stopping, or the queue could not write; also with
//                       RetryInfo ("OTLP/gRPC Throttling").
//   RESOURCE_EXHAUSTED  without RetryInfo, from grpc itself: a message over max_message_bytes
//                       (also once decompressed: grpc checks the limit after inflating a
//                       gzip message). Not retryable, as it should be: the same message
//                       would be refused again.
//
//   OtlpGrpcReceiver grpc({.listen = "0.0.0.0:4317"}, intake);
//   if (core::Status s = grpc.start(); !s.ok()) ...     // "receivers.otlp.grpc: ...: cannot
//   listen"
//
// Messages are taken as raw bytes and decoded by the project's codec (otlp::DecodeLimits),
// not by grpc's generated parser, so malformed input is INVALID_ARGUMENT with a precise
// message (grpc's own parse failure would be INTERNAL, which clients treat as permanent
// but which says nothing). Each call is answered after Intake::accept() returned: OK only
// for data the queue persisted. The server is grpc's completion-queue (async) API served by
// `threads` threads of its own, each of which both polls the sockets and runs the calls it
// takes, blocking for as long as accept() takes (a queue file append): no hand-off between
// a poller and worker threads, which at low rates cost more than the calls themselves
// (grpc's callback API ran every call on another thread than the one that read it). grpc's
// SO_REUSEPORT is turned off, so a second process cannot silently share the port.
//
// Thread-safety: as Receiver; counters() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "edgetrace/net/http_server.hpp"
#include "pipeline/intake.hpp"
#include "pipeline/receiver.hpp"
#include "receivers/otlp_http.hpp"

namespace grpc {
class Server;
class ServerCompletionQueue;
class Service;
}  // namespace grpc

namespace edgetrace::daemon {

struct OtlpGrpcReceiverOptions {
  std::string listen = "0.0.0.0:4317";  // "host:port"; empty: disabled
  // Largest message accepted, after decompression. 4 MiB: grpc's own default, and the
  // Collector's (max_recv_msg_size_mib = 4); clients batch far below it.
  std::size_t max_message_bytes = 4u << 20;
  // The RetryInfo of RESOURCE_EXHAUSTED and UNAVAILABLE answers.
  std::chrono::milliseconds retry_delay{5000};
  // How long stop() lets calls in flight finish before cancelling them.
  std::chrono::milliseconds drain_timeout{5000};
  // Threads serving calls (each polls the sockets and runs the calls it takes). 1: the
  // queue's appends are serialized by its lock (an fdatasync included), so a second thread
  // would only wait for the same lock, and two threads wake each other (grpc's poller
  // kicks): at the Collector's load-test point 2 threads cost about 1.5 times the CPU
  // (docs/benchmarks.md). More can help with processors, whose work runs in parallel.
  std::size_t threads = 1;
  // TLS when tls.certificate_file is set (PEM files, read by start()); with client_ca_file,
  // clients must present a certificate signed by it (mutual TLS). The same fields as the
  // OTLP/HTTP receiver's.
  net::TlsOptions tls{};
};

class OtlpGrpcReceiver : public Receiver {
 public:
  // `intake` is borrowed and must outlive the receiver.
  OtlpGrpcReceiver(OtlpGrpcReceiverOptions options, Intake& intake);
  ~OtlpGrpcReceiver() override;
  OtlpGrpcReceiver(const OtlpGrpcReceiver&) = delete;
  OtlpGrpcReceiver& operator=(const OtlpGrpcReceiver&) = delete;

  std::string_view name() const noexcept override { return "otlp_grpc"; }
  core::Status start() override;
  // Stops accepting calls, lets those in flight finish (up to drain_timeout), then waits
  // for the server's threads.
  void stop() override;
  void write_metrics(MetricsText& out) const override;
  bool ready() const override;          // listening, or disabled
  std::uint16_t port() const noexcept;  // the bound port after start(); 0 when disabled
  const OtlpReceiverCounters& counters() const noexcept { return counters_; }

 private:
  OtlpGrpcReceiverOptions options_;
  Intake& intake_;
  OtlpReceiverCounters counters_;
  std::vector<std::unique_ptr<grpc::Service>> services_;  // traces, logs, metrics
  std::unique_ptr<grpc::ServerCompletionQueue> queue_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  int port_ = 0;
  std::atomic<bool> running_{false};
};

}  // namespace edgetrace::daemon
