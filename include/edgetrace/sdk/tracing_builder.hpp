// TracingBuilder: one call that builds the layers, installs them for the whole process and
// returns the guard that flushes and shuts them down.
//
//   int main() {
//     auto guard = edgetrace::sdk::TracingBuilder("checkout")
//                      .with_console()                       // human-readable, stdout
//                      .with_otlp()   // edgetrace::sdk_otlp; OTEL_EXPORTER_OTLP_* decide where
//                      .build();
//     if (!guard) { std::fprintf(stderr, "%s\n", guard.status().to_string().c_str()); return 1; }
//     ET_INFO("started");
//     ...
//   }   // ~TracingGuard: flushes every layer (at most 5 s) and uninstalls them
//
// What build() does:
//  1. the configuration: TracingConfig defaults < a config file (with_config_file(), or
//     $EDGETRACE_CONFIG when neither with_config() nor with_config_file() was called) <
//     the OTEL_* environment (config.hpp, apply_environment) < the explicit calls below;
//  2. OTEL_SDK_DISABLED=true (or sdk_disabled in the file): installs nothing and returns a
//     disabled guard; every ET_* call site stays a no-op;
//  3. the resource: service.name (the file, OTEL_SERVICE_NAME, else the constructor's
//     name), service.version (with_version(), OTEL_RESOURCE_ATTRIBUTES, the file, else the
//     application's version, see below), service.instance.id (with_instance_id(),
//     OTEL_RESOURCE_ATTRIBUTES, the file, else a random UUID made once per process),
//     with_resource_attribute() values, OTEL_RESOURCE_ATTRIBUTES, SDK attributes;
//  4. each enabled layer with its filter: the filter passed to with_*(), else the layer's
//     `level` in the config, else $EDGETRACE_LOG, else "info". A bad directive is an error
//     naming the layer;
//  5. the sampler: with_sampler(), else the config's (OTEL_TRACES_SAMPLER[_ARG] included);
//  6. installs the Tracing with set_global_subscriber(), replacing any previous one.
//
// Fail open for logging, closed for export: an OTLP layer that cannot be built (an unusable
// endpoint, an unreadable certificate, a bad [tracing.otlp.processors] table) does not stop
// build(): the console and file layers are installed, nothing is exported, and one warning
// says why ("OTLP export is off: ..."). The OTLP layer also turns on by itself when
// OTEL_EXPORTER_OTLP_ENDPOINT (or a per-signal endpoint) is set, unless the config says
// `enabled = false` or without_otlp() was called; without a factory that is a warning too.
//
// The application's version: a program whose build defines EDGETRACE_SERVICE_VERSION (a
// string literal) for every file that constructs a TracingBuilder gets it as the default
// service.version:
//   target_compile_definitions(checkout PRIVATE EDGETRACE_SERVICE_VERSION="${PROJECT_VERSION}")
// The macro is read where the constructor is called (a default argument), so the value is the
// application's, not the one edgetrace was built with.
//
// Layers: the config decides which of console (on by default), file and OTLP are built;
// with_console()/with_file()/with_otlp() turn one on (explicit options replace that layer's
// config keys; with_otlp() without options reads them from the config and environment),
// without_console() etc. turn one off, with_layer() adds any other Layer.
//
// The OTLP layer lives in its own library, edgetrace::sdk_otlp (gRPC, libcurl, protobuf), so
// that a program logging to the console or to files links none of them. The builder knows it
// only through a factory, never through static registration. Both with_otlp() forms are
// declared here but defined in edgetrace::sdk_otlp, and calling either supplies the factory
// (a program that calls one and links only edgetrace::sdk fails to link, naming it). A
// program that leaves the OTLP layer to the config file or the environment passes the
// factory itself:
//   #include "edgetrace/sdk/otlp_layer.hpp"      // and link edgetrace::sdk_otlp
//   builder.with_otlp_factory(&edgetrace::sdk::make_otlp_layer);
// When the config or the environment asks for the OTLP layer and no factory was given,
// build() fails with a message naming edgetrace::sdk_otlp.
//
// fork(): a child process gets clean no-ops from the parent's layers (their threads do not
// exist in the child and their locks may be held); the child builds its own TracingBuilder
// to log. Destroying the parent's guard in the child does nothing.
//
// Thread-safety: a builder is used by one thread. TracingGuard is move-only; force_flush()
// may be called from any thread, shutdown() and the destructor from one thread at a time
// (they block for at most the shutdown deadline). Logging threads may run during shutdown:
// their calls become no-ops.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/config/otel_environment.hpp"
#include "edgetrace/core/attributes.hpp"
#include "edgetrace/core/env.hpp"
#include "edgetrace/core/resource.hpp"
#include "edgetrace/core/result.hpp"
#include "edgetrace/sdk/config.hpp"
#include "edgetrace/sdk/console_layer.hpp"
#include "edgetrace/sdk/file_layer.hpp"
#include "edgetrace/sdk/layer.hpp"
#include "edgetrace/sdk/sampler.hpp"

