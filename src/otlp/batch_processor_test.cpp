#include "edgetrace/otlp/batch_processor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace edgetrace::otlp {
namespace {

using namespace std::chrono_literals;

struct Item {
  int id = 0;
  std::size_t cls = 1;
};

// Records every exported batch; can hold exports until released.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::vector<int>> batches;
  std::vector<Clock::time_point> export_starts;  // when each export call began
  bool hold = false;
  bool in_export = false;

  BatchOutcome on_export(std::vector<Item>& batch) {
    std::unique_lock<std::mutex> lock(mu);
    export_starts.push_back(Clock::now());
    in_export = true;
    cv.notify_all();
    cv.wait(lock, [&] { return !hold; });
    std::vector<int> ids;
    for (const Item& i : batch)
      ids.push_back(i.id);
    batches.push_back(ids);
    in_export = false;
    cv.notify_all();
    return {batch.size(), 0};
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu);
    hold = false;
    cv.notify_all();
  }
  bool wait_for(std::function<bool()> pred) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, 10s, pred);
  }
  std::size_t exported() {
    std::size_t n = 0;
    for (auto& b : batches)
      n += b.size();
    return n;
  }
};

BatchProcessor<Item> make(std::shared_ptr<Recorder> r, BatchOptions o) {
  return BatchProcessor<Item>(
      o, [r](std::vector<Item>& b, Deadline) { return r->on_export(b); },
      [](const Item& i) { return i.cls; }, /*urgent_class=*/5);
}

BatchOptions slow_timer() {
  BatchOptions o;
  o.schedule_delay = 1h;
  o.min_export_interval = 1ms;
  return o;
}

TEST(BatchProcessorTest, ExportsAFullBatchWithoutWaitingForTheTimer) {
  auto r = std::make_shared<Recorder>();
  BatchOptions o = slow_timer();
  o.max_export_batch_size = 3;
  auto p = make(r, o);
  for (int i = 0; i < 3; ++i)
    p.push({i, 1});
  ASSERT_TRUE(r->wait_for([&] { return r->batches.size() == 1; }));
  EXPECT_EQ(r->batches[0], (std::vector<int>{0, 1, 2}));
}

TEST(BatchProcessorTest, TimerExportsASmallBatch) {
  auto r = std::make_shared<Recorder>();
  BatchOptions o;
  o.schedule_delay = 20ms;
  auto p = make(r, o);
  p.push({7, 1});
  ASSERT_TRUE(r->wait_for([&] { return r->batches.size() == 1; }));
  EXPECT_EQ(r->batches[0], std::vector<int>{7});
}

TEST(BatchProcessorTest, ForceFlushExportsEverythingInBatches) {
  auto r = std::make_shared<Recorder>();
  BatchOptions o = slow_timer();
  o.max_export_batch_size = 4;
  o.max_queue_size = 100;
  auto p = make(r, o);
  for (int i = 0; i < 10; ++i)
    p.push({i, 1});
  ASSERT_TRUE(p.force_flush(Clock::now() + 10s));
  std::lock_guard<std::mutex> lock(r->mu);
  EXPECT_EQ(r->exported(), 10u);
  for (const auto& b : r->batches)
    EXPECT_LE(b.size(), 4u);
  EXPECT_EQ(p.counters().delivered.load(), 10u);
  EXPECT_EQ(p.counters().accepted.load(), 10u);
}

TEST(BatchProcessorTest, ExportedItemsAreDestroyedOnceTheirExportReturns) {
  // Items that own something (pooled records, buffers) give it back when their export is
  // done, not when the next batch is taken, even if the export function leaves them be.
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  BatchOptions o = slow_timer();
  BatchProcessor<std::shared_ptr<int>> p(o, [](std::vector<std::shared_ptr<int>>& b, Deadline) {
    return BatchOutcome{b.size(), 0};
  });
  p.push(std::move(token));
  ASSERT_TRUE(p.force_flush(Clock::now() + 10s));
  EXPECT_EQ(p.counters().delivered.load(), 1u);
  EXPECT_TRUE(watch.expired()) << "the exported item is still held by the processor";
}

