// Span records straight to OTLP protobuf bytes, without building message objects: what the
// OTLP layer's span export thread sends when no processor needs the request as messages
// and the transport's wire format is protobuf (OTLP/HTTP protobuf, OTLP/gRPC).
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

#include "edgetrace/otlp/exporter.hpp"
#include "edgetrace/otlp/model.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "edgetrace/sdk/span.hpp"

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

}  // namespace edgetrace::sdk::internal
