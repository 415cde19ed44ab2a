#include "ui/query_params.hpp"

#include <simdjson.h>

#include <charconv>
#include <limits>

#include "edgetrace/core/severity.hpp"
#include "edgetrace/core/text.hpp"

namespace edgetrace::daemon::ui {
namespace {

constexpr std::uint64_t kMaxNanos =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// application/x-www-form-urlencoded decoding (what Go's r.FormValue sees): '+' is a space,
// %XX a byte; a '%' without two hex digits is kept as is.
std::string form_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && core::hex_digit_value(s[i + 1]) >= 0 &&
               core::hex_digit_value(s[i + 2]) >= 0) {
      out +=
          static_cast<char>(core::hex_digit_value(s[i + 1]) * 16 + core::hex_digit_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

core::Status param_error(std::string_view name, std::string_view why) {
  return core::invalid_argument("unable to parse param '" + std::string(name) +
                                "': " + std::string(why));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

QueryParams QueryParams::parse(std::string_view query) {
  QueryParams p;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty())
      continue;
    const std::size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    p.pairs_.emplace_back(form_decode(name), form_decode(value));
  }
  return p;
}

std::optional<std::string_view> QueryParams::get(std::string_view name) const {
  for (const auto& [n, v] : pairs_) {
    if (n == name)
      return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string_view> QueryParams::all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : pairs_) {
    if (n == name)
      out.emplace_back(v);
  }
  return out;
}

// Go's time.ParseDuration (src/time/format.go): [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, "0" alone
// allowed without a unit, units ns us µs μs ms s m h.
core::Result<std::uint64_t> parse_go_duration(std::string_view text) {
  const auto bad = [&] {
    return core::invalid_argument("time: invalid duration \"" + std::string(text) + "\"");
  };
  std::string_view s = text;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    if (s[0] == '-' && s != "-0")
      return core::invalid_argument("negative duration \"" + std::string(text) + "\"");
    s.remove_prefix(1);
  }
  if (s == "0")
    return std::uint64_t{0};
  if (s.empty())
    return bad();
  long double total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0])))
      return bad();
    std::uint64_t whole = 0;
    std::size_t i = 0;
    bool pre = false;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      pre = true;
      if (whole > (kMaxNanos - 9) / 10)
        return bad();  // overflow, as Go reports it
      whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
    }
    long double fraction = 0;
    bool post = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      long double scale = 1;
      for (; i < s.size() && is_digit(s[i]); ++i) {
        post = true;
        if (scale < 1e30L) {
          scale /= 10;
          fraction += scale * static_cast<long double>(s[i] - '0');
        }
      }
    }
    if (!pre && !post)
      return bad();
    std::size_t unit_end = i;
    while (unit_end < s.size() && s[unit_end] != '.' && !is_digit(s[unit_end]))
      ++unit_end;
    const std::string_view unit = s.substr(i, unit_end - i);
    if (unit.empty())
      return core::invalid_argument("time: missing unit in duration \"" + std::string(text) + "\"");
    long double scale;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")  // µs (U+00B5, U+03BC)
      scale = 1e3L;
    else if (unit == "ms")
      scale = 1e6L;
    else if (unit == "s")
      scale = 1e9L;
    else if (unit == "m")
      scale = 60e9L;
    else if (unit == "h")
      scale = 3600e9L;
    else
      return core::invalid_argument("time: unknown unit \"" + std::string(unit) +
                                    "\" in duration \"" + std::string(text) + "\"");
    total += (static_cast<long double>(whole) + fraction) * scale;
    if (total > static_cast<long double>(kMaxNanos))
      return bad();
    s.remove_prefix(unit_end);
  }
  return static_cast<std::uint64_t>(total);
}

core::Result<std::uint64_t> parse_lookback(std::string_view text) {
  if (text.size() > 1 && text.back() == 'd') {
    std::uint64_t days = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size() - 1, days);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size() - 1 || days > 100000)
      return core::invalid_argument("expected a duration such as 1h or 2d, got \"" +
                                    std::string(text) + "\"");
    return days * 86400ull * 1000000000ull;
  }
  return parse_go_duration(text);
}

core::Result<std::uint64_t> parse_micros(std::string_view text) {
  std::uint64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size())
    return core::invalid_argument("expected microseconds since the epoch, got \"" +
                                  std::string(text) + "\"");
  if (v > kMaxNanos / 1000)
    return core::invalid_argument("time out of range: \"" + std::string(text) + "\"");
  return v * 1000;
}

