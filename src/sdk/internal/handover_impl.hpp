// The definitions of Handover<Traits> (handover.hpp). Include this only where one Traits is
// instantiated explicitly (`template class Handover<SpanHandoverTraits>;`), once per Traits.
#pragma once

#include <algorithm>
#include <array>
#include <new>
#include <utility>

#include "internal/handover.hpp"

namespace edgetrace::sdk::internal {

// One thread's ring: written by that thread only (slots, tail), taken from by any thread
// (head, with a compare-and-swap).
template <typename Traits>
class HandoverRing {
 public:
  using Record = typename Traits::Record;
  static constexpr std::size_t kSize = Handover<Traits>::kRingSize;
  static_assert((kSize & (kSize - 1)) == 0, "a power of two");

  HandoverRing() = default;
  HandoverRing(const HandoverRing&) = delete;
  HandoverRing& operator=(const HandoverRing&) = delete;
  // Whatever is still staged (a record that raced a discard) is released.
  ~HandoverRing() { (void)release_staged(); }

  // Any thread: takes until the ring stays empty and releases the records, unexported;
  // returns how many.
  std::size_t release_staged() noexcept {
    std::array<Record*, kSize> taken;
    std::size_t total = 0;
    for (std::size_t n; (n = take(taken.data())) != 0; total += n)
      for (std::size_t i = 0; i < n; ++i)
        Traits::release(taken[i]);
    return total;
  }

  // Owner thread only: stages `record`; returns how many are staged with it, 0 when the ring
  // was full (and `record` not staged).
  std::size_t try_push(Record* record) noexcept {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    const std::uint64_t used = t - head_.load(std::memory_order_acquire);
    if (used >= kSize)
      return 0;
    slots_[t & (kSize - 1)].store(record, std::memory_order_relaxed);
    tail_.store(t + 1, std::memory_order_release);
    return static_cast<std::size_t>(used + 1);
  }

  // Any thread: how many are staged now.
  std::size_t size() const noexcept {
    const std::uint64_t h = head_.load(std::memory_order_acquire);
    return static_cast<std::size_t>(tail_.load(std::memory_order_acquire) - h);
  }

