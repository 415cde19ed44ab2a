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

// The installed subscriber when it is a Tracing, else null (set with it by
// set_global_subscriber): the span path calls Tracing directly, not through Subscriber's
// virtual functions, so that it inlines.
extern std::atomic<Tracing*> g_current_tracing;

// Bumped in every child after fork() (a Tracing built in another generation is inert).
extern std::atomic<std::uint64_t> g_fork_generation;

// Span record pool: acquire returns a record with refs == 1 and every field reset.
SpanRecord* acquire_span_record();
// Drops one reference; the last one returns the record (and its parent's reference).
void release_span_record(SpanRecord* record) noexcept;
// Records allocated so far (all of them are reused; for tests and diagnostics).
std::size_t span_records_allocated() noexcept;

}  // namespace internal
}  // namespace edgetrace::sdk
