#include "edgetrace/core/attributes.hpp"

#include <algorithm>
#include <cstdio>

#include "edgetrace/core/ids.hpp"

namespace edgetrace::core {
namespace {

std::string hex(const Bytes& b) {
  std::string out(2 * b.size(), '\0');
  internal::encode_hex(b, out.data());
  return out;
}

std::string display_double(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

template <typename T, typename F>
std::string display_array(const std::vector<T>& items, F&& one) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0)
      out += ", ";
    out += one(items[i]);
  }
  out += "]";
  return out;
}

}  // namespace

void truncate_utf8(std::string& s, std::size_t max_chars) {
  if (s.size() <= max_chars)
    return;  // fewer bytes than the limit: fewer characters too
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if ((u & 0xc0) != 0x80) {  // the first byte of a code point
      if (chars == max_chars) {
        s.resize(i);
        return;
      }
      ++chars;
    }
  }
}

std::string AttributeValue::to_display_string() const {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          return display_double(v);
        } else if constexpr (std::is_same_v<T, Bytes>) {
          return hex(v);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          return display_array(v, [](const std::string& s) { return s; });
        } else if constexpr (std::is_same_v<T, std::vector<bool>>) {
          std::string out = "[";
          for (std::size_t i = 0; i < v.size(); ++i) {
            out += i == 0 ? "" : ", ";
            out += v[i] ? "true" : "false";
          }
          return out + "]";
        } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
          return display_array(v, [](std::int64_t i) { return std::to_string(i); });
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          return display_array(v, display_double);
        } else {
          return display_array(v, hex);
        }
      },
      v_);
}

Attributes::Attributes(std::initializer_list<KeyValue> items) {
  for (const auto& kv : items)
    set(kv.key, kv.value);
}

void Attributes::truncate(AttributeValue& value) const {
  const std::size_t max = limits_.max_value_length;
  if (max == AttributeLimits::kUnlimited)
    return;
  auto& v = value.variant();
  if (auto* s = std::get_if<std::string>(&v)) {
    truncate_utf8(*s, max);
  } else if (auto* b = std::get_if<Bytes>(&v)) {
    if (b->size() > max)
      b->resize(max);
  } else if (auto* sa = std::get_if<std::vector<std::string>>(&v)) {
    for (auto& s2 : *sa)
      truncate_utf8(s2, max);
  } else if (auto* ba = std::get_if<std::vector<Bytes>>(&v)) {
    for (auto& b2 : *ba) {
      if (b2.size() > max)
        b2.resize(max);
    }
  }
}

bool Attributes::set(std::string_view key, AttributeValue value) {
  if (key.empty()) {
    ++dropped_;
    return false;
  }
  truncate(value);
  for (auto& kv : items_) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return true;
    }
  }
  if (items_.size() >= limits_.max_count) {
    ++dropped_;
    return false;
  }
  items_.push_back(KeyValue{std::string(key), std::move(value)});
  return true;
}

bool Attributes::erase(std::string_view key) {
  auto it =
      std::find_if(items_.begin(), items_.end(), [&](const KeyValue& kv) { return kv.key == key; });
  if (it == items_.end())
    return false;
  items_.erase(it);
  return true;
}

const AttributeValue* Attributes::get(std::string_view key) const noexcept {
  for (const auto& kv : items_) {
    if (kv.key == key)
      return &kv.value;
  }
  return nullptr;
}

void Attributes::merge_from(const Attributes& other) {
  for (const auto& kv : other.items_)
    set(kv.key, kv.value);
  dropped_ += other.dropped_;
}

}  // namespace edgetrace::core