TEST(BatchProcessorTest, FullQueueDropsLowestSeverityFirstThenOldestWithoutBlocking) {
  auto r = std::make_shared<Recorder>();
  r->hold = true;
  BatchOptions o = slow_timer();
  o.max_queue_size = 4;
  o.max_export_batch_size = 4;
  auto p = make(r, o);
  for (int i = 0; i < 4; ++i)
    p.push({i, 1});
  ASSERT_TRUE(r->wait_for([&] { return r->in_export; }));  // the worker is now stuck
  p.push({10, 1});
  p.push({11, 3});
  p.push({12, 1});
  p.push({13, 2});
  EXPECT_TRUE(p.push({14, 2}));   // displaces 10 (lowest class, oldest)
  EXPECT_FALSE(p.push({15, 0}));  // lower than everything queued: itself dropped
  EXPECT_TRUE(p.push({16, 1}));   // displaces 12
  EXPECT_EQ(p.queue_depth(), 4u);
  EXPECT_EQ(p.counters().queue_depth.load(), 4u);
  EXPECT_EQ(p.counters().dropped_queue_full[1].load(), 2u);
  EXPECT_EQ(p.counters().dropped_queue_full[0].load(), 1u);
  EXPECT_EQ(p.counters().dropped_queue_full_total(), 3u);
  r->release();
  ASSERT_TRUE(p.force_flush(Clock::now() + 10s));
  std::lock_guard<std::mutex> lock(r->mu);
  ASSERT_EQ(r->batches.size(), 2u);
  EXPECT_EQ(r->batches[1], (std::vector<int>{11, 13, 14, 16}));  // arrival order kept
  EXPECT_EQ(p.counters().queue_depth.load(), 0u);
}

TEST(BatchProcessorTest, UrgentItemTriggersAnEarlyExport) {
  auto r = std::make_shared<Recorder>();
  auto p = make(r, slow_timer());
  p.push({1, 3});
  p.push({2, 5});  // ERROR-class
  ASSERT_TRUE(r->wait_for([&] { return r->batches.size() == 1; }));
  EXPECT_EQ(r->batches[0], (std::vector<int>{1, 2}));
}

TEST(BatchProcessorTest, UrgentItemsDoNotCauseATightExportLoop) {
  auto r = std::make_shared<Recorder>();
  BatchOptions o = slow_timer();
  o.min_export_interval = 100ms;
  auto p = make(r, o);
  // Bursts of urgent items, each pushed as soon as the previous one has gone out: without
  // the spacing, every item would start an export at once.
  int pushed = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 10; ++i)
      p.push({pushed++, 5});
    ASSERT_TRUE(r->wait_for([&] { return r->exported() == static_cast<std::size_t>(pushed); }));
  }
  std::lock_guard<std::mutex> lock(r->mu);
  ASSERT_GE(r->export_starts.size(), 3u);
  // An export begins no sooner than min_export_interval after the previous one ended (and
  // so began): a lower bound, which a slow machine can only make easier to meet.
  for (std::size_t i = 1; i < r->export_starts.size(); ++i)
    EXPECT_GE(r->export_starts[i] - r->export_starts[i - 1], o.min_export_interval)
        << "exports " << i - 1 << " and " << i;
}

TEST(BatchProcessorTest, ShutdownReturnsByTheDeadlineEvenIfExportHangs) {
  auto r = std::make_shared<Recorder>();
  r->hold = true;
  BatchOptions o = slow_timer();
  o.max_export_batch_size = 1;
  auto p = std::make_unique<BatchProcessor<Item>>(
      o, [r](std::vector<Item>& b, Deadline) { return r->on_export(b); },
      [](const Item& i) { return i.cls; }, 5);
  p->push({1, 1});
  ASSERT_TRUE(r->wait_for([&] { return r->in_export; }));
  p->push({2, 1});
  EXPECT_FALSE(p->shutdown(Clock::now() + 50ms));
  EXPECT_FALSE(p->push({3, 1}));
  EXPECT_EQ(p->counters().rejected_after_shutdown.load(), 1u);
  p.reset();  // destroying a shut-down processor must not hang either
  r->release();
}

