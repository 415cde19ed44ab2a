// OtlpLayer: the layer that sends spans as OTLP traces and events as OTLP log records.
// Library edgetrace::sdk_otlp (links the OTLP exporter: protobuf, gRPC, libcurl); the rest
// of the SDK (edgetrace::sdk) links none of them.
//
// With the builder (explicit: the builder itself never refers to this library):
//
//   auto guard = TracingBuilder("checkout")
//                    .with_otlp_factory(&make_otlp_layer)   // config/env may turn OTLP on
//                    .build();
//
// By hand:
//
//   config::OtelEnvironment env = config::read_otel_environment(core::process_environment());
//   OtlpLayerOptions options = otlp_layer_options(OtlpConfig{}, env, &warnings);
//   options.resource = core::build_resource(
//       {}, env.resource_attributes.value_or(core::Attributes{}), env.service_name,
//       core::current_executable_name());
//   auto layer = OtlpLayer::create(std::move(options));
//   if (!layer) { report(layer.status()); return; }
//   tracing->add_layer(std::move(*layer), Filter::parse("info").value());
//
// What goes out (after OtlpLayerOptions::processors, when active):
//  - every sampled span that ends (unsampled spans are counted in unsampled_skipped and not
//    exported), with ids, parent, kind, times, attributes, span events, links, status,
//    dropped counts and flags (W3C trace flags plus the OTLP "parent is remote" bits);
//  - every event as a log record in the instrumentation scope named by its call site's target
//    (records of one batch grouped by target): time, severity number and text, the message as
//    body, the fields as attributes, `log.target` for the target as well. A record carries
//    trace_id, span_id and flags only when the event happened inside a sampled span, so no
//    log record points at a span the backend will never receive.
//
// Threads: on_close() and on_event() run on the application's threads. They copy what they
// need into pooled buffers and push them into a bounded BatchProcessor; they never block on
// I/O, never wait for the exporter, and do not allocate once the pools are warm (a message or
// field longer than any seen before grows its buffer once). A full queue drops by severity
// (lowest first, then oldest) and counts the drop. Encoding and sending happen on each batch
// processor's thread, one for spans and one for logs.
//
// Thread-safety: every method may be called from any thread. force_flush() and shutdown()
// block for at most their deadline; after shutdown() the callbacks are cheap no-ops. The
// destructor shuts down with the batch options' shutdown_grace.
//
// Ownership: the layer owns its exporters and processors. It keeps an ended span's record
// (a SpanRef, no copy) until its batch is exported or dropped.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "edgetrace/core/resource.hpp"
#include "edgetrace/core/result.hpp"
#include "edgetrace/core/severity.hpp"
#include "edgetrace/otlp/batch_processor.hpp"
#include "edgetrace/otlp/exporter_options.hpp"
#include "edgetrace/processors/options.hpp"
#include "edgetrace/sdk/layer.hpp"
#include "edgetrace/sdk/self_metrics.hpp"
#include "edgetrace/sdk/tracing_builder.hpp"

// Declared, not included: exporter.hpp includes the generated protobuf headers, which no
// public SDK header does (include it to build exporters for the second constructor).
namespace edgetrace::otlp {
class OtlpExporter;
struct ExporterCounters;
using ErrorCallback = std::function<void(std::string_view message)>;  // as in exporter.hpp
}  // namespace edgetrace::otlp

namespace edgetrace::sdk {

// Attribute, event and link limits, applied as records are encoded for export (on the
// export threads: the application's threads pay nothing for them). A limit drops what is
// over it, counted in the record's dropped_*_count; a value length limit cuts string values
// (and each string of a string array) to that many characters (Unicode code points, never
// inside a UTF-8 sequence). The defaults are the OpenTelemetry SDK's, and the OTEL_*_LIMIT
// variables set them (docs/sdk.md, "Limits"). Records keep at most 128 attributes (spans:
// Tracing::Options::max_span_attributes), events and links as they are made, so a count limit
// above that acts as it.
struct OtlpLimits {
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);  // no limit
  std::size_t span_attribute_count = 128;           // OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT
  std::size_t span_attribute_value_length = kNone;  // OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT
  std::size_t span_event_count = 128;               // OTEL_SPAN_EVENT_COUNT_LIMIT
  std::size_t span_link_count = 128;                // OTEL_SPAN_LINK_COUNT_LIMIT
  std::size_t event_attribute_count = 128;          // OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT
  std::size_t link_attribute_count = 128;           // OTEL_LINK_ATTRIBUTE_COUNT_LIMIT
  std::size_t log_attribute_count = 128;            // OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT
  std::size_t log_attribute_value_length = kNone;   // OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT
};

