// Field values: a non-owning view for the hot path and an owning, reusable store for spans.
//
//   Value v = Value::of(42);                 // view: no allocation, borrows strings
//   Value::of(42u); Value::of(std::size_t{7}); Value::of(-1L);   // any integer type
//   Value::of("GET"); Value::of(2.5); Value::of(true);
//   std::string s; v.append_display(s);      // "42"
//
//   FieldStore store;                        // owned by a span record, reused across spans
//   store.set("http.request.method", Value::of(std::string_view("GET")));
//   if (const Value* m = store.find("http.request.method")) { ... }
//   store.clear();                           // keeps every buffer for the next span
//
// Value is what events and spans hand to layers: an integer, unsigned integer, double,
// bool, string view, or a pointer to a core::AttributeValue (for user types and arrays).
// Value::of() takes every integer type (signed ones become kInt, unsigned ones kUint),
// every floating-point type, bool, C strings and string views; a char does not compile
// (text or number? say which with of(std::string_view(&c, 1)) or of_int(c)). It
// borrows: a Value is valid only as long as what it points to (for events, the duration of
// the layer callback).
//
// FieldStore copies values in. Its buffers are kept by clear(), so a span record that is
// reused from a pool records fields without allocating once its buffers have grown.
//
// Thread-safety: values are plain data; a FieldStore is not synchronised (its span record's
// owner writes it, layers read it after the span ended).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "edgetrace/core/attributes.hpp"

namespace edgetrace::sdk {

namespace internal {
// Character types other than signed/unsigned char (which are std::int8_t and std::uint8_t,
// numbers).
template <typename T>
inline constexpr bool kIsCharType =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;
template <typename T>
inline constexpr bool kDependentFalse = false;
}  // namespace internal

class Value {
 public:
  enum class Kind : std::uint8_t { kEmpty, kBool, kInt, kUint, kDouble, kString, kAttribute };

  constexpr Value() noexcept = default;

  static constexpr Value of(bool b) noexcept {
    Value v;
    v.kind_ = Kind::kBool;
    v.u_.b = b;
    return v;
  }
  static constexpr Value of_int(std::int64_t i) noexcept {
    Value v;
    v.kind_ = Kind::kInt;
    v.u_.i = i;
    return v;
  }
  static constexpr Value of_uint(std::uint64_t u) noexcept {
    Value v;
    v.kind_ = Kind::kUint;
    v.u_.u = u;
    return v;
  }
  static constexpr Value of(double d) noexcept {
    Value v;
    v.kind_ = Kind::kDouble;
    v.u_.d = d;
    return v;
  }
  // Every integer type (int, long, unsigned, short, std::size_t, std::int64_t, ...): an
  // exact match, so no integer is ambiguous between bool and double.
  template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool> &&
           !internal::kIsCharType<T>) static constexpr Value of(T i) noexcept {
    if constexpr (std::is_signed_v<T>)
      return of_int(static_cast<std::int64_t>(i));
    else
      return of_uint(static_cast<std::uint64_t>(i));
  }
  template <typename T>
  requires(std::is_floating_point_v<T> && !std::is_same_v<T, double>) static constexpr Value
      of(T d) noexcept {
    return of(static_cast<double>(d));
  }
  template <typename T>
  requires internal::kIsCharType<T>
  static constexpr Value of(T) noexcept {
    static_assert(internal::kDependentFalse<T>,
                  "Value::of(char) is ambiguous: use Value::of(std::string_view(&c, 1)) for "
                  "text or Value::of_int(c) for a number");
    return {};
  }
  // A C string (null: "(null)"). Without it a string literal would choose of(bool).
  static constexpr Value of(const char* s) noexcept {
    return of(s == nullptr ? std::string_view("(null)") : std::string_view(s));
  }
  static constexpr Value of(std::string_view s) noexcept {
    Value v;
    v.kind_ = Kind::kString;
    v.u_.s = {s.data(), s.size()};
    return v;
  }
  static constexpr Value of(const core::AttributeValue& a) noexcept {
    Value v;
    v.kind_ = Kind::kAttribute;
    v.u_.a = &a;
    return v;
  }

