// EnvLookup: where configuration loaders read environment variables from.
//
//   core::EnvLookup env = core::process_environment();           // the real one
//   core::EnvLookup fake = core::map_environment({{"OTEL_SERVICE_NAME", "checkout"}});  // tests
//   std::optional<std::string> name = env("OTEL_SERVICE_NAME");  // nullopt when unset
//
// Only configuration loaders take an EnvLookup (config::read_otel_environment() for the
// OTEL_* variables, the builder for EDGETRACE_LOG / EDGETRACE_CONFIG); everything else
// takes typed values. Passing the lookup instead of calling getenv() lets a test describe an
// environment without touching the process's.
//
// Thread-safety: process_environment() calls std::getenv(), which is safe as long as no
// thread modifies the environment (setenv/putenv) at the same time. A map_environment()
// lookup owns its copy of the map and may be called from any thread.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace edgetrace::core {

// Looks up an environment variable; nullopt when unset. An empty value is returned as "".
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// The process's environment (std::getenv, read at each call).
EnvLookup process_environment();

// An environment made of exactly these variables.
EnvLookup map_environment(std::map<std::string, std::string, std::less<>> variables);

// `env(name)` with surrounding spaces and tabs removed; nullopt when unset or blank. The
// OpenTelemetry specification treats an empty variable like an unset one.
std::optional<std::string> env_value(const EnvLookup& env, std::string_view name);

}  // namespace edgetrace::core
