#include <pthread.h>

#include <array>
#include <stdexcept>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/sdk/layer.hpp"
#include "internal/fast_clock.hpp"
#include "internal/thread_context.hpp"

namespace edgetrace::sdk {
namespace internal {
// Bumped in every child after fork(). A Tracing built in another generation is inert: its
// layers' threads stayed in the parent and their locks may have been held by one of them.
std::atomic<std::uint64_t> g_fork_generation{0};
}  // namespace internal

namespace {
using internal::g_fork_generation;

constexpr std::size_t kMaxFilterSpans = 16;

void on_fork_child() noexcept {
  g_fork_generation.fetch_add(1, std::memory_order_relaxed);  // async-signal-safe
  // The installed Tracing is inert here: spans reach it through its checked entry points.
  internal::g_current_tracing.store(nullptr, std::memory_order_relaxed);
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

Tracing::Tracing(Options options)
    : options_(std::move(options)), generation_(fork_generation()), live_generation_(generation_) {}

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
  layer_at_[layers_.size()] = layer.get();
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
  if (shut_down_.exchange(true) || in_forked_child())
    return true;
  live_generation_.store(kRetired, std::memory_order_relaxed);
  // No longer the installed live Tracing (see set_global_subscriber for the other half).
  Tracing* self = this;
  (void)internal::g_current_tracing.compare_exchange_strong(self, nullptr);
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
  if (!internal::generation_live(live_generation_.load(std::memory_order_relaxed)))
    return;
  for (std::uint32_t m = event.layer_mask; m != 0; m &= m - 1) {
    const auto i = static_cast<std::size_t>(__builtin_ctz(m));
    if (Layer* layer = layer_at_[i]; layer != nullptr)
      layer->on_event(event);
  }
}

}  // namespace edgetrace::sdk
