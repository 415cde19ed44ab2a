// The calling thread's current span and remote parent. Trivially destructible on purpose:
// it stays usable while threads and the process are tearing down.
#pragma once

#include <atomic>
#include <cstdint>

#include "edgetrace/core/trace_context.hpp"

namespace edgetrace::sdk {
class SpanRecord;
class Tracing;

namespace internal {

struct ThreadContext {
  SpanRecord* span = nullptr;                 // referenced by the Span or Scope that set it
  const core::SpanContext* remote = nullptr;  // owned by the Scope that set it
};

inline ThreadContext& thread_context() noexcept {
  static thread_local ThreadContext context;
  return context;
}

// The installed subscriber when it is a live Tracing (not shut down, not inherited by a
// forked child), else null: set with it by set_global_subscriber, cleared by its shutdown()
// and in a forked child. The span path calls it directly, not through Subscriber's virtual
// functions, so that it inlines, and without testing that it is live.
extern std::atomic<Tracing*> g_current_tracing;

// Bumped in every child after fork() (a Tracing built in another generation is inert).
extern std::atomic<std::uint64_t> g_fork_generation;

// Whether a Tracing whose live generation is `generation` takes spans and events: it is not
// shut down (kRetired matches no generation) and this is the process it was built in.
inline bool generation_live(std::uint64_t generation) noexcept {
  return g_fork_generation.load(std::memory_order_relaxed) == generation;
}

// Span record pool: acquire returns a record with refs == 1 and every field reset.
SpanRecord* acquire_span_record();
// release_span_record (declared in span.hpp): drops one reference; the last one returns
// the record (and its parent's reference).
// Records allocated so far (all of them are reused; for tests and diagnostics).
std::size_t span_records_allocated() noexcept;

}  // namespace internal
}  // namespace edgetrace::sdk
