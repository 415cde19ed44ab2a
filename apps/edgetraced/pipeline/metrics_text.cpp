#include "pipeline/metrics_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace edgetrace::daemon {
namespace {

void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[40];
  if (value == std::floor(value) && std::fabs(value) < 1e18)
    std::snprintf(buf, sizeof buf, "%.0f", value);
  else
    std::snprintf(buf, sizeof buf, "%.17g", value);
  out += buf;
}

}  // namespace

void MetricsText::counter(std::string_view name, std::string_view help,
                          std::initializer_list<Label> labels, std::uint64_t value) {
  sample(name, "counter", help, std::vector<Label>(labels), static_cast<double>(value));
}

void MetricsText::gauge(std::string_view name, std::string_view help,
                        std::initializer_list<Label> labels, double value) {
  sample(name, "gauge", help, std::vector<Label>(labels), value);
}

void MetricsText::sample(std::string_view name, std::string_view type, std::string_view help,
                         const std::vector<Label>& labels, double value) {
  auto it = std::find_if(metrics_.begin(), metrics_.end(),
                         [&](const Metric& m) { return m.name == name; });
  if (it == metrics_.end()) {
    Metric m;
    m.name = std::string(name);
    m.header.append("# HELP ").append(name).append(" ").append(help);
    m.header.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
    metrics_.push_back(std::move(m));
    it = metrics_.end() - 1;
  }
  std::string& out = it->samples;
  out += name;
  if (!labels.empty()) {
    out += '{';
    bool first = true;
    for (const auto& [key, val] : labels) {
      if (!first)
        out += ',';
      first = false;
      out += key;
      out += "=\"";
      append_escaped(out, val);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  append_value(out, value);
  out += '\n';
}

std::string MetricsText::text() const {
  std::string out;
  for (const Metric& m : metrics_) {
    out += m.header;
    out += m.samples;
  }
  return out;
}

}  // namespace edgetrace::daemon
