// BatchProcessor<Item>: a bounded queue drained in batches by one background thread.
//
//   BatchProcessor<LogItem> p(log_batch_options(), [&](std::vector<LogItem>& batch,
//                                                      Deadline deadline) {
//     return exporter.export_logs(batch, deadline);     // returns BatchOutcome
//   }, [](const LogItem& i) { return i.severity_class; });
//   p.push(std::move(item));          // never blocks; may drop by policy (counted)
//   p.force_flush(Clock::now() + 5s);
//   p.shutdown(Clock::now() + 5s);    // drains, always returns by the deadline
//
// Policy:
//  - a batch is exported when max_export_batch_size items are queued, when schedule_delay
//    has passed since the last export, on force_flush/shutdown, or (soon) after an urgent
//    item (severity class >= urgent_class, e.g. ERROR and FATAL logs);
//  - batches that are not full are never exported closer together than min_export_interval,
//    so a stream of urgent items cannot make a tight export loop;
//  - a full queue never blocks push(): it drops the item of the lowest severity class, the
//    oldest first among equals; an incoming item of lower class than everything queued is
//    itself dropped. Each drop is counted by class.
//
// A collector (optional) lets items reach the queue some other way than push(): the worker
// calls it, without the lock, each time it wakes (timer, flush, shutdown, a full batch) and
// before it exports, so that items producers staged elsewhere (per-thread rings, say) are
// moved in with push_many() and exported on time.
//
// Thread-safety: push, push_many, force_flush, shutdown and counters may be called from any
// thread.
// push takes a short mutex and never allocates (beyond what moving the Item in does) and does
// no I/O: the queue is one array of max_queue_size slots allocated by the constructor, threaded
// into one FIFO list per severity class. Item must be default-constructible and
// move-assignable; a free slot holds a default Item, and an exported or dropped item is moved
// out of its slot, so resources it owns are released when the export batch or the drop is done
// with it. The export function runs on the processor's thread only, one call at a time; it
// may leave the batch empty (e.g. to hand pooled items back at once).
// Destroying the processor shuts it down with `shutdown_grace`; an export function that
// ignores its deadline is abandoned (the thread is detached), never waited for forever.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "edgetrace/otlp/exporter_options.hpp"

namespace edgetrace::otlp {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

struct BatchOptions {
  std::size_t max_queue_size = 2048;
  std::size_t max_export_batch_size = 512;
  std::chrono::milliseconds schedule_delay{5000};
  std::chrono::milliseconds export_timeout{30000};
  std::chrono::milliseconds min_export_interval{100};
  std::chrono::milliseconds shutdown_grace{5000};  // used by the destructor
};

// The log defaults: BatchOptions with a 1 s schedule delay.
BatchOptions default_log_batch_options();

// `base` with the parsed OTEL_BSP_* / OTEL_BLRP_* values of `settings` over it (`prefix` names
// them in warnings), then clamped: a queue of at least 1, a batch between 1 and the queue size
// (each clamp is a warning).
BatchOptions batch_options(BatchOptions base, const BatchSettings& settings,
                           std::string_view prefix, std::vector<std::string>* warnings);
// Span defaults and OTEL_BSP_{SCHEDULE_DELAY,EXPORT_TIMEOUT,MAX_QUEUE_SIZE,MAX_EXPORT_BATCH_SIZE}
// as read_otlp_environment() parsed them.
BatchOptions span_batch_options(const OtlpEnvironment& env, std::vector<std::string>* warnings);
// Log defaults (delay 1 s) and OTEL_BLRP_*.
BatchOptions log_batch_options(const OtlpEnvironment& env, std::vector<std::string>* warnings);
// The same, parsing the variables from `env` (their parse warnings come first).
BatchOptions span_batch_options(const EnvLookup& env, std::vector<std::string>* warnings);
BatchOptions log_batch_options(const EnvLookup& env, std::vector<std::string>* warnings);

// What one export call achieved; items neither delivered nor failed are a bug.
struct BatchOutcome {
  std::size_t delivered = 0;
  std::size_t failed = 0;
};

inline constexpr std::size_t kSeverityClasses = 7;  // 0 = unclassified (spans), 1..6 levels

struct BatchCounters {
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> export_failed{0};
  std::atomic<std::uint64_t> dropped_shutdown{0};  // queued but not exported by the deadline
  std::atomic<std::uint64_t> rejected_after_shutdown{0};
  std::array<std::atomic<std::uint64_t>, kSeverityClasses> dropped_queue_full{};
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> queue_depth{0};  // items waiting now (a gauge)

