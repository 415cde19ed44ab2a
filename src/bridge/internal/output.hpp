// The bridge's output side, shared by the edgetrace reconstruction (bridge.cpp) and the
// tracing-defmt one (tracing_defmt.cpp): the batch being filled, and the OTLP fields every
// device span and log record has in common.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "edgetrace/bridge/bridge.hpp"
#include "edgetrace/decoder/record.hpp"
#include "opentelemetry/proto/logs/v1/logs.pb.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace edgetrace::bridge::internal {

namespace otlp_proto = ::opentelemetry::proto;
using OtlpSpan = otlp_proto::trace::v1::Span;
using OtlpLogRecord = otlp_proto::logs::v1::LogRecord;

// OTLP SpanFlags: bits 0-7 the W3C trace flags, bit 8 "is_remote is known", bit 9 "the
// parent is remote".
inline constexpr std::uint32_t kSpanFlagsSampled = 0x01;
inline constexpr std::uint32_t kSpanFlagsHasIsRemote = 0x100;
inline constexpr std::uint32_t kSpanFlagsIsRemote = 0x200;

// What a loss (sequence gap, corrupt frame, undecodable record, device drop report) was.
struct Loss {
  std::uint64_t frames_lost = 0;
  std::uint64_t frames_corrupt = 0;
  std::uint64_t records_undecodable = 0;
  std::uint64_t records_dropped = 0;
  bool any() const noexcept {
    return frames_lost + frames_corrupt + records_undecodable + records_dropped > 0;
  }
};

// The name of the span event and log attribute prefix of a loss.
inline constexpr std::string_view kLossEventName = "edgetrace.frames.lost";

// Collects spans and log records under the stream's current resource and hands them to the
// sink in batches. One per bridge.
class Output {
 public:
  Output(std::size_t batch_records, BatchSink sink, BridgeCounters& counters);

  // Records added from now on belong to `resource` (a new ResourceSpans/ResourceLogs entry
  // when it differs from the current one).
  void set_resource(const core::Resource& resource, std::string_view scope_name);

  // A new span / log record in the current batch (counted). Hand the batch over with
  // maybe_flush() once it is filled in.
  OtlpSpan& add_span();
  OtlpLogRecord& add_log();
  // Moves a finished log record into the batch (counted).
  void add_log(OtlpLogRecord&& record);

  // Hands the batch over if batch_records are pending.
  void maybe_flush();
  void flush();

 private:
  // ResourceSpans/ResourceLogs entries are opened lazily, per signal, so that a batch of
  // log records only has no empty ResourceSpans.
  std::size_t batch_records_;
  BatchSink sink_;
  BridgeCounters& counters_;
  otlp::TraceRequest traces_;
  otlp::LogsRequest logs_;
  core::Resource resource_;
  std::string scope_name_;
  otlp_proto::trace::v1::ScopeSpans* spans_ = nullptr;      // current entry, or null
  otlp_proto::logs::v1::ScopeLogs* log_records_ = nullptr;  // current entry, or null
  std::size_t pending_spans_ = 0;
  std::size_t pending_logs_ = 0;
};

// The fields of a log record from a decoded record: time, observed time, severity, body
// (the rendered message, else the format string), one attribute per argument, the code
// location, and `edgetrace.truncated` when the device cut an argument.
void fill_log_record(const decoder::Record& record, std::uint64_t time_unix_nano,
                     std::uint64_t observed_unix_nano, OtlpLogRecord& out);

// Marks a span cut off before its end: status ERROR with `reason`, attribute
// edgetrace.span.incomplete = true.
void mark_incomplete(OtlpSpan& span, std::string_view reason);

// Adds an edgetrace.frames.lost event at `time_unix_nano` with the loss's counts.
void add_loss_event(OtlpSpan& span, std::uint64_t time_unix_nano, const Loss& loss);

}  // namespace edgetrace::bridge::internal
