#include "edgetrace/sdk/span.hpp"

#include <cxxabi.h>
#include <pthread.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <typeinfo>
#include <vector>

#include "internal/fast_clock.hpp"
#include "internal/thread_context.hpp"

namespace edgetrace::sdk {
namespace internal {
namespace {

// The pool: free records in the global pool behind a mutex, fronted by a per-thread cache
// so that a span start/end pair usually touches neither the mutex nor the allocator. The
// global pool keeps full batches of pointers (half a thread cache each): a thread refills or
// spills half its cache by swapping one batch under the lock and copies the pointers outside
// it, so the lock is held for a few instructions and the records themselves are never
// touched there (they were last written by the export thread on another core; walking them
// with the lock held made two threads ending spans queue on it). Records are allocated in
// chunks owned by the (never destroyed) pool, so none is ever freed or leaked.
constexpr std::size_t kThreadCache = 256;
constexpr std::size_t kBatch = kThreadCache / 2;

struct Batch {
  SpanRecord* items[kBatch];
};

struct Pool {
  std::mutex mu;
  std::vector<Batch*> full;                     // batches of kBatch free records
  std::vector<Batch*> spare;                    // empty batches, reused
  std::vector<SpanRecord*> loose;               // free records not in a batch (thread exits)
  std::vector<std::unique_ptr<Batch>> batches;  // owns every batch
  std::vector<std::unique_ptr<SpanRecord[]>> chunks;
  std::atomic<std::size_t> allocated{0};
};
Pool& pool() {
  static Pool* p = [] {
    auto* created = new Pool();
    // Held across fork() so a child never inherits it locked by a thread that is not there.
    ::pthread_atfork([] { pool().mu.lock(); }, [] { pool().mu.unlock(); },
                     [] { pool().mu.unlock(); });
    return created;
  }();
  return *p;
}

// The per-thread cache. Trivially destructible and constant-initialised, so the hot path
// reads it without a guard; `limit` is 0 until the thread registered the cache's return
// to the pool at thread exit (on its first slow path), and again after that return.
struct ThreadCache {
  SpanRecord* items[kThreadCache];
  std::size_t count;
  std::size_t limit;
};
thread_local ThreadCache t_cache{};

// A full batch's worth (a cache spill) goes in as a batch; anything else loose.
void push_global(SpanRecord** items, std::size_t n) {
  Pool& p = pool();
  if (n != kBatch) {
    std::lock_guard<std::mutex> lock(p.mu);
    p.loose.insert(p.loose.end(), items, items + n);
    return;
  }
  Batch* batch = nullptr;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    if (p.spare.empty()) {
      p.batches.push_back(std::make_unique<Batch>());
      p.spare.push_back(p.batches.back().get());
    }
    batch = p.spare.back();
    p.spare.pop_back();
    p.full.reserve(p.batches.size());  // push_back below never allocates with the lock held
  }
  std::copy(items, items + kBatch, batch->items);
  std::lock_guard<std::mutex> lock(p.mu);
  p.full.push_back(batch);
}

thread_local bool t_cache_returned = false;  // trivially destructible: safe after ~CacheReturn

// Returns the thread's cached records to the pool when the thread exits.
struct CacheReturn {
  ~CacheReturn() {
    push_global(t_cache.items, t_cache.count);
    t_cache.count = 0;
    t_cache.limit = 0;  // records released later in this thread's exit go to the pool
    t_cache_returned = true;
  }
};

// Registers CacheReturn once per thread; false once the thread is exiting.
bool cache_usable() {
  if (t_cache.limit != 0)
    return true;
  if (t_cache_returned)
    return false;
  static thread_local CacheReturn on_exit;
  (void)on_exit;
  t_cache.limit = kThreadCache;
  return true;
}

// What a fresh span needs reset; new_span() sets every other field.
void reset(SpanRecord& r) {
  if (!r.context.state.empty())
    r.context.state = core::TraceState{};
  r.context.remote = false;
  r.parent_span_id = core::SpanId{};
  r.parent_remote = false;
  r.parent = nullptr;
  r.end_unix_nano = 0;
  r.busy_ns = 0;
  r.idle_ns = 0;
  r.attributes.clear();
  r.event_count = 0;
  r.dropped_events = 0;
  r.link_count = 0;
  r.status = SpanStatusCode::kUnset;
  if (!r.status_message.empty())
    r.status_message.clear();
  r.last_transition_ns = 0;
  r.renamed_ = false;
}

// Called with the thread's cache empty.
SpanRecord* acquire_slow() {
  Pool& p = pool();
  const bool cached = cache_usable();
  Batch* batch = nullptr;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    if (cached && !p.full.empty()) {
      batch = p.full.back();
      p.full.pop_back();
    } else if (!p.loose.empty()) {
      const std::size_t n = cached ? std::min(p.loose.size(), kBatch) : 1;
      std::copy(p.loose.end() - static_cast<std::ptrdiff_t>(n), p.loose.end(), t_cache.items);
      p.loose.resize(p.loose.size() - n);
      if (!cached)
        return t_cache.items[0];
      t_cache.count = n;
      return t_cache.items[--t_cache.count];
    } else if (!p.full.empty()) {  // exiting thread: one record out of a batch
      Batch* b = p.full.back();
      p.full.pop_back();
      p.loose.insert(p.loose.end(), b->items, b->items + kBatch);
      p.spare.push_back(b);
      SpanRecord* r = p.loose.back();
      p.loose.pop_back();
      return r;
    }
  }
  if (batch != nullptr) {
    std::copy(batch->items, batch->items + kBatch, t_cache.items);
    t_cache.count = kBatch;
    std::lock_guard<std::mutex> lock(p.mu);
    p.spare.push_back(batch);
    return t_cache.items[--t_cache.count];
  }
  // Nothing free: a new chunk of records, kept by this thread's cache where it can.
  auto chunk = std::make_unique<SpanRecord[]>(kBatch);
  SpanRecord* first = chunk.get();
  {
    std::lock_guard<std::mutex> lock(p.mu);
    p.chunks.push_back(std::move(chunk));
    p.allocated.fetch_add(kBatch, std::memory_order_relaxed);
    if (!cached) {
      for (std::size_t i = 1; i < kBatch; ++i)
        p.loose.push_back(first + i);
      return first;
    }
  }
  for (std::size_t i = 0; i < kBatch; ++i)
    t_cache.items[i] = first + i;
  t_cache.count = kBatch;
  return t_cache.items[--t_cache.count];
}

void release_slow(SpanRecord* record) {
  if (cache_usable()) {
    if (t_cache.count == kThreadCache) {
      push_global(t_cache.items + kThreadCache / 2, kThreadCache / 2);
      t_cache.count = kThreadCache / 2;
    }
    t_cache.items[t_cache.count++] = record;
  } else {
    push_global(&record, 1);
  }
}

}  // namespace

