// A layer that keeps copies of closed spans and events, for the example tests.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/sdk/layer.hpp"

namespace edgetrace::examples::testing {

struct SeenSpan {
  std::string name;
  core::SpanContext context;
  core::SpanId parent;
  bool parent_remote = false;
  sdk::SpanKind kind = sdk::SpanKind::kInternal;
  sdk::SpanStatusCode status = sdk::SpanStatusCode::kUnset;
  std::string status_message;
  std::map<std::string, std::string> attributes;  // display strings

  std::string attribute(std::string_view key) const {
    auto it = attributes.find(std::string(key));
    return it == attributes.end() ? "<missing>" : it->second;
  }
};

struct SeenEvent {
  std::string message;
  core::TraceId trace_id;
  core::SpanId span_id;
  std::map<std::string, std::string> fields;
};

class RecordingLayer : public sdk::Layer {
 public:
  void on_close(const sdk::SpanRecord& r) override {
    SeenSpan s{std::string(r.name()), r.context, r.parent_span_id,
               r.parent_remote,       r.kind,    r.status,
               r.status_message,      {}};
    for (std::size_t i = 0; i < r.attributes.size(); ++i)
      s.attributes[std::string(r.attributes[i].name)] = r.attributes[i].value.to_display_string();
    std::lock_guard<std::mutex> lock(mu_);
    spans_.push_back(std::move(s));
  }
  void on_event(const sdk::Event& e) override {
    SeenEvent s{std::string(e.message), {}, {}, {}};
    if (e.span != nullptr) {
      s.trace_id = e.span->context.trace_id;
      s.span_id = e.span->context.span_id;
    }
    for (const sdk::Field& f : e.fields)
      s.fields[std::string(f.name)] = f.value.to_display_string();
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(s));
  }

  std::vector<SeenSpan> spans() const {
    std::lock_guard<std::mutex> lock(mu_);
    return spans_;
  }
  std::vector<SeenEvent> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    spans_.clear();
    events_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<SeenSpan> spans_;
  std::vector<SeenEvent> events_;
};

// Installs a Tracing (parent-based always-on) with one RecordingLayer at `filter`.
inline RecordingLayer* install_recording_tracing(std::string_view filter = "trace") {
  auto tracing = std::make_shared<sdk::Tracing>(sdk::Tracing::Options{});
  auto layer = std::make_unique<RecordingLayer>();
  RecordingLayer* raw = layer.get();
  tracing->add_layer(std::move(layer), sdk::Filter::parse(filter).value());
  sdk::set_global_subscriber(tracing);
  return raw;
}

}  // namespace edgetrace::examples::testing
