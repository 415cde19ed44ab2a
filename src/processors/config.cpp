#include "edgetrace/processors/config.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "edgetrace/processors/redaction.hpp"

namespace edgetrace::processors {
namespace {

using config::Table;
using config::TableReader;
using config::Value;

// A list of strings, each one item (no comma splitting: patterns contain commas).
core::Status read_strings(const Value& v, std::vector<std::string>& out) {
  if (v.is_string()) {
    out = {*v.string()};
    return {};
  }
  if (!v.is_array())
    return TableReader::expected(v, "an array of strings");
  std::vector<std::string> items;
  for (const Value& item : v.array()) {
    if (!item.is_string())
      return core::invalid_argument("array item: " +
                                    TableReader::expected(item, "a string").message());
    items.push_back(*item.string());
  }
  out = std::move(items);
  return {};
}

core::Status read_redaction(TableReader& r, RedactionOptions& o) {
  r.boolean("enabled", o.enabled);
  r.custom("default_patterns", [&o](const Value& v) -> core::Status {
    if (v.is_boolean()) {
      o.default_patterns = *v.boolean();
      o.only_default_patterns.clear();
      return {};
    }
    if (!v.is_array())
      return TableReader::expected(v, "a boolean or an array of pattern names");
    std::vector<std::string> names;
    if (core::Status s = read_strings(v, names); !s.ok())
      return s;
    for (const std::string& name : names) {
      if (std::find(std::begin(kDefaultPatternNames), std::end(kDefaultPatternNames), name) ==
          std::end(kDefaultPatternNames)) {
        return core::invalid_argument("unknown pattern '" + name +
                                      "' (known: email, bearer_token, api_key, card, ipv4, ipv6)");
      }
    }
    o.default_patterns = !names.empty();
    o.only_default_patterns = std::move(names);
    return {};
  });
  r.custom("patterns", [&o](const Value& v) -> core::Status {
    std::vector<std::string> patterns;
    if (core::Status s = read_strings(v, patterns); !s.ok())
      return s;
    re2::RE2::Options ro;
    ro.set_log_errors(false);
    for (const std::string& p : patterns) {
      re2::RE2 re(p, ro);
      if (!re.ok())
        return core::invalid_argument("pattern '" + p + "': " + re.error());
    }
    o.patterns = std::move(patterns);
    return {};
  });
  r.string("replacement", o.replacement);
  r.custom("allowed_attributes",
           [&o](const Value& v) { return read_strings(v, o.allowed_attributes); });
  r.boolean("trim_stack_paths", o.trim_stack_paths);
  r.custom("stack_path_roots",
           [&o](const Value& v) { return read_strings(v, o.stack_path_roots); });
  return r.finish();
}

core::Status read_sampling(TableReader& r, SamplingOptions& o) {
  r.number("trace_ratio", o.trace_ratio, 0, 1);
  r.number("debug_log_ratio", o.debug_log_ratio, 0, 1);
  r.number("info_log_ratio", o.info_log_ratio, 0, 1);
  r.number("warn_log_ratio", o.warn_log_ratio, 0, 1);
  return r.finish();
}

core::Status read_rate_cap(TableReader& r, RateCapOptions& o) {
  r.number("per_second", o.per_second, 0, 1e9);
  r.number("burst", o.burst, 0, 1e9);
  r.size("max_scopes", o.max_scopes, 1, 10'000'000, "an integer (1 to 10000000)");
  return r.finish();
}

// Reads the sub-table `key` of `table` with `read`, when present.
core::Status read_sub_table(const Table& table, std::string_view key,
                            const std::function<core::Status(TableReader&)>& read) {
  std::optional<Value> v = table.get(key);
  if (!v)
    return {};
  std::optional<Table> sub = table.sub_table(key);
  if (!sub) {
    const std::string path =
        table.path().empty() ? std::string(key) : table.path() + "." + std::string(key);
    return core::invalid_argument(v->position().to_string() + ": [" + table.path() + "] key '" +
                                  std::string(key) + "': expected a table ([" + path + "]), got " +
                                  std::string(v->type_name()));
  }
  TableReader r(std::move(*sub));
  return read(r);
}

}  // namespace

core::Status read_processors_options(const config::Table& table, ProcessorsOptions& out) {
  // Read into a copy so a failure leaves `out` as it was.
  ProcessorsOptions o = out;
  if (core::Status s = read_sub_table(
          table, "redaction", [&o](TableReader& r) { return read_redaction(r, o.redaction); });
      !s.ok())
    return s;
  if (core::Status s = read_sub_table(
          table, "sampling", [&o](TableReader& r) { return read_sampling(r, o.sampling); });
      !s.ok())
    return s;
  if (core::Status s = read_sub_table(
          table, "rate_cap", [&o](TableReader& r) { return read_rate_cap(r, o.scope_rate); });
      !s.ok())
    return s;
  out = std::move(o);
  return {};
}

}  // namespace edgetrace::processors
