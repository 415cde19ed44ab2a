#include "edgetrace/bridge/bridge.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "edgetrace/bridge/ids.hpp"
#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/otlp/model.hpp"
#include "internal/output.hpp"
#include "internal/tracing_defmt.hpp"

namespace edgetrace::bridge {

using decoder::Record;
using decoder::RecordKind;
using internal::Loss;
using internal::OtlpLogRecord;
using internal::OtlpSpan;

namespace {

// A span the device entered and has not exited yet (edgetrace streams).
struct OpenSpan {
  std::uint64_t id = 0;
  std::uint64_t parent = 0;
  std::uint64_t root = 0;  // the trace's local root; 0 when unknown (parent not seen)
  std::uint64_t start_ticks = 0;
  std::uint64_t tick_hz = 0;
  std::string name;
  decoder::Location location;
  std::vector<std::pair<std::uint64_t, Loss>> losses;  // (time, what) for loss events
};

// A log record written inside a span whose trace is not known yet.
struct HeldLog {
  OtlpLogRecord record;
  std::uint64_t span = 0;  // the innermost open span's local id
  std::uint64_t root = 0;  // its root, 0 when unknown
  std::uint64_t time = 0;  // the record's time, for the hold limit
};

Loss loss_between(const decoder::DecoderCounters& before, const decoder::DecoderCounters& after) {
  const auto grew = [](std::uint64_t a, std::uint64_t b) { return b > a ? b - a : 0; };
  Loss loss;
  loss.frames_lost = grew(before.lost_frames, after.lost_frames);
  loss.frames_corrupt = grew(before.corrupt_frames, after.corrupt_frames);
  loss.records_undecodable = grew(before.malformed_records + before.unknown_callsites,
                                  after.malformed_records + after.unknown_callsites);
  loss.records_dropped = grew(before.dropped_records, after.dropped_records);
  return loss;
}

std::string loss_text(const Loss& loss) {
  std::string text = "device stream lost data:";
  const auto part = [&text](std::uint64_t n, const char* what) {
    if (n > 0)
      text += " " + std::to_string(n) + " " + what + ",";
  };
  part(loss.frames_lost, "frames lost (sequence gap)");
  part(loss.frames_corrupt, "corrupt frames");
  part(loss.records_undecodable, "undecodable records");
  part(loss.records_dropped, "records dropped by the device");
  text.pop_back();
  return text;
}

}  // namespace

struct StreamBridge::State {
  State(BridgeOptions o, BatchSink sink)
      : options(std::move(o)),
        out(options.batch_records, std::move(sink), counters),
        clock(options.time, options.anchor_unix_nanos),
        firmware(options.firmware),
        device_id(options.device_id) {}

  BridgeOptions options;
  BridgeCounters counters;
  internal::Output out;
  DeviceClock clock;
  std::shared_ptr<const decoder::DefmtTable> defmt;
  std::unique_ptr<internal::TracingDefmtSpans> tracing;
  std::string_view stream_format = "edgetrace";
  FirmwareInfo firmware;
  core::Bytes device_id;
  std::optional<std::uint64_t> boot;
  core::Resource resource;
  bool resource_set = false;
  // The resource's inputs (firmware, device id, boot, stream format) changed since it was
  // built: only handshakes and set_defmt_table() change them, so the resource is rebuilt
  // then and not for every record.
  bool identity_changed = true;

  std::vector<OpenSpan> open;  // in enter order; the last is the innermost
  std::deque<HeldLog> held;
  // Exited spans and emptied held-log records, kept so that the next enter or held log
  // reuses their strings and attribute lists instead of allocating them.
  std::vector<OpenSpan> spare_open;
  std::vector<OtlpLogRecord> spare_records;
  std::unordered_map<std::uint64_t, core::TraceId> resolved;  // root -> trace id, this boot
  decoder::DecoderCounters seen;

  // Ids. A span's id is needed by its exit, its children's exits and every log record
  // written in it; derived ids are kept in a small direct-mapped cache keyed by the local id
  // (device ids are numbered 1, 2, 3..., so the spans open at once rarely collide), valid
  // for the current device id and boot (cleared when either changes).
  struct CachedSpanId {
    std::uint64_t local = 0;  // 0: empty (a device never numbers a span 0)
    core::SpanId id;
  };
  static constexpr std::size_t kSpanIdCacheSize = 64;
  static constexpr std::size_t kMaxSpareOpenSpans = 64;
  std::array<CachedSpanId, kSpanIdCacheSize> span_ids{};

