// OTLP/JSON encoding of any message of the schema, driven by its descriptor.
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

#include "edgetrace/core/json.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "internal/json_text.hpp"
#include "internal/otlp_fields.hpp"
#include "opentelemetry/proto/common/v1/common.pb.h"

namespace edgetrace::otlp {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
namespace common = opentelemetry::proto::common::v1;

void write_message(const Message& message, std::string& out, bool fast);
void write_message_by_reflection(const Message& message, std::string& out, bool fast);

void write_singular(const Message& message, const Reflection& r, const FieldDescriptor& f,
                    std::string& out, bool fast) {
  std::string scratch;
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      internal::append_int(out, r.GetInt32(message, &f));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      internal::append_int(out, r.GetUInt32(message, &f));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      internal::append_quoted_int(out, r.GetInt64(message, &f));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      internal::append_quoted_uint(out, r.GetUInt64(message, &f));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      internal::append_double(out, r.GetDouble(message, &f));
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      internal::append_double(out, r.GetFloat(message, &f));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out.append(r.GetBool(message, &f) ? "true" : "false");
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      internal::append_int(out, r.GetEnumValue(message, &f));
      break;
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string& s = r.GetStringReference(message, &f, &scratch);
      if (f.type() == FieldDescriptor::TYPE_STRING) {
        core::append_json_string(out, s, core::JsonEscape::kShortForms);
      } else if (internal::id_field_size(f) != 0) {
        internal::append_quoted_hex(out, s);
      } else {
        internal::append_quoted_base64(out, s);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      write_message(r.GetMessage(message, &f), out, fast);
      break;
  }
}

void write_element(const Message& message, const Reflection& r, const FieldDescriptor& f, int i,
                   std::string& out, bool fast) {
  std::string scratch;
  switch (f.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      internal::append_int(out, r.GetRepeatedInt32(message, &f, i));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      internal::append_int(out, r.GetRepeatedUInt32(message, &f, i));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      internal::append_quoted_int(out, r.GetRepeatedInt64(message, &f, i));
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      internal::append_quoted_uint(out, r.GetRepeatedUInt64(message, &f, i));
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      internal::append_double(out, r.GetRepeatedDouble(message, &f, i));
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      internal::append_double(out, r.GetRepeatedFloat(message, &f, i));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out.append(r.GetRepeatedBool(message, &f, i) ? "true" : "false");
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      internal::append_int(out, r.GetRepeatedEnumValue(message, &f, i));
      break;
    case FieldDescriptor::CPPTYPE_STRING: {
      const std::string& s = r.GetRepeatedStringReference(message, &f, i, &scratch);
      if (f.type() == FieldDescriptor::TYPE_STRING) {
        core::append_json_string(out, s, core::JsonEscape::kShortForms);
      } else {
        internal::append_quoted_base64(out, s);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      write_message(r.GetRepeatedMessage(message, &f, i), out, fast);
      break;
  }
}

// Attributes are most of the bytes of every signal, so KeyValue and AnyValue are written
// through their generated accessors instead of reflection. The output is identical to
// what write_message would produce (json_test checks both paths against each other).
void write_any_value(const common::AnyValue& value, std::string& out);

void write_key_values(const google::protobuf::RepeatedPtrField<common::KeyValue>& values,
                      std::string& out);

void write_key_value(const common::KeyValue& kv, std::string& out) {
  out.push_back('{');
  const bool has_key = !kv.key().empty();
  if (has_key) {
    out.append("\"key\":");
    core::append_json_string(out, kv.key(), core::JsonEscape::kShortForms);
  }
  if (kv.has_value()) {
    out.append(has_key ? ",\"value\":" : "\"value\":");
    write_any_value(kv.value(), out);
  }
  out.push_back('}');
}

void write_key_values(const google::protobuf::RepeatedPtrField<common::KeyValue>& values,
                      std::string& out) {
  out.push_back('[');
  bool first = true;
  for (const common::KeyValue& kv : values) {
    if (!first)
      out.push_back(',');
    first = false;
    write_key_value(kv, out);
  }
  out.push_back(']');
}

void write_any_value(const common::AnyValue& value, std::string& out) {
  switch (value.value_case()) {
    case common::AnyValue::kStringValue:
      out.append("{\"stringValue\":");
      core::append_json_string(out, value.string_value(), core::JsonEscape::kShortForms);
      break;
    case common::AnyValue::kBoolValue:
      out.append(value.bool_value() ? "{\"boolValue\":true" : "{\"boolValue\":false");
      break;
    case common::AnyValue::kIntValue:
      out.append("{\"intValue\":");
      internal::append_quoted_int(out, value.int_value());
      break;
    case common::AnyValue::kDoubleValue:
      out.append("{\"doubleValue\":");
      internal::append_double(out, value.double_value());
      break;
    case common::AnyValue::kArrayValue: {
      out.append("{\"arrayValue\":{");
      const auto& values = value.array_value().values();
      if (!values.empty()) {
        out.append("\"values\":[");
        bool first = true;
        for (const common::AnyValue& v : values) {
          if (!first)
            out.push_back(',');
          first = false;
          write_any_value(v, out);
        }
        out.push_back(']');
      }
      out.push_back('}');
      break;
    }
    case common::AnyValue::kKvlistValue: {
      out.append("{\"kvlistValue\":{");
      const auto& values = value.kvlist_value().values();
      if (!values.empty()) {
        out.append("\"values\":");
        write_key_values(values, out);
      }
      out.push_back('}');
      break;
    }
    case common::AnyValue::kBytesValue:
      out.append("{\"bytesValue\":");
      internal::append_quoted_base64(out, value.bytes_value());
      break;
    case common::AnyValue::VALUE_NOT_SET:
      out.push_back('{');
      break;
  }
  out.push_back('}');
}

void write_message(const Message& message, std::string& out, bool fast) {
  if (!fast) {
    write_message_by_reflection(message, out, false);
    return;
  }
  // Same reflection object means the generated class itself (not a dynamic message of the
  // same type), so the downcast is safe.
  const Reflection* reflection = message.GetReflection();
  if (reflection == common::KeyValue::GetReflection()) {
    write_key_value(static_cast<const common::KeyValue&>(message), out);
    return;
  }
  if (reflection == common::AnyValue::GetReflection()) {
    write_any_value(static_cast<const common::AnyValue&>(message), out);
    return;
  }
  write_message_by_reflection(message, out, true);
}

void write_message_by_reflection(const Message& message, std::string& out, bool fast) {
  const Descriptor& d = *message.GetDescriptor();
  const Reflection& r = *message.GetReflection();
  out.push_back('{');
  bool first = true;
  const int count = d.field_count();
  for (int k = 0; k < count; ++k) {
    const FieldDescriptor& f = *d.field(k);
    int size = 0;
    if (f.is_repeated()) {
      size = r.FieldSize(message, &f);
      if (size == 0)
        continue;
    } else if (!r.HasField(message, &f)) {
      // For proto3 scalars HasField means "not the default value"; for oneof members,
      // `optional` fields and messages it means "set", which is what must be written.
      continue;
    }
    if (!first)
      out.push_back(',');
    first = false;
    core::append_json_string(out, f.json_name(), core::JsonEscape::kShortForms);
    out.push_back(':');
    if (f.is_repeated()) {
      out.push_back('[');
      for (int i = 0; i < size; ++i) {
        if (i != 0)
          out.push_back(',');
        write_element(message, r, f, i, out, fast);
      }
      out.push_back(']');
    } else {
      write_singular(message, r, f, out, fast);
    }
  }
  out.push_back('}');
}

}  // namespace

void encode_json_message(const google::protobuf::Message& message, std::string& out) {
  write_message(message, out, true);
}

namespace internal {
void encode_json_by_reflection(const google::protobuf::Message& message, std::string& out) {
  write_message(message, out, false);
}
}  // namespace internal

}  // namespace edgetrace::otlp
