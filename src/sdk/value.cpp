#include "edgetrace/sdk/value.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
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
      if ((slot.flags & kInlineText) != 0)
        return Value::of(
            std::string_view(reinterpret_cast<const char*>(&slot.bits), slot.inline_size));
      return Value::of(std::string_view(text_.data() + (slot.bits >> 32), slot.bits & 0xffffffffu));
    case Value::Kind::kAttribute:
      return Value::of(attributes_[slot.bits]);
  }
  return Value();
}

namespace {

// The slot bits of a scalar value; false for strings, attributes and empty values.
bool scalar_bits(const Value& v, std::uint64_t& bits) noexcept {
  switch (v.kind()) {
    case Value::Kind::kBool:
      bits = v.as_bool() ? 1 : 0;
      return true;
    case Value::Kind::kInt:
      bits = static_cast<std::uint64_t>(v.as_int());
      return true;
    case Value::Kind::kUint:
      bits = v.as_uint();
      return true;
    case Value::Kind::kDouble:
      bits = std::bit_cast<std::uint64_t>(v.as_double());
      return true;
    default:
      return false;
  }
}

}  // namespace

void FieldStore::grow_text(std::size_t needed) {
  std::size_t cap = std::max<std::size_t>(text_.size() * 2, 256);
  while (cap < needed)
    cap *= 2;
  text_.resize(cap);
}

std::uint64_t FieldStore::add_text(std::string_view text) {
  const std::size_t offset = text_size_;
  if (offset + text.size() > text_.size())
    grow_text(offset + text.size());
  std::memcpy(text_.data() + offset, text.data(), text.size());
  text_size_ = offset + text.size();
  return (static_cast<std::uint64_t>(offset) << 32) | text.size();
}