SpanRecord* acquire_span_record() {
  SpanRecord* r = t_cache.count > 0 ? t_cache.items[--t_cache.count] : acquire_slow();
  reset(*r);
  r->refs.store(1, std::memory_order_relaxed);
  return r;
}

void release_span_record(SpanRecord* record) noexcept {
  while (record != nullptr) {
    // A sole owner needs no atomic read-modify-write: nobody else can add a reference to a
    // record they do not hold.
    if (record->refs.load(std::memory_order_acquire) != 1 &&
        record->refs.fetch_sub(1, std::memory_order_acq_rel) != 1)
      return;
    record->refs.store(0, std::memory_order_relaxed);
    SpanRecord* parent = record->parent;
    if (t_cache.count < t_cache.limit)
      t_cache.items[t_cache.count++] = record;
    else
      release_slow(record);
    record = parent;  // the child's reference to its parent goes with it
  }
}

std::size_t span_records_allocated() noexcept {
  return pool().allocated.load(std::memory_order_relaxed);
}

}  // namespace internal

std::string_view span_kind_name(SpanKind kind) noexcept {
  switch (kind) {
    case SpanKind::kInternal:
      return "internal";
    case SpanKind::kServer:
      return "server";
    case SpanKind::kClient:
      return "client";
    case SpanKind::kProducer:
      return "producer";
    case SpanKind::kConsumer:
      return "consumer";
  }
  return "internal";
}

SpanRef::SpanRef(SpanRecord* record) noexcept : record_(record) {
  if (record_ != nullptr)
    record_->refs.fetch_add(1, std::memory_order_relaxed);
}

SpanRef::~SpanRef() {
  internal::release_span_record(record_);
}

// --- Context ---------------------------------------------------------------------------

Context Context::current() {
  const internal::ThreadContext& t = internal::thread_context();
  Context c;
  if (t.span != nullptr)
    c.span_ = SpanRef(t.span);
  else if (t.remote != nullptr)
    c.remote_ = *t.remote;
  return c;
}

Context Context::from_remote(core::SpanContext remote) {
  Context c;
  if (remote.valid()) {
    remote.remote = true;
    c.remote_ = std::move(remote);
  }
  return c;
}

core::SpanContext Context::span_context() const {
  if (span_)
    return span_->context;
  if (remote_)
    return *remote_;
  return {};
}

Context::Scope Context::attach() const {
  return Scope(*this);
}

Context::Scope::Scope(const Context& context) : span_(context.span_), remote_(context.remote_) {
  internal::ThreadContext& t = internal::thread_context();
  previous_span_ = t.span;
  if (previous_span_ != nullptr)
    previous_span_->refs.fetch_add(1, std::memory_order_relaxed);
  previous_remote_ = t.remote;
  t.span = span_.get();
  t.remote = remote_ ? &*remote_ : nullptr;
}

