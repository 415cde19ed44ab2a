// Propagation: inject and extract W3C `traceparent`, `tracestate` and `baggage` through any
// header container.
//
//   struct MyHeaders : HeaderCarrier { ... };           // or HeaderMap below
//   HeaderMap out;
//   Propagators::w3c().inject(span_context, &baggage, out);
//   // out: traceparent, tracestate (when not empty), baggage (when not empty)
//
//   Extracted in = Propagators::from_env(env).propagators.extract(request_headers);
//   if (in.context) parent = *in.context;               // remote parent
//
// OTEL_PROPAGATORS: comma-separated; "tracecontext" and "baggage" are supported, "none"
// disables propagation; other names (b3, jaeger, ...) are reported and ignored. Default:
// tracecontext,baggage. Header names are case-insensitive, as HTTP says.
//
// Thread-safety: Propagators is immutable. Carriers are the caller's.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/baggage.hpp"
#include "edgetrace/core/env.hpp"
#include "edgetrace/core/trace_context.hpp"

namespace edgetrace::sdk {

// The two operations a propagator needs from a request's headers.
class HeaderCarrier {
 public:
  virtual ~HeaderCarrier() = default;
  // The value of `name` (any case), or nullopt. Several values may be joined with ",".
  virtual std::optional<std::string> get(std::string_view name) const = 0;
  virtual void set(std::string_view name, std::string_view value) = 0;
};

// A carrier over a map, with case-insensitive names (stored lowercase).
class HeaderMap : public HeaderCarrier {
 public:
  std::optional<std::string> get(std::string_view name) const override;
  void set(std::string_view name, std::string_view value) override;
  const std::map<std::string, std::string>& headers() const noexcept { return headers_; }

 private:
  std::map<std::string, std::string> headers_;
};

struct Extracted {
  std::optional<core::SpanContext> context;  // a valid remote parent, when one was sent
  core::Baggage baggage;
};

class Propagators {
 public:
  static Propagators w3c() { return Propagators(true, true); }
  static Propagators none() { return Propagators(false, false); }

  struct Loaded;
  static Loaded from_env(const core::EnvLookup& env);
  // From the names OTEL_PROPAGATORS lists (config::OtelEnvironment::propagators, lower-case);
  // absent: the default (tracecontext and baggage).
  static Loaded from_names(const std::optional<std::vector<std::string>>& names);

  // Writes traceparent/tracestate for a valid context, and baggage when not empty.
  void inject(const core::SpanContext& context, const core::Baggage* baggage,
              HeaderCarrier& carrier) const;
  Extracted extract(const HeaderCarrier& carrier) const;

  bool tracecontext() const noexcept { return tracecontext_; }
  bool baggage() const noexcept { return baggage_; }

 private:
  Propagators(bool tracecontext, bool baggage) : tracecontext_(tracecontext), baggage_(baggage) {}
  bool tracecontext_;
  bool baggage_;
};

struct Propagators::Loaded {
  Propagators propagators = Propagators::w3c();
  std::vector<std::string> warnings;
};

}  // namespace edgetrace::sdk
