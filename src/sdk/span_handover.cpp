#include "internal/span_handover.hpp"

#include <algorithm>
#include <array>
#include <new>
#include <utility>

#include "edgetrace/sdk/span.hpp"
#include "internal/thread_context.hpp"

namespace edgetrace::sdk::internal {

// One thread's ring: written by that thread only (slots, tail), taken from by any thread
// (head, with a compare-and-swap).
class SpanRing {
 public:
  static constexpr std::size_t kSize = SpanHandover::kRingSize;
  static_assert((kSize & (kSize - 1)) == 0, "a power of two");

  SpanRing() = default;
  SpanRing(const SpanRing&) = delete;
  SpanRing& operator=(const SpanRing&) = delete;
  // Whatever is still staged (a span that raced a discard) goes back to the pool.
  ~SpanRing() { (void)release_staged(); }

  // Any thread: takes until the ring stays empty and drops the references, unexported;
  // returns how many.
  std::size_t release_staged() noexcept {
    std::array<SpanRecord*, kSize> taken;
    std::size_t total = 0;
    for (std::size_t n; (n = take(taken.data())) != 0; total += n)
      for (std::size_t i = 0; i < n; ++i)
        release_span_record(taken[i]);
    return total;
  }

  // Owner thread only: stages `span`; returns how many are staged with it, 0 when the ring
  // was full (and `span` not staged).
  std::size_t try_push(SpanRecord* span) noexcept {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    const std::uint64_t used = t - head_.load(std::memory_order_acquire);
    if (used >= kSize)
      return 0;
    slots_[t & (kSize - 1)].store(span, std::memory_order_relaxed);
    tail_.store(t + 1, std::memory_order_release);
    return static_cast<std::size_t>(used + 1);
  }

  // Any thread: how many are staged now.
  std::size_t size() const noexcept {
    const std::uint64_t h = head_.load(std::memory_order_acquire);
    return static_cast<std::size_t>(tail_.load(std::memory_order_acquire) - h);
  }

  // Any thread: claims everything staged now into out[0, n); returns n (<= kSize).
  std::size_t take(SpanRecord** out) noexcept {
    for (;;) {
      std::uint64_t h = head_.load(std::memory_order_acquire);
      const std::uint64_t t = tail_.load(std::memory_order_acquire);
      if (t == h)
        return 0;
      const std::size_t n = static_cast<std::size_t>(t - h);
      // Another taker moved the head on after it was read here and the owner has staged
      // more since: this head is stale (and the span between it and the tail is more than a
      // ring); read both again.
      if (n > kSize)
        continue;
      // Copy first, claim after: until the head moves, the owner cannot reuse these slots,
      // and if another taker moved it first the copy is thrown away.
      for (std::size_t i = 0; i < n; ++i)
        out[i] = slots_[(h + i) & (kSize - 1)].load(std::memory_order_relaxed);
      if (head_.compare_exchange_strong(h, t, std::memory_order_acq_rel, std::memory_order_relaxed))
        return n;
    }
  }

  std::atomic<bool> orphaned{false};  // its thread has exited
  std::atomic<bool> closed{false};    // its hand-over is gone or discarding

 private:
  alignas(64) std::atomic<std::uint64_t> tail_{0};
  alignas(64) std::atomic<std::uint64_t> head_{0};
  alignas(64) std::array<std::atomic<SpanRecord*>, kSize> slots_{};
};

namespace {

std::atomic<std::uint64_t> g_next_handover_id{1};

// The thread's most recently used ring. Trivially destructible and constant-initialised, so
// the hot path reads it without a thread-local guard; id 0 matches no hand-over.
struct LastRing {
  std::uint64_t id;
  SpanRing* ring;
};
thread_local LastRing t_last{};
thread_local bool t_rings_gone = false;  // the thread is exiting: no more rings

// Every ring this thread holds, one per hand-over; marks them orphaned at thread exit.
struct ThreadRings {
  struct Entry {
    std::uint64_t id;
    std::shared_ptr<SpanRing> ring;
  };
  std::vector<Entry> entries;

