#include "internal/grpc_transport.hpp"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>

#include "edgetrace/core/posix.hpp"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace edgetrace::otlp::internal {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kTraceMethod =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
constexpr std::string_view kLogsMethod =
    "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
constexpr std::string_view kMetricsMethod =
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

// After the deadline, gRPC delivers the call's completion within milliseconds; this bounds
// the wait should it not (the call state outlives send() then).
constexpr milliseconds kCompletionGrace{250};
// No single Export call waits longer than this, whatever deadline it is given.
constexpr std::chrono::hours kLongestCall{24};

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size())
    return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i])
      return false;
  }
  return true;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// gRPC metadata keys: lowercase letters, digits, '-', '_', '.'; not starting with "grpc-"
// (reserved for the protocol).
bool valid_metadata_key(std::string_view key) {
  if (key.empty() || key.substr(0, 5) == "grpc-")
    return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

// Values of non-binary ("-bin") keys: printable ASCII.
bool valid_metadata_value(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

// Reads a PEM file; `what` names it in errors ("CA file").
core::Result<std::string> read_pem_file(std::string_view what, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return core::Status(core::StatusCode::kInvalidArgument, std::string("otlp/grpc: cannot read ") +
                                                                std::string(what) + " '" + path +
                                                                "': " + core::errno_text(err));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return core::Status(
        core::StatusCode::kInvalidArgument,
        std::string("otlp/grpc: error reading ") + std::string(what) + " '" + path + "'");
  }
  if (text.find("-----BEGIN ") == std::string::npos) {
    return core::Status(
        core::StatusCode::kInvalidArgument,
        std::string("otlp/grpc: ") + std::string(what) + " '" + path + "' holds no PEM data");
  }
  return text;
}

GrpcCode to_grpc_code(grpc::StatusCode code) {
  const int n = static_cast<int>(code);
  if (n < 0 || n > static_cast<int>(GrpcCode::kUnauthenticated))
    return GrpcCode::kUnknown;
  return static_cast<GrpcCode>(n);
}

// The delay of the first google.rpc.RetryInfo detail in a serialized google.rpc.Status.
std::optional<milliseconds> retry_info_delay(const std::string& status_details) {
  if (status_details.empty())
    return std::nullopt;
  google::rpc::Status status;
  if (!status.ParseFromString(status_details))
    return std::nullopt;
  for (const google::protobuf::Any& detail : status.details()) {
    if (!detail.Is<google::rpc::RetryInfo>())
      continue;
    google::rpc::RetryInfo info;
    if (!detail.UnpackTo(&info) || !info.has_retry_delay())
      continue;
    const auto& d = info.retry_delay();
    const std::int64_t ms = d.seconds() * 1000 + d.nanos() / 1'000'000;
    return milliseconds(std::max<std::int64_t>(ms, 0));
  }
  return std::nullopt;
}

// Reads partial_success of a successful Export reply into `out`.
template <typename Response, typename RejectedFn>
void read_partial_success(const std::string& bytes, RejectedFn rejected, TransportResponse& out) {
  Response response;
  if (!response.ParseFromString(bytes)) {
    // The receiver accepted the data (status OK); only its reply is unreadable.
    out.message = "otlp/grpc: the receiver's Export response could not be decoded";
    return;
  }
  if (!response.has_partial_success())
    return;
  out.rejected_items = rejected(response.partial_success());
  out.message = response.partial_success().error_message();
}

}  // namespace

std::string flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok())
    return out;
  out.reserve(buffer.Length());
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