  std::uint64_t dropped_queue_full_total() const noexcept {
    std::uint64_t n = 0;
    for (const auto& d : dropped_queue_full)
      n += d.load(std::memory_order_relaxed);
    return n;
  }
};

template <typename Item>
class BatchProcessor {
 public:
  using ExportFn = std::function<BatchOutcome(std::vector<Item>& batch, Deadline deadline)>;
  // Severity class of an item, 0..kSeverityClasses-1; larger is more important.
  using ClassFn = std::function<std::size_t(const Item&)>;
  // Moves staged items into the queue (with push_many); runs on the worker thread.
  using CollectFn = std::function<void()>;

  BatchProcessor(BatchOptions options, ExportFn export_fn, ClassFn class_fn = nullptr,
                 std::size_t urgent_class = kSeverityClasses, CollectFn collect = nullptr)
      : state_(std::make_shared<State>(options, std::move(export_fn), std::move(class_fn),
                                       urgent_class, std::move(collect))) {
    state_->thread = std::thread([s = state_] { s->run(); });
  }

  BatchProcessor(const BatchProcessor&) = delete;
  BatchProcessor& operator=(const BatchProcessor&) = delete;

  ~BatchProcessor() { (void)shutdown(Clock::now() + state_->options.shutdown_grace); }

  // Queues an item; returns false when it (or nothing, if it displaced another) was dropped.
  bool push(Item item) { return state_->push(std::move(item)); }

  // Queues items[0, n) (moved from) under one lock, as push() would one by one; returns how
  // many were kept. For producers that hand over in groups.
  std::size_t push_many(Item* items, std::size_t n) { return state_->push_many(items, n); }

  // Exports everything queued now; true when it all went out (delivered or failed) in time.
  bool force_flush(Deadline deadline) { return state_->flush(deadline); }

  // Stops accepting, exports what is queued, and stops the thread; returns by the deadline.
  // Items not exported by then are counted in dropped_shutdown. Idempotent.
  bool shutdown(Deadline deadline) {
    if (shut_down_)
      return shutdown_result_;
    shut_down_ = true;
    shutdown_result_ = shutdown_once(deadline);
    return shutdown_result_;
  }

  const BatchCounters& counters() const noexcept { return state_->counters; }
  std::size_t queue_depth() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->size;
  }
  const BatchOptions& options() const noexcept { return state_->options; }

