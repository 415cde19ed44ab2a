// OtlpLayer: application threads queue span references and pooled event copies; one batch
// processor thread per signal turns them into OTLP requests and exports them.
#include "edgetrace/sdk/otlp_layer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "edgetrace/otlp/exporter.hpp"
#include "edgetrace/processors/processors.hpp"
#include "edgetrace/sdk/semconv.hpp"
#include "edgetrace/version.hpp"
#include "internal/log_handover.hpp"
#include "internal/otlp_convert.hpp"
#include "internal/otlp_encode.hpp"
#include "internal/otlp_log_pool.hpp"
#include "internal/otlp_self_metrics.hpp"
#include "internal/span_handover.hpp"

namespace edgetrace::sdk {
namespace internal {
namespace {

using otlp::BatchOutcome;
using otlp::BatchProcessor;

// The spans' (and self-metrics') scope: the SDK, whose version is edgetrace's unless the
// options name another.
std::string sdk_scope_version(const OtlpLayerOptions& o) {
  return o.scope_version.empty() ? std::string(edgetrace::kVersion) : o.scope_version;
}

void fill_scope(const OtlpLayerOptions& o, otlp_proto::common::v1::InstrumentationScope& out) {
  out.set_name(o.scope_name);
  out.set_version(sdk_scope_version(o));
}

// What the span export thread uses. Shared with the processor's export function, so it
// outlives an export call the processor had to abandon at shutdown.
struct SpanExport {
  std::unique_ptr<otlp::OtlpExporter> exporter;
  otlp::ExportTraceServiceRequest request;             // reused: cleared spans keep their memory
  std::shared_ptr<processors::Processors> processors;  // null when inactive
  otlp::ExportTraceServiceRequest skeleton;            // resource and scope, to rebuild `request`
  std::atomic<std::uint64_t> handed{0};  // taken from the queue for export (self-metrics)

  // Encodes straight to protobuf when nothing needs the request as messages (null when
  // processors are active or the transport sends JSON).
  std::unique_ptr<SpanRequestEncoder> encoder;
  OtlpLimits limits;  // for the message path (the encoder has its own copy)

  BatchOutcome run(std::vector<SpanRef>& batch, otlp::Deadline deadline) {
    handed.fetch_add(batch.size(), std::memory_order_relaxed);
    if (encoder) {
      encoder->clear();
      for (const SpanRef& ref : batch)
        encoder->add(*ref);
      const std::size_t n = batch.size();
      batch.clear();  // the records go back to their pool before the network is touched
      const otlp::ExportOutcome out =
          exporter->export_encoded_traces(encoder->finish(), n, deadline);
      return {out.delivered, n - std::min(n, out.delivered)};
    }
    // The processors remove a scope left empty: start again from the skeleton then.
    if (request.resource_spans_size() == 0 || request.resource_spans(0).scope_spans_size() == 0)
      request = skeleton;
    auto* spans = request.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans();
    spans->Clear();
    for (const SpanRef& ref : batch)
      to_otlp_span(*ref, *spans->Add(), limits);
    std::size_t n = batch.size();
    batch.clear();  // the records go back to their pool before the network is touched
    if (processors) {
      n = static_cast<std::size_t>(
          processors->process(request, std::chrono::steady_clock::now()).kept);
      if (n == 0)
        return {};
    }
    const otlp::ExportOutcome out = exporter->export_traces(request, deadline);
    return {out.delivered, n - std::min(n, out.delivered)};
  }
};

struct LogExport {
  std::unique_ptr<otlp::OtlpExporter> exporter;
  std::shared_ptr<OtlpLogPool> pool;  // kept alive while queued handles may point into it
  std::shared_ptr<processors::Processors> processors;  // null when inactive
  std::atomic<std::uint64_t> handed{0};  // taken from the queue for export (self-metrics)
  // Exactly one of them: straight to protobuf when nothing needs the request as messages
  // (no processors, a protobuf transport), else through message objects.
  std::unique_ptr<LogRequestEncoder> encoder;
  std::unique_ptr<LogRequestBuilder> builder;

