// Spans: RAII scopes that time a piece of work, carry fields, status, events and links, and
// make themselves the current span of the thread while they live.
//
//   void handle(Request& req) {
//     auto span = ET_SPAN("handle", field<"user.id">(req.user));   // entered now
//     span.record("http.response.status_code", 200);                // fields after creation
//     ET_INFO("loaded");                                              // inside the span
//     if (failed) span.set_status(SpanStatusCode::kError, "backend timeout");
//   }                                                                 // ended here
//
//   void load_user(int id) {
//     ET_INSTRUMENT(field<"id">(id));        // a span named "load_user" with code.* attributes
//     ...
//   }
//
//   void verify(const Key& key) {            // Rust: #[instrument(name = "verify_pbkdf2_hash",
//     ET_INSTRUMENT(span_name<"verify_pbkdf2_hash">,  //                 level = "debug")]
//                   span_level<core::Level::kDebug>, field<"key.id">(key.id));
//     ...
//   }
//
//   auto server = ET_SPAN_WITH((SpanOptions{.kind = SpanKind::kServer, .remote_parent = ctx}),
//                              "GET /users");
//
//   Context ctx = Context::current();       // capture...
//   pool.submit([ctx] { auto scope = ctx.attach(); ET_INFO("on a worker"); });   // ...re-attach
//
// A span's call site is static like an event's: when no layer wants it, ET_SPAN costs a load
// and a branch and returns an inert Span (every method is then a no-op, and children attach
// to the enclosing span). Spans default to level info; ET_SPAN_AT picks another.
//
// Span names live in the call site's static metadata, so ET_SPAN, ET_SPAN_AT, ET_SPAN_WITH
// and span_name<...> take a string literal (or a constant array with static storage): a
// std::string, a `const char*` or a local array does not compile (it would dangle once the
// call site's metadata outlives it). Name a span at run time with update_name().
//
// Identity: a span gets the trace id of its parent (the current span, or the remote parent
// given in SpanOptions, or the one of an attached Context) or a new random one, a new random
// span id, and the sampler's decision in its trace flags. Unsampled spans still have ids and
// still propagate (inject() writes their context with the sampled flag off); the OTLP layer
// does not export them.
//
// Thread-safety: a Span is used by one thread at a time and must end on the thread that
// created it (it restores that thread's previous current span). A Context may be copied to
// and attached on any thread. Layers read a span's fields without a lock (when an event
// happens inside it, and at its end): do not call record(), set_status(), add_event(),
// add_link() or update_name() while other threads are inside the span through an attached
// Context; record what you need before handing the context out, or give the other threads
// their own child spans. Span records are pooled: in steady state starting and ending a
// span does not allocate (a field whose string outgrows its buffer grows it once).
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "edgetrace/core/trace_context.hpp"
#include "edgetrace/sdk/callsite.hpp"
#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/value.hpp"

namespace edgetrace::sdk {

class Span;
class SpanRecord;
struct SpanOptions;
namespace internal {
Span start_span(const Callsite& callsite, const SpanOptions& options,
                std::span<const Field> fields);
// The span macros' form: values[i] is the field named callsite.metadata().field_names[i].
Span start_span_values(const Callsite& callsite, const SpanOptions& options,
                       std::span<const Value> values);
// The same with the default options (ET_SPAN, ET_SPAN_AT): a path that does not read them.
Span start_span_default(const Callsite& callsite, std::span<const Value> values);
Span enter_new_span(SpanRecord* record);
// Drops one reference to a pooled record; the last one returns it to the pool.
void release_span_record(SpanRecord* record) noexcept;
}  // namespace internal

// OTLP numbering.
enum class SpanKind : std::uint8_t {
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5
};
enum class SpanStatusCode : std::uint8_t { kUnset = 0, kOk = 1, kError = 2 };

std::string_view span_kind_name(SpanKind kind) noexcept;  // "internal", "server", ...

struct SpanEventData {
  std::string name;
  std::uint64_t time_unix_nano = 0;
  FieldStore fields;
};

struct SpanLinkData {
  core::SpanContext context;
  FieldStore fields;
};

// The recorded state of one span. Owned by the SDK (pooled); layers read it in their
// callbacks and may keep it past on_close() with a SpanRef.
class SpanRecord {
 public:
  std::string_view name() const noexcept {
    return renamed_ ? std::string_view(name_override_) : metadata->name;
  }

