// Events at six levels with structured fields whose names are fixed at the call site.
//
//   #include <edgetrace/sdk/event.hpp>
//   using edgetrace::field;
//
//   ET_INFO("payment accepted", field<"order_id">(order.id), field<"amount">(12.5));
//   ET_WARNF("retrying in {} ms", delay_ms);                 // {}-formatted message (fmt)
//   ET_EVENT(edgetrace::core::Level::kError, "disk full", field<"path">(path));
//   ET_INFO("answered", field<semconv::http::kResponseStatusCode>(200));  // semconv names
//
// Field names are string literals or constants: field<"name">(v), or field<kName>(v) where
// kName is a `constexpr std::string_view` with static storage (every constant of
// edgetrace/sdk/semconv.hpp). A name computed at run time does not compile.
//
// Field values may be any integer, floating point, bool, char, string, string_view, C string,
// enum (recorded as its integer), core::AttributeValue (arrays), or a type T for which the
// user defines `edgetrace::core::AttributeValue to_attribute_value(const T&)` in T's
// namespace. Scalars and strings are passed to layers as views, without copying. An error
// is one argument that adds exception.type and exception.message (error.hpp):
//
//   ET_ERROR("payment failed", edgetrace::sdk::error(e), field<"order_id">(order.id));
//
// Cost: the field names, level, target, file, line and function are static and registered
// once per call site. A call site disabled by the subscriber's filter costs a load and a
// branch; its arguments are not evaluated. A call site below ET_MIN_LEVEL (0 = trace .. 5 =
// fatal, default 0) is removed at compile time. ET_TARGET (default "app") names the target
// of every call site in a file: define it before including this header.
//
// The ET_*F forms check the format string against the arguments at compile time (fmt) and
// format into a per-thread buffer that keeps its capacity: in steady state they do not
// allocate (src/sdk/alloc_test.cpp proves it). The message is formatted only when a layer
// wants the event.
//
// Thread-safety: call sites may run on any thread.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <iterator>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "edgetrace/sdk/callsite.hpp"

#ifndef ET_MIN_LEVEL
#define ET_MIN_LEVEL 0
#endif
#ifndef ET_TARGET
#define ET_TARGET "app"
#endif

