#include "receivers/otlp_http.hpp"

#include <google/protobuf/arena.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "edgetrace/core/text.hpp"
#include "edgetrace/core/utf8.hpp"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace edgetrace::daemon {
namespace {

constexpr std::string_view kReceiver = "otlp_http";

// gRPC status code numbers (grpc/status.h; google/rpc/code.proto), used in the Status body
// of an HTTP error as the Collector does (otlpreceiver otlphttp.go writeError).
constexpr int kGrpcInvalidArgument = 3;
constexpr int kGrpcResourceExhausted = 8;
constexpr int kGrpcUnavailable = 14;

constexpr std::size_t index(OtlpSignal s) noexcept {
  return static_cast<std::size_t>(s);
}
constexpr std::size_t index(otlp::Encoding e) noexcept {
  return e == otlp::Encoding::kJson ? 1 : 0;
}
constexpr std::size_t index(OtlpOutcome o) noexcept {
  return static_cast<std::size_t>(o);
}
std::string_view encoding_label(std::size_t e) noexcept {
  return e == 1 ? "json" : "protobuf";
}

google::rpc::Status make_status(int grpc_code, std::string_view message,
                                std::chrono::milliseconds retry_delay) {
  google::rpc::Status status;
  status.set_code(grpc_code);
  // Status.message is a proto3 string: it must be UTF-8 (the JSON printer refuses anything
  // else), and a decoder's message may quote input bytes.
  std::string text;
  core::append_valid_utf8(text, message);
  status.set_message(std::move(text));
  if (retry_delay.count() > 0) {
    // OTLP specification, "OTLP/gRPC Throttling": RetryInfo in the status details says how
    // long to wait; "Failures" lets an HTTP Status carry the same details.
    google::rpc::RetryInfo info;
    info.mutable_retry_delay()->set_seconds(retry_delay.count() / 1000);
    info.mutable_retry_delay()->set_nanos(
        static_cast<std::int32_t>((retry_delay.count() % 1000) * 1'000'000));
    status.add_details()->PackFrom(info);
  }
  return status;
}

// Fills the partial_success of each signal's response.
template <typename Response>
void set_partial(Response& response, std::uint64_t rejected, const std::string& message);

template <>
void set_partial(otlp::TraceResponse& r, std::uint64_t rejected, const std::string& message) {
  r.mutable_partial_success()->set_rejected_spans(static_cast<std::int64_t>(rejected));
  r.mutable_partial_success()->set_error_message(message);
}
template <>
void set_partial(otlp::LogsResponse& r, std::uint64_t rejected, const std::string& message) {
  r.mutable_partial_success()->set_rejected_log_records(static_cast<std::int64_t>(rejected));
  r.mutable_partial_success()->set_error_message(message);
}
template <>
void set_partial(otlp::MetricsResponse& r, std::uint64_t rejected, const std::string& message) {
  r.mutable_partial_success()->set_rejected_data_points(static_cast<std::int64_t>(rejected));
  r.mutable_partial_success()->set_error_message(message);
}

// A decoded request lives on an arena: a batch of 100 spans is thousands of small objects
// (spans, attributes, values, strings), and allocating and freeing each of them was a third
// of the receiver's CPU time (bench/otlp_receivers_bench.cpp, perf). The arena starts in a
// block each thread keeps (kArenaBlockBytes per thread that decodes: the handler pool,
// grpc's callback threads), so a typical batch allocates no block at all; further blocks
// stay under glibc's mmap threshold (128 KiB), so that they are not mapped and unmapped
// per request. One arena per thread at a time: export_signal() does not nest.
google::protobuf::ArenaOptions decode_arena_options() {
  constexpr std::size_t kArenaBlockBytes = 128 * 1024;
  thread_local const std::unique_ptr<char[]> block(new char[kArenaBlockBytes]);
  google::protobuf::ArenaOptions options;
  options.initial_block = block.get();
  options.initial_block_size = kArenaBlockBytes;
  options.max_block_size = 64 * 1024;
  return options;
}

// Counts the Intake's answer and, for a success, encodes the response.
template <typename Response>
void finish(OtlpSignal signal, otlp::Encoding encoding, IntakeResult taken,
            OtlpReceiverCounters& counters, OtlpExportResult& result) {
  const std::size_t s = index(signal);
  counters.items_accepted[s].fetch_add(taken.accepted, std::memory_order_relaxed);
  if (taken.status.ok()) {
    counters.items_rejected[s].fetch_add(taken.rejected, std::memory_order_relaxed);
    Response response;
    // OTLP specification, "Full Success": partial_success MUST be unset on full success;
    // "Partial Success": set with the count and a message when items were refused, or
    // with 0 and a non-empty message to convey a warning.
    if (taken.rejected > 0 || !taken.message.empty())
      set_partial(response, taken.rejected, taken.message);
    result.outcome = taken.rejected > 0 ? OtlpOutcome::kPartial : OtlpOutcome::kAccepted;
    otlp::encode(response, encoding, result.response);
    return;
  }
  switch (taken.status.code()) {
    case core::StatusCode::kResourceExhausted:
      result.outcome = OtlpOutcome::kExhausted;
      break;
    case core::StatusCode::kInvalidArgument:
      result.outcome = OtlpOutcome::kInvalid;
      break;
    default:
      result.outcome = OtlpOutcome::kUnavailable;
      break;
  }
  result.status = std::move(taken.status);
}

otlp::Signal otlp_signal(OtlpSignal signal) noexcept {
  switch (signal) {
    case OtlpSignal::kTraces:
      return otlp::Signal::kTraces;
    case OtlpSignal::kLogs:
      return otlp::Signal::kLogs;
    case OtlpSignal::kMetrics:
      break;
  }
  return otlp::Signal::kMetrics;
}

// What the Intake needs to know of protobuf bytes it takes as they are, from a full decode:
// for requests the wire scan does not vouch for (metrics, which it does not read; rare
// encodings; malformed input, whose decode error is the answer).
std::size_t items_of(const otlp::TraceRequest& r) {
  std::size_t n = 0;
  for (const auto& rs : r.resource_spans())
    for (const auto& ss : rs.scope_spans())
      n += static_cast<std::size_t>(ss.spans_size());
  return n;
}
std::size_t items_of(const otlp::LogsRequest& r) {
  std::size_t n = 0;
  for (const auto& rl : r.resource_logs())
    for (const auto& sl : rl.scope_logs())
      n += static_cast<std::size_t>(sl.log_records_size());
  return n;
}
// Data points, as otlp::count_items counts them.
std::size_t items_of(const otlp::MetricsRequest& r) {
  std::size_t n = 0;
  for (const auto& rm : r.resource_metrics())
    for (const auto& sm : rm.scope_metrics())
      for (const auto& m : sm.metrics())
        n += static_cast<std::size_t>(m.gauge().data_points_size() + m.sum().data_points_size() +
                                      m.histogram().data_points_size() +
                                      m.exponential_histogram().data_points_size() +
                                      m.summary().data_points_size());
  return n;
}

template <typename Request>
core::Status decode_summary(std::string_view body, const otlp::DecodeLimits& limits,
                            otlp::WireSummary& summary) {
  google::protobuf::Arena arena(decode_arena_options());
  Request& request = *google::protobuf::Arena::CreateMessage<Request>(&arena);
  core::Status decoded = otlp::decode_protobuf(body, request, limits);
  if (!decoded.ok())
    return decoded;
  summary.items = items_of(request);
  if constexpr (std::is_same_v<Request, otlp::LogsRequest>) {
    for (const auto& rl : request.resource_logs())
      for (const auto& sl : rl.scope_logs())
        for (const auto& lr : sl.log_records())
          summary.max_severity =
              std::max(summary.max_severity, static_cast<int>(lr.severity_number()));
  }
  return {};
}

template <typename Response>
OtlpExportResult export_bytes(OtlpSignal signal, std::string_view body,
                              const otlp::DecodeLimits& limits, Intake& intake,
                              OtlpReceiverCounters& counters) {
  OtlpExportResult result;
  const std::size_t s = index(signal);
  counters.body_bytes[s][0].fetch_add(body.size(), std::memory_order_relaxed);
  std::optional<otlp::WireSummary> summary;
  if (signal != OtlpSignal::kMetrics)
    summary = otlp::scan_protobuf(body, signal == OtlpSignal::kLogs, limits);
  if (!summary) {
    otlp::WireSummary decoded_summary;
    core::Status decoded =
        signal == OtlpSignal::kTraces
            ? decode_summary<otlp::TraceRequest>(body, limits, decoded_summary)
        : signal == OtlpSignal::kLogs
            ? decode_summary<otlp::LogsRequest>(body, limits, decoded_summary)
            : decode_summary<otlp::MetricsRequest>(body, limits, decoded_summary);
    if (decoded.ok()) {
      summary = decoded_summary;
    } else {
      result.outcome = OtlpOutcome::kInvalid;
      result.status = std::move(decoded);
    }
  }
  if (summary)
    finish<Response>(signal, otlp::Encoding::kProtobuf,
                     intake.accept_protobuf(otlp_signal(signal), body, *summary), counters, result);
  counters.requests[s][0][index(result.outcome)].fetch_add(1, std::memory_order_relaxed);
  return result;
}

template <typename Request, typename Response>
OtlpExportResult export_signal(OtlpSignal signal, otlp::Encoding encoding, std::string_view body,
                               const otlp::DecodeLimits& limits, Intake& intake,
                               OtlpReceiverCounters& counters) {
  if (encoding == otlp::Encoding::kProtobuf && intake.takes_protobuf(otlp_signal(signal)))
    return export_bytes<Response>(signal, body, limits, intake, counters);
  OtlpExportResult result;
  const std::size_t s = index(signal);
  counters.body_bytes[s][index(encoding)].fetch_add(body.size(), std::memory_order_relaxed);
  // The decoded request lives on an arena (see decode_arena_options()).
  google::protobuf::Arena arena(decode_arena_options());
  Request& request = *google::protobuf::Arena::CreateMessage<Request>(&arena);
  core::Status decoded = encoding == otlp::Encoding::kJson
                             ? otlp::decode_json(body, request, limits)
                             : otlp::decode_protobuf(body, request, limits);
  if (!decoded.ok()) {
    // Malformed input, and input over a decoder cap (depth, array length), are permanent:
    // retrying the same bytes cannot succeed. OTLP specification, "Bad Data": 400 /
    // INVALID_ARGUMENT.
    result.outcome = OtlpOutcome::kInvalid;
    result.status = std::move(decoded);
  } else {
    finish<Response>(signal, encoding, intake.accept(request), counters, result);
  }
  counters.requests[s][index(encoding)][index(result.outcome)].fetch_add(1,
                                                                         std::memory_order_relaxed);
  return result;
}

// The OTLP encoding a Content-Type names: its media type (before any parameter), compared
// case-insensitively (RFC 9110 8.3.1), as the Collector does with mime.ParseMediaType.
std::optional<otlp::Encoding> encoding_of(std::string_view content_type) {
  const std::size_t semicolon = content_type.find(';');
  const std::string_view media = core::trim_ows(content_type.substr(0, semicolon));
  if (core::iequals_ascii(media, otlp::content_type(otlp::Encoding::kProtobuf)))
    return otlp::Encoding::kProtobuf;
  if (core::iequals_ascii(media, otlp::content_type(otlp::Encoding::kJson)))
    return otlp::Encoding::kJson;
  return std::nullopt;
}

// An error answer: a google.rpc.Status in the request's encoding (OTLP specification,
// "Failures": the body of every 4xx and 5xx MUST be a Status).
net::Response status_response(int http_status, otlp::Encoding encoding,
                              const google::rpc::Status& status) {
  net::Response r;
  r.status = http_status;
  r.content_type = std::string(otlp::content_type(encoding));
  if (encoding == otlp::Encoding::kJson) {
    // The proto3 JSON mapping (the details' Any as {"@type": ..., fields}), as the
    // Collector's jsonpb marshaller writes it.
    google::protobuf::util::JsonPrintOptions options;
    if (!google::protobuf::util::MessageToJsonString(status, &r.body, options).ok()) {
      r.body.clear();
      google::rpc::Status plain;
      plain.set_code(status.code());
      plain.set_message(status.message());
      (void)google::protobuf::util::MessageToJsonString(plain, &r.body, options);
    }
  } else {
    status.SerializeToString(&r.body);
  }
  return r;
}

}  // namespace

