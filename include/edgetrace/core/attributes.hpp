// Attributes: ordered key -> value maps with OpenTelemetry's count and length limits.
//
//   Attributes attrs(AttributeLimits{.max_count = 128, .max_value_length = 1024});
//   attrs.set("http.request.method", "GET");
//   attrs.set("http.response.status_code", 200);
//   attrs.set("retry", true);
//   attrs.set("tags", std::vector<std::string>{"a", "b"});
//   if (const AttributeValue* v = attrs.get("retry")) { ... }
//
// A value is a string, bool, int64, double, bytes, or a homogeneous array of one of these.
// Integers of any width become int64; an unsigned value above INT64_MAX is stored as its
// decimal string so that nothing is silently wrapped. Floats become double.
//
// Limits (OpenTelemetry "attribute limits"): setting a new key when max_count keys are
// present drops the attribute and counts it in dropped(); updating an existing key always
// works. Strings longer than max_value_length characters (UTF-8 code points) are truncated
// at a character boundary; bytes to max_value_length bytes; array elements one by one.
// An empty key is invalid and counted as dropped.
//
// Thread-safety: a value type; not synchronized. Allocation: keys and values are owned.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace edgetrace::core {

using Bytes = std::vector<std::uint8_t>;

enum class AttributeType : std::uint8_t {
  kString,
  kBool,
  kInt,
  kDouble,
  kBytes,
  kStringArray,
  kBoolArray,
  kIntArray,
  kDoubleArray,
  kBytesArray,
};

class AttributeValue {
 public:
  using Variant = std::variant<std::string, bool, std::int64_t, double, Bytes,
                               std::vector<std::string>, std::vector<bool>,
                               std::vector<std::int64_t>, std::vector<double>, std::vector<Bytes>>;

  AttributeValue() : v_(std::string()) {}
  AttributeValue(std::string s) : v_(std::move(s)) {}         // NOLINT
  AttributeValue(std::string_view s) : v_(std::string(s)) {}  // NOLINT
  AttributeValue(const char* s) : v_(std::string(s)) {}       // NOLINT
  AttributeValue(bool b) : v_(b) {}                           // NOLINT
  template <std::integral I>
  requires(!std::same_as<I, bool> && !std::same_as<I, char>) AttributeValue(I i)
      : v_(from_integer(i)) {}  // NOLINT
  template <std::floating_point F>
  AttributeValue(F f) : v_(static_cast<double>(f)) {}                // NOLINT
  AttributeValue(Bytes b) : v_(std::move(b)) {}                      // NOLINT
  AttributeValue(std::vector<std::string> a) : v_(std::move(a)) {}   // NOLINT
  AttributeValue(std::vector<bool> a) : v_(std::move(a)) {}          // NOLINT
  AttributeValue(std::vector<std::int64_t> a) : v_(std::move(a)) {}  // NOLINT
  AttributeValue(std::vector<double> a) : v_(std::move(a)) {}        // NOLINT
  AttributeValue(std::vector<Bytes> a) : v_(std::move(a)) {}         // NOLINT

  AttributeType type() const noexcept { return static_cast<AttributeType>(v_.index()); }
  const Variant& variant() const noexcept { return v_; }
  Variant& variant() noexcept { return v_; }

  template <typename T>
  const T* get_if() const noexcept {
    return std::get_if<T>(&v_);
  }

  // A readable rendering for consoles and diagnostics: strings as they are, bytes as hex,
  // arrays as [a, b].
  std::string to_display_string() const;

  friend bool operator==(const AttributeValue&, const AttributeValue&) = default;

 private:
  template <typename I>
  static Variant from_integer(I i) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
      if (i > static_cast<I>(std::numeric_limits<std::int64_t>::max())) {
        return std::to_string(i);
      }
    }
    return static_cast<std::int64_t>(i);
  }

  Variant v_;
};

struct KeyValue {
  std::string key;
  AttributeValue value;
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

struct AttributeLimits {
  static constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();
  std::size_t max_count = 128;                // OTEL_ATTRIBUTE_COUNT_LIMIT default
  std::size_t max_value_length = kUnlimited;  // OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT default
};

class Attributes {
 public:
  Attributes() = default;
  explicit Attributes(AttributeLimits limits) : limits_(limits) {}
  Attributes(std::initializer_list<KeyValue> items);

  // Adds or replaces. Returns false when the attribute was dropped (limit or empty key).
  bool set(std::string_view key, AttributeValue value);
  bool erase(std::string_view key);
  const AttributeValue* get(std::string_view key) const noexcept;
  bool contains(std::string_view key) const noexcept { return get(key) != nullptr; }

  // Sets every attribute of `other` here (other's values win on equal keys).
  void merge_from(const Attributes& other);

  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  std::size_t dropped() const noexcept { return dropped_; }
  const AttributeLimits& limits() const noexcept { return limits_; }

  std::vector<KeyValue>::const_iterator begin() const noexcept { return items_.begin(); }
  std::vector<KeyValue>::const_iterator end() const noexcept { return items_.end(); }

  friend bool operator==(const Attributes& a, const Attributes& b) {
    return a.items_ == b.items_ && a.dropped_ == b.dropped_;
  }

 private:
  void truncate(AttributeValue& value) const;

  std::vector<KeyValue> items_;
  std::size_t dropped_ = 0;
  AttributeLimits limits_;
};

// Truncates `s` to at most `max_chars` UTF-8 code points without splitting one.
void truncate_utf8(std::string& s, std::size_t max_chars);

}  // namespace edgetrace::core