  // Any thread: claims everything staged now into out[0, n); returns n (<= kSize).
  std::size_t take(Record** out) noexcept {
    for (;;) {
      std::uint64_t h = head_.load(std::memory_order_acquire);
      const std::uint64_t t = tail_.load(std::memory_order_acquire);
      if (t == h)
        return 0;
      const std::size_t n = static_cast<std::size_t>(t - h);
      // Another taker moved the head on after it was read here and the owner has staged
      // more since: this head is stale (and the distance to the tail is more than a ring);
      // read both again.
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
  alignas(64) std::array<std::atomic<Record*>, kSize> slots_{};
};

namespace handover_detail {

// The thread's most recently used ring of this kind. Trivially destructible and constant-
// initialised, so the hot path reads it without a thread-local guard; id 0 matches no
// hand-over.
template <typename Traits>
struct LastRing {
  std::uint64_t id;
  HandoverRing<Traits>* ring;
};
template <typename Traits>
thread_local LastRing<Traits> t_last{};
template <typename Traits>
thread_local bool t_rings_gone = false;  // the thread is exiting: no more rings of this kind

// Every ring of this kind the thread holds, one per hand-over; marks them orphaned at
// thread exit.
template <typename Traits>
struct ThreadRings {
  struct Entry {
    std::uint64_t id;
    std::shared_ptr<HandoverRing<Traits>> ring;
  };
  std::vector<Entry> entries;

  ~ThreadRings() {
    for (Entry& e : entries)
      e.ring->orphaned.store(true, std::memory_order_release);
    t_last<Traits> = LastRing<Traits>{};
    t_rings_gone<Traits> = true;
  }
};

template <typename Traits>
ThreadRings<Traits>& thread_rings() {
  static thread_local ThreadRings<Traits> rings;
  return rings;
}

}  // namespace handover_detail

template <typename Traits>
Handover<Traits>::Handover(Sink sink, std::size_t group, RingHook on_ring)
    : id_(next_handover_id()),
      group_(std::clamp<std::size_t>(group, 1, kRingSize)),
      sink_(std::move(sink)),
      on_ring_(std::move(on_ring)) {}

template <typename Traits>
Handover<Traits>::~Handover() {
  (void)discard();
}

// Inline in push(): a record's hand-over is one ring store; the group's hand-over (drain) is
// out of line.
template <typename Traits>
template <bool Urgent>
[[gnu::always_inline]] inline bool Handover<Traits>::stage(Ring& ring, Record* record) noexcept {
  const std::size_t staged = ring.try_push(record);
  if (staged >= group_ || (Urgent && staged != 0))
    drain(ring);
  return staged != 0;
}

template <typename Traits>
template <bool Urgent>
[[gnu::always_inline]] inline void Handover<Traits>::push_as(Record* record) noexcept {
  using handover_detail::t_last;
  if (t_last<Traits>.id == id_ && stage<Urgent>(*t_last<Traits>.ring, record))
    return;
  push_slow<Urgent>(record);
}

template <typename Traits>
void Handover<Traits>::push(Record* record) noexcept {
  push_as<false>(record);
}

template <typename Traits>
void Handover<Traits>::push_urgent(Record* record) noexcept {
  push_as<true>(record);
}

template <typename Traits>
template <bool Urgent>
void Handover<Traits>::push_slow(Record* record) noexcept {
  Ring* ring = nullptr;
  if (!closed_.load(std::memory_order_acquire) && !handover_detail::t_rings_gone<Traits>) {
    try {
      ring = ring_for_this_thread();
    } catch (...) {
      ring = nullptr;  // no memory for a ring: hand the record over alone
    }
  }
  if (ring != nullptr) {
    if (stage<Urgent>(*ring, record))
      return;
    drain(*ring);  // full (others took too little): hand the ring over, then stage
    if (stage<Urgent>(*ring, record))
      return;
  }
  if (closed_.load(std::memory_order_acquire)) {
    late_.fetch_add(1, std::memory_order_relaxed);
    Traits::release(record);
    return;
  }
  Ref one = Traits::adopt(record);
  sink_(&one, 1);
}

template <typename Traits>
std::size_t Handover<Traits>::staged() {
  std::lock_guard<std::mutex> lock(mu_);
  std::size_t n = 0;
  for (const auto& ring : rings_)
    n += ring->size();
  return n;
}

template <typename Traits>
std::size_t Handover<Traits>::rings() {
  std::lock_guard<std::mutex> lock(mu_);
  return rings_.size();
}

template <typename Traits>
typename Handover<Traits>::Ring* Handover<Traits>::ring_for_this_thread() {
  using handover_detail::LastRing;
  using handover_detail::t_last;
  auto& mine = handover_detail::thread_rings<Traits>();
  for (auto it = mine.entries.begin(); it != mine.entries.end();) {
    if (it->id == id_) {
      t_last<Traits> = LastRing<Traits>{id_, it->ring.get()};
      return it->ring.get();
    }
    // A ring whose hand-over is gone: forget it (it was emptied when it closed).
    if (it->ring->closed.load(std::memory_order_acquire)) {
      if (t_last<Traits>.ring == it->ring.get())
        t_last<Traits> = LastRing<Traits>{};
      it = mine.entries.erase(it);
    } else {
      ++it;
    }
  }
  auto ring = std::make_shared<Ring>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.load(std::memory_order_relaxed))
      return nullptr;
    rings_.push_back(ring);
  }
  if (on_ring_)
    on_ring_(+1);
  mine.entries.push_back({id_, ring});
  t_last<Traits> = LastRing<Traits>{id_, ring.get()};
  return ring.get();
}

template <typename Traits>
[[gnu::noinline]] void Handover<Traits>::drain(Ring& ring) {
  std::array<Record*, kRingSize> taken;
  const std::size_t n = ring.take(taken.data());
  if (n == 0)
    return;
  // Only the n references taken are constructed and destroyed (not the whole ring's worth).
  union Refs {
    Refs() {}
    ~Refs() {}
    Ref items[kRingSize];
  } refs;
  for (std::size_t i = 0; i < n; ++i)
    new (&refs.items[i]) Ref(Traits::adopt(taken[i]));
  sink_(refs.items, n);
  for (std::size_t i = 0; i < n; ++i)
    refs.items[i].~Ref();
}

template <typename Traits>
void Handover<Traits>::collect() {
  int freed = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = rings_.begin(); it != rings_.end();) {
      Ring& ring = **it;
      // Orphaned first, then emptied: a ring found orphaned gets no more records.
      const bool orphaned = ring.orphaned.load(std::memory_order_acquire);
      drain(ring);
      if (orphaned) {
        it = rings_.erase(it);
        ++freed;
      } else {
        ++it;
      }
    }
  }
  if (freed != 0 && on_ring_)
    on_ring_(-freed);
}

template <typename Traits>
std::size_t Handover<Traits>::discard() {
  std::vector<std::shared_ptr<Ring>> rings;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_.store(true, std::memory_order_release);
    rings.swap(rings_);
  }
  std::size_t n = 0;
  for (const auto& ring : rings) {
    ring->closed.store(true, std::memory_order_release);
    // A thread that read the ring from its cache before `closed` may still stage a record or
    // two: release_staged takes until the ring stays empty.
    n += ring->release_staged();
  }
  if (!rings.empty() && on_ring_)
    on_ring_(-static_cast<int>(rings.size()));
  return n;
}

}  // namespace edgetrace::sdk::internal