#if defined(EDGETRACE_SERVICE_VERSION)
#define EDGETRACE_INTERNAL_APPLICATION_VERSION EDGETRACE_SERVICE_VERSION
#else
#define EDGETRACE_INTERNAL_APPLICATION_VERSION ""
#endif

namespace edgetrace::sdk {

namespace internal {
class ForkSafeSubscriber;
}  // namespace internal

// This process's service.instance.id when nothing sets one: a random UUID (version 4, as the
// OpenTelemetry semantic conventions recommend), made on first use and kept for the life of
// the process (a fork()ed child makes its own). Thread-safe.
std::string default_instance_id();

// The OTLP layer's options (otlp_layer.hpp, edgetrace::sdk_otlp).
struct OtlpLayerOptions;

// What an OTLP layer factory gets from build(): the config after the environment, the parsed
// environment (per-signal and batch variables), the built resource, and where to report
// warnings.
struct OtlpLayerRequest {
  const OtlpConfig& config;
  const config::OtelEnvironment& environment;
  const core::Resource& resource;
  std::vector<std::string>& warnings;
};
// Builds the OTLP layer; edgetrace::sdk_otlp provides make_otlp_layer (otlp_layer.hpp).
using OtlpLayerFactory = core::Result<std::unique_ptr<Layer>> (*)(const OtlpLayerRequest&);

// Owns what build() installed. Destroying it (or shutdown()) uninstalls the subscriber, then
// flushes and shuts down every layer within the deadline; afterwards ET_* calls are no-ops.
class TracingGuard {
 public:
  // A disabled guard: nothing installed.
  TracingGuard() = default;
  TracingGuard(TracingGuard&& other) noexcept;
  TracingGuard& operator=(TracingGuard&& other) noexcept;
  TracingGuard(const TracingGuard&) = delete;
  TracingGuard& operator=(const TracingGuard&) = delete;
  ~TracingGuard();

  // True when nothing was installed (OTEL_SDK_DISABLED, or a moved-from guard).
  bool disabled() const noexcept { return tracing_ == nullptr; }
  // The installed subscriber, for its counters and layers (null when disabled).
  Tracing* tracing() const noexcept { return tracing_.get(); }
  // The resource the layers report (empty when disabled).
  const core::Resource& resource() const noexcept { return resource_; }
  // Problems build() found and worked around: invalid environment values, unknown sampler
  // names, exporter option warnings. Never contains header values.
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }

  // Writes out what every layer buffers; true when all of it went out within `timeout`.
  bool force_flush(std::chrono::milliseconds timeout);
  bool force_flush() { return force_flush(shutdown_timeout_); }
  // Uninstalls the subscriber (if it is still the installed one), then shuts every layer down
  // within the shutdown deadline. Idempotent; true when everything was flushed in time.
  bool shutdown();

 private:
  friend class TracingBuilder;

  std::shared_ptr<Tracing> tracing_;
  std::shared_ptr<internal::ForkSafeSubscriber> installed_;
  core::Resource resource_;
  std::vector<std::string> warnings_;
  std::chrono::milliseconds shutdown_timeout_{5000};
  int pid_ = 0;  // the process that built it: a forked child must not touch the layers
  std::atomic<bool> shut_down_{false};
};

class TracingBuilder {
 public:
  // `service_name` is used when neither the config file nor the environment names the service.
  // `application_version`: the default service.version; leave it to the default argument,
  // which is EDGETRACE_SERVICE_VERSION when the calling file is compiled with it (see above).
  explicit TracingBuilder(std::string service_name, std::string_view application_version =
                                                        EDGETRACE_INTERNAL_APPLICATION_VERSION);

  // A builder whose config comes from `path` (or $EDGETRACE_CONFIG when `path` is empty; no
  // file at all when that is unset too), from the table at `table_path`. Read by build().
  static TracingBuilder from_config_file(
      std::string service_name, std::string path = {}, std::string table_path = "tracing",
      std::string_view application_version = EDGETRACE_INTERNAL_APPLICATION_VERSION);

