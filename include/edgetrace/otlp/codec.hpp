// OTLP codecs: protobuf and OTLP/JSON for the three Export requests and their responses.
//
//   using namespace edgetrace;
//   otlp::TraceRequest request = ...;                      // generated message types
//   std::string wire = otlp::encode_protobuf(request);     // application/x-protobuf body
//   std::string json = otlp::encode_json(request);         // application/json body
//
//   core::Result<otlp::TraceRequest> r = otlp::decode_json<otlp::TraceRequest>(body);
//   if (!r) {
//     // "invalid_argument: json: $.resourceSpans[0].scopeSpans[0].spans[2].traceId:
//     //  expected 32 hex characters, got 31"
//     reject(r.status());
//   }
//
// The data model is the code generated from proto/ (edgetrace::otlp_proto): the six
// message types below are aliases of it. OTLP/JSON follows the OTLP specification:
// lowerCamelCase keys; trace and span ids as hex (any case on input, lowercase on output);
// other bytes as base64; enums as integers; 64-bit integers as decimal strings on output
// and as strings or numbers on input; unknown keys ignored; fields holding their default
// value omitted on output (members of a oneof and `optional` fields are written whenever
// they are set, so the round trip protobuf -> JSON -> protobuf is exact). docs/otlp.md
// lists every rule.
//
// Errors: decoding returns a Status saying what is wrong and where (a JSON path, or the
// field path and byte offset in protobuf input); nothing throws. Caps (DecodeLimits) bound
// the memory and stack a hostile input can make the decoder use; exceeding one is
// kResourceExhausted, malformed input kInvalidArgument.
//
// Thread-safety: every function is reentrant and may be called from any thread; messages
// are not synchronized. Allocation: encoding appends to (and may grow) the caller's string;
// decoding allocates the message. OTLP/JSON decoding also needs parse buffers several times
// the document's size: each thread keeps them for documents up to 1 MiB (so the memory of
// the largest such document stays with the thread), larger documents get buffers that are
// freed on return. No function does I/O or blocks.
#pragma once

#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "edgetrace/core/result.hpp"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace edgetrace::otlp {

using TraceRequest = opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest;
using TraceResponse = opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse;
using LogsRequest = opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;
using LogsResponse = opentelemetry::proto::collector::logs::v1::ExportLogsServiceResponse;
using MetricsRequest = opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest;
using MetricsResponse = opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceResponse;

// The messages an OTLP client sends and a server answers with.
template <typename M>
concept ExportMessage = std::same_as<M, TraceRequest> || std::same_as<M, TraceResponse> ||
    std::same_as<M, LogsRequest> || std::same_as<M, LogsResponse> ||
    std::same_as<M, MetricsRequest> || std::same_as<M, MetricsResponse>;

// Bounds on what a decoder accepts. The defaults suit a receiver facing the network; an
// in-process reader of trusted data may raise them.
struct DecodeLimits {
  // Largest input accepted, in bytes. A decoded protobuf message can take up to about 25
  // times its wire size in memory (many empty nested messages), so this is the knob that
  // bounds memory.
  std::size_t max_message_bytes = 16 * 1024 * 1024;
  // Deepest nesting of messages (request = 1, resource_spans = 2, ..., and each nested
  // AnyValue array or map adds two). The same meaning for protobuf and JSON.
  std::size_t max_depth = 64;
  // Most elements in one JSON array.
  std::size_t max_array_length = 1024 * 1024;
  // Longest JSON string (key or value), in bytes after unescaping.
  std::size_t max_string_bytes = 4 * 1024 * 1024;
};

// The two encodings of OTLP/HTTP, and the Content-Type of each.
enum class Encoding : unsigned char { kProtobuf, kJson };
constexpr std::string_view content_type(Encoding encoding) noexcept {
  return encoding == Encoding::kJson ? "application/json" : "application/x-protobuf";
}

// ---- Any message of the OTLP schema (e.g. TracesData for files) -----------------------
//
// The typed functions below forward to these. They accept any message generated from
// proto/; passing another message type works but applies the OTLP id rules by field name.

