// OTLP/JSON encoding of any message of the schema, driven by its descriptor.
#include <string>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

#include "edgetrace/otlp/codec.hpp"
#include "internal/json_text.hpp"
#include "internal/otlp_fields.hpp"

namespace edgetrace::otlp {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void write_message(const Message& message, std::string& out);

void write_singular(const Message& message, const Reflection& r, const FieldDescriptor& f,
                    std::string& out) {
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
        internal::append_json_string(out, s);
      } else if (internal::id_field_size(f) != 0) {
        internal::append_quoted_hex(out, s);
      } else {
        internal::append_quoted_base64(out, s);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      write_message(r.GetMessage(message, &f), out);
      break;
  }
}

void write_element(const Message& message, const Reflection& r, const FieldDescriptor& f, int i,
                   std::string& out) {
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
        internal::append_json_string(out, s);
      } else {
        internal::append_quoted_base64(out, s);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      write_message(r.GetRepeatedMessage(message, &f, i), out);
      break;
  }
}

void write_message(const Message& message, std::string& out) {
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
    internal::append_json_string(out, f.json_name());
    out.push_back(':');
    if (f.is_repeated()) {
      out.push_back('[');
      for (int i = 0; i < size; ++i) {
        if (i != 0)
          out.push_back(',');
        write_element(message, r, f, i, out);
      }
      out.push_back(']');
    } else {
      write_singular(message, r, f, out);
    }
  }
  out.push_back('}');
}

}  // namespace

void encode_json_message(const google::protobuf::Message& message, std::string& out) {
  write_message(message, out);
}

}  // namespace edgetrace::otlp
