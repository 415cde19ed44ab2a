#include "edgetrace/core/resource.hpp"
#include "edgetrace/version.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "edgetrace/core/percent_encoding.hpp"
#include "internal/grammar.hpp"

extern char* program_invocation_short_name;  // glibc

namespace edgetrace::core {

std::string current_executable_name() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) {
    std::string_view path(buf, static_cast<std::size_t>(n));
    std::size_t slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
  }
  return program_invocation_short_name != nullptr ? program_invocation_short_name : "";
}

std::string_view sdk_version() noexcept {
  return kVersion;
}

std::string_view Resource::service_name() const noexcept {
  if (const AttributeValue* v = attributes_.get("service.name")) {
    if (const auto* s = v->get_if<std::string>())
      return *s;
  }
  return {};
}

Resource Resource::merge(const Resource& updating) const {
  Attributes merged = attributes_;
  merged.merge_from(updating.attributes_);
  std::string schema = updating.schema_url_.empty() ? schema_url_ : updating.schema_url_;
  return Resource(std::move(merged), std::move(schema));
}

ParsedResourceAttributes parse_resource_attributes(std::string_view text) {
  ParsedResourceAttributes out;
  std::size_t pos = 0;
  std::size_t index = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos)
      comma = text.size();
    const std::string_view raw = text.substr(pos, comma - pos);
    const std::size_t at = pos;
    pos = comma + 1;
    ++index;
    std::string_view entry = trim_ows(raw);
    if (entry.empty())
      continue;
    auto report = [&](const std::string& what) {
      out.errors.push_back("OTEL_RESOURCE_ATTRIBUTES: entry " + std::to_string(index) +
                           " at offset " + std::to_string(at) + " ('" +
                           std::string(entry.substr(0, 64)) + "') skipped: " + what);
    };
    const std::size_t eq = entry.find('=');
    if (eq == std::string_view::npos) {
      report("missing '='");
      continue;
    }
    std::string_view key = trim_ows(entry.substr(0, eq));
    if (key.empty()) {
      report("empty key");
      continue;
    }
    Result<std::string> value = percent_decode(trim_ows(entry.substr(eq + 1)));
    if (!value) {
      report(value.status().message());
      continue;
    }
    Result<std::string> decoded_key = percent_decode(key);
    if (!decoded_key) {
      report(decoded_key.status().message());
      continue;
    }
    out.attributes.set(*decoded_key, std::move(value).value());
  }
  return out;
}

Resource default_resource(std::string_view executable) {
  Attributes a;
  a.set("telemetry.sdk.name", kSdkName);
  a.set("telemetry.sdk.language", kSdkLanguage);
  a.set("telemetry.sdk.version", sdk_version());
  a.set("service.name",
        "unknown_service" + (executable.empty() ? std::string() : ":" + std::string(executable)));
  return Resource(std::move(a));
}

Resource build_resource(const Attributes& from_code, const ResourceEnvironment& env_in,
                        std::vector<std::string>* problems) {
  Attributes env_attributes;
  if (env_in.resource_attributes) {
    ParsedResourceAttributes parsed = parse_resource_attributes(*env_in.resource_attributes);
    if (problems != nullptr) {
      problems->insert(problems->end(), parsed.errors.begin(), parsed.errors.end());
    }
    env_attributes = std::move(parsed.attributes);
  }
  return build_resource(from_code, env_attributes, env_in.service_name, env_in.executable_name);
}

Resource build_resource(const Attributes& from_code, const Attributes& env_attributes,
                        const std::optional<std::string>& env_service_name,
                        std::string_view executable_name) {
  Resource resource = default_resource(executable_name);
  resource = resource.merge(Resource(env_attributes));
  if (env_service_name && !trim_ows(*env_service_name).empty()) {
    Attributes a;
    a.set("service.name", trim_ows(*env_service_name));
    resource = resource.merge(Resource(std::move(a)));
  }
  return resource.merge(Resource(from_code));
}

}  // namespace edgetrace::core
