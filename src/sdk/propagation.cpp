#include "edgetrace/sdk/propagation.hpp"

#include "edgetrace/config/otel_environment.hpp"
#include "edgetrace/core/text.hpp"

namespace edgetrace::sdk {
std::optional<std::string> HeaderMap::get(std::string_view name) const {
  auto it = headers_.find(core::to_lower_ascii(name));
  if (it == headers_.end())
    return std::nullopt;
  return it->second;
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  headers_[core::to_lower_ascii(name)] = std::string(value);
}

Propagators::Loaded Propagators::from_env(const core::EnvLookup& env) {
  return from_names(config::read_otel_environment(env).propagators);
}

Propagators::Loaded Propagators::from_names(const std::optional<std::vector<std::string>>& names) {
  Loaded out;
  if (!names)
    return out;
  bool tracecontext = false;
  bool baggage = false;
  for (const std::string& name : *names) {
    if (name == "tracecontext") {
      tracecontext = true;
    } else if (name == "baggage") {
      baggage = true;
    } else if (name == "none") {
      continue;
    } else {
      out.warnings.push_back("OTEL_PROPAGATORS: '" + name +
                             "' is not supported (tracecontext and baggage are); ignored");
    }
  }
  out.propagators = Propagators(tracecontext, baggage);
  return out;
}

void Propagators::inject(const core::SpanContext& context, const core::Baggage* bag,
                         HeaderCarrier& carrier) const {
  if (tracecontext_ && context.valid()) {
    core::TraceParent tp{0, context.trace_id, context.span_id, context.flags};
    carrier.set("traceparent", core::format_traceparent(tp));
    if (!context.state.empty())
      carrier.set("tracestate", context.state.to_header());
  }
  if (baggage_ && bag != nullptr && !bag->empty()) {
    const std::string header = bag->to_header();
    if (!header.empty())
      carrier.set("baggage", header);
  }
}

Extracted Propagators::extract(const HeaderCarrier& carrier) const {
  Extracted out;
  if (tracecontext_) {
    if (std::optional<std::string> tp = carrier.get("traceparent")) {
      const std::string ts = carrier.get("tracestate").value_or("");
      core::Result<core::SpanContext> ctx = core::extract_trace_context(*tp, ts);
      if (ctx)
        out.context = std::move(ctx).value();
    }
  }
  if (baggage_) {
    if (std::optional<std::string> b = carrier.get("baggage")) {
      core::Result<core::Baggage> parsed = core::Baggage::parse(*b);
      if (parsed)
        out.baggage = std::move(parsed).value();
    }
  }
  return out;
}

}  // namespace edgetrace::sdk
