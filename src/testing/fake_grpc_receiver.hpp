// FakeOtlpGrpcReceiver: a real OTLP/gRPC server on 127.0.0.1 for tests, scripted reply by
// reply (see fake_receiver_script.hpp).
//
//   FakeOtlpGrpcReceiver rx;                          // plaintext, ephemeral port
//   ASSERT_NE(rx.port(), 0) << rx.start_error();
//   rx.script({Reply::grpc(14, "overloaded").with_retry_info(250ms), Reply::ok()});
//   options.endpoint = "http://" + rx.address();
//   ... export ...
//   ASSERT_TRUE(rx.wait_for_requests(2, 5s));
//   rx.received()[1].traces.resource_spans_size();
//
// It serves the three OTLP Export methods (trace, logs, metrics), records every request as a
// ReceivedRequest (method path, metadata with lowercase names, the decoded request, or
// decode_error), and answers with the next scripted Reply: grpc_code and message, a
// google.rpc.RetryInfo detail when retry_info is set, partial_success (rejected_items and
// message) on an OK reply, after `delay`. Reply::disconnect() cancels the call from the
// server side (the client sees CANCELLED): gRPC offers no way to drop one call's connection.
// ReceivedRequest fields for gRPC: headers are the custom metadata (grpc++ keeps
// content-type, te and grpc-* to itself, so content_type stays empty); gzip is set when the
// message arrived gzip-compressed, and body_bytes is its size as received (compressed, if
// it was).
//
// With set_discard(true) it only counts requests, without decoding or keeping them (for load
// tests: memory stays flat however many requests arrive).
//
// TLS: give the server's PEM certificate chain and key; add a client CA to require and
// verify client certificates (mTLS).
//
// Thread-safety: all methods may be called from any thread; requests are served on gRPC's
// threads, and a delayed reply waits on a thread of its own (bounded by stop()). stop() and
// the destructor return within about two seconds even with calls in flight.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testing/fake_receiver_script.hpp"

namespace grpc {
class Server;
}  // namespace grpc

namespace edgetrace::testing {

struct FakeOtlpGrpcReceiverOptions {
  // PEM server certificate chain and private key. Both empty: plaintext.
  std::string server_certificate_pem;
  std::string server_key_pem;
  // PEM CA bundle. Set: clients must present a certificate this CA signed (mTLS).
  std::string client_ca_pem;
  // Larger requests are refused by gRPC with RESOURCE_EXHAUSTED (and not recorded).
  std::size_t max_message_bytes = 64 * 1024 * 1024;
};

class FakeOtlpGrpcReceiver {
 public:
  // Starts listening on 127.0.0.1 with an ephemeral port. On failure port() is 0 and
  // start_error() says why.
  explicit FakeOtlpGrpcReceiver(FakeOtlpGrpcReceiverOptions options = {});
  ~FakeOtlpGrpcReceiver();
  FakeOtlpGrpcReceiver(const FakeOtlpGrpcReceiver&) = delete;
  FakeOtlpGrpcReceiver& operator=(const FakeOtlpGrpcReceiver&) = delete;

  int port() const noexcept { return port_; }
  // "127.0.0.1:<port>".
  std::string address() const;
  const std::string& start_error() const noexcept { return start_error_; }

  // Replaces the replies still to be given; they are consumed in order, then ok() follows.
  void script(std::vector<Reply> replies);
  // Counts requests without decoding or recording them (received() stays as it was).
  void set_discard(bool discard);
  // Waits until at least `n` requests were received; false on timeout.
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
  // A copy of every request recorded so far, in arrival order.
  std::vector<ReceivedRequest> received() const;
  // Requests received so far, discarded ones included.
  std::size_t request_count() const;
  // Distinct client connections (peer addresses) the requests came over.
  std::size_t connection_count() const;

  // Answers delayed calls at once, then shuts the server down (calls still in flight after
  // a short grace are cancelled). Idempotent.
  void stop();

 private:
  class TraceService;
  class LogsService;
  class MetricsService;
  struct Call;
  friend class TraceService;
  friend class LogsService;
  friend class MetricsService;

  // Records the request, picks the reply and finishes the call (now or after its delay).
  void handle(Call call);
  // Decodes a request into what received() returns.
  ReceivedRequest record(const Call& call) const;
  Reply next_reply();

  std::size_t max_message_bytes_;
  std::unique_ptr<TraceService> trace_service_;
  std::unique_ptr<LogsService> logs_service_;
  std::unique_ptr<MetricsService> metrics_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::string start_error_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<Reply> script_;
  std::vector<ReceivedRequest> received_;
  std::set<std::string> peers_;
  std::size_t request_count_ = 0;
  bool discard_ = false;
  std::vector<std::thread> delayed_;
  bool stopping_ = false;
  bool stopped_ = false;
};

}  // namespace edgetrace::testing
