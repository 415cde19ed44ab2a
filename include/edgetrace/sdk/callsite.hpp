// Call sites and the subscriber they report to: the static half of the instrumentation API.
//
// Every ET_* macro expansion owns one static `Metadata` (level, target, name, file, line,
// function, field names) and one static `Callsite`. The first time a call site runs it asks
// the current subscriber whether it is interested and caches the answer, so afterwards a
// disabled call site costs one atomic load and one branch. Installing another subscriber
// re-asks every registered call site.
//
//   class MySubscriber : public Subscriber { ... };
//   set_global_subscriber(std::make_shared<MySubscriber>());
//   ET_INFO("cache warmed", field<"entries">(n));      // see edgetrace.hpp
//
// Thread-safety: call sites may run on any thread concurrently; registration is lock-free.
// set_global_subscriber() may race with events: an event sees the old or the new
// subscriber, never a destroyed one.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "edgetrace/core/attributes.hpp"
#include "edgetrace/core/severity.hpp"
#include "edgetrace/sdk/value.hpp"

namespace edgetrace::sdk {

class SpanRecord;
struct SpanOptions;

enum class CallsiteKind : std::uint8_t { kEvent, kSpan };

// Static description of a call site. Lives as long as the program (static storage).
struct Metadata {
  std::string_view name;    // span name, or "event <file>:<line>"
  std::string_view target;  // e.g. "checkout::payment"; defaults to the file's ET_TARGET
  core::Level level;
  std::string_view file;
  std::uint32_t line;
  std::string_view function;
  CallsiteKind kind;
  std::span<const std::string_view> field_names;
};

enum class Interest : std::uint8_t {
  kUnknown = 0,    // not asked yet
  kNever = 1,      // the subscriber never wants it
  kSometimes = 2,  // ask the subscriber each time (e.g. span-dependent filters)
  kAlways = 3,
};

// One occurrence of an event, valid for the duration of Subscriber::event().
struct Event {
  const Metadata& metadata;
  std::string_view message;
  std::span<const Field> fields;
  std::uint64_t time_unix_nano;
  const SpanRecord* span = nullptr;  // the thread's current span, if any
  std::uint32_t layer_mask = ~0u;    // which layers want it (see Callsite::mask)
};

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // Asked once per call site (and again after set_global_subscriber).
  virtual Interest register_callsite(const Metadata& metadata) = 0;
  // A subscriber-defined mask cached with the interest (e.g. which layers want the site).
  virtual std::uint32_t callsite_mask(const Metadata&) { return ~0u; }
  // Asked on every occurrence of a kSometimes call site; may narrow `mask`.
  virtual bool enabled(const Metadata& metadata) = 0;
  virtual bool enabled(const Metadata& metadata, std::uint32_t& mask) {
    (void)mask;
    return enabled(metadata);
  }
  virtual void event(const Event& event) = 0;
  // Spans: a subscriber that records spans returns a referenced record (null: not recorded).
  virtual SpanRecord* new_span(const Metadata&, const SpanOptions&, std::span<const Field>,
                               std::uint32_t) {
    return nullptr;
  }
  // Called when the span's handle ends it (the record's end time is set).
  virtual void close_span(SpanRecord&) {}
  // Called when a span is entered or exited on a thread (for busy/idle timing).
  virtual bool wants_span_transitions() const { return false; }
};

class Callsite {
 public:
  explicit constexpr Callsite(const Metadata& metadata) noexcept : metadata_(metadata) {}
  Callsite(const Callsite&) = delete;
  Callsite& operator=(const Callsite&) = delete;

  const Metadata& metadata() const noexcept { return metadata_; }

  // The cached interest: one relaxed load on the fast path.
  Interest interest() const noexcept {
    const auto i = static_cast<Interest>(state_.load(std::memory_order_relaxed) & 0xff);
    return i == Interest::kUnknown ? register_slow() : i;
  }
  // The subscriber's mask cached with the interest (valid once interest() was asked).
  std::uint32_t mask() const noexcept {
    return static_cast<std::uint32_t>(state_.load(std::memory_order_relaxed) >> 8);
  }
  // interest() and mask() as one consistent pair, from one load on the fast path.
  Interest interest_and_mask(std::uint32_t& mask) const noexcept {
    const std::uint64_t state = state_.load(std::memory_order_relaxed);
    mask = static_cast<std::uint32_t>(state >> 8);
    const auto i = static_cast<Interest>(state & 0xff);
    if (i != Interest::kUnknown) [[likely]]
      return i;
    const Interest registered = register_slow();
    mask = this->mask();
    return registered;
  }

 private:
  friend void rebuild_interest() noexcept;
  Interest register_slow() const noexcept;
  void store(Subscriber* s) const noexcept;

  const Metadata& metadata_;
  mutable std::atomic<std::uint64_t> state_{0};  // interest | mask << 8
  mutable std::atomic<bool> listed_{false};
  mutable const Callsite* next_ = nullptr;  // registry list, written once
};

// Installs `subscriber` for every thread (nullptr: none, everything disabled) and re-asks
// every registered call site. A replaced subscriber is kept alive until the program exits,
// so a thread still inside it (or logging during static destruction) never touches freed
// memory; replacing subscribers is meant to happen a few times per process, not per request.
void set_global_subscriber(std::shared_ptr<Subscriber> subscriber);
// The current subscriber (may be null). Holding the pointer keeps it alive.
std::shared_ptr<Subscriber> global_subscriber();
// The current subscriber without a reference count: valid until the program exits.
Subscriber* current_subscriber() noexcept;
// Re-asks every registered call site (after a filter change, for example).
void rebuild_interest() noexcept;
// Number of call sites registered so far (for tests and diagnostics).
std::size_t registered_callsites() noexcept;

namespace internal {
// Slow path of the macros: checks dynamic interest and delivers the event.
void dispatch_event(const Callsite& callsite, std::string_view message,
                    std::span<const Field> fields);
// The calling thread's current span (null when none).
const SpanRecord* current_span() noexcept;
}  // namespace internal

}  // namespace edgetrace::sdk
