#include "server/daemon.hpp"

#include <filesystem>

#include "edgetrace/core/severity.hpp"
#include "edgetrace/sdk/event.hpp"
#include "exporters/console_tree.hpp"
#include "exporters/file_lines.hpp"
#include "exporters/otlp_exporter.hpp"
#include "proxy/proxy.hpp"
#include "receivers/device_http.hpp"
#include "receivers/device_mqtt.hpp"
#include "receivers/otlp_grpc.hpp"
#include "receivers/otlp_http.hpp"
#include "receivers/serial.hpp"
#include "store/store_exporter.hpp"
#include "symbol_http.hpp"

namespace edgetrace::daemon {
namespace {

void log_warn(const std::string& line) {
  ET_WARN(line);
}
void log_info(const std::string& line) {
  ET_INFO(line);
}

ProxyOptions proxy_options(const ProxyConfig& c) {
  ProxyOptions o;
  o.listen = c.listen;
  o.mode = c.mode == "queue" ? ProxyMode::kQueue : ProxyMode::kForward;
  o.subject_attribute = c.subject_attribute;
  o.max_body_bytes = static_cast<std::size_t>(c.max_body_bytes);
  o.max_decompressed_bytes = static_cast<std::size_t>(c.max_decompressed_bytes);
  o.handler_threads = c.handler_threads;
  o.read_timeout = c.read_timeout;
  o.upstream.endpoint = c.upstream_endpoint;
  o.upstream.headers = c.upstream_headers;
  o.upstream.timeout = c.upstream_timeout;
  o.upstream.ca_file = c.upstream_ca_file;
  o.jwt.hs256_secret = c.hs256_secret;
  o.jwt.public_key_file = c.public_key_file;
  o.jwt.jwks_file = c.jwks_file;
  o.jwt.issuer = c.issuer;
  o.jwt.audience = c.audience;
  o.jwt.clock_skew = std::chrono::duration_cast<std::chrono::seconds>(c.clock_skew);
  o.jwt.subject_claim = c.subject_claim;
  o.jwt.cache_entries = c.token_cache_entries;
  o.rate_limit.per_address = {c.address_per_second, c.address_burst};
  o.rate_limit.per_subject = {c.subject_per_second, c.subject_burst};
  o.rate_limit.global = {c.global_per_second, c.global_burst};
  o.cors_allowed_origins = c.allowed_origins;
  return o;
}

}  // namespace

Daemon::Daemon(DaemonConfig config) : config_(std::move(config)) {}

Daemon::~Daemon() {
  stop();
}

// A store that cannot be opened (corrupt, locked, not a database, unwritable directory) does
// not stop the daemon: the other exporters still get everything, the UI answers 503 with
// the reason, and edgetraced_store_open is 0.
void Daemon::open_store() {
  if (!config_.store.enabled)
    return;
  store::StoreOptions o;
  o.path = config_.store.path;
  o.max_bytes = config_.store.max_bytes;
  o.max_age = std::chrono::duration_cast<std::chrono::seconds>(config_.store.max_age);
  std::error_code ec;
  if (const auto parent = o.path.parent_path(); !parent.empty())
    std::filesystem::create_directories(parent, ec);
  core::Result<std::unique_ptr<store::TraceStore>> opened = store::TraceStore::open(o);
  if (!opened) {
    store_error_ = config_.store.path + ": " + opened.status().message();
    log_warn("store: cannot open the trace store " + store_error_ +
             "; running without it (telemetry is still exported, the UI answers 503)");
    return;
  }
  store_ = std::move(opened).value();
  exporters_.push_back(std::make_unique<store::StoreExporter>(*store_));
  log_info("store: " + config_.store.path);
}

core::Status Daemon::start_exporters() {
  open_store();
  if (config_.otlp.enabled) {
    core::Result<std::unique_ptr<OtlpQueueExporter>> otlp = OtlpQueueExporter::create(
        config_.otlp.per_signal,
        [](std::string_view message) { log_warn("exporters.otlp: " + std::string(message)); });
    if (!otlp)
      return otlp.status();
    exporters_.push_back(std::move(otlp).value());
  }
  if (config_.console.enabled) {
    ConsoleTreeOptions o;
    o.ascii = config_.console.ascii;
    o.logs = config_.console.logs;
    o.max_traces = config_.console.max_traces;
    o.max_spans = config_.console.max_spans;
    o.root_timeout = config_.console.root_timeout;
    auto console = std::make_unique<ConsoleTreeExporter>(o);
    console_exporter_ = console.get();
    exporters_.push_back(std::move(console));
  }
  if (!config_.file.path.empty()) {
    FileLinesOptions o;
    o.path = config_.file.path;
    o.max_bytes = config_.file.max_bytes;
    o.max_files = config_.file.max_files;
    auto file = std::make_unique<FileLinesExporter>(o);
    if (core::Status s = file->open(); !s.ok())
      return s;
    file_exporter_ = file.get();
    exporters_.push_back(std::move(file));
  }
  if (exporters_.empty())
    log_warn(
        "no exporter is enabled (exporters.otlp.endpoint, exporters.console.enabled, "
        "exporters.file.path): telemetry is kept in the queue until one is");
  return {};
}

core::Status Daemon::start() {
  if (started_)
    return core::Status(core::StatusCode::kFailedPrecondition, "already started");
  started_ = true;
  started_unix_nano_ =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  for (const std::string& w : config_.warnings)
    log_warn(w);
  if (core::Status s = start_exporters(); !s.ok())
    return s;

  TelemetryQueueOptions q;
  q.queue.directory = config_.queue.dir;
  q.queue.max_bytes = config_.queue.max_bytes;
  // Small budgets (tests, small devices) need small segments: at least 4 per budget.
  q.queue.segment_bytes = static_cast<std::uint32_t>(std::min<std::uint64_t>(
      8u << 20, std::max<std::uint64_t>(config_.queue.max_bytes / 8, 4096)));
  q.queue.max_record_bytes = q.queue.segment_bytes - 64;
  q.queue.fsync.mode = config_.queue.fsync;
  q.queue.fsync.interval = config_.queue.fsync_interval;
  q.batch_records = config_.queue.batch_records;
  q.retry_max = config_.queue.retry_max;
  q.export_timeout = config_.otlp.timeout * 3;
  std::vector<Exporter*> exporters;
  for (auto& e : exporters_)
    exporters.push_back(e.get());
  {
    // The queue creates its own directory, not its parents.
    std::error_code ec;
    const std::filesystem::path parent = std::filesystem::path(config_.queue.dir).parent_path();
    if (!parent.empty())
      std::filesystem::create_directories(parent, ec);
  }
  queue_ = std::make_unique<TelemetryQueue>(q, std::move(exporters));
  if (core::Status s = queue_->open(); !s.ok())
    return s;
  if (const std::uint64_t left = queue_->queue_counters().depth; left > 0)
    log_info("queue: " + std::to_string(left) + " records from the previous run will be delivered");
  queue_->start();

  SymbolSourceOptions so;
  so.store.directory = config_.symbols.store;
  so.store.max_elf_bytes = config_.symbols.max_elf_bytes;
  so.store.cache_budget_bytes = config_.symbols.cache_bytes;
  so.remote_url = config_.symbols.server;
  if (!config_.symbols.server_token_file.empty()) {
    core::Result<std::string> t = config::read_token_file(config_.symbols.server_token_file);
    if (!t)
      return core::Status(t.status().code(), "symbols.server_token_file: " + t.status().message());
    so.remote_token = *t;
  }
  symbols_ = std::make_unique<SymbolSource>(so);
  if (core::Status s = symbols_->open(); !s.ok())
    return s;

  for (std::size_t i = 0; i < kPipelines.size(); ++i) {
    ProcessorOptions pr;
    pr.pipeline = std::string(kPipelines[i]);
    pr.resource_attributes = config_.processors.resource_attributes;
    if (std::optional<core::Level> level = core::parse_level(config_.processors.min_log_severity))
      pr.min_log_severity = core::severity_number(*level);
    const processors::ProcessorsOptions& chain = config_.processors.pipelines[i];
    const bool any = chain.redaction.enabled || chain.sampling.trace_ratio < 1.0 ||
                     chain.sampling.debug_log_ratio < 1.0 || chain.sampling.info_log_ratio < 1.0 ||
                     chain.sampling.warn_log_ratio < 1.0 || chain.scope_rate.per_second > 0;
    if (any) {
      core::Result<std::unique_ptr<processors::Processors>> p =
          processors::Processors::create(chain);
      if (!p)
        return core::Status(p.status().code(),
                            "processors." + pr.pipeline + ": " + p.status().message());
      pr.chain = std::move(p).value();
    }
    pipeline_processors_[i] = std::make_unique<Processors>(std::move(pr));
  }
  processors_ = pipeline_processors_[0].get();

  DevicePipelineOptions po;
  po.resource = config_.devices;
  po.processors = processors_;
  po.hold_time = config_.symbols.hold_time;
  po.hold_max_bytes = config_.symbols.hold_max_bytes;
  po.hold_total_bytes = config_.symbols.hold_total_bytes;
  po.log = [](std::string_view line) { log_warn(std::string(line)); };
  pipeline_ = std::make_unique<DevicePipeline>(po, *symbols_, *queue_);
  held_thread_ = std::thread([this] { timer(); });

  if (core::Status s = start_admin(); !s.ok())
    return s;
  if (core::Status s = start_ui(); !s.ok())
    return s;
  if (core::Status s = start_receivers(); !s.ok())
    return s;
  return {};
}

core::Status Daemon::start_admin() {
  std::string token;
  if (!config_.symbols.token_file.empty()) {
    core::Result<std::string> t = config::read_token_file(config_.symbols.token_file);
    if (!t)
      return core::Status(t.status().code(), "symbols.token_file: " + t.status().message());
    token = *t;
  }
  symbols_handler_ = std::make_unique<decoder::SymbolHttpHandler>(symbols_->store(), token);
  if (config_.admin.listen.empty())
    return {};
  net::HttpServerOptions o;
  o.listen = config_.admin.listen;
  o.handler_threads = 2;  // the symbol store's file I/O
  o.max_body_bytes = config_.symbols.max_elf_bytes;
  o.server_name = "edgetraced";
  admin_ = std::make_unique<net::HttpServer>(o);
  admin_->route("GET", "/healthz",
                net::sync_handler([](net::Request&&) { return net::Response::text(200, "ok\n"); }));
  admin_->route("GET", "/readyz", net::sync_handler([this](net::Request&&) {
                  return ready() ? net::Response::text(200, "ready\n")
                                 : net::Response::text(503, "not ready\n");
                }));
  admin_->route("GET", "/metrics", net::sync_handler([this](net::Request&&) {
                  net::Response r = net::Response::text(200, metrics_text());
                  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                  return r;
                }));
  auto on_stored = [this](const std::string& build_id) {
    log_info("symbols: stored " + build_id);
    symbols_->forget_misses();
    {
      std::lock_guard lock(mu_);
      retry_now_ = true;
    }
    cv_.notify_all();
  };
  decoder::mount_symbols_api(
      *admin_, *symbols_handler_,
      decoder::SymbolsMount{.prefix = "/v1/symbols", .on_stored = on_stored});
  decoder::mount_symbols_api(*admin_, *symbols_handler_,
                             decoder::SymbolsMount{.prefix = std::string(decoder::kSymbolsApiPath),
                                                   .on_stored = on_stored});
  if (core::Status s = admin_->start(); !s.ok())
    return core::Status(s.code(), "admin.listen: " + s.message());
  listening_.emplace_back("admin", admin_->port());
  return {};
}

core::Status Daemon::start_ui() {
  // The UI shows the store: without store.enabled there is nothing to serve. A store that
  // failed to open still gets its listener, answering 503 with the reason.
  if (config_.ui.listen.empty() || !config_.store.enabled)
    return {};
  ui::QueryApiOptions qo;
  qo.cors_allowed_origins = config_.ui.cors_allowed_origins;
  query_api_ = std::make_unique<ui::QueryApi>(store_.get(), store_error_, std::move(qo));
  net::HttpServerOptions o;
  o.listen = config_.ui.listen;
  o.handler_threads = 4;         // store reads
  o.max_body_bytes = 64 * 1024;  // GET only
  o.server_name = "edgetraced";
  ui_server_ = std::make_unique<net::HttpServer>(o);
  query_api_->mount(*ui_server_);
  if (core::Status s = ui_server_->start(); !s.ok())
    return core::Status(s.code(), "ui.listen: " + s.message());
  query_api_->start();
  listening_.emplace_back("UI", ui_server_->port());
  return {};
}

core::Status Daemon::start_receivers() {
  if (!config_.device_tcp.listen.empty()) {
    auto tcp = std::make_unique<DeviceTcpReceiver>(config_.device_tcp, *pipeline_);
    if (core::Status s = tcp->start(); !s.ok())
      return s;
    device_tcp_port_ = tcp->port();
    listening_.emplace_back("device TCP", device_tcp_port_);
    receivers_.push_back(std::move(tcp));
  }
  if (!config_.device_http.listen.empty()) {
    auto http = std::make_unique<DeviceHttpReceiver>(config_.device_http, *pipeline_);
    if (core::Status s = http->start(); !s.ok())
      return s;
    device_http_port_ = http->port();
    listening_.emplace_back("device HTTP", device_http_port_);
    receivers_.push_back(std::move(http));
  }
  if (!config_.device_mqtt.url.empty()) {
    DeviceMqttOptions o = config_.device_mqtt;
    o.log = [](std::string_view line) { log_warn("receivers.device_mqtt: " + std::string(line)); };
    auto mqtt = std::make_unique<DeviceMqttReceiver>(std::move(o), *pipeline_);
    if (core::Status s = mqtt->start(); !s.ok())
      return s;
    receivers_.push_back(std::move(mqtt));
  }
  intake_ = std::make_unique<QueueIntake>(pipeline_processors_[1].get(), *queue_);
  proxy_intake_ = std::make_unique<QueueIntake>(pipeline_processors_[2].get(), *queue_);
  if (!config_.otlp_http.listen.empty()) {
    auto http = std::make_unique<OtlpHttpReceiver>(config_.otlp_http, *intake_);
    if (core::Status s = http->start(); !s.ok())
      return s;
    listening_.emplace_back("OTLP/HTTP", http->port());
    receivers_.push_back(std::move(http));
  }
  if (!config_.otlp_grpc.listen.empty()) {
    auto grpc = std::make_unique<OtlpGrpcReceiver>(config_.otlp_grpc, *intake_);
    if (core::Status s = grpc->start(); !s.ok())
      return s;
    listening_.emplace_back("OTLP/gRPC", grpc->port());
    receivers_.push_back(std::move(grpc));
  }
  if (config_.proxy.enabled()) {
    auto proxy = std::make_unique<TelemetryProxy>(
        proxy_options(config_.proxy), pipeline_processors_[2].get(), proxy_intake_.get());
    if (core::Status s = proxy->start(); !s.ok())
      return s;
    listening_.emplace_back("proxy", proxy->port());
    receivers_.push_back(std::move(proxy));
  }
  if (!config_.serial.path.empty()) {
    SerialOptions o = config_.serial;
    o.log = [](std::string_view line) { log_warn("receivers.serial: " + std::string(line)); };
    auto serial = std::make_unique<SerialReceiver>(std::move(o), *pipeline_);
    if (core::Status s = serial->start(); !s.ok())
      return s;
    receivers_.push_back(std::move(serial));
  }
  return {};
}

// Once a second (and at once after a symbol upload): held streams are retried, the console
// prints traces whose root never came.
void Daemon::timer() {
  std::unique_lock lock(mu_);
  auto next_report = std::chrono::steady_clock::now() + config_.telemetry.drop_report_interval;
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || retry_now_; });
    if (stopping_)
      break;
    retry_now_ = false;
    lock.unlock();
    pipeline_->retry_held();
    if (console_exporter_ != nullptr)
      console_exporter_->flush(otlp::Clock::now());
    if (config_.telemetry.drop_report_interval.count() > 0 &&
        std::chrono::steady_clock::now() >= next_report) {
      next_report = std::chrono::steady_clock::now() + config_.telemetry.drop_report_interval;
      report_drops();
    }
    lock.lock();
  }
}

