#include "edgetrace/sdk/callsite.hpp"

#include <fmt/format.h>

#include <pthread.h>

#include <mutex>
#include <vector>

#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/layer.hpp"
#include "internal/fast_clock.hpp"
#include "internal/thread_context.hpp"

namespace edgetrace::sdk {
namespace {

std::atomic<const Callsite*> g_head{nullptr};
std::atomic<std::size_t> g_count{0};

// Every subscriber ever installed stays alive until exit (see set_global_subscriber). The
// registry is allocated once and never destroyed, so it outlives every static destructor.
struct SubscriberRegistry {
  std::mutex mu;
  std::shared_ptr<Subscriber> current;
  std::vector<std::shared_ptr<Subscriber>> retired;
};
SubscriberRegistry& registry() {
  static SubscriberRegistry* r = [] {
    auto* created = new SubscriberRegistry();
    // Held across fork() so a child never inherits it locked by a thread that is not there.
    ::pthread_atfork([] { registry().mu.lock(); }, [] { registry().mu.unlock(); },
                     [] { registry().mu.unlock(); });
    return created;
  }();
  return *r;
}
std::atomic<Subscriber*> g_current{nullptr};

}  // namespace

namespace internal {
std::atomic<Tracing*> g_current_tracing{nullptr};
}  // namespace internal

std::shared_ptr<Subscriber> global_subscriber() {
  SubscriberRegistry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.current;
}

Subscriber* current_subscriber() noexcept {
  return g_current.load(std::memory_order_acquire);
}

void Callsite::store(Subscriber* s) const noexcept {
  Interest i = s ? s->register_callsite(metadata_) : Interest::kNever;
  if (i == Interest::kUnknown)
    i = Interest::kSometimes;
  const std::uint64_t mask = (s && i != Interest::kNever) ? s->callsite_mask(metadata_) : 0;
  state_.store(static_cast<std::uint64_t>(i) | (mask << 8), std::memory_order_relaxed);
}

Interest Callsite::register_slow() const noexcept {
  // List the call site once so that later subscriber changes re-ask it.
  bool expected = false;
  if (listed_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
    const Callsite* head = g_head.load(std::memory_order_acquire);
    do {
      next_ = head;
    } while (!g_head.compare_exchange_weak(head, this, std::memory_order_acq_rel));
    g_count.fetch_add(1, std::memory_order_relaxed);
  }
  store(current_subscriber());
  return static_cast<Interest>(state_.load(std::memory_order_relaxed) & 0xff);
}

void rebuild_interest() noexcept {
  Subscriber* s = current_subscriber();
  for (const Callsite* c = g_head.load(std::memory_order_acquire); c != nullptr; c = c->next_)
    c->store(s);
}

void set_global_subscriber(std::shared_ptr<Subscriber> subscriber) {
  {
    SubscriberRegistry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    if (r.current)
      r.retired.push_back(r.current);
    r.current = std::move(subscriber);
    // Only a live Tracing: its span path then skips the shut-down and forked-child tests.
    // A shutdown racing this store either sees it (and clears it) or is seen here.
    Tracing* tracing = dynamic_cast<Tracing*>(r.current.get());
    if (tracing != nullptr && tracing->in_forked_child())
      tracing = nullptr;
    internal::g_current_tracing.store(tracing);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (tracing != nullptr && tracing->is_shut_down())
      (void)internal::g_current_tracing.compare_exchange_strong(tracing, nullptr);
    g_current.store(r.current.get(), std::memory_order_release);
  }
  rebuild_interest();
}

std::size_t registered_callsites() noexcept {
  return g_count.load(std::memory_order_relaxed);
}

namespace internal {

void dispatch_event(const Callsite& callsite, std::string_view message,
                    std::span<const Field> fields) {
  Subscriber* s = current_subscriber();
  if (s == nullptr)
    return;
  std::uint32_t mask = callsite.mask();
  if (callsite.interest() == Interest::kSometimes && !s->enabled(callsite.metadata(), mask))
    return;
  s->event(
      Event{callsite.metadata(), message, fields, now_unix_nanos(), thread_context().span, mask});
}

namespace {

// The ET_*F forms' per-thread buffer. It keeps its capacity, so formatting stops allocating
// once it has grown to the longest message of the thread. A message formatted while the
// buffer is in use (a formatter that logs) or after the thread's buffer was destroyed (an
// event from a thread_local destructor) goes to a buffer on the stack instead.
struct FormatScratch {
  fmt::memory_buffer buffer;
  bool in_use = false;
  ~FormatScratch();
};
thread_local bool t_format_scratch_destroyed = false;  // trivially destructible: always usable
thread_local FormatScratch t_format_scratch;
FormatScratch::~FormatScratch() {
  t_format_scratch_destroyed = true;
}

void deliver(Subscriber* s, const Callsite& callsite, std::uint32_t mask, fmt::string_view format,
             fmt::format_args args, fmt::memory_buffer& buffer) {
  buffer.clear();
  fmt::vformat_to(fmt::appender(buffer), format, args);
  s->event(Event{callsite.metadata(),
                 std::string_view(buffer.data(), buffer.size()),
                 {},
                 now_unix_nanos(),
                 thread_context().span,
                 mask});
}

}  // namespace

void dispatch_formatted_event(const Callsite& callsite, fmt::string_view format,
                              fmt::format_args args) {
  Subscriber* s = current_subscriber();
  if (s == nullptr)
    return;
  std::uint32_t mask = callsite.mask();
  if (callsite.interest() == Interest::kSometimes && !s->enabled(callsite.metadata(), mask))
    return;
  if (t_format_scratch_destroyed || t_format_scratch.in_use) {
    fmt::memory_buffer local;
    deliver(s, callsite, mask, format, args, local);
    return;
  }
  FormatScratch& scratch = t_format_scratch;
  scratch.in_use = true;
  struct Release {
    FormatScratch& s;
    ~Release() { s.in_use = false; }
  } release{scratch};
  deliver(s, callsite, mask, format, args, scratch.buffer);
}

const SpanRecord* current_span() noexcept {
  return thread_context().span;
}

}  // namespace internal
}  // namespace edgetrace::sdk