core::Result<GrpcTarget> parse_grpc_endpoint(std::string_view endpoint, bool insecure) {
  GrpcTarget target;
  std::string_view rest = endpoint;
  if (starts_with_ci(rest, "http://")) {
    target.tls = false;
    rest.remove_prefix(7);
  } else if (starts_with_ci(rest, "https://")) {
    target.tls = true;
    rest.remove_prefix(8);
  } else if (rest.find("://") != std::string_view::npos) {
    return core::invalid_argument(
        "otlp/grpc: endpoint scheme must be http:// (plaintext) or https:// (TLS)");
  } else {
    target.tls = !insecure;
  }
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.find('@') != std::string_view::npos)
    return core::invalid_argument("otlp/grpc: endpoint must not contain userinfo");
  if (rest.empty())
    return core::invalid_argument("otlp/grpc: endpoint has no host");
  // A port follows the last ':' unless that ':' is inside an IPv6 literal "[...]".
  const std::size_t colon = rest.rfind(':');
  const std::size_t bracket = rest.rfind(']');
  const bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  if (has_port) {
    const std::string_view port = rest.substr(colon + 1);
    if (colon == 0 || port.empty() ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return core::invalid_argument("otlp/grpc: endpoint has an invalid host or port");
    }
    target.authority = std::string(rest);
  } else {
    target.authority = std::string(rest) + ":4317";
  }
  return target;
}

std::string_view grpc_export_method(Signal signal) noexcept {
  switch (signal) {
    case Signal::kTraces:
      return kTraceMethod;
    case Signal::kLogs:
      return kLogsMethod;
    case Signal::kMetrics:
      return kMetricsMethod;
  }
  return kTraceMethod;
}

struct GrpcTransport::Stub {
  explicit Stub(std::shared_ptr<grpc::Channel> channel) : generic(std::move(channel)) {}
  grpc::GenericStub generic;
};

core::Result<std::unique_ptr<GrpcTransport>> GrpcTransport::create(
    const OtlpExporterOptions& options) {
  const std::string endpoint = resolved_endpoint(options, Signal::kTraces);
  core::Result<GrpcTarget> target = parse_grpc_endpoint(endpoint, options.insecure);
  if (!target)
    return target.status();

  std::vector<std::pair<std::string, std::string>> metadata;
  metadata.reserve(options.headers.size());
  for (const Header& h : options.headers) {
    std::string key = lowercase(h.name);
    if (!valid_metadata_key(key)) {
      return core::invalid_argument("otlp/grpc: header '" + key +
                                    "' is not a valid gRPC metadata key");
    }
    const bool binary = key.size() > 4 && key.compare(key.size() - 4, 4, "-bin") == 0;
    if (!binary && !valid_metadata_value(h.value)) {
      return core::invalid_argument("otlp/grpc: the value of header '" + key +
                                    "' has characters gRPC metadata cannot carry");
    }
    metadata.emplace_back(std::move(key), h.value);
  }

  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (target->tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) {
      core::Result<std::string> ca = read_pem_file("CA file", options.ca_file);
      if (!ca)
        return ca.status();
      ssl.pem_root_certs = std::move(*ca);
    }
    const bool has_cert = !options.client_certificate_file.empty();
    const bool has_key = !options.client_key_file.empty();
    if (has_cert != has_key) {
      return core::invalid_argument(
          "otlp/grpc: a client certificate and a client key must be given together");
    }
    if (has_cert) {
      core::Result<std::string> cert =
          read_pem_file("client certificate file", options.client_certificate_file);
      if (!cert)
        return cert.status();
      core::Result<std::string> key = read_pem_file("client key file", options.client_key_file);
      if (!key)
        return key.status();
      ssl.pem_cert_chain = std::move(*cert);
      ssl.pem_private_key = std::move(*key);
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }

  grpc::ChannelArguments args;
  // Keep the HTTP/2 connection healthy while calls are in flight; no pings when idle, so
  // receivers' ping policies (e.g. the Collector's) are respected.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  // The exporter retries with its own backoff (capped at 32 s by default); a reconnect
  // backoff of gRPC's default 120 s would fail those retries without trying.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 30000);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 1000);
  args.SetString(GRPC_ARG_PRIMARY_USER_AGENT_STRING, "edgetrace-otlp-grpc");
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(target->authority, credentials, args);
  if (!channel)
    return core::internal_error("otlp/grpc: could not create a channel");

  return std::unique_ptr<GrpcTransport>(new GrpcTransport(std::move(*target), std::move(metadata),
                                                          options.compression == Compression::kGzip,
                                                          std::move(channel)));
}

