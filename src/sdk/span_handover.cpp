#include "internal/span_handover.hpp"

#include <atomic>

#include "internal/handover_impl.hpp"

namespace edgetrace::sdk::internal {

std::uint64_t next_handover_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

template class Handover<SpanHandoverTraits>;

}  // namespace edgetrace::sdk::internal