  ~ThreadRings() {
    for (Entry& e : entries)
      e.ring->orphaned.store(true, std::memory_order_release);
    t_last = LastRing{};
    t_rings_gone = true;
  }
};

ThreadRings& thread_rings() {
  static thread_local ThreadRings rings;
  return rings;
}

}  // namespace

SpanHandover::SpanHandover(Sink sink, std::size_t group)
    : id_(g_next_handover_id.fetch_add(1, std::memory_order_relaxed)),
      group_(std::clamp<std::size_t>(group, 1, kRingSize)),
      sink_(std::move(sink)) {}

SpanHandover::~SpanHandover() {
  (void)discard();
}

// Inline in push(): a span's hand-over is one ring store; the group's hand-over (drain) is
// out of line.
[[gnu::always_inline]] inline bool SpanHandover::stage(SpanRing& ring, SpanRecord* span) noexcept {
  const std::size_t staged = ring.try_push(span);
  if (staged >= group_)
    drain(ring);
  return staged != 0;
}

void SpanHandover::push(SpanRecord* span) noexcept {
  if (t_last.id == id_ && stage(*t_last.ring, span))
    return;
  push_slow(span);
}

void SpanHandover::push_slow(SpanRecord* span) noexcept {
  SpanRing* ring = nullptr;
  if (!closed_.load(std::memory_order_acquire) && !t_rings_gone) {
    try {
      ring = ring_for_this_thread();
    } catch (...) {
      ring = nullptr;  // no memory for a ring: hand the span over alone
    }
  }
  if (ring != nullptr) {
    if (stage(*ring, span))
      return;
    drain(*ring);  // full (others took too little): hand the ring over, then stage
    if (stage(*ring, span))
      return;
  }
  if (closed_.load(std::memory_order_acquire)) {
    late_.fetch_add(1, std::memory_order_relaxed);
    release_span_record(span);
    return;
  }
  SpanRef one = SpanRef::adopt(span);
  sink_(&one, 1);
}

std::size_t SpanHandover::staged() {
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t n = 0;
  for (const auto& ring : rings_)
    n += ring->size();
  return n;
}

SpanRing* SpanHandover::ring_for_this_thread() {
  ThreadRings& mine = thread_rings();
  for (auto it = mine.entries.begin(); it != mine.entries.end();) {
    if (it->id == id_) {
      t_last = LastRing{id_, it->ring.get()};
      return it->ring.get();
    }
    // A ring whose hand-over is gone: forget it (it was emptied when it closed).
    if (it->ring->closed.load(std::memory_order_acquire)) {
      if (t_last.ring == it->ring.get())
        t_last = LastRing{};
      it = mine.entries.erase(it);
    } else {
      ++it;
    }
  }
  auto ring = std::make_shared<SpanRing>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.load(std::memory_order_relaxed))
      return nullptr;
    rings_.push_back(ring);
  }
  mine.entries.push_back({id_, ring});
  t_last = LastRing{id_, ring.get()};
  return ring.get();
}

[[gnu::noinline]] void SpanHandover::drain(SpanRing& ring) {
  std::array<SpanRecord*, kRingSize> taken;
  const std::size_t n = ring.take(taken.data());
  if (n == 0)
    return;
  // Only the n references taken are constructed and destroyed (not the whole ring's worth).
  union Refs {
    Refs() {}
    ~Refs() {}
    SpanRef items[kRingSize];
  } refs;
  for (std::size_t i = 0; i < n; ++i)
    new (&refs.items[i]) SpanRef(SpanRef::adopt(taken[i]));
  sink_(refs.items, n);
  for (std::size_t i = 0; i < n; ++i)
    refs.items[i].~SpanRef();
}

void SpanHandover::collect() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = rings_.begin(); it != rings_.end();) {
    SpanRing& ring = **it;
    // Orphaned first, then emptied: a ring found orphaned gets no more spans.
    const bool orphaned = ring.orphaned.load(std::memory_order_acquire);
    drain(ring);
    if (orphaned) {
      it = rings_.erase(it);
    } else {
      ++it;
    }
  }
}

std::size_t SpanHandover::discard() {
  std::vector<std::shared_ptr<SpanRing>> rings;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_.store(true, std::memory_order_release);
    rings.swap(rings_);
  }
  std::size_t n = 0;
  for (const auto& ring : rings) {
    ring->closed.store(true, std::memory_order_release);
    // A thread that read the ring from its cache before `closed` may still stage a span or
    // two: release_staged takes until the ring stays empty.
    n += ring->release_staged();
  }
  return n;
}

}  // namespace edgetrace::sdk::internal
