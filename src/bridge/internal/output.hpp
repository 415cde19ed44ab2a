// The bridge's output side, shared by the edgetrace reconstruction (bridge.cpp) and the
// tracing-defmt one (tracing_defmt.cpp): the batch being filled, and the OTLP fields every
// device span and log record has in common.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "edgetrace/bridge/bridge.hpp"
#include "edgetrace/decoder/record.hpp"
#include "opentelemetry/proto/logs/v1/logs.pb.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace edgetrace::bridge::internal {

namespace otlp_proto = ::opentelemetry::proto;
using OtlpSpan = otlp_proto::trace::v1::Span;
using OtlpLogRecord = otlp_proto::logs::v1::LogRecord;
using OtlpAnyValue = otlp_proto::common::v1::AnyValue;
using OtlpKeyValues = google::protobuf::RepeatedPtrField<otlp_proto::common::v1::KeyValue>;

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

// The attribute values and log bodies of the batches already handed over, kept for the next
// ones. Clear() on a generated message keeps its repeated elements (KeyValue, LogRecord,
// Span) but deletes singular sub-messages: without this pool every attribute value and log
// body (an AnyValue, and for strings their buffer) was allocated and freed once per record,
// the largest cost of the bridge. An AnyValue that held a string keeps it, so that the next
// string value set into it reuses its buffer. Holds at most `max_values` of each kind.
class AnyValuePool {
 public:
  explicit AnyValuePool(std::size_t max_values) : max_(max_values) {}
  ~AnyValuePool();
  AnyValuePool(const AnyValuePool&) = delete;
  AnyValuePool& operator=(const AnyValuePool&) = delete;

  // An AnyValue to set a string into (its previous string is overwritten by
  // set_string_value / mutable_string_value), else a new one. The caller owns it.
  OtlpAnyValue* take_for_string();
  // An empty AnyValue. The caller owns it.
  OtlpAnyValue* take_empty();
  // Takes back an AnyValue released from a message.
  void give_back(OtlpAnyValue* value);

 private:
  std::size_t max_;
  std::vector<OtlpAnyValue*> strings_;  // holding a string value
  std::vector<OtlpAnyValue*> empty_;    // cleared
};

// Appends a KeyValue whose value comes from `pool` (nullptr: allocated), with the value
// otlp::add_attribute / add_string_attribute / add_int_attribute would write.
void add_attribute(OtlpKeyValues& out, std::string_view key, const core::AttributeValue& value,
                   AnyValuePool* pool);
void add_string_attribute(OtlpKeyValues& out, std::string_view key, std::string_view value,
                          AnyValuePool* pool);
void add_int_attribute(OtlpKeyValues& out, std::string_view key, std::int64_t value,
                       AnyValuePool* pool);

// Collects spans and log records under the stream's current resource and hands them to the
// sink in batches. One per bridge.
class Output {
 public:
  Output(std::size_t batch_records, BatchSink sink, BridgeCounters& counters);
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  // Attribute values for the records of this output; refilled by each flush().
  AnyValuePool& values() noexcept { return values_; }

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
  // Moves the attribute values and bodies of the batch just handed over into values_.
  void recycle_values();

  // ResourceSpans/ResourceLogs entries are opened lazily, per signal, so that a batch of
  // log records only has no empty ResourceSpans.
  std::size_t batch_records_;
  BatchSink sink_;
  BridgeCounters& counters_;
  AnyValuePool values_;
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
// location, and `edgetrace.truncated` when the device cut an argument. Values come from
// `pool` when given.
void fill_log_record(const decoder::Record& record, std::uint64_t time_unix_nano,
                     std::uint64_t observed_unix_nano, OtlpLogRecord& out,
                     AnyValuePool* pool = nullptr);

// Marks a span cut off before its end: status ERROR with `reason`, attribute
// edgetrace.span.incomplete = true.
void mark_incomplete(OtlpSpan& span, std::string_view reason);

// Adds an edgetrace.frames.lost event at `time_unix_nano` with the loss's counts.
void add_loss_event(OtlpSpan& span, std::uint64_t time_unix_nano, const Loss& loss);

}  // namespace edgetrace::bridge::internal
