#include "pipeline/metrics_text.hpp"

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
  if (last_metric_ != name) {
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    text_ += help;
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += ' ';
    text_ += type;
    text_ += '\n';
    last_metric_ = name;
  }
  text_ += name;
  if (!std::empty(labels)) {
    text_ += '{';
    bool first = true;
    for (const auto& [key, val] : labels) {
      if (!first)
        text_ += ',';
      first = false;
      text_ += key;
      text_ += "=\"";
      append_escaped(text_, val);
      text_ += '"';
    }
    text_ += '}';
  }
  text_ += ' ';
  append_value(text_, value);
  text_ += '\n';
}

}  // namespace edgetrace::daemon