  // Resource identity and line details; each beats the config file and the environment.
  // service.version.
  TracingBuilder& with_version(std::string version);
  // service.instance.id (default: default_instance_id()).
  TracingBuilder& with_instance_id(std::string id);
  // Any other resource attribute ("deployment.environment.name", "mitosis.component"); the
  // last value given for a key wins, and it wins over OTEL_RESOURCE_ATTRIBUTES.
  TracingBuilder& with_resource_attribute(std::string key, core::AttributeValue value);
  // Console and file lines (config-built and explicit layers alike): span new/close lines
  // with busy and idle times (log_spans), the OS thread id, the thread name.
  TracingBuilder& with_span_events(bool enabled);
  TracingBuilder& with_thread_ids(bool enabled);
  TracingBuilder& with_thread_names(bool enabled);

  // Console lines. `filter`: directives (filter.hpp); empty: see the header comment.
  TracingBuilder& with_console(ConsoleLayerOptions options = {}, std::string filter = {});
  // Rolling files.
  TracingBuilder& with_file(FileLayerOptions options, std::string filter = {});
  // OTLP export with options from the config and the environment (OTEL_EXPORTER_OTLP_*,
  // OTEL_BSP_*, OTEL_BLRP_*) and the built resource. Defined in edgetrace::sdk_otlp (link
  // it and include edgetrace/sdk/otlp_layer.hpp); sets the OTLP layer factory.
  TracingBuilder& with_otlp(std::string filter = {});
  // OTLP export with exactly these options (the environment is not read; an empty
  // resource is replaced by the built one). Defined in edgetrace::sdk_otlp: include
  // edgetrace/sdk/otlp_layer.hpp and link that library to call it.
  TracingBuilder& with_otlp(OtlpLayerOptions options, std::string filter = {});
  // How the OTLP layer the config or environment asks for is built (edgetrace::sdk_otlp's
  // make_otlp_layer). Without one, asking for that layer is an error.
  TracingBuilder& with_otlp_factory(OtlpLayerFactory factory);
  TracingBuilder& without_console();
  TracingBuilder& without_file();
  TracingBuilder& without_otlp();
  // Any other layer (a test recorder, a custom sink).
  TracingBuilder& with_layer(std::unique_ptr<Layer> layer, std::string filter = {});

  TracingBuilder& with_sampler(Sampler sampler);
  // Use this configuration instead of reading a file (the environment still applies).
  TracingBuilder& with_config(TracingConfig config);
  // Read this TOML file in build(), its table at `table_path` ("coordinator.tracing").
  TracingBuilder& with_config_file(std::string path, std::string table_path = "tracing");
  // Where environment variables come from (tests); default: the process environment.
  TracingBuilder& with_env(core::EnvLookup env);
  // How long the guard's shutdown may take in total (default 5 s).
  TracingBuilder& with_shutdown_deadline(std::chrono::milliseconds timeout);

  // Builds and installs. Errors: an unreadable or invalid config file, a bad filter, a file
  // layer that cannot be created (directory not writable, no cache directory), a config that
  // enables OTLP in a program without the OTLP factory. An OTLP layer that cannot be built
  // is a warning, not an error (fail open for logging). Nothing is installed on error. Call
  // once.
  core::Result<TracingGuard> build();

 private:
  struct ExtraLayer {
    std::unique_ptr<Layer> layer;
    std::string filter;
  };
  template <typename Options>
  struct Explicit {
    std::optional<Options> options;
    std::string filter;
    bool disabled = false;
  };

  std::string service_name_;
  std::string application_version_;
  std::optional<TracingConfig> config_;
  std::string config_path_;
  std::string config_table_ = "tracing";
  std::string version_;
  std::string instance_id_;
  core::Attributes resource_attributes_;
  std::optional<bool> span_events_;
  std::optional<bool> thread_ids_;
  std::optional<bool> thread_names_;
  core::EnvLookup env_;
  Explicit<ConsoleLayerOptions> console_;
  Explicit<FileLayerOptions> file_;
  // The OTLP layer: explicit (with_otlp(OtlpLayerOptions), a closure over the options that
  // builds the layer for the resource), from the config and environment, or off.
  std::function<core::Result<std::unique_ptr<Layer>>(const core::Resource&)> otlp_explicit_;
  std::string otlp_filter_;
  bool otlp_disabled_ = false;
  bool otlp_from_env_ = false;
  OtlpLayerFactory otlp_factory_ = nullptr;
  std::vector<ExtraLayer> extra_;
  std::optional<Sampler> sampler_;
  std::chrono::milliseconds shutdown_timeout_{5000};
};

}  // namespace edgetrace::sdk