  BatchOutcome run(std::vector<OtlpLogHandle>& batch, otlp::Deadline deadline) {
    handed.fetch_add(batch.size(), std::memory_order_relaxed);
    if (encoder) {
      encoder->clear();
      for (const OtlpLogHandle& h : batch)
        encoder->add(*h.get());
      const std::size_t n = batch.size();
      batch.clear();  // items go back to the pool before the network is touched
      const otlp::ExportOutcome out =
          exporter->export_protobuf(otlp::Signal::kLogs, encoder->finish(), n, deadline);
      return {out.delivered, n - std::min(n, out.delivered)};
    }
    builder->clear();
    for (const OtlpLogHandle& h : batch)
      builder->add(*h.get());
    otlp::ExportLogsServiceRequest& request = builder->request();
    std::size_t n = batch.size();
    batch.clear();  // items go back to the pool before the network is touched
    if (processors) {
      n = static_cast<std::size_t>(
          processors->process(request, std::chrono::steady_clock::now()).kept);
      if (n == 0)
        return {};
    }
    const otlp::ExportOutcome out = exporter->export_logs(request, deadline);
    return {out.delivered, n - std::min(n, out.delivered)};
  }
};

// The version every scope carries: the option, else the resource's service.version (the
// targets are modules of the application).
std::string scope_version_of(const OtlpLayerOptions& o) {
  if (!o.scope_version.empty())
    return o.scope_version;
  if (const core::AttributeValue* v = o.resource.attributes().get("service.version"))
    if (const std::string* s = v->get_if<std::string>())
      return *s;
  return {};
}

}  // namespace

struct OtlpLayerState {
  OtlpLayerOptions options;

  std::shared_ptr<SpanExport> span_export;
  std::unique_ptr<BatchProcessor<SpanRef>> spans;
  // Per-thread staging in front of `spans` (null when batches are too small to group);
  // declared after it, so destroyed before it.
  std::shared_ptr<SpanHandover> handover;
  std::atomic<std::uint64_t> spans_after_shutdown{0};  // sampled, ended after shutdown

  std::shared_ptr<LogExport> log_export;
  std::shared_ptr<OtlpLogPool> log_pool;
  std::unique_ptr<BatchProcessor<OtlpLogHandle>> logs;
  // Per-thread staging in front of `logs`, as for spans; destroyed before `logs`.
  std::shared_ptr<LogHandover> log_handover;
  // A record of this severity class or above goes to the queue at once (wakes the exporter);
  // kSeverityClasses: none does.
  std::size_t urgent_log_class = otlp::kSeverityClasses;
  std::atomic<std::uint64_t> logs_no_buffer{0};
  std::atomic<std::uint64_t> logs_after_shutdown{0};

  // Shared by both export threads (one set of counters); null when inactive.
  std::shared_ptr<processors::Processors> processors;

  // Self-metrics: created/ended counts, component names, and the reporter (null when the
  // self-metrics are not exported).
  ShardedCounters counts;
  std::string span_processor_name;
  std::string log_processor_name;
  std::string trace_exporter_name;
  std::string log_exporter_name;
  std::string metrics_exporter_name;
  std::unique_ptr<SelfMetricsReporter> reporter;

