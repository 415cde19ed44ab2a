// Layers and the subscriber that composes them.
//
//   auto tracing = std::make_shared<Tracing>(Tracing::Options{.sampler = Sampler::always_on()});
//   tracing->add_layer(std::make_unique<MyLayer>(), Filter::parse("info,db=debug").value());
//   set_global_subscriber(tracing);      // usually done by TracingBuilder (tracing.hpp)
//
// A Layer is one output (console, file, OTLP, a test recorder). Each layer has its own
// Filter; an event or span goes to the layers whose filter enables it. Tracing decides the
// span's identity (ids, parent, sampling) once, for every layer.
//
// Counting is left to the layers (what they wrote, exported or dropped): the subscriber
// itself keeps no shared counters, so the hot path touches no shared cache line.
//
// Thread-safety: layer callbacks run on the application's threads, concurrently; a layer
// synchronises its own state. Callbacks must not block on I/O: hand work to a background
// thread (the file and OTLP layers do). add_layer() must happen before the Tracing is
// installed. force_flush/shutdown may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "edgetrace/sdk/callsite.hpp"
#include "edgetrace/sdk/filter.hpp"
#include "edgetrace/sdk/sampler.hpp"
#include "edgetrace/sdk/span.hpp"

namespace edgetrace::sdk {
namespace internal {
struct SpanPath;  // the span macros' path into Tracing (span.cpp)
}  // namespace internal

using Deadline = std::chrono::steady_clock::time_point;

class Layer {
 public:
  virtual ~Layer() = default;
  // A span this layer's filter enabled has started (its fields are set).
  virtual void on_new_span(const SpanRecord&) {}
  // The span ended. To keep it past this call (e.g. to export it later), take a SpanRef.
  virtual void on_close(const SpanRecord&) {}
  // An event this layer's filter enabled; event.span is the thread's current span.
  virtual void on_event(const Event&) {}
  // True when the layer shows busy/idle times (costs two clock reads per span).
  virtual bool wants_span_timings() const { return false; }
  // Writes out what is buffered; true when everything went out by the deadline.
  virtual bool force_flush(Deadline) { return true; }
  // Flushes and stops; afterwards callbacks must be cheap no-ops. Idempotent.
  virtual bool shutdown(Deadline) { return true; }
};

class Tracing final : public Subscriber {
 public:
  static constexpr std::size_t kMaxLayers = 24;

  struct Options {
    Sampler sampler = Sampler::parent_based(Sampler::always_on());
    std::size_t max_span_attributes = FieldStore::kDefaultLimit;
  };

  explicit Tracing(Options options);
  ~Tracing() override;

  // Adds a layer with its filter. At most kMaxLayers. Not after installation.
  void add_layer(std::unique_ptr<Layer> layer, Filter filter);
  std::size_t layer_count() const noexcept { return layers_.size(); }
  Layer& layer(std::size_t i) const noexcept { return *layers_[i].layer; }

  bool force_flush(Deadline deadline);
  // Shuts every layer down (each gets what is left of the deadline). Idempotent.
  bool shutdown(Deadline deadline);
  bool is_shut_down() const noexcept { return shut_down_.load(std::memory_order_acquire); }
  // True in a child process forked after this Tracing was built: it is then inert (no
  // callbacks, flush and shutdown return at once), since its layers' threads stayed in the
  // parent.
  bool in_forked_child() const noexcept;

  const Sampler& sampler() const noexcept { return options_.sampler; }

  // Subscriber
  Interest register_callsite(const Metadata& metadata) override;
  std::uint32_t callsite_mask(const Metadata& metadata) override;
  bool enabled(const Metadata& metadata) override;
  bool enabled(const Metadata& metadata, std::uint32_t& mask) override;
  void event(const Event& event) override;
  SpanRecord* new_span(const Metadata& metadata, const SpanOptions& options,
                       std::span<const Field> fields, std::uint32_t mask) override;
  void close_span(SpanRecord& span) override;

 private:
  struct Slot {
    std::unique_ptr<Layer> layer;
    Filter filter;
  };
  // new_span's body; `append_fields(FieldStore&)` stores the call site's fields (defined and
  // used in span.cpp only). kCheckLive: return null when shut down or in a forked child (the
  // installed Tracing, internal::g_current_tracing, is known live and skips the test).
  template <bool kCheckLive, typename AppendFields>
  SpanRecord* begin_span(const Metadata& metadata, const SpanOptions& options, std::uint32_t mask,
                         const AppendFields& append_fields);
  // close_span without the live test (for the installed Tracing).
  void close_span_to_layers(SpanRecord& span);
  friend struct internal::SpanPath;
  std::uint32_t static_mask(const Metadata& metadata) const noexcept;
  std::uint32_t dynamic_mask(const Metadata& metadata) const noexcept;

  Options options_;
  std::vector<Slot> layers_;
  // The layers by mask bit, for the per-span and per-event loops (null past the last one):
  // indexed by any bit of a 32-bit mask without a bounds check.
  std::array<Layer*, 32> layer_at_{};
  std::uint32_t dynamic_layers_ = 0;  // layers whose filter looks at the current spans
  bool timings_ = false;
  std::atomic<bool> shut_down_{false};
  std::uint64_t generation_;  // fork generation this Tracing was built in
  // generation_ while this Tracing takes spans and events, kRetired once shut down: the hot
  // paths test "not shut down and not in a forked child" with one comparison.
  static constexpr std::uint64_t kRetired = ~std::uint64_t{0};
  std::atomic<std::uint64_t> live_generation_;
};

}  // namespace edgetrace::sdk