  std::uint64_t boot_or_zero() const { return boot.value_or(0); }
  core::SpanId span_id(std::uint64_t local) {
    CachedSpanId& slot = span_ids[local % kSpanIdCacheSize];
    if (slot.local != local || local == 0) {
      slot.id = derive_span_id(device_id, boot_or_zero(), local);
      slot.local = local;
    }
    return slot.id;
  }
  void forget_span_ids() { span_ids.fill(CachedSpanId{}); }
  core::TraceId local_trace(std::uint64_t root) const {
    return derive_trace_id(device_id, boot_or_zero(), root);
  }

  void update_resource() {
    if (!identity_changed)
      return;
    identity_changed = false;
    core::Resource r =
        device_resource(options.resource, firmware, {device_id, boot, stream_format});
    if (!resource_set || !(r == resource)) {
      resource = std::move(r);
      resource_set = true;
      out.set_resource(resource, stream_format == "defmt" ? "defmt" : "edgetrace.device");
    }
  }

  // Time of a record; observes the clock.
  std::uint64_t time_of(const Record& r, std::uint64_t receive) {
    // defmt's ISO 8601 timestamps are absolute: used as they are.
    if (stream_format == "defmt" && r.time_unix_nano && *r.time_unix_nano != 0)
      return *r.time_unix_nano;
    if (r.has_ticks && r.tick_hz != 0) {
      clock.observe(r.device_ticks, r.tick_hz, receive);
      counters.clock_drift_ppm = clock.drift_ppm();
      counters.clock_error_nanos = clock.error_nanos();
      return clock.to_unix_nanos(r.device_ticks, r.tick_hz);
    }
    if (r.time_unix_nano && *r.time_unix_nano != 0)
      return *r.time_unix_nano;
    ++counters.records_untimed;
    return clock.untimed(receive);
  }

  std::uint64_t observed(std::uint64_t time, std::uint64_t receive) const {
    return clock.mode() == TimeMode::kLive && receive != 0 ? receive : time;
  }

  // The time of an event that has no record of its own (a loss, the end of a stream).
  std::uint64_t now(std::uint64_t receive) const {
    if (clock.mode() == TimeMode::kLive && receive != 0)
      return receive;
    return clock.last_unix_nanos() != 0 ? clock.last_unix_nanos() : clock.untimed(receive);
  }

  // --- losses ---------------------------------------------------------------------------

  void check_counters(const decoder::DecoderCounters& counters_now, std::uint64_t receive) {
    const Loss loss = loss_between(seen, counters_now);
    seen = counters_now;
    if (!loss.any())
      return;
    // On the device's timeline, at the last record decoded (the loss happened before the
    // record that revealed it), in live mode too: the receive time can be later than the
    // records around the loss.
    const std::uint64_t t = clock.last_unix_nanos() != 0 ? clock.last_unix_nanos() : now(receive);
    counters.frames_lost += loss.frames_lost;
    counters.frames_corrupt += loss.frames_corrupt;
    counters.records_undecodable += loss.records_undecodable;
    counters.records_dropped_by_device += loss.records_dropped;
    ++counters.loss_events;
    for (OpenSpan& s : open)
      s.losses.emplace_back(t, loss);
    if (tracing)
      tracing->note_loss(t, loss);
    update_resource();
    OtlpLogRecord& log = out.add_log();
    log.set_time_unix_nano(t);
    log.set_observed_time_unix_nano(observed(t, receive));
    log.set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_WARN);
    log.set_severity_text("WARN");
    log.set_event_name(internal::kLossEventName.data(), internal::kLossEventName.size());
    log.mutable_body()->set_string_value(loss_text(loss));
    auto& attributes = *log.mutable_attributes();
    const auto add = [&attributes](const char* key, std::uint64_t n) {
      if (n > 0)
        otlp::add_int_attribute(attributes, key, static_cast<std::int64_t>(n));
    };
    add("edgetrace.frames.lost", loss.frames_lost);
    add("edgetrace.frames.corrupt", loss.frames_corrupt);
    add("edgetrace.records.undecodable", loss.records_undecodable);
    add("edgetrace.records.dropped", loss.records_dropped);
  }