void Daemon::stop() {
  if (!started_)
    return;
  started_ = false;
  // Nothing new is accepted; streams finish into the queue.
  for (auto& r : receivers_)
    r->stop();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (held_thread_.joinable())
    held_thread_.join();
  // The last counts go out with the data still queued.
  if (queue_ && config_.telemetry.drop_report_interval.count() > 0)
    report_drops();
  if (queue_)
    queue_->stop(std::chrono::steady_clock::now() + config_.shutdown_timeout);
  // The console prints the trees still waiting for a root.
  if (console_exporter_ != nullptr)
    console_exporter_->shutdown();
  if (query_api_)
    query_api_->stop();  // closes the live streams
  if (ui_server_)
    ui_server_->stop(std::chrono::milliseconds(1000));
  if (admin_)
    admin_->stop(std::chrono::milliseconds(1000));
  receivers_.clear();
}

std::vector<std::string> Daemon::reload(const DaemonConfig& fresh) {
  std::vector<std::string> restart;
  // Log rotation by an external tool: the file is opened again under its name.
  if (file_exporter_ != nullptr) {
    if (core::Status s = file_exporter_->reopen(); !s.ok())
      log_warn("exporters.file: " + s.message());
  }
  if (fresh.file.path != config_.file.path || fresh.file.max_bytes != config_.file.max_bytes ||
      fresh.file.max_files != config_.file.max_files)
    restart.push_back("exporters.file");
  if (fresh.console.enabled != config_.console.enabled ||
      fresh.console.ascii != config_.console.ascii || fresh.console.logs != config_.console.logs)
    restart.push_back("exporters.console");
  if (fresh.symbols.token_file != config_.symbols.token_file)
    restart.push_back("symbols.token_file");
  if (fresh.admin.listen != config_.admin.listen)
    restart.push_back("admin.listen");
  if (fresh.device_tcp.listen != config_.device_tcp.listen)
    restart.push_back("receivers.device_tcp.listen");
  if (fresh.device_http.listen != config_.device_http.listen ||
      fresh.device_http.token_file != config_.device_http.token_file)
    restart.push_back("receivers.device_http");
  if (fresh.device_mqtt.url != config_.device_mqtt.url ||
      fresh.device_mqtt.topic != config_.device_mqtt.topic ||
      fresh.device_mqtt.group != config_.device_mqtt.group)
    restart.push_back("receivers.device_mqtt");
  if (fresh.otlp_http.listen != config_.otlp_http.listen ||
      fresh.otlp_grpc.listen != config_.otlp_grpc.listen)
    restart.push_back("receivers.otlp");
  if (fresh.serial.path != config_.serial.path || fresh.serial.baud != config_.serial.baud)
    restart.push_back("receivers.serial");
  if (fresh.queue.dir != config_.queue.dir || fresh.queue.max_bytes != config_.queue.max_bytes)
    restart.push_back("queue");
  const ProxyConfig& a = fresh.proxy;
  const ProxyConfig& b = config_.proxy;
  if (a.listen != b.listen || a.mode != b.mode || a.upstream_endpoint != b.upstream_endpoint ||
      a.upstream_headers != b.upstream_headers || a.hs256_secret != b.hs256_secret ||
      a.public_key_file != b.public_key_file || a.jwks_file != b.jwks_file ||
      a.issuer != b.issuer || a.audience != b.audience || a.allowed_origins != b.allowed_origins ||
      a.address_per_second != b.address_per_second ||
      a.subject_per_second != b.subject_per_second || a.global_per_second != b.global_per_second)
    restart.push_back("proxy");
  if (fresh.otlp.endpoint != config_.otlp.endpoint)
    restart.push_back("exporters.otlp.endpoint");
  if (fresh.store.enabled != config_.store.enabled || fresh.store.path != config_.store.path ||
      fresh.store.max_bytes != config_.store.max_bytes ||
      fresh.store.max_age != config_.store.max_age)
    restart.push_back("store");
  if (fresh.ui.listen != config_.ui.listen ||
      fresh.ui.cors_allowed_origins != config_.ui.cors_allowed_origins)
    restart.push_back("ui");
  return restart;
}

