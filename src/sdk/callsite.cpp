#include "edgetrace/sdk/callsite.hpp"

#include <mutex>

#include "edgetrace/core/clock.hpp"

namespace edgetrace::sdk {
namespace {

std::atomic<const Callsite*> g_head{nullptr};
std::atomic<std::size_t> g_count{0};

// The subscriber, behind a mutex for replacement; events copy the shared_ptr (refcount)
// only on the slow path.
std::mutex g_subscriber_mu;
std::shared_ptr<Subscriber> g_subscriber;

}  // namespace

std::shared_ptr<Subscriber> global_subscriber() {
  std::lock_guard<std::mutex> lock(g_subscriber_mu);
  return g_subscriber;
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
  std::shared_ptr<Subscriber> s = global_subscriber();
  Interest i = s ? s->register_callsite(metadata_) : Interest::kNever;
  if (i == Interest::kUnknown)
    i = Interest::kSometimes;
  interest_.store(static_cast<std::uint8_t>(i), std::memory_order_relaxed);
  return i;
}

void rebuild_interest() noexcept {
  std::shared_ptr<Subscriber> s = global_subscriber();
  for (const Callsite* c = g_head.load(std::memory_order_acquire); c != nullptr; c = c->next_) {
    Interest i = s ? s->register_callsite(c->metadata_) : Interest::kNever;
    if (i == Interest::kUnknown)
      i = Interest::kSometimes;
    c->interest_.store(static_cast<std::uint8_t>(i), std::memory_order_relaxed);
  }
}

void set_global_subscriber(std::shared_ptr<Subscriber> subscriber) {
  {
    std::lock_guard<std::mutex> lock(g_subscriber_mu);
    g_subscriber = std::move(subscriber);
  }
  rebuild_interest();
}

std::size_t registered_callsites() noexcept {
  return g_count.load(std::memory_order_relaxed);
}

namespace internal {

void dispatch_event(const Callsite& callsite, std::string_view message,
                    std::span<const Field> fields) {
  std::shared_ptr<Subscriber> s = global_subscriber();
  if (!s)
    return;
  if (callsite.interest() == Interest::kSometimes && !s->enabled(callsite.metadata()))
    return;
  s->event(Event{callsite.metadata(), message, fields, core::unix_nanos()});
}

}  // namespace internal
}  // namespace edgetrace::sdk