// Appends the protobuf wire form of `message` to `out`.
void encode_protobuf_message(const google::protobuf::Message& message, std::string& out);
// Replaces `out` with the message decoded from `bytes`. On error `out` holds partial data.
core::Status decode_protobuf_message(std::string_view bytes, google::protobuf::Message& out,
                                     const DecodeLimits& limits = {});
// What scan_protobuf() learned of a valid request without decoding it.
struct WireSummary {
  std::size_t items = 0;  // spans (TraceRequest) or log records (LogsRequest)
  int max_severity = 0;   // LogsRequest: the highest severity_number of its records
};

// Checks, without building messages, that `bytes` is a TraceRequest or LogsRequest (`logs`)
// that decode_protobuf() would accept within `limits`, and counts its items. A fast path
// for passing received bytes on unchanged: it walks the wire format once with tables made
// from the descriptors (tags, varints, lengths, UTF-8 of every string field, nesting depth)
// and builds nothing. It is never more lenient than the decoder: when it returns a summary
// the decoder accepts the bytes; it returns nullopt for anything it does not vouch for
// (malformed input, but also valid rarities such as groups or a field sent with another
// wire type than declared), and the caller then decodes, which decides and explains.
// Allocates nothing after the first call (which builds the tables).
std::optional<WireSummary> scan_protobuf(std::string_view bytes, bool logs,
                                         const DecodeLimits& limits = {});

// Appends the OTLP/JSON form of `message` to `out` (one line, no insignificant space).
// A string field holding invalid UTF-8 is written with U+FFFD in place of each bad byte
// sequence, so the output is always valid JSON.
void encode_json_message(const google::protobuf::Message& message, std::string& out);
// Replaces `out` with the message decoded from OTLP/JSON `text`. On error `out` holds
// partial data.
core::Status decode_json_message(std::string_view text, google::protobuf::Message& out,
                                 const DecodeLimits& limits = {});

// ---- The Export requests and responses ------------------------------------------------

template <ExportMessage M>
void encode_protobuf(const M& message, std::string& out) {
  encode_protobuf_message(message, out);
}
template <ExportMessage M>
std::string encode_protobuf(const M& message) {
  std::string out;
  encode_protobuf_message(message, out);
  return out;
}

template <ExportMessage M>
void encode_json(const M& message, std::string& out) {
  encode_json_message(message, out);
}
template <ExportMessage M>
std::string encode_json(const M& message) {
  std::string out;
  encode_json_message(message, out);
  return out;
}

template <ExportMessage M>
void encode(const M& message, Encoding encoding, std::string& out) {
  if (encoding == Encoding::kJson) {
    encode_json_message(message, out);
  } else {
    encode_protobuf_message(message, out);
  }
}

template <ExportMessage M>
core::Status decode_protobuf(std::string_view bytes, M& out, const DecodeLimits& limits = {}) {
  return decode_protobuf_message(bytes, out, limits);
}
template <ExportMessage M>
core::Result<M> decode_protobuf(std::string_view bytes, const DecodeLimits& limits = {}) {
  M message;
  core::Status status = decode_protobuf_message(bytes, message, limits);
  if (!status.ok())
    return status;
  return message;
}

template <ExportMessage M>
core::Status decode_json(std::string_view text, M& out, const DecodeLimits& limits = {}) {
  return decode_json_message(text, out, limits);
}
template <ExportMessage M>
core::Result<M> decode_json(std::string_view text, const DecodeLimits& limits = {}) {
  M message;
  core::Status status = decode_json_message(text, message, limits);
  if (!status.ok())
    return status;
  return message;
}

template <ExportMessage M>
core::Result<M> decode(std::string_view body, Encoding encoding, const DecodeLimits& limits = {}) {
  return encoding == Encoding::kJson ? decode_json<M>(body, limits)
                                     : decode_protobuf<M>(body, limits);
}

}  // namespace edgetrace::otlp
