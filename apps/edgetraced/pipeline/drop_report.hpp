// Drop report: what the daemon dropped, sent to the backend as OTLP metrics, so a team sees
// its losses where it looks at its data (and not only on /metrics).
//
//   DropCounts counts;
//   counts.push_back({"edgetraced.logs.dropped", "sampled", "proxy", 120});
//   otlp::MetricsRequest r = drop_report(counts, resource, started_unix_nano, now_unix_nano);
//   queue.append(r);                         // exported like any other metrics
//
// One Sum metric per name (monotonic, cumulative since the daemon started, unit "{item}" or
// "{record}"), one data point per (reason, pipeline) with the attributes `reason` and, when
// the count belongs to a pipeline, `pipeline`. Names, in the style of the Collector's
// otelcol_*_dropped_* counters:
//   edgetraced.spans.dropped          spans dropped by a processor (sampled, rate_capped)
//   edgetraced.logs.dropped           log records dropped by a processor (sampled,
//                                     rate_capped, below_min_severity)
//   edgetraced.queue.records.dropped  queue records (requests) dropped by the durable queue
//                                     (lower_priority, oldest, too_large, write_failed,
//                                     corrupt, unreadable, refused)
//   edgetraced.export.items.dropped   items a backend refused for good (rejected, too_large,
//                                     encode_failed, partial_success)
// Counts of zero are left out; an empty report has no metric.
//
// Thread-safety: pure function. Allocation: the request.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edgetrace/core/attributes.hpp"
#include "edgetrace/otlp/codec.hpp"

namespace edgetrace::daemon {

struct DropCount {
  std::string metric;    // "edgetraced.spans.dropped", ...
  std::string reason;    // "sampled", "rate_capped", ...
  std::string pipeline;  // "device", "otlp", "proxy"; "" when not a pipeline's
  std::uint64_t count = 0;
};
using DropCounts = std::vector<DropCount>;

otlp::MetricsRequest drop_report(const DropCounts& counts, const core::Attributes& resource,
                                 std::uint64_t start_unix_nano, std::uint64_t now_unix_nano);

}  // namespace edgetrace::daemon
