#include "receivers/otlp_grpc.hpp"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace edgetrace::daemon {
namespace {

namespace trace_v1 = opentelemetry::proto::collector::trace::v1;
namespace logs_v1 = opentelemetry::proto::collector::logs::v1;
namespace metrics_v1 = opentelemetry::proto::collector::metrics::v1;

constexpr std::string_view kReceiver = "otlp_grpc";

// What every Export call needs (copied into each; what it refers to is the receiver's, which
// outlives the server).
struct ExportContext {
  Intake& intake;
  OtlpReceiverCounters& counters;
  const OtlpGrpcReceiverOptions& options;
};

grpc::Status error(grpc::StatusCode code, const std::string& message,
                   std::chrono::milliseconds retry_delay) {
  // The details travel as grpc-status-details-bin: a serialized google.rpc.Status whose
  // code and message repeat the call's (the rule of grpc's rich error model).
  return grpc::Status(code, message,
                      otlp_error_status(static_cast<int>(code), message, retry_delay));
}

grpc::Status handle(const ExportContext& context, OtlpSignal signal,
                    const grpc::ByteBuffer& request, grpc::ByteBuffer& response) {
  // One slice (the usual case) is decoded in place; a message grpc received in several
  // slices is joined once.
  grpc::Slice slice;
  if (!request.TrySingleSlice(&slice).ok() && !request.DumpToSingleSlice(&slice).ok())
    return error(grpc::StatusCode::INVALID_ARGUMENT, "the message could not be read", {});
  const std::string_view body(reinterpret_cast<const char*>(slice.begin()), slice.size());
  otlp::DecodeLimits limits;
  limits.max_message_bytes = context.options.max_message_bytes;
  OtlpExportResult result = export_otlp(signal, otlp::Encoding::kProtobuf, body, limits,
                                        context.intake, context.counters);
  switch (result.outcome) {
    case OtlpOutcome::kAccepted:
    case OtlpOutcome::kPartial: {
      grpc::Slice out(result.response);
      response = grpc::ByteBuffer(&out, 1);
      return grpc::Status::OK;
    }
    case OtlpOutcome::kInvalid:
      // OTLP specification, "Failures": InvalidArgument for bad data.
      return error(grpc::StatusCode::INVALID_ARGUMENT, result.status.message(), {});
    case OtlpOutcome::kExhausted:
      // "Failures": RESOURCE_EXHAUSTED is retryable only with a RetryInfo, which we give:
      // a full queue drains as the exporters deliver.
      return error(grpc::StatusCode::RESOURCE_EXHAUSTED,
                   "the durable queue is full; retry later: " + result.status.message(),
                   context.options.retry_delay);
    case OtlpOutcome::kUnavailable:
      // "OTLP/gRPC Throttling": UNAVAILABLE with RetryInfo.
      return error(grpc::StatusCode::UNAVAILABLE,
                   "not accepting data now; retry later: " + result.status.message(),
                   context.options.retry_delay);
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "unknown outcome");
}

// One step of a call on the completion queue: the tag grpc hands back.
class CallStep {
 public:
  virtual ~CallStep() = default;
  virtual void proceed(bool ok) = 0;
};

// One Export call of one signal, from the request for it to its answer; it deletes itself.
// Its methods run on the queue's threads, one step at a time.
template <typename Service, OtlpSignal kSignal>
class ExportCall final : public CallStep {
 public:
  ExportCall(Service& service, grpc::ServerCompletionQueue& queue, const ExportContext& context,
             const std::atomic<bool>& stopping)
      : service_(service), queue_(queue), context_(context), stopping_(stopping) {
    service_.RequestExport(&server_context_, &request_, &responder_, &queue_, &queue_, this);
  }

  void proceed(bool ok) override {
    if (answered_ || !ok) {
      delete this;  // answered, or the server shut down before a call came
      return;
    }
    // The next call of this method can be taken by another thread while this one runs.
    if (!stopping_.load())
      new ExportCall(service_, queue_, context_, stopping_);
    grpc::ByteBuffer response;
    const grpc::Status status = handle(context_, kSignal, request_, response);
    answered_ = true;
    if (status.ok())
      responder_.Finish(response, status, this);
    else
      responder_.FinishWithError(status, this);
  }

 private:
  Service& service_;
  grpc::ServerCompletionQueue& queue_;
  ExportContext context_;
  const std::atomic<bool>& stopping_;
  grpc::ServerContext server_context_;
  grpc::ByteBuffer request_;
  grpc::ServerAsyncResponseWriter<grpc::ByteBuffer> responder_{&server_context_};
  bool answered_ = false;
};

// One signal's Export method, taking the request as raw bytes (see the header: the
// project's decoder, not grpc's, reads them).
template <typename Grpc, OtlpSignal kSignal>
class ExportService final : public Grpc::template WithRawMethod_Export<typename Grpc::Service> {
 public:
  void request_first(grpc::ServerCompletionQueue& queue, const ExportContext& context,
                     const std::atomic<bool>& stopping) {
    new ExportCall<ExportService, kSignal>(*this, queue, context, stopping);
  }
};

core::Result<std::string> read_pem(const std::string& path, std::string_view key) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in)
    text << in.rdbuf();
  if (!in || text.str().empty())
    return core::Status(core::StatusCode::kInvalidArgument,
                        "receivers.otlp.grpc.tls." + std::string(key) + ": cannot read " + path);
  return text.str();
}