Context::Scope::~Scope() {
  internal::ThreadContext& t = internal::thread_context();
  t.span = previous_span_;
  t.remote = previous_remote_;
  internal::release_span_record(previous_span_);
}

// --- Span ------------------------------------------------------------------------------

Span::Span(Span&& other) noexcept
    : record_(std::exchange(other.record_, nullptr)),
      previous_span_(std::exchange(other.previous_span_, nullptr)),
      previous_remote_(std::exchange(other.previous_remote_, nullptr)) {}

core::SpanContext Span::context() const {
  return record_ != nullptr ? record_->context : core::SpanContext{};
}

void Span::record_value(std::string_view name, const Value& value) {
  record_->attributes.set(name, value);
}

void Span::set_status(SpanStatusCode code, std::string_view message) {
  if (record_ == nullptr)
    return;
  // OK is final; an error's description is kept only for errors (OpenTelemetry rules).
  if (record_->status == SpanStatusCode::kOk)
    return;
  record_->status = code;
  if (code == SpanStatusCode::kError)
    record_->status_message.assign(message);
  else
    record_->status_message.clear();
}

void Span::add_event(std::string_view name, std::span<const Field> fields) {
  if (record_ == nullptr)
    return;
  constexpr std::size_t kMaxEvents = 128;  // OTEL_SPAN_EVENT_COUNT_LIMIT default
  SpanRecord& r = *record_;
  if (r.event_count >= kMaxEvents) {
    ++r.dropped_events;
    return;
  }
  if (r.event_count == r.events.size())
    r.events.emplace_back();
  SpanEventData& e = r.events[r.event_count++];
  e.name.assign(name);
  e.time_unix_nano = internal::now_unix_nanos();
  e.fields.clear();
  for (const Field& f : fields)
    e.fields.set(f.name, f.value);
}

void Span::record_error(std::string_view type, std::string_view message) {
  if (record_ == nullptr)
    return;
  const Field fields[] = {{"exception.type", Value::of(type)},
                          {"exception.message", Value::of(message)}};
  add_event("exception", fields);
  set_status(SpanStatusCode::kError, message);
}

void Span::record_exception(const std::exception& e) {
  if (record_ == nullptr)
    return;
  const char* mangled = typeid(e).name();
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  record_error(status == 0 && demangled ? demangled.get() : mangled, e.what());
}

void Span::add_link(const core::SpanContext& context, std::span<const Field> fields) {
  if (record_ == nullptr || !context.valid())
    return;
  constexpr std::size_t kMaxLinks = 128;  // OTEL_SPAN_LINK_COUNT_LIMIT default
  SpanRecord& r = *record_;
  if (r.link_count >= kMaxLinks)
    return;
  if (r.link_count == r.links.size())
    r.links.emplace_back();
  SpanLinkData& l = r.links[r.link_count++];
  l.context = context;
  l.fields.clear();
  for (const Field& f : fields)
    l.fields.set(f.name, f.value);
}

void Span::update_name(std::string_view name) {
  if (record_ == nullptr)
    return;
  record_->name_override_.assign(name);
  record_->renamed_ = true;
}

void Span::end() {
  if (record_ == nullptr)
    return;
  SpanRecord* r = std::exchange(record_, nullptr);
  internal::ThreadContext& t = internal::thread_context();
  if (t.span == r) {
    t.span = previous_span_;
    t.remote = previous_remote_;
  }
  r->end_unix_nano = internal::now_unix_nanos();
  if (r->end_unix_nano < r->start_unix_nano)
    r->end_unix_nano = r->start_unix_nano;
  if (r->owner != nullptr)
    r->owner->close_span(*r);
  if (previous_span_ != nullptr && previous_span_ != r->parent)
    internal::release_span_record(previous_span_);
  previous_span_ = nullptr;
  internal::release_span_record(r);
}

namespace internal {

Span start_span(const Callsite& callsite, const SpanOptions& options,
                std::span<const Field> fields) {
  Subscriber* s = current_subscriber();
  if (s == nullptr)
    return Span();
  std::uint32_t mask = callsite.mask();
  if (callsite.interest() == Interest::kSometimes && !s->enabled(callsite.metadata(), mask))
    return Span();
  SpanRecord* r = s->new_span(callsite.metadata(), options, fields, mask);
  if (r == nullptr)
    return Span();
  Span span;
  span.record_ = r;
  ThreadContext& t = thread_context();
  span.previous_span_ = t.span;
  span.previous_remote_ = t.remote;
  if (t.span != nullptr && t.span != r->parent)
    t.span->refs.fetch_add(1, std::memory_order_relaxed);
  t.span = r;
  t.remote = nullptr;
  return span;
}

}  // namespace internal
}  // namespace edgetrace::sdk