 private:
  bool shutdown_once(Deadline deadline) {
    bool ok = state_->flush(deadline);
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->stopping = true;
    }
    state_->cv.notify_all();
    if (!state_->thread.joinable())
      return ok;
    std::unique_lock<std::mutex> lock(state_->mu);
    const bool finished =
        state_->done_cv.wait_until(lock, deadline, [&] { return state_->finished; });
    lock.unlock();
    if (finished) {
      state_->thread.join();
    } else {
      state_->thread.detach();  // the state outlives us through the thread's shared_ptr
      ok = false;
    }
    return ok && finished;
  }

  static constexpr std::size_t kNil = static_cast<std::size_t>(-1);

  // One queue slot: an item in its class's FIFO list, or a link in the free list.
  struct Slot {
    std::uint64_t seq = 0;
    std::size_t next = kNil;
    Item item{};
  };

  struct ClassList {
    std::size_t head = kNil;
    std::size_t tail = kNil;
    bool empty() const noexcept { return head == kNil; }
  };

  // Counters written only under the mutex (or only by the worker thread) need no atomic
  // read-modify-write: a relaxed load and store keeps push() free of locked instructions
  // beyond the mutex itself.
  static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  struct State {
    State(BatchOptions o, ExportFn e, ClassFn c, std::size_t urgent_cls, CollectFn collect_fn)
        : options(o),
          export_fn(std::move(e)),
          class_fn(std::move(c)),
          collect(std::move(collect_fn)),
          urgent_class(urgent_cls) {
      options.max_queue_size = std::max<std::size_t>(1, options.max_queue_size);
      options.max_export_batch_size =
          std::clamp<std::size_t>(options.max_export_batch_size, 1, options.max_queue_size);
      slots.resize(options.max_queue_size);
      for (std::size_t i = 0; i < slots.size(); ++i)
        slots[i].next = i + 1 < slots.size() ? i + 1 : kNil;
      free_head = 0;
    }

    // Unlinks the oldest slot of class `c` (not empty). Caller holds mu.
    std::size_t pop_front(std::size_t c) noexcept {
      ClassList& list = queues[c];
      const std::size_t i = list.head;
      list.head = slots[i].next;
      if (list.head == kNil)
        list.tail = kNil;
      return i;
    }
    // With one class (no class function: spans) the queue is strictly first in, first out,
    // so the slots in use are always one contiguous run of the array (wrapping around): the
    // next free slot is the one after the newest, and a freed slot needs no bookkeeping.
    // Walking a free list instead would chase a pointer per item through lines the export
    // thread wrote last, under the lock producers share.
    bool in_order() const noexcept { return !class_fn; }
    std::size_t acquire_slot() noexcept {
      if (in_order()) {
        const std::size_t i = next_in_order;
        next_in_order = i + 1 == slots.size() ? 0 : i + 1;
        return i;
      }
      const std::size_t i = free_head;
      free_head = slots[i].next;
      return i;
    }
    void release_slot(std::size_t i) noexcept {
      if (in_order())
        return;
      slots[i].next = free_head;
      free_head = i;
    }

    std::size_t class_of(const Item& item) const {
      if (!class_fn)
        return 0;
      return std::min(class_fn(item), kSeverityClasses - 1);
    }

    bool push(Item item) {
      const std::size_t cls = class_of(item);
      bool wake = false;
      bool kept = false;
      Item evicted{};  // destroyed after the lock is released
      {
        std::lock_guard<std::mutex> lock(mu);
        kept = push_locked(item, cls, evicted, wake);
      }
      if (wake)
        cv.notify_one();
      return kept;
    }

    // Puts `item` (moved from) into a free slot at the tail of class `cls`'s list; the queue
    // has room. Caller holds mu.
    void link(Item& item, std::size_t cls) {
      const std::size_t i = acquire_slot();
      Slot& slot = slots[i];
      slot.seq = next_seq++;
      slot.next = kNil;
      slot.item = std::move(item);
      ClassList& list = queues[cls];
      if (list.tail == kNil) {
        list.head = i;
      } else {
        slots[list.tail].next = i;
      }
      list.tail = i;
    }

    // Appends items[0, n) to their classes' lists; the queue has room for them. Caller holds
    // mu.
    void append_fitting(Item* items, std::size_t n, bool& wake) {
      if (!class_fn) {
        for (std::size_t k = 0; k < n; ++k)
          link(items[k], 0);
      } else {
        for (std::size_t k = 0; k < n; ++k) {
          const std::size_t cls = class_of(items[k]);
          link(items[k], cls);
          if (cls >= urgent_class && !urgent) {
            urgent = true;
            wake = true;
          }
        }
      }
      const std::size_t before = size;
      size += n;
      counters.queue_depth.store(size, std::memory_order_relaxed);
      bump(counters.accepted, n);
      if (before < options.max_export_batch_size && size >= options.max_export_batch_size)
        wake = true;
    }

    std::size_t push_many(Item* items, std::size_t n) {
      if (n == 0)
        return 0;
      std::size_t kept = 0;
      bool wake = false;
      // The whole group under one lock while it fits (nothing to evict)...
      {
        lock_briefly_contended();
        std::lock_guard<std::mutex> lock(mu, std::adopt_lock);
        if (!stopping && size + n <= options.max_queue_size) {
          append_fitting(items, n, wake);
          kept = n;
          n = 0;
        }
      }
      // ...else up to kGroup items per lock, so that what they evict is destroyed outside it.
      constexpr std::size_t kGroup = 64;
      for (std::size_t first = 0; first < n; first += kGroup) {
        const std::size_t last = std::min(n, first + kGroup);
        std::array<Item, kGroup> evicted{};
        std::lock_guard<std::mutex> lock(mu);
        for (std::size_t k = first; k < last; ++k)
          kept += push_locked(items[k], class_of(items[k]), evicted[k - first], wake) ? 1 : 0;
      }
      if (wake)
        cv.notify_one();
      return kept;
    }

    // Locks mu, spinning a little first: producers that hand over groups (push_many) hold it
    // for microseconds, less than a sleeping thread takes to wake up again.
    void lock_briefly_contended() {
      for (int attempt = 0; attempt < 256; ++attempt) {
        if (mu.try_lock())
          return;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
      mu.lock();
    }

    // Queues `item` (moved from when kept); an evicted item is moved to `evicted`. Caller
    // holds mu.
    bool push_locked(Item& item, std::size_t cls, Item& evicted, bool& wake) {
      if (stopping) {
        bump(counters.rejected_after_shutdown);
        return false;
      }
      if (size >= options.max_queue_size) {
        std::size_t lowest = 0;
        while (lowest < kSeverityClasses && queues[lowest].empty())
          ++lowest;
        if (lowest > cls) {  // everything queued matters more than the newcomer
          bump(counters.dropped_queue_full[cls]);
          return false;
        }
        const std::size_t victim = pop_front(lowest);
        evicted = std::move(slots[victim].item);
        release_slot(victim);
        --size;
        bump(counters.dropped_queue_full[lowest]);
      }
      link(item, cls);
      ++size;
      counters.queue_depth.store(size, std::memory_order_relaxed);
      bump(counters.accepted);
      if (cls >= urgent_class && !urgent) {
        urgent = true;
        wake = true;
      }
      // The worker looks at the size before it sleeps, so waking it when the size reaches
      // a batch is enough (and keeps a saturated queue from signalling on every push).
      if (size == options.max_export_batch_size)
        wake = true;
      return true;
    }

    bool flush(Deadline deadline) {
      std::unique_lock<std::mutex> lock(mu);
      if (finished)
        return size == 0;
      drain_deadline = deadline;
      const std::uint64_t target = ++flush_requested;
      cv.notify_one();
      const bool done =
          done_cv.wait_until(lock, deadline, [&] { return flush_completed >= target || finished; });
      return done && (finished ? size == 0 : last_flush_complete);
    }

    // Takes up to one batch, oldest first across classes. Caller holds mu.
    void take_batch(std::vector<Item>& batch) {
      batch.clear();
      while (batch.size() < options.max_export_batch_size && size > 0) {
        std::size_t best = kSeverityClasses;
        for (std::size_t c = 0; c < kSeverityClasses; ++c) {
          if (!queues[c].empty() && (best == kSeverityClasses ||
                                     slots[queues[c].head].seq < slots[queues[best].head].seq)) {
            best = c;
          }
        }
        const std::size_t i = pop_front(best);
        batch.push_back(std::move(slots[i].item));
        slots[i].item = Item{};
        release_slot(i);
        --size;
      }
      counters.queue_depth.store(size, std::memory_order_relaxed);
    }

    void export_batch(std::vector<Item>& batch, Deadline deadline) {
      const std::size_t n = batch.size();
      BatchOutcome outcome = export_fn ? export_fn(batch, deadline) : BatchOutcome{0, n};
      bump(counters.delivered, outcome.delivered);
      bump(counters.export_failed, n - std::min(n, outcome.delivered));
      bump(counters.batches);
    }

    void run() {
      std::vector<Item> batch;
      batch.reserve(options.max_export_batch_size);
      Clock::time_point last_export = Clock::now();
      std::unique_lock<std::mutex> lock(mu);
      for (;;) {
        // Sleep until there is a reason to export. The wake-up time is recomputed after
        // every notification, since an urgent item shortens it.
        for (;;) {
          if (stopping || flush_requested > flush_completed ||
              size >= options.max_export_batch_size) {
            break;
          }
          const auto wake =
              last_export + (urgent ? options.min_export_interval : options.schedule_delay);
          if (Clock::now() >= wake)
            break;
          cv.wait_until(lock, wake);
        }
        if (collect) {
          lock.unlock();
          collect();
          lock.lock();
        }
        const bool flushing = flush_requested > flush_completed || stopping;
        const std::uint64_t flush_target = flush_requested;
        bool out_of_time = false;
        while (size > 0) {
          if (flushing && Clock::now() >= drain_deadline) {
            out_of_time = true;  // what is left stays queued (or is counted at shutdown)
            break;
          }
          take_batch(batch);
          urgent = false;
          const Deadline deadline = std::min(Clock::now() + options.export_timeout, drain_deadline);
          lock.unlock();
          export_batch(batch, deadline);
          batch.clear();  // the items go now, not when the next batch is taken
          lock.lock();
          last_export = Clock::now();
          // Keep going while full batches are waiting, or everything when flushing.
          if (!flushing && size < options.max_export_batch_size)
            break;
        }
        if (size == 0 && !flushing) {
          last_export = Clock::now();  // an empty timer tick: wait a whole delay again
          urgent = false;
        }
        if (flushing) {
          flush_completed = std::max(flush_completed, flush_target);
          last_flush_complete = !out_of_time;
          if (!stopping)
            drain_deadline = Deadline::max();
          done_cv.notify_all();
        }
        if (stopping)
          break;
      }
      finished = true;
      counters.dropped_shutdown.fetch_add(size, std::memory_order_relaxed);
      for (std::size_t c = 0; c < kSeverityClasses; ++c) {
        while (!queues[c].empty()) {
          const std::size_t i = pop_front(c);
          slots[i].item = Item{};
          release_slot(i);
        }
      }
      size = 0;
      done_cv.notify_all();
    }

    BatchOptions options;
    ExportFn export_fn;
    ClassFn class_fn;
    CollectFn collect;
    std::size_t urgent_class;
    BatchCounters counters;

    mutable std::mutex mu;
    std::condition_variable cv;       // wakes the worker
    std::condition_variable done_cv;  // wakes flushers and shutdown
    std::vector<Slot> slots;          // max_queue_size, allocated once
    std::size_t free_head = kNil;
    std::size_t next_in_order = 0;  // in_order(): the slot the next item takes
    std::array<ClassList, kSeverityClasses> queues;
    std::size_t size = 0;
    std::uint64_t next_seq = 0;
    std::uint64_t flush_requested = 0;
    std::uint64_t flush_completed = 0;
    Deadline drain_deadline = Deadline::max();
    bool last_flush_complete = true;
    bool urgent = false;
    bool stopping = false;
    bool finished = false;
    std::thread thread;
  };

  std::shared_ptr<State> state_;
  bool shut_down_ = false;  // shutdown() is meant for the owning thread
  bool shutdown_result_ = false;
};

}  // namespace edgetrace::otlp
