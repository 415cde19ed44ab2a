#include "edgetrace/decoder/render.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <span>

#include "edgetrace/decoder/record.hpp"

namespace edgetrace::decoder {

std::string_view to_string(RecordKind kind) noexcept {
  switch (kind) {
    case RecordKind::kLog:
      return "log";
    case RecordKind::kSpanEnter:
      return "span_enter";
    case RecordKind::kSpanExit:
      return "span_exit";
    case RecordKind::kDropped:
      return "dropped";
    case RecordKind::kHandshake:
      return "handshake";
    case RecordKind::kPrintln:
      return "println";
  }
  return "unknown";
}

void Record::clear() noexcept {
  kind = RecordKind::kLog;
  device_ticks = 0;
  has_ticks = false;
  tick_hz = 0;
  time_uncertain = false;
  time_unix_nano.reset();
  timestamp_text.clear();
  level.reset();
  callsite_id = 0;
  format.clear();
  message.clear();
  args.clear();
  location.file.clear();
  location.line = 0;
  location.module.clear();
  span_id = 0;
  parent_span_id = 0;
  root_span_id = 0;
  trace_id.reset();
  remote_parent.reset();
  in_interrupt = false;
  span_flags = 0;
  start_ticks = 0;
  end_ticks = 0;
  span_name.clear();
  dropped = 0;
  handshake.version = 0;
  handshake.tick_hz = 0;
  handshake.boot_counter = 0;
  handshake.dropped_total = 0;
  handshake.device_id.clear();
  handshake.build_id.clear();
  handshake.build_id_matches = true;
}

namespace {

__extension__ using UInt128 = unsigned __int128;

constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::span<const std::uint8_t> bytes, std::string& out) {
  for (std::uint8_t b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0x0f];
  }
}

void append_u64(std::uint64_t v, std::string& out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_seconds(std::uint64_t ticks, std::uint64_t hz, std::string& out) {
  append_u64(ticks / hz, out);
  const std::uint64_t micros =
      static_cast<std::uint64_t>(static_cast<UInt128>(ticks % hz) * 1000000 / hz);
  char buf[8];
  std::snprintf(buf, sizeof buf, ".%06u", static_cast<unsigned>(micros));
  out += buf;
}

void append_wall_clock(std::uint64_t unix_nanos, std::string& out) {
  const std::time_t secs = static_cast<std::time_t>(unix_nanos / 1000000000u);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned>((unix_nanos % 1000000000u) / 1000u));
  out += buf;
}

const char* level_color(core::Level level) {
  switch (level) {
    case core::Level::kTrace:
      return "\x1b[2m";
    case core::Level::kDebug:
      return "\x1b[34m";
    case core::Level::kInfo:
      return "\x1b[32m";
    case core::Level::kWarn:
      return "\x1b[33m";
    case core::Level::kError:
      return "\x1b[31m";
    case core::Level::kFatal:
      return "\x1b[1;31m";
  }
  return "";
}

void append_time(const Record& r, const TextOptions& o, std::string& out) {
  using Time = TextOptions::Time;
  Time t = o.time;
  // A defmt timestamp as the device formatted it (as defmt-print shows it) unless a numeric
  // form is asked for and the record has one.
  const bool device_text =
      !r.timestamp_text.empty() && t != Time::kNone && (t == Time::kAuto || !r.has_ticks);
  if (t == Time::kAuto) {
    if (r.time_unix_nano) {
      t = Time::kWallClock;
    } else if (!r.has_ticks) {
      t = r.timestamp_text.empty() ? Time::kNone : Time::kTicks;
    } else {
      t = r.tick_hz != 0 ? Time::kSeconds : Time::kTicks;
    }
  }
  if (device_text) {
    out += r.timestamp_text;
    out += ' ';
    return;
  }
  switch (t) {
    case Time::kNone:
    case Time::kAuto:
      return;
    case Time::kTicks:
      out += '@';
      append_u64(r.device_ticks, out);
      break;
    case Time::kSeconds:
      if (r.tick_hz == 0) {
        out += '@';
        append_u64(r.device_ticks, out);
      } else {
        append_seconds(r.device_ticks, r.tick_hz, out);
      }
      break;
    case Time::kWallClock:
      if (r.time_unix_nano) {
        append_wall_clock(*r.time_unix_nano, out);
      } else {
        out += '@';
        append_u64(r.device_ticks, out);
      }
      break;
  }
  out += ' ';
}

