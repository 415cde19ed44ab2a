#include "edgetrace/sdk/value.hpp"

#include <fmt/format.h>

#include <algorithm>
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

bool FieldStore::set(std::string_view name, const Value& value) {
  for (std::size_t i = 0; i < size_; ++i) {
    if (slots_[i].name == name) {
      slots_[i].value.assign(value);
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
  slot.name.assign(name);
  slot.value.assign(value);
  return true;
}

std::optional<Value> FieldStore::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < size_; ++i) {
    if (slots_[i].name == name)
      return slots_[i].value.view();
  }
  return std::nullopt;
}

void FieldStore::clear() noexcept {
  size_ = 0;
  dropped_ = 0;
}

}  // namespace edgetrace::sdk