  // --- spans ----------------------------------------------------------------------------

  void fill_span_common(OtlpSpan& span, std::string_view name, const decoder::Location& location,
                        const std::vector<std::pair<std::uint64_t, Loss>>& losses) {
    span.set_name(name.data(), name.size());
    span.set_kind(opentelemetry::proto::trace::v1::Span::SPAN_KIND_INTERNAL);
    if (!location.file.empty())
      internal::add_string_attribute(*span.mutable_attributes(), "code.file.path", location.file,
                                     &out.values());
    if (location.line != 0)
      internal::add_int_attribute(*span.mutable_attributes(), "code.line.number", location.line,
                                  &out.values());
    for (const auto& [t, loss] : losses)
      internal::add_loss_event(span, t, loss);
  }

  void emit_exit(const Record& r) {
    const std::uint64_t root = r.root_span_id != 0 ? r.root_span_id : r.span_id;
    const core::TraceId trace = r.trace_id ? *r.trace_id : trace_of_root(root);
    resolved[root] = trace;

    const auto it = std::find_if(open.begin(), open.end(),
                                 [&](const OpenSpan& s) { return s.id == r.span_id; });
    static const std::vector<std::pair<std::uint64_t, Loss>> kNoLosses;
    update_resource();
    OtlpSpan& span = out.add_span();
    otlp::set_id(span.mutable_trace_id(), trace);
    otlp::set_id(span.mutable_span_id(), span_id(r.span_id));
    std::uint32_t flags = internal::kSpanFlagsHasIsRemote | internal::kSpanFlagsSampled;
    if (r.parent_span_id != 0) {
      otlp::set_id(span.mutable_parent_span_id(), span_id(r.parent_span_id));
    } else if (r.remote_parent) {
      otlp::set_id(span.mutable_parent_span_id(), r.remote_parent->span_id);
      flags = internal::kSpanFlagsHasIsRemote | internal::kSpanFlagsIsRemote |
              (r.remote_parent->sampled() ? internal::kSpanFlagsSampled : 0u);
    }
    span.set_flags(flags);
    span.set_start_time_unix_nano(clock.to_unix_nanos(r.start_ticks, r.tick_hz));
    span.set_end_time_unix_nano(clock.to_unix_nanos(r.end_ticks, r.tick_hz));
    const std::string name =
        r.span_name.empty() ? "span@" + std::to_string(r.callsite_id) : r.span_name;
    fill_span_common(span, name, r.location, it != open.end() ? it->losses : kNoLosses);
    if (r.in_interrupt) {
      auto* kv = span.add_attributes();
      kv->set_key("edgetrace.span.interrupt");
      kv->mutable_value()->set_bool_value(true);
    }
    if (it != open.end()) {
      if (spare_open.size() < kMaxSpareOpenSpans)
        spare_open.push_back(std::move(*it));
      open.erase(it);
    }
    release_held(r.span_id, root, trace);
    if (r.span_id == root)
      resolved.erase(root);
  }

  core::TraceId trace_of_root(std::uint64_t root) const {
    const auto it = resolved.find(root);
    return it != resolved.end() ? it->second : local_trace(root);
  }

  void enter(const Record& r) {
    if (open.size() >= std::max<std::size_t>(options.max_open_spans, 1)) {
      ++counters.open_spans_evicted;
      end_open(open.front(), clock.last_unix_nanos(), "evicted: too many spans open on the stream");
      open.erase(open.begin());
    }
    OpenSpan s;
    if (!spare_open.empty()) {
      s = std::move(spare_open.back());
      spare_open.pop_back();
      s.losses.clear();
    }
    s.id = r.span_id;
    s.parent = r.parent_span_id;
    if (r.parent_span_id == 0) {
      s.root = r.span_id;
    } else {
      const auto parent = std::find_if(open.begin(), open.end(),
                                       [&](const OpenSpan& o) { return o.id == r.parent_span_id; });
      s.root = parent != open.end() ? parent->root : 0;
    }
    s.start_ticks = r.start_ticks;
    s.tick_hz = r.tick_hz;
    s.name = r.span_name;
    s.location = r.location;
    open.push_back(std::move(s));
  }

