// The OTLP layer's log items: a copy of one event in reusable buffers, a bounded pool of
// them, and the move-only handle the batch processor queues.
//
// An item is taken from the pool on the application's thread (on_event), filled, queued,
// and handed back by its handle when the export thread has built its request from it (or
// when the queue drops it). Buffers keep their capacity across uses, so in steady state
// nothing is allocated; a buffer that grew past kMaxKeptCapacity is freed on return so one
// huge message does not pin memory in every item.
//
// Each thread keeps a small cache of free items (up to kThreadCacheMax, of its most recently
// used pool): taking an item and giving one back touch no shared line and take no lock. A
// thread refills or spills kBatch items at once, as one chain, under a short spin lock on the
// pool's list of free chains; the pool grows there too, a chain at a time, only while it is
// below its cap. A thread's cached items go back to their pool when it exits (or uses another
// pool); a pool that is gone by then is not touched.
//
// Thread-safety: acquire/release/add_room may be called from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/sdk/callsite.hpp"
#include "edgetrace/sdk/value.hpp"
#include "internal/otlp_stacktrace.hpp"

namespace edgetrace::sdk::internal {

class OtlpLogPool;

// A message's bytes in a buffer that keeps its capacity: assign() is a length test and a
// memcpy (std::string::assign goes through its general replace routine, several times that
// for a short message).
class OtlpLogText {
 public:
  void assign(std::string_view text) {
    if (text.size() > capacity_) [[unlikely]]
      grow(text.size());
    if (!text.empty())
      std::memcpy(data_.get(), text.data(), text.size());
    size_ = text.size();
  }
  std::string_view view() const noexcept { return {data_.get(), size_}; }
  std::size_t capacity() const noexcept { return capacity_; }
  void free_memory() noexcept {
    data_.reset();
    size_ = 0;
    capacity_ = 0;
  }

 private:
  [[gnu::noinline]] void grow(std::size_t needed) {
    const std::size_t capacity = std::max<std::size_t>({needed, 2 * capacity_, 64});
    data_ = std::make_unique_for_overwrite<char[]>(capacity);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// One event. The fields the application's thread writes per event come first, so that an
// event touches few cache lines (an item was last read on the export thread's core): the
// free-list link, the metadata, the time and the message's buffer in the first line, the
// fields as compact slots (FieldStore: static names referenced, scalars and short strings in
// the slot).
struct OtlpLogItem {
  OtlpLogItem* next_free = nullptr;
  OtlpLogPool* pool = nullptr;
  const Metadata* metadata = nullptr;  // static storage: level, target, file, line
  std::uint64_t time_unix_nano = 0;
  OtlpLogText message;
  bool in_sampled_span = false;  // trace_id, span_id and flags are set only then
  bool oversized = false;        // a buffer grew past OtlpLogPool::kMaxKeptCapacity
  std::uint8_t trace_flags = 0;
  core::TraceId trace_id;
  core::SpanId span_id;
  FieldStore fields;
  CapturedStack stack;  // OtlpLayerOptions::exception_stacktrace, error events only; cleared
                        // when the item returns to the pool
  // While free: the head of a chain of free items in the pool's list also links the next
  // chain and knows its chain's length.
  OtlpLogItem* next_chain = nullptr;
  std::size_t chain_count = 0;
};

class OtlpLogPool : public std::enable_shared_from_this<OtlpLogPool> {
 public:
  static constexpr std::size_t kBatch = 32;  // items a thread takes or gives back at once
  static constexpr std::size_t kThreadCacheMax = 2 * kBatch;  // free items a thread keeps
  static constexpr std::size_t kMaxKeptCapacity = 16 * 1024;

  // At most `cap` items exist at once; acquire() returns null beyond that. Make it with
  // std::make_shared: threads' caches hold it weakly.
  explicit OtlpLogPool(std::size_t cap);
  ~OtlpLogPool();
  OtlpLogPool(const OtlpLogPool&) = delete;
  OtlpLogPool& operator=(const OtlpLogPool&) = delete;

  // A free item (its fields and stack clear), or null when `cap` items are in use or cached.
  OtlpLogItem* acquire();
  // Gives an item back (from any thread).
  void release(OtlpLogItem* item) noexcept;

  // Moves the cap by `delta` items (the log hand-over makes room for what each thread's ring
  // and item cache may hold, and gives it back when the ring is freed). Items already made
  // stay.
  void add_room(std::ptrdiff_t delta) noexcept {
    cap_.fetch_add(static_cast<std::size_t>(delta), std::memory_order_relaxed);
  }
  std::size_t cap() const noexcept { return cap_.load(std::memory_order_relaxed); }
  std::size_t allocated() const noexcept { return allocated_.load(std::memory_order_relaxed); }

  // Internal, for the thread caches (otlp_log_pool.cpp).
  struct Chain {
    OtlpLogItem* head;
    std::size_t count;
  };
  std::uint64_t id() const noexcept { return id_; }
  // A chain of free items (made if none is free and the cap allows); {nullptr, 0} if none.
  Chain take_chain();
  void put_chain(Chain chain) noexcept;

 private:
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed))
        std::this_thread::yield();
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

  const std::uint64_t id_;  // unique per pool, never reused: the thread caches' key
  std::atomic<bool> locked_{false};
  OtlpLogItem* chains_ = nullptr;  // free items, in chains linked by next_chain (under the lock)
  std::atomic<std::size_t> allocated_{0};
  std::atomic<std::size_t> cap_;
  std::vector<std::unique_ptr<OtlpLogItem[]>> chunks_;
};

// Owns one pooled item; gives it back when destroyed.
class OtlpLogHandle {
 public:
  OtlpLogHandle() noexcept = default;
  explicit OtlpLogHandle(OtlpLogItem* item) noexcept : item_(item) {}
  OtlpLogHandle(OtlpLogHandle&& other) noexcept : item_(std::exchange(other.item_, nullptr)) {}
  OtlpLogHandle& operator=(OtlpLogHandle&& other) noexcept {
    std::swap(item_, other.item_);
    return *this;
  }
  OtlpLogHandle(const OtlpLogHandle&) = delete;
  OtlpLogHandle& operator=(const OtlpLogHandle&) = delete;
  ~OtlpLogHandle() {
    if (item_ != nullptr)
      item_->pool->release(item_);
  }

  OtlpLogItem* get() const noexcept { return item_; }
  // Gives up the item without returning it to the pool (its new owner will).
  OtlpLogItem* release() noexcept { return std::exchange(item_, nullptr); }
  OtlpLogItem* operator->() const noexcept { return item_; }

 private:
  OtlpLogItem* item_ = nullptr;
};

}  // namespace edgetrace::sdk::internal
