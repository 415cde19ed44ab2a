// Which OTLP fields OTLP/JSON treats specially.
#pragma once

#include <cstddef>

#include <google/protobuf/descriptor.h>

namespace edgetrace::otlp::internal {

// The byte length an id field must have (16 for trace_id, 8 for span_id and
// parent_span_id), or 0 when `field` is not an id. OTLP/JSON writes ids as hex instead
// of base64; the rule applies to every message of the schema (Span, Link, LogRecord,
// Exemplar).
inline std::size_t id_field_size(const google::protobuf::FieldDescriptor& field) {
  if (field.type() != google::protobuf::FieldDescriptor::TYPE_BYTES || field.is_repeated())
    return 0;
  const std::string& name = field.name();
  if (name == "trace_id")
    return 16;
  if (name == "span_id" || name == "parent_span_id")
    return 8;
  return 0;
}

}  // namespace edgetrace::otlp::internal