  // Emits an open span that will never see its exit.
  void end_open(const OpenSpan& s, std::uint64_t end, std::string_view reason) {
    const std::uint64_t root = s.root != 0 ? s.root : s.id;
    const bool known = s.root != 0 && resolved.count(s.root) != 0;
    const core::TraceId trace = trace_of_root(root);
    update_resource();
    OtlpSpan& span = out.add_span();
    otlp::set_id(span.mutable_trace_id(), trace);
    otlp::set_id(span.mutable_span_id(), span_id(s.id));
    if (s.parent != 0)
      otlp::set_id(span.mutable_parent_span_id(), span_id(s.parent));
    span.set_flags(internal::kSpanFlagsHasIsRemote | internal::kSpanFlagsSampled);
    const std::uint64_t start = clock.to_unix_nanos(s.start_ticks, s.tick_hz);
    span.set_start_time_unix_nano(start);
    span.set_end_time_unix_nano(std::max(start, end));
    fill_span_common(span, s.name, s.location, s.losses);
    internal::mark_incomplete(span, reason);
    ++counters.incomplete_spans;
    const std::size_t released = release_held(s.id, s.root, trace);
    // Without an exit in its trace, the span's trace id (and so the logs') is the local one.
    if (!known)
      counters.logs_correlation_guessed += released;
  }

  void end_all_open(std::uint64_t end, std::string_view reason) {
    for (const OpenSpan& s : open)
      end_open(s, end, reason);
    open.clear();
    // Whatever is still held belongs to spans whose trace was never resolved.
    while (!held.empty())
      release_front_guessed();
    resolved.clear();
  }

  // --- logs -----------------------------------------------------------------------------

  void log(const Record& r, std::uint64_t time, std::uint64_t receive) {
    update_resource();
    if (open.empty()) {
      OtlpLogRecord& log = out.add_log();
      internal::fill_log_record(r, time, observed(time, receive), log, &out.values());
      return;
    }
    const OpenSpan& s = open.back();
    const auto resolved_trace = s.root != 0 ? resolved.find(s.root) : resolved.end();
    if (resolved_trace != resolved.end()) {
      OtlpLogRecord& log = out.add_log();
      internal::fill_log_record(r, time, observed(time, receive), log, &out.values());
      otlp::set_id(log.mutable_trace_id(), resolved_trace->second);
      otlp::set_id(log.mutable_span_id(), span_id(s.id));
      return;
    }
    // The trace is not known yet (a root span may have a remote parent the device only
    // names in an exit): hold the record until an exit resolves it.
    if (held.size() >= std::max<std::size_t>(options.max_held_logs, 1))
      release_front_guessed();
    HeldLog h;
    if (!spare_records.empty()) {
      h.record = std::move(spare_records.back());
      spare_records.pop_back();
      h.record.Clear();
    }
    internal::fill_log_record(r, time, observed(time, receive), h.record, &out.values());
    h.span = s.id;
    h.root = s.root;
    h.time = time;
    held.push_back(std::move(h));
    ++counters.logs_held;
  }

  void emit_held(HeldLog& h, const core::TraceId& trace) {
    otlp::set_id(h.record.mutable_trace_id(), trace);
    otlp::set_id(h.record.mutable_span_id(), span_id(h.span));
    out.add_log(std::move(h.record));
    // h.record now holds the batch's empty slot (a moved protobuf message swaps).
    if (spare_records.size() < std::max<std::size_t>(options.max_held_logs, 1))
      spare_records.push_back(std::move(h.record));
  }

  void release_front_guessed() {
    HeldLog& h = held.front();
    emit_held(h, trace_of_root(h.root != 0 ? h.root : h.span));
    ++counters.logs_correlation_guessed;
    held.pop_front();
  }

  // Releases the held records of `span` or of its trace's `root`; returns how many.
  std::size_t release_held(std::uint64_t span, std::uint64_t root, const core::TraceId& trace) {
    if (held.empty())
      return 0;
    update_resource();
    std::size_t released = 0;
    for (auto it = held.begin(); it != held.end();) {
      if (it->span == span || (it->root != 0 && it->root == root)) {
        emit_held(*it, trace);
        it = held.erase(it);
        ++released;
      } else {
        ++it;
      }
    }
    return released;
  }