namespace edgetrace {

// A string usable as a template argument: the name of a field.
template <std::size_t N>
struct FixedString {
  char data[N]{};
  constexpr FixedString(const char (&s)[N]) noexcept {  // NOLINT: implicit by design
    for (std::size_t i = 0; i < N; ++i)
      data[i] = s[i];
  }
  constexpr std::string_view view() const noexcept { return {data, N - 1}; }
};

// A field value tagged with its (compile-time) name. Holds a reference: use it only as an
// argument of an ET_* macro.
template <FixedString Name, typename T>
struct NamedField {
  T&& value;
};

template <FixedString Name, typename T>
constexpr NamedField<Name, T> field(T&& value) noexcept {
  return NamedField<Name, T>{std::forward<T>(value)};
}

// The same with a name given as a constant: field<semconv::http::kRoute>(route). `Name` must
// be a constexpr std::string_view with static storage.
template <const std::string_view& Name, typename T>
struct ConstantNamedField {
  T&& value;
};

template <const std::string_view& Name, typename T>
constexpr ConstantNamedField<Name, T> field(T&& value) noexcept {
  return ConstantNamedField<Name, T>{std::forward<T>(value)};
}

// ET_INSTRUMENT's span name and level, Rust's #[instrument(name = "...", level = "debug")]:
//   ET_INSTRUMENT(span_name<"verify_pbkdf2_hash">, span_level<core::Level::kDebug>);
template <FixedString Name>
struct SpanNameArgument {};
template <FixedString Name>
inline constexpr SpanNameArgument<Name> span_name{};
template <core::Level L>
struct SpanLevelArgument {};
template <core::Level L>
inline constexpr SpanLevelArgument<L> span_level{};

namespace sdk::internal {

constexpr bool passes_min_level(core::Level level, int min_level) noexcept {
  return static_cast<int>(level) >= min_level;
}

// A field group: one ET_* argument that contributes several fields (edgetrace::sdk::error(e)
// is one, error.hpp). The type lists its names in a static array kFieldNames and returns the
// value of name i from field_value(i); it lives until the end of the ET_* statement.
template <typename T>
concept FieldGroup = requires(const T& group) {
  T::kFieldNames[0];
  { group.field_value(std::size_t{0}) } -> std::same_as<Value>;
};

// The names of what one ET_* argument contributes.
template <typename T>
struct FieldTraits;
template <FixedString Name, typename T>
struct FieldTraits<NamedField<Name, T>> {
  static constexpr std::string_view name = Name.view();
  static constexpr std::size_t count = 1;
  static constexpr const std::string_view* names = &name;
};
template <FieldGroup G>
struct FieldTraits<G> {
  static constexpr std::size_t count = std::size(G::kFieldNames);
  static constexpr const std::string_view* names = G::kFieldNames;
};
template <const std::string_view& Name, typename T>
struct FieldTraits<ConstantNamedField<Name, T>> {
  static constexpr std::string_view name = Name;  // fails unless Name is a constant
  static constexpr std::size_t count = 1;
  static constexpr const std::string_view* names = &name;
};

// One field with one name (spans take these only).
template <typename F>
concept NamedFieldType = requires {
  FieldTraits<F>::name;
};
// Any argument that contributes fields: one (NamedFieldType) or several (FieldGroup).
template <typename F>
concept FieldArgument = requires {
  FieldTraits<F>::count;
};
template <typename F>
constexpr std::size_t field_count() noexcept {
  if constexpr (FieldArgument<F>)
    return FieldTraits<F>::count;
  else
    return 0;
}

// The static names of a call site's fields. Arguments that are not fields (ET_INSTRUMENT's
// span_name and span_level) are skipped.
template <typename... Fs>
struct FieldNames {
  static constexpr std::size_t count = (std::size_t{0} + ... + field_count<Fs>());
  static constexpr std::array<std::string_view, count == 0 ? 1 : count> names = [] {
    std::array<std::string_view, count == 0 ? 1 : count> out{};
    [[maybe_unused]] std::size_t i = 0;
    (
        [&] {
          if constexpr (FieldArgument<Fs>) {
            std::copy_n(FieldTraits<Fs>::names, FieldTraits<Fs>::count, out.begin() + i);
            i += FieldTraits<Fs>::count;
          }
        }(),
        ...);
    return out;
  }();
  static constexpr std::span<const std::string_view> span() noexcept {
    return {names.data(), count};
  }
};
template <typename... Fs>
FieldNames<std::decay_t<Fs>...> field_names_of(Fs&&...);  // for decltype only

// The slow path of the ET_*F forms: formats into the thread's buffer when a layer wants the
// event, then dispatches it. One non-template function for every call site.
void dispatch_formatted_event(const Callsite& callsite, fmt::string_view format,
                              fmt::format_args args);

template <typename... Args>
void emit_formatted(const Callsite& callsite, fmt::format_string<Args...> format, Args&&... args) {
  dispatch_formatted_event(callsite, format, fmt::make_format_args(args...));
}

// Holds one ET_* argument's values for the call: converted user types are kept alive here;
// scalars and strings are views.
template <typename F>
class ArgumentHolder;
template <FixedString Name, typename T>
class ArgumentHolder<NamedField<Name, T>> {
 public:
  explicit ArgumentHolder(const NamedField<Name, T>& f) : holder_(f.value) {}
  void write(Field* out, std::size_t& i) const noexcept { out[i++].value = holder_.value(); }

 private:
  ValueHolder<std::remove_cvref_t<T>> holder_;
};
template <const std::string_view& Name, typename T>
class ArgumentHolder<ConstantNamedField<Name, T>> {
 public:
  explicit ArgumentHolder(const ConstantNamedField<Name, T>& f) : holder_(f.value) {}
  void write(Field* out, std::size_t& i) const noexcept { out[i++].value = holder_.value(); }

 private:
  ValueHolder<std::remove_cvref_t<T>> holder_;
};
template <FieldGroup G>
class ArgumentHolder<G> {
 public:
  explicit ArgumentHolder(const G& group) : group_(group) {}
  void write(Field* out, std::size_t& i) const noexcept {
    for (std::size_t k = 0; k < FieldTraits<G>::count; ++k)
      out[i++].value = group_.field_value(k);
  }

