#include "edgetrace/sdk/tracing_builder.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <utility>

#include "edgetrace/core/text.hpp"

namespace edgetrace::sdk {
namespace internal {
namespace {

// Incremented in every forked child (pthread_atfork). A subscriber built in one generation
// turns itself off in the next: the child has none of the parent's background threads, and
// the layers' locks may have been held by one of them at the moment of the fork.
std::atomic<std::uint64_t> g_fork_generation{0};

void on_fork_child() noexcept {
  // Only an atomic store: after fork() in a threaded program the child may only do
  // async-signal-safe things until it builds its own state.
  g_fork_generation.fetch_add(1, std::memory_order_relaxed);
}

void install_fork_handler_once() {
  static std::once_flag once;
  std::call_once(once, [] { ::pthread_atfork(nullptr, nullptr, &on_fork_child); });
}

}  // namespace

// What build() installs: the Tracing, switched off in a forked child. Tracing is final, so
// each forward is a direct call after one relaxed load.
class ForkSafeSubscriber final : public Subscriber {
 public:
  explicit ForkSafeSubscriber(std::shared_ptr<Tracing> tracing)
      : tracing_(std::move(tracing)),
        generation_(g_fork_generation.load(std::memory_order_relaxed)) {}

  bool live() const noexcept {
    return g_fork_generation.load(std::memory_order_relaxed) == generation_;
  }

  Interest register_callsite(const Metadata& metadata) override {
    return live() ? tracing_->register_callsite(metadata) : Interest::kNever;
  }
  std::uint32_t callsite_mask(const Metadata& metadata) override {
    return live() ? tracing_->callsite_mask(metadata) : 0;
  }
  bool enabled(const Metadata& metadata) override { return live() && tracing_->enabled(metadata); }
  bool enabled(const Metadata& metadata, std::uint32_t& mask) override {
    return live() && tracing_->enabled(metadata, mask);
  }
  void event(const Event& event) override {
    if (live())
      tracing_->event(event);
  }
  SpanRecord* new_span(const Metadata& metadata, const SpanOptions& options,
                       std::span<const Field> fields, std::uint32_t mask) override {
    return live() ? tracing_->new_span(metadata, options, fields, mask) : nullptr;
  }
  void close_span(SpanRecord& span) override {
    if (live())
      tracing_->close_span(span);
  }
  bool wants_span_transitions() const override { return tracing_->wants_span_transitions(); }