  void expire_held(std::uint64_t now_time) {
    while (!held.empty() && now_time > held.front().time &&
           now_time - held.front().time > options.max_log_hold_nanos)
      release_front_guessed();
  }

  // --- handshakes -----------------------------------------------------------------------

  void handshake(const Record& r, std::uint64_t receive) {
    const decoder::Handshake& h = r.handshake;
    const core::Bytes& id = h.device_id.empty() ? options.device_id : h.device_id;
    if (boot && (*boot != h.boot_counter || id != device_id)) {
      const std::string reason = *boot != h.boot_counter
                                     ? "device reset: boot counter " + std::to_string(*boot) +
                                           " -> " + std::to_string(h.boot_counter)
                                     : std::string("another device on the stream");
      end_all_open(clock.last_unix_nanos() != 0 ? clock.last_unix_nanos() : now(receive), reason);
      if (tracing)
        tracing->end_stream(now(receive), reason, out);
      clock.new_boot();
      ++counters.resets;
    }
    if (boot != h.boot_counter || id != device_id)
      forget_span_ids();
    boot = h.boot_counter;
    device_id = id;
    identity_changed = true;
    if (!h.build_id.empty() && h.build_id != firmware.build_id) {
      std::optional<FirmwareInfo> found;
      if (options.firmware_lookup)
        found = options.firmware_lookup(h.build_id);
      if (found) {
        firmware = std::move(*found);
      } else {
        firmware = FirmwareInfo{};
        firmware.build_id = h.build_id;
      }
    }
    update_resource();
  }
};

StreamBridge::StreamBridge(BridgeOptions options, BatchSink sink)
    : s_(std::make_unique<State>(std::move(options), std::move(sink))) {}

StreamBridge::~StreamBridge() = default;

void StreamBridge::set_defmt_table(std::shared_ptr<const decoder::DefmtTable> table) {
  s_->defmt = std::move(table);
  s_->tracing.reset();
  if (s_->defmt) {
    auto spans = std::make_unique<internal::TracingDefmtSpans>(
        *s_->defmt, s_->options.max_open_spans, s_->counters);
    if (spans->has_markers())
      s_->tracing = std::move(spans);
    s_->stream_format = "defmt";
  }
  s_->identity_changed = true;
  s_->update_resource();
}

void StreamBridge::add(const Record& record, const decoder::DecoderCounters& counters,
                       std::uint64_t receive_unix_nanos) {
  State& s = *s_;
  ++s.counters.records;
  s.check_counters(counters, receive_unix_nanos);
  if (record.kind == RecordKind::kHandshake)
    s.handshake(record, receive_unix_nanos);
  const std::uint64_t time = s.time_of(record, receive_unix_nanos);
  switch (record.kind) {
    case RecordKind::kHandshake:
    case RecordKind::kDropped:
      break;
    case RecordKind::kSpanEnter:
      s.enter(record);
      break;
    case RecordKind::kSpanExit:
      s.emit_exit(record);
      break;
    case RecordKind::kLog:
    case RecordKind::kPrintln:
      s.update_resource();
      if (s.tracing && s.tracing->handle(record, time, s.observed(time, receive_unix_nanos), s.out))
        break;
      s.log(record, time, receive_unix_nanos);
      break;
  }
  s.expire_held(time);
  s.out.maybe_flush();
}

void StreamBridge::note_counters(const decoder::DecoderCounters& counters,
                                 std::uint64_t receive_unix_nanos) {
  s_->check_counters(counters, receive_unix_nanos);
  s_->out.maybe_flush();
}

void StreamBridge::end_stream(std::uint64_t receive_unix_nanos) {
  State& s = *s_;
  const std::uint64_t t = s.now(receive_unix_nanos);
  if (!s.open.empty() || !s.held.empty())
    s.update_resource();
  s.end_all_open(t, "stream ended before the span's exit");
  if (s.tracing)
    s.tracing->end_stream(t, "stream ended before the span's exit", s.out);
  s.out.maybe_flush();
}

void StreamBridge::flush() {
  s_->out.flush();
}

const BridgeCounters& StreamBridge::counters() const noexcept {
  return s_->counters;
}

const core::Resource& StreamBridge::resource() const noexcept {
  return s_->resource;
}

const DeviceClock& StreamBridge::clock() const noexcept {
  return s_->clock;
}

}  // namespace edgetrace::bridge