  constexpr Kind kind() const noexcept { return kind_; }
  constexpr bool as_bool() const noexcept { return u_.b; }
  constexpr std::int64_t as_int() const noexcept { return u_.i; }
  constexpr std::uint64_t as_uint() const noexcept { return u_.u; }
  constexpr double as_double() const noexcept { return u_.d; }
  constexpr std::string_view as_string() const noexcept { return {u_.s.data, u_.s.size}; }
  const core::AttributeValue& as_attribute() const noexcept { return *u_.a; }

  // Appends a readable rendering: strings as they are, numbers in decimal (doubles in the
  // shortest form that round-trips), bools as true/false. Allocates only by growing `out`.
  void append_display(std::string& out) const;
  std::string to_display_string() const;
  // An owning copy in the OTLP attribute model (unsigned values above INT64_MAX become
  // decimal strings, as in core::AttributeValue).
  core::AttributeValue to_attribute_value() const;

 private:
  struct StringRef {
    const char* data;
    std::size_t size;
  };
  Kind kind_ = Kind::kEmpty;
  union U {
    bool b;
    std::int64_t i;
    std::uint64_t u;
    double d;
    StringRef s;
    const core::AttributeValue* a;
  } u_{};
};

// A named value, as events carry them. The name is static (from the call site) or borrowed.
struct Field {
  std::string_view name;
  Value value;
};

// An owning copy of a Value whose buffers survive reassignment.
class OwnedValue {
 public:
  void assign(const Value& v);
  Value view() const noexcept;

 private:
  Value scalar_;      // kind and scalar payload; strings point at text_
  std::string text_;  // string payload, capacity reused
  std::optional<core::AttributeValue> attribute_;  // user types and arrays
};

// The fields of one span (or span event): set, replace, find, iterate; at most `limit`
// distinct names (more are dropped and counted).
class FieldStore {
 public:
  static constexpr std::size_t kDefaultLimit = 128;  // OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT

