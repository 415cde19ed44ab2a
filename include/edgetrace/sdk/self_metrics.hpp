// SelfMetrics: what the SDK's OTLP pipeline did with the spans and log records it was given,
// per signal and per reason, readable in code and exported as OTLP metrics.
//
//   const sdk::SelfMetrics m = otlp_layer->self_metrics();
//   if (m.logs.dropped_count() > 0) { ... }   // otel.logs.dropped_count
//
// The OTLP layer (otlp_layer.hpp) counts and, unless OtlpLayerOptions::export_self_metrics is
// off, sends these to OtlpLayerOptions::metrics every self_metrics_interval, at force_flush()
// and once more at shutdown, under the OpenTelemetry SDK self-observability names
// (semantic conventions, "OpenTelemetry SDK metrics"), given beside each field. Every
// counter is cumulative since the layer was created. docs/sdk.md ("Self-metrics") lists each
// metric, its unit and attributes.
//
// What "created" covers: the spans and events the OTLP layer's filter enabled (a span or
// event no layer enables is never created). The sum of what follows creation adds up: a
// created record is live or queued, in the exporter (inflight), exported, failed by the
// exporter, or dropped by the processor, each by reason.
//
// Thread-safety: a snapshot of relaxed counters read while others count: each value is exact,
// values read together may be a few records apart while records move.
#pragma once

#include <cstdint>
#include <string>

namespace edgetrace::sdk {

// The batching processor of one signal (otel.sdk.processor.{span,log}.*;
// otel.component.type batching_span_processor / batching_log_processor).
struct ProcessorSelfMetrics {
  std::string component_name;        // otel.component.name, e.g. "batching_span_processor/0"
  std::uint64_t queue_size = 0;      // .queue.size: waiting now
  std::uint64_t queue_capacity = 0;  // .queue.capacity: max_queue_size
  // .processed: handed to the exporter (no error.type)...
  std::uint64_t processed = 0;
  // ...or not, by error.type:
  std::uint64_t dropped_queue_full = 0;        // queue_full (includes no free log buffer)
  std::uint64_t dropped_already_shutdown = 0;  // already_shutdown: arrived after shutdown
  std::uint64_t dropped_shutdown_timeout = 0;  // shutdown_timeout: queued, deadline passed
  std::uint64_t dropped_sampled_out = 0;       // sampled_out: OtlpLayerOptions::processors
  std::uint64_t dropped_rate_capped = 0;       // rate_capped: OtlpLayerOptions::processors

  std::uint64_t dropped() const noexcept {
    return dropped_queue_full + dropped_already_shutdown + dropped_shutdown_timeout;
  }
};

// The OTLP exporter of one signal (otel.sdk.exporter.{span,log,metric_data_point}.*;
// otel.component.type otlp_grpc_*_exporter, otlp_http_*_exporter, otlp_http_json_*_exporter).
struct ExporterSelfMetrics {
  std::string component_type;  // otel.component.type
  std::string component_name;  // otel.component.name, e.g. "otlp_http_span_exporter/0"
  std::string server_address;  // server.address of the endpoint
  std::uint16_t server_port = 0;
  std::uint64_t inflight = 0;  // .inflight: handed to the exporter, not finished yet
  // .exported: acknowledged by the receiver (no error.type)...
  std::uint64_t exported = 0;
  // ...or failed, by error.type (the names of otlp::DropReason):
  std::uint64_t failed_rejected = 0;         // rejected (incl. a partial success's rejects)
  std::uint64_t failed_unauthorized = 0;     // unauthorized
  std::uint64_t failed_retry_exhausted = 0;  // retry_exhausted (receiver down, timeouts)
  std::uint64_t failed_too_large = 0;        // too_large
  std::uint64_t failed_circuit_open = 0;     // circuit_open
  std::uint64_t failed_shutdown = 0;         // shutdown
  std::uint64_t failed_encode = 0;           // encode_failed

  std::uint64_t failed() const noexcept {
    return failed_rejected + failed_unauthorized + failed_retry_exhausted + failed_too_large +
           failed_circuit_open + failed_shutdown + failed_encode;
  }
};

struct SpanSelfMetrics {
  // otel.sdk.span.started, by otel.span.parent.origin (none, local, remote) and
  // otel.span.sampling_result (RECORD_AND_SAMPLE when sampled, else RECORD_ONLY: the SDK
  // records unsampled spans for its other layers but never exports them).
  std::uint64_t started_root_sampled = 0;
  std::uint64_t started_root_unsampled = 0;
  std::uint64_t started_local_sampled = 0;
  std::uint64_t started_local_unsampled = 0;
  std::uint64_t started_remote_sampled = 0;
  std::uint64_t started_remote_unsampled = 0;
  std::uint64_t ended_sampled = 0;    // otel.sdk.span.live = started - ended, per sampling
  std::uint64_t ended_unsampled = 0;  // ended unsampled spans: not exported (not a loss)
  ProcessorSelfMetrics processor;
  ExporterSelfMetrics exporter;

  std::uint64_t started_sampled() const noexcept {
    return started_root_sampled + started_local_sampled + started_remote_sampled;
  }
  std::uint64_t started_unsampled() const noexcept {
    return started_root_unsampled + started_local_unsampled + started_remote_unsampled;
  }
  std::uint64_t started() const noexcept { return started_sampled() + started_unsampled(); }
};

struct LogSelfMetrics {
  std::uint64_t created = 0;  // otel.sdk.log.created
  ProcessorSelfMetrics processor;
  ExporterSelfMetrics exporter;

  // otel.logs.dropped_count: log records lost on the way (dropped by the processor or
  // failed by the exporter); records removed on purpose by sampling or rate caps are not.
  std::uint64_t dropped_count() const noexcept { return processor.dropped() + exporter.failed(); }
};

struct SelfMetrics {
  SpanSelfMetrics spans;  // all zero when the layer does not export spans
  LogSelfMetrics logs;    // all zero when the layer does not export logs
  // The self-metrics exporter itself (otel.sdk.exporter.metric_data_point.*), in data points.
  ExporterSelfMetrics metrics_exporter;
};

}  // namespace edgetrace::sdk