  // The fields a plain span writes are in the record's first four cache lines (with the OTLP
  // layer the record travels to the export thread and back to the pool: lines count).
  const Metadata* metadata = nullptr;
  Subscriber* owner = nullptr;  // internal: the subscriber that started it (alive until exit)
  std::atomic<std::uint32_t> refs{0};  // internal
  std::uint32_t layer_mask = 0;        // which layers record this span
  SpanKind kind = SpanKind::kInternal;
  // The fields from here to `last_transition_ns` are reset together when a record is reused.
  bool parent_remote = false;  // the parent came from another process
  SpanStatusCode status = SpanStatusCode::kUnset;
  bool renamed_ = false;            // internal: name_override_ holds the name
  SpanRecord* parent = nullptr;     // the local parent record (referenced while this lives)
  core::SpanId parent_span_id;      // invalid for a root span
  std::uint64_t end_unix_nano = 0;  // 0 while the span is open
  std::uint64_t busy_ns = 0;        // time spent entered (measured when a layer asks)
  std::uint64_t idle_ns = 0;        // time between enter/exit (measured when a layer asks)
  std::size_t event_count = 0;      // events[0, event_count) are live
  std::size_t dropped_events = 0;
  std::size_t link_count = 0;            // links[0, link_count) are live
  std::uint64_t last_transition_ns = 0;  // internal: monotonic time of the last enter/exit
  std::uint64_t start_unix_nano = 0;
  std::uint64_t thread_id = 0;  // the OS thread id that started it
  core::SpanContext context;    // this span's trace id, span id, flags (sampled), tracestate
  alignas(64) FieldStore attributes;
  std::vector<SpanEventData> events;
  std::vector<SpanLinkData> links;
  std::string status_message;
  std::string name_override_;  // internal
};

// A counted reference to a SpanRecord (no allocation; the count lives in the record).
class SpanRef {
 public:
  SpanRef() noexcept = default;
  // Adds a reference to `record` (which must be referenced by the caller already).
  explicit SpanRef(SpanRecord* record) noexcept;
  SpanRef(const SpanRef& other) noexcept : SpanRef(other.record_) {}
  SpanRef(SpanRef&& other) noexcept : record_(std::exchange(other.record_, nullptr)) {}
  SpanRef& operator=(const SpanRef& other) noexcept {
    SpanRef copy(other);
    std::swap(record_, copy.record_);
    return *this;
  }
  // The reference held before goes with `other` (released when it is destroyed).
  SpanRef& operator=(SpanRef&& other) noexcept {
    std::swap(record_, other.record_);
    return *this;
  }
  ~SpanRef() {
    if (record_ != nullptr)
      internal::release_span_record(record_);
  }

  SpanRecord* get() const noexcept { return record_; }
  SpanRecord* operator->() const noexcept { return record_; }
  const SpanRecord& operator*() const noexcept { return *record_; }
  explicit operator bool() const noexcept { return record_ != nullptr; }

  // Takes over a reference the caller already owns.
  static SpanRef adopt(SpanRecord* record) noexcept {
    SpanRef r;
    r.record_ = record;
    return r;
  }

 private:
  SpanRecord* record_ = nullptr;
};

// What a thread is inside: a local span, or a remote parent, or nothing.
class Context {
 public:
  Context() = default;
  // The calling thread's current context.
  static Context current();
  // A context whose parent is a span of another process (e.g. from extract()).
  static Context from_remote(core::SpanContext remote);

  // The span context new spans would take as parent (invalid when empty).
  core::SpanContext span_context() const;
  const SpanRecord* span() const noexcept { return span_.get(); }
  // The remote parent when the context holds no local span (else null).
  const core::SpanContext* remote_parent() const noexcept { return remote_ ? &*remote_ : nullptr; }
  bool empty() const noexcept { return !span_ && !remote_; }

  // Makes this context the calling thread's current one until the returned scope ends.
  // Scopes must end in reverse order of attachment on their thread.
  class Scope;
  [[nodiscard]] Scope attach() const;

