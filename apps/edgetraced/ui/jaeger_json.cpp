#include "ui/jaeger_json.hpp"

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/json.hpp"
#include "edgetrace/core/severity.hpp"

namespace edgetrace::daemon::ui {
namespace {

using opentelemetry::proto::common::v1::AnyValue;
using opentelemetry::proto::common::v1::KeyValue;
using opentelemetry::proto::trace::v1::Span;
using opentelemetry::proto::trace::v1::Status;
constexpr auto kEscape = core::JsonEscape::kShortForms;

// pkg/translator/jaeger in the OpenTelemetry Collector: a resource without service.name.
constexpr std::string_view kNoServiceName = "OTLPResourceNoServiceName";

void append_string(std::string& out, std::string_view s) {
  core::append_json_string(out, s, kEscape);
}

template <typename T>
void append_int(std::string& out, T v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_double(std::string& out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_micros(std::string& out, std::uint64_t nanos) {
  append_int(out, nanos / 1000);
}

void append_base64(std::string& out, std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out += '"';
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += kAlphabet[v >> 6 & 63];
    out += kAlphabet[v & 63];
  }
  if (const std::size_t left = bytes.size() - i; left > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (left == 2)
      v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += left == 2 ? kAlphabet[v >> 6 & 63] : '=';
    out += '=';
  }
  out += '"';
}

// A value as plain JSON (inside the string form of arrays and maps).
void append_plain_json(std::string& out, const AnyValue& v) {
  switch (v.value_case()) {
    case AnyValue::kStringValue:
      append_string(out, v.string_value());
      return;
    case AnyValue::kBoolValue:
      out += v.bool_value() ? "true" : "false";
      return;
    case AnyValue::kIntValue:
      append_int(out, v.int_value());
      return;
    case AnyValue::kDoubleValue:
      if (std::isfinite(v.double_value()))
        append_double(out, v.double_value());
      else
        out += "null";
      return;
    case AnyValue::kBytesValue:
      append_base64(out, v.bytes_value());
      return;
    case AnyValue::kArrayValue: {
      out += '[';
      bool first = true;
      for (const AnyValue& item : v.array_value().values()) {
        if (!first)
          out += ',';
        first = false;
        append_plain_json(out, item);
      }
      out += ']';
      return;
    }
    case AnyValue::kKvlistValue: {
      out += '{';
      bool first = true;
      for (const KeyValue& kv : v.kvlist_value().values()) {
        if (!first)
          out += ',';
        first = false;
        append_string(out, kv.key());
        out += ':';
        append_plain_json(out, kv.value());
      }
      out += '}';
      return;
    }
    default:
      out += "null";
      return;
  }
}

void append_tag_prefix(std::string& out, std::string_view key, std::string_view type) {
  out += "{\"key\":";
  append_string(out, key);
  out += ",\"type\":\"";
  out += type;
  out += "\",\"value\":";
}

void append_string_tag(std::string& out, std::string_view key, std::string_view value) {
  append_tag_prefix(out, key, "string");
  append_string(out, value);
  out += '}';
}

void append_tag(std::string& out, std::string_view key, const AnyValue& v) {
  switch (v.value_case()) {
    case AnyValue::kBoolValue:
      append_tag_prefix(out, key, "bool");
      out += v.bool_value() ? "true" : "false";
      break;
    case AnyValue::kIntValue:
      append_tag_prefix(out, key, "int64");
      append_int(out, v.int_value());
      break;
    case AnyValue::kDoubleValue:
      if (!std::isfinite(v.double_value())) {
        // JSON has no NaN or infinity: the text, as a string tag.
        append_tag_prefix(out, key, "string");
        append_string(out, std::isnan(v.double_value()) ? "NaN"
                           : v.double_value() > 0       ? "+Inf"
                                                        : "-Inf");
        break;
      }
      append_tag_prefix(out, key, "float64");
      append_double(out, v.double_value());
      break;
    case AnyValue::kBytesValue:
      append_tag_prefix(out, key, "binary");
      append_base64(out, v.bytes_value());
      break;
    case AnyValue::kArrayValue:
    case AnyValue::kKvlistValue: {
      std::string json;
      append_plain_json(json, v);
      append_tag_prefix(out, key, "string");
      append_string(out, json);
      break;
    }
    case AnyValue::kStringValue:
      append_tag_prefix(out, key, "string");
      append_string(out, v.string_value());
      break;
    default:
      append_tag_prefix(out, key, "string");
      out += "\"\"";
      break;
  }
  out += '}';
}

std::string_view service_name(const opentelemetry::proto::resource::v1::Resource& resource) {
  for (const KeyValue& kv : resource.attributes()) {
    if (kv.key() == "service.name" && kv.value().value_case() == AnyValue::kStringValue)
      return kv.value().string_value();
  }
  return {};
}

std::string_view span_kind_name(Span::SpanKind kind) {
  switch (kind) {
    case Span::SPAN_KIND_CLIENT:
      return "client";
    case Span::SPAN_KIND_SERVER:
      return "server";
    case Span::SPAN_KIND_PRODUCER:
      return "producer";
    case Span::SPAN_KIND_CONSUMER:
      return "consumer";
    case Span::SPAN_KIND_INTERNAL:
      return "internal";
    default:
      return {};
  }
}

void append_id_field(std::string& out, std::string_view name, std::string_view bytes) {
  out += '"';
  out += name;
  out += "\":\"";
  out += core::to_hex(bytes);
  out += '"';
}

void append_span(std::string& out, const store::StoredSpan& stored, std::string_view process_id) {
  const Span& s = stored.span;
  out += '{';
  append_id_field(out, "traceID", s.trace_id());
  out += ',';
  append_id_field(out, "spanID", s.span_id());
  out += ",\"flags\":1,\"operationName\":";
  append_string(out, s.name());
  out += ",\"references\":[";
  bool first = true;
  auto reference = [&](std::string_view type, const std::string& trace_id,
                       const std::string& span_id) {
    if (!first)
      out += ',';
    first = false;
    out += "{\"refType\":\"";
    out += type;
    out += "\",";
    append_id_field(out, "traceID", trace_id);
    out += ',';
    append_id_field(out, "spanID", span_id);
    out += '}';
  };
  if (!s.parent_span_id().empty())
    reference("CHILD_OF", s.trace_id(), s.parent_span_id());
  for (const auto& link : s.links())
    reference("FOLLOWS_FROM", link.trace_id(), link.span_id());
  out += "],\"startTime\":";
  append_micros(out, s.start_time_unix_nano());
  out += ",\"duration\":";
  append_micros(out, s.end_time_unix_nano() > s.start_time_unix_nano()
                         ? s.end_time_unix_nano() - s.start_time_unix_nano()
                         : 0);
  out += ",\"tags\":[";
  first = true;
  auto comma = [&] {
    if (!first)
      out += ',';
    first = false;
  };
  if (!stored.scope.name().empty()) {
    comma();
    append_string_tag(out, "otel.scope.name", stored.scope.name());
  }
  if (!stored.scope.version().empty()) {
    comma();
    append_string_tag(out, "otel.scope.version", stored.scope.version());
  }
  for (const KeyValue& kv : s.attributes()) {
    comma();
    append_tag(out, kv.key(), kv.value());
  }
  if (std::string_view kind = span_kind_name(s.kind()); !kind.empty()) {
    comma();
    append_string_tag(out, "span.kind", kind);
  }
  if (s.status().code() == Status::STATUS_CODE_OK) {
    comma();
    append_string_tag(out, "otel.status_code", "OK");
  } else if (s.status().code() == Status::STATUS_CODE_ERROR) {
    comma();
    append_string_tag(out, "otel.status_code", "ERROR");
    comma();
    append_tag_prefix(out, "error", "bool");
    out += "true}";
  }
  if (!s.status().message().empty()) {
    comma();
    append_string_tag(out, "otel.status_description", s.status().message());
  }
  out += "],\"logs\":[";
  first = true;
  for (const auto& event : s.events()) {
    comma();
    out += "{\"timestamp\":";
    append_micros(out, event.time_unix_nano());
    out += ",\"fields\":[";
    bool first_field = true;
    if (!event.name().empty()) {
      append_string_tag(out, "event", event.name());
      first_field = false;
    }
    for (const KeyValue& kv : event.attributes()) {
      if (!first_field)
        out += ',';
      first_field = false;
      append_tag(out, kv.key(), kv.value());
    }
    out += "]}";
  }
  out += "],\"processID\":";
  append_string(out, process_id);
  out += ",\"warnings\":null}";
}

}  // namespace

void append_tags(std::string& out, const google::protobuf::RepeatedPtrField<KeyValue>& attributes,
                 std::string_view skip_key) {
  out += '[';
  bool first = true;
  for (const KeyValue& kv : attributes) {
    if (!skip_key.empty() && kv.key() == skip_key)
      continue;
    if (!first)
      out += ',';
    first = false;
    append_tag(out, kv.key(), kv.value());
  }
  out += ']';
}

void append_jaeger_trace(std::string& out, std::span<const store::StoredSpan> spans) {
  // Process ids: one per distinct resource, by its encoding, in order of first appearance.
  std::vector<std::string> resources;
  std::vector<std::size_t> process_of(spans.size());
  for (std::size_t i = 0; i < spans.size(); ++i) {
    std::string key = spans[i].resource.SerializeAsString();
    std::size_t p = 0;
    while (p < resources.size() && resources[p] != key)
      ++p;
    if (p == resources.size())
      resources.push_back(std::move(key));
    process_of[i] = p;
  }
  out += "{\"traceID\":\"";
  if (!spans.empty())
    out += core::to_hex(spans.front().span.trace_id());
  out += "\",\"spans\":[";
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (i > 0)
      out += ',';
    append_span(out, spans[i], "p" + std::to_string(process_of[i] + 1));
  }
  out += "],\"processes\":{";
  std::size_t written = 0;
  for (std::size_t i = 0; i < spans.size() && written < resources.size(); ++i) {
    if (process_of[i] != written)
      continue;
    if (written > 0)
      out += ',';
    ++written;
    append_string(out, "p" + std::to_string(written));
    out += ":{\"serviceName\":";
    std::string_view name = service_name(spans[i].resource);
    append_string(out, name.empty() ? kNoServiceName : name);
    out += ",\"tags\":";
    append_tags(out, spans[i].resource.attributes(), "service.name");
    out += '}';
  }
  out += "},\"warnings\":null}";
}

std::string jaeger_envelope(std::string_view data_json, std::size_t total) {
  std::string out = "{\"data\":";
  out += data_json;
  out += ",\"total\":";
  append_int(out, total);
  out += ",\"limit\":0,\"offset\":0,\"errors\":null}";
  return out;
}

std::string jaeger_error(int code, std::string_view message) {
  std::string out = "{\"data\":null,\"total\":0,\"limit\":0,\"offset\":0,\"errors\":[{\"code\":";
  append_int(out, code);
  out += ",\"msg\":";
  append_string(out, message);
  out += "}]}";
  return out;
}

void append_log(std::string& out, const store::LogRow& row) {
  const auto& r = row.log.record;
  const std::uint64_t nanos =
      r.time_unix_nano() != 0 ? r.time_unix_nano() : r.observed_time_unix_nano();
  out += "{\"id\":";
  append_int(out, row.id);
  out += ",\"timestamp\":";
  append_micros(out, nanos);
  out += ",\"timeUnixNano\":\"";
  append_int(out, nanos);
  out += "\",\"severityNumber\":";
  append_int(out, static_cast<int>(r.severity_number()));
  out += ",\"severityText\":";
  if (!r.severity_text().empty()) {
    append_string(out, r.severity_text());
  } else if (auto level = core::level_from_severity_number(static_cast<int>(r.severity_number()))) {
    append_string(out, core::severity_text(*level));
  } else {
    out += "\"\"";
  }
  out += ",\"body\":";
  if (r.body().value_case() == AnyValue::kStringValue) {
    append_string(out, r.body().string_value());
  } else if (r.body().value_case() == AnyValue::VALUE_NOT_SET) {
    out += "\"\"";
  } else {
    std::string json;
    append_plain_json(json, r.body());
    append_string(out, json);
  }
  out += ",\"service\":";
  append_string(out, service_name(row.log.resource));
  out += ",\"traceID\":\"";
  if (r.trace_id().size() == 16)
    out += core::to_hex(r.trace_id());
  out += "\",\"spanID\":\"";
  if (r.span_id().size() == 8)
    out += core::to_hex(r.span_id());
  out += "\",\"attributes\":";
  append_tags(out, r.attributes());
  out += ",\"resource\":";
  append_tags(out, row.log.resource.attributes(), "service.name");
  out += ",\"scope\":";
  append_string(out, row.log.scope.name());
  out += '}';
}

void append_summary(std::string& out, const store::TraceSummary& s) {
  out += "{\"seq\":";
  append_int(out, s.seq);
  out += ",\"traceID\":\"";
  out += s.trace_id.to_hex();
  out += "\",\"service\":";
  append_string(out, s.service);
  out += ",\"rootName\":";
  append_string(out, s.root_name);
  out += ",\"startTime\":";
  append_micros(out, s.start_unix_nano);
  out += ",\"duration\":";
  append_micros(out, s.duration_ns);
  out += ",\"spanCount\":";
  append_int(out, s.span_count);
  out += ",\"error\":";
  out += s.error ? "true" : "false";
  out += '}';
}

}  // namespace edgetrace::daemon::ui