TEST(BatchProcessorTest, ShutdownDrainsTheQueue) {
  auto r = std::make_shared<Recorder>();
  auto p = make(r, slow_timer());
  for (int i = 0; i < 5; ++i)
    p.push({i, 1});
  EXPECT_TRUE(p.shutdown(Clock::now() + 10s));
  std::lock_guard<std::mutex> lock(r->mu);
  EXPECT_EQ(r->exported(), 5u);
  EXPECT_EQ(p.counters().dropped_shutdown.load(), 0u);
}

TEST(BatchProcessorTest, FailedItemsAreCounted) {
  BatchOptions o = slow_timer();
  BatchProcessor<Item> p(o, [](std::vector<Item>& b, Deadline) {
    return BatchOutcome{b.size() / 2, b.size() - b.size() / 2};
  });
  for (int i = 0; i < 4; ++i)
    p.push({i, 1});
  ASSERT_TRUE(p.force_flush(Clock::now() + 10s));
  EXPECT_EQ(p.counters().delivered.load(), 2u);
  EXPECT_EQ(p.counters().export_failed.load(), 2u);
}

TEST(BatchOptionsTest, DefaultsAndEnvironment) {
  std::vector<std::string> warnings;
  auto none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  BatchOptions spans = span_batch_options(none, &warnings);
  EXPECT_EQ(spans.max_queue_size, 2048u);
  EXPECT_EQ(spans.max_export_batch_size, 512u);
  EXPECT_EQ(spans.schedule_delay, 5000ms);
  EXPECT_EQ(spans.export_timeout, 30000ms);
  EXPECT_EQ(log_batch_options(none, &warnings).schedule_delay, 1000ms);
  EXPECT_TRUE(warnings.empty());

  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "OTEL_BLRP_SCHEDULE_DELAY")
      return "250";
    if (name == "OTEL_BLRP_MAX_QUEUE_SIZE")
      return "100";
    if (name == "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE")
      return "500";
    if (name == "OTEL_BLRP_EXPORT_TIMEOUT")
      return "soon";
    if (name == "OTEL_BSP_MAX_QUEUE_SIZE")
      return "64";
    return std::nullopt;
  };
  BatchOptions logs = log_batch_options(env, &warnings);
  EXPECT_EQ(logs.schedule_delay, 250ms);
  EXPECT_EQ(logs.max_queue_size, 100u);
  EXPECT_EQ(logs.max_export_batch_size, 100u);  // clamped to the queue size, with a warning
  EXPECT_EQ(logs.export_timeout, 30000ms);
  EXPECT_EQ(warnings.size(), 2u);
  EXPECT_EQ(span_batch_options(env, nullptr).max_queue_size, 64u);
}