  // Runs `f` with this context attached (for thread pools and callbacks).
  template <typename F>
  auto wrap(F f) const;

 private:
  friend class Span;
  friend struct ThreadContextAccess;
  SpanRef span_;
  std::optional<core::SpanContext> remote_;
};

// Not movable: the thread points at it while it lives (returned by guaranteed elision).
class Context::Scope {
 public:
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;
  ~Scope();

 private:
  friend class Context;
  explicit Scope(const Context& context);
  SpanRef span_;                             // the attached span
  std::optional<core::SpanContext> remote_;  // the attached remote parent
  SpanRecord* previous_span_ = nullptr;      // referenced by this scope
  const core::SpanContext* previous_remote_ = nullptr;
};

template <typename F>
auto Context::wrap(F f) const {
  return [ctx = *this, f = std::move(f)](auto&&... args) mutable {
    auto scope = ctx.attach();
    return f(std::forward<decltype(args)>(args)...);
  };
}

struct SpanLinkInit {
  core::SpanContext context;
  std::span<const Field> fields;
};

struct SpanOptions {
  SpanKind kind = SpanKind::kInternal;
  // Parent: an explicit remote parent, else `parent`, else the thread's current context.
  std::optional<core::SpanContext> remote_parent{};
  const Context* parent = nullptr;
  bool root = false;  // ignore every parent: start a new trace
  std::span<const SpanLinkInit> links{};
  bool code_location = false;  // add code.function.name, code.file.path, code.line.number
};

namespace internal {
// The options of ET_SPAN/ET_SPAN_AT and ET_INSTRUMENT, passed by reference: nothing is built
// per call.
inline constexpr SpanOptions kDefaultSpanOptions{};
inline constexpr SpanOptions kInstrumentSpanOptions{.code_location = true};
}  // namespace internal

class Span {
 public:
  // An inert span: every method is a no-op.
  Span() noexcept = default;
  Span(Span&& other) noexcept;
  Span& operator=(Span&&) = delete;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span() { end(); }

  bool is_recording() const noexcept { return record_ != nullptr; }
  explicit operator bool() const noexcept { return is_recording(); }
  // The span's context (invalid for an inert span); use it to inject headers.
  core::SpanContext context() const;
  const SpanRecord* record() const noexcept { return record_; }

  // Adds or replaces a field. `value` may be anything an event field may be.
  template <typename T>
  void record(std::string_view name, const T& value) {
    if (record_ != nullptr)
      record_value(name, internal::ValueHolder<std::remove_cvref_t<T>>(value).value());
  }
  void set_status(SpanStatusCode code, std::string_view message = {});
  // Records an "exception" span event with exception.type and exception.message and sets
  // the status to error with the message.
  void record_error(std::string_view type, std::string_view message);
  void record_exception(const std::exception& e);
  // A timestamped event inside the span (an OTLP span event).
  void add_event(std::string_view name, std::span<const Field> fields = {});
  void add_link(const core::SpanContext& context, std::span<const Field> fields = {});
  void update_name(std::string_view name);
  // Ends the span now (idempotent); the destructor calls it.
  void end();

 private:
  friend Span internal::start_span(const Callsite&, const SpanOptions&, std::span<const Field>);
  friend Span internal::start_span_values(const Callsite&, const SpanOptions&,
                                          std::span<const Value>);
  friend Span internal::enter_new_span(SpanRecord*);
  void record_value(std::string_view name, const Value& value);

