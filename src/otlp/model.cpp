#include "edgetrace/otlp/model.hpp"

#include <type_traits>
#include <variant>

namespace edgetrace::otlp {

using otlp_proto::common::v1::AnyValue;
using otlp_proto::common::v1::KeyValue;

void set_id(std::string* out, const core::TraceId& id) {
  out->assign(reinterpret_cast<const char*>(id.bytes().data()), core::TraceId::kSize);
}

void set_id(std::string* out, const core::SpanId& id) {
  out->assign(reinterpret_cast<const char*>(id.bytes().data()), core::SpanId::kSize);
}

void to_any_value(const core::AttributeValue& value, AnyValue& out) {
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out.set_string_value(v);
        } else if constexpr (std::is_same_v<T, bool>) {
          out.set_bool_value(v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          out.set_int_value(v);
        } else if constexpr (std::is_same_v<T, double>) {
          out.set_double_value(v);
        } else if constexpr (std::is_same_v<T, core::Bytes>) {
          out.mutable_bytes_value()->assign(reinterpret_cast<const char*>(v.data()), v.size());
        } else {
          auto* array = out.mutable_array_value()->mutable_values();
          array->Clear();
          for (const auto& element : v) {
            using E = std::decay_t<decltype(element)>;
            AnyValue* a = array->Add();
            if constexpr (std::is_same_v<E, core::Bytes>) {
              a->mutable_bytes_value()->assign(reinterpret_cast<const char*>(element.data()),
                                               element.size());
            } else {
              to_any_value(core::AttributeValue(E(element)), *a);
            }
          }
        }
      },
      value.variant());
}

void add_attribute(KeyValues& out, std::string_view key, const core::AttributeValue& value) {
  KeyValue* kv = out.Add();
  kv->mutable_key()->assign(key.data(), key.size());
  to_any_value(value, *kv->mutable_value());
}

void add_string_attribute(KeyValues& out, std::string_view key, std::string_view value) {
  KeyValue* kv = out.Add();
  kv->mutable_key()->assign(key.data(), key.size());
  kv->mutable_value()->mutable_string_value()->assign(value.data(), value.size());
}

void add_int_attribute(KeyValues& out, std::string_view key, std::int64_t value) {
  KeyValue* kv = out.Add();
  kv->mutable_key()->assign(key.data(), key.size());
  kv->mutable_value()->set_int_value(value);
}

void add_attributes(KeyValues& out, const core::Attributes& attributes) {
  for (const core::KeyValue& kv : attributes)
    add_attribute(out, kv.key, kv.value);
}

void to_otlp_resource(const core::Resource& resource, otlp_proto::resource::v1::Resource& out) {
  out.Clear();
  add_attributes(*out.mutable_attributes(), resource.attributes());
  out.set_dropped_attributes_count(static_cast<std::uint32_t>(resource.attributes().dropped()));
}

}  // namespace edgetrace::otlp
