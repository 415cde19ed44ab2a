// SDK records -> OTLP messages, on the OTLP layer's export threads.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <variant>

#include "edgetrace/core/severity.hpp"
#include "edgetrace/otlp/model.hpp"
#include "internal/otlp_convert.hpp"

namespace edgetrace::sdk::internal {
namespace {

using otlp::add_int_attribute;
using otlp::add_string_attribute;
using otlp::KeyValues;
using otlp::set_id;
using otlp_proto::common::v1::AnyValue;
using otlp_proto::common::v1::KeyValue;

void set_string(std::string* out, std::string_view s) {
  out->assign(s.data(), s.size());
}

// Overwrites `out` with the first `count_limit` fields of `store`, their string values cut
// to `length_limit` characters; reuses the KeyValue objects already there. Returns the
// number of fields dropped: those the store dropped and those over the limit.
std::size_t fill_attributes(const FieldStore& store, KeyValues& out, std::size_t count_limit,
                            std::size_t length_limit) {
  thread_local core::AttributeValue scratch;  // the export thread's, reused
  out.Clear();
  const std::size_t n = std::min(store.size(), count_limit);
  for (std::size_t i = 0; i < n; ++i) {
    const Field f = store[i];
    KeyValue* kv = out.Add();
    set_string(kv->mutable_key(), f.name);
    to_any_value(limited_value(f.value, length_limit, scratch), *kv->mutable_value());
  }
  return store.dropped() + (store.size() - n);
}

std::uint32_t as_count(std::size_t n) {
  return static_cast<std::uint32_t>(std::min<std::size_t>(n, UINT32_MAX));
}

// Bits 0-7: W3C trace flags; bits 8-9: whether the context is known to be remote.
std::uint32_t span_flags(core::TraceFlags flags, bool remote) {
  return (flags.bits & 0xffu) | kSpanFlagsHasIsRemote | (remote ? kSpanFlagsIsRemote : 0u);
}

}  // namespace

std::string_view truncate_chars(std::string_view s, std::size_t max_chars) noexcept {
  if (s.size() <= max_chars)  // no more characters than bytes
    return s;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0u) != 0x80u) {  // a character starts here
      if (chars == max_chars)
        return s.substr(0, i);
      ++chars;
    }
  }
  return s;
}

Value limited_value(const Value& value, std::size_t max_chars, core::AttributeValue& scratch) {
  if (max_chars == OtlpLimits::kNone)
    return value;
  if (value.kind() == Value::Kind::kString)
    return Value::of(truncate_chars(value.as_string(), max_chars));
  if (value.kind() != Value::Kind::kAttribute)
    return value;
  const core::AttributeValue& a = value.as_attribute();
  if (const auto* s = a.get_if<std::string>()) {
    const std::string_view cut = truncate_chars(*s, max_chars);
    if (cut.size() == s->size())
      return value;
    scratch = core::AttributeValue(cut);
    return Value::of(scratch);
  }
  if (const auto* strings = a.get_if<std::vector<std::string>>()) {
    bool long_one = false;
    for (const std::string& e : *strings)
      long_one = long_one || truncate_chars(e, max_chars).size() != e.size();
    if (!long_one)
      return value;
    std::vector<std::string> cut;
    cut.reserve(strings->size());
    for (const std::string& e : *strings)
      cut.emplace_back(truncate_chars(e, max_chars));
    scratch = core::AttributeValue(std::move(cut));
    return Value::of(scratch);
  }
  return value;
}

void to_any_value(const Value& value, AnyValue& out) {
  switch (value.kind()) {
    case Value::Kind::kBool:
      out.set_bool_value(value.as_bool());
      return;
    case Value::Kind::kInt:
      out.set_int_value(value.as_int());
      return;
    case Value::Kind::kUint: {
      const std::uint64_t u = value.as_uint();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        out.set_string_value(std::to_string(u));
      } else {
        out.set_int_value(static_cast<std::int64_t>(u));
      }
      return;
    }
    case Value::Kind::kDouble:
      out.set_double_value(value.as_double());
      return;
    case Value::Kind::kString:
      set_string(out.mutable_string_value(), value.as_string());
      return;
    case Value::Kind::kAttribute:
      to_any_value(value.as_attribute(), out);
      return;
    case Value::Kind::kEmpty:
      break;
  }
  out.Clear();
}