  SpanRecord* record_ = nullptr;                        // referenced by this handle
  SpanRecord* previous_span_ = nullptr;                 // thread's span before us (referenced)
  const core::SpanContext* previous_remote_ = nullptr;  // owned by an enclosing Scope
};

namespace internal {

// Span names live in static metadata: only string literals (or constant arrays with static
// storage) are accepted. consteval: a local array is not a constant, so it is refused too.
template <std::size_t N>
consteval const char* span_name_literal(const char (&name)[N]) noexcept {
  return name;
}
template <typename T>
consteval const char* span_name_literal(const T&) noexcept {
  static_assert(kDependentFalse<T>,
                "the span name must be a string literal (it lives in the call site's static "
                "metadata); name a span at run time with Span::update_name()");
  return nullptr;
}

// ET_INSTRUMENT's arguments: fields, at most one span_name<...> and one span_level<...>.
template <typename T>
struct InstrumentArgument {
  static constexpr bool is_field = NamedFieldType<T>;
  static constexpr bool is_name = false;
  static constexpr bool is_level = false;
  static constexpr const char* name = nullptr;
  static constexpr core::Level level = core::Level::kInfo;
};
template <FixedString Name>
struct InstrumentArgument<SpanNameArgument<Name>> {
  static constexpr bool is_field = false;
  static constexpr bool is_name = true;
  static constexpr bool is_level = false;
  static constexpr const char* name = Name.data;
  static constexpr core::Level level = core::Level::kInfo;
};
template <core::Level L>
struct InstrumentArgument<SpanLevelArgument<L>> {
  static constexpr bool is_field = false;
  static constexpr bool is_name = false;
  static constexpr bool is_level = true;
  static constexpr const char* name = nullptr;
  static constexpr core::Level level = L;
};

template <typename... As>
struct InstrumentOptions {
  static_assert((... && (InstrumentArgument<As>::is_field || InstrumentArgument<As>::is_name ||
                         InstrumentArgument<As>::is_level)),
                "ET_INSTRUMENT takes field<...>(value), span_name<\"...\"> and span_level<...>");
  static_assert((0 + ... + (InstrumentArgument<As>::is_name ? 1 : 0)) <= 1,
                "ET_INSTRUMENT: give span_name<...> at most once");
  static_assert((0 + ... + (InstrumentArgument<As>::is_level ? 1 : 0)) <= 1,
                "ET_INSTRUMENT: give span_level<...> at most once");
  static constexpr core::Level level = [] {
    core::Level l = core::Level::kInfo;
    ((l = InstrumentArgument<As>::is_level ? InstrumentArgument<As>::level : l), ...);
    return l;
  }();
  static constexpr const char* given_name = [] {
    const char* n = nullptr;
    ((n = InstrumentArgument<As>::is_name ? InstrumentArgument<As>::name : n), ...);
    return n;
  }();
  // The span's name: span_name<...> when given, else the enclosing function's.
  static constexpr const char* name(const char* function) noexcept {
    return given_name != nullptr ? given_name : function;
  }
};
template <typename... As>
InstrumentOptions<std::decay_t<As>...> instrument_options_of(As&&...);  // for decltype only

template <typename A>
auto field_only(A& a) {
  if constexpr (NamedFieldType<std::decay_t<A>>)
    return std::tuple<A&>(a);
  else
    return std::tuple<>();
}

// ET_SPAN and ET_SPAN_AT pass kDefaultSpanOptions itself: known at compile time here, and
// then a path that does not test the options.
inline Span start_span_with(const Callsite& callsite, const SpanOptions& options,
                            std::span<const Value> values) {
  if (&options == &kDefaultSpanOptions)
    return start_span_default(callsite, values);
  return start_span_values(callsite, options, values);
}

template <typename... Fs>
Span make_span(const Callsite& callsite, const SpanOptions& options, Fs&&... fields) {
  if constexpr (sizeof...(Fs) == 0) {
    return start_span_with(callsite, options, {});
  } else {
    // Values only: their names are the call site's static field names, in the same order.
    static_assert(((FieldTraits<std::decay_t<Fs>>::count == 1) && ...));
    const std::tuple<ValueHolder<std::remove_cvref_t<decltype(fields.value)>>...> holders{
        fields.value...};
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      const Value values[] = {std::get<I>(holders).value()...};
      return start_span_with(callsite, options, values);
    }
    (std::index_sequence_for<Fs...>{});
  }
}

// ET_INSTRUMENT's span: its fields without the span_name/span_level arguments.
template <typename... As>
Span make_instrument_span(const Callsite& callsite, const SpanOptions& options, As&&... args) {
  return std::apply([&](auto&... fields) { return make_span(callsite, options, fields...); },
                    std::tuple_cat(field_only(args)...));
}

}  // namespace internal
}  // namespace edgetrace::sdk

