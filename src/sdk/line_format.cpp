#include "edgetrace/sdk/line_format.hpp"

#include <array>
#include <charconv>
#include <cstring>
#include <utility>

#include "edgetrace/sdk/span.hpp"
#include "internal/line_text.hpp"

namespace edgetrace::sdk {

using internal::append_escaped;
using internal::Escape;
using internal::kJsonEscape;

namespace {

constexpr std::string_view kReset = "\x1b[0m";
constexpr std::string_view kBold = "\x1b[1m";
constexpr std::string_view kDim = "\x1b[2m";
constexpr std::string_view kItalic = "\x1b[3m";

// Like tracing-subscriber: TRACE purple, DEBUG blue, INFO green, WARN yellow, ERROR red.
constexpr std::string_view level_colour(core::Level level) noexcept {
  constexpr std::string_view kColour[] = {"\x1b[35m", "\x1b[34m", "\x1b[32m",
                                          "\x1b[33m", "\x1b[31m", "\x1b[1;31m"};
  return kColour[static_cast<int>(level)];
}
constexpr std::string_view level_bold_colour(core::Level level) noexcept {
  constexpr std::string_view kColour[] = {"\x1b[1;35m", "\x1b[1;34m", "\x1b[1;32m",
                                          "\x1b[1;33m", "\x1b[1;31m", "\x1b[1;31m"};
  return kColour[static_cast<int>(level)];
}
// Right-aligned to five characters, as tracing prints levels.
constexpr std::string_view padded_level(core::Level level) noexcept {
  constexpr std::string_view kText[] = {"TRACE", "DEBUG", " INFO", " WARN", "ERROR", "FATAL"};
  return kText[static_cast<int>(level)];
}

constexpr std::size_t kMaxSpanDepth = 32;

// The spans around a line, innermost first.
struct SpanChain {
  std::array<const SpanRecord*, kMaxSpanDepth> spans{};
  std::size_t size = 0;
  bool truncated = false;  // more enclosing spans than kMaxSpanDepth

  explicit SpanChain(const SpanRecord* innermost, bool all) noexcept {
    for (const SpanRecord* s = innermost; s != nullptr; s = s->parent) {
      if (size == spans.size()) {
        truncated = true;
        break;
      }
      spans[size++] = s;
      if (!all)
        break;
    }
  }
  // Outermost first.
  const SpanRecord* from_root(std::size_t i) const noexcept { return spans[size - 1 - i]; }
};

std::string_view span_target(const SpanRecord& s) noexcept {
  return s.metadata != nullptr ? s.metadata->target : std::string_view();
}

}  // namespace

// What one output line is about: an event, or a span's new/close.
struct LineFormatter::Line {
  enum class Kind : std::uint8_t { kEvent, kNew, kClose };
  Kind kind = Kind::kEvent;
  std::uint64_t time_unix_nano = 0;
  core::Level level = core::Level::kInfo;
  std::string_view target;
  std::string_view file;
  std::uint32_t line = 0;
  std::string_view message;
  std::span<const Field> fields;
  const SpanRecord* span = nullptr;  // the innermost span of the context
  std::uint64_t busy_ns = 0;         // kClose
  std::uint64_t idle_ns = 0;
};

namespace {

// ANSI styling that collapses to nothing when colours are off.
class Style {
 public:
  Style(std::string& out, bool ansi) noexcept : out_(out), ansi_(ansi) {}
  void open(std::string_view code) const {
    if (ansi_)
      out_ += code;
  }
  void close() const {
    if (ansi_)
      out_ += kReset;
  }
  bool ansi() const noexcept { return ansi_; }