void to_otlp_span(const SpanRecord& r, otlp_proto::trace::v1::Span& out, const OtlpLimits& limits) {
  set_id(out.mutable_trace_id(), r.context.trace_id);
  set_id(out.mutable_span_id(), r.context.span_id);
  if (r.context.state.empty()) {
    out.clear_trace_state();
  } else {
    out.set_trace_state(r.context.state.to_header());
  }
  if (r.parent_span_id.valid()) {
    set_id(out.mutable_parent_span_id(), r.parent_span_id);
  } else {
    out.clear_parent_span_id();
  }
  out.set_flags(span_flags(r.context.flags, r.parent_remote));
  set_string(out.mutable_name(), r.name());
  out.set_kind(static_cast<otlp_proto::trace::v1::Span_SpanKind>(r.kind));
  out.set_start_time_unix_nano(r.start_unix_nano);
  out.set_end_time_unix_nano(r.end_unix_nano);
  const std::size_t length = limits.span_attribute_value_length;
  out.set_dropped_attributes_count(as_count(fill_attributes(r.attributes, *out.mutable_attributes(),
                                                            limits.span_attribute_count, length)));

  auto* events = out.mutable_events();
  events->Clear();
  const std::size_t event_count = std::min(r.event_count, limits.span_event_count);
  for (std::size_t i = 0; i < event_count; ++i) {
    const SpanEventData& e = r.events[i];
    auto* pe = events->Add();
    pe->set_time_unix_nano(e.time_unix_nano);
    set_string(pe->mutable_name(), e.name);
    pe->set_dropped_attributes_count(as_count(fill_attributes(
        e.fields, *pe->mutable_attributes(), limits.event_attribute_count, length)));
  }
  out.set_dropped_events_count(as_count(r.dropped_events + (r.event_count - event_count)));

  auto* links = out.mutable_links();
  links->Clear();
  const std::size_t link_count = std::min(r.link_count, limits.span_link_count);
  for (std::size_t i = 0; i < link_count; ++i) {
    const SpanLinkData& l = r.links[i];
    auto* pl = links->Add();
    set_id(pl->mutable_trace_id(), l.context.trace_id);
    set_id(pl->mutable_span_id(), l.context.span_id);
    if (l.context.state.empty()) {
      pl->clear_trace_state();
    } else {
      pl->set_trace_state(l.context.state.to_header());
    }
    pl->set_dropped_attributes_count(as_count(
        fill_attributes(l.fields, *pl->mutable_attributes(), limits.link_attribute_count, length)));
    pl->set_flags(span_flags(l.context.flags, l.context.remote));
  }
  out.set_dropped_links_count(as_count(r.link_count - link_count));

  auto* status = out.mutable_status();
  status->set_code(static_cast<otlp_proto::trace::v1::Status_StatusCode>(r.status));
  set_string(status->mutable_message(), r.status_message);
}

void to_otlp_log_record(const OtlpLogItem& item, const LogRecordOptions& options,
                        otlp_proto::logs::v1::LogRecord& out) {
  const Metadata& m = *item.metadata;
  out.set_time_unix_nano(item.time_unix_nano);
  // The SDK stamps the event when it happens; that is also when it is first observed.
  out.set_observed_time_unix_nano(item.time_unix_nano);
  out.set_severity_number(
      static_cast<otlp_proto::logs::v1::SeverityNumber>(core::severity_number(m.level)));
  set_string(out.mutable_severity_text(), core::severity_text(m.level));
  set_string(out.mutable_body()->mutable_string_value(), item.message.view());

  auto& attributes = *out.mutable_attributes();
  const std::size_t dropped = fill_attributes(
      item.fields, attributes, options.attribute_count_limit, options.attribute_value_length_limit);
  for_each_sdk_log_attribute(
      item, options,
      [&](std::string_view key, std::string_view value) {
        add_string_attribute(attributes, key, value);
      },
      [&](std::string_view key, std::int64_t value) { add_int_attribute(attributes, key, value); });
  out.set_dropped_attributes_count(as_count(dropped));

  if (item.in_sampled_span) {
    set_id(out.mutable_trace_id(), item.trace_id);
    set_id(out.mutable_span_id(), item.span_id);
    out.set_flags(item.trace_flags);
  } else {
    out.clear_trace_id();
    out.clear_span_id();
    out.set_flags(0);
  }
}

LogRequestBuilder::LogRequestBuilder(const otlp::ExportLogsServiceRequest& skeleton,
                                     std::string default_scope, std::string scope_version,
                                     const LogRecordOptions& options)
    : skeleton_(skeleton),
      request_(skeleton),
      default_scope_(std::move(default_scope)),
      scope_version_(std::move(scope_version)),
      options_(options) {}

void LogRequestBuilder::clear() {
  if (request_.resource_logs_size() == 0)  // the processors removed everything
    request_ = skeleton_;
  request_.mutable_resource_logs(0)->mutable_scope_logs()->Clear();
  scope_of_target_.clear();
}

void LogRequestBuilder::add(const OtlpLogItem& item) {
  const std::string_view target = item.metadata->target;
  auto& scopes = *request_.mutable_resource_logs(0)->mutable_scope_logs();
  otlp_proto::logs::v1::ScopeLogs* sl = nullptr;
  for (const auto& [t, i] : scope_of_target_) {
    if (same_target(t, target)) {
      sl = scopes.Mutable(i);
      break;
    }
  }
  if (sl == nullptr) {  // the target's first record of the batch: its scope
    sl = scopes.Add();
    auto* scope = sl->mutable_scope();
    const std::string_view name = target.empty() ? std::string_view(default_scope_) : target;
    scope->mutable_name()->assign(name.data(), name.size());
    scope->set_version(scope_version_);
    scope_of_target_.emplace_back(target, scopes.size() - 1);
  }
  to_otlp_log_record(item, options_, *sl->add_log_records());
}

}  // namespace edgetrace::sdk::internal
