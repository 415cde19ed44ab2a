// SpanHandover: how ended spans travel from the application's threads to the OTLP layer's
// span export thread without a shared lock per span (a Handover, handover.hpp, of span
// records: each pushed record carries one reference, which the sink receives as a SpanRef).
#pragma once

#include "edgetrace/sdk/span.hpp"
#include "internal/handover.hpp"

namespace edgetrace::sdk::internal {

struct SpanHandoverTraits {
  using Record = SpanRecord;
  using Ref = SpanRef;
  static SpanRef adopt(SpanRecord* span) noexcept { return SpanRef::adopt(span); }
  static void release(SpanRecord* span) noexcept { release_span_record(span); }
};

extern template class Handover<SpanHandoverTraits>;
using SpanHandover = Handover<SpanHandoverTraits>;

}  // namespace edgetrace::sdk::internal
