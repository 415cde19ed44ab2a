// Handover<Traits>: how finished records (ended spans, log records) travel from the
// application's threads to an export thread without a shared lock per record.
//
// Each thread that pushes gets its own ring of kRingSize pointers (made on its first push,
// owned by the hand-over). A push writes one slot and publishes it with a release store of
// the ring's tail: no lock, no read-modify-write, no cache line another thread writes. The
// ring is emptied into the batch processor's queue, under one lock for the whole group, by
// whoever comes first:
//  - its own thread, when `group` records are staged (the group then meets the queue's drop
//    policy, oldest first), or at once for a push marked urgent (an ERROR log record that
//    must wake the exporter);
//  - the export thread, each time it wakes (schedule delay, a full batch, flush, shutdown),
//    through the processor's collector.
// So a record waits in its ring at most until the next export or flush: the export schedule
// and force_flush keep their meaning, and one thread's records keep their order.
//
// Either side takes a ring's contents by copying the slots, then claiming them with one
// compare-and-swap of the ring's head (a claim that loses the race is discarded and
// retried). The head and tail are 64-bit counters that never wrap in practice, so there is
// no ABA.
//
// A thread that exits marks its rings orphaned; the export thread empties and frees them at
// its next wake. A ring outlives its hand-over while its thread still holds it, so a late
// record can never be written into freed memory; it is then released (and counted) at once.
//
// Traits names the record and the owning handle the sink receives:
//   using Record = ...;                        // pushed as Record*
//   using Ref = ...;                           // owns one Record*, releases it when destroyed
//   static Ref adopt(Record*) noexcept;        // takes over the pushed pointer
//   static void release(Record*) noexcept;     // gives up a pushed pointer unexported
// Each Traits type has its own per-thread ring cache, so a thread that both ends spans and
// logs finds both rings on the fast path.
//
// Thread-safety: push from any thread; collect, staged, rings and discard from any thread.
// The definitions are in handover_impl.hpp, instantiated once per Traits (span_handover.cpp,
// log_handover.cpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace edgetrace::sdk::internal {

template <typename Traits>
class HandoverRing;

template <typename Traits>
class Handover {
 public:
  using Record = typename Traits::Record;
  using Ref = typename Traits::Ref;
  static constexpr std::size_t kRingSize = 256;

  // Hands a group of owned references (released by the callee in every case) to the queue.
  using Sink = std::function<void(Ref* records, std::size_t n)>;
  // Told +1 when a thread's ring is made and -1 when an exited thread's ring is freed (a pool
  // can keep room for what the rings stage). Called without the hand-over's lock.
  using RingHook = std::function<void(int delta)>;

  // `group`: a thread hands its ring over when this many records are staged in it (at most
  // kRingSize); the OTLP layer uses half the export batch size.
  Handover(Sink sink, std::size_t group, RingHook on_ring = nullptr);
  ~Handover();  // releases whatever is still staged (see discard)
  Handover(const Handover&) = delete;
  Handover& operator=(const Handover&) = delete;

  // Stages `record`, whose ownership the caller gives up.
  void push(Record* record) noexcept;
  // The same, then hands this thread's ring to the sink at once, with `record` last.
  void push_urgent(Record* record) noexcept;

  // Records staged in rings now (not yet in the queue).
  std::size_t staged();
  // Rings alive now (one per thread that pushed and has not exited, or not yet collected).
  std::size_t rings();
  // Records released unexported because they arrived after discard().
  std::uint64_t late() const noexcept { return late_.load(std::memory_order_relaxed); }
  std::size_t group() const noexcept { return group_; }

  // Moves every ring's records to the sink; frees the rings of exited threads.
  void collect();

  // Stops staging (later pushes go straight to the sink) and releases what is staged
  // without exporting it; returns how many records that was.
  std::size_t discard();

 private:
  using Ring = HandoverRing<Traits>;

  Ring* ring_for_this_thread();
  template <bool Urgent>
  void push_as(Record* record) noexcept;
  template <bool Urgent>
  void push_slow(Record* record) noexcept;
  // Stages `record` in `ring`, handing the ring over once `group_` are staged (or at once when
  // Urgent); false when the ring was full.
  template <bool Urgent>
  bool stage(Ring& ring, Record* record) noexcept;
  void drain(Ring& ring);

  const std::uint64_t id_;  // unique per hand-over, never reused: the thread-local cache key
  const std::size_t group_;
  Sink sink_;
  RingHook on_ring_;
  std::atomic<std::uint64_t> late_{0};
  std::mutex mu_;  // guards rings_
  std::vector<std::shared_ptr<Ring>> rings_;
  std::atomic<bool> closed_{false};
};

// One counter shared by every Traits: ids are unique across kinds too.
std::uint64_t next_handover_id() noexcept;

}  // namespace edgetrace::sdk::internal
