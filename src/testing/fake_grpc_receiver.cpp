#include "testing/fake_grpc_receiver.hpp"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include <zlib.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "otlp/internal/grpc_transport.hpp"

namespace edgetrace::testing {
namespace {

namespace trace_v1 = opentelemetry::proto::collector::trace::v1;
namespace logs_v1 = opentelemetry::proto::collector::logs::v1;
namespace metrics_v1 = opentelemetry::proto::collector::metrics::v1;

enum class Kind { kTraces, kLogs, kMetrics };

constexpr std::chrono::seconds kShutdownGrace{2};

grpc::ByteBuffer to_byte_buffer(const google::protobuf::Message& message) {
  grpc::Slice slice(message.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

// Inflates a gzip member; nullopt when malformed or larger than `limit`.
std::optional<std::string> gunzip(const std::string& in, std::size_t limit) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    return std::nullopt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char chunk[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END)
      break;
    out.append(chunk, sizeof(chunk) - zs.avail_out);
    if (out.size() > limit) {
      rc = Z_BUF_ERROR;
      break;
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      rc = Z_DATA_ERROR;  // truncated
      break;
    }
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END)
    return std::nullopt;
  return out;
}

std::string to_string(grpc::string_ref s) {
  return std::string(s.data(), s.size());
}

// The reply's status, with a google.rpc.Status carrying RetryInfo when the script asks.
grpc::Status reply_status(const Reply& reply) {
  if (reply.grpc_code == 0)
    return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(reply.grpc_code);
  if (!reply.retry_info)
    return grpc::Status(code, reply.message);
  google::rpc::Status details;
  details.set_code(reply.grpc_code);
  details.set_message(reply.message);
  google::rpc::RetryInfo info;
  const auto ms = reply.retry_info->count();
  info.mutable_retry_delay()->set_seconds(ms / 1000);
  info.mutable_retry_delay()->set_nanos(static_cast<std::int32_t>((ms % 1000) * 1'000'000));
  details.add_details()->PackFrom(info);
  return grpc::Status(code, reply.message, details.SerializeAsString());
}

grpc::ByteBuffer ok_response(Kind kind, const Reply& reply) {
  const bool partial = reply.rejected_items != 0 || !reply.message.empty();
  switch (kind) {
    case Kind::kTraces: {
      trace_v1::ExportTraceServiceResponse r;
      if (partial) {
        r.mutable_partial_success()->set_rejected_spans(reply.rejected_items);
        r.mutable_partial_success()->set_error_message(reply.message);
      }
      return to_byte_buffer(r);
    }
    case Kind::kLogs: {
      logs_v1::ExportLogsServiceResponse r;
      if (partial) {
        r.mutable_partial_success()->set_rejected_log_records(reply.rejected_items);
        r.mutable_partial_success()->set_error_message(reply.message);
      }
      return to_byte_buffer(r);
    }
    case Kind::kMetrics: {
      metrics_v1::ExportMetricsServiceResponse r;
      if (partial) {
        r.mutable_partial_success()->set_rejected_data_points(reply.rejected_items);
        r.mutable_partial_success()->set_error_message(reply.message);
      }
      return to_byte_buffer(r);
    }
  }
  return {};
}

}  // namespace

struct FakeOtlpGrpcReceiver::Call {
  Kind kind;
  const char* path;
  grpc::CallbackServerContext* context;
  const grpc::ByteBuffer* request;
  grpc::ByteBuffer* response;
  grpc::ServerUnaryReactor* reactor;
};

// One class per OTLP service; each takes its Export call as raw bytes so that the receiver
// decodes (and records a decode error) itself.
#define ET_FAKE_GRPC_SERVICE(Name, Grpc, KindValue, Path)                        \
  class FakeOtlpGrpcReceiver::Name final                                         \
      : public Grpc::WithRawCallbackMethod_Export<Grpc::Service> {               \
   public:                                                                       \
    explicit Name(FakeOtlpGrpcReceiver& owner) : owner_(owner) {}                \
    using Grpc::WithRawCallbackMethod_Export<Grpc::Service>::Export;             \
    grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,       \
                                     const grpc::ByteBuffer* request,            \
                                     grpc::ByteBuffer* response) override {      \
      grpc::ServerUnaryReactor* reactor = context->DefaultReactor();             \
      owner_.handle(Call{KindValue, Path, context, request, response, reactor}); \
      return reactor;                                                            \
    }                                                                            \
                                                                                 \
   private:                                                                      \
    FakeOtlpGrpcReceiver& owner_;                                                \
  };

ET_FAKE_GRPC_SERVICE(TraceService, trace_v1::TraceService, Kind::kTraces,
                     "/opentelemetry.proto.collector.trace.v1.TraceService/Export")
ET_FAKE_GRPC_SERVICE(LogsService, logs_v1::LogsService, Kind::kLogs,
                     "/opentelemetry.proto.collector.logs.v1.LogsService/Export")
ET_FAKE_GRPC_SERVICE(MetricsService, metrics_v1::MetricsService, Kind::kMetrics,
                     "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export")
#undef ET_FAKE_GRPC_SERVICE