bool Daemon::ready() const {
  for (const auto& r : receivers_)
    if (!r->ready())
      return false;
  return queue_ != nullptr;
}

DropCounts Daemon::collect_drops() const {
  DropCounts counts;
  for (const auto& p : pipeline_processors_)
    if (p)
      p->drop_counts(counts);
  if (queue_)
    queue_->drop_counts(counts);
  for (const auto& e : exporters_)
    e->drop_counts(counts);
  return counts;
}

void Daemon::report_drops() {
  const DropCounts counts = collect_drops();
  std::uint64_t total = 0;
  for (const DropCount& c : counts)
    total += c.count;
  if (total == last_reported_drops_)
    return;  // nothing new (cumulative sums: the backend keeps the last value)
  core::Attributes resource;
  resource.set("service.name", "edgetraced");
  resource.set("service.version", EDGETRACE_VERSION);
  const auto now =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  if (queue_->append(drop_report(counts, resource, started_unix_nano_, now)).ok())
    last_reported_drops_ = total;
}

std::string Daemon::metrics_text() const {
  MetricsText out;
  if (pipeline_)
    pipeline_->write_metrics(out);
  for (const auto& p : pipeline_processors_)
    if (p)
      p->write_metrics(out);
  for (const auto& r : receivers_)
    r->write_metrics(out);
  if (queue_)
    queue_->write_metrics(out);
  for (const auto& e : exporters_)
    e->write_metrics(out);
  if (symbols_)
    symbols_->write_metrics(out);
  if (config_.store.enabled)
    out.gauge("edgetraced_store_open",
              "1 when the trace store is open; 0 when it could not be opened (see the log)", {},
              store_ != nullptr ? 1 : 0);
  if (query_api_)
    query_api_->write_metrics(out);
  return out.text();
}

std::vector<std::pair<std::string, std::uint16_t>> Daemon::listening() const {
  return listening_;
}

std::uint16_t Daemon::admin_port() const noexcept {
  return admin_ ? admin_->port() : 0;
}
std::uint16_t Daemon::device_tcp_port() const noexcept {
  return device_tcp_port_;
}
std::uint16_t Daemon::ui_port() const noexcept {
  return ui_server_ ? ui_server_->port() : 0;
}
std::uint16_t Daemon::device_http_port() const noexcept {
  return device_http_port_;
}

}  // namespace edgetrace::daemon