 private:
  const G& group_;
};

template <typename... Fs>
void emit(const Callsite& callsite, std::string_view message, Fs&&... fields) {
  if constexpr (sizeof...(Fs) == 0) {
    dispatch_event(callsite, message, {});
  } else {
    using Names = FieldNames<std::decay_t<Fs>...>;
    const std::tuple<ArgumentHolder<std::decay_t<Fs>>...> holders{fields...};
    // Names are the call site's static ones, so layers may keep them without copying.
    Field values[Names::count == 0 ? 1 : Names::count];
    for (std::size_t k = 0; k < Names::count; ++k)
      values[k].name = Names::names[k];
    std::size_t i = 0;
    std::apply([&](const auto&... h) { (h.write(values, i), ...); }, holders);
    dispatch_event(callsite, message, std::span<const Field>(values, Names::count));
  }
}

}  // namespace sdk::internal
}  // namespace edgetrace

// A call site: static metadata and callsite, then `...` (the emitting statement) when the
// subscriber may want it. `names_` is a FieldNames type.
#define ET_EVENT_SITE_(level_, names_, ...)                                                        \
  do {                                                                                             \
    if constexpr (::edgetrace::sdk::internal::passes_min_level(level_, ET_MIN_LEVEL)) {            \
      using et_names_ = names_;                                                                    \
      static const ::edgetrace::sdk::Metadata et_metadata_{"event",                                \
                                                           ET_TARGET,                              \
                                                           level_,                                 \
                                                           __FILE__,                               \
                                                           __LINE__,                               \
                                                           __func__,                               \
                                                           ::edgetrace::sdk::CallsiteKind::kEvent, \
                                                           et_names_::span()};                     \
      static const ::edgetrace::sdk::Callsite et_callsite_{et_metadata_};                          \
      if (et_callsite_.interest() != ::edgetrace::sdk::Interest::kNever) {                         \
        __VA_ARGS__;                                                                               \
      }                                                                                            \
    }                                                                                              \
  } while (0)

// The call site of one event. `level_` is a core::Level constant expression.
#define ET_EVENT_IMPL(level_, make_message_, ...)                                \
  ET_EVENT_SITE_(                                                                \
      level_, decltype(::edgetrace::sdk::internal::field_names_of(__VA_ARGS__)), \
      ::edgetrace::sdk::internal::emit(et_callsite_, make_message_ __VA_OPT__(, ) __VA_ARGS__))

#define ET_EVENT(level_, message_, ...) \
  ET_EVENT_IMPL(level_, std::string_view(message_) __VA_OPT__(, ) __VA_ARGS__)

#define ET_TRACE(...) ET_EVENT(::edgetrace::core::Level::kTrace, __VA_ARGS__)
#define ET_DEBUG(...) ET_EVENT(::edgetrace::core::Level::kDebug, __VA_ARGS__)
#define ET_INFO(...) ET_EVENT(::edgetrace::core::Level::kInfo, __VA_ARGS__)
#define ET_WARN(...) ET_EVENT(::edgetrace::core::Level::kWarn, __VA_ARGS__)
#define ET_ERROR(...) ET_EVENT(::edgetrace::core::Level::kError, __VA_ARGS__)
#define ET_FATAL(...) ET_EVENT(::edgetrace::core::Level::kFatal, __VA_ARGS__)

// {}-formatted message (checked at compile time by fmt); no structured fields.
#define ET_EVENTF(level_, format_, ...)                                   \
  ET_EVENT_SITE_(level_, ::edgetrace::sdk::internal::FieldNames<>,        \
                 ::edgetrace::sdk::internal::emit_formatted(et_callsite_, \
                                                            format_ __VA_OPT__(, ) __VA_ARGS__))
#define ET_TRACEF(...) ET_EVENTF(::edgetrace::core::Level::kTrace, __VA_ARGS__)
#define ET_DEBUGF(...) ET_EVENTF(::edgetrace::core::Level::kDebug, __VA_ARGS__)
#define ET_INFOF(...) ET_EVENTF(::edgetrace::core::Level::kInfo, __VA_ARGS__)
#define ET_WARNF(...) ET_EVENTF(::edgetrace::core::Level::kWarn, __VA_ARGS__)
#define ET_ERRORF(...) ET_EVENTF(::edgetrace::core::Level::kError, __VA_ARGS__)
#define ET_FATALF(...) ET_EVENTF(::edgetrace::core::Level::kFatal, __VA_ARGS__)