  std::mutex shutdown_mu;
  bool shutdown_done = false;
  bool shutdown_result = true;
};

namespace {

// Runs an operation on both processors at once, so a slow receiver of one signal does not
// eat the other's share of the deadline.
template <typename Op>
bool on_both(OtlpLayerState& s, Op op) {
  bool span_ok = true;
  bool log_ok = true;
  if (s.spans && s.logs) {
    std::thread t;
    try {
      t = std::thread([&] { span_ok = op(*s.spans); });
    } catch (const std::system_error&) {
      span_ok = op(*s.spans);  // no thread to be had: one after the other
    }
    log_ok = op(*s.logs);
    if (t.joinable())
      t.join();
  } else if (s.spans) {
    span_ok = op(*s.spans);
  } else if (s.logs) {
    log_ok = op(*s.logs);
  }
  return span_ok && log_ok;
}

// Per-thread staging in front of `processor` (made later; the sink reads it when called):
// threads hand their records over in groups of half an export batch (at most
// Handover::kRingSize). Batches under 32 keep the one-by-one hand-over (`handover` stays
// null), so that a small queue's drop policy and batch trigger act on each record as it is
// made. Returns the processor's collector (empty without staging).
template <typename H, typename Item>
std::function<void()> stage_in_groups(std::shared_ptr<H>& handover,
                                      std::unique_ptr<BatchProcessor<Item>>& processor,
                                      std::size_t export_batch,
                                      typename H::RingHook on_ring = nullptr) {
  const std::size_t group = export_batch / 2;
  if (group < 16)
    return nullptr;
  handover = std::make_shared<H>(
      [&processor](Item* items, std::size_t n) { (void)processor->push_many(items, n); }, group,
      std::move(on_ring));
  return [h = std::weak_ptr<H>(handover)] {
    if (std::shared_ptr<H> live = h.lock())
      live->collect();
  };
}

std::size_t log_class(const OtlpLogHandle& h) {
  return 1 + static_cast<std::size_t>(h->metadata->level);
}

// The batch processor's class of the first urgent level.
std::size_t urgent_log_class(core::Level level) {
  return 1 + static_cast<std::size_t>(level);
}

}  // namespace
}  // namespace internal

namespace internal {
namespace {

// The self-metrics' endpoint when none is given: the traces (else logs) receiver's.
void derive_metrics_endpoint(OtlpLayerOptions& o) {
  if (!o.metrics.endpoint.empty())
    return;
  const otlp::OtlpExporterOptions& from = o.export_spans ? o.traces : o.logs;
  if (from.endpoint.empty())
    return;          // the exporter's default, localhost
  o.metrics = from;  // the same receiver: same protocol, headers, TLS, timeout
  if (from.protocol != otlp::Protocol::kGrpc) {
    for (std::string_view suffix : {std::string_view("/v1/traces"), std::string_view("/v1/logs")}) {
      const std::string& e = o.metrics.endpoint;
      if (e.size() >= suffix.size() &&
          e.compare(e.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) == 0) {
        o.metrics.endpoint.resize(e.size() - suffix.size());
        o.metrics.endpoint += "/v1/metrics";
        break;
      }
    }
  }
}

}  // namespace
}  // namespace internal

core::Result<std::unique_ptr<OtlpLayer>> OtlpLayer::create(OtlpLayerOptions options) {
  internal::derive_metrics_endpoint(options);
  if (processors::is_active(options.processors)) {
    core::Result<std::unique_ptr<processors::Processors>> p =
        processors::Processors::create(options.processors);
    if (!p)
      return p.status();
  }
  std::unique_ptr<otlp::OtlpExporter> traces;
  std::unique_ptr<otlp::OtlpExporter> logs;
  if (options.export_spans) {
    auto e = otlp::OtlpExporter::create(options.traces, options.on_error);
    if (!e)
      return e.status();
    traces = std::move(*e);
  }
  if (options.export_logs) {
    auto e = otlp::OtlpExporter::create(options.logs, options.on_error);
    if (!e)
      return e.status();
    logs = std::move(*e);
  }
  std::unique_ptr<otlp::OtlpExporter> metrics;
  if (options.export_self_metrics && (options.export_spans || options.export_logs)) {
    auto e = otlp::OtlpExporter::create(options.metrics, options.on_error);
    if (!e)
      return e.status();
    metrics = std::move(*e);
  }
  return std::make_unique<OtlpLayer>(std::move(options), std::move(traces), std::move(logs),
                                     std::move(metrics));
}

OtlpLayer::OtlpLayer(OtlpLayerOptions options, std::unique_ptr<otlp::OtlpExporter> traces,
                     std::unique_ptr<otlp::OtlpExporter> logs,
                     std::unique_ptr<otlp::OtlpExporter> metrics)
    : state_(std::make_unique<internal::OtlpLayerState>()) {
  using namespace internal;
  OtlpLayerState& s = *state_;
  s.options = std::move(options);
  if (processors::is_active(s.options.processors)) {
    core::Result<std::unique_ptr<processors::Processors>> p =
        processors::Processors::create(s.options.processors);
    if (!p) {
      // Fail closed: what the processors were to remove must not be sent unprocessed.
      const std::string message =
          "edgetrace: OTLP layer disabled, invalid processors options: " + p.status().message();
      if (s.options.on_error)
        s.options.on_error(message);
      else
        std::fprintf(stderr, "%s\n", message.c_str());
      return;
    }
    s.processors = std::move(*p);
  }
  if (s.options.export_spans && traces) {
    auto e = std::make_shared<SpanExport>();
    e->exporter = std::move(traces);
    auto* rs = e->request.add_resource_spans();
    otlp::to_otlp_resource(s.options.resource, *rs->mutable_resource());
    rs->set_schema_url(s.options.resource.schema_url());
    fill_scope(s.options, *rs->add_scope_spans()->mutable_scope());
    e->skeleton = e->request;
    e->processors = s.processors;
    if (!e->processors && e->exporter->accepts_encoded())
      e->encoder = std::make_unique<SpanRequestEncoder>(e->skeleton, s.options.limits);
    e->limits = s.options.limits;
    s.span_export = e;
    s.span_processor_name = next_component_name("batching_span_processor");
    s.trace_exporter_name = next_component_name(
        exporter_component_type(e->exporter->options().protocol, otlp::Signal::kTraces));
    std::function<void()> collect =
        stage_in_groups(s.handover, s.spans, s.options.span_batch.max_export_batch_size);
    s.spans = std::make_unique<BatchProcessor<SpanRef>>(
        s.options.span_batch,
        [e](std::vector<SpanRef>& batch, otlp::Deadline d) { return e->run(batch, d); }, nullptr,
        otlp::kSeverityClasses, std::move(collect));
  }
  if (s.options.export_logs && logs) {
    const otlp::BatchOptions& b = s.options.log_batch;
    // Items in the queue, in the batch being built, and a margin for pushes in progress and
    // the export thread's cache of free items.
    const std::size_t cap = std::max<std::size_t>(1, b.max_queue_size) +
                            std::max<std::size_t>(1, b.max_export_batch_size) + 256;
    s.log_pool = std::make_shared<OtlpLogPool>(cap);
    auto e = std::make_shared<LogExport>();
    e->exporter = std::move(logs);
    e->pool = s.log_pool;
    LogRecordOptions record_options;
    record_options.code_location = s.options.log_code_location;
    record_options.attribute_count_limit = s.options.limits.log_attribute_count;
    record_options.attribute_value_length_limit = s.options.limits.log_attribute_value_length;
    otlp::ExportLogsServiceRequest skeleton;  // the resource; one scope per target is added
    auto* rl = skeleton.add_resource_logs();
    otlp::to_otlp_resource(s.options.resource, *rl->mutable_resource());
    rl->set_schema_url(s.options.resource.schema_url());
    e->processors = s.processors;
    if (!e->processors && e->exporter->accepts_encoded()) {
      e->encoder = std::make_unique<LogRequestEncoder>(skeleton, s.options.scope_name,
                                                       scope_version_of(s.options), record_options);
    } else {
      e->builder = std::make_unique<LogRequestBuilder>(skeleton, s.options.scope_name,
                                                       scope_version_of(s.options), record_options);
    }
    s.log_export = e;
    s.log_processor_name = next_component_name("batching_log_processor");
    s.log_exporter_name = next_component_name(
        exporter_component_type(e->exporter->options().protocol, otlp::Signal::kLogs));
    s.urgent_log_class = s.options.export_immediately_on_error
                             ? urgent_log_class(s.options.export_immediately_at_level)
                             : otlp::kSeverityClasses;
    // Each thread's ring gets room in the item pool for its group and the thread's cache of
    // free items, so neither makes the pool refuse a record the queue would keep.
    const auto room =
        static_cast<std::ptrdiff_t>(std::min(b.max_export_batch_size / 2, LogHandover::kRingSize) +
                                    OtlpLogPool::kThreadCacheMax);
    std::function<void()> collect =
        stage_in_groups(s.log_handover, s.logs, b.max_export_batch_size,
                        [pool = s.log_pool, room](int delta) { pool->add_room(delta * room); });
    s.logs = std::make_unique<BatchProcessor<OtlpLogHandle>>(
        b, [e](std::vector<OtlpLogHandle>& batch, otlp::Deadline d) { return e->run(batch, d); },
        &log_class, s.urgent_log_class, std::move(collect));
  }
  if (metrics && s.options.export_self_metrics && (s.spans || s.logs)) {
    s.metrics_exporter_name = next_component_name(
        exporter_component_type(metrics->options().protocol, otlp::Signal::kMetrics));
    s.reporter = std::make_unique<SelfMetricsReporter>(
        std::move(metrics), s.options.self_metrics_interval, s.options.resource,
        s.options.scope_name, sdk_scope_version(s.options), [this] { return self_metrics(); });
  }
}

OtlpLayer::~OtlpLayer() {
  std::chrono::milliseconds grace = state_->options.span_batch.shutdown_grace;
  grace = std::max(grace, state_->options.log_batch.shutdown_grace);
  (void)shutdown(otlp::Clock::now() + grace);
}

void OtlpLayer::on_new_span(const SpanRecord& span) {
  internal::OtlpLayerState& s = *state_;
  if (!s.spans)
    return;
  // SpanId::valid() tests byte by byte; one 8-byte load is cheaper on this hot path.
  std::uint64_t parent = 0;
  std::memcpy(&parent, span.parent_span_id.bytes().data(), sizeof parent);
  const std::size_t origin = parent == 0 ? 0 : span.parent_remote ? 2 : 1;
  s.counts.add(internal::ShardedCounters::kStarted + 2 * origin + (span.context.sampled() ? 0 : 1));
}

void OtlpLayer::on_close(const SpanRecord& span) {
  internal::OtlpLayerState& s = *state_;
  if (!s.spans)
    return;
  const bool sampled = span.context.sampled();
  s.counts.add(sampled ? internal::ShardedCounters::kEndedSampled
                       : internal::ShardedCounters::kEndedUnsampled);
  if (!sampled)
    return;
  if (shut_down_.load(std::memory_order_relaxed)) {
    s.spans_after_shutdown.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  SpanRecord* record = const_cast<SpanRecord*>(&span);
  if (s.handover) {
    record->refs.fetch_add(1, std::memory_order_relaxed);  // the hand-over's reference
    s.handover->push(record);
    return;
  }
  (void)s.spans->push(SpanRef(record));
}

void OtlpLayer::on_event(const Event& event) {
  internal::OtlpLayerState& s = *state_;
  if (!s.logs)
    return;
  s.counts.add(internal::ShardedCounters::kLogsCreated);
  if (shut_down_.load(std::memory_order_relaxed)) {
    s.logs_after_shutdown.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  internal::OtlpLogItem* item = s.log_pool->acquire();
  if (item == nullptr) {
    s.logs_no_buffer.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  internal::OtlpLogHandle handle(item);
  item->metadata = &event.metadata;
  item->time_unix_nano = event.time_unix_nano;
  item->message.assign(event.message);
  // A call site's field names are referenced (static storage); the pool cleared the store.
  item->fields.append_fields(event.fields, event.metadata.field_names);
  if (s.options.exception_stacktrace) {
    for (const Field& f : event.fields) {
      if (f.name == semconv::exception::kType) {
        internal::capture_stack(item->stack, 1);  // leaves this function out
        break;
      }
    }
  }
  item->oversized = std::max(event.message.size(), item->fields.text_bytes()) >
                    internal::OtlpLogPool::kMaxKeptCapacity;
  const SpanRecord* span = event.span;
  if (span != nullptr && span->context.sampled()) {
    item->in_sampled_span = true;
    item->trace_id = span->context.trace_id;
    item->span_id = span->context.span_id;
    item->trace_flags = span->context.flags.bits;
  } else {
    item->in_sampled_span = false;
  }
  if (s.log_handover) {
    if (internal::log_class(handle) >= s.urgent_log_class)
      s.log_handover->push_urgent(handle.release());
    else
      s.log_handover->push(handle.release());
    return;
  }
  (void)s.logs->push(std::move(handle));
}

bool OtlpLayer::force_flush(Deadline deadline) {
  if (shut_down_.load(std::memory_order_acquire))
    return true;
  const bool ok =
      internal::on_both(*state_, [deadline](auto& p) { return p.force_flush(deadline); });
  // The self-metrics after the flush, so that they count what it exported.
  if (state_->reporter)
    (void)state_->reporter->export_now(deadline, true);
  return ok;
}

bool OtlpLayer::shutdown(Deadline deadline) {
  internal::OtlpLayerState& s = *state_;
  std::lock_guard<std::mutex> lock(s.shutdown_mu);
  if (s.shutdown_done)
    return s.shutdown_result;
  shut_down_.store(true, std::memory_order_release);
  s.shutdown_result = internal::on_both(s, [deadline](auto& p) { return p.shutdown(deadline); });
  // Spans staged after the processor's last collection: too late, counted.
  if (s.handover)
    s.spans_after_shutdown.fetch_add(s.handover->discard(), std::memory_order_relaxed);
  if (s.log_handover)
    s.logs_after_shutdown.fetch_add(s.log_handover->discard(), std::memory_order_relaxed);
  // The last self-metrics: what the drained queues delivered, failed or dropped.
  if (s.reporter) {
    (void)s.reporter->export_now(deadline, true);
    s.reporter->stop();
  }
  // Whatever an abandoned export is still doing (backoff, retry) returns promptly now.
  if (s.span_export)
    s.span_export->exporter->shutdown();
  if (s.log_export)
    s.log_export->exporter->shutdown();
  s.shutdown_done = true;
  return s.shutdown_result;
}

OtlpLayer::Counters OtlpLayer::counters() const noexcept {
  const internal::OtlpLayerState& s = *state_;
  Counters c;
  constexpr auto r = std::memory_order_relaxed;
  c.unsampled_skipped = s.counts.sum(internal::ShardedCounters::kEndedUnsampled);
  if (s.spans) {
    const otlp::BatchCounters& b = s.spans->counters();
    c.spans_queued = b.accepted.load(r);
    c.spans_exported = b.delivered.load(r);
    c.spans_failed = b.export_failed.load(r);
    c.spans_dropped = b.dropped_queue_full_total() + b.dropped_shutdown.load(r) +
                      b.rejected_after_shutdown.load(r) + s.spans_after_shutdown.load(r) +
                      (s.handover ? s.handover->late() : 0);
    c.span_batches = b.batches.load(r);
  }
  if (s.logs) {
    const otlp::BatchCounters& b = s.logs->counters();
    c.logs_queued = b.accepted.load(r);
    c.logs_exported = b.delivered.load(r);
    c.logs_failed = b.export_failed.load(r);
    c.logs_dropped = b.dropped_queue_full_total() + b.dropped_shutdown.load(r) +
                     b.rejected_after_shutdown.load(r) + s.logs_no_buffer.load(r) +
                     s.logs_after_shutdown.load(r) + (s.log_handover ? s.log_handover->late() : 0);
    c.log_batches = b.batches.load(r);
  }
  if (s.processors) {
    using processors::DropReason;
    using processors::Signal;
    const processors::ProcessorsCounters p = s.processors->counters();
    c.spans_sampled_out = p.dropped_count(Signal::kTraces, DropReason::kSampled);
    c.logs_sampled_out = p.dropped_count(Signal::kLogs, DropReason::kSampled);
    c.logs_rate_capped = p.dropped_count(Signal::kLogs, DropReason::kRateCapped);
    c.values_redacted = p.values_redacted + p.attributes_masked;
  }
  return c;
}

namespace internal {
namespace {

void fill_processor(const otlp::BatchCounters& b, std::size_t capacity, std::uint64_t handed,
                    std::uint64_t no_buffer, std::uint64_t after_shutdown,
                    std::uint64_t sampled_out, std::uint64_t rate_capped,
                    ProcessorSelfMetrics& out) {
  constexpr auto r = std::memory_order_relaxed;
  out.queue_size = b.queue_depth.load(r);
  out.queue_capacity = capacity;
  out.dropped_queue_full = b.dropped_queue_full_total() + no_buffer;
  out.dropped_already_shutdown = b.rejected_after_shutdown.load(r) + after_shutdown;
  out.dropped_shutdown_timeout = b.dropped_shutdown.load(r);
  out.dropped_sampled_out = sampled_out;
  out.dropped_rate_capped = rate_capped;
  // Counted when a batch is taken for export, not when the export ends (as the conventions
  // ask); the processors (OtlpLayerOptions::processors) removed some of those.
  const std::uint64_t removed = sampled_out + rate_capped;
  out.processed = handed > removed ? handed - removed : 0;
}

void fill_exporter(const otlp::OtlpExporter& e, const std::string& name, ExporterSelfMetrics& out) {
  out.component_name = name;
  out.component_type = name.substr(0, name.rfind('/'));
  endpoint_address(e.options().endpoint, out.server_address, out.server_port);
  fill_exporter_metrics(e.counters(), out);
}

}  // namespace
}  // namespace internal

SelfMetrics OtlpLayer::self_metrics() const {
  using internal::ShardedCounters;
  const internal::OtlpLayerState& s = *state_;
  constexpr auto r = std::memory_order_relaxed;
  processors::ProcessorsCounters p;
  if (s.processors)
    p = s.processors->counters();
  using processors::DropReason;
  using processors::Signal;
  SelfMetrics m;
  if (s.spans) {
    SpanSelfMetrics& o = m.spans;
    o.started_root_sampled = s.counts.sum(ShardedCounters::kStarted + 0);
    o.started_root_unsampled = s.counts.sum(ShardedCounters::kStarted + 1);
    o.started_local_sampled = s.counts.sum(ShardedCounters::kStarted + 2);
    o.started_local_unsampled = s.counts.sum(ShardedCounters::kStarted + 3);
    o.started_remote_sampled = s.counts.sum(ShardedCounters::kStarted + 4);
    o.started_remote_unsampled = s.counts.sum(ShardedCounters::kStarted + 5);
    o.ended_sampled = s.counts.sum(ShardedCounters::kEndedSampled);
    o.ended_unsampled = s.counts.sum(ShardedCounters::kEndedUnsampled);
    o.processor.component_name = s.span_processor_name;
    internal::fill_processor(
        s.spans->counters(), s.spans->options().max_queue_size, s.span_export->handed.load(r), 0,
        s.spans_after_shutdown.load(r) + (s.handover ? s.handover->late() : 0),
        p.dropped_count(Signal::kTraces, DropReason::kSampled),
        p.dropped_count(Signal::kTraces, DropReason::kRateCapped), o.processor);
    // Spans staged in the threads' rings are queued too, only not yet in the shared queue.
    if (s.handover)
      o.processor.queue_size += s.handover->staged();
    internal::fill_exporter(*s.span_export->exporter, s.trace_exporter_name, o.exporter);
  }
  if (s.logs) {
    LogSelfMetrics& o = m.logs;
    o.created = s.counts.sum(ShardedCounters::kLogsCreated);
    o.processor.component_name = s.log_processor_name;
    internal::fill_processor(
        s.logs->counters(), s.logs->options().max_queue_size, s.log_export->handed.load(r),
        s.logs_no_buffer.load(r),
        s.logs_after_shutdown.load(r) + (s.log_handover ? s.log_handover->late() : 0),
        p.dropped_count(Signal::kLogs, DropReason::kSampled),
        p.dropped_count(Signal::kLogs, DropReason::kRateCapped), o.processor);
    if (s.log_handover)
      o.processor.queue_size += s.log_handover->staged();
    internal::fill_exporter(*s.log_export->exporter, s.log_exporter_name, o.exporter);
  }
  if (s.reporter) {
    ExporterSelfMetrics& o = m.metrics_exporter;
    o.component_name = s.metrics_exporter_name;
    o.component_type = s.metrics_exporter_name.substr(0, s.metrics_exporter_name.rfind('/'));
    internal::endpoint_address(s.reporter->options().endpoint, o.server_address, o.server_port);
    internal::fill_exporter_metrics(s.reporter->counters(), o);
  }
  return m;
}

const otlp::BatchCounters* OtlpLayer::span_batch_counters() const noexcept {
  return state_->spans ? &state_->spans->counters() : nullptr;
}
const otlp::BatchCounters* OtlpLayer::log_batch_counters() const noexcept {
  return state_->logs ? &state_->logs->counters() : nullptr;
}
const otlp::ExporterCounters* OtlpLayer::trace_exporter_counters() const noexcept {
  return state_->span_export ? &state_->span_export->exporter->counters() : nullptr;
}
const otlp::ExporterCounters* OtlpLayer::log_exporter_counters() const noexcept {
  return state_->log_export ? &state_->log_export->exporter->counters() : nullptr;
}

}  // namespace edgetrace::sdk