 private:
  std::shared_ptr<Tracing> tracing_;
  std::uint64_t generation_;
};

}  // namespace internal

namespace {

using Clock = std::chrono::steady_clock;

LineOptions line_options(const TracingConfig& c, LineFormat format) {
  LineOptions o;
  o.format = format;
  o.show_thread_ids = c.log_thread_ids;
  o.show_thread_names = c.log_thread_names;
  o.span_events = c.log_spans ? SpanEvents::kNewAndClose : SpanEvents::kNone;
  return o;
}

ConsoleLayerOptions console_options(const TracingConfig& c) {
  ConsoleLayerOptions o;
  o.line = line_options(c, c.console.format);
  o.line.show_target = c.console.show_target;
  o.line.show_source_location = c.console.show_source_location;
  o.line.show_span_list = c.console.show_span_list;
  o.line.show_trace_ids = c.console.show_trace_ids;
  o.ansi = c.console.ansi;
  o.to_stderr = c.console.to_stderr;
  return o;
}

FileLayerOptions file_options(const TracingConfig& c, std::string_view service_name) {
  FileLayerOptions o;
  o.directory = c.file.path;
  o.prefix = c.file.prefix.empty() ? std::string(service_name) : c.file.prefix;
  o.suffix = c.file.suffix;
  o.rotation = c.file.rotation;
  o.max_files = c.file.max_files;
  o.line = line_options(c, c.file.format);
  return o;
}

core::Result<Filter> layer_filter(std::string_view layer, const std::string& explicit_filter,
                                  const std::string& config_level,
                                  const std::string& default_filter) {
  const std::string& spec = !explicit_filter.empty() ? explicit_filter
                            : !config_level.empty()  ? config_level
                                                     : default_filter;
  core::Result<Filter> f = Filter::parse(spec);
  if (!f)
    return core::invalid_argument(std::string(layer) + " filter: " + f.status().message());
  return f;
}

}  // namespace

// ---- TracingGuard ----

TracingGuard::TracingGuard(TracingGuard&& other) noexcept
    : tracing_(std::move(other.tracing_)),
      installed_(std::move(other.installed_)),
      resource_(std::move(other.resource_)),
      warnings_(std::move(other.warnings_)),
      shutdown_timeout_(other.shutdown_timeout_),
      pid_(other.pid_),
      shut_down_(other.shut_down_.exchange(true)) {}

TracingGuard& TracingGuard::operator=(TracingGuard&& other) noexcept {
  if (this != &other) {
    (void)shutdown();
    tracing_ = std::move(other.tracing_);
    installed_ = std::move(other.installed_);
    resource_ = std::move(other.resource_);
    warnings_ = std::move(other.warnings_);
    shutdown_timeout_ = other.shutdown_timeout_;
    pid_ = other.pid_;
    shut_down_.store(other.shut_down_.exchange(true));
  }
  return *this;
}

TracingGuard::~TracingGuard() {
  (void)shutdown();
}

bool TracingGuard::force_flush(std::chrono::milliseconds timeout) {
  if (tracing_ == nullptr || shut_down_ || ::getpid() != pid_)
    return tracing_ == nullptr;
  return tracing_->force_flush(Clock::now() + timeout);
}

bool TracingGuard::shutdown() {
  if (tracing_ == nullptr || shut_down_.exchange(true))
    return true;
  if (::getpid() != pid_) {
    // A forked child: the layers' threads are the parent's, and their locks may be held
    // forever. Leave them alone (and never destroy them here).
    new std::shared_ptr<Tracing>(std::move(tracing_));  // NOLINT: deliberate leak
    new std::shared_ptr<internal::ForkSafeSubscriber>(std::move(installed_));  // NOLINT
    return false;
  }
  const Deadline deadline = Clock::now() + shutdown_timeout_;
  if (global_subscriber().get() == installed_.get())
    set_global_subscriber(nullptr);
  return tracing_->shutdown(deadline);
}

// ---- TracingBuilder ----

TracingBuilder::TracingBuilder(std::string service_name) : service_name_(std::move(service_name)) {}

TracingBuilder TracingBuilder::from_config_file(std::string service_name, std::string path) {
  TracingBuilder b(std::move(service_name));
  if (!path.empty())
    b.with_config_file(std::move(path));
  return b;
}

TracingBuilder& TracingBuilder::with_console(ConsoleLayerOptions options, std::string filter) {
  console_ = {std::move(options), std::move(filter), false};
  return *this;
}

TracingBuilder& TracingBuilder::with_file(FileLayerOptions options, std::string filter) {
  file_ = {std::move(options), std::move(filter), false};
  return *this;
}

TracingBuilder& TracingBuilder::with_otlp_factory(OtlpLayerFactory factory) {
  otlp_factory_ = factory;
  return *this;
}

TracingBuilder& TracingBuilder::without_console() {
  console_ = {std::nullopt, {}, true};
  return *this;
}

TracingBuilder& TracingBuilder::without_file() {
  file_ = {std::nullopt, {}, true};
  return *this;
}

TracingBuilder& TracingBuilder::without_otlp() {
  otlp_explicit_ = nullptr;
  otlp_filter_.clear();
  otlp_disabled_ = true;
  otlp_from_env_ = false;
  return *this;
}

TracingBuilder& TracingBuilder::with_layer(std::unique_ptr<Layer> layer, std::string filter) {
  if (layer != nullptr)
    extra_.push_back({std::move(layer), std::move(filter)});
  return *this;
}

TracingBuilder& TracingBuilder::with_sampler(Sampler sampler) {
  sampler_ = std::move(sampler);
  return *this;
}

TracingBuilder& TracingBuilder::with_config(TracingConfig config) {
  config_ = std::move(config);
  config_path_.clear();
  return *this;
}

TracingBuilder& TracingBuilder::with_config_file(std::string path) {
  config_path_ = std::move(path);
  config_.reset();
  return *this;
}

TracingBuilder& TracingBuilder::with_env(core::EnvLookup env) {
  env_ = std::move(env);
  return *this;
}

TracingBuilder& TracingBuilder::with_shutdown_deadline(std::chrono::milliseconds timeout) {
  shutdown_timeout_ = timeout;
  return *this;
}

core::Result<TracingGuard> TracingBuilder::build() {
  const core::EnvLookup env = env_ ? env_ : core::process_environment();
  TracingGuard guard;
  guard.shutdown_timeout_ = shutdown_timeout_;

  // 1. Configuration: defaults < file < environment < explicit calls.
  TracingConfig config;
  if (config_) {
    config = *config_;
  } else {
    std::string path = config_path_;
    if (path.empty())
      path = core::env_value(env, "EDGETRACE_CONFIG").value_or("");
    if (!path.empty()) {
      core::Result<TracingConfig> loaded = load_config_file(path);
      if (!loaded)
        return loaded.status();
      config = std::move(loaded).value();
    }
  }
  if (core::Status s = validate_config(config); !s.ok())
    return s;
  // Every OTEL_* variable, parsed once; the config takes the ones it has keys for.
  const config::OtelEnvironment otel = config::read_otel_environment(env);
  guard.warnings_ = otel.warnings;
  guard.warnings_.insert(guard.warnings_.end(), otel.otlp.generic.warnings.begin(),
                         otel.otlp.generic.warnings.end());
  for (std::string& w : apply_environment(config, otel))
    guard.warnings_.push_back(std::move(w));

  // 2. OTEL_SDK_DISABLED: nothing is installed; call sites stay no-ops.
  if (config.sdk_disabled)
    return guard;

  // 3. The resource.
  const std::string service_name =
      config.service_name.empty() ? service_name_ : config.service_name;
  core::Attributes from_code;
  if (!service_name.empty())
    from_code.set("service.name", service_name);
  if (!config.service_version.empty())
    from_code.set("service.version", config.service_version);
  if (!config.service_instance_id.empty())
    from_code.set("service.instance.id", config.service_instance_id);
  // Problems in OTEL_RESOURCE_ATTRIBUTES are among the warnings above.
  guard.resource_ =
      core::build_resource(from_code, otel.resource_attributes.value_or(core::Attributes{}),
                           otel.service_name, core::current_executable_name());

  // 4. The layers, each with its filter.
  const std::string default_filter = core::env_value(env, "EDGETRACE_LOG").value_or("info");
  struct Built {
    std::unique_ptr<Layer> layer;
    Filter filter;
  };
  std::vector<Built> layers;

  if (console_.options || (config.console.enabled && !console_.disabled)) {
    core::Result<Filter> f =
        layer_filter("console layer", console_.filter, config.console.level, default_filter);
    if (!f)
      return f.status();
    layers.push_back({make_console_layer(console_.options ? std::move(*console_.options)
                                                          : console_options(config)),
                      std::move(f).value()});
  }
  if (file_.options || (config.file.enabled && !file_.disabled)) {
    core::Result<Filter> f =
        layer_filter("file layer", file_.filter, config.file.level, default_filter);
    if (!f)
      return f.status();
    FileLayerOptions options =
        file_.options ? std::move(*file_.options) : file_options(config, service_name);
    core::Result<std::unique_ptr<FileLayer>> layer = FileLayer::create(std::move(options));
    if (!layer)
      return layer.status().with_context("file layer");
    layers.push_back({std::move(layer).value(), std::move(f).value()});
  }
  if (otlp_explicit_ || otlp_from_env_ || (config.otlp.enabled && !otlp_disabled_)) {
    core::Result<Filter> f =
        layer_filter("OTLP layer", otlp_filter_, config.otlp.level, default_filter);
    if (!f)
      return f.status();
    core::Result<std::unique_ptr<Layer>> layer = core::internal_error("unset");
    if (otlp_explicit_) {
      layer = otlp_explicit_(guard.resource_);
    } else if (otlp_factory_ != nullptr) {
      layer = otlp_factory_(OtlpLayerRequest{config.otlp, otel, guard.resource_, guard.warnings_});
    } else {
      return core::Status(
          core::StatusCode::kFailedPrecondition,
          "OTLP layer: the config or environment asks for OTLP export, but this program does not "
          "provide it: link edgetrace::sdk_otlp and call "
          "with_otlp_factory(&edgetrace::sdk::make_otlp_layer) "
          "(edgetrace/sdk/otlp_layer.hpp)");
    }
    if (!layer)
      return layer.status().with_context("OTLP layer");
    layers.push_back({std::move(layer).value(), std::move(f).value()});
  }
  for (std::size_t i = 0; i < extra_.size(); ++i) {
    core::Result<Filter> f =
        layer_filter("layer " + std::to_string(layers.size() + 1) + " (with_layer)",
                     extra_[i].filter, {}, default_filter);
    if (!f)
      return f.status();
    layers.push_back({std::move(extra_[i].layer), std::move(f).value()});
  }
  extra_.clear();
  if (layers.size() > Tracing::kMaxLayers) {
    return core::invalid_argument("too many layers: " + std::to_string(layers.size()) +
                                  " (at most " + std::to_string(Tracing::kMaxLayers) + ")");
  }

  // 5. The sampler.
  Tracing::Options options;
  if (sampler_) {
    options.sampler = *sampler_;
  } else {
    // Invalid OTEL_TRACES_SAMPLER[_ARG] values were reported above and left the config's.
    options.sampler = make_sampler(config.otlp.sampler, config.otlp.sampler_arg);
  }

  // 6. Install.
  auto tracing = std::make_shared<Tracing>(std::move(options));
  for (Built& b : layers)
    tracing->add_layer(std::move(b.layer), std::move(b.filter));
  internal::install_fork_handler_once();
  auto installed = std::make_shared<internal::ForkSafeSubscriber>(tracing);
  guard.tracing_ = std::move(tracing);
  guard.installed_ = installed;
  guard.pid_ = ::getpid();
  set_global_subscriber(std::move(installed));
  return guard;
}

}  // namespace edgetrace::sdk
