// The query API's parameter parsing (apps/edgetraced/ui/query_params.hpp): the query
// string, Jaeger's search parameters (tags as JSON or logfmt, Go durations, microsecond
// times, limits) and the log search. The input is used as a whole query string and, split
// at the first '\n', as one tags value and one duration. Checks the documented bounds:
// limits within their maximum, start not after end, min <= max duration, durations within
// int64 nanoseconds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "ui/query_params.hpp"

namespace ui = edgetrace::daemon::ui;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  constexpr std::uint64_t kNow = 1700000000000000000ull;

  const ui::QueryParams params = ui::QueryParams::parse(in);
  if (auto q = ui::parse_trace_query(params, kNow); q.ok()) {
    if (q->service.empty() || q->limit == 0 || q->limit > ui::kMaxTraceLimit)
      std::abort();
    if (q->start_unix_nano > q->end_unix_nano)
      std::abort();
    if (q->min_duration_ns && q->max_duration_ns && *q->max_duration_ns < *q->min_duration_ns)
      std::abort();
  }
  if (auto q = ui::parse_log_query(params); q.ok()) {
    if (q->limit == 0 || q->limit > ui::kMaxLogLimit || q->before_id < 0)
      std::abort();
  }

  const std::size_t nl = in.find('\n');
  const std::string_view first = in.substr(0, nl);
  const std::string_view rest =
      nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  if (auto tags = ui::parse_tags(first); tags.ok()) {
    for (const auto& [k, v] : *tags) {
      if (k.empty())
        std::abort();
    }
  }
  if (auto d = ui::parse_go_duration(rest); d.ok()) {
    if (*d > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      std::abort();
  }
  (void)ui::parse_lookback(rest);
  (void)ui::parse_micros(rest);
  (void)ui::parse_trace_id(first);
  return 0;
}
