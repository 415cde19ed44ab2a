// The OTLP/HTTP receiver's request handling (apps/edgetraced/receivers/otlp_http.hpp,
// answer_otlp_http): the Content-Type's media type, decoding in that encoding, what the
// Intake answered, and the answer built from it. The codec itself has its own targets
// (otlp_protobuf_fuzz, otlp_json_fuzz); this one checks the answers.
//
// Input: byte 0 picks the signal, byte 1 what the Intake answers (OK, OK with items
// refused, queue full, stopping) and whether it takes protobuf bytes (the pass-through
// path), then a Content-Type value ended by '\n', then the body.
// Checks: the status is one the receiver documents (200, 400, 415, 429, 503); 415 exactly
// when the media type is neither OTLP type; otherwise the response's Content-Type is the
// request's media type; a 200 body is the signal's Export response, with partial_success
// saying what the Intake refused; a 400/429/503 body is a google.rpc.Status with the
// matching code, and 429/503 carry Retry-After and a RetryInfo; the Intake sees only
// requests that decoded.
#include <google/protobuf/util/json_util.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "edgetrace/core/text.hpp"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "receivers/otlp_http.hpp"

namespace {

using namespace edgetrace;
using daemon::IntakeResult;

constexpr std::uint64_t kRefused = 2;

class ScriptedIntake final : public daemon::Intake {
 public:
  ScriptedIntake(int answer, bool bytes) : answer_(answer), bytes_(bytes) {}
  IntakeResult accept(otlp::TraceRequest&) override { return take(); }
  IntakeResult accept(otlp::LogsRequest&) override { return take(); }
  IntakeResult accept(otlp::MetricsRequest&) override { return take(); }
  bool takes_protobuf(otlp::Signal) const override { return bytes_; }
  IntakeResult accept_protobuf(otlp::Signal, std::string_view, const otlp::WireSummary&) override {
    return take();
  }
  bool called = false;

 private:
  IntakeResult take() {
    called = true;
    IntakeResult r;
    if (answer_ == 1) {
      r.rejected = kRefused;
      r.message = "refused by a processor";
    } else if (answer_ == 2) {
      r.status = core::Status(core::StatusCode::kResourceExhausted, "full");
    } else if (answer_ == 3) {
      r.status = core::Status(core::StatusCode::kUnavailable, "stopping");
    }
    return r;
  }
  int answer_;
  bool bytes_;
};

template <typename Response>
std::int64_t rejected_of(const Response& r);
template <>
std::int64_t rejected_of(const otlp::TraceResponse& r) {
  return r.partial_success().rejected_spans();
}
template <>
std::int64_t rejected_of(const otlp::LogsResponse& r) {
  return r.partial_success().rejected_log_records();
}
template <>
std::int64_t rejected_of(const otlp::MetricsResponse& r) {
  return r.partial_success().rejected_data_points();
}

template <typename Response>
void check_success(const net::Response& response, bool json, int answer) {
  Response r;
  const bool parsed =
      json ? otlp::decode_json(response.body, r).ok() : r.ParseFromString(response.body);
  if (!parsed)
    std::abort();
  if (r.has_partial_success() != (answer == 1))
    std::abort();
  if (answer == 1 && rejected_of(r) != static_cast<std::int64_t>(kRefused))
    std::abort();
}

void check_status(const net::Response& response, bool json, int code) {
  google::rpc::Status s;
  const bool parsed = json ? google::protobuf::util::JsonStringToMessage(response.body, &s).ok()
                           : s.ParseFromString(response.body);
  if (!parsed || s.code() != code || s.message().empty())
    std::abort();
  if (code == 3)
    return;
  bool retry_info = false;
  for (const auto& any : s.details()) {
    google::rpc::RetryInfo info;
    retry_info = retry_info || (any.UnpackTo(&info) && info.retry_delay().seconds() >= 1);
  }
  bool retry_after = false;
  for (const auto& h : response.headers)
    retry_after = retry_after || h.name == "Retry-After";
  if (!retry_info || !retry_after)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2)
    return 0;
  const auto signal = static_cast<daemon::OtlpSignal>(data[0] % 3);
  const int answer = data[1] % 4;
  std::string_view in(reinterpret_cast<const char*>(data + 2), size - 2);
  const std::size_t nl = in.find('\n');
  const std::string_view content_type = in.substr(0, nl);
  const std::string_view body = nl == std::string_view::npos ? "" : in.substr(nl + 1);

  // Bit 2 of byte 1: the Intake takes protobuf bytes (no processors: the wire scan path).
  ScriptedIntake intake(answer, (data[1] & 4) != 0);
  daemon::OtlpReceiverCounters counters;
  daemon::OtlpHttpReceiverOptions options;
  options.max_decompressed_bytes = 1 << 20;
  const net::Response r =
      daemon::answer_otlp_http(signal, content_type, body, options, intake, counters);

  const std::string_view media = core::trim_ows(content_type.substr(0, content_type.find(';')));
  const bool json = core::iequals_ascii(media, "application/json");
  const bool protobuf = core::iequals_ascii(media, "application/x-protobuf");
  if ((r.status == 415) != (!json && !protobuf))
    std::abort();
  if (r.status == 415) {
    if (intake.called)
      std::abort();
    return 0;
  }
  if (r.content_type != (json ? "application/json" : "application/x-protobuf"))
    std::abort();
  switch (r.status) {
    case 200:
      if (!intake.called || answer >= 2)
        std::abort();
      if (signal == daemon::OtlpSignal::kTraces)
        check_success<otlp::TraceResponse>(r, json, answer);
      else if (signal == daemon::OtlpSignal::kLogs)
        check_success<otlp::LogsResponse>(r, json, answer);
      else
        check_success<otlp::MetricsResponse>(r, json, answer);
      break;
    case 400:
      if (intake.called)
        std::abort();
      check_status(r, json, 3);
      break;
    case 429:
      if (!intake.called || answer != 2)
        std::abort();
      check_status(r, json, 8);
      break;
    case 503:
      if (!intake.called || answer != 3)
        std::abort();
      check_status(r, json, 14);
      break;
    default:
      std::abort();
  }
  return 0;
}
