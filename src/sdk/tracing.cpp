#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <stdexcept>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/sdk/layer.hpp"
#include "internal/fast_clock.hpp"
#include "internal/thread_context.hpp"

namespace edgetrace::sdk {
namespace {

std::uint64_t os_thread_id() noexcept {
  static thread_local std::uint64_t id = static_cast<std::uint64_t>(::syscall(SYS_gettid));
  return id;
}

constexpr std::size_t kMaxFilterSpans = 16;

// Bumped in every child after fork(). A Tracing built in another generation is inert: its
// layers' threads stayed in the parent and their locks may have been held by one of them.
std::atomic<std::uint64_t> g_fork_generation{0};

void on_fork_child() noexcept {
  g_fork_generation.fetch_add(1, std::memory_order_relaxed);  // async-signal-safe
}

std::uint64_t fork_generation() {
  static const bool installed = [] {
    ::pthread_atfork(nullptr, nullptr, &on_fork_child);
    return true;
  }();
  (void)installed;
  return g_fork_generation.load(std::memory_order_relaxed);
}

}  // namespace

Tracing::Tracing(Options options) : options_(std::move(options)), generation_(fork_generation()) {}

bool Tracing::in_forked_child() const noexcept {
  return g_fork_generation.load(std::memory_order_relaxed) != generation_;
}

Tracing::~Tracing() {
  (void)shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

void Tracing::add_layer(std::unique_ptr<Layer> layer, Filter filter) {
  if (layers_.size() >= kMaxLayers)
    return;
  if (filter.has_span_directives())
    dynamic_layers_ |= 1u << layers_.size();
  timings_ = timings_ || layer->wants_span_timings();
  layers_.push_back(Slot{std::move(layer), std::move(filter)});
}

bool Tracing::force_flush(Deadline deadline) {
  if (in_forked_child())
    return true;
  bool ok = true;
  for (Slot& s : layers_)
    ok = s.layer->force_flush(deadline) && ok;
  return ok;
}

bool Tracing::shutdown(Deadline deadline) {
  if (shut_down_.exchange(true, std::memory_order_acq_rel) || in_forked_child())
    return true;
  bool ok = true;
  for (Slot& s : layers_)
    ok = s.layer->shutdown(deadline) && ok;
  return ok;
}

std::uint32_t Tracing::static_mask(const Metadata& metadata) const noexcept {
  std::uint32_t mask = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if ((dynamic_layers_ & (1u << i)) == 0 &&
        layers_[i].filter.enabled(metadata.target, metadata.level))
      mask |= 1u << i;
  }
  return mask;
}

std::uint32_t Tracing::dynamic_mask(const Metadata& metadata) const noexcept {
  std::array<SpanView, kMaxFilterSpans> views;
  std::size_t n = 0;
  // Outermost first, as the filter expects a stack; collect innermost-first then reverse.
  for (const SpanRecord* s = internal::thread_context().span; s != nullptr && n < views.size();
       s = s->parent)
    views[n++] = SpanView{s->name(), &s->attributes};
  for (std::size_t i = 0; i < n / 2; ++i)
    std::swap(views[i], views[n - 1 - i]);
  std::uint32_t mask = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if ((dynamic_layers_ & (1u << i)) != 0 &&
        layers_[i].filter.enabled(metadata.target, metadata.level, {views.data(), n}))
      mask |= 1u << i;
  }
  return mask;
}

Interest Tracing::register_callsite(const Metadata& metadata) {
  if (dynamic_layers_ != 0)
    return Interest::kSometimes;
  return static_mask(metadata) != 0 ? Interest::kAlways : Interest::kNever;
}

std::uint32_t Tracing::callsite_mask(const Metadata& metadata) {
  return static_mask(metadata);
}

bool Tracing::enabled(const Metadata& metadata) {
  std::uint32_t mask = static_mask(metadata);
  return enabled(metadata, mask);
}

bool Tracing::enabled(const Metadata& metadata, std::uint32_t& mask) {
  if (dynamic_layers_ != 0)
    mask |= dynamic_mask(metadata);
  return mask != 0;
}

void Tracing::event(const Event& event) {
  if (shut_down_.load(std::memory_order_relaxed) || in_forked_child())
    return;
  for (std::uint32_t m = event.layer_mask; m != 0; m &= m - 1) {
    const auto i = static_cast<std::size_t>(__builtin_ctz(m));
    if (i < layers_.size())
      layers_[i].layer->on_event(event);
  }
}

SpanRecord* Tracing::new_span(const Metadata& metadata, const SpanOptions& options,
                              std::span<const Field> fields, std::uint32_t mask) {
  if (shut_down_.load(std::memory_order_relaxed) || mask == 0 || in_forked_child())
    return nullptr;
  SpanRecord* r = internal::acquire_span_record();
  r->owner = this;
  r->metadata = &metadata;
  r->kind = options.kind;
  r->layer_mask = mask;
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
    r->context.flags.bits = parent_context->flags.bits & core::TraceFlags::kRandom;
    core::random_span_ids(nullptr, r->context.span_id);
  } else {
    core::random_span_ids(&r->context.trace_id, r->context.span_id);
    r->context.flags.bits = core::TraceFlags::kRandom;
  }
  const bool sampled = options_.sampler.should_sample(parent_context, r->context.trace_id) ==
                       SamplingDecision::kRecordAndSample;
  r->context.flags = r->context.flags.with_sampled(sampled);
  r->start_unix_nano = internal::now_unix_nanos();
  r->thread_id = os_thread_id();
  if (timings_)
    r->last_transition_ns = r->start_unix_nano;

  // A call site's field names live in static storage with its metadata: referenced.
  if (!fields.empty())
    r->attributes.append_fields(fields, metadata.field_names);
  if (options.code_location) {
    r->attributes.append_static("code.function.name", Value::of(metadata.function));
    r->attributes.append_static("code.file.path", Value::of(metadata.file));
    r->attributes.append_static("code.line.number", Value::of_int(metadata.line));
  }
  for (const SpanLinkInit& link : options.links) {
    if (!link.context.valid())
      continue;
    if (r->link_count == r->links.size())
      r->links.emplace_back();
    SpanLinkData& l = r->links[r->link_count++];
    l.context = link.context;
    l.fields.clear();
    for (const Field& f : link.fields)
      l.fields.set(f.name, f.value);
  }

  for (std::uint32_t m = mask; m != 0; m &= m - 1) {
    const auto i = static_cast<std::size_t>(__builtin_ctz(m));
    if (i < layers_.size())
      layers_[i].layer->on_new_span(*r);
  }
  return r;
}

void Tracing::close_span(SpanRecord& span) {
  if (timings_) {
    span.busy_ns = span.end_unix_nano - span.last_transition_ns;
    const std::uint64_t total = span.end_unix_nano - span.start_unix_nano;
    span.idle_ns = total > span.busy_ns ? total - span.busy_ns : 0;
  }
  if (shut_down_.load(std::memory_order_relaxed) || in_forked_child())
    return;
  for (std::uint32_t m = span.layer_mask; m != 0; m &= m - 1) {
    const auto i = static_cast<std::size_t>(__builtin_ctz(m));
    if (i < layers_.size())
      layers_[i].layer->on_close(span);
  }
}

}  // namespace edgetrace::sdk
