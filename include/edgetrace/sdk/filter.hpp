// Filter: which events and spans a layer records, written in the directive syntax of Rust's
// tracing-subscriber EnvFilter.
//
//   Result<Filter> f = Filter::parse("info,db=debug,http::client[request{id=7}]=trace");
//   f->enabled("db::pool", Level::kDebug);                 // true
//   f->enabled("http::server", Level::kDebug);             // false: only info and above
//   SpanView spans[] = {{"request", &request_fields}};      // a FieldStore with id=7
//   f->enabled("http::client", Level::kTrace, spans);       // true inside that span
//
// Directives are separated by commas; each is `target[span{field=value,...}]=level` where
// every part is optional:
//   info                    default level for every target
//   db=debug                targets "db", "db::..." and "db.<...>" at debug and above
//   db                      a target alone enables every level (trace)
//   [request]=trace         inside any span named "request"
//   [{user_id=42}]=debug    inside any span whose field user_id displays as 42
//   db=off                  nothing from "db"
// The most specific directive that matches decides: span directives first, then the
// longest target, then the one with more field matches. Nothing matching: disabled.
// Levels: trace, debug, info, warn (warning), error, fatal, off; any case.
//
// Thread-safety: immutable after parse; enabled() is const and may be called from any
// thread. Allocation: enabled() never allocates.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/attributes.hpp"
#include "edgetrace/core/result.hpp"
#include "edgetrace/core/severity.hpp"
#include "edgetrace/sdk/value.hpp"

namespace edgetrace::sdk {

// A span of the current stack as a filter sees it.
struct SpanView {
  std::string_view name;
  const FieldStore* fields = nullptr;
};

struct FieldMatch {
  std::string name;
  std::optional<std::string> value;  // nullopt: the field only has to be present
  friend bool operator==(const FieldMatch&, const FieldMatch&) = default;
};

struct Directive {
  std::string target;                // empty: any target
  std::string span;                  // empty: no span name required
  std::vector<FieldMatch> fields;    // all must match one span
  std::optional<core::Level> level;  // nullopt: off
  bool in_span() const noexcept { return !span.empty() || !fields.empty(); }
  friend bool operator==(const Directive&, const Directive&) = default;
};

class Filter {
 public:
  // A filter that enables nothing.
  Filter() = default;

  // Parses a comma-separated directive list. Errors name the directive and the problem.
  static core::Result<Filter> parse(std::string_view spec);

  bool enabled(std::string_view target, core::Level level) const noexcept {
    return enabled(target, level, {});
  }
  bool enabled(std::string_view target, core::Level level,
               std::span<const SpanView> spans) const noexcept;

  // True when some directive depends on the current span (events must then be checked
  // with the span stack; otherwise a call site's answer can be cached).
  bool has_span_directives() const noexcept { return has_span_directives_; }
  // The most verbose level any directive enables, or nullopt when everything is off.
  std::optional<core::Level> most_verbose() const noexcept;

  const std::vector<Directive>& directives() const noexcept { return directives_; }
  // The directives, most specific first, in the syntax parse() reads.
  std::string to_string() const;

 private:
  std::vector<Directive> directives_;  // most specific first
  bool has_span_directives_ = false;
};

// True when `target` is `prefix` or starts with it followed by "::", "." or "/".
bool target_matches(std::string_view target, std::string_view prefix) noexcept;

}  // namespace edgetrace::sdk
