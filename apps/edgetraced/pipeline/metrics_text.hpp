// MetricsText: writes the Prometheus text exposition format (version 0.0.4) that the
// daemon's /metrics serves.
//
//   MetricsText out;
//   out.counter("edgetraced_frames_received_total", "Valid device frames received.",
//               {{"receiver", "device_tcp"}}, 42);
//   out.gauge("edgetraced_queue_depth", "Records in the durable queue.", {}, 7);
//   std::string body = out.text();
//
// The # HELP and # TYPE lines of a metric are written once, before its first sample, however
// many label sets follow, and text() groups each metric's samples together (Prometheus
// requires it) in the order metrics were first written, so several parts may write samples
// of the same metric. Label values are escaped (\\, \", \n).
// Label values never hold secrets (tokens, header values): callers pass names only.
//
// Thread-safety: one writer per scrape; not shared. Allocates its text.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgetrace::daemon {

using Label = std::pair<std::string_view, std::string_view>;

class MetricsText {
 public:
  void counter(std::string_view name, std::string_view help, std::initializer_list<Label> labels,
               std::uint64_t value);
  void gauge(std::string_view name, std::string_view help, std::initializer_list<Label> labels,
             double value);
  // The same with labels built at run time.
  void sample(std::string_view name, std::string_view type, std::string_view help,
              const std::vector<Label>& labels, double value);
  std::string text() const;

 private:
  struct Metric {
    std::string name;
    std::string header;  // # HELP and # TYPE lines
    std::string samples;
  };
  std::vector<Metric> metrics_;
};

}  // namespace edgetrace::daemon
