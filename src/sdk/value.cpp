#include "edgetrace/sdk/value.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <iterator>

namespace edgetrace::sdk {

void Value::append_display(std::string& out) const {
  switch (kind_) {
    case Kind::kEmpty:
      break;
    case Kind::kBool:
      out += u_.b ? "true" : "false";
      break;
    case Kind::kInt:
      fmt::format_to(std::back_inserter(out), "{}", u_.i);
      break;
    case Kind::kUint:
      fmt::format_to(std::back_inserter(out), "{}", u_.u);
      break;
    case Kind::kDouble:
      fmt::format_to(std::back_inserter(out), "{}", u_.d);
      break;
    case Kind::kString:
      out.append(u_.s.data, u_.s.size);
      break;
    case Kind::kAttribute:
      out += u_.a->to_display_string();
      break;
  }
}

std::string Value::to_display_string() const {
  std::string out;
  append_display(out);
  return out;
}

core::AttributeValue Value::to_attribute_value() const {
  switch (kind_) {
    case Kind::kEmpty:
      return core::AttributeValue();
    case Kind::kBool:
      return core::AttributeValue(u_.b);
    case Kind::kInt:
      return core::AttributeValue(u_.i);
    case Kind::kUint:
      return core::AttributeValue(u_.u);
    case Kind::kDouble:
      return core::AttributeValue(u_.d);
    case Kind::kString:
      return core::AttributeValue(as_string());
    case Kind::kAttribute:
      return *u_.a;
  }
  return core::AttributeValue();
}

void OwnedValue::assign(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kString:
      text_.assign(v.as_string());
      scalar_ = Value::of(std::string_view());  // re-pointed by view()
      break;
    case Value::Kind::kAttribute:
      attribute_ = v.as_attribute();
      scalar_ = Value::of(*attribute_);
      break;
    default:
      scalar_ = v;
      break;
  }
}

Value OwnedValue::view() const noexcept {
  if (scalar_.kind() == Value::Kind::kString)
    return Value::of(std::string_view(text_));
  if (scalar_.kind() == Value::Kind::kAttribute)
    return Value::of(*attribute_);
  return scalar_;
}

Value FieldStore::view(const Slot& slot) const noexcept {
  switch (slot.kind) {
    case Value::Kind::kEmpty:
      return Value();
    case Value::Kind::kBool:
      return Value::of(slot.bits != 0);
    case Value::Kind::kInt:
      return Value::of_int(static_cast<std::int64_t>(slot.bits));
    case Value::Kind::kUint:
      return Value::of_uint(slot.bits);
    case Value::Kind::kDouble:
      return Value::of(std::bit_cast<double>(slot.bits));
    case Value::Kind::kString:
      return Value::of(
          std::string_view(arena_.data() + (slot.bits >> 32), slot.bits & 0xffffffffu));
    case Value::Kind::kAttribute:
      return Value::of(attributes_[slot.bits]);
  }
  return Value();
}

std::uint64_t FieldStore::add_text(std::string_view text) {
  const std::size_t offset = arena_.size();
  arena_.append(text);
  return (static_cast<std::uint64_t>(offset) << 32) | text.size();
}

void FieldStore::store(Slot& slot, const Value& value) {
  if (slot.kind == Value::Kind::kString)
    wasted_ += slot.bits & 0xffffffffu;
  switch (value.kind()) {
    case Value::Kind::kEmpty:
      slot.bits = 0;
      break;
    case Value::Kind::kBool:
      slot.bits = value.as_bool() ? 1 : 0;
      break;
    case Value::Kind::kInt:
      slot.bits = static_cast<std::uint64_t>(value.as_int());
      break;
    case Value::Kind::kUint:
      slot.bits = value.as_uint();
      break;
    case Value::Kind::kDouble:
      slot.bits = std::bit_cast<std::uint64_t>(value.as_double());
      break;
    case Value::Kind::kString: {
      const std::string_view text = value.as_string();
      // Field values are capped well below 4 GiB by any sane use; keep the slot compact.
      const std::string_view kept = text.substr(0, 0xffffffffu);
      if (slot.kind == Value::Kind::kString && kept.size() <= (slot.bits & 0xffffffffu)) {
        // Shorter or equal: overwrite in place (the tail becomes waste).
        const std::size_t offset = slot.bits >> 32;
        kept.copy(arena_.data() + offset, kept.size());
        wasted_ -= kept.size();
        slot.bits = (static_cast<std::uint64_t>(offset) << 32) | kept.size();
      } else {
        slot.bits = add_text(kept);
      }
      break;
    }
    case Value::Kind::kAttribute: {
      if (slot.kind == Value::Kind::kAttribute) {
        attributes_[slot.bits] = value.as_attribute();
      } else {
        if (attributes_used_ == attributes_.size())
          attributes_.emplace_back();
        attributes_[attributes_used_] = value.as_attribute();
        slot.bits = attributes_used_++;
      }
      break;
    }
  }
  slot.kind = value.kind();
  if (wasted_ > 4096 && wasted_ * 2 > arena_.size())
    compact();
}

void FieldStore::compact() {
  std::string fresh;
  fresh.reserve(arena_.size() - wasted_);
  for (std::size_t i = 0; i < size_; ++i) {
    Slot& slot = slots_[i];
    const std::size_t name_offset = fresh.size();
    fresh.append(arena_, slot.name_offset, slot.name_size);
    slot.name_offset = static_cast<std::uint32_t>(name_offset);
    if (slot.kind == Value::Kind::kString) {
      const std::size_t offset = fresh.size();
      fresh.append(arena_, slot.bits >> 32, slot.bits & 0xffffffffu);
      slot.bits = (static_cast<std::uint64_t>(offset) << 32) | (slot.bits & 0xffffffffu);
    }
  }
  arena_.swap(fresh);
  wasted_ = 0;
}

bool FieldStore::set(std::string_view name, const Value& value) {
  for (std::size_t i = 0; i < size_; ++i) {
    Slot& slot = slots_[i];
    if (std::string_view(arena_.data() + slot.name_offset, slot.name_size) == name) {
      store(slot, value);
      return true;
    }
  }
  return append(name, value);
}

bool FieldStore::append(std::string_view name, const Value& value) {
  if (size_ >= limit_) {
    ++dropped_;
    return false;
  }
  if (size_ == slots_.size())
    slots_.emplace_back();
  Slot& slot = slots_[size_++];
  const std::uint64_t name_ref = add_text(name.substr(0, 0xffffffffu));
  slot.name_offset = static_cast<std::uint32_t>(name_ref >> 32);
  slot.name_size = static_cast<std::uint32_t>(name_ref & 0xffffffffu);
  slot.kind = Value::Kind::kEmpty;
  store(slot, value);
  return true;
}

std::optional<Value> FieldStore::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < size_; ++i) {
    const Slot& slot = slots_[i];
    if (std::string_view(arena_.data() + slot.name_offset, slot.name_size) == name)
      return view(slot);
  }
  return std::nullopt;
}

void FieldStore::clear() noexcept {
  size_ = 0;
  dropped_ = 0;
  arena_.clear();
  attributes_used_ = 0;
  wasted_ = 0;
}

}  // namespace edgetrace::sdk
