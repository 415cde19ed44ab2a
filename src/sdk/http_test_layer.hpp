// A layer keeping copies of closed spans for the HTTP helper tests, and its installation.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/sdk/filter.hpp"
#include "edgetrace/sdk/layer.hpp"

namespace edgetrace::sdk::http::testing {

struct SeenSpan {
  std::string name;
  core::SpanContext context;
  core::SpanId parent;
  bool parent_remote = false;
  SpanKind kind = SpanKind::kInternal;
  SpanStatusCode status = SpanStatusCode::kUnset;
  std::string status_message;
  std::map<std::string, std::string> attributes;  // display strings

  std::string attribute(std::string_view key) const {
    auto it = attributes.find(std::string(key));
    return it == attributes.end() ? "<missing>" : it->second;
  }
};

class RecordingLayer : public Layer {
 public:
  void on_close(const SpanRecord& r) override {
    SeenSpan s;
    s.name = std::string(r.name());
    s.context = r.context;
    s.parent = r.parent_span_id;
    s.parent_remote = r.parent_remote;
    s.kind = r.kind;
    s.status = r.status;
    s.status_message = r.status_message;
    for (std::size_t i = 0; i < r.attributes.size(); ++i)
      s.attributes[std::string(r.attributes[i].name)] = r.attributes[i].value.to_display_string();
    std::lock_guard<std::mutex> lock(mu_);
    spans_.push_back(std::move(s));
  }
  std::vector<SeenSpan> spans() const {
    std::lock_guard<std::mutex> lock(mu_);
    return spans_;
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return spans_.size();
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    spans_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<SeenSpan> spans_;
};

// Installs a Tracing (parent-based always-on) with one RecordingLayer at `filter`.
inline RecordingLayer* install_recording_tracing(std::string_view filter = "trace") {
  auto tracing = std::make_shared<Tracing>(Tracing::Options{});
  auto layer = std::make_unique<RecordingLayer>();
  RecordingLayer* raw = layer.get();
  tracing->add_layer(std::move(layer), Filter::parse(filter).value());
  set_global_subscriber(tracing);
  return raw;
}

}  // namespace edgetrace::sdk::http::testing
