#include "internal/otlp_log_pool.hpp"

namespace edgetrace::sdk::internal {
namespace {

std::atomic<std::uint64_t> g_next_pool_id{1};

// This thread's free items of one pool, linked by next_free. Trivially destructible and
// constant-initialised, so acquire and release read it without a thread-local guard; id 0
// matches no pool.
struct ItemCache {
  std::uint64_t pool_id;
  OtlpLogItem* head;
  std::size_t count;
};
thread_local constinit ItemCache t_items{};
thread_local constinit bool t_cache_gone = false;  // the thread is exiting: no cache any more

// Gives the cached items back to their pool (when it still exists) at thread exit.
struct CacheOwner {
  std::weak_ptr<OtlpLogPool> pool;

  ~CacheOwner() {
    give_back();
    t_cache_gone = true;
  }
  void give_back() noexcept {
    if (t_items.count != 0) {
      // A pool that is gone took its items' memory with it: they are only forgotten.
      if (std::shared_ptr<OtlpLogPool> p = pool.lock(); p && p->id() == t_items.pool_id)
        p->put_chain({t_items.head, t_items.count});
    }
    t_items = ItemCache{};
    pool.reset();
  }
};

CacheOwner& cache_owner() {
  static thread_local CacheOwner owner;
  return owner;
}

// Makes this thread's cache `pool`'s, giving another pool's items back; false when there can
// be no cache (the thread is exiting, or the pool is not owned by a shared_ptr).
bool adopt_cache(OtlpLogPool& pool) noexcept {
  if (t_items.pool_id == pool.id())
    return true;
  if (t_cache_gone)
    return false;
  std::weak_ptr<OtlpLogPool> weak = pool.weak_from_this();
  if (weak.expired())
    return false;
  CacheOwner& owner = cache_owner();
  owner.give_back();
  owner.pool = std::move(weak);
  t_items.pool_id = pool.id();
  return true;
}

// The item's buffers as the next user expects them: fields and stack clear, a buffer that
// grew past kMaxKeptCapacity freed.
void clean(OtlpLogItem* item) noexcept {
  if (item->oversized) {
    if (item->message.capacity() > OtlpLogPool::kMaxKeptCapacity)
      item->message.free_memory();
    if (item->fields.text_bytes() > OtlpLogPool::kMaxKeptCapacity)
      item->fields = FieldStore();
    item->oversized = false;
  }
  item->fields.clear();
  item->stack.clear();
}

}  // namespace

OtlpLogPool::OtlpLogPool(std::size_t cap)
    : id_(g_next_pool_id.fetch_add(1, std::memory_order_relaxed)), cap_(cap) {}

OtlpLogPool::~OtlpLogPool() = default;

OtlpLogItem* OtlpLogPool::acquire() {
  if (t_items.pool_id == id_ && t_items.head != nullptr) [[likely]] {
    OtlpLogItem* item = t_items.head;
    t_items.head = item->next_free;
    --t_items.count;
    return item;
  }
  const Chain chain = take_chain();
  if (chain.head == nullptr)
    return nullptr;
  OtlpLogItem* item = chain.head;
  if (chain.count > 1) {
    const Chain rest{item->next_free, chain.count - 1};
    if (adopt_cache(*this)) {  // this thread's cache is this pool's now, and empty
      t_items.head = rest.head;
      t_items.count = rest.count;
    } else {
      put_chain(rest);
    }
  }
  return item;
}

void OtlpLogPool::release(OtlpLogItem* item) noexcept {
  clean(item);
  if (t_items.pool_id != id_ && !adopt_cache(*this)) [[unlikely]] {
    item->next_free = nullptr;
    put_chain({item, 1});
    return;
  }
  if (t_items.count >= kThreadCacheMax) [[unlikely]] {
    // Keep the most recently returned (their lines are this core's), give the rest back.
    constexpr std::size_t kKeep = kThreadCacheMax - kBatch;
    OtlpLogItem* last_kept = t_items.head;
    for (std::size_t i = 1; i < kKeep; ++i)
      last_kept = last_kept->next_free;
    const Chain spill{last_kept->next_free, t_items.count - kKeep};
    last_kept->next_free = nullptr;
    t_items.count = kKeep;
    put_chain(spill);
  }
  item->next_free = t_items.head;
  t_items.head = item;
  ++t_items.count;
}

OtlpLogPool::Chain OtlpLogPool::take_chain() {
  lock();
  if (OtlpLogItem* head = chains_; head != nullptr) {
    chains_ = head->next_chain;
    unlock();
    return {head, head->chain_count};
  }
  const std::size_t used = allocated_.load(std::memory_order_relaxed);
  const std::size_t cap_now = cap();
  if (used >= cap_now) {
    unlock();
    return {nullptr, 0};
  }
  const std::size_t n = std::min(kBatch, cap_now - used);
  std::unique_ptr<OtlpLogItem[]> chunk;
  try {
    chunk = std::make_unique<OtlpLogItem[]>(n);
    chunks_.push_back(std::move(chunk));
  } catch (...) {
    unlock();
    throw;
  }
  OtlpLogItem* first = chunks_.back().get();
  for (std::size_t i = 0; i < n; ++i) {
    first[i].pool = this;
    first[i].next_free = i + 1 < n ? &first[i + 1] : nullptr;
  }
  allocated_.fetch_add(n, std::memory_order_relaxed);
  unlock();
  return {first, n};
}

void OtlpLogPool::put_chain(Chain chain) noexcept {
  if (chain.head == nullptr || chain.count == 0)
    return;
  chain.head->chain_count = chain.count;
  lock();
  chain.head->next_chain = chains_;
  chains_ = chain.head;
  unlock();
}

}  // namespace edgetrace::sdk::internal