GrpcTransport::GrpcTransport(GrpcTarget target,
                             std::vector<std::pair<std::string, std::string>> metadata, bool gzip,
                             std::shared_ptr<grpc::Channel> channel)
    : target_(std::move(target)),
      metadata_(std::move(metadata)),
      gzip_(gzip),
      channel_(std::move(channel)),
      stub_(std::make_unique<Stub>(channel_)) {}

GrpcTransport::~GrpcTransport() = default;

core::Result<std::string> GrpcTransport::encode(Signal /*signal*/,
                                                const google::protobuf::Message& request) {
  std::string out;
  if (!request.SerializeToString(&out))
    return core::invalid_argument("otlp/grpc: the request could not be serialized");
  return out;
}

TransportResponse GrpcTransport::send(Signal signal, const std::string& body, Deadline deadline) {
  TransportResponse out;
  const Clock::time_point now = Clock::now();
  if (deadline <= now) {
    out.verdict = classify_grpc(GrpcCode::kDeadlineExceeded, std::nullopt);
    out.message = "otlp/grpc: deadline passed before the request was sent";
    return out;
  }
  // A far deadline (e.g. time_point::max()) must not overflow the system_clock arithmetic.
  deadline = std::min(deadline, now + kLongestCall);

  // The call runs on a completion queue owned by this frame: everything it touches lives
  // until the queue is drained below, so nothing is freed from inside gRPC's threads.
  grpc::ClientContext context;
  context.set_deadline(
      std::chrono::system_clock::now() +
      std::chrono::duration_cast<std::chrono::system_clock::duration>(deadline - now));
  for (const auto& [key, value] : metadata_)
    context.AddMetadata(key, value);
  if (gzip_)
    context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  grpc::Slice slice(body.data(), body.size());
  const grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  // grpc++ compresses inside the call and does not report the compressed size, so with gzip
  // this counts the message before compression.
  out.bytes_sent = body.size();

  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::GenericClientAsyncResponseReader> rpc = stub_->generic.PrepareUnaryCall(
      &context, std::string(grpc_export_method(signal)), request, &cq);
  rpc->StartCall();
  void* const kFinished = reinterpret_cast<void*>(1);
  rpc->Finish(&response, &status, kFinished);

  void* tag = nullptr;
  bool ok = false;
  // gRPC ends the call at its deadline; the grace only guards against a stuck completion.
  const auto give_up = std::chrono::system_clock::now() +
                       std::chrono::duration_cast<std::chrono::system_clock::duration>(
                           deadline - Clock::now() + kCompletionGrace);
  bool cancelled = false;
  if (cq.AsyncNext(&tag, &ok, give_up) != grpc::CompletionQueue::GOT_EVENT) {
    context.TryCancel();
    cancelled = true;
    (void)cq.Next(&tag, &ok);  // a cancelled call completes promptly
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (cancelled ||
      (status.error_code() == grpc::StatusCode::CANCELLED && Clock::now() >= deadline)) {
    out.verdict = classify_grpc(GrpcCode::kDeadlineExceeded, std::nullopt);
    out.message = "otlp/grpc: no reply by the deadline";
    return out;
  }

  if (!status.ok()) {
    out.verdict =
        classify_grpc(to_grpc_code(status.error_code()), retry_info_delay(status.error_details()));
    out.message = status.error_message();
    return out;
  }

  out.verdict = classify_grpc(GrpcCode::kOk, std::nullopt);
  const std::string reply = flatten(response);
  switch (signal) {
    case Signal::kTraces:
      read_partial_success<opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse>(
          reply, [](const auto& p) { return p.rejected_spans(); }, out);
      break;
    case Signal::kLogs:
      read_partial_success<opentelemetry::proto::collector::logs::v1::ExportLogsServiceResponse>(
          reply, [](const auto& p) { return p.rejected_log_records(); }, out);
      break;
    case Signal::kMetrics:
      read_partial_success<
          opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceResponse>(
          reply, [](const auto& p) { return p.rejected_data_points(); }, out);
      break;
  }
  return out;
}

}  // namespace edgetrace::otlp::internal
