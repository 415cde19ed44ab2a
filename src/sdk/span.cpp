#include "edgetrace/sdk/span.hpp"

#include <cxxabi.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <typeinfo>
#include <vector>

#include "edgetrace/sdk/layer.hpp"
#include "internal/fast_clock.hpp"
#include "internal/line_text.hpp"
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
  // The OS thread id, stamped on the thread's spans and shown in log lines: set by the
  // thread's first acquire (which takes the slow path) or current_thread_id(), and again in a
  // forked child.
  std::uint64_t tid;
};
thread_local ThreadCache t_cache{};

void set_thread_id() noexcept {
  // A forked child's one thread has an id of its own (the forking thread's was copied).
  [[maybe_unused]] static const bool registered =
      ::pthread_atfork(nullptr, nullptr, [] { set_thread_id(); }) == 0;
  t_cache.tid = static_cast<std::uint64_t>(::syscall(SYS_gettid));
}

// A full batch's worth (a cache spill) goes in as a batch; anything else loose.
[[gnu::noinline]] void push_global(SpanRecord** items, std::size_t n) {
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

// What a fresh span needs reset (done when a record returns to the pool; new records are
// constructed in this state); new_span() sets every other field.
void reset(SpanRecord& r) {
  if (!r.context.state.empty())
    r.context.state = core::TraceState{};
  r.context.remote = false;
  // A message only comes with a status: the string's cache line is read only then.
  if (r.status != SpanStatusCode::kUnset && !r.status_message.empty())
    r.status_message.clear();
  // Adjacent in SpanRecord, in this order: the compiler merges the stores.
  r.parent_remote = false;
  r.status = SpanStatusCode::kUnset;
  r.renamed_ = false;
  r.parent = nullptr;
  r.parent_span_id = core::SpanId{};
  r.end_unix_nano = 0;
  r.busy_ns = 0;
  r.idle_ns = 0;
  r.event_count = 0;
  r.dropped_events = 0;
  r.link_count = 0;
  r.last_transition_ns = 0;
  r.attributes.clear();
  r.attributes.set_limit(FieldStore::kDefaultLimit);  // new_span() sets any other limit
}

// The rarer parts of a span's start, kept out of the inlined path.
[[gnu::noinline]] void add_location_and_links(SpanRecord& r, const Metadata& metadata,
                                              const SpanOptions& options) {
  if (options.code_location) {
    r.attributes.append_static("code.function.name", Value::of(metadata.function));
    r.attributes.append_static("code.file.path", Value::of(metadata.file));
    r.attributes.append_static("code.line.number", Value::of_int(metadata.line));
  }
  for (const SpanLinkInit& link : options.links) {
    if (!link.context.valid())
      continue;
    if (r.link_count == r.links.size())
      r.links.emplace_back();
    SpanLinkData& l = r.links[r.link_count++];
    l.context = link.context;
    l.fields.clear();
    for (const Field& f : link.fields)
      l.fields.set(f.name, f.value);
  }
}

// Called with the thread's cache empty.
[[gnu::noinline]] SpanRecord* acquire_slow() {
  Pool& p = pool();
  (void)current_thread_id();  // sets the id new_span() stamps from the cache
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

[[gnu::noinline]] void release_slow(SpanRecord* record) {
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

// A closing span's busy and idle times, for layers that asked for them.
inline void set_busy_idle(SpanRecord& span) noexcept {
  span.busy_ns = span.end_unix_nano - span.last_transition_ns;
  const std::uint64_t total = span.end_unix_nano - span.start_unix_nano;
  span.idle_ns = total > span.busy_ns ? total - span.busy_ns : 0;
}

SpanRecord* acquire_span_record() {
  SpanRecord* r = t_cache.count > 0 ? t_cache.items[--t_cache.count] : acquire_slow();
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
    // Reset here, not when the record is taken again: with the OTLP layer the last reference
    // goes on the export thread, so the caller's thread does not pay for it.
    reset(*record);
    if (t_cache.count < t_cache.limit)
      t_cache.items[t_cache.count++] = record;
    else
      release_slow(record);
    record = parent;  // the child's reference to its parent goes with it
  }
}

std::uint64_t current_thread_id() noexcept {
  if (t_cache.tid == 0) [[unlikely]]
    set_thread_id();
  return t_cache.tid;
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

namespace internal {

// Where a span of `callsite` goes now: the installed Tracing (called directly, so that its
// span path inlines), another subscriber (through its virtual functions), or nowhere (both
// null). `mask` gets the layers that want it.
struct SpanRoute {
  Tracing* tracing = nullptr;
  Subscriber* other = nullptr;
};
inline SpanRoute route_span(const Callsite& callsite, std::uint32_t& mask) {
  mask = 0;
  std::uint32_t static_mask = 0;
  const bool sometimes = callsite.interest_and_mask(static_mask) == Interest::kSometimes;
  Tracing* tracing = g_current_tracing.load(std::memory_order_acquire);
  Subscriber* s = tracing != nullptr ? tracing : current_subscriber();
  if (s == nullptr)
    return {};
  if (sometimes) [[unlikely]] {
    // Through a copy: the mask stays out of memory on the common path.
    std::uint32_t dynamic_mask = static_mask;
    const bool enabled = tracing != nullptr
                             ? tracing->Tracing::enabled(callsite.metadata(), dynamic_mask)
                             : s->enabled(callsite.metadata(), dynamic_mask);
    if (!enabled)
      return {};
    static_mask = dynamic_mask;
  }
  mask = static_mask;
  if (tracing != nullptr)
    return {tracing, nullptr};
  return {nullptr, s};
}

// flatten: Tracing::new_span, the clock and the pool inline here (rare paths are noinline).
[[gnu::flatten]] Span start_span(const Callsite& callsite, const SpanOptions& options,
                                 std::span<const Field> fields) {
  std::uint32_t mask = 0;
  const SpanRoute route = route_span(callsite, mask);
  if (route.tracing != nullptr)
    return enter_new_span(
        route.tracing->Tracing::new_span(callsite.metadata(), options, fields, mask));
  if (route.other != nullptr)
    return enter_new_span(route.other->new_span(callsite.metadata(), options, fields, mask));
  return Span();
}

// A started span (or none) entered on this thread: the span the thread was in is kept, to
// be restored when this one ends.
Span enter_new_span(SpanRecord* r) {
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

// The macros' path: the installed Tracing stores the values under the call site's static
// names directly; any other subscriber gets them as Fields, through its virtual function.
struct SpanPath {
  [[gnu::always_inline]] static inline Span start(const Callsite& callsite,
                                                  const SpanOptions& options,
                                                  std::span<const Value> values) {
    std::uint32_t mask = 0;
    const SpanRoute route = route_span(callsite, mask);
    const Metadata& metadata = callsite.metadata();
    if (route.tracing != nullptr) {
      return enter_new_span(
          route.tracing->begin_span<false>(metadata, options, mask, [&](FieldStore& attributes) {
            if (!values.empty())
              attributes.append_values(values, metadata.field_names);
          }));
    }
    if (route.other == nullptr)
      return Span();
    std::vector<Field> fields;
    fields.reserve(values.size());
    for (std::size_t i = 0; i < values.size() && i < metadata.field_names.size(); ++i)
      fields.push_back(Field{metadata.field_names[i], values[i]});
    return enter_new_span(route.other->new_span(metadata, options, fields, mask));
  }

  // Span::end's call into the installed (live) Tracing.
  [[gnu::always_inline]] static inline void close(Tracing& tracing, SpanRecord& span) {
    tracing.close_span_to_layers(span);
  }
};

[[gnu::flatten]] Span start_span_values(const Callsite& callsite, const SpanOptions& options,
                                        std::span<const Value> values) {
  return SpanPath::start(callsite, options, values);
}

// The options are the constant kDefaultSpanOptions here: the compiler drops their tests.
[[gnu::flatten]] Span start_span_default(const Callsite& callsite, std::span<const Value> values) {
  return SpanPath::start(callsite, kDefaultSpanOptions, values);
}

}  // namespace internal

// flatten: the clock, Tracing::close_span and the pool inline here (their rare paths are
// noinline).
[[gnu::flatten]] void Span::end() {
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
  if (Subscriber* owner = r->owner; owner != nullptr) {
    // The installed Tracing is called directly (its close_span is defined below and inlines).
    Tracing* tracing = internal::g_current_tracing.load(std::memory_order_relaxed);
    if (owner == tracing)
      internal::SpanPath::close(*tracing, *r);
    else
      owner->close_span(*r);
  }
  // previous_span_ is left as it is: with record_ null, nothing reads it again.
  if (previous_span_ != nullptr && previous_span_ != r->parent)
    internal::release_span_record(previous_span_);
  internal::release_span_record(r);
}

// Tracing's span path lives here, beside start_span() and Span::end() that call it directly
// and the record pool it uses, so that the compiler inlines the whole path into those two.
SpanRecord* Tracing::new_span(const Metadata& metadata, const SpanOptions& options,
                              std::span<const Field> fields, std::uint32_t mask) {
  return begin_span<true>(metadata, options, mask, [&](FieldStore& attributes) {
    if (!fields.empty())
      attributes.append_fields(fields, metadata.field_names);
  });
}

template <bool kCheckLive, typename AppendFields>
SpanRecord* Tracing::begin_span(const Metadata& metadata, const SpanOptions& options,
                                std::uint32_t mask, const AppendFields& append_fields) {
  if (mask == 0)
    return nullptr;
  if (kCheckLive && !internal::generation_live(live_generation_.load(std::memory_order_relaxed)))
    return nullptr;
  SpanRecord* r = internal::acquire_span_record();
  r->owner = this;
  r->metadata = &metadata;
  r->kind = options.kind;
  r->layer_mask = mask;
  // A pooled record comes back with the default limit (reset); the attributes' cache line is
  // left alone unless this Tracing has another one.
  if (options_.max_span_attributes != FieldStore::kDefaultLimit) [[unlikely]]
    r->attributes.set_limit(options_.max_span_attributes);

  // Parent: explicit remote, explicit context, or the thread's current context.
  const internal::ThreadContext& t = internal::thread_context();
  SpanRecord* local_parent = nullptr;
  const core::SpanContext* remote_parent = nullptr;
  if (!options.root) {
    if (options.remote_parent && options.remote_parent->valid()) {
      remote_parent = &*options.remote_parent;
    } else if (options.parent != nullptr) {
      local_parent = const_cast<SpanRecord*>(options.parent->span());
      if (local_parent == nullptr)
        remote_parent = options.parent->remote_parent();
    } else if (t.span != nullptr) {
      local_parent = t.span;
    } else if (t.remote != nullptr) {
      remote_parent = t.remote;
    }
  }
  const core::SpanContext* parent_context = nullptr;
  if (local_parent != nullptr) {
    local_parent->refs.fetch_add(1, std::memory_order_relaxed);
    r->parent = local_parent;
    parent_context = &local_parent->context;
  } else if (remote_parent != nullptr) {
    parent_context = remote_parent;
    r->parent_remote = true;
  }
  if (parent_context != nullptr) {
    r->context.trace_id = parent_context->trace_id;
    r->parent_span_id = parent_context->span_id;
    if (!parent_context->state.empty())
      r->context.state = parent_context->state;
    core::random_span_ids(nullptr, r->context.span_id);
  } else {
    core::random_span_ids(&r->context.trace_id, r->context.span_id);
  }
  // The random flag: inherited from the parent, set on a new trace (its id is random).
  core::TraceFlags flags;
  flags.bits = parent_context != nullptr ? parent_context->flags.bits & core::TraceFlags::kRandom
                                         : core::TraceFlags::kRandom;
  const bool sampled = options_.sampler.should_sample(parent_context, r->context.trace_id) ==
                       SamplingDecision::kRecordAndSample;
  r->context.flags = flags.with_sampled(sampled);
  r->start_unix_nano = internal::now_unix_nanos();
  r->thread_id = internal::t_cache.tid;  // set before the thread's first record
  if (timings_)
    r->last_transition_ns = r->start_unix_nano;

  // A call site's field names live in static storage with its metadata: referenced.
  append_fields(r->attributes);
  if (options.code_location || !options.links.empty()) [[unlikely]]
    internal::add_location_and_links(*r, metadata, options);

  for (std::uint32_t m = mask; m != 0; m &= m - 1) {
    const auto i = static_cast<std::uint32_t>(__builtin_ctz(m));
    if (Layer* layer = layer_at_[i]; layer != nullptr)
      layer->on_new_span(*r);
  }
  return r;
}

void Tracing::close_span(SpanRecord& span) {
  if (!internal::generation_live(live_generation_.load(std::memory_order_relaxed))) {
    if (timings_)
      internal::set_busy_idle(span);
    return;
  }
  close_span_to_layers(span);
}

void Tracing::close_span_to_layers(SpanRecord& span) {
  if (timings_)
    internal::set_busy_idle(span);
  for (std::uint32_t m = span.layer_mask; m != 0; m &= m - 1) {
    const auto i = static_cast<std::uint32_t>(__builtin_ctz(m));
    if (Layer* layer = layer_at_[i]; layer != nullptr)
      layer->on_close(span);
  }
}

}  // namespace edgetrace::sdk