void append_location(const Record& r, std::string& out) {
  if (r.location.file.empty() && r.location.module.empty()) {
    return;
  }
  out += " (";
  if (!r.location.module.empty()) {
    out += r.location.module;
    if (!r.location.file.empty()) {
      out += ' ';
    }
  }
  out += r.location.file;
  if (r.location.line != 0) {
    out += ':';
    append_u64(r.location.line, out);
  }
  out += ')';
}

void append_span_name(const Record& r, std::string& out) {
  if (!r.span_name.empty()) {
    out += r.span_name;
  } else {
    out += "site#";
    append_u64(r.callsite_id, out);
  }
}

void append_json_value(const core::AttributeValue& v, std::string& out) {
  const auto& var = v.variant();
  if (const auto* s = std::get_if<std::string>(&var)) {
    core::append_json_string(out, *s, kJsonEscape);
  } else if (const auto* b = std::get_if<bool>(&var)) {
    out += *b ? "true" : "false";
  } else if (const auto* i = std::get_if<std::int64_t>(&var)) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, *i);
    out.append(buf, r.ptr);
  } else if (const auto* d = std::get_if<double>(&var)) {
    if (std::isfinite(*d)) {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, *d);
      out.append(buf, r.ptr);
    } else {
      out += std::isnan(*d) ? "\"NaN\"" : (*d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    }
  } else if (const auto* bytes = std::get_if<core::Bytes>(&var)) {
    out += '"';
    append_hex(*bytes, out);
    out += '"';
  } else {
    core::append_json_string(out, v.to_display_string(), kJsonEscape);
  }
}

}  // namespace

void append_text(const Record& r, const TextOptions& o, std::string& out) {
  append_time(r, o, out);
  const bool with_duration = o.time != TextOptions::Time::kNone;
  switch (r.kind) {
    case RecordKind::kHandshake: {
      const Handshake& h = r.handshake;
      out += "handshake v";
      append_u64(h.version, out);
      out += " hz=";
      append_u64(h.tick_hz, out);
      out += " boot=";
      append_u64(h.boot_counter, out);
      out += " device=";
      append_hex(h.device_id, out);
      out += " dropped=";
      append_u64(h.dropped_total, out);
      out += " build-id=";
      if (h.build_id.empty()) {
        out += "none";
      } else {
        append_u64(h.build_id.size(), out);
        out += 'B';
      }
      if (!h.build_id_matches) {
        out += " (build-id ";
        append_hex(h.build_id, out);
        out += " does not match the ELF)";
      }
      return;
    }
    case RecordKind::kDropped:
      out += "frames dropped: ";
      append_u64(r.dropped, out);
      return;
    case RecordKind::kSpanEnter:
      out += "span enter ";
      append_span_name(r, out);
      out += " id=";
      append_u64(r.span_id, out);
      out += " parent=";
      append_u64(r.parent_span_id, out);
      break;
    case RecordKind::kSpanExit:
      out += "span exit ";
      append_span_name(r, out);
      out += " id=";
      append_u64(r.span_id, out);
      out += " parent=";
      append_u64(r.parent_span_id, out);
      out += " root=";
      append_u64(r.root_span_id, out);
      if (with_duration) {
        out += " duration=";
        append_u64(r.end_ticks - r.start_ticks, out);
      }
      if (r.in_interrupt) {
        out += " irq";
      }
      if (r.trace_id) {
        out += " trace=";
        out += r.trace_id->to_hex();
      }
      if (r.remote_parent) {
        out += " remote-parent=";
        out += r.remote_parent->span_id.to_hex();
      }
      break;
    case RecordKind::kLog:
    case RecordKind::kPrintln:
      if (r.level) {
        if (o.color) {
          out += level_color(*r.level);
        }
        out += '[';
        out += core::severity_text(*r.level);
        out += ']';
        if (o.color) {
          out += "\x1b[0m";
        }
        out += ' ';
      }
      out += r.message.empty() && !r.format.empty() ? r.format : r.message;
      break;
  }
  if (o.location) {
    append_location(r, out);
  }
}

std::string render_text(const Record& record, const TextOptions& options) {
  std::string out;
  append_text(record, options, out);
  return out;
}

