// Resource: the attributes that identify what produces telemetry (service.name, ...).
//
//   // The variables come from the one OTEL_* reader, config::read_otel_environment():
//   config::OtelEnvironment otel = config::read_otel_environment(core::process_environment());
//   Resource r = build_resource({{"service.version", "1.4.2"}},
//                               otel.resource_attributes.value_or(Attributes{}),
//                               otel.service_name, current_executable_name());
//   for (auto& p : otel.warnings) std::fprintf(stderr, "%s\n", p.c_str());
//   for (auto& p : problems) std::fprintf(stderr, "%s\n", p.c_str());
//   r.service_name();   // "checkout" if OTEL_SERVICE_NAME=checkout, else ...
//
// Precedence, lowest to highest, as the OpenTelemetry SDK specification says:
//   1. SDK defaults: telemetry.sdk.name=edgetrace, telemetry.sdk.language=cpp,
//      telemetry.sdk.version=<edgetrace version>, service.name=unknown_service:<executable>
//   2. OTEL_RESOURCE_ATTRIBUTES (comma-separated key=value, values percent-decoded; a
//      malformed entry is reported and skipped, the others are kept)
//   3. OTEL_SERVICE_NAME (wins over service.name given in OTEL_RESOURCE_ATTRIBUTES)
//   4. attributes given in code (user-provided resource information has priority)
//
// Thread-safety: value types and pure functions; nothing here reads the environment except
// current_executable_name() (/proc/self/exe).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/attributes.hpp"
#include "edgetrace/core/env.hpp"

namespace edgetrace::core {

inline constexpr std::string_view kSdkName = "edgetrace";
inline constexpr std::string_view kSdkLanguage = "cpp";
std::string_view sdk_version() noexcept;

class Resource {
 public:
  Resource() = default;
  explicit Resource(Attributes attributes, std::string schema_url = {})
      : attributes_(std::move(attributes)), schema_url_(std::move(schema_url)) {}

  const Attributes& attributes() const noexcept { return attributes_; }
  const std::string& schema_url() const noexcept { return schema_url_; }
  // The service.name attribute, or "" when absent or not a string.
  std::string_view service_name() const noexcept;

  // A new resource with `updating`'s attributes winning on equal keys. The schema URL is
  // kept when equal or when one side has none; on a conflict the updating one is used.
  Resource merge(const Resource& updating) const;

  friend bool operator==(const Resource&, const Resource&) = default;

 private:
  Attributes attributes_;
  std::string schema_url_;
};

// The resource's inputs as raw text, for callers that hold the variables' values themselves
// (core reads no environment: config::read_otel_environment() is the one reader).
struct ResourceEnvironment {
  std::optional<std::string> resource_attributes;  // OTEL_RESOURCE_ATTRIBUTES
  std::optional<std::string> service_name;         // OTEL_SERVICE_NAME
  std::string executable_name;                     // for unknown_service:<executable>
};

struct ParsedResourceAttributes {
  Attributes attributes;
  std::vector<std::string> errors;  // one per skipped entry, naming it and what was wrong
};

// Parses the OTEL_RESOURCE_ATTRIBUTES syntax. Never fails as a whole.
ParsedResourceAttributes parse_resource_attributes(std::string_view text);

// The SDK default resource for an executable name.
Resource default_resource(std::string_view executable_name);

// Builds the resource from the layers above. Problems found in the environment are
// appended to `problems` when it is given.
Resource build_resource(const Attributes& from_code, const ResourceEnvironment& env,
                        std::vector<std::string>* problems = nullptr);

// The same precedence over values already parsed (config::OtelEnvironment parses
// OTEL_RESOURCE_ATTRIBUTES once): defaults for `executable_name` < `env_attributes` <
// `env_service_name` (when set and not blank) < `from_code`.
Resource build_resource(const Attributes& from_code, const Attributes& env_attributes,
                        const std::optional<std::string>& env_service_name,
                        std::string_view executable_name);

// The name of the running executable (/proc/self/exe), for unknown_service:<executable>.
std::string current_executable_name();

}  // namespace edgetrace::core