std::string_view to_string(OtlpSignal signal) noexcept {
  switch (signal) {
    case OtlpSignal::kTraces:
      return "traces";
    case OtlpSignal::kLogs:
      return "logs";
    case OtlpSignal::kMetrics:
      return "metrics";
  }
  return "unknown";
}

std::string_view to_string(OtlpOutcome outcome) noexcept {
  switch (outcome) {
    case OtlpOutcome::kAccepted:
      return "accepted";
    case OtlpOutcome::kPartial:
      return "partial";
    case OtlpOutcome::kInvalid:
      return "invalid";
    case OtlpOutcome::kExhausted:
      return "exhausted";
    case OtlpOutcome::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

std::uint64_t OtlpReceiverCounters::requests_of(OtlpSignal signal, otlp::Encoding encoding,
                                                OtlpOutcome outcome) const noexcept {
  return requests[index(signal)][index(encoding)][index(outcome)].load(std::memory_order_relaxed);
}

void OtlpReceiverCounters::write(MetricsText& out, std::string_view receiver, bool json) const {
  const std::size_t encodings = json ? 2 : 1;
  for (std::size_t s = 0; s < kOtlpSignals; ++s) {
    const std::string_view signal = to_string(static_cast<OtlpSignal>(s));
    for (std::size_t e = 0; e < encodings; ++e)
      for (std::size_t o = 0; o < kOtlpOutcomes; ++o)
        out.counter("edgetraced_otlp_requests_total",
                    "OTLP Export requests decoded or refused by an OTLP receiver, by signal, "
                    "encoding and outcome.",
                    {{"receiver", receiver},
                     {"signal", signal},
                     {"encoding", encoding_label(e)},
                     {"outcome", to_string(static_cast<OtlpOutcome>(o))}},
                    requests[s][e][o].load(std::memory_order_relaxed));
  }
  for (std::size_t s = 0; s < kOtlpSignals; ++s)
    out.counter("edgetraced_otlp_items_accepted_total",
                "Spans, log records or data points an OTLP receiver put in the durable queue.",
                {{"receiver", receiver}, {"signal", to_string(static_cast<OtlpSignal>(s))}},
                items_accepted[s].load(std::memory_order_relaxed));
  for (std::size_t s = 0; s < kOtlpSignals; ++s)
    out.counter("edgetraced_otlp_items_rejected_total",
                "Spans, log records or data points refused by the pipeline's processors "
                "(reported to the sender as a partial success).",
                {{"receiver", receiver}, {"signal", to_string(static_cast<OtlpSignal>(s))}},
                items_rejected[s].load(std::memory_order_relaxed));
  for (std::size_t s = 0; s < kOtlpSignals; ++s)
    for (std::size_t e = 0; e < encodings; ++e)
      out.counter("edgetraced_otlp_received_bytes_total",
                  "Request bytes an OTLP receiver decoded (after decompression).",
                  {{"receiver", receiver},
                   {"signal", to_string(static_cast<OtlpSignal>(s))},
                   {"encoding", encoding_label(e)}},
                  body_bytes[s][e].load(std::memory_order_relaxed));
}

OtlpExportResult export_otlp(OtlpSignal signal, otlp::Encoding encoding, std::string_view body,
                             const otlp::DecodeLimits& limits, Intake& intake,
                             OtlpReceiverCounters& counters) {
  switch (signal) {
    case OtlpSignal::kTraces:
      return export_signal<otlp::TraceRequest, otlp::TraceResponse>(signal, encoding, body, limits,
                                                                    intake, counters);
    case OtlpSignal::kLogs:
      return export_signal<otlp::LogsRequest, otlp::LogsResponse>(signal, encoding, body, limits,
                                                                  intake, counters);
    case OtlpSignal::kMetrics:
      break;
  }
  return export_signal<otlp::MetricsRequest, otlp::MetricsResponse>(signal, encoding, body, limits,
                                                                    intake, counters);
}

std::string otlp_error_status(int grpc_code, std::string_view message,
                              std::chrono::milliseconds retry_delay) {
  return make_status(grpc_code, message, retry_delay).SerializeAsString();
}

net::Response answer_otlp_http(OtlpSignal signal, std::string_view content_type,
                               std::string_view body, const OtlpHttpReceiverOptions& options,
                               Intake& intake, OtlpReceiverCounters& counters) {
  const std::optional<otlp::Encoding> encoding = encoding_of(content_type);
  if (!encoding) {
    // The OTLP specification names only the two media types; the answer to any other is the
    // Collector's (otlphttp.go handleUnmatchedContentType): 415, text/plain, listing them.
    counters.unsupported_media_type.fetch_add(1, std::memory_order_relaxed);
    return net::Response::text(
        415, "415 unsupported media type, supported: [application/json, application/x-protobuf]\n");
  }
  otlp::DecodeLimits limits;
  limits.max_message_bytes = options.max_decompressed_bytes;
  OtlpExportResult result = export_otlp(signal, *encoding, body, limits, intake, counters);
  net::Response response;
  switch (result.outcome) {
    case OtlpOutcome::kAccepted:
    case OtlpOutcome::kPartial:
      // OTLP specification, "OTLP/HTTP Response": the same Content-Type as the request's.
      response.status = 200;
      response.content_type = std::string(otlp::content_type(*encoding));
      response.body = std::move(result.response);
      break;
    case OtlpOutcome::kInvalid:
      response = status_response(400, *encoding,
                                 make_status(kGrpcInvalidArgument, result.status.message(), {}));
      break;
    case OtlpOutcome::kExhausted:
    case OtlpOutcome::kUnavailable: {
      // OTLP specification, "OTLP/HTTP Throttling": 429 or 503 with Retry-After (seconds),
      // the same delay as the RetryInfo in the Status body.
      const std::chrono::seconds retry_after =
          std::max(options.retry_after, std::chrono::seconds(1));
      const bool full = result.outcome == OtlpOutcome::kExhausted;
      response = status_response(
          full ? 429 : 503, *encoding,
          make_status(full ? kGrpcResourceExhausted : kGrpcUnavailable,
                      full ? "the durable queue is full; retry later: " + result.status.message()
                           : "not accepting data now; retry later: " + result.status.message(),
                      retry_after));
      response.headers.push_back({"Retry-After", std::to_string(retry_after.count())});
      break;
    }
  }
  return response;
}

// ---- OtlpHttpReceiver ------------------------------------------------------------------

OtlpHttpReceiver::OtlpHttpReceiver(OtlpHttpReceiverOptions options, Intake& intake)
    : options_(std::move(options)), intake_(intake) {}

OtlpHttpReceiver::~OtlpHttpReceiver() {
  stop();
}

core::Status OtlpHttpReceiver::start() {
  if (options_.listen.empty() || running_.load())
    return {};
  net::HttpServerOptions o;
  o.listen = options_.listen;
  o.io_threads = options_.io_threads;
  o.handler_threads = options_.handler_threads;
  o.max_connections = options_.max_connections;
  o.max_body_bytes = options_.max_body_bytes;
  o.max_decompressed_bytes = options_.max_decompressed_bytes;
  o.idle_timeout = options_.idle_timeout;
  o.read_timeout = options_.read_timeout;
  o.tls = options_.tls;
  auto server = std::make_unique<net::HttpServer>(o);
  net::RouteOptions route;
  if (!options_.cors_allowed_origins.empty()) {
    auto cors = std::make_shared<net::CorsPolicy>();
    cors->allowed_origins = options_.cors_allowed_origins;
    cors->max_age = options_.cors_max_age;
    route.cors = std::move(cors);
  }
  const std::pair<std::string_view, OtlpSignal> routes[] = {
      {kOtlpTracesPath, OtlpSignal::kTraces},
      {kOtlpLogsPath, OtlpSignal::kLogs},
      {kOtlpMetricsPath, OtlpSignal::kMetrics}};
  for (const auto& [path, signal] : routes) {
    server->route(
        "POST", std::string(path),
        [this, s = signal](net::Request&& request, net::Responder responder) {
          handle(s, std::move(request), std::move(responder));
        },
        route);
  }
  if (core::Status s = server->start(); !s.ok())
    return core::Status(s.code(), "receivers.otlp.http: " + s.message());
  server_ = std::move(server);
  running_.store(true);
  return {};
}

void OtlpHttpReceiver::handle(OtlpSignal signal, net::Request&& request, net::Responder responder) {
  responder.respond(answer_otlp_http(signal, request.header("Content-Type"), request.body, options_,
                                     intake_, counters_));
}

void OtlpHttpReceiver::stop() {
  if (server_)
    server_->stop();
  running_.store(false);
}

bool OtlpHttpReceiver::ready() const {
  return running_.load() || options_.listen.empty();
}

std::uint16_t OtlpHttpReceiver::port() const noexcept {
  return server_ ? server_->port() : 0;
}

void OtlpHttpReceiver::write_metrics(MetricsText& out) const {
  counters_.write(out, kReceiver, /*json=*/true);
  if (!server_)
    return;
  // Refusals made by the HTTP layer before a request reaches the handler.
  const net::HttpServerCounters& s = server_->counters();
  auto refused = [&](std::string_view code, std::uint64_t n) {
    out.counter("edgetraced_otlp_http_refused_total",
                "OTLP/HTTP requests refused before decoding, by response status code.",
                {{"receiver", kReceiver}, {"code", code}}, n);
  };
  refused("400", s.bad_request.load());
  refused("404", s.not_found.load());
  refused("405", s.method_not_allowed.load());
  refused("413", s.body_too_large.load() + s.decompressed_too_large.load());
  refused("415", s.unsupported_encoding.load() +
                     counters_.unsupported_media_type.load(std::memory_order_relaxed));
  refused("431", s.header_too_large.load());
  refused("500", s.handler_errors.load());
  refused("503", s.connections_refused.load());
  out.gauge("edgetraced_otlp_http_connections_active",
            "Connections open to the OTLP/HTTP receiver.", {{"receiver", kReceiver}},
            static_cast<double>(s.connections_active.load()));
}

}  // namespace edgetrace::daemon
