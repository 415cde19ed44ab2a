// What a fake OTLP receiver answers, request by request, and what it recorded.
//
//   FakeOtlpHttpReceiver rx;                       // or FakeOtlpGrpcReceiver
//   rx.script({Reply::http(503).with_retry_after("1"), Reply::ok()});
//   ... export ...
//   rx.wait_for_requests(2, 5s);
//   rx.received()[1].traces.resource_spans_size();
//
// Replies are consumed in order; when the script runs out, every request gets ok().
// Thread-safety: the receivers lock internally; script() and received() may be called
// from the test thread while the server thread serves.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace edgetrace::testing {

struct Reply {
  int http_status = 200;  // HTTP receivers
  int grpc_code = 0;      // gRPC receivers (grpc::StatusCode numbering)
  std::string message;    // error body / gRPC message / partial_success.error_message
  std::optional<std::string> retry_after;               // HTTP Retry-After value
  std::optional<std::chrono::milliseconds> retry_info;  // gRPC google.rpc.RetryInfo
  std::int64_t rejected_items = 0;                      // partial_success count
  std::chrono::milliseconds delay{0};                   // wait before answering
  bool drop_connection = false;                         // close without answering

  static Reply ok() { return Reply{}; }
  static Reply http(int status, std::string body = {}) {
    Reply r;
    r.http_status = status;
    r.message = std::move(body);
    return r;
  }
  static Reply grpc(int code, std::string msg = {}) {
    Reply r;
    r.grpc_code = code;
    r.message = std::move(msg);
    return r;
  }
  static Reply partial(std::int64_t rejected, std::string msg) {
    Reply r;
    r.rejected_items = rejected;
    r.message = std::move(msg);
    return r;
  }
  static Reply disconnect() {
    Reply r;
    r.drop_connection = true;
    return r;
  }
  Reply with_retry_after(std::string v) && {
    retry_after = std::move(v);
    return std::move(*this);
  }
  Reply with_retry_info(std::chrono::milliseconds d) && {
    retry_info = d;
    return std::move(*this);
  }
  Reply with_delay(std::chrono::milliseconds d) && {
    delay = d;
    return std::move(*this);
  }
};

// One request as the receiver decoded it.
struct ReceivedRequest {
  std::string path;  // HTTP path, or the gRPC method ("/opentelemetry.proto...Service/Export")
  std::map<std::string, std::string> headers;  // lowercase names (HTTP headers / gRPC metadata)
  std::string content_type;
  bool gzip = false;
  std::size_t body_bytes = 0;  // as received (compressed, if it was)
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest traces;
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest logs;
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest metrics;
  std::string decode_error;  // empty when the body decoded cleanly
};

}  // namespace edgetrace::testing
