// Handover (spans and log records): every staged record reaches the sink exactly once,
// whoever takes it (its own thread when a group is full or a push is urgent, a collector at
// any time, the discard at the end), and records always go back to their pool.
#include "internal/span_handover.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "edgetrace/sdk/span.hpp"
#include "internal/log_handover.hpp"
#include "internal/thread_context.hpp"

namespace edgetrace::sdk::internal {
namespace {

// A sink that records which records arrived (by address and a per-span serial number kept
// in busy_ns, which nothing else reads here) and drops its references.
struct Recorder {
  std::mutex mu;
  std::vector<std::uint64_t> serials;
  std::atomic<std::size_t> calls{0};

  SpanHandover::Sink sink() {
    return [this](SpanRef* spans, std::size_t n) {
      calls.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard<std::mutex> lock(mu);
      for (std::size_t i = 0; i < n; ++i) {
        serials.push_back(spans[i]->busy_ns);
        spans[i] = SpanRef();  // released here, as the queue would after export
      }
    };
  }
};

// A fresh record holding one reference, given to the hand-over with push().
SpanRecord* record_with_serial(std::uint64_t serial) {
  SpanRecord* r = acquire_span_record();
  r->busy_ns = serial;
  return r;
}

TEST(SpanHandoverTest, AGroupIsHandedOverWhenFullAndTheRestByCollect) {
  Recorder rec;
  SpanHandover h(rec.sink(), 8);
  for (std::uint64_t i = 0; i < 20; ++i)
    h.push(record_with_serial(i));
  // Two groups of 8 went at once; 4 wait in this thread's ring.
  EXPECT_EQ(rec.serials.size(), 16u);
  EXPECT_EQ(rec.calls.load(), 2u);
  EXPECT_EQ(h.staged(), 4u);
  h.collect();
  ASSERT_EQ(rec.serials.size(), 20u);
  for (std::uint64_t i = 0; i < 20; ++i)
    EXPECT_EQ(rec.serials[i], i) << "in the order they ended";
  EXPECT_EQ(h.staged(), 0u);
}

TEST(SpanHandoverTest, ConcurrentProducersAndCollectorsLoseAndDuplicateNothing) {
  Recorder rec;
  const std::size_t pool_before = span_records_allocated();
  {
    SpanHandover h(rec.sink(), SpanHandover::kRingSize);
    constexpr int kThreads = 4;
    constexpr std::uint64_t kPerThread = 20000;
    std::atomic<bool> done{false};
    // Two collectors racing each other and the producers for the same rings.
    std::vector<std::thread> collectors;
    for (int c = 0; c < 2; ++c)
      collectors.emplace_back([&] {
        while (!done.load(std::memory_order_acquire))
          h.collect();
      });
    std::vector<std::thread> producers;
    for (int t = 0; t < kThreads; ++t)
      producers.emplace_back([&, t] {
        for (std::uint64_t i = 0; i < kPerThread; ++i)
          h.push(record_with_serial(static_cast<std::uint64_t>(t) * kPerThread + i));
      });
    for (std::thread& p : producers)
      p.join();  // the producers' rings are orphaned now, some spans still in them
    done.store(true, std::memory_order_release);
    for (std::thread& c : collectors)
      c.join();
    h.collect();  // takes what the exited threads left and frees their rings
    EXPECT_EQ(h.staged(), 0u);
    ASSERT_EQ(rec.serials.size(), kThreads * kPerThread);
    const std::set<std::uint64_t> unique(rec.serials.begin(), rec.serials.end());
    EXPECT_EQ(unique.size(), kThreads * kPerThread) << "a span was handed over twice";
    EXPECT_EQ(*unique.rbegin(), kThreads * kPerThread - 1);
    EXPECT_EQ(h.discard(), 0u);
  }
  // Every record went back to the pool: the pool grew by at most what was alive at once, not
  // by the 80,000 spans. At once, each of the 7 threads (4 producers, 2 collectors, this one)
  // holds at most a full record cache (256 records, a ring's worth) plus a ring's worth it took to
  // hand over, and each producer's ring holds another ring's worth: 7 * 2 + 4 = 18 rings' worth. A
  // leak of even one record per span would exceed it by far.
  EXPECT_LE(span_records_allocated() - pool_before, 18u * SpanHandover::kRingSize);
}

TEST(SpanHandoverTest, DiscardReleasesStagedSpansAndLatePushesAreCounted) {
  Recorder rec;
  SpanHandover h(rec.sink(), 64);
  for (std::uint64_t i = 0; i < 10; ++i)
    h.push(record_with_serial(i));
  EXPECT_EQ(h.discard(), 10u);
  EXPECT_TRUE(rec.serials.empty()) << "discarded spans are not exported";
  // A push that raced the discard: this thread's cached ring is closed, nobody takes from
  // it, so the span is released with the ring; a thread with no ring yet counts it late.
  std::thread late([&] { h.push(record_with_serial(99)); });
  late.join();
  EXPECT_EQ(h.late(), 1u);
  EXPECT_TRUE(rec.serials.empty());
}

TEST(SpanHandoverTest, ARingOutlivesItsHandOverWhileItsThreadHoldsIt) {
  Recorder rec;
  auto h = std::make_unique<SpanHandover>(rec.sink(), 64);
  h->push(record_with_serial(1));  // this thread now caches a ring of `h`
  h.reset();                       // discards: the ring is closed but still this thread's
  // A second hand-over in the same thread works, and the closed ring is forgotten.
  SpanHandover h2(rec.sink(), 2);
  h2.push(record_with_serial(2));
  h2.push(record_with_serial(3));
  ASSERT_EQ(rec.serials.size(), 2u);
  EXPECT_EQ(rec.serials[0], 2u);
  EXPECT_EQ(rec.serials[1], 3u);
}

TEST(SpanHandoverTest, AnUrgentPushHandsTheRingOverAtOnceInOrder) {
  Recorder rec;
  SpanHandover h(rec.sink(), 64);
  for (std::uint64_t i = 0; i < 3; ++i)
    h.push(record_with_serial(i));
  EXPECT_TRUE(rec.serials.empty());
  h.push_urgent(record_with_serial(3));
  ASSERT_EQ(rec.serials.size(), 4u) << "the urgent record and what waited before it";
  EXPECT_EQ(rec.calls.load(), 1u);
  for (std::uint64_t i = 0; i < 4; ++i)
    EXPECT_EQ(rec.serials[i], i);
  EXPECT_EQ(h.staged(), 0u);
}

// The log hand-over stages pooled items; each thread's ring makes room in the pool for its
// group and the thread's cache of free items (else a pool sized for the queue would refuse
// records while others wait in rings), and gives it back when the exited thread's ring is
// freed.
TEST(LogHandoverTest, EachRingMakesRoomInThePoolUntilItIsFreed) {
  constexpr std::size_t kBase = OtlpLogPool::kBatch;  // one chain: all the first thread gets
  auto pool = std::make_shared<OtlpLogPool>(kBase);
  std::vector<std::string> bodies;
  std::mutex mu;
  constexpr std::size_t kGroup = 64;
  constexpr auto kRoom = static_cast<std::ptrdiff_t>(kGroup + OtlpLogPool::kThreadCacheMax);
  LogHandover h(
      [&](OtlpLogHandle* items, std::size_t n) {
        std::lock_guard<std::mutex> lock(mu);
        for (std::size_t i = 0; i < n; ++i) {
          bodies.emplace_back(items[i]->message.view());
          items[i] = OtlpLogHandle();  // back to the pool
        }
      },
      kGroup, [&pool](int delta) { pool->add_room(delta * kRoom); });
  // One thread after the other: the first stages every item the pool could make without the
  // rings' room; the second needs that room.
  constexpr int kThreads = 2;
  constexpr int kEach = static_cast<int>(kBase);  // fewer than a group: all stay staged
  std::atomic<int> refused{0};
  for (int t = 0; t < kThreads; ++t) {
    std::thread([&, t] {
      for (int i = 0; i < kEach; ++i) {
        OtlpLogItem* item = pool->acquire();
        if (item == nullptr) {
          refused.fetch_add(1);
          continue;
        }
        item->message.assign("t" + std::to_string(t) + "." + std::to_string(i));
        h.push(item);
      }
    }).join();
  }
  EXPECT_EQ(refused.load(), 0) << "the pool refused items while the rings held theirs";
  EXPECT_EQ(h.staged(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(h.rings(), static_cast<std::size_t>(kThreads));
  EXPECT_EQ(pool->cap(), kBase + kThreads * kRoom);
  h.collect();  // the threads exited: their rings are emptied and freed
  EXPECT_EQ(h.rings(), 0u);
  EXPECT_EQ(pool->cap(), kBase);
  ASSERT_EQ(bodies.size(), static_cast<std::size_t>(kThreads * kEach));
  // Each thread's records arrive in the order it pushed them.
  for (int t = 0; t < kThreads; ++t) {
    int next = 0;
    for (const std::string& b : bodies) {
      if (b.starts_with("t" + std::to_string(t) + ".")) {
        EXPECT_EQ(b, "t" + std::to_string(t) + "." + std::to_string(next++));
      }
    }
    EXPECT_EQ(next, kEach);
  }
  // A ring this thread holds is given back by the discard.
  OtlpLogItem* item = pool->acquire();
  ASSERT_NE(item, nullptr);
  h.push(item);
  EXPECT_EQ(pool->cap(), kBase + kRoom);
  EXPECT_EQ(h.discard(), 1u);
  EXPECT_EQ(pool->cap(), kBase);
}

// Free items live in per-thread caches; what a thread holds goes back to the pool when it
// exits, so another thread can use it under the same cap.
TEST(LogPoolTest, AThreadsCachedItemsReturnToThePoolWhenItExits) {
  constexpr std::size_t kCap = 3 * OtlpLogPool::kBatch;
  auto pool = std::make_shared<OtlpLogPool>(kCap);
  std::vector<OtlpLogItem*> taken;
  std::thread([&] {
    for (std::size_t i = 0; i < kCap; ++i)
      taken.push_back(pool->acquire());
    for (OtlpLogItem* item : taken)
      pool->release(item);  // all cached by this thread (up to kThreadCacheMax, rest spilled)
  }).join();
  EXPECT_EQ(pool->allocated(), kCap);
  // Every item is free again: this thread gets all kCap without making more.
  std::vector<OtlpLogItem*> again;
  for (std::size_t i = 0; i < kCap; ++i) {
    again.push_back(pool->acquire());
    ASSERT_NE(again.back(), nullptr) << "item " << i << " stayed in the exited thread's cache";
  }
  EXPECT_EQ(pool->acquire(), nullptr) << "the cap holds";
  EXPECT_EQ(pool->allocated(), kCap);
  const std::set<OtlpLogItem*> a(taken.begin(), taken.end());
  const std::set<OtlpLogItem*> b(again.begin(), again.end());
  EXPECT_EQ(a, b);
  for (OtlpLogItem* item : again)
    pool->release(item);
}

// A thread that used a pool which is gone since does not touch it: a new pool works at once.
TEST(LogPoolTest, ACacheOfAPoolThatIsGoneIsForgotten) {
  auto first = std::make_shared<OtlpLogPool>(8);
  OtlpLogItem* item = first->acquire();
  ASSERT_NE(item, nullptr);
  first->release(item);  // cached by this thread
  first.reset();
  auto second = std::make_shared<OtlpLogPool>(8);
  OtlpLogItem* other = second->acquire();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->pool, second.get());
  second->release(other);
}

}  // namespace
}  // namespace edgetrace::sdk::internal
