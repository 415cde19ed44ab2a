// Core values into OTLP messages: ids, attribute values, attribute lists and resources
// written into the generated OTLP types (edgetrace::otlp_proto), the one place that maps
// edgetrace's data model onto OTLP's. Used by every producer of OTLP data (the SDK's OTLP
// layer, the device-stream bridge).
//
//   otlp_proto::trace::v1::Span& span = ...;
//   otlp::set_id(span.mutable_trace_id(), trace_id);
//   otlp::add_attribute(*span.mutable_attributes(), "device.id", "0a1b");
//   otlp::to_otlp_resource(resource, *resource_spans.mutable_resource());
//
// Mapping: strings, bools, int64 and doubles to the AnyValue member of that type; bytes to
// bytes_value; arrays to array_value with one element per item (the OTLP specification's
// "AnyValue" rules). Ids are written as their raw bytes (16 for a trace id, 8 for a span id).
//
// Thread-safety: reentrant; the messages are not synchronized. Allocation: into the
// messages; existing sub-messages are reused where the message allows.
#pragma once

#include <string>
#include <string_view>

#include "edgetrace/core/attributes.hpp"
#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/resource.hpp"
#include "opentelemetry/proto/common/v1/common.pb.h"
#include "opentelemetry/proto/resource/v1/resource.pb.h"

namespace edgetrace::otlp {

namespace otlp_proto = ::opentelemetry::proto;
using KeyValues = google::protobuf::RepeatedPtrField<otlp_proto::common::v1::KeyValue>;

// Writes the id's bytes into an OTLP bytes field.
void set_id(std::string* out, const core::TraceId& id);
void set_id(std::string* out, const core::SpanId& id);

// Overwrites `out` with `value`.
void to_any_value(const core::AttributeValue& value, otlp_proto::common::v1::AnyValue& out);

// Appends one attribute.
void add_attribute(KeyValues& out, std::string_view key, const core::AttributeValue& value);
void add_string_attribute(KeyValues& out, std::string_view key, std::string_view value);
void add_int_attribute(KeyValues& out, std::string_view key, std::int64_t value);

// Appends every attribute of `attributes`, in order.
void add_attributes(KeyValues& out, const core::Attributes& attributes);

// Overwrites `out` with the resource's attributes and dropped count. (The schema URL lives
// in ResourceSpans/ResourceLogs, which the caller sets.)
void to_otlp_resource(const core::Resource& resource, otlp_proto::resource::v1::Resource& out);

}  // namespace edgetrace::otlp
