// Parsing of the query API's parameters: the URL query string, Jaeger's search parameters
// (tags as JSON or logfmt, Go durations, microsecond times) and edgetrace's log search.
// Kept apart from the handlers so that the fuzz target (fuzz/query_params_fuzz.cpp) and
// the unit tests reach every rule without a server.
//
//   ui::QueryParams params = ui::QueryParams::parse(request.query);
//   core::Result<store::TraceQuery> q = ui::parse_trace_query(params, now_unix_nano);
//   if (!q) return 400 with q.status().message();   // "unable to parse param 'limit': ..."
//
// Where each rule comes from (jaegertracing/jaeger cmd/query/app/query_parser.go):
//   - service is required for a search ("parameter 'service' is required");
//   - start/end: integers, microseconds since the epoch; end absent = now;
//   - minDuration/maxDuration: Go's time.ParseDuration ("1.2s", "100ms", "500us", "1h30m";
//     units ns us µs μs ms s m h); maxDuration below minDuration is an error;
//   - tags: a JSON object of strings (json.Unmarshal into map[string]string); `tag=k:v`
//     (repeatable) too. Jaeger's UI and Grafana also send logfmt (`k=v k2="a b"`), which
//     jaeger-ui converts client-side; we accept both here. Numbers and booleans in the
//     JSON object are taken as their text (Jaeger refuses them).
//   - limit: Jaeger's default is 100 (defaultQueryLimit); ours is 20 (docs contract), and
//     at most kMaxTraceLimit.
//   - lookback: sent by jaeger-ui ("1h", "2d", "custom"); used only when start is absent
//     (Go durations plus a "d" day unit; "custom" is ignored). Absent both: the last hour.
//
// Thread-safety: pure functions. Allocation: the returned values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgetrace/core/result.hpp"
#include "store/trace_store.hpp"

namespace edgetrace::daemon::ui {

inline constexpr std::size_t kMaxTraceLimit = 1000;
inline constexpr std::size_t kMaxLogLimit = 1000;
// Without start or lookback, a search covers the last hour (jaeger-query's default
// traceQueryLookbackDuration is a day; jaeger-ui sends lookback=1h by default).
inline constexpr std::uint64_t kDefaultLookbackNs = 3600ull * 1000000000ull;

// The name=value pairs of a query string, decoded (%XX and '+' as space), in order.
class QueryParams {
 public:
  // Never fails: a pair that is not valid percent-encoding is kept as sent.
  static QueryParams parse(std::string_view query);
  // The first value of `name`, or nullopt when absent.
  std::optional<std::string_view> get(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string_view> all(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// Go's time.ParseDuration, to nanoseconds; negative durations are refused.
core::Result<std::uint64_t> parse_go_duration(std::string_view text);
// A lookback: a Go duration, or a whole number of days ("2d").
core::Result<std::uint64_t> parse_lookback(std::string_view text);
// Jaeger's `tags` value: a JSON object of strings, or logfmt `k=v k2="v 2"`.
core::Result<std::vector<std::pair<std::string, std::string>>> parse_tags(std::string_view text);
// Microseconds since the epoch (a non-negative integer) to nanoseconds.
core::Result<std::uint64_t> parse_micros(std::string_view text);

// /api/traces. Error messages name the parameter, as Jaeger's do.
core::Result<store::TraceQuery> parse_trace_query(const QueryParams& params,
                                                  std::uint64_t now_unix_nano);
// /api/v1/logs.
core::Result<store::LogQuery> parse_log_query(const QueryParams& params);
// A trace id in a path: 32 hex digits (either case); shorter ids are left-padded with zeros
// as Jaeger's TraceIDFromString does.
core::Result<core::TraceId> parse_trace_id(std::string_view text);
// A positive limit up to `max`, `fallback` when absent.
core::Result<std::size_t> parse_limit(const QueryParams& params, std::size_t fallback,
                                      std::size_t max);

}  // namespace edgetrace::daemon::ui
