#include "otlp_json.hpp"

#include <cstdio>

#include "edgetrace/core/severity.hpp"
#include "edgetrace/decoder/render.hpp"

namespace edgetrace::cli {
namespace {

using decoder::Record;
using decoder::RecordKind;

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::span<const std::uint8_t> bytes, std::string& out) {
  for (std::uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
}

void append_base64(std::span<const std::uint8_t> in, std::string& out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v =
        (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  if (i < in.size()) {
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (i + 1 < in.size())
      v |= std::uint32_t{in[i + 1]} << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
}

void append_value(const core::AttributeValue& value, std::string& out) {
  if (const auto* s = value.get_if<std::string>()) {
    out += "{\"stringValue\":";
    core::append_json_string(out, *s, decoder::kJsonEscape);
  } else if (const auto* b = value.get_if<bool>()) {
    out += *b ? "{\"boolValue\":true" : "{\"boolValue\":false";
  } else if (const auto* i = value.get_if<std::int64_t>()) {
    out += "{\"intValue\":\"" + std::to_string(*i) + "\"";
  } else if (const auto* d = value.get_if<double>()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    const std::string text = buf;
    // JSON has no NaN or infinities; OTLP/JSON writes them as strings.
    if (text == "nan" || text == "-nan")
      out += "{\"doubleValue\":\"NaN\"";
    else if (text == "inf")
      out += "{\"doubleValue\":\"Infinity\"";
    else if (text == "-inf")
      out += "{\"doubleValue\":\"-Infinity\"";
    else
      out += "{\"doubleValue\":" + text;
  } else if (const auto* bytes = value.get_if<core::Bytes>()) {
    out += "{\"bytesValue\":\"";
    append_base64(*bytes, out);
    out += "\"";
  } else {
    out += "{\"stringValue\":";
    core::append_json_string(out, value.to_display_string(), decoder::kJsonEscape);
  }
  out += "}";
}

void append_attribute(std::string_view key, const core::AttributeValue& value, bool& first,
                      std::string& out) {
  if (!first)
    out += ",";
  first = false;
  out += "{\"key\":";
  core::append_json_string(out, key, decoder::kJsonEscape);
  out += ",\"value\":";
  append_value(value, out);
  out += "}";
}

void append_resource(const OtlpJsonContext& c, std::string& out) {
  out += "\"resource\":{\"attributes\":[";
  bool first = true;
  append_attribute("service.name", core::AttributeValue(c.service_name), first, out);
  if (c.handshake != nullptr) {
    std::string device;
    append_hex(c.handshake->device_id, device);
    std::string build;
    append_hex(c.handshake->build_id, build);
    if (!device.empty())
      append_attribute("device.id", core::AttributeValue(device), first, out);
    if (!build.empty())
      append_attribute("edgetrace.build_id", core::AttributeValue(build), first, out);
    append_attribute("edgetrace.boot",
                     core::AttributeValue(static_cast<std::int64_t>(c.handshake->boot_counter)),
                     first, out);
  }
  out += "]}";
}

void append_scope(const OtlpJsonContext& c, std::string& out) {
  out += "\"scope\":{\"name\":";
  core::append_json_string(out, "edgetrace.decode." + c.format_name, decoder::kJsonEscape);
  out += "}";
}

void append_location(const Record& r, bool& first, std::string& out) {
  if (!r.location.file.empty())
    append_attribute("code.file.path", core::AttributeValue(r.location.file), first, out);
  if (r.location.line != 0)
    append_attribute("code.line.number",
                     core::AttributeValue(static_cast<std::int64_t>(r.location.line)), first, out);
  if (!r.location.module.empty())
    append_attribute("code.namespace", core::AttributeValue(r.location.module), first, out);
}

// FNV-1a over the device identity, the basis of derived ids.
std::uint64_t device_hash(const OtlpJsonContext& c) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](std::uint8_t b) {
    h ^= b;
    h *= 0x100000001b3ull;
  };
  if (c.handshake != nullptr) {
    for (std::uint8_t b : c.handshake->device_id)
      mix(b);
    for (int i = 0; i < 8; ++i)
      mix(static_cast<std::uint8_t>(c.handshake->boot_counter >> (8 * i)));
  }
  return h;
}

void append_u64_hex(std::uint64_t v, std::string& out) {
  for (int i = 15; i >= 0; --i)
    out.push_back(kHex[(v >> (4 * i)) & 0xf]);
}

void append_span_id(const OtlpJsonContext& c, std::uint64_t local, std::string& out) {
  // High half: the device and boot; low half: the device's local id (never 0 for a span).
  append_u64_hex((device_hash(c) & 0xffffffff00000000ull) | (local & 0xffffffffull), out);
}

}  // namespace

bool append_otlp_json(const Record& r, const OtlpJsonContext& c, std::string& out) {
  const std::string time = r.time_unix_nano ? std::to_string(*r.time_unix_nano) : std::string("0");
  if (r.kind == RecordKind::kLog || r.kind == RecordKind::kPrintln) {
    out += "{\"resourceLogs\":[{";
    append_resource(c, out);
    out += ",\"scopeLogs\":[{";
    append_scope(c, out);
    out += ",\"logRecords\":[{\"timeUnixNano\":\"" + time + "\"";
    if (r.level) {
      out += ",\"severityNumber\":" + std::to_string(core::severity_number(*r.level));
      out += ",\"severityText\":";
      core::append_json_string(out, core::severity_text(*r.level), decoder::kJsonEscape);
    }
    out += ",\"body\":{\"stringValue\":";
    core::append_json_string(out, r.message, decoder::kJsonEscape);
    out += "},\"attributes\":[";
    bool first = true;
    for (const auto& arg : r.args)
      append_attribute(arg.name, arg.value, first, out);
    append_location(r, first, out);
    if (r.has_ticks)
      append_attribute("edgetrace.device_ticks",
                       core::AttributeValue(static_cast<std::int64_t>(r.device_ticks)), first, out);
    out += "]}]}]}]}\n";
    return true;
  }
  if (r.kind != RecordKind::kSpanExit)
    return false;
  out += "{\"resourceSpans\":[{";
  append_resource(c, out);
  out += ",\"scopeSpans\":[{";
  append_scope(c, out);
  out += ",\"spans\":[{\"traceId\":\"";
  if (r.trace_id) {
    out += r.trace_id->to_hex();
  } else {
    append_u64_hex(device_hash(c), out);
    append_u64_hex(r.root_span_id, out);
  }
  out += "\",\"spanId\":\"";
  append_span_id(c, r.span_id, out);
  out += "\"";
  if (r.parent_span_id != 0) {
    out += ",\"parentSpanId\":\"";
    append_span_id(c, r.parent_span_id, out);
    out += "\"";
  } else if (r.remote_parent) {
    out += ",\"parentSpanId\":\"" + r.remote_parent->span_id.to_hex() + "\"";
  }
  out += ",\"name\":";
  core::append_json_string(out, r.span_name, decoder::kJsonEscape);
  out += ",\"kind\":1";
  std::string start = "0";
  const std::uint64_t hz = c.handshake != nullptr ? c.handshake->tick_hz : 0;
  if (r.time_unix_nano && hz != 0) {
    const std::uint64_t ticks = r.end_ticks - r.start_ticks;
    const auto nanos =
        static_cast<std::uint64_t>(static_cast<double>(ticks) * 1e9 / static_cast<double>(hz));
    start = std::to_string(*r.time_unix_nano >= nanos ? *r.time_unix_nano - nanos : 0);
  }
  out += ",\"startTimeUnixNano\":\"" + start + "\",\"endTimeUnixNano\":\"" + time + "\"";
  out += ",\"attributes\":[";
  bool first = true;
  append_attribute("edgetrace.duration_ticks",
                   core::AttributeValue(static_cast<std::int64_t>(r.end_ticks - r.start_ticks)),
                   first, out);
  if (r.in_interrupt)
    append_attribute("edgetrace.in_interrupt", core::AttributeValue(true), first, out);
  out += "]}]}]}]}\n";
  return true;
}

}  // namespace edgetrace::cli