FakeOtlpGrpcReceiver::FakeOtlpGrpcReceiver(FakeOtlpGrpcReceiverOptions options)
    : max_message_bytes_(options.max_message_bytes),
      trace_service_(std::make_unique<TraceService>(*this)),
      logs_service_(std::make_unique<LogsService>(*this)),
      metrics_service_(std::make_unique<MetricsService>(*this)) {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (options.server_certificate_pem.empty() && options.server_key_pem.empty()) {
    credentials = grpc::InsecureServerCredentials();
  } else {
    grpc::SslServerCredentialsOptions ssl(
        options.client_ca_pem.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                      : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = options.client_ca_pem;
    ssl.pem_key_cert_pairs.push_back({options.server_key_pem, options.server_certificate_pem});
    credentials = grpc::SslServerCredentials(ssl);
  }

  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", credentials, &port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<std::size_t>(options.max_message_bytes, std::numeric_limits<int>::max())));
  // Messages reach the handler as they came over the wire (flagged compressed or not), so
  // that body_bytes is the received size and gzip says whether the message was compressed.
  builder.AddChannelArgument(GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION, 0);
  builder.RegisterService(trace_service_.get());
  builder.RegisterService(logs_service_.get());
  builder.RegisterService(metrics_service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    port_ = 0;
    start_error_ = "fake gRPC receiver: could not listen on 127.0.0.1";
    server_.reset();
  }
}

FakeOtlpGrpcReceiver::~FakeOtlpGrpcReceiver() {
  stop();
}

std::string FakeOtlpGrpcReceiver::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

void FakeOtlpGrpcReceiver::script(std::vector<Reply> replies) {
  std::lock_guard<std::mutex> lock(mu_);
  script_.assign(std::make_move_iterator(replies.begin()), std::make_move_iterator(replies.end()));
}

bool FakeOtlpGrpcReceiver::wait_for_requests(std::size_t n,
                                             std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return request_count_ >= n; });
}

std::vector<ReceivedRequest> FakeOtlpGrpcReceiver::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

std::size_t FakeOtlpGrpcReceiver::request_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return request_count_;
}

void FakeOtlpGrpcReceiver::set_discard(bool discard) {
  std::lock_guard<std::mutex> lock(mu_);
  discard_ = discard;
}

std::size_t FakeOtlpGrpcReceiver::connection_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peers_.size();
}

Reply FakeOtlpGrpcReceiver::next_reply() {
  if (script_.empty())
    return Reply::ok();
  Reply r = std::move(script_.front());
  script_.pop_front();
  return r;
}

ReceivedRequest FakeOtlpGrpcReceiver::record(const Call& call) const {
  ReceivedRequest rec;
  rec.path = call.path;
  for (const auto& [key, value] : call.context->client_metadata())
    rec.headers[to_string(key)] = to_string(value);
  rec.body_bytes = call.request->Length();
  std::string bytes = otlp::internal::flatten(*call.request);
  // The server does not decompress (see the constructor). A gzip member's magic bytes can
  // never start an Export request: 0x1f would be a field with the invalid wire type 7.
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
      static_cast<unsigned char>(bytes[1]) == 0x8b) {
    rec.gzip = true;
    std::optional<std::string> inflated = gunzip(bytes, max_message_bytes_);
    if (!inflated) {
      rec.decode_error = "request is not valid gzip (or inflates beyond the size limit)";
      bytes.clear();
    } else {
      bytes = std::move(*inflated);
    }
  }
  bool decoded = false;
  switch (call.kind) {
    case Kind::kTraces:
      decoded = rec.traces.ParseFromString(bytes);
      break;
    case Kind::kLogs:
      decoded = rec.logs.ParseFromString(bytes);
      break;
    case Kind::kMetrics:
      decoded = rec.metrics.ParseFromString(bytes);
      break;
  }
  if (!decoded && rec.decode_error.empty())
    rec.decode_error = "request is not a valid protobuf Export request";
  return rec;
}

void FakeOtlpGrpcReceiver::handle(Call call) {
  bool discard = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    discard = discard_;
  }
  std::optional<ReceivedRequest> rec;
  if (!discard)
    rec = record(call);

  std::string peer = call.context->peer();
  Reply reply;
  {
    std::lock_guard<std::mutex> lock(mu_);
    peers_.insert(std::move(peer));
    ++request_count_;
    if (rec)
      received_.push_back(std::move(*rec));
    reply = next_reply();
    cv_.notify_all();
  }

  // Finishes the call as scripted; runs now or on a delay thread.
  auto finish = [call, reply = std::move(reply)]() {
    if (reply.drop_connection) {
      call.context->TryCancel();
      call.reactor->Finish(grpc::Status::CANCELLED);
      return;
    }
    grpc::Status status = reply_status(reply);
    if (status.ok())
      *call.response = ok_response(call.kind, reply);
    call.reactor->Finish(status);
  };

  if (reply.delay.count() <= 0) {
    finish();
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    finish();
    return;
  }
  const auto delay = reply.delay;
  delayed_.emplace_back([this, delay, finish = std::move(finish)]() {
    {
      std::unique_lock<std::mutex> wait_lock(mu_);
      cv_.wait_for(wait_lock, delay, [&] { return stopping_; });
    }
    finish();
  });
}

void FakeOtlpGrpcReceiver::stop() {
  std::vector<std::thread> delayed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_)
      return;
    stopped_ = true;
    stopping_ = true;
    delayed.swap(delayed_);
    cv_.notify_all();
  }
  for (std::thread& t : delayed)
    t.join();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
    server_->Wait();
  }
}

}  // namespace edgetrace::testing