struct OtlpLayerOptions {
  otlp::OtlpExporterOptions traces;  // endpoint, protocol, headers, timeout, compression, ...
  otlp::OtlpExporterOptions logs;
  // Where the self-metrics go (SelfMetrics, self_metrics.hpp). An empty endpoint follows the
  // traces endpoint (or the logs one): the same receiver, "/v1/metrics" for OTLP/HTTP.
  otlp::OtlpExporterOptions metrics;
  // Batching per signal: max_export_batch_size (records per export), schedule_delay (the
  // export interval), max_queue_size (records held at most; beyond it the lowest severity,
  // then the oldest, is dropped), export_timeout. Defaults and OTEL_BSP_* / OTEL_BLRP_*:
  // otlp::span_batch_options(), otlp::log_batch_options(). A battery-minded device sets, for
  // example, log_batch.max_export_batch_size = 256, log_batch.schedule_delay = 30s,
  // log_batch.max_queue_size = 1024 (docs/sdk.md, "OTLP batching").
  otlp::BatchOptions span_batch;
  otlp::BatchOptions log_batch = log_defaults();
  core::Resource resource;  // service.name etc.
  // Instrumentation scopes. Spans and self-metrics: scope_name with scope_version (empty:
  // edgetrace's version). Log records: one scope per target (the logger name, as the logs
  // bridge maps logger names to scope names; scope_name for a call site without a target),
  // each with scope_version, or when that is empty the resource's service.version (targets
  // are modules of the application).
  std::string scope_name = "edgetrace";
  std::string scope_version;
  bool export_spans = true;
  bool export_logs = true;
  // Adds code.file.path, code.line.number and code.function.name to every log record.
  bool log_code_location = false;
  // ERROR and FATAL log records are exported soon after they are logged (within
  // log_batch.min_export_interval) instead of at the next schedule_delay. false: they wait
  // for the batch like every other record (fewer wake-ups on a battery).
  bool export_immediately_on_error = true;
  // With export_immediately_on_error, a log record at this level or above is exported at
  // once (not later than log_batch.min_export_interval after the previous export) together
  // with what waits in the queue. The default, ERROR, sends ERROR and FATAL at once.
  core::Level export_immediately_at_level = core::Level::kError;
  // Adds exception.stacktrace to every log record of an event with an exception.type field
  // (edgetrace::sdk::error(e), error.hpp): the stack of the thread that emitted the event,
  // one frame a line, the SDK's own dispatch frames (Tracing::event, dispatch_event) first.
  // Costs a backtrace() on that thread for such events (about a microsecond); naming the
  // frames happens on the export thread. Function names of the executable itself need it
  // linked with -rdynamic (docs/sdk.md, "Errors and exceptions").
  bool exception_stacktrace = false;
  // Self-metrics: the counters of SelfMetrics sent as OTLP metrics (otel.sdk.* and
  // otel.logs.dropped_count) every self_metrics_interval (OTEL_METRIC_EXPORT_INTERVAL's
  // default), at force_flush() and once more at shutdown (these two only when something was
  // counted since the last export), so that lost records show up in the backend. Counted in
  // any case (self_metrics()).
  bool export_self_metrics = true;
  std::chrono::milliseconds self_metrics_interval{60000};
  // Receives the exporters' diagnostics (never telemetry). Empty: stderr, rate-limited.
  otlp::ErrorCallback on_error;
  // Redaction, sampling and rate caps (edgetrace::processors, docs/processors.md), applied on
  // each signal's export thread to every request before it is sent: the same rules as the
  // daemon's pipelines, so secrets can be removed before they leave the process. Inactive by
  // default (processors::is_active()). Log records are grouped by target (their scope), so
  // a rate cap is one budget per target; spans share one scope (scope_name). create() fails on
  // invalid options (a bad pattern); the constructor then exports nothing and reports through
  // on_error.
  processors::ProcessorsOptions processors;
  // What an exported span or log record may carry (OTEL_*_LIMIT; see OtlpLimits).
  OtlpLimits limits;

  static otlp::BatchOptions log_defaults() { return otlp::default_log_batch_options(); }
};

