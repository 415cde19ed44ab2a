#include "edgetrace/sdk/tracing_builder.hpp"

#include <pthread.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <mutex>
#include <utility>

#include "edgetrace/core/ids.hpp"
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

// The builder's with_span_events() / with_thread_ids() / with_thread_names() over a layer's
// line options.
struct LineOverrides {
  std::optional<bool> span_events;
  std::optional<bool> thread_ids;
  std::optional<bool> thread_names;
  void apply(LineOptions& o) const {
    if (span_events)
      o.span_events = *span_events ? SpanEvents::kNewAndClose : SpanEvents::kNone;
    if (thread_ids)
      o.show_thread_ids = *thread_ids;
    if (thread_names)
      o.show_thread_names = *thread_names;
  }
};

// "{instance_id}" (or "{uuid}") and "{pid}" in a worker prefix.
std::string expand_worker_prefix(std::string text, const std::string& instance_id) {
  const auto replace_all = [&text](std::string_view from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  };
  replace_all("{instance_id}", instance_id);
  replace_all("{uuid}", instance_id);  // the netmito plan's spelling ("worker-{uuid}")
  replace_all("{pid}", std::to_string(::getpid()));
  return text;
}

bool usable_signal_endpoint(const otlp::ExporterSettings& s, otlp::Protocol fallback) {
  if (!s.endpoint)
    return false;
  return s.endpoint->starts_with("http://") || s.endpoint->starts_with("https://") ||
         s.protocol.value_or(fallback) == otlp::Protocol::kGrpc;
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

FileLayerOptions file_options(const TracingConfig& c, FileLocation location) {
  FileLayerOptions o;
  o.directory = std::move(location.directory);
  o.prefix = std::move(location.prefix);
  o.suffix = std::move(location.suffix);
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

std::string default_instance_id() {
  static std::mutex mu;
  static int pid = 0;
  static std::string id;
  std::lock_guard<std::mutex> lock(mu);
  if (pid != ::getpid() || id.empty()) {
    // RFC 9562 version 4: 122 random bits, the version nibble 4 and the variant bits 10.
    std::array<std::uint8_t, 16> b{};
    const std::uint64_t hi = core::internal::random_u64();
    const std::uint64_t lo = core::internal::random_u64();
    for (std::size_t i = 0; i < 8; ++i) {
      b[i] = static_cast<std::uint8_t>(hi >> (56 - 8 * i));
      b[8 + i] = static_cast<std::uint8_t>(lo >> (56 - 8 * i));
    }
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text;
    for (std::size_t i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        text += '-';
      text += kHex[b[i] >> 4];
      text += kHex[b[i] & 0x0f];
    }
    id = std::move(text);
    pid = ::getpid();
  }
  return id;
}

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

TracingBuilder::TracingBuilder(std::string service_name, std::string_view application_version)
    : service_name_(std::move(service_name)), application_version_(application_version) {}

TracingBuilder TracingBuilder::from_config_file(std::string service_name, std::string path,
                                                std::string table_path,
                                                std::string_view application_version) {
  TracingBuilder b(std::move(service_name), application_version);
  b.config_table_ = table_path;
  if (!path.empty())
    b.with_config_file(std::move(path), std::move(table_path));
  return b;
}

TracingBuilder& TracingBuilder::with_version(std::string version) {
  version_ = std::move(version);
  return *this;
}

TracingBuilder& TracingBuilder::with_instance_id(std::string id) {
  instance_id_ = std::move(id);
  return *this;
}

TracingBuilder& TracingBuilder::with_resource_attribute(std::string key,
                                                        core::AttributeValue value) {
  resource_attributes_.set(key, std::move(value));
  return *this;
}

TracingBuilder& TracingBuilder::with_span_events(bool enabled) {
  span_events_ = enabled;
  return *this;
}

TracingBuilder& TracingBuilder::with_thread_ids(bool enabled) {
  thread_ids_ = enabled;
  return *this;
}

TracingBuilder& TracingBuilder::with_thread_names(bool enabled) {
  thread_names_ = enabled;
  return *this;
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

TracingBuilder& TracingBuilder::with_config_file(std::string path, std::string table_path) {
  config_path_ = std::move(path);
  config_table_ = std::move(table_path);
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
      core::Result<TracingConfig> loaded = load_config_file(path, config_table_);
      if (!loaded)
        return loaded.status();
      config = std::move(loaded).value();
    }
  }
  if (core::Status s = validate_config(config); !s.ok())
    return s;
  guard.warnings_ = std::move(config.warnings);
  config.warnings.clear();
  // Every OTEL_* variable, parsed once; the config takes the ones it has keys for.
  const config::OtelEnvironment otel = config::read_otel_environment(env);
  guard.warnings_.insert(guard.warnings_.end(), otel.warnings.begin(), otel.warnings.end());
  guard.warnings_.insert(guard.warnings_.end(), otel.otlp.generic.warnings.begin(),
                         otel.otlp.generic.warnings.end());
  const std::string file_service_name = config.service_name;
  for (std::string& w : apply_environment(config, otel))
    guard.warnings_.push_back(std::move(w));
  const LineOverrides overrides{span_events_, thread_ids_, thread_names_};
  if (span_events_)
    config.log_spans = *span_events_;
  if (thread_ids_)
    config.log_thread_ids = *thread_ids_;
  if (thread_names_)
    config.log_thread_names = *thread_names_;

  // 2. OTEL_SDK_DISABLED: nothing is installed; call sites stay no-ops.
  if (config.sdk_disabled)
    return guard;

  // 3. The resource.
  const std::string service_name =
      config.service_name.empty() ? service_name_ : config.service_name;
  // service_name_override names the service in what is exported, unless the environment
  // named it (the environment beats every file value).
  const bool env_named_service = config.service_name != file_service_name;
  const std::string resource_service_name =
      !config.otlp.service_name_override.empty() && !env_named_service
          ? config.otlp.service_name_override
          : service_name;
  const std::string version = !version_.empty()                 ? version_
                              : !config.service_version.empty() ? config.service_version
                                                                : application_version_;
  const std::string instance_id = !instance_id_.empty()                 ? instance_id_
                                  : !config.service_instance_id.empty() ? config.service_instance_id
                                                                        : default_instance_id();
  core::Attributes from_code = resource_attributes_;
  if (!resource_service_name.empty())
    from_code.set("service.name", resource_service_name);
  if (!version.empty())
    from_code.set("service.version", version);
  from_code.set("service.instance.id", instance_id);
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
    ConsoleLayerOptions options =
        console_.options ? std::move(*console_.options) : console_options(config);
    overrides.apply(options.line);
    layers.push_back({make_console_layer(std::move(options)), std::move(f).value()});
  }
  if (file_.options || (config.file.enabled && !file_.disabled)) {
    core::Result<Filter> f =
        layer_filter("file layer", file_.filter, config.file.level, default_filter);
    if (!f)
      return f.status();
    FileLayerOptions options;
    if (file_.options) {
      options = std::move(*file_.options);
    } else {
      core::Result<FileLocation> location = resolve_file_location(config.file, service_name, env);
      if (!location)
        return location.status().with_context("file layer");
      options = file_options(config, std::move(location).value());
      options.line_prefix = expand_worker_prefix(config.file.worker_prefix, instance_id);
    }
    overrides.apply(options.line);
    core::Result<std::unique_ptr<FileLayer>> layer = FileLayer::create(std::move(options));
    if (!layer)
      return layer.status().with_context("file layer");
    layers.push_back({std::move(layer).value(), std::move(f).value()});
  }
  // OTEL_EXPORTER_OTLP_ENDPOINT (or a per-signal endpoint) turns the OTLP layer on unless
  // the config said enabled = false or the code without_otlp(). Only an endpoint that was
  // applied counts: an unusable one was reported above and exports nothing (fail closed).
  const bool generic_endpoint =
      otel.otlp.generic.endpoint && config.otlp.endpoint == *otel.otlp.generic.endpoint;
  const bool traces_endpoint = usable_signal_endpoint(otel.otlp.traces, config.otlp.protocol);
  const bool logs_endpoint = usable_signal_endpoint(otel.otlp.logs, config.otlp.protocol);
  const bool otlp_from_config = config.otlp.enabled && !otlp_disabled_;
  const bool otlp_auto = !otlp_explicit_ && !otlp_from_env_ && !otlp_from_config &&
                         !otlp_disabled_ && config.otlp.enable_from_environment &&
                         (generic_endpoint || traces_endpoint || logs_endpoint);
  if (otlp_auto && !generic_endpoint) {
    // Only per-signal endpoints: export only those signals, never to a default address.
    config.otlp.export_spans = config.otlp.export_spans && traces_endpoint;
    config.otlp.export_logs = config.otlp.export_logs && logs_endpoint;
  }
  if (otlp_explicit_ || otlp_from_env_ || otlp_from_config || otlp_auto) {
    core::Result<Filter> f =
        layer_filter("OTLP layer", otlp_filter_, config.otlp.level, default_filter);
    if (!f)
      return f.status();
    if (!otlp_explicit_) {
      for (std::string& w : check_otlp_ports(config.otlp, otel))
        guard.warnings_.push_back(std::move(w));
    }
    core::Result<std::unique_ptr<Layer>> layer = core::internal_error("unset");
    if (otlp_explicit_) {
      layer = otlp_explicit_(guard.resource_);
    } else if (otlp_factory_ != nullptr) {
      layer = otlp_factory_(OtlpLayerRequest{config.otlp, otel, guard.resource_, guard.warnings_});
    } else if (otlp_auto) {
      layer = core::Status(core::StatusCode::kFailedPrecondition,
                           "an OTEL_EXPORTER_OTLP_*ENDPOINT variable is set, but this program "
                           "has no OTLP layer (link edgetrace::sdk_otlp and call "
                           "with_otlp_factory(&edgetrace::sdk::make_otlp_layer))");
    } else {
      return core::Status(
          core::StatusCode::kFailedPrecondition,
          "OTLP layer: the config or environment asks for OTLP export, but this program does not "
          "provide it: link edgetrace::sdk_otlp and call "
          "with_otlp_factory(&edgetrace::sdk::make_otlp_layer) "
          "(edgetrace/sdk/otlp_layer.hpp)");
    }
    if (layer) {
      layers.push_back({std::move(layer).value(), std::move(f).value()});
    } else {
      // Fail open for logging, closed for export: one message, no OTLP layer.
      guard.warnings_.push_back("OTLP export is off: " + layer.status().message() +
                                " (console and file logging continue)");
    }
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
