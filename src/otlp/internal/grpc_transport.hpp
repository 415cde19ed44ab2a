// GrpcTransport: the OTLP/gRPC Transport of OtlpExporter (grpc++).
//
//   auto transport = internal::GrpcTransport::create(options);   // options.protocol: kGrpc
//   if (!transport) { report(transport.status()); return; }        // e.g. unreadable CA file
//   core::Result<std::string> body = (*transport)->encode(Signal::kTraces, request);
//   TransportResponse r = (*transport)->send(Signal::kTraces, *body, Clock::now() + 10s);
//   // r.verdict: classify_grpc(status, RetryInfo); r.rejected_items / r.message on success
//
// Each send() is one unary call to
// /opentelemetry.proto.collector.{trace,logs,metrics}.v1.{Trace,Logs,Metrics}Service/Export
// carrying the already-encoded request bytes (no second serialization), with the configured
// headers as metadata (names lowercased), `deadline` as the call deadline and gzip message
// compression when options.compression is kGzip.
//
// Connection: one channel, created by create() and reused by every call (HTTP/2 keep-alive
// pings while calls are in flight, reconnect backoff capped at 30 s). Plaintext when the
// endpoint is http:// or has no scheme and options.insecure is set; TLS otherwise, verifying
// the server with options.ca_file (system roots when empty) and presenting
// client_certificate_file / client_key_file when both are set (mTLS). The files are read
// once, by create().
//
// Results: the gRPC status is classified with classify_grpc(), using the delay of a
// google.rpc.RetryInfo detail when the server sent one. A connection failure surfaces as
// UNAVAILABLE (or DEADLINE_EXCEEDED) and is therefore retryable. TransportResponse::message
// is the server's status message or partial_success.error_message; it never contains a
// configured header value, but may contain anything the server wrote.
// TransportResponse::bytes_sent is the encoded request's size: grpc++ compresses inside the
// call without reporting the compressed size, so with gzip it over-counts the wire bytes.
//
// Thread-safety: send() and encode() may be called from several threads at once. send()
// blocks the caller until the reply or the deadline (plus the few milliseconds gRPC needs to
// deliver a cancellation). Destroying the transport while a send() is in progress is not
// allowed.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "edgetrace/core/result.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "edgetrace/otlp/exporter_options.hpp"

namespace grpc {
class ByteBuffer;
class Channel;
}  // namespace grpc

namespace edgetrace::otlp::internal {

// The bytes of a gRPC message buffer as one string (empty if the buffer cannot be read).
std::string flatten(const grpc::ByteBuffer& buffer);

// Where and how a gRPC transport connects, derived from an OTLP endpoint URL.
struct GrpcTarget {
  std::string authority;  // "host:port", as gRPC's channel target
  bool tls = true;
};

// "http://h:p" -> plaintext h:p; "https://h:p" -> TLS h:p; "h:p" -> TLS unless `insecure`.
// A path after the authority is ignored (gRPC has no path prefix); userinfo is refused.
// A missing port gives 4317. Errors never quote the endpoint (it may hold userinfo).
core::Result<GrpcTarget> parse_grpc_endpoint(std::string_view endpoint, bool insecure);

// The full method name a signal's Export call uses.
std::string_view grpc_export_method(Signal signal) noexcept;

class GrpcTransport final : public Transport {
 public:
  // Builds the channel. Fails on an unusable endpoint, a header gRPC cannot carry as
  // metadata (the error names the header, never its value), a client certificate without
  // its key (or the reverse), and a CA / certificate / key file that cannot be read.
  static core::Result<std::unique_ptr<GrpcTransport>> create(const OtlpExporterOptions& options);

  ~GrpcTransport() override;
  GrpcTransport(const GrpcTransport&) = delete;
  GrpcTransport& operator=(const GrpcTransport&) = delete;

  // The request's protobuf encoding (what goes on the wire before gRPC's compression).
  core::Result<std::string> encode(Signal signal,
                                   const google::protobuf::Message& request) override;
  TransportResponse send(Signal signal, const std::string& body, Deadline deadline) override;

  // The target the channel connects to ("host:port") and whether it uses TLS.
  const GrpcTarget& target() const noexcept { return target_; }

 private:
  struct Stub;
  GrpcTransport(GrpcTarget target, std::vector<std::pair<std::string, std::string>> metadata,
                bool gzip, std::shared_ptr<grpc::Channel> channel);

  GrpcTarget target_;
  // Lowercased names with their values (secret: never copied into a message).
  std::vector<std::pair<std::string, std::string>> metadata_;
  bool gzip_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
};

}  // namespace edgetrace::otlp::internal