TEST(BatchProcessorTest, PushManyKeepsTheOrderAndTheDropPolicy) {
  auto r = std::make_shared<Recorder>();
  BatchOptions o = slow_timer();
  o.max_queue_size = 4;
  o.max_export_batch_size = 4;
  r->hold = true;
  auto p = make(r, o);
  // The first group fills a batch: it is taken for export (and held there).
  std::vector<Item> first{{1, 1}, {2, 1}, {3, 1}, {4, 1}};
  EXPECT_EQ(p.push_many(first.data(), first.size()), 4u);
  ASSERT_TRUE(r->wait_for([&] { return r->in_export; }));
  // Six more into a queue of 4: the two oldest of the group are dropped, as one by one.
  std::vector<Item> next{{5, 1}, {6, 1}, {7, 1}, {8, 1}, {9, 1}, {10, 1}};
  EXPECT_EQ(p.push_many(next.data(), next.size()), 6u);
  EXPECT_EQ(p.counters().dropped_queue_full[1].load(), 2u);
  EXPECT_EQ(p.counters().accepted.load(), 10u);
  r->release();
  ASSERT_TRUE(p.force_flush(Clock::now() + 5s));
  std::lock_guard<std::mutex> lock(r->mu);
  ASSERT_EQ(r->batches.size(), 2u);
  EXPECT_EQ(r->batches[0], (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(r->batches[1], (std::vector<int>{7, 8, 9, 10}));
}

// Without a class function (spans) the queue's slots are used in order, as a ring: the order
// and the drop-oldest policy hold across many wrap-arounds of the slot array.
TEST(BatchProcessorTest, UnclassifiedQueueKeepsOrderAndDropsOldestAcrossWrapArounds) {
  auto r = std::make_shared<Recorder>();
  BatchOptions o = slow_timer();
  o.max_queue_size = 5;
  o.max_export_batch_size = 5;
  BatchProcessor<Item> p(o, [r](std::vector<Item>& b, Deadline) { return r->on_export(b); });
  int next = 0;
  std::vector<int> expected;
  std::uint64_t dropped = 0;
  for (int round = 0; round < 30; ++round) {
    {
      std::lock_guard<std::mutex> lock(r->mu);
      r->hold = true;
    }
    // A full batch first: the worker takes it and is held in the export, so what follows
    // stays queued and meets the drop policy.
    std::vector<Item> blocker;
    for (int k = 0; k < 5; ++k) {
      expected.push_back(next);
      blocker.push_back({next++, 0});
    }
    ASSERT_EQ(p.push_many(blocker.data(), blocker.size()), 5u);
    ASSERT_TRUE(r->wait_for([&] { return r->in_export; }));
    const int n = 1 + round % 9;  // 1..9 into a queue of 5
    std::vector<Item> items;
    for (int k = 0; k < n; ++k) {
      if (k >= n - 5)
        expected.push_back(next);  // the newest five survive
      items.push_back({next++, 0});
    }
    dropped += static_cast<std::uint64_t>(std::max(0, n - 5));
    if (round % 2 == 0) {
      (void)p.push_many(items.data(), items.size());
    } else {
      for (Item& i : items)
        (void)p.push(std::move(i));
    }
    r->release();
    ASSERT_TRUE(p.force_flush(Clock::now() + 5s));
    ASSERT_TRUE(r->wait_for([&] { return !r->in_export; }));
  }
  std::vector<int> exported;
  {
    std::lock_guard<std::mutex> lock(r->mu);
    for (const auto& b : r->batches)
      exported.insert(exported.end(), b.begin(), b.end());
  }
  EXPECT_EQ(exported, expected);
  EXPECT_EQ(p.counters().dropped_queue_full[0].load(), dropped);
}

// Items staged outside the queue reach it through the collector whenever the worker wakes.
TEST(BatchProcessorTest, TheCollectorRunsOnFlushOnTheTimerAndAtShutdown) {
  auto r = std::make_shared<Recorder>();
  std::mutex staged_mu;
  std::vector<Item> staged;
  std::atomic<int> collects{0};
  std::atomic<BatchProcessor<Item>*> self{nullptr};
  auto collect = [&] {
    if (self.load() == nullptr)
      return;  // the worker woke before the test kept its pointer
    collects.fetch_add(1);
    std::vector<Item> take;
    {
      std::lock_guard<std::mutex> lock(staged_mu);
      take.swap(staged);
    }
    self.load()->push_many(take.data(), take.size());
  };
  auto stage = [&](int id) {
    std::lock_guard<std::mutex> lock(staged_mu);
    staged.push_back({id, 1});
  };
  BatchOptions o = slow_timer();
  o.schedule_delay = 30ms;
  stage(1);
  stage(2);
  {
    BatchProcessor<Item> p(
        o, [r](std::vector<Item>& b, Deadline) { return r->on_export(b); }, nullptr,
        kSeverityClasses, collect);
    self.store(&p);
    // The timer: staged items leave without a flush.
    ASSERT_TRUE(r->wait_for([&] { return r->exported() == 2; }));
    // A flush collects first, so it covers what was staged before it.
    stage(3);
    ASSERT_TRUE(p.force_flush(Clock::now() + 5s));
    {
      std::lock_guard<std::mutex> lock(r->mu);
      EXPECT_EQ(r->exported(), 3u);
    }
    // Shutdown collects once more.
    stage(4);
    ASSERT_TRUE(p.shutdown(Clock::now() + 5s));
  }
  EXPECT_EQ(r->exported(), 4u);
  EXPECT_GE(collects.load(), 3);
}

}  // namespace
}  // namespace edgetrace::otlp
