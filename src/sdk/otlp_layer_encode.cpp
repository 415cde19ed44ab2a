// SDK span records and log items -> OTLP protobuf wire bytes (see internal/otlp_encode.hpp).
// The wire format: https://protobuf.dev/programming-guides/encoding/ (varints, tags = field << 3 |
// wire type, length-delimited submessages); proto3 scalars equal to their default are
// left out, as the protobuf library's own serializer does.
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

#include "edgetrace/core/severity.hpp"
#include "edgetrace/core/trace_context.hpp"
#include "internal/otlp_convert.hpp"
#include "internal/otlp_encode.hpp"

namespace edgetrace::sdk::internal {
namespace {

enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

std::size_t varint_size(std::uint64_t v) noexcept {
  // 1 + floor(bits / 7), bits = 64 - clz(v | 1)
  return static_cast<std::size_t>((64 - std::countl_zero(v | 1) + 6) / 7);
}

void put_varint(std::string& out, std::uint64_t v) {
  char buf[10];
  std::size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

void put_tag(std::string& out, std::uint32_t field, WireType type) {
  put_varint(out, (static_cast<std::uint64_t>(field) << 3) | type);
}

void put_fixed64(std::string& out, std::uint32_t field, std::uint64_t v) {
  put_tag(out, field, kFixed64);
  char buf[8];
  for (int i = 0; i < 8; ++i)
    buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out.append(buf, 8);
}

void put_fixed32(std::string& out, std::uint32_t field, std::uint32_t v) {
  put_tag(out, field, kFixed32);
  char buf[4];
  for (int i = 0; i < 4; ++i)
    buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out.append(buf, 4);
}

void put_bytes(std::string& out, std::uint32_t field, std::string_view bytes) {
  put_tag(out, field, kLen);
  put_varint(out, bytes.size());
  out.append(bytes.data(), bytes.size());
}

// A proto3 string or bytes field: left out when empty.
void put_nonempty(std::string& out, std::uint32_t field, std::string_view bytes) {
  if (!bytes.empty())
    put_bytes(out, field, bytes);
}

template <std::size_t N>
std::string_view id_bytes(const core::ByteId<N>& id) {
  return {reinterpret_cast<const char*>(id.bytes().data()), N};
}

// AnyValue fields (common.proto): string_value 1, bool_value 2, int_value 3, double_value 4.
// Returns the encoded AnyValue's size and appends it to `scratch` when it is not a scalar
// the caller writes itself.
struct AnyValueBytes {
  std::uint32_t field = 0;  // 0: empty AnyValue, or pre-encoded in `encoded`
  WireType type = kVarint;
  std::uint64_t scalar = 0;
  std::string_view text;
  std::string encoded;  // a complex value (arrays, bytes, big unsigned), encoded
  bool use_encoded = false;

  std::size_t size() const noexcept {
    if (use_encoded)
      return encoded.size();
    if (field == 0)
      return 0;
    const std::size_t tag = 1;  // fields 1-4: one-byte tags
    switch (type) {
      case kVarint:
        return tag + varint_size(scalar);
      case kFixed64:
        return tag + 8;
      case kLen:
        return tag + varint_size(text.size()) + text.size();
      case kFixed32:
        return tag + 4;
    }
    return 0;
  }
  void write(std::string& out) const {
    if (use_encoded) {
      out.append(encoded);
      return;
    }
    if (field == 0)
      return;
    switch (type) {
      case kVarint:
        put_tag(out, field, kVarint);
        put_varint(out, scalar);
        break;
      case kFixed64:
        put_fixed64(out, field, scalar);
        break;
      case kLen:
        put_bytes(out, field, text);
        break;
      case kFixed32:
        break;
    }
  }
};

void describe(const Value& v, AnyValueBytes& a) {
  a.use_encoded = false;
  a.field = 0;
  switch (v.kind()) {
    case Value::Kind::kEmpty:
      return;
    case Value::Kind::kBool:
      a.field = 2;
      a.type = kVarint;
      a.scalar = v.as_bool() ? 1 : 0;
      return;
    case Value::Kind::kInt:
      a.field = 3;
      a.type = kVarint;
      a.scalar = static_cast<std::uint64_t>(v.as_int());
      return;
    case Value::Kind::kUint:
      if (v.as_uint() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        a.field = 3;
        a.type = kVarint;
        a.scalar = v.as_uint();
        return;
      }
      break;  // a decimal string, as to_any_value() makes it
    case Value::Kind::kDouble:
      a.field = 4;
      a.type = kFixed64;
      a.scalar = std::bit_cast<std::uint64_t>(v.as_double());
      return;
    case Value::Kind::kString:
      a.field = 1;
      a.type = kLen;
      a.text = v.as_string();
      return;
    case Value::Kind::kAttribute:
      break;
  }
  // Rare shapes (arrays, bytes, unsigned values above INT64_MAX): through the message.
  otlp_proto::common::v1::AnyValue message;
  to_any_value(v, message);
  a.encoded.clear();
  message.AppendToString(&a.encoded);
  a.use_encoded = true;
}

// KeyValue: key 1, value 2 (always present, as the message path sets it). Writes the first
// `count_limit` fields, string values cut to `length_limit` characters; returns the number
// of fields dropped (by the store and by the limit), as to_otlp_span() counts them.
std::size_t put_attributes(std::string& out, std::uint32_t field, const FieldStore& fields,
                           AnyValueBytes& scratch, std::size_t count_limit,
                           std::size_t length_limit) {
  thread_local core::AttributeValue cut;  // a cut string array, reused
  const std::size_t n = std::min(fields.size(), count_limit);
  for (std::size_t i = 0; i < n; ++i) {
    const Field f = fields[i];
    describe(limited_value(f.value, length_limit, cut), scratch);
    const std::size_t value_size = scratch.size();
    const std::size_t key_part =
        f.name.empty() ? 0 : 1 + varint_size(f.name.size()) + f.name.size();
    const std::size_t kv_size = key_part + 1 + varint_size(value_size) + value_size;
    put_tag(out, field, kLen);
    put_varint(out, kv_size);
    put_nonempty(out, 1, f.name);
    put_tag(out, 2, kLen);
    put_varint(out, value_size);
    scratch.write(out);
  }
  return fields.dropped() + (fields.size() - n);
}

void put_uint(std::string& out, std::uint32_t field, std::uint64_t v) {
  if (v == 0)
    return;
  put_tag(out, field, kVarint);
  put_varint(out, v);
}

std::uint32_t span_flags(core::TraceFlags flags, bool remote) {
  return (flags.bits & 0xffu) | kSpanFlagsHasIsRemote | (remote ? kSpanFlagsIsRemote : 0u);
}

thread_local AnyValueBytes t_value;
thread_local std::string t_nested;

// A KeyValue's tag, length, key and the AnyValue's tag and length, for an AnyValue of
// `any_size` bytes that the caller writes next.
void put_key_value_head(std::string& out, std::uint32_t field, std::string_view key,
                        std::size_t any_size) {
  const std::size_t key_part = key.empty() ? 0 : 1 + varint_size(key.size()) + key.size();
  put_tag(out, field, kLen);
  put_varint(out, key_part + 1 + varint_size(any_size) + any_size);
  put_nonempty(out, 1, key);
  put_tag(out, 2, kLen);
  put_varint(out, any_size);
}

// A KeyValue whose value is a string (string_value 1, written even when empty: a oneof
// member that is set), as otlp::add_string_attribute() makes it.
void put_string_attribute(std::string& out, std::uint32_t field, std::string_view key,
                          std::string_view value) {
  put_key_value_head(out, field, key, 1 + varint_size(value.size()) + value.size());
  put_bytes(out, 1, value);
}

// A KeyValue whose value is an int (int_value 3, written even when 0), as
// otlp::add_int_attribute() makes it.
void put_int_attribute(std::string& out, std::uint32_t field, std::string_view key,
                       std::int64_t value) {
  const auto v = static_cast<std::uint64_t>(value);
  put_key_value_head(out, field, key, 1 + varint_size(v));
  put_tag(out, 3, kVarint);
  put_varint(out, v);
}

// A ResourceSpans' or ResourceLogs' resource (field 1) and schema URL (field 3), encoded
// once per encoder.
template <typename ResourceGroup>
void put_resource_fields(const ResourceGroup& r, std::string& resource_field,
                         std::string& schema_field) {
  if (r.has_resource())
    put_bytes(resource_field, 1, r.resource().SerializeAsString());
  put_nonempty(schema_field, 3, r.schema_url());
}

}  // namespace

SpanRequestEncoder::SpanRequestEncoder(const otlp::ExportTraceServiceRequest& skeleton,
                                       const OtlpLimits& limits)
    : limits_(limits) {
  if (skeleton.resource_spans_size() == 0)
    return;
  const auto& rs = skeleton.resource_spans(0);
  put_resource_fields(rs, resource_field_, rs_schema_field_);
  if (rs.scope_spans_size() > 0) {
    const auto& ss = rs.scope_spans(0);
    if (ss.has_scope())
      put_bytes(scope_field_, 1, ss.scope().SerializeAsString());
    put_nonempty(ss_schema_field_, 3, ss.schema_url());
  }
}

void SpanRequestEncoder::clear() noexcept {
  spans_.clear();
  count_ = 0;
}

// Span (trace.proto): trace_id 1, span_id 2, trace_state 3, parent_span_id 4, name 5,
// kind 6, start_time_unix_nano 7, end_time_unix_nano 8, attributes 9,
// dropped_attributes_count 10, events 11, dropped_events_count 12, links 13,
// dropped_links_count 14, status 15, flags 16.
void SpanRequestEncoder::add(const SpanRecord& r) {
  const OtlpLimits& limits = limits_;
  const std::size_t length = limits.span_attribute_value_length;
  std::string& s = span_;
  s.clear();
  put_bytes(s, 1, id_bytes(r.context.trace_id));
  put_bytes(s, 2, id_bytes(r.context.span_id));
  if (!r.context.state.empty())
    put_nonempty(s, 3, r.context.state.to_header());
  if (r.parent_span_id.valid())
    put_bytes(s, 4, id_bytes(r.parent_span_id));
  put_nonempty(s, 5, r.name());
  put_uint(s, 6, static_cast<std::uint64_t>(r.kind));
  if (r.start_unix_nano != 0)
    put_fixed64(s, 7, r.start_unix_nano);
  if (r.end_unix_nano != 0)
    put_fixed64(s, 8, r.end_unix_nano);
  put_uint(s, 10, put_attributes(s, 9, r.attributes, t_value, limits.span_attribute_count, length));
  // Event: time_unix_nano 1, name 2, attributes 3, dropped_attributes_count 4.
  const std::size_t event_count = std::min(r.event_count, limits.span_event_count);
  for (std::size_t i = 0; i < event_count; ++i) {
    const SpanEventData& e = r.events[i];
    std::string& n = t_nested;
    n.clear();
    if (e.time_unix_nano != 0)
      put_fixed64(n, 1, e.time_unix_nano);
    put_nonempty(n, 2, e.name);
    put_uint(n, 4, put_attributes(n, 3, e.fields, t_value, limits.event_attribute_count, length));
    put_bytes(s, 11, n);
  }
  put_uint(s, 12, r.dropped_events + (r.event_count - event_count));
  // Link: trace_id 1, span_id 2, trace_state 3, attributes 4, dropped_attributes_count 5,
  // flags 6.
  const std::size_t link_count = std::min(r.link_count, limits.span_link_count);
  for (std::size_t i = 0; i < link_count; ++i) {
    const SpanLinkData& l = r.links[i];
    std::string& n = t_nested;
    n.clear();
    put_bytes(n, 1, id_bytes(l.context.trace_id));
    put_bytes(n, 2, id_bytes(l.context.span_id));
    if (!l.context.state.empty())
      put_nonempty(n, 3, l.context.state.to_header());
    put_uint(n, 5, put_attributes(n, 4, l.fields, t_value, limits.link_attribute_count, length));
    put_fixed32(n, 6, span_flags(l.context.flags, l.context.remote));
    put_bytes(s, 13, n);
  }
  put_uint(s, 14, r.link_count - link_count);
  // Status: message 2, code 3 (always present, as the message path sets it).
  {
    const std::string_view message = r.status_message;
    const auto code = static_cast<std::uint64_t>(r.status);
    const std::size_t size =
        (message.empty() ? 0 : 1 + varint_size(message.size()) + message.size()) +
        (code == 0 ? 0 : 1 + varint_size(code));
    put_tag(s, 15, kLen);
    put_varint(s, size);
    put_nonempty(s, 2, message);
    put_uint(s, 3, code);
  }
  put_fixed32(s, 16, span_flags(r.context.flags, r.parent_remote));
  put_bytes(spans_, 2, s);
  ++count_;
}

const std::string& SpanRequestEncoder::finish() {
  const std::size_t ss_size = scope_field_.size() + spans_.size() + ss_schema_field_.size();
  const std::size_t ss_field = 1 + varint_size(ss_size) + ss_size;
  const std::size_t rs_size = resource_field_.size() + ss_field + rs_schema_field_.size();
  out_.clear();
  out_.reserve(1 + varint_size(rs_size) + rs_size);
  put_tag(out_, 1, kLen);  // ExportTraceServiceRequest.resource_spans
  put_varint(out_, rs_size);
  out_.append(resource_field_);
  put_tag(out_, 2, kLen);  // ResourceSpans.scope_spans
  put_varint(out_, ss_size);
  out_.append(scope_field_);
  out_.append(spans_);
  out_.append(ss_schema_field_);
  out_.append(rs_schema_field_);
  return out_;
}

LogRequestEncoder::LogRequestEncoder(const otlp::ExportLogsServiceRequest& skeleton,
                                     std::string default_scope, std::string scope_version,
                                     const LogRecordOptions& options)
    : default_scope_(std::move(default_scope)),
      scope_version_(std::move(scope_version)),
      options_(options) {
  if (skeleton.resource_logs_size() == 0)
    return;
  put_resource_fields(skeleton.resource_logs(0), resource_field_, rl_schema_field_);
}

void LogRequestEncoder::clear() noexcept {
  for (std::size_t i = 0; i < used_scopes_; ++i)
    scopes_[i].records.clear();
  used_scopes_ = 0;
  count_ = 0;
}

// LogRecord (logs.proto): time_unix_nano 1, severity_number 2, severity_text 3, body 5,
// attributes 6, dropped_attributes_count 7, flags 8, trace_id 9, span_id 10,
// observed_time_unix_nano 11.
void LogRequestEncoder::add(const OtlpLogItem& item) {
  const Metadata& m = *item.metadata;
  std::string& r = record_;
  r.clear();
  if (item.time_unix_nano != 0)
    put_fixed64(r, 1, item.time_unix_nano);
  put_uint(r, 2, static_cast<std::uint64_t>(core::severity_number(m.level)));
  put_nonempty(r, 3, core::severity_text(m.level));
  {
    const std::string_view body = item.message.view();  // AnyValue.string_value, always set
    put_tag(r, 5, kLen);
    put_varint(r, 1 + varint_size(body.size()) + body.size());
    put_bytes(r, 1, body);
  }
  const std::size_t dropped =
      put_attributes(r, 6, item.fields, t_value, options_.attribute_count_limit,
                     options_.attribute_value_length_limit);
  for_each_sdk_log_attribute(
      item, options_,
      [&](std::string_view key, std::string_view value) { put_string_attribute(r, 6, key, value); },
      [&](std::string_view key, std::int64_t value) { put_int_attribute(r, 6, key, value); });
  put_uint(r, 7, dropped);
  if (item.in_sampled_span) {
    if (item.trace_flags != 0)
      put_fixed32(r, 8, item.trace_flags);
    put_bytes(r, 9, id_bytes(item.trace_id));
    put_bytes(r, 10, id_bytes(item.span_id));
  }
  if (item.time_unix_nano != 0)
    put_fixed64(r, 11, item.time_unix_nano);  // observed when it happened, as the message path

  // Its target's scope, added on first use (the same target's call sites share storage).
  const std::string_view target = m.target;
  std::size_t i = 0;
  while (i < used_scopes_ && !same_target(scopes_[i].target, target))
    ++i;
  if (i == used_scopes_) {
    if (used_scopes_ == scopes_.size())
      scopes_.emplace_back();
    Scope& scope = scopes_[i];
    scope.target = target;
    scope.records.clear();
    // ScopeLogs.scope (InstrumentationScope: name 1, version 2), encoded once per batch.
    scope_.clear();
    put_nonempty(scope_, 1, target.empty() ? std::string_view(default_scope_) : target);
    put_nonempty(scope_, 2, scope_version_);
    scope.scope_field.clear();
    put_bytes(scope.scope_field, 1, scope_);
    ++used_scopes_;
  }
  put_bytes(scopes_[i].records, 2, r);
  ++count_;
}

const std::string& LogRequestEncoder::finish() {
  // Each ResourceLogs.scope_logs: the ScopeLogs' scope field, then its log records.
  std::size_t scopes_size = 0;
  for (std::size_t i = 0; i < used_scopes_; ++i) {
    const std::size_t sl_size = scopes_[i].scope_field.size() + scopes_[i].records.size();
    scopes_size += 1 + varint_size(sl_size) + sl_size;
  }
  const std::size_t rl_size = resource_field_.size() + scopes_size + rl_schema_field_.size();
  out_.clear();
  out_.reserve(1 + varint_size(rl_size) + rl_size);
  put_tag(out_, 1, kLen);  // ExportLogsServiceRequest.resource_logs
  put_varint(out_, rl_size);
  out_.append(resource_field_);
  for (std::size_t i = 0; i < used_scopes_; ++i) {
    put_tag(out_, 2, kLen);  // ResourceLogs.scope_logs
    put_varint(out_, scopes_[i].scope_field.size() + scopes_[i].records.size());
    out_.append(scopes_[i].scope_field);
    out_.append(scopes_[i].records);
  }
  out_.append(rl_schema_field_);
  return out_;
}

}  // namespace edgetrace::sdk::internal