// A snapshot of what the layer did. "dropped" adds every way an item was lost before the
// exporter got it: queue full, queued at shutdown past the deadline, pushed after shutdown,
// and (logs) no pooled buffer left; "failed" counts items the exporter gave up on (receiver
// down, rejected, retries exhausted; see the exporter's counters for why).
struct OtlpLayerCounters {
  std::uint64_t spans_queued = 0;
  std::uint64_t spans_exported = 0;
  std::uint64_t spans_failed = 0;
  std::uint64_t spans_dropped = 0;
  std::uint64_t unsampled_skipped = 0;
  std::uint64_t logs_queued = 0;
  std::uint64_t logs_exported = 0;
  std::uint64_t logs_failed = 0;
  std::uint64_t logs_dropped = 0;
  std::uint64_t span_batches = 0;
  std::uint64_t log_batches = 0;
  // Dropped by OtlpLayerOptions::processors (neither exported nor failed), and strings they
  // redacted or masked.
  std::uint64_t spans_sampled_out = 0;
  std::uint64_t logs_sampled_out = 0;
  std::uint64_t logs_rate_capped = 0;
  std::uint64_t values_redacted = 0;
};

namespace internal {
struct OtlpLayerState;
}  // namespace internal

class OtlpLayer final : public Layer {
 public:
  using Counters = OtlpLayerCounters;

  // Builds the exporters the options ask for (none for a disabled signal). Fails on
  // unusable exporter options (bad endpoint, unreadable certificate files).
  static core::Result<std::unique_ptr<OtlpLayer>> create(OtlpLayerOptions options);

  // Over exporters built by the caller (tests, or custom transports). A null exporter
  // disables its signal (a null `metrics`: self-metrics are counted, not exported).
  OtlpLayer(OtlpLayerOptions options, std::unique_ptr<otlp::OtlpExporter> traces,
            std::unique_ptr<otlp::OtlpExporter> logs,
            std::unique_ptr<otlp::OtlpExporter> metrics = nullptr);
  ~OtlpLayer() override;
  OtlpLayer(const OtlpLayer&) = delete;
  OtlpLayer& operator=(const OtlpLayer&) = delete;

  void on_new_span(const SpanRecord& span) override;
  void on_close(const SpanRecord& span) override;
  void on_event(const Event& event) override;
  bool force_flush(Deadline deadline) override;
  bool shutdown(Deadline deadline) override;

  Counters counters() const noexcept;
  // Created, exported and dropped by reason, per signal (self_metrics.hpp).
  SelfMetrics self_metrics() const;
  // The underlying counters (null when the signal is disabled).
  const otlp::BatchCounters* span_batch_counters() const noexcept;
  const otlp::BatchCounters* log_batch_counters() const noexcept;
  const otlp::ExporterCounters* trace_exporter_counters() const noexcept;
  const otlp::ExporterCounters* log_exporter_counters() const noexcept;

 private:
  std::unique_ptr<internal::OtlpLayerState> state_;
  std::atomic<bool> shut_down_{false};
};

// The OTLP layer options the config and environment describe: per signal, the config's
// endpoint/protocol/headers/timeout/compression (the generic OTEL_EXPORTER_OTLP_* values are
// already in `config`, see apply_environment()), then OTEL_EXPORTER_OTLP_{TRACES,LOGS}_* and
// the TLS variables over them; batch options: the defaults, the config's preset and batch
// keys, then OTEL_BSP_* and OTEL_BLRP_*. Warnings about invalid per-signal and batch
// variables, and about applying them, are appended to `warnings`. The config's processors
// table is not read here (make_otlp_layer() does; read_otlp_processors()).
//
// The "mobile" preset, for both signals: max_export_batch_size 256, schedule_delay 30 s,
// max_queue_size 1024, export_immediately_on_error.
OtlpLayerOptions otlp_layer_options(const OtlpConfig& config, const config::OtelEnvironment& env,
                                    std::vector<std::string>* warnings);

// The limits the OTEL_*_LIMIT variables set: a specific variable (OTEL_SPAN_ATTRIBUTE_COUNT_
// LIMIT) over the general one (OTEL_ATTRIBUTE_COUNT_LIMIT) over the default. The general
// count applies to span, span event, span link and log record attributes; the general
// value length to span and log record attributes. otlp_layer_options() uses it.
OtlpLimits otlp_limits(const config::OtelEnvironment& env);

// Reads the config's [tracing.otlp.processors] table (when present) into `out`
// (processors::read_processors_options(); errors carry the file position).
core::Status read_otlp_processors(const OtlpConfig& config, processors::ProcessorsOptions& out);

// The factory TracingBuilder::with_otlp_factory() takes: otlp_layer_options() and
// read_otlp_processors() with the built resource, then OtlpLayer::create().
core::Result<std::unique_ptr<Layer>> make_otlp_layer(const OtlpLayerRequest& request);

}  // namespace edgetrace::sdk
