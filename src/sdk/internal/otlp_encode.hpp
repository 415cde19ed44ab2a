// Span records and log items straight to OTLP protobuf bytes, without building message
// objects: what the OTLP layer's export threads send when no processor needs the request as
// messages and the transport's wire format is protobuf (OTLP/HTTP protobuf, OTLP/gRPC).
//
//   SpanRequestEncoder enc(skeleton);        // resource and scope, encoded once
//   for (...) enc.add(record);
//   const std::string& body = enc.finish();  // an ExportTraceServiceRequest
//   enc.clear();                             // buffers kept for the next batch
//
// The bytes parse to the same message as to_otlp_span() fills (otlp_encode_test checks it
// field by field); field numbers from opentelemetry/proto/trace/v1/trace.proto and
// common/v1/common.proto.
//
// Thread-safety: one encoder per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/otlp/exporter.hpp"
#include "edgetrace/otlp/model.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "edgetrace/sdk/span.hpp"
#include "internal/otlp_convert.hpp"
#include "internal/otlp_log_pool.hpp"

namespace edgetrace::sdk::internal {

class SpanRequestEncoder {
 public:
  // `skeleton`: a request with one ResourceSpans holding the resource, its schema URL and
  // one ScopeSpans with the scope (its spans, if any, are ignored).
  explicit SpanRequestEncoder(const otlp::ExportTraceServiceRequest& skeleton,
                              const OtlpLimits& limits = {});

  void add(const SpanRecord& record);
  std::size_t count() const noexcept { return count_; }
  // The whole request; valid until the next add() or clear().
  const std::string& finish();
  void clear() noexcept;

 private:
  std::string resource_field_;   // ResourceSpans.resource (tag, length, bytes)
  std::string scope_field_;      // ScopeSpans.scope
  std::string rs_schema_field_;  // ResourceSpans.schema_url
  std::string ss_schema_field_;  // ScopeSpans.schema_url
  std::string spans_;            // ScopeSpans.spans, each with tag and length
  std::string span_;             // one span's body while it is encoded
  std::string out_;
  std::size_t count_ = 0;
  OtlpLimits limits_;
};

// The same for log records: an ExportLogsServiceRequest with one ScopeLogs per target (the
// call site's logger name; `default_scope` for a call site without one), each with
// `scope_version`, in the order the targets first appear; the bytes parse to the message
// LogExport builds with to_otlp_log_record() (otlp_encode_test checks it).
class LogRequestEncoder {
 public:
  // `skeleton`: a request with one ResourceLogs holding the resource and its schema URL (its
  // scopes, if any, are ignored).
  LogRequestEncoder(const otlp::ExportLogsServiceRequest& skeleton, std::string default_scope,
                    std::string scope_version, const LogRecordOptions& options = {});

  void add(const OtlpLogItem& item);
  std::size_t count() const noexcept { return count_; }
  // The whole request; valid until the next add() or clear().
  const std::string& finish();
  void clear() noexcept;

 private:
  struct Scope {
    std::string_view target;  // static storage of the call sites
    std::string scope_field;  // ScopeLogs.scope (tag, length, InstrumentationScope)
    std::string records;      // ScopeLogs.log_records, each with tag and length
  };
  std::string resource_field_;   // ResourceLogs.resource (tag, length, bytes)
  std::string rl_schema_field_;  // ResourceLogs.schema_url
  std::string default_scope_;
  std::string scope_version_;
  LogRecordOptions options_;
  std::vector<Scope> scopes_;  // [0, used_scopes_) hold this batch's; the rest keep memory
  std::size_t used_scopes_ = 0;
  std::string record_;  // one record's body while it is encoded
  std::string scope_;   // a new scope's InstrumentationScope while it is encoded
  std::string out_;
  std::size_t count_ = 0;
};

}  // namespace edgetrace::sdk::internal
