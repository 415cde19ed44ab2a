// MetricsText: writes the Prometheus text exposition format (version 0.0.4) that the
// daemon's /metrics serves.
//
//   MetricsText out;
//   out.counter("edgetraced_frames_received_total", "Valid device frames received.",
//               {{"receiver", "device_tcp"}}, 42);
//   out.gauge("edgetraced_queue_depth", "Records in the durable queue.", {}, 7);
//   std::string body = std::move(out).text();
//
// The # HELP and # TYPE lines of a metric are written once, before its first sample, however
// many label sets follow; samples of one metric must be written together (Prometheus
// requires a metric's samples to be contiguous). Label values are escaped (\\, \", \n).
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
  const std::string& text() const& noexcept { return text_; }
  std::string text() && noexcept { return std::move(text_); }

 private:
  std::string text_;
  std::string last_metric_;
};

}  // namespace edgetrace::daemon