namespace {

core::Result<std::vector<std::pair<std::string, std::string>>> parse_json_tags(
    std::string_view text) {
  using Tags = std::vector<std::pair<std::string, std::string>>;
  const auto bad = [](std::string_view why) {
    return core::invalid_argument("malformed 'tags' parameter, cannot unmarshal JSON: " +
                                  std::string(why));
  };
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc); err)
    return bad(simdjson::error_message(err));
  simdjson::dom::object obj;
  if (doc.get(obj) != simdjson::SUCCESS)
    return bad("expected an object of strings");
  Tags tags;
  for (auto field : obj) {
    if (field.key.empty())  // as in logfmt: a tag needs a key
      return bad("a tag key is empty");
    std::string value;
    switch (field.value.type()) {
      case simdjson::dom::element_type::STRING:
        value = std::string(field.value.get_string().value_unsafe());
        break;
      case simdjson::dom::element_type::BOOL:
        value = field.value.get_bool().value_unsafe() ? "true" : "false";
        break;
      case simdjson::dom::element_type::INT64:
        value = std::to_string(field.value.get_int64().value_unsafe());
        break;
      case simdjson::dom::element_type::UINT64:
        value = std::to_string(field.value.get_uint64().value_unsafe());
        break;
      case simdjson::dom::element_type::DOUBLE: {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, field.value.get_double().value_unsafe());
        value.assign(buf, r.ptr);
        break;
      }
      default:
        return bad("the value of \"" + std::string(field.key) + "\" is not a string");
    }
    tags.emplace_back(std::string(field.key), std::move(value));
  }
  return tags;
}

// logfmt (github.com/go-logfmt/logfmt, the format jaeger-ui's search form takes):
// space-separated key=value pairs, a value may be double-quoted with \" and \\ escapes, a
// bare key means "true".
core::Result<std::vector<std::pair<std::string, std::string>>> parse_logfmt_tags(
    std::string_view s) {
  std::vector<std::pair<std::string, std::string>> tags;
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i]))
      ++i;
    if (i == s.size())
      break;
    const std::size_t key_start = i;
    while (i < s.size() && !is_space(s[i]) && s[i] != '=' && s[i] != '"')
      ++i;
    std::string key(s.substr(key_start, i - key_start));
    if (key.empty())
      return core::invalid_argument("malformed 'tags' parameter: expected key=value at offset " +
                                    std::to_string(key_start));
    if (i == s.size() || is_space(s[i])) {
      tags.emplace_back(std::move(key), "true");
      continue;
    }
    if (s[i] != '=')
      return core::invalid_argument("malformed 'tags' parameter: unexpected '\"' at offset " +
                                    std::to_string(i));
    ++i;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          value += s[i + 1];
          i += 2;
          continue;
        }
        if (s[i] == '"') {
          closed = true;
          ++i;
          break;
        }
        value += s[i++];
      }
      if (!closed)
        return core::invalid_argument("malformed 'tags' parameter: unterminated quoted value");
      if (i < s.size() && !is_space(s[i]))
        return core::invalid_argument(
            "malformed 'tags' parameter: expected a space after a quoted value at offset " +
            std::to_string(i));
    } else {
      const std::size_t value_start = i;
      while (i < s.size() && !is_space(s[i]))
        ++i;
      value = std::string(s.substr(value_start, i - value_start));
    }
    tags.emplace_back(std::move(key), std::move(value));
  }
  return tags;
}

}  // namespace

core::Result<std::vector<std::pair<std::string, std::string>>> parse_tags(std::string_view text) {
  const std::string_view trimmed = core::trim_ows(text);
  if (!trimmed.empty() && trimmed.front() == '{')
    return parse_json_tags(trimmed);
  return parse_logfmt_tags(text);
}

core::Result<core::TraceId> parse_trace_id(std::string_view text) {
  if (text.empty() || text.size() > 32)
    return core::invalid_argument("expected a trace id of up to 32 hex digits, got \"" +
                                  std::string(text.substr(0, 64)) + "\"");
  std::string padded(32 - text.size(), '0');
  padded += text;
  auto id = core::TraceId::from_hex(padded, core::HexCase::kAny);
  if (!id)
    return core::invalid_argument("malformed trace id \"" + std::string(text) +
                                  "\": " + id.status().message());
  return *id;
}

core::Result<std::size_t> parse_limit(const QueryParams& params, std::size_t fallback,
                                      std::size_t max) {
  auto text = params.get("limit");
  if (!text || text->empty())
    return fallback;
  std::size_t v = 0;
  const auto r = std::from_chars(text->data(), text->data() + text->size(), v);
  if (r.ec != std::errc() || r.ptr != text->data() + text->size() || v == 0)
    return param_error("limit", "expected a positive integer, got \"" + std::string(*text) + "\"");
  return std::min(v, max);
}