void append_json(const Record& r, std::string& out) {
  out += "{\"kind\":\"";
  out += to_string(r.kind);
  out += '"';
  auto key = [&out](const char* k) {
    out += ",\"";
    out += k;
    out += "\":";
  };
  if (r.has_ticks) {
    key("ticks");
    append_u64(r.device_ticks, out);
  }
  if (r.tick_hz != 0) {
    key("tick_hz");
    append_u64(r.tick_hz, out);
  }
  if (r.time_uncertain) {
    key("time_uncertain");
    out += "true";
  }
  if (r.time_unix_nano) {
    key("time_unix_nano");
    out += '"';
    append_u64(*r.time_unix_nano, out);
    out += '"';
  }
  if (!r.timestamp_text.empty()) {
    key("timestamp");
    core::append_json_string(out, r.timestamp_text, kJsonEscape);
  }
  if (r.level) {
    key("level");
    out += '"';
    out += core::severity_text(*r.level);
    out += '"';
  }
  if (r.kind != RecordKind::kHandshake && r.kind != RecordKind::kDropped) {
    key("callsite");
    append_u64(r.callsite_id, out);
  }
  switch (r.kind) {
    case RecordKind::kLog:
    case RecordKind::kPrintln:
      key("format");
      core::append_json_string(out, r.format, kJsonEscape);
      key("message");
      core::append_json_string(out, r.message, kJsonEscape);
      key("args");
      out += '[';
      for (std::size_t i = 0; i < r.args.size(); ++i) {
        const Argument& a = r.args[i];
        out += i == 0 ? "{" : ",{";
        out += "\"name\":";
        core::append_json_string(out, a.name, kJsonEscape);
        out += ",\"type\":";
        core::append_json_string(out, a.type, kJsonEscape);
        out += ",\"value\":";
        append_json_value(a.value, out);
        if (!a.hint.empty()) {
          out += ",\"hint\":";
          core::append_json_string(out, a.hint, kJsonEscape);
        }
        if (a.truncated) {
          out += ",\"truncated\":true";
        }
        out += '}';
      }
      out += ']';
      break;
    case RecordKind::kSpanEnter:
    case RecordKind::kSpanExit:
      key("span_name");
      core::append_json_string(out, r.span_name, kJsonEscape);
      key("span_id");
      append_u64(r.span_id, out);
      key("parent_span_id");
      append_u64(r.parent_span_id, out);
      key("start_ticks");
      append_u64(r.start_ticks, out);
      if (r.kind == RecordKind::kSpanExit) {
        key("root_span_id");
        append_u64(r.root_span_id, out);
        key("end_ticks");
        append_u64(r.end_ticks, out);
        key("duration_ticks");
        append_u64(r.end_ticks - r.start_ticks, out);
        key("in_interrupt");
        out += r.in_interrupt ? "true" : "false";
        if (r.trace_id) {
          key("trace_id");
          out += '"';
          out += r.trace_id->to_hex();
          out += '"';
        }
        if (r.remote_parent) {
          key("remote_parent");
          out += "{\"trace_id\":\"";
          out += r.remote_parent->trace_id.to_hex();
          out += "\",\"span_id\":\"";
          out += r.remote_parent->span_id.to_hex();
          out += "\",\"sampled\":";
          out += r.remote_parent->sampled() ? "true" : "false";
          out += '}';
        }
      }
      break;
    case RecordKind::kDropped:
      key("dropped");
      append_u64(r.dropped, out);
      break;
    case RecordKind::kHandshake: {
      const Handshake& h = r.handshake;
      key("version");
      append_u64(h.version, out);
      key("boot_counter");
      append_u64(h.boot_counter, out);
      key("dropped_total");
      append_u64(h.dropped_total, out);
      key("device_id");
      out += '"';
      append_hex(h.device_id, out);
      out += '"';
      key("build_id");
      out += '"';
      append_hex(h.build_id, out);
      out += '"';
      key("build_id_matches");
      out += h.build_id_matches ? "true" : "false";
      break;
    }
  }
  if (!r.location.file.empty()) {
    key("file");
    core::append_json_string(out, r.location.file, kJsonEscape);
  }
  if (r.location.line != 0) {
    key("line");
    append_u64(r.location.line, out);
  }
  if (!r.location.module.empty()) {
    key("module");
    core::append_json_string(out, r.location.module, kJsonEscape);
  }
  out += '}';
}

std::string render_json(const Record& record) {
  std::string out;
  append_json(record, out);
  return out;
}

}  // namespace edgetrace::decoder
