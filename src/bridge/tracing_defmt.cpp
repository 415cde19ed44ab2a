#include "internal/tracing_defmt.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/defmt_format.hpp"
#include "edgetrace/otlp/model.hpp"

namespace edgetrace::bridge::internal {
namespace {

namespace fmt = decoder::defmt;

// Span events kept per span; later ones are counted in dropped_events_count.
constexpr int kMaxEventsPerSpan = 128;

constexpr std::string_view kEnterPrefix = " span_enter: ";
constexpr std::string_view kExitPrefix = " span_exit: ";

enum class MarkerKind : std::uint8_t { kEnter, kExit, kEvent };

// A named argument: an enter's `(arg={})` or an event's `, key={}`.
struct NamedArg {
  std::string name;
  std::uint32_t index = 0;
};

// One piece of an event's MESSAGE: literal text, or the argument at `index`.
struct MessagePiece {
  std::string literal;
  std::optional<std::uint32_t> index;
};

// What the table says about one interned string that is a tracing-defmt marker.
struct Marker {
  MarkerKind kind = MarkerKind::kEvent;
  std::uint32_t trace_arg = 0;
  std::uint32_t span_arg = 0;
  std::uint32_t parent_arg = 0;           // enter and exit
  std::string name;                       // enter and exit, when NAME is literal
  std::optional<std::uint32_t> name_arg;  // enter and exit of `span_enter: {=str}`
  std::vector<NamedArg> args;             // enter: (arg={}); event: key={} fields
  std::vector<MessagePiece> message;      // event
};

// A format's fragments with adjacent literals merged, so that matching sees one literal
// between two parameters at most.
std::vector<fmt::Fragment> merged(const std::vector<fmt::Fragment>& in) {
  std::vector<fmt::Fragment> out;
  for (const fmt::Fragment& f : in) {
    if (!f.is_param && !out.empty() && !out.back().is_param) {
      out.back().literal += f.literal;
    } else if (f.is_param || !f.literal.empty()) {
      out.push_back(f);
    }
  }
  return out;
}

bool is_byte_array(const fmt::Fragment& f, std::uint32_t len) {
  return f.is_param && f.param.type == fmt::Type::kU8Array && f.param.array_len == len;
}

bool is_literal(const fmt::Fragment& f, std::string_view text) {
  return !f.is_param && f.literal == text;
}

// `{}` exactly: what tracing-defmt's macros write for every field and argument.
bool is_plain_format(const fmt::Fragment& f) {
  return f.is_param && f.param.type == fmt::Type::kFormat &&
         f.param.hint.kind == fmt::HintKind::kNone;
}

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_identifier(std::string_view s) {
  return !s.empty() && !(s[0] >= '0' && s[0] <= '9') &&
         std::all_of(s.begin(), s.end(), is_identifier_char);
}

// If `literal` ends with "IDENT=", returns IDENT and sets `rest` to what precedes it.
std::optional<std::string_view> trailing_key(std::string_view literal, std::string_view& rest) {
  if (literal.empty() || literal.back() != '=')
    return std::nullopt;
  const std::string_view head = literal.substr(0, literal.size() - 1);
  std::size_t start = head.size();
  while (start > 0 && is_identifier_char(head[start - 1]))
    --start;
  const std::string_view key = head.substr(start);
  if (!is_identifier(key))
    return std::nullopt;
  rest = head.substr(0, start);
  return key;
}

// After the enter/exit prefix: `NAME`, `{=str}`, or (enter only) `NAME(a={}, b={})`.
bool parse_span_name(std::span<const fmt::Fragment> rest, std::string_view head, bool enter,
                     Marker& m) {
  if (rest.empty()) {
    if (head.empty())
      return false;
    m.name.assign(head);
    return true;
  }
  if (head.empty() && rest.size() == 1 && rest[0].is_param &&
      rest[0].param.type == fmt::Type::kStr) {
    m.name_arg = rest[0].param.index;
    return true;
  }
  if (!enter)
    return false;
  // NAME(k1={}, k2={}): `head` is "NAME(k1=", then alternately a parameter and a literal
  // ", kN=" or the closing ")".
  const std::size_t open = head.rfind('(');
  if (open == std::string_view::npos || open == 0)
    return false;
  m.name.assign(head.substr(0, open));
  std::string_view literal = head.substr(open + 1);
  for (std::size_t i = 0; i < rest.size(); i += 2) {
    std::string_view before;
    const auto key = trailing_key(literal, before);
    if (!key || !before.empty() || !rest[i].is_param)
      return false;
    m.args.push_back({std::string(*key), rest[i].param.index});
    if (i + 1 >= rest.size() || rest[i + 1].is_param)
      return false;
    literal = rest[i + 1].literal;
    if (literal == ")")
      return i + 2 == rest.size();
    if (literal.substr(0, 2) != ", ")
      return false;
    literal.remove_prefix(2);
  }
  return false;
}

// After "ctx={=[u8;16]}:{=[u8;8]} ": MESSAGE then zero or more ", key={}" fields (or
// fields alone, "key={}, ..."). Fields are taken from the end for as long as they match.
void parse_event(std::vector<fmt::Fragment> rest, Marker& m) {
  std::vector<NamedArg> fields;
  while (rest.size() >= 2 && is_plain_format(rest.back()) && !rest[rest.size() - 2].is_param) {
    const std::string_view literal = rest[rest.size() - 2].literal;
    std::string_view before;
    const auto key = trailing_key(literal, before);
    if (!key)
      break;
    const bool first_of_message = rest.size() == 2 && before.empty();
    const bool after_comma = before.size() >= 2 && before.substr(before.size() - 2) == ", ";
    if (!first_of_message && !after_comma)
      break;
    fields.push_back({std::string(*key), rest.back().param.index});
    rest.pop_back();
    before.remove_suffix(after_comma ? 2 : 0);
    if (before.empty()) {
      rest.pop_back();
    } else {
      rest.back().literal.resize(before.size());  // `before` is its prefix
    }
    // A field before this one must end exactly where this one's ", " began.
    if (!before.empty())
      break;
  }
  std::reverse(fields.begin(), fields.end());
  m.args = std::move(fields);
  for (const fmt::Fragment& f : rest) {
    if (f.is_param) {
      m.message.push_back({{}, f.param.index});
    } else {
      m.message.push_back({f.literal, std::nullopt});
    }
  }
}

// Classifies one format string; nullopt when it is not a tracing-defmt marker.
std::optional<Marker> classify(const fmt::Format& format) {
  const std::vector<fmt::Fragment> f = merged(format.fragments);
  // ctx={=[u8;16]}:{=[u8;8]}
  if (f.size() < 4 || !is_literal(f[0], "ctx=") || !is_byte_array(f[1], 16) ||
      !is_literal(f[2], ":") || !is_byte_array(f[3], 8)) {
    return std::nullopt;
  }
  Marker m;
  m.trace_arg = f[1].param.index;
  m.span_arg = f[3].param.index;
  if (f.size() == 4)
    return std::nullopt;
  const std::string_view after_ctx = f[4].literal;
  if (f[4].is_param || after_ctx.empty() || after_ctx[0] != ' ')
    return std::nullopt;
  // ` parent={=[u8;8]} span_enter: ...` / ` span_exit: ...`
  if (after_ctx == " parent=" && f.size() >= 7 && is_byte_array(f[5], 8) && !f[6].is_param) {
    const std::string_view lit = f[6].literal;
    const bool enter = lit.substr(0, kEnterPrefix.size()) == kEnterPrefix;
    const bool exit = lit.substr(0, kExitPrefix.size()) == kExitPrefix;
    if (enter || exit) {
      Marker span = m;
      span.kind = enter ? MarkerKind::kEnter : MarkerKind::kExit;
      span.parent_arg = f[5].param.index;
      const std::string_view head = lit.substr((enter ? kEnterPrefix : kExitPrefix).size());
      if (parse_span_name(std::span(f).subspan(7), head, enter, span))
        return span;
      return std::nullopt;
    }
  }
  m.kind = MarkerKind::kEvent;
  std::vector<fmt::Fragment> rest(f.begin() + 4, f.end());
  rest.front().literal.erase(0, 1);  // the space after the span id
  if (rest.front().literal.empty())
    rest.erase(rest.begin());
  parse_event(std::move(rest), m);
  return m;
}

const core::Bytes* bytes_arg(const decoder::Record& record, std::uint32_t index, std::size_t size) {
  if (index >= record.args.size())
    return nullptr;
  const auto* b = record.args[index].value.get_if<core::Bytes>();
  return b != nullptr && b->size() == size ? b : nullptr;
}

bool all_zero(const core::Bytes& b) {
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

// Open spans are keyed by trace id and span id.
using SpanKey = std::array<std::uint8_t, 24>;

SpanKey key_of(const core::Bytes& trace, const core::Bytes& span) {
  SpanKey k{};
  std::memcpy(k.data(), trace.data(), 16);
  std::memcpy(k.data() + 16, span.data(), 8);
  return k;
}

struct OpenSpan {
  OtlpSpan span;
  std::uint64_t order = 0;  // position in State::by_age
};

}  // namespace

struct TracingDefmtSpans::State {
  std::size_t max_open_spans;
  BridgeCounters& counters;
  std::unordered_map<std::uint16_t, Marker> markers;
  std::map<SpanKey, OpenSpan> open;
  std::map<std::uint64_t, SpanKey> by_age;  // open spans, oldest first
  std::uint64_t next_order = 0;
  decoder::Record scratch;  // the log record of an event, reused
  std::string text;         // rendering scratch, reused