 private:
  std::string& out_;
  bool ansi_;
};

// name=value pairs separated by spaces (full and compact); returns whether any was written.
bool append_fields_text(std::string& out, const Style& style, std::span<const Field> fields,
                        bool leading_space) {
  for (const Field& f : fields) {
    if (leading_space)
      out += ' ';
    leading_space = true;
    style.open(kItalic);
    append_escaped(out, f.name, Escape::kPlain);
    style.close();
    style.open(kDim);
    out += '=';
    style.close();
    internal::append_value_text(out, f.value);
  }
  return leading_space;
}

bool append_store_text(std::string& out, const Style& style, const FieldStore& store,
                       bool leading_space) {
  for (std::size_t i = 0; i < store.size(); ++i) {
    const Field f = store[i];
    leading_space = append_fields_text(out, style, {&f, 1}, leading_space);
  }
  return leading_space;
}

// name: value pairs separated by ", " (pretty).
void append_field_pretty(std::string& out, const Style& style, const Field& f, bool& first) {
  if (!first)
    out += ", ";
  first = false;
  style.open(kBold);
  append_escaped(out, f.name, Escape::kPlain);
  style.close();
  out += ": ";
  internal::append_value_text(out, f.value);
}

void append_hex_id(std::string& out, const auto& id) {
  char buffer[32];
  id.write_hex(buffer);
  out.append(buffer, id.kHexSize);
}

void append_thread_id(std::string& out) {
  out += "ThreadId(";
  internal::append_uint(out, internal::current_thread_id());
  out += ')';
}

void append_json_key(std::string& out, std::string_view key, bool& first) {
  if (!first)
    out += ',';
  first = false;
  core::append_json_string(out, key, kJsonEscape);
  out += ':';
}

void append_span_json(std::string& out, const SpanRecord& s) {
  out += "{\"name\":";
  core::append_json_string(out, s.name(), kJsonEscape);
  for (std::size_t i = 0; i < s.attributes.size(); ++i) {
    const Field f = s.attributes[i];
    out += ',';
    // Keeps the object free of duplicate keys when a field is itself called "name".
    core::append_json_string(out, f.name == "name" ? std::string_view("field.name") : f.name,
                             kJsonEscape);
    out += ':';
    internal::append_value_json(out, f.value);
  }
  out += '}';
}

}  // namespace

LineFormatter::LineFormatter(LineOptions options, bool ansi) noexcept
    : options_(options), ansi_(ansi && options.format != LineFormat::kJson) {}

void LineFormatter::format_event(const Event& event, std::string& out) const {
  Line line;
  line.time_unix_nano = event.time_unix_nano;
  line.level = event.metadata.level;
  line.target = event.metadata.target;
  line.file = event.metadata.file;
  line.line = event.metadata.line;
  line.message = event.message;
  line.fields = event.fields;
  line.span = event.span;
  format(line, out);
}

void LineFormatter::format_span_new(const SpanRecord& span, std::string& out) const {
  Line line;
  line.kind = Line::Kind::kNew;
  line.time_unix_nano = span.start_unix_nano;
  if (span.metadata != nullptr) {
    line.level = span.metadata->level;
    line.target = span.metadata->target;
    line.file = span.metadata->file;
    line.line = span.metadata->line;
  }
  line.message = "new";
  line.span = &span;
  format(line, out);
}

void LineFormatter::format_span_close(const SpanRecord& span, std::string& out) const {
  Line line;
  line.kind = Line::Kind::kClose;
  line.time_unix_nano = span.end_unix_nano;
  if (span.metadata != nullptr) {
    line.level = span.metadata->level;
    line.target = span.metadata->target;
    line.file = span.metadata->file;
    line.line = span.metadata->line;
  }
  line.message = "close";
  line.span = &span;
  line.busy_ns = span.busy_ns;
  line.idle_ns = span.idle_ns;
  format(line, out);
}

void LineFormatter::format(const Line& line, std::string& out) const {
  switch (options_.format) {
    case LineFormat::kFull:
    case LineFormat::kCompact:
    case LineFormat::kTree:  // lines outside trees
      format_text(line, out);
      break;
    case LineFormat::kPretty:
      format_pretty(line, out);
      break;
    case LineFormat::kJson:
      format_json(line, out);
      break;
  }
}

void LineFormatter::format_text(const Line& line, std::string& out) const {
  const bool compact = options_.format == LineFormat::kCompact;
  const Style style(out, ansi_);
  const std::size_t start = out.size();

  style.open(kDim);
  append_rfc3339_micros(out, line.time_unix_nano);
  style.close();
  out += ' ';
  style.open(level_colour(line.level));
  out += padded_level(line.level);
  style.close();
  out += ' ';
  if (options_.show_thread_names) {
    char buffer[16];
    const std::string_view name = internal::current_thread_name(buffer);
    if (!name.empty()) {
      append_escaped(out, name, Escape::kPlain);
      out += ' ';
    }
  }
  if (options_.show_thread_ids) {
    append_thread_id(out);
    out += ' ';
  }

  const SpanChain chain(line.span, options_.show_span_list);
  if (chain.size != 0) {
    if (chain.truncated) {
      style.open(kDim);
      out += "...:";
      style.close();
    }
    for (std::size_t i = 0; i < chain.size; ++i) {
      const SpanRecord& s = *chain.from_root(i);
      style.open(kBold);
      append_escaped(out, s.name(), Escape::kPlain);
      style.close();
      if (!compact && !s.attributes.empty()) {
        style.open(kBold);
        out += '{';
        style.close();
        append_store_text(out, style, s.attributes, false);
        style.open(kBold);
        out += '}';
        style.close();
      }
      style.open(kDim);
      out += ':';
      style.close();
    }
    out += ' ';
  }
  if (options_.show_target) {
    style.open(kDim);
    append_escaped(out, line.target, Escape::kPlain);
    out += ':';
    style.close();
    out += ' ';
  }
  if (options_.show_source_location && !line.file.empty()) {
    style.open(kDim);
    append_escaped(out, line.file, Escape::kPlain);
    out += ':';
    internal::append_uint(out, line.line);
    out += ':';
    style.close();
    out += ' ';
  }

  append_escaped(out, line.message, Escape::kPlain);
  bool space = !line.message.empty();
  space = append_fields_text(out, style, line.fields, space);
  if (line.kind == Line::Kind::kClose) {
    // Durations are shown bare (time.busy=12.3µs), not as quoted strings.
    for (const auto& [name, ns] :
         {std::pair<std::string_view, std::uint64_t>{"time.busy", line.busy_ns},
          {"time.idle", line.idle_ns}}) {
      if (space)
        out += ' ';
      space = true;
      style.open(kItalic);
      out += name;
      style.close();
      style.open(kDim);
      out += '=';
      style.close();
      append_duration(out, ns);
    }
  }
  if (compact) {
    for (std::size_t i = 0; i < chain.size; ++i) {
      const SpanRecord& s = *chain.from_root(i);
      if (s.attributes.empty())
        continue;
      if (space)
        out += ' ';
      space = true;
      style.open(kDim);
      append_store_text(out, style, s.attributes, false);
      style.close();
    }
  }
  if (options_.show_trace_ids && line.span != nullptr) {
    if (space)
      out += ' ';
    style.open(kItalic);
    out += "trace_id";
    style.close();
    style.open(kDim);
    out += '=';
    style.close();
    append_hex_id(out, line.span->context.trace_id);
    out += ' ';
    style.open(kItalic);
    out += "span_id";
    style.close();
    style.open(kDim);
    out += '=';
    style.close();
    append_hex_id(out, line.span->context.span_id);
  }
  // No trailing blank when the line ended with a separator (no message, no fields).
  if (out.size() > start && out.back() == ' ')
    out.pop_back();
  out += '\n';
}

void LineFormatter::format_pretty(const Line& line, std::string& out) const {
  const Style style(out, ansi_);
  out += "  ";
  style.open(kDim);
  append_rfc3339_micros(out, line.time_unix_nano);
  style.close();
  out += ' ';
  style.open(level_colour(line.level));
  out += padded_level(line.level);
  style.close();
  out += ' ';
  if (options_.show_target) {
    style.open(level_bold_colour(line.level));
    append_escaped(out, line.target, Escape::kPlain);
    out += ':';
    style.close();
    out += ' ';
  }
  style.open(level_bold_colour(line.level));
  append_escaped(out, line.message, Escape::kPlain);
  style.close();
  bool first = line.message.empty();
  for (const Field& f : line.fields)
    append_field_pretty(out, style, f, first);
  if (line.kind == Line::Kind::kClose) {
    for (const auto& [name, ns] :
         {std::pair<std::string_view, std::uint64_t>{"time.busy", line.busy_ns},
          {"time.idle", line.idle_ns}}) {
      if (!first)
        out += ", ";
      first = false;
      style.open(kBold);
      out += name;
      style.close();
      out += ": ";
      append_duration(out, ns);
    }
  }
  if (out.back() == ' ')
    out.pop_back();
  out += '\n';

  char name_buffer[16];
  const std::string_view thread_name =
      options_.show_thread_names ? internal::current_thread_name(name_buffer) : std::string_view();
  const bool show_thread = !thread_name.empty() || options_.show_thread_ids;
  const auto append_thread = [&] {
    style.open(kDim);
    out += "on";
    style.close();
    if (!thread_name.empty()) {
      out += ' ';
      append_escaped(out, thread_name, Escape::kPlain);
    }
    if (options_.show_thread_ids) {
      out += ' ';
      append_thread_id(out);
    }
  };
  if (options_.show_source_location && !line.file.empty()) {
    out += "    ";
    style.open(kDim);
    out += "at";
    style.close();
    out += ' ';
    append_escaped(out, line.file, Escape::kPlain);
    out += ':';
    internal::append_uint(out, line.line);
    if (show_thread) {
      out += ' ';
      append_thread();
    }
    out += '\n';
  } else if (show_thread) {
    out += "    ";
    append_thread();
    out += '\n';
  }

  const SpanChain chain(line.span, options_.show_span_list);
  for (std::size_t i = 0; i < chain.size; ++i) {  // innermost first, as a stack trace
    const SpanRecord& s = *chain.spans[i];
    out += "    ";
    style.open(kDim);
    out += "in";
    style.close();
    out += ' ';
    style.open(kBold);
    if (!span_target(s).empty()) {
      append_escaped(out, span_target(s), Escape::kPlain);
      out += "::";
    }
    append_escaped(out, s.name(), Escape::kPlain);
    style.close();
    if (!s.attributes.empty()) {
      out += ' ';
      style.open(kDim);
      out += "with";
      style.close();
      out += ' ';
      bool first_field = true;
      for (std::size_t k = 0; k < s.attributes.size(); ++k)
        append_field_pretty(out, style, s.attributes[k], first_field);
    }
    out += '\n';
  }
  if (chain.truncated)
    out += "    ...\n";
  if (options_.show_trace_ids && line.span != nullptr) {
    out += "    ";
    style.open(kDim);
    out += "trace_id:";
    style.close();
    out += ' ';
    append_hex_id(out, line.span->context.trace_id);
    out += ", ";
    style.open(kDim);
    out += "span_id:";
    style.close();
    out += ' ';
    append_hex_id(out, line.span->context.span_id);
    out += '\n';
  }
  out += '\n';
}

void LineFormatter::format_json(const Line& line, std::string& out) const {
  out += "{\"timestamp\":\"";
  append_rfc3339_micros(out, line.time_unix_nano);
  out += "\",\"level\":\"";
  out += core::severity_text(line.level);
  out += '"';
  if (options_.show_target) {
    out += ",\"target\":";
    core::append_json_string(out, line.target, kJsonEscape);
  }
  out += ",\"message\":";
  core::append_json_string(out, line.message, kJsonEscape);
  out += ",\"fields\":{";
  bool first = true;
  for (const Field& f : line.fields) {
    append_json_key(out, f.name, first);
    internal::append_value_json(out, f.value);
  }
  if (line.kind == Line::Kind::kClose) {
    append_json_key(out, "time.busy", first);
    out += '"';
    append_duration(out, line.busy_ns);
    out += '"';
    append_json_key(out, "time.idle", first);
    out += '"';
    append_duration(out, line.idle_ns);
    out += '"';
  }
  out += '}';

  if (line.span != nullptr) {
    out += ",\"span\":";
    append_span_json(out, *line.span);
    if (options_.show_span_list) {
      const SpanChain chain(line.span, true);
      out += ",\"spans\":[";
      for (std::size_t i = 0; i < chain.size; ++i) {
        if (i != 0)
          out += ',';
        append_span_json(out, *chain.from_root(i));
      }
      out += ']';
    }
    if (options_.show_trace_ids) {
      out += ",\"trace_id\":\"";
      append_hex_id(out, line.span->context.trace_id);
      out += "\",\"span_id\":\"";
      append_hex_id(out, line.span->context.span_id);
      out += '"';
    }
  }
  if (options_.show_thread_ids) {
    out += ",\"thread_id\":";
    internal::append_uint(out, internal::current_thread_id());
  }
  if (options_.show_thread_names) {
    char buffer[16];
    out += ",\"thread_name\":";
    core::append_json_string(out, internal::current_thread_name(buffer), kJsonEscape);
  }
  if (options_.show_source_location && !line.file.empty()) {
    out += ",\"file\":";
    core::append_json_string(out, line.file, kJsonEscape);
    out += ",\"line\":";
    internal::append_uint(out, line.line);
  }
  out += "}\n";
}

void append_rfc3339_micros(std::string& out, std::uint64_t unix_nano) {
  const std::uint64_t secs = unix_nano / 1'000'000'000ULL;
  const auto micros = static_cast<unsigned>((unix_nano % 1'000'000'000ULL) / 1000);
  // Lines of one thread mostly share their second: reuse "2026-11-21T14:05:50." then.
  struct Cache {
    std::uint64_t secs = ~std::uint64_t{0};
    char text[20];
  };
  static thread_local Cache cache;
  if (cache.secs == secs) {
    char tail[7];  // "123456Z"
    unsigned v = micros;
    for (int i = 5; i >= 0; --i) {
      tail[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    tail[6] = 'Z';
    out.append(cache.text, sizeof cache.text);
    out.append(tail, sizeof tail);
    return;
  }
  const auto days = static_cast<std::int64_t>(secs / 86400);
  const auto sod = static_cast<unsigned>(secs % 86400);
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  const std::int64_t z = days + 719468;
  const std::int64_t era = z / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);

  char buffer[32];
  char* p = buffer + sizeof buffer;
  const auto put = [&p](unsigned v, int digits) {
    for (int i = 0; i < digits; ++i) {
      *--p = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  *--p = 'Z';
  put(micros, 6);
  *--p = '.';
  put(sod % 60, 2);
  *--p = ':';
  put(sod / 60 % 60, 2);
  *--p = ':';
  put(sod / 3600, 2);
  *--p = 'T';
  put(day, 2);
  *--p = '-';
  put(month, 2);
  *--p = '-';
  put(static_cast<unsigned>(year), 4);
  const auto size = static_cast<std::size_t>(buffer + sizeof buffer - p);
  if (size == sizeof cache.text + 7) {  // four-digit years: the common case
    std::memcpy(cache.text, p, sizeof cache.text);
    cache.secs = secs;
  }
  out.append(p, size);
}

void append_duration(std::string& out, std::uint64_t nanos) {
  // tracing-subscriber's TimingDisplay: <10 two decimals, <100 one, <1000 none.
  static constexpr std::string_view kUnits[] = {"ns", "\xC2\xB5s", "ms", "s"};
  auto t = static_cast<double>(nanos);
  char buffer[48];
  const auto put = [&](double v, int decimals) {
    // to_chars, unlike printf, ignores the locale: always a '.' decimal point.
    const auto r =
        std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::fixed, decimals);
    out.append(buffer, r.ptr);
  };
  for (std::string_view unit : kUnits) {
    if (t < 1000.0) {
      put(t, t < 10.0 ? 2 : t < 100.0 ? 1 : 0);
      out += unit;
      return;
    }
    t /= 1000.0;
  }
  put(t * 1000.0, 0);
  out += 's';
}

}  // namespace edgetrace::sdk