  // Adds or replaces `name`. Returns false when the field was dropped by the limit.
  bool set(std::string_view name, const Value& value);
  // Adds `name` without looking for an earlier field of that name (for a call site's own
  // fields, whose names are distinct). Returns false when dropped by the limit.
  bool append(std::string_view name, const Value& value);
  // As append(), for a name in static storage (a call site's field name): the name is
  // referenced, not copied.
  bool append_static(std::string_view name, const Value& value);
  // Appends a call site's fields at once (the hot path of a span's start): a name whose
  // data is the same as static_names[i]'s is referenced, others are copied.
  void append_fields(std::span<const Field> fields, std::span<const std::string_view> static_names);
  // As append_fields() when every name is static: values[i] is named static_names[i].
  void append_values(std::span<const Value> values, std::span<const std::string_view> static_names);
  // The value of `name`, valid until the next set/clear.
  std::optional<Value> find(std::string_view name) const noexcept;
  // Forgets every field but keeps the buffers.
  void clear() noexcept {
    size_ = 0;
    dropped_ = 0;
    text_size_ = 0;
    attributes_used_ = 0;
    wasted_ = 0;
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t dropped() const noexcept { return dropped_; }
  void set_limit(std::size_t limit) noexcept { limit_ = limit; }
  // Bytes of copied names and string values held, including replaced values not yet
  // reclaimed (bounded: reclaimed once they pass 4 KiB and half of the total).
  std::size_t text_bytes() const noexcept { return text_size_; }

  // The i-th field in insertion order (i < size()); the view lives until the next set/clear.
  Field operator[](std::size_t i) const noexcept {
    const Slot& slot = slots_[i];
    return {name_of(slot), view(slot)};
  }

 private:
  // Compact on purpose: a span's fields are written by the application's thread and read
  // by an exporter's thread, so every cache line they occupy may cross cores. A slot is 24
  // bytes. Static names are referenced; other names and string values longer than 8 bytes
  // live in one text buffer; shorter strings live in the slot itself.
  enum : std::uint8_t { kNameInText = 1, kInlineText = 2 };
  struct Slot {
    std::uintptr_t name = 0;  // a pointer to static storage, or an offset (kNameInText)
    std::uint32_t name_size = 0;
    Value::Kind kind = Value::Kind::kEmpty;
    std::uint8_t flags = 0;        // kNameInText, kInlineText
    std::uint8_t inline_size = 0;  // length of an inline string
    std::uint64_t bits = 0;  // the scalar, the inline text, (offset << 32 | size), or an index
  };
  std::string_view name_of(const Slot& slot) const noexcept {
    return (slot.flags & kNameInText) != 0
               ? std::string_view(text_.data() + slot.name, slot.name_size)
               : std::string_view(reinterpret_cast<const char*>(slot.name), slot.name_size);
  }
  Value view(const Slot& slot) const noexcept;
  void store(Slot& slot, const Value& value);
  Slot* new_slot();
  std::uint64_t add_text(std::string_view text);
  void grow_text(std::size_t needed);
  void compact();
  void store_rare(Slot& slot, const Value& value);
  // append_fields/append_values: room for up to n more slots (the rest dropped by the limit).
  std::span<Slot> append_slots(std::size_t n);
  void store_appended(Slot& slot, const Value& value);  // slot.flags holds the name's flags

  // The counts first: a span that stores nothing touches only their cache line.
  std::size_t size_ = 0;
  std::size_t limit_ = kDefaultLimit;
  std::size_t dropped_ = 0;
  std::size_t text_size_ = 0;
  std::size_t attributes_used_ = 0;
  std::size_t wasted_ = 0;   // text bytes no longer referenced (replaced strings)
  std::vector<Slot> slots_;  // slots_[0, size_) are live; the rest keep their capacity
  std::string text_;         // text_[0, text_size_) holds copied names and strings
  std::vector<core::AttributeValue> attributes_;  // arrays and user types (rare)
};

namespace internal {

template <typename T>
concept ScalarField = std::is_arithmetic_v<T> || std::is_enum_v<T> ||
    std::is_convertible_v<const T&, std::string_view> || std::is_same_v<T, core::AttributeValue> ||
    std::is_same_v<T, const char*> || std::is_same_v<T, char*>;

// Makes a Value from `v` without allocating. Strings are borrowed from `v`.
template <typename T>
requires ScalarField<T> Value scalar_value(const T& v)
noexcept {
  if constexpr (std::is_same_v<T, bool>) {
    return Value::of(v);
  } else if constexpr (std::is_same_v<T, char>) {
    return Value::of(std::string_view(&v, 1));
  } else if constexpr (std::is_enum_v<T>) {
    return Value::of_int(static_cast<std::int64_t>(static_cast<std::underlying_type_t<T>>(v)));
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    return Value::of_int(static_cast<std::int64_t>(v));
  } else if constexpr (std::is_integral_v<T>) {
    return Value::of_uint(static_cast<std::uint64_t>(v));
  } else if constexpr (std::is_floating_point_v<T>) {
    return Value::of(static_cast<double>(v));
  } else if constexpr (std::is_same_v<T, core::AttributeValue>) {
    return Value::of(v);
  } else if constexpr (std::is_same_v<T, const char*> || std::is_same_v<T, char*>) {
    return Value::of(v == nullptr ? std::string_view("(null)") : std::string_view(v));
  } else {
    return Value::of(std::string_view(v));
  }
}

// Holds what a Value made from a `T` points to, for the duration of one call: nothing for
// scalars and strings, an owned core::AttributeValue for arrays and user types (which
// teach the SDK by defining `core::AttributeValue to_attribute_value(const T&)` in T's
// namespace).
template <typename T>
class ValueHolder {
 public:
  explicit ValueHolder(const T& v) : value_(scalar_value(v)) {}
  Value value() const noexcept { return value_; }

 private:
  Value value_;
};

template <typename T>
requires(!ScalarField<T>) class ValueHolder<T> {
 public:
  explicit ValueHolder(const T& v) : owned_(convert(v)) {}
  Value value() const noexcept { return Value::of(owned_); }

 private:
  static core::AttributeValue convert(const T& v) {
    if constexpr (std::is_constructible_v<core::AttributeValue, const T&>) {
      return core::AttributeValue(v);
    } else {
      return to_attribute_value(v);  // found by argument-dependent lookup
    }
  }
  core::AttributeValue owned_;
};

}  // namespace internal
}  // namespace edgetrace::sdk
