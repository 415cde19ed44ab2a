// SpanHandover: how ended spans travel from the application's threads to the OTLP layer's
// span export thread without a shared lock per span.
//
// Each thread that ends spans gets its own ring of kRingSize references (made on its first
// span, owned by the hand-over). Ending a span writes one slot and publishes it with a
// release store of the ring's tail: no lock, no read-modify-write, no cache line another
// thread writes. The ring is emptied into the batch processor's queue, under one lock for
// the whole group, by whoever comes first:
//  - its own thread, when `group` spans are staged (the group then meets the queue's drop
//    policy, oldest first);
//  - the export thread, each time it wakes (schedule delay, a full batch, flush, shutdown),
//    through the processor's collector.
// So a span waits in its ring at most until the next export or flush: the export schedule
// and force_flush keep their meaning.
//
// Either side takes a ring's contents by copying the slots, then claiming them with one
// compare-and-swap of the ring's head (a claim that loses the race is discarded and
// retried). The head and tail are 64-bit counters that never wrap in practice, so there is
// no ABA.
//
// A thread that exits marks its rings orphaned; the export thread empties and frees them at
// its next wake. A ring outlives its hand-over while its thread still holds it, so a late
// span can never write into freed memory; it is then released (and counted) at once.
//
// Thread-safety: push from any thread; collect and discard from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace edgetrace::sdk {
class SpanRecord;
class SpanRef;

namespace internal {

class SpanRing;

class SpanHandover {
 public:
  static constexpr std::size_t kRingSize = 256;

  // Hands a group of owned references (released by the callee in every case) to the queue.
  using Sink = std::function<void(SpanRef* spans, std::size_t n)>;

  // `group`: a thread hands its ring over when this many spans are staged in it (at most
  // kRingSize); the OTLP layer uses half the export batch size.
  SpanHandover(Sink sink, std::size_t group);
  ~SpanHandover();  // releases whatever is still staged (see discard)
  SpanHandover(const SpanHandover&) = delete;
  SpanHandover& operator=(const SpanHandover&) = delete;

  // Stages `span`, whose reference the caller gives up (the record must hold one for it).
  void push(SpanRecord* span) noexcept;

  // Spans staged in rings now (not yet in the queue).
  std::size_t staged();
  // Spans released unexported because they arrived after discard().
  std::uint64_t late() const noexcept { return late_.load(std::memory_order_relaxed); }

  // Moves every ring's spans to the sink; frees the rings of exited threads.
  void collect();

  // Stops staging (later pushes go straight to the sink) and releases what is staged
  // without exporting it; returns how many spans that was.
  std::size_t discard();

 private:
  SpanRing* ring_for_this_thread();
  void push_slow(SpanRecord* span) noexcept;
  // Stages `span` in `ring`, handing the ring over once `group_` are staged; false when the
  // ring was full.
  bool stage(SpanRing& ring, SpanRecord* span) noexcept;
  void drain(SpanRing& ring);

  const std::uint64_t id_;  // unique per hand-over, never reused: the thread-local cache key
  const std::size_t group_;
  Sink sink_;
  std::atomic<std::uint64_t> late_{0};
  std::mutex mu_;  // guards rings_
  std::vector<std::shared_ptr<SpanRing>> rings_;
  std::atomic<bool> closed_{false};
};

}  // namespace internal
}  // namespace edgetrace::sdk