// A span call site: an expression yielding an entered Span. `options_` is a SpanOptions.
#define ET_SPAN_IMPL(level_, options_, name_, function_, ...)                                     \
  [&](const char* et_function_) -> ::edgetrace::sdk::Span {                                       \
    if constexpr (::edgetrace::sdk::internal::passes_min_level(level_, ET_MIN_LEVEL)) {           \
      using et_names_ = decltype(::edgetrace::sdk::internal::field_names_of(__VA_ARGS__));        \
      static const ::edgetrace::sdk::Metadata et_metadata_{name_,                                 \
                                                           ET_TARGET,                             \
                                                           level_,                                \
                                                           __FILE__,                              \
                                                           __LINE__,                              \
                                                           et_function_,                          \
                                                           ::edgetrace::sdk::CallsiteKind::kSpan, \
                                                           et_names_::span()};                    \
      static const ::edgetrace::sdk::Callsite et_callsite_{et_metadata_};                         \
      if (et_callsite_.interest() != ::edgetrace::sdk::Interest::kNever) {                        \
        return ::edgetrace::sdk::internal::make_span(et_callsite_,                                \
                                                     options_ __VA_OPT__(, ) __VA_ARGS__);        \
      }                                                                                           \
    }                                                                                             \
    return ::edgetrace::sdk::Span();                                                              \
  }(function_)

#define ET_SPAN_AT(level_, name_, ...)                                  \
  ET_SPAN_IMPL(level_, ::edgetrace::sdk::internal::kDefaultSpanOptions, \
               ::edgetrace::sdk::internal::span_name_literal(name_),    \
               __func__ __VA_OPT__(, ) __VA_ARGS__)
#define ET_SPAN(name_, ...) \
  ET_SPAN_AT(::edgetrace::core::Level::kInfo, name_ __VA_OPT__(, ) __VA_ARGS__)
// `options_` in parentheses when it contains commas: ET_SPAN_WITH((SpanOptions{...}), "x").
#define ET_SPAN_WITH(options_, name_, ...)                           \
  ET_SPAN_IMPL(::edgetrace::core::Level::kInfo, options_,            \
               ::edgetrace::sdk::internal::span_name_literal(name_), \
               __func__ __VA_OPT__(, ) __VA_ARGS__)

// A span named after the enclosing function (or span_name<"...">), at level info (or
// span_level<...>), living until the end of the enclosing scope, with code.function.name,
// code.file.path and code.line.number attributes: Rust's #[instrument(name = ..., level = ...)].
//   ET_INSTRUMENT(span_name<"verify">, span_level<core::Level::kDebug>, field<"id">(id));
#define ET_INSTRUMENT(...)                                                                        \
  ::edgetrace::sdk::Span et_instrument_span_ =                                                    \
      [&](const char* et_function_) -> ::edgetrace::sdk::Span {                                   \
    using et_options_ = decltype(::edgetrace::sdk::internal::instrument_options_of(__VA_ARGS__)); \
    if constexpr (::edgetrace::sdk::internal::passes_min_level(et_options_::level,                \
                                                               ET_MIN_LEVEL)) {                   \
      using et_names_ = decltype(::edgetrace::sdk::internal::field_names_of(__VA_ARGS__));        \
      static const ::edgetrace::sdk::Metadata et_metadata_{et_options_::name(et_function_),       \
                                                           ET_TARGET,                             \
                                                           et_options_::level,                    \
                                                           __FILE__,                              \
                                                           __LINE__,                              \
                                                           et_function_,                          \
                                                           ::edgetrace::sdk::CallsiteKind::kSpan, \
                                                           et_names_::span()};                    \
      static const ::edgetrace::sdk::Callsite et_callsite_{et_metadata_};                         \
      if (et_callsite_.interest() != ::edgetrace::sdk::Interest::kNever) {                        \
        return ::edgetrace::sdk::internal::make_instrument_span(                                  \
            et_callsite_,                                                                         \
            ::edgetrace::sdk::internal::kInstrumentSpanOptions __VA_OPT__(, ) __VA_ARGS__);       \
      }                                                                                           \
    }                                                                                             \
    return ::edgetrace::sdk::Span();                                                              \
  }(__func__)
