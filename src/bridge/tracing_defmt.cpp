#include "internal/tracing_defmt.hpp"

namespace edgetrace::bridge::internal {

struct TracingDefmtSpans::State {};

TracingDefmtSpans::TracingDefmtSpans(const decoder::DefmtTable&, std::size_t, BridgeCounters&)
    : s_(std::make_unique<State>()) {}
TracingDefmtSpans::~TracingDefmtSpans() = default;

bool TracingDefmtSpans::has_markers() const noexcept {
  return false;
}

bool TracingDefmtSpans::handle(const decoder::Record&, std::uint64_t, std::uint64_t, Output&) {
  return false;
}

void TracingDefmtSpans::note_loss(std::uint64_t, const Loss&) {}

void TracingDefmtSpans::end_stream(std::uint64_t, std::string_view, Output&) {}

}  // namespace edgetrace::bridge::internal