core::Result<std::shared_ptr<grpc::ServerCredentials>> credentials(const net::TlsOptions& tls) {
  if (!tls.enabled())
    return grpc::InsecureServerCredentials();
  auto certificate = read_pem(tls.certificate_file, "certificate_file");
  if (!certificate)
    return certificate.status();
  auto key = read_pem(tls.private_key_file, "private_key_file");
  if (!key)
    return key.status();
  grpc::SslServerCredentialsOptions ssl(
      tls.client_ca_file.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                 : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!tls.client_ca_file.empty()) {
    auto ca = read_pem(tls.client_ca_file, "client_ca_file");
    if (!ca)
      return ca.status();
    ssl.pem_root_certs = std::move(ca).value();
  }
  ssl.pem_key_cert_pairs.push_back({std::move(key).value(), std::move(certificate).value()});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

OtlpGrpcReceiver::OtlpGrpcReceiver(OtlpGrpcReceiverOptions options, Intake& intake)
    : options_(std::move(options)), intake_(intake) {}

OtlpGrpcReceiver::~OtlpGrpcReceiver() {
  stop();
}

core::Status OtlpGrpcReceiver::start() {
  if (options_.listen.empty() || running_.load())
    return {};
  const ExportContext context{intake_, counters_, options_};
  auto traces = std::make_unique<ExportService<trace_v1::TraceService, OtlpSignal::kTraces>>();
  auto logs = std::make_unique<ExportService<logs_v1::LogsService, OtlpSignal::kLogs>>();
  auto metrics =
      std::make_unique<ExportService<metrics_v1::MetricsService, OtlpSignal::kMetrics>>();

  auto creds = credentials(options_.tls);
  if (!creds)
    return creds.status();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options_.listen, *creds, &port);
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<std::size_t>(options_.max_message_bytes, std::numeric_limits<int>::max())));
  // grpc sets SO_REUSEPORT by default: a second daemon would then share the port and half
  // the calls, instead of failing to start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(traces.get());
  builder.RegisterService(logs.get());
  builder.RegisterService(metrics.get());
  std::unique_ptr<grpc::ServerCompletionQueue> queue = builder.AddCompletionQueue();
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    if (server) {
      server->Shutdown();
      server->Wait();
    }
    queue->Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (queue->Next(&tag, &ok)) {
    }
    return core::Status(core::StatusCode::kUnavailable,
                        "receivers.otlp.grpc: " + options_.listen +
                            ": cannot listen (address in use, or not an address of this host)");
  }
  stopping_.store(false);
  traces->request_first(*queue, context, stopping_);
  logs->request_first(*queue, context, stopping_);
  metrics->request_first(*queue, context, stopping_);
  services_.clear();
  services_.push_back(std::move(traces));
  services_.push_back(std::move(logs));
  services_.push_back(std::move(metrics));
  queue_ = std::move(queue);
  server_ = std::move(server);
  port_ = port;
  for (std::size_t i = 0; i < std::max<std::size_t>(options_.threads, 1); ++i)
    threads_.emplace_back([q = queue_.get()] {
      void* tag = nullptr;
      bool ok = false;
      while (q->Next(&tag, &ok))
        static_cast<CallStep*>(tag)->proceed(ok);
    });
  running_.store(true);
  return {};
}

void OtlpGrpcReceiver::stop() {
  if (server_) {
    stopping_.store(true);
    // Calls in flight are answered (their data reaches the Intake) until the deadline; the
    // queue's threads keep running them meanwhile. Then the queue is drained and closed.
    server_->Shutdown(std::chrono::system_clock::now() + options_.drain_timeout);
    queue_->Shutdown();
    for (std::thread& t : threads_)
      t.join();
    threads_.clear();
    server_->Wait();
    server_.reset();
    queue_.reset();
  }
  running_.store(false);
}

bool OtlpGrpcReceiver::ready() const {
  return running_.load() || options_.listen.empty();
}

std::uint16_t OtlpGrpcReceiver::port() const noexcept {
  return static_cast<std::uint16_t>(port_);
}

void OtlpGrpcReceiver::write_metrics(MetricsText& out) const {
  counters_.write(out, kReceiver, /*json=*/false);  // gRPC carries protobuf only
}

}  // namespace edgetrace::daemon
