// Conversions from the SDK's records to the OTLP data model, used by the OTLP layer on its
// export threads. Each function overwrites (and reuses the memory of) its output message.
//
// Thread-safety: pure functions over the caller's objects.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgetrace/core/attributes.hpp"
#include "edgetrace/core/trace_context.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "edgetrace/otlp/model.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "edgetrace/sdk/span.hpp"
#include "edgetrace/sdk/value.hpp"
#include "internal/otlp_log_pool.hpp"
#include "internal/otlp_stacktrace.hpp"
#include "opentelemetry/proto/common/v1/common.pb.h"
#include "opentelemetry/proto/logs/v1/logs.pb.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace edgetrace::sdk::internal {

namespace otlp_proto = ::opentelemetry::proto;

// OTLP SpanFlags bits 8 and 9: whether the (parent / linked) context is known to be remote.
inline constexpr std::uint32_t kSpanFlagsHasIsRemote = 0x100;
inline constexpr std::uint32_t kSpanFlagsIsRemote = 0x200;

// Unsigned values above INT64_MAX become decimal strings; an empty Value an empty AnyValue.
void to_any_value(const Value& value, otlp_proto::common::v1::AnyValue& out);
// core values: the otlp component's mapping.
using otlp::to_any_value;

// `s` cut to at most `max_chars` characters (Unicode code points): never inside a UTF-8
// sequence. OtlpLimits::kNone keeps it whole.
std::string_view truncate_chars(std::string_view s, std::size_t max_chars) noexcept;
// `value` as exported under a value length limit: a string cut by truncate_chars, each string
// of a string array too (the cut array is built in `scratch`); other values as they are.
Value limited_value(const Value& value, std::size_t max_chars, core::AttributeValue& scratch);

// Fills `out` from an ended span record, within `limits`.
void to_otlp_span(const SpanRecord& record, otlp_proto::trace::v1::Span& out,
                  const OtlpLimits& limits = {});

struct LogRecordOptions {
  bool code_location = false;
  std::size_t attribute_count_limit = 128;  // over the event's own fields
  std::size_t attribute_value_length_limit = OtlpLimits::kNone;
};
// Fills `out` from a queued event.
void to_otlp_log_record(const OtlpLogItem& item, const LogRecordOptions& options,
                        otlp_proto::logs::v1::LogRecord& out);

// The attributes the SDK adds to a log record after the event's fields, in this order, each
// cut to the value length limit and not counted against the count limit: log.target (when
// the call site has a target), with LogRecordOptions::code_location code.file.path,
// code.line.number and code.function.name (when known), and exception.stacktrace (when a
// stack was captured). Calls string(key, value) or integer(key, value) for each; both
// encodings of a log record use it, so they cannot disagree.
template <typename StringFn, typename IntFn>
void for_each_sdk_log_attribute(const OtlpLogItem& item, const LogRecordOptions& options,
                                StringFn&& string, IntFn&& integer) {
  const Metadata& m = *item.metadata;
  const std::size_t length = options.attribute_value_length_limit;
  if (!m.target.empty())
    string("log.target", truncate_chars(m.target, length));
  if (options.code_location) {
    string("code.file.path", truncate_chars(m.file, length));
    integer("code.line.number", static_cast<std::int64_t>(m.line));
    if (!m.function.empty())
      string("code.function.name", truncate_chars(m.function, length));
  }
  if (!item.stack.empty()) {
    thread_local std::string text;  // the export thread's, reused
    text.clear();
    append_stack_text(item.stack, text);
    string("exception.stacktrace", truncate_chars(text, length));
  }
}

// Whether two call sites' targets are the same logger (the call sites of one target usually
// share its storage, so the pointers are compared first).
inline bool same_target(std::string_view a, std::string_view b) noexcept {
  return a.data() == b.data() || a == b;
}

// Log records into an ExportLogsServiceRequest as message objects: one ScopeLogs per target
// (the logger name, as the logs bridge maps logger names; `default_scope` for a call site
// without one), each with `scope_version`, in the order the targets first appear. The
// request's objects are reused from batch to batch. The OTLP layer's log export thread uses
// it when processors need the request as messages or the transport sends JSON (else
// LogRequestEncoder, which groups the same way).
class LogRequestBuilder {
 public:
  // `skeleton`: a request with one ResourceLogs holding the resource and its schema URL.
  LogRequestBuilder(const otlp::ExportLogsServiceRequest& skeleton, std::string default_scope,
                    std::string scope_version, const LogRecordOptions& options = {});

  // Starts a new batch.
  void clear();
  void add(const OtlpLogItem& item);
  // The batch's request (the processors may edit it; clear() repairs what they removed).
  otlp::ExportLogsServiceRequest& request() noexcept { return request_; }

 private:
  otlp::ExportLogsServiceRequest skeleton_;
  otlp::ExportLogsServiceRequest request_;
  std::string default_scope_;
  std::string scope_version_;
  LogRecordOptions options_;
  // The batch's scopes: a target and its ScopeLogs index.
  std::vector<std::pair<std::string_view, int>> scope_of_target_;
};

}  // namespace edgetrace::sdk::internal
