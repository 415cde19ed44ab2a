#include "edgetrace/core/env.hpp"

#include <cstdlib>

#include "edgetrace/core/text.hpp"

namespace edgetrace::core {

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr)
      return std::nullopt;
    return std::string(v);
  };
}

EnvLookup map_environment(std::map<std::string, std::string, std::less<>> variables) {
  return [vars = std::move(variables)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

std::optional<std::string> env_value(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> v = env(name);
  if (!v)
    return std::nullopt;
  const std::string_view t = trim_ows(*v);
  if (t.empty())
    return std::nullopt;
  return std::string(t);
}

}  // namespace edgetrace::core