core::Result<store::TraceQuery> parse_trace_query(const QueryParams& params,
                                                  std::uint64_t now_unix_nano) {
  store::TraceQuery q;
  q.service = std::string(params.get("service").value_or(""));
  if (q.service.empty())
    return core::invalid_argument("parameter 'service' is required");
  q.operation = std::string(params.get("operation").value_or(""));
  for (std::string_view tag : params.all("tag")) {
    const std::size_t colon = tag.find(':');
    if (colon == std::string_view::npos)
      return core::invalid_argument("malformed 'tag' parameter, expecting key:value, received: " +
                                    std::string(tag));
    q.tags.emplace_back(std::string(tag.substr(0, colon)), std::string(tag.substr(colon + 1)));
  }
  for (std::string_view tags : params.all("tags")) {
    auto parsed = parse_tags(tags);
    if (!parsed)
      return parsed.status();
    for (auto& kv : *parsed)
      q.tags.push_back(std::move(kv));
  }
  q.end_unix_nano = now_unix_nano;
  if (auto end = params.get("end"); end && !end->empty()) {
    auto v = parse_micros(*end);
    if (!v)
      return param_error("end", v.status().message());
    q.end_unix_nano = *v;
  }
  if (auto start = params.get("start"); start && !start->empty()) {
    auto v = parse_micros(*start);
    if (!v)
      return param_error("start", v.status().message());
    q.start_unix_nano = *v;
  } else {
    std::uint64_t lookback = kDefaultLookbackNs;
    if (auto lb = params.get("lookback"); lb && !lb->empty() && *lb != "custom") {
      auto v = parse_lookback(*lb);
      if (!v)
        return param_error("lookback", v.status().message());
      lookback = *v;
    }
    q.start_unix_nano = q.end_unix_nano > lookback ? q.end_unix_nano - lookback : 0;
  }
  if (q.start_unix_nano > q.end_unix_nano)
    return core::invalid_argument("'start' is after 'end'");
  for (const char* name : {"minDuration", "maxDuration"}) {
    auto text = params.get(name);
    if (!text || text->empty())
      continue;
    auto v = parse_go_duration(*text);
    if (!v)
      return param_error(name, v.status().message());
    (name[1] == 'i' ? q.min_duration_ns : q.max_duration_ns) = *v;
  }
  if (q.min_duration_ns && q.max_duration_ns && *q.max_duration_ns < *q.min_duration_ns)
    return core::invalid_argument("'maxDuration' should be greater than 'minDuration'");
  auto limit = parse_limit(params, 20, kMaxTraceLimit);
  if (!limit)
    return limit.status();
  q.limit = *limit;
  return q;
}

core::Result<store::LogQuery> parse_log_query(const QueryParams& params) {
  store::LogQuery q;
  q.text = std::string(params.get("q").value_or(""));
  if (auto level = params.get("level"); level && !level->empty()) {
    std::optional<core::Level> l = core::parse_level(*level);
    if (!l)
      return param_error("level", "expected one of trace debug info warn error fatal, got \"" +
                                      std::string(*level) + "\"");
    q.min_severity_number = core::severity_number(*l);
  }
  q.service = std::string(params.get("service").value_or(""));
  if (auto id = params.get("traceID"); id && !id->empty()) {
    auto t = parse_trace_id(*id);
    if (!t)
      return param_error("traceID", t.status().message());
    q.trace_id = *t;
  }
  if (auto start = params.get("start"); start && !start->empty()) {
    auto v = parse_micros(*start);
    if (!v)
      return param_error("start", v.status().message());
    q.start_unix_nano = *v;
  }
  if (auto end = params.get("end"); end && !end->empty()) {
    auto v = parse_micros(*end);
    if (!v)
      return param_error("end", v.status().message());
    q.end_unix_nano = *v;
  }
  if (auto before = params.get("before"); before && !before->empty()) {
    std::int64_t v = 0;
    const auto r = std::from_chars(before->data(), before->data() + before->size(), v);
    if (r.ec != std::errc() || r.ptr != before->data() + before->size() || v <= 0)
      return param_error("before",
                         "expected a positive log id, got \"" + std::string(*before) + "\"");
    q.before_id = v;
  }
  auto limit = parse_limit(params, 100, kMaxLogLimit);
  if (!limit)
    return limit.status();
  q.limit = *limit;
  return q;
}

}  // namespace edgetrace::daemon::ui