  State(std::size_t max_open, BridgeCounters& c)
      : max_open_spans(max_open == 0 ? 1 : max_open), counters(c) {}

  void emit(std::map<SpanKey, OpenSpan>::iterator it, Output& out) {
    by_age.erase(it->second.order);
    out.add_span() = std::move(it->second.span);
    open.erase(it);
    out.maybe_flush();
  }

  void emit_incomplete(std::map<SpanKey, OpenSpan>::iterator it, std::uint64_t end,
                       std::string_view reason, Output& out) {
    OtlpSpan& span = it->second.span;
    span.set_end_time_unix_nano(std::max(end, span.start_time_unix_nano()));
    mark_incomplete(span, reason);
    ++counters.incomplete_spans;
    emit(it, out);
  }
};

namespace {

void fill_span_common(const core::Bytes& trace, const core::Bytes& span_id,
                      const core::Bytes& parent, OtlpSpan& span) {
  span.set_trace_id(trace.data(), trace.size());
  span.set_span_id(span_id.data(), span_id.size());
  if (!all_zero(parent))
    span.set_parent_span_id(parent.data(), parent.size());
  span.set_kind(OtlpSpan::SPAN_KIND_INTERNAL);
  // The parent (if any) is a span of the same device: is_remote is known and false.
  span.set_flags(kSpanFlagsHasIsRemote | kSpanFlagsSampled);
}

std::string span_name(const Marker& m, const decoder::Record& record) {
  if (m.name_arg && *m.name_arg < record.args.size())
    return record.args[*m.name_arg].value.to_display_string();
  return m.name;
}

}  // namespace

TracingDefmtSpans::TracingDefmtSpans(const decoder::DefmtTable& table, std::size_t max_open_spans,
                                     BridgeCounters& counters)
    : s_(std::make_unique<State>(max_open_spans, counters)) {
  for (const std::uint16_t index : table.log_indices()) {
    const decoder::DefmtEntry* entry = table.find(index);
    if (entry == nullptr || !entry->whole.error.empty())
      continue;
    if (auto marker = classify(entry->whole.format))
      s_->markers.emplace(index, std::move(*marker));
  }
}

TracingDefmtSpans::~TracingDefmtSpans() = default;

bool TracingDefmtSpans::has_markers() const noexcept {
  return !s_->markers.empty();
}

bool TracingDefmtSpans::handle(const decoder::Record& record, std::uint64_t time_unix_nano,
                               std::uint64_t observed_unix_nano, Output& out) {
  if (record.callsite_id > 0xffff)
    return false;
  const auto found = s_->markers.find(static_cast<std::uint16_t>(record.callsite_id));
  if (found == s_->markers.end())
    return false;
  const Marker& m = found->second;
  const core::Bytes* trace = bytes_arg(record, m.trace_arg, 16);
  const core::Bytes* span_id = bytes_arg(record, m.span_arg, 8);
  if (trace == nullptr || span_id == nullptr)
    return false;  // not the record the table describes: leave it to the plain path
  State& s = *s_;
  const SpanKey key = key_of(*trace, *span_id);

  switch (m.kind) {
    case MarkerKind::kEnter: {
      const core::Bytes* parent = bytes_arg(record, m.parent_arg, 8);
      if (parent == nullptr)
        return false;
      if (auto again = s.open.find(key); again != s.open.end())
        s.emit_incomplete(again, time_unix_nano, "span_enter repeated before span_exit", out);
      while (s.open.size() >= s.max_open_spans) {
        ++s.counters.open_spans_evicted;
        s.emit_incomplete(s.open.find(s.by_age.begin()->second), time_unix_nano,
                          "too many open spans", out);
      }
      OpenSpan& o = s.open[key];
      o.order = s.next_order++;
      s.by_age.emplace(o.order, key);
      fill_span_common(*trace, *span_id, *parent, o.span);
      o.span.set_name(span_name(m, record));
      o.span.set_start_time_unix_nano(time_unix_nano);
      auto& attributes = *o.span.mutable_attributes();
      for (const NamedArg& a : m.args) {
        if (a.index < record.args.size())
          otlp::add_attribute(attributes, a.name, record.args[a.index].value);
      }
      return true;
    }
    case MarkerKind::kExit: {
      if (auto it = s.open.find(key); it != s.open.end()) {
        it->second.span.set_end_time_unix_nano(time_unix_nano);
        s.emit(it, out);
        return true;
      }
      const core::Bytes* parent = bytes_arg(record, m.parent_arg, 8);
      if (parent == nullptr)
        return false;
      OtlpSpan& span = out.add_span();
      fill_span_common(*trace, *span_id, *parent, span);
      span.set_name(span_name(m, record));
      span.set_start_time_unix_nano(time_unix_nano);
      span.set_end_time_unix_nano(time_unix_nano);
      mark_incomplete(span, "span_enter not seen");
      ++s.counters.incomplete_spans;
      out.maybe_flush();
      return true;
    }
    case MarkerKind::kEvent:
      break;
  }

  // An event: its message, rendered from the MESSAGE part of the format alone.
  s.text.clear();
  for (const MessagePiece& p : m.message) {
    if (!p.index) {
      s.text += p.literal;
    } else if (*p.index < record.args.size()) {
      s.text += record.args[*p.index].value.to_display_string();
    }
  }
  if (s.text.empty()) {
    // Fields only: "key=value, ..." so that neither the log body nor the event is blank.
    for (const NamedArg& a : m.args) {
      if (a.index >= record.args.size())
        continue;
      if (!s.text.empty())
        s.text += ", ";
      s.text += a.name;
      s.text += '=';
      s.text += record.args[a.index].value.to_display_string();
    }
  }

  if (auto it = s.open.find(key); it != s.open.end()) {
    OtlpSpan& span = it->second.span;
    if (span.events_size() < kMaxEventsPerSpan) {
      auto* event = span.add_events();
      event->set_time_unix_nano(time_unix_nano);
      event->set_name(s.text);
      for (const NamedArg& a : m.args) {
        if (a.index < record.args.size())
          otlp::add_attribute(*event->mutable_attributes(), a.name, record.args[a.index].value);
      }
    } else {
      span.set_dropped_events_count(span.dropped_events_count() + 1);
    }
  }

  // The log record: the common fields of the record, with the fields (not the span
  // context) as its attributes and MESSAGE as its body.
  decoder::Record& r = s.scratch;
  r.level = record.level;
  r.location = record.location;
  r.format.clear();
  r.message = s.text;
  r.args.clear();
  for (const NamedArg& a : m.args) {
    if (a.index >= record.args.size())
      continue;
    decoder::Argument& arg = r.args.emplace_back(record.args[a.index]);
    arg.name = a.name;
  }
  OtlpLogRecord& log = out.add_log();
  fill_log_record(r, time_unix_nano, observed_unix_nano, log);
  log.set_trace_id(trace->data(), trace->size());
  log.set_span_id(span_id->data(), span_id->size());
  log.set_flags(kSpanFlagsSampled);
  out.maybe_flush();
  return true;
}

void TracingDefmtSpans::note_loss(std::uint64_t time_unix_nano, const Loss& loss) {
  if (!loss.any())
    return;
  for (auto& [key, o] : s_->open) {
    if (o.span.events_size() < kMaxEventsPerSpan) {
      add_loss_event(o.span, time_unix_nano, loss);
    } else {
      o.span.set_dropped_events_count(o.span.dropped_events_count() + 1);
    }
  }
}

void TracingDefmtSpans::end_stream(std::uint64_t time_unix_nano, std::string_view reason,
                                   Output& out) {
  while (!s_->by_age.empty())
    s_->emit_incomplete(s_->open.find(s_->by_age.begin()->second), time_unix_nano, reason, out);
}

}  // namespace edgetrace::bridge::internal