void FieldStore::store(Slot& slot, const Value& value) {
  if (slot.kind == Value::Kind::kString && (slot.flags & kInlineText) == 0)
    wasted_ += slot.bits & 0xffffffffu;
  const bool was_text = slot.kind == Value::Kind::kString && (slot.flags & kInlineText) == 0;
  const std::uint64_t old_bits = slot.bits;
  slot.flags = static_cast<std::uint8_t>(slot.flags & ~kInlineText);
  switch (value.kind()) {
    case Value::Kind::kEmpty:
      slot.bits = 0;
      break;
    case Value::Kind::kBool:
    case Value::Kind::kInt:
    case Value::Kind::kUint:
    case Value::Kind::kDouble:
      (void)scalar_bits(value, slot.bits);
      break;
    case Value::Kind::kString: {
      const std::string_view text = value.as_string();
      if (text.size() <= sizeof slot.bits) {
        slot.bits = 0;
        auto* dst = reinterpret_cast<char*>(&slot.bits);
        for (std::size_t i = 0; i < text.size(); ++i)
          dst[i] = text[i];
        slot.flags = static_cast<std::uint8_t>(slot.flags | kInlineText);
        slot.inline_size = static_cast<std::uint8_t>(text.size());
        break;
      }
      // Field values are capped well below 4 GiB by any sane use; keep the slot compact.
      const std::string_view kept = text.substr(0, 0xffffffffu);
      if (was_text && kept.size() <= (old_bits & 0xffffffffu)) {
        // Shorter or equal: overwrite in place (the tail becomes waste).
        const std::size_t offset = old_bits >> 32;
        std::memmove(text_.data() + offset, kept.data(), kept.size());
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
  if (wasted_ > 4096 && wasted_ * 2 > text_size_)
    compact();
}

void FieldStore::compact() {
  std::string fresh(std::max<std::size_t>(text_size_ - wasted_, 256), '\0');
  std::size_t used = 0;
  const auto keep = [&](std::size_t offset, std::size_t size) {
    std::memcpy(fresh.data() + used, text_.data() + offset, size);
    used += size;
    return used - size;
  };
  for (std::size_t i = 0; i < size_; ++i) {
    Slot& slot = slots_[i];
    if ((slot.flags & kNameInText) != 0)
      slot.name = keep(slot.name, slot.name_size);
    if (slot.kind == Value::Kind::kString && (slot.flags & kInlineText) == 0) {
      const std::size_t size = slot.bits & 0xffffffffu;
      slot.bits = (static_cast<std::uint64_t>(keep(slot.bits >> 32, size)) << 32) | size;
    }
  }
  text_.swap(fresh);
  text_size_ = used;
  wasted_ = 0;
}

bool FieldStore::set(std::string_view name, const Value& value) {
  for (std::size_t i = 0; i < size_; ++i) {
    Slot& slot = slots_[i];
    if (name_of(slot) == name) {
      store(slot, value);
      return true;
    }
  }
  return append(name, value);
}

FieldStore::Slot* FieldStore::new_slot() {
  if (size_ >= limit_) {
    ++dropped_;
    return nullptr;
  }
  if (size_ == slots_.size())
    slots_.emplace_back();
  Slot* slot = &slots_[size_++];
  slot->kind = Value::Kind::kEmpty;
  slot->flags = 0;
  return slot;
}

bool FieldStore::append(std::string_view name, const Value& value) {
  Slot* slot = new_slot();
  if (slot == nullptr)
    return false;
  const std::uint64_t name_ref = add_text(name.substr(0, 0xffffffffu));
  slot->name = static_cast<std::uintptr_t>(name_ref >> 32);
  slot->name_size = static_cast<std::uint32_t>(name_ref & 0xffffffffu);
  slot->flags = kNameInText;
  store(*slot, value);
  return true;
}

bool FieldStore::append_static(std::string_view name, const Value& value) {
  Slot* slot = new_slot();
  if (slot == nullptr)
    return false;
  slot->name = reinterpret_cast<std::uintptr_t>(name.data());
  slot->name_size = static_cast<std::uint32_t>(std::min<std::size_t>(name.size(), 0xffffffffu));
  store(*slot, value);
  return true;
}

void FieldStore::store_rare(Slot& slot, const Value& value) {
  slot.kind = Value::Kind::kEmpty;
  slot.flags = static_cast<std::uint8_t>(slot.flags & kNameInText);
  store(slot, value);
}

namespace {
// Up to 8 bytes of text as a little-endian word (byte k at bits 8k), without a loop: two
// overlapping 4-byte loads from 4 bytes on, three single-byte loads below (which between them
// cover bytes 0, n/2 and n-1, that is every byte of a 1..3-byte text).
std::uint64_t pack_short_text(std::string_view text) noexcept {
  const std::size_t n = text.size();
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  if (n >= 4) {
    std::uint32_t lo = 0;
    std::uint32_t hi = 0;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return static_cast<std::uint64_t>(lo) | (static_cast<std::uint64_t>(hi) << (8 * (n - 4)));
  }
  if (n == 0)
    return 0;
  return static_cast<std::uint64_t>(p[0]) |
         (static_cast<std::uint64_t>(p[n / 2]) << (8 * (n / 2))) |
         (static_cast<std::uint64_t>(p[n - 1]) << (8 * (n - 1)));
}
}  // namespace

std::span<FieldStore::Slot> FieldStore::append_slots(std::size_t n) {
  std::size_t take = n;
  if (size_ + take > limit_) {
    const std::size_t room = limit_ > size_ ? limit_ - size_ : 0;
    dropped_ += take - room;
    take = room;
  }
  if (size_ + take > slots_.size())
    slots_.resize(size_ + take);
  Slot* out = slots_.data() + size_;
  size_ += take;
  return {out, take};
}

inline void FieldStore::store_appended(Slot& slot, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kBool:
      slot.bits = v.as_bool() ? 1 : 0;
      break;
    case Value::Kind::kInt:
      slot.bits = static_cast<std::uint64_t>(v.as_int());
      break;
    case Value::Kind::kUint:
      slot.bits = v.as_uint();
      break;
    case Value::Kind::kDouble:
      slot.bits = std::bit_cast<std::uint64_t>(v.as_double());
      break;
    case Value::Kind::kString: {
      const std::string_view text = v.as_string();
      if (text.size() <= sizeof slot.bits) {
        slot.bits = pack_short_text(text);
        slot.flags = static_cast<std::uint8_t>(slot.flags | kInlineText);
        slot.inline_size = static_cast<std::uint8_t>(text.size());
      } else {
        slot.bits = add_text(text.substr(0, 0xffffffffu));
      }
      break;
    }
    case Value::Kind::kEmpty:
    case Value::Kind::kAttribute:
      store_rare(slot, v);
      return;
  }
  slot.kind = v.kind();
}

void FieldStore::append_fields(std::span<const Field> fields,
                               std::span<const std::string_view> static_names) {
  const std::span<Slot> out = append_slots(fields.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const Field& f = fields[i];
    Slot& slot = out[i];
    if (i < static_names.size() && static_names[i].data() == f.name.data()) [[likely]] {
      slot.name = reinterpret_cast<std::uintptr_t>(f.name.data());
      slot.name_size = static_cast<std::uint32_t>(f.name.size());
      slot.flags = 0;
    } else {
      const std::uint64_t ref = add_text(f.name.substr(0, 0xffffffffu));
      slot.name = static_cast<std::uintptr_t>(ref >> 32);
      slot.name_size = static_cast<std::uint32_t>(ref & 0xffffffffu);
      slot.flags = kNameInText;
    }
    store_appended(slot, f.value);
  }
}

void FieldStore::append_values(std::span<const Value> values,
                               std::span<const std::string_view> static_names) {
  if (static_names.size() < values.size()) [[unlikely]]
    values = values.first(static_names.size());  // never from the macros: a name per value
  const std::span<Slot> out = append_slots(values.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    Slot& slot = out[i];
    slot.name = reinterpret_cast<std::uintptr_t>(static_names[i].data());
    slot.name_size = static_cast<std::uint32_t>(static_names[i].size());
    slot.flags = 0;
    store_appended(slot, values[i]);
  }
}

std::optional<Value> FieldStore::find(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < size_; ++i) {
    const Slot& slot = slots_[i];
    if (name_of(slot) == name)
      return view(slot);
  }
  return std::nullopt;
}

}  // namespace edgetrace::sdk
