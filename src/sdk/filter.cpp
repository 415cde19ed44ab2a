#include "edgetrace/sdk/filter.hpp"

#include <algorithm>

#include "edgetrace/core/text.hpp"

namespace edgetrace::sdk {
namespace {

bool valid_name(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == ':' || c == '.' || c == '-' || c == '/';
  });
}

struct ParsedLevel {
  bool ok = false;                   // a level name or "off"
  std::optional<core::Level> level;  // nullopt: off
};

ParsedLevel parse_level_or_off(std::string_view s) {
  std::string lower(s);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  }
  if (lower == "off")
    return {true, std::nullopt};
  if (auto l = core::parse_level(lower))
    return {true, *l};
  return {};
}

// Splits on commas that are not inside [...] or {...}.
std::vector<std::string_view> split_directives(std::string_view spec) {
  std::vector<std::string_view> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    const char c = spec[i];
    if (c == '[' || c == '{')
      ++depth;
    if (c == ']' || c == '}')
      --depth;
    if (c == ',' && depth == 0) {
      out.push_back(spec.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(spec.substr(start));
  return out;
}

core::Status directive_error(std::string_view directive, const std::string& what) {
  return core::invalid_argument("filter directive '" + std::string(directive) + "': " + what);
}

core::Result<Directive> parse_directive(std::string_view text) {
  Directive d;
  std::string_view rest = text;
  // "=level" at the end (outside brackets).
  std::string_view level_text;
  const std::size_t close = rest.rfind(']');
  const std::size_t eq = rest.rfind('=');
  const bool has_level =
      eq != std::string_view::npos && (close == std::string_view::npos || eq > close);
  if (has_level) {
    level_text = core::trim_ows(rest.substr(eq + 1));
    rest = core::trim_ows(rest.substr(0, eq));
  }
  // "[span{fields}]"
  const std::size_t open = rest.find('[');
  if (open != std::string_view::npos) {
    if (rest.back() != ']')
      return directive_error(text, "missing ']' after the span part");
    std::string_view inside = rest.substr(open + 1, rest.size() - open - 2);
    rest = core::trim_ows(rest.substr(0, open));
    const std::size_t brace = inside.find('{');
    std::string_view span_name = core::trim_ows(inside.substr(0, brace));
    if (!span_name.empty()) {
      if (!valid_name(span_name))
        return directive_error(text, "invalid span name");
      d.span = std::string(span_name);
    }
    if (brace != std::string_view::npos) {
      if (inside.back() != '}')
        return directive_error(text, "missing '}' after the fields");
      std::string_view fields = inside.substr(brace + 1, inside.size() - brace - 2);
      for (std::string_view f : split_directives(fields)) {
        f = core::trim_ows(f);
        if (f.empty())
          continue;
        const std::size_t feq = f.find('=');
        FieldMatch m;
        m.name = std::string(core::trim_ows(f.substr(0, feq)));
        if (!valid_name(m.name))
          return directive_error(text, "invalid field name");
        if (feq != std::string_view::npos) {
          std::string_view v = core::trim_ows(f.substr(feq + 1));
          if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
            v = v.substr(1, v.size() - 2);
          m.value = std::string(v);
        }
        d.fields.push_back(std::move(m));
      }
    }
    if (d.span.empty() && d.fields.empty())
      return directive_error(text, "empty span part '[]'");
  } else if (rest.find_first_of("]{}") != std::string_view::npos) {
    return directive_error(text, "unbalanced brackets");
  }
  if (!rest.empty()) {
    if (!valid_name(rest))
      return directive_error(text, "invalid target");
    d.target = std::string(rest);
  }

  if (has_level) {
    if (d.target.empty() && !d.in_span())
      return directive_error(text, "missing target before '='");
    const ParsedLevel level = parse_level_or_off(level_text);
    if (!level.ok) {
      return directive_error(text,
                             "unknown level '" + std::string(level_text) +
                                 "' (expected trace, debug, info, warn, error, fatal or off)");
    }
    d.level = level.level;
  } else if (d.target.empty() && d.span.empty() && d.fields.empty()) {
    return directive_error(text, "empty directive");
  } else if (!d.in_span() && !has_level) {
    // A bare word is either a default level ("info") or a target enabled at every level.
    if (const ParsedLevel level = parse_level_or_off(d.target); level.ok) {
      d.level = level.level;
      d.target.clear();
    } else {
      d.level = core::Level::kTrace;
    }
  } else {
    d.level = core::Level::kTrace;
  }
  return d;
}

// Orders directives most specific first.
bool more_specific(const Directive& a, const Directive& b) {
  if (a.in_span() != b.in_span())
    return a.in_span();
  if (a.target.size() != b.target.size())
    return a.target.size() > b.target.size();
  if (a.span.empty() != b.span.empty())
    return !a.span.empty();
  return a.fields.size() > b.fields.size();
}

bool span_matches(const Directive& d, const SpanView& s) {
  if (!d.span.empty() && s.name != d.span)
    return false;
  for (const FieldMatch& m : d.fields) {
    if (s.fields == nullptr)
      return false;
    const std::optional<Value> v = s.fields->find(m.name);
    if (!v)
      return false;
    if (m.value) {
      if (v->kind() == Value::Kind::kString ? v->as_string() != *m.value
                                            : v->to_display_string() != *m.value)
        return false;
    }
  }
  return true;
}

bool level_allows(const std::optional<core::Level>& directive, core::Level level) {
  return directive.has_value() && level >= *directive;
}

}  // namespace

bool target_matches(std::string_view target, std::string_view prefix) noexcept {
  if (prefix.empty())
    return true;
  if (!target.starts_with(prefix))
    return false;
  if (target.size() == prefix.size())
    return true;
  const std::string_view rest = target.substr(prefix.size());
  return rest.starts_with("::") || rest.front() == '.' || rest.front() == '/';
}

core::Result<Filter> Filter::parse(std::string_view spec) {
  Filter f;
  for (std::string_view raw : split_directives(spec)) {
    std::string_view text = core::trim_ows(raw);
    if (text.empty())
      continue;
    core::Result<Directive> d = parse_directive(text);
    if (!d)
      return d.status();
    f.has_span_directives_ = f.has_span_directives_ || d->in_span();
    // A later directive for the same selector replaces the earlier one.
    auto same = std::find_if(f.directives_.begin(), f.directives_.end(), [&](const Directive& e) {
      return e.target == d->target && e.span == d->span && e.fields == d->fields;
    });
    if (same != f.directives_.end()) {
      *same = std::move(d).value();
    } else {
      f.directives_.push_back(std::move(d).value());
    }
  }
  std::stable_sort(f.directives_.begin(), f.directives_.end(), more_specific);
  return f;
}

bool Filter::enabled(std::string_view target, core::Level level,
                     std::span<const SpanView> spans) const noexcept {
  for (const Directive& d : directives_) {
    if (!target_matches(target, d.target))
      continue;
    if (d.in_span()) {
      const bool inside = std::any_of(spans.begin(), spans.end(),
                                      [&](const SpanView& s) { return span_matches(d, s); });
      if (!inside)
        continue;
    }
    return level_allows(d.level, level);
  }
  return false;
}

std::optional<core::Level> Filter::most_verbose() const noexcept {
  std::optional<core::Level> best;
  for (const Directive& d : directives_) {
    if (d.level && (!best || *d.level < *best))
      best = d.level;
  }
  return best;
}

std::string Filter::to_string() const {
  std::string out;
  for (const Directive& d : directives_) {
    if (!out.empty())
      out += ',';
    out += d.target;
    if (d.in_span()) {
      out += '[' + d.span;
      if (!d.fields.empty()) {
        out += '{';
        for (std::size_t i = 0; i < d.fields.size(); ++i) {
          if (i != 0)
            out += ',';
          out += d.fields[i].name;
          if (d.fields[i].value)
            out += '=' + *d.fields[i].value;
        }
        out += '}';
      }
      out += ']';
    }
    if (!d.target.empty() || d.in_span())
      out += '=';
    std::string level = d.level ? std::string(core::severity_text(*d.level)) : "off";
    for (char& c : level)
      c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    out += level;
  }
  return out;
}

}  // namespace edgetrace::sdk
