// Fuzzes every text parser of the core component: traceparent, tracestate, baggage,
// OTEL_RESOURCE_ATTRIBUTES and percent-decoding. Checks round-trip properties as well as
// memory safety: whatever parses must format to something that parses to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "edgetrace/core/baggage.hpp"
#include "edgetrace/core/percent_encoding.hpp"
#include "edgetrace/core/resource.hpp"
#include "edgetrace/core/trace_context.hpp"

using namespace edgetrace::core;

namespace {

void check(bool condition) {
  if (!condition)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (Result<TraceParent> tp = parse_traceparent(text); tp.ok()) {
    Result<TraceParent> again = parse_traceparent(format_traceparent(*tp));
    check(again.ok() && again->trace_id == tp->trace_id && again->parent_id == tp->parent_id &&
          (again->flags.bits == (tp->flags.bits & TraceFlags::kKnown)));
  }

  if (Result<TraceState> ts = TraceState::parse(text); ts.ok()) {
    std::string header = ts->to_header();
    check(header.size() <= TraceState::kMaxHeaderSize);
    check(TraceState::parse(header).ok());
  }
  // Skipping invalid members never fails, keeps at most 32 members, each valid and unique.
  if (Result<TraceState> ts = TraceState::parse(text, TraceState::InvalidMembers::kSkip); ts.ok()) {
    check(ts->size() <= TraceState::kMaxMembers);
    for (std::size_t i = 0; i < ts->size(); ++i) {
      const auto& [key, value] = ts->members()[i];
      check(TraceState::valid_key(key) && TraceState::valid_value(value));
      for (std::size_t j = 0; j < i; ++j)
        check(ts->members()[j].first != key);
    }
    check(TraceState::parse(ts->to_header()).ok());
  } else {
    check(false);
  }

  (void)extract_trace_context(text.substr(0, 55), text.size() > 55 ? text.substr(55) : "");

  if (Result<Baggage> b = Baggage::parse(text); b.ok()) {
    std::string header = b->to_header();
    check(header.size() <= Baggage::kMaxHeaderBytes);
    Result<Baggage> again = Baggage::parse(header);
    check(again.ok());
    if (b->to_header().size() < Baggage::kMaxHeaderBytes / 2)
      check(again->entries() == b->entries());
  }

  ParsedResourceAttributes r = parse_resource_attributes(text);
  (void)r;

  if (Result<std::string> d = percent_decode(text); d.ok()) {
    check(percent_decode(percent_encode_baggage_value(*d)).value() == *d);
  }
  return 0;
}
