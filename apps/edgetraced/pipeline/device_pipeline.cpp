#include "pipeline/device_pipeline.hpp"

#include "pipeline/processors.hpp"

#include <algorithm>
#include <utility>

#include "edgetrace/core/clock.hpp"
#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/edgetrace_table.hpp"
#include "edgetrace/decoder/symbol_store.hpp"
#include "pipeline/symbol_source.hpp"
#include "pipeline/telemetry_queue.hpp"

namespace edgetrace::daemon {

// Bytes of a stream kept while looking for its first handshake; a stream that shows none by
// then is decoded without a table (span exits and handshakes still decode).
inline constexpr std::size_t kProbeBytes = 64 * 1024;

struct DevicePipeline::Shared {
  DevicePipelineOptions options;
  SymbolSource& symbols;
  TelemetryQueue& queue;
  HeldCounters& held_counters;

  mutable std::mutex mu;  // receivers_, held
  std::map<std::string, std::unique_ptr<ReceiverCounters>, std::less<>> receivers;
  std::list<std::shared_ptr<DeviceStream::State>> held;

  Shared(DevicePipelineOptions o, SymbolSource& s, TelemetryQueue& q, HeldCounters& h)
      : options(std::move(o)), symbols(s), queue(q), held_counters(h) {}

  std::uint64_t now() const {
    return options.wall_clock ? options.wall_clock() : core::unix_nanos();
  }
  void log(const std::string& line) const {
    if (options.log)
      options.log(line);
  }
};

struct DeviceStream::State : std::enable_shared_from_this<DeviceStream::State> {
  enum class Mode : std::uint8_t { kProbing, kHeld, kDecoding };

  std::shared_ptr<DevicePipeline::Shared> shared;
  StreamOrigin origin;
  ReceiverCounters* counters = nullptr;

  std::mutex mu;
  Mode mode = Mode::kProbing;
  bool finished = false;
  std::unique_ptr<decoder::Decoder> probe;
  std::unique_ptr<decoder::Decoder> decoder;
  std::unique_ptr<bridge::StreamBridge> bridge;
  decoder::DecoderCounters seen{};  // decoder counters already added to `counters`
  std::uint64_t spans_seen = 0;
  std::uint64_t logs_seen = 0;
  core::Status queue_error;
  std::uint64_t receive_nanos = 0;

  // Bytes kept while probing or held: (receive time, bytes).
  std::vector<std::pair<std::uint64_t, std::vector<std::uint8_t>>> kept;
  std::size_t kept_bytes = 0;
  bool dropped_reported = false;
  core::Bytes build_id;  // the firmware waited for (held)
  std::chrono::steady_clock::time_point held_since{};

  void count_decoder() {
    if (!decoder)
      return;
    const decoder::DecoderCounters& c = decoder->counters();
    auto add = [](std::atomic<std::uint64_t>& to, std::uint64_t now, std::uint64_t before) {
      if (now > before)
        to.fetch_add(now - before, std::memory_order_relaxed);
    };
    add(counters->frames_received, c.frames, seen.frames);
    add(counters->frames_decoded, c.records, seen.records);
    add(counters->frames_corrupt, c.corrupt_frames, seen.corrupt_frames);
    add(counters->bytes_skipped, c.bytes_skipped, seen.bytes_skipped);
    add(counters->frames_lost, c.lost_frames + c.dropped_records,
        seen.lost_frames + seen.dropped_records);
    add(counters->frames_unknown, c.unknown_callsites + c.records_skipped,
        seen.unknown_callsites + seen.records_skipped);
    add(counters->frames_duplicate, c.duplicate_frames, seen.duplicate_frames);
    seen = c;
    if (bridge) {
      const bridge::BridgeCounters& b = bridge->counters();
      add(counters->spans, b.spans, spans_seen);
      add(counters->log_records, b.log_records, logs_seen);
      spans_seen = b.spans;
      logs_seen = b.log_records;
    }
  }

  decoder::DecoderOptions decoder_options() {
    decoder::DecoderOptions o;
    o.render = true;
    o.accept_frame = origin.accept_frame;
    return o;
  }

  // Builds the decoder and bridge for `entry` (may be null: no table).
  void start_decoding(const std::shared_ptr<const decoder::SymbolEntry>& entry) {
    std::shared_ptr<DevicePipeline::Shared> sh = shared;
    decoder::DecoderTables tables;
    if (entry) {
      tables.edgetrace = entry->edgetrace;
      tables.defmt = entry->defmt;
    }
    tables.resolver =
        [sh](std::span<const std::uint8_t> id) -> std::shared_ptr<const decoder::EdgetraceTable> {
      std::shared_ptr<const decoder::SymbolEntry> e = sh->symbols.find(id);
      return e ? e->edgetrace : nullptr;
    };
    const decoder::StreamFormat format = origin.format;
    core::Result<std::unique_ptr<decoder::Decoder>> made =
        decoder::make_decoder(format, std::move(tables), decoder_options());
    if (!made) {
      shared->log("device stream " + origin.peer + ": " + made.status().message());
      decoder.reset();
    } else {
      decoder = std::move(made).value();
    }
    bridge::BridgeOptions b;
    b.resource = sh->options.resource;
    b.device_id = origin.device_id;
    b.time = origin.time;
    b.anchor_unix_nanos = origin.anchor_unix_nanos;
    b.batch_records = sh->options.batch_records;
    if (!origin.build_id.empty())
      b.firmware = sh->symbols.firmware(origin.build_id);
    b.firmware_lookup = [sh](std::span<const std::uint8_t> id) {
      return std::optional<bridge::FirmwareInfo>(sh->symbols.firmware(id));
    };
    bridge = std::make_unique<bridge::StreamBridge>(std::move(b), [this](bridge::Batch& batch) {
      if (Processors* p = shared->options.processors; p != nullptr) {
        p->process(batch.traces);
        p->process(batch.logs);
      }
      if (core::Status s = shared->queue.append(batch.traces); !s.ok())
        queue_error = s;
      if (core::Status s = shared->queue.append(batch.logs); !s.ok())
        queue_error = s;
    });
    if (entry && entry->defmt && origin.format != decoder::StreamFormat::kEdgetrace)
      bridge->set_defmt_table(entry->defmt);
    mode = Mode::kDecoding;
  }

  void decode(std::span<const std::uint8_t> bytes, std::uint64_t receive) {
    if (!decoder)
      return;  // a defmt stream without a table: reported when it was opened
    decoder->feed(bytes,
                  [&](const decoder::Record& r) { bridge->add(r, decoder->counters(), receive); });
    bridge->note_counters(decoder->counters(), receive);
  }

  // Keeps bytes while probing or held, within the bounds.
  void keep(std::span<const std::uint8_t> bytes, std::uint64_t receive) {
    const DevicePipelineOptions& o = shared->options;
    DevicePipeline::HeldCounters& h = shared->held_counters;
    const std::size_t total = h.bytes_held.load(std::memory_order_relaxed);
    if (kept_bytes + bytes.size() > o.hold_max_bytes || total + bytes.size() > o.hold_total_bytes) {
      h.bytes_dropped.fetch_add(bytes.size(), std::memory_order_relaxed);
      if (!dropped_reported) {
        dropped_reported = true;
        shared->log("device stream " + origin.peer + " (build-id " +
                    decoder::build_id_hex(build_id) +
                    "): held bytes over the limit; later bytes are dropped until its ELF "
                    "arrives (symbols.hold_max_bytes / hold_total_bytes)");
      }
      return;
    }
    kept.emplace_back(receive, std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
    kept_bytes += bytes.size();
    h.bytes_held.fetch_add(bytes.size(), std::memory_order_relaxed);
  }

  void release_kept() {
    shared->held_counters.bytes_held.fetch_sub(kept_bytes, std::memory_order_relaxed);
    kept.clear();
    kept.shrink_to_fit();
    kept_bytes = 0;
  }

  void replay_kept() {
    auto chunks = std::move(kept);
    release_kept();
    for (auto& [receive, bytes] : chunks)
      decode(bytes, receive);
  }

  void hold(core::Bytes id);

  // Probing: feeds the probe decoder until a handshake names the firmware.
  void probe_bytes(std::span<const std::uint8_t> bytes, std::uint64_t receive) {
    keep(bytes, receive);
    std::optional<core::Bytes> announced;
    probe->feed(bytes, [&](const decoder::Record& r) {
      if (!announced && r.kind == decoder::RecordKind::kHandshake)
        announced = r.handshake.build_id;
    });
    if (announced) {
      probe.reset();
      std::shared_ptr<const decoder::SymbolEntry> entry = shared->symbols.find(*announced);
      if (!entry && !announced->empty()) {
        hold(*announced);
        return;
      }
      start_decoding(entry);
      replay_kept();
      return;
    }
    if (kept_bytes >= kProbeBytes) {
      probe.reset();
      start_decoding(nullptr);
      replay_kept();
    }
  }

  void end(std::uint64_t receive) {
    if (decoder) {
      decoder->finish(
          [&](const decoder::Record& r) { bridge->add(r, decoder->counters(), receive); });
      bridge->note_counters(decoder->counters(), receive);
    }
    if (bridge) {
      bridge->end_stream(receive);
      bridge->flush();
    }
    count_decoder();
  }
};

void DeviceStream::State::hold(core::Bytes id) {
  mode = Mode::kHeld;
  build_id = std::move(id);
  held_since = std::chrono::steady_clock::now();
  shared->held_counters.streams_held.fetch_add(1, std::memory_order_relaxed);
  {
    // retry_held() looks here; it takes this lock without holding any stream's.
    std::lock_guard lock(shared->mu);
    shared->held.push_back(shared_from_this());
  }
  shared->log("device stream " + origin.peer + ": build-id " + decoder::build_id_hex(build_id) +
              " is not in the symbol store; holding its bytes until the ELF is uploaded "
              "(edgetrace symbols upload)");
}

DeviceStream::DeviceStream(std::shared_ptr<State> state) : state_(std::move(state)) {}

DeviceStream::~DeviceStream() {
  (void)finish();
}

core::Status DeviceStream::feed(std::span<const std::uint8_t> bytes) {
  State& s = *state_;
  std::lock_guard lock(s.mu);
  if (bytes.empty())
    return {};
  s.counters->bytes.fetch_add(bytes.size(), std::memory_order_relaxed);
  const std::uint64_t receive = s.shared->now();
  s.receive_nanos = receive;
  switch (s.mode) {
    case State::Mode::kProbing:
      s.probe_bytes(bytes, receive);
      break;
    case State::Mode::kHeld:
      s.keep(bytes, receive);
      return {};
    case State::Mode::kDecoding:
      s.decode(bytes, receive);
      break;
  }
  if (s.bridge)
    s.bridge->flush();
  s.count_decoder();
  if (!s.queue_error.ok()) {
    core::Status e = std::exchange(s.queue_error, core::Status{});
    s.counters->queue_refusals.fetch_add(1, std::memory_order_relaxed);
    return e;
  }
  return {};
}

core::Status DeviceStream::finish() {
  State& s = *state_;
  std::lock_guard lock(s.mu);
  if (s.finished)
    return {};
  s.finished = true;
  s.counters->streams_active.fetch_sub(1, std::memory_order_relaxed);
  const std::uint64_t receive = s.shared->now();
  if (s.mode == State::Mode::kHeld)
    return {};  // stays in the registry until its ELF arrives or it expires
  if (s.mode == State::Mode::kProbing) {
    // No handshake came: decode what there is without a table.
    s.probe.reset();
    s.start_decoding(nullptr);
    s.replay_kept();
  }
  s.end(receive);
  if (!s.queue_error.ok()) {
    s.counters->queue_refusals.fetch_add(1, std::memory_order_relaxed);
    return std::exchange(s.queue_error, core::Status{});
  }
  return {};
}

bool DeviceStream::held() const {
  std::lock_guard lock(state_->mu);
  return state_->mode == State::Mode::kHeld;
}

DevicePipeline::DevicePipeline(DevicePipelineOptions options, SymbolSource& symbols,
                               TelemetryQueue& queue)
    : shared_(std::make_shared<Shared>(std::move(options), symbols, queue, held_)) {}

DevicePipeline::~DevicePipeline() {
  std::lock_guard lock(shared_->mu);
  for (auto& st : shared_->held)
    shared_->held_counters.bytes_held.fetch_sub(st->kept_bytes, std::memory_order_relaxed);
  shared_->held.clear();
}

ReceiverCounters& DevicePipeline::receiver(std::string_view name) {
  std::lock_guard lock(shared_->mu);
  auto it = shared_->receivers.find(name);
  if (it == shared_->receivers.end())
    it = shared_->receivers.emplace(std::string(name), std::make_unique<ReceiverCounters>()).first;
  return *it->second;
}

std::shared_ptr<DeviceStream> DevicePipeline::open(StreamOrigin origin) {
  auto state = std::make_shared<DeviceStream::State>();
  state->shared = shared_;
  state->counters = &receiver(origin.receiver);
  state->counters->streams_opened.fetch_add(1, std::memory_order_relaxed);
  state->counters->streams_active.fetch_add(1, std::memory_order_relaxed);
  state->origin = std::move(origin);
  const StreamOrigin& o = state->origin;
  if (!o.build_id.empty()) {
    std::shared_ptr<const decoder::SymbolEntry> entry = shared_->symbols.find(o.build_id);
    if (entry) {
      state->start_decoding(entry);
    } else {
      state->hold(o.build_id);
    }
  } else if (o.format != decoder::StreamFormat::kEdgetrace) {
    // defmt has no handshake: without a build-id there is no table to decode with.
    shared_->log("device stream " + o.peer +
                 ": a defmt stream needs its build-id (a header, user property or "
                 "receivers.serial.build_id); its bytes are counted as unknown");
    state->mode = DeviceStream::State::Mode::kDecoding;
  } else {
    core::Result<std::unique_ptr<decoder::Decoder>> probe = decoder::make_decoder(
        decoder::StreamFormat::kEdgetrace, {}, decoder::DecoderOptions{.render = false});
    if (probe)
      state->probe = std::move(probe).value();
    else
      state->start_decoding(nullptr);
  }
  auto stream = std::shared_ptr<DeviceStream>(new DeviceStream(state));
  return stream;
}

void DevicePipeline::retry_held() {
  std::vector<std::shared_ptr<DeviceStream::State>> held;
  {
    std::lock_guard lock(shared_->mu);
    held.assign(shared_->held.begin(), shared_->held.end());
  }
  const auto now = std::chrono::steady_clock::now();
  std::vector<DeviceStream::State*> done;
  for (const auto& st : held) {
    std::lock_guard lock(st->mu);
    if (st->mode != DeviceStream::State::Mode::kHeld) {
      done.push_back(st.get());
      continue;
    }
    std::shared_ptr<const decoder::SymbolEntry> entry = shared_->symbols.find(st->build_id);
    if (entry) {
      st->start_decoding(entry);
      st->replay_kept();
      if (st->finished)
        st->end(shared_->now());
      else if (st->bridge)
        st->bridge->flush();
      st->count_decoder();
      held_.streams_resolved.fetch_add(1, std::memory_order_relaxed);
      shared_->log("device stream " + st->origin.peer + ": build-id " +
                   decoder::build_id_hex(st->build_id) + " arrived; held bytes decoded");
      done.push_back(st.get());
    } else if (now - st->held_since >= shared_->options.hold_time) {
      held_.streams_expired.fetch_add(1, std::memory_order_relaxed);
      held_.bytes_expired.fetch_add(st->kept_bytes, std::memory_order_relaxed);
      shared_->log("device stream " + st->origin.peer + ": build-id " +
                   decoder::build_id_hex(st->build_id) + " never arrived in the symbol store; " +
                   std::to_string(st->kept_bytes) +
                   " held bytes given up (counted in edgetraced_held_bytes_expired_total)");
      st->release_kept();
      st->mode = DeviceStream::State::Mode::kDecoding;  // later bytes: decoded without a table
      st->start_decoding(nullptr);
      done.push_back(st.get());
    }
  }
  if (done.empty())
    return;
  std::lock_guard lock(shared_->mu);
  shared_->held.remove_if([&](const std::shared_ptr<DeviceStream::State>& st) {
    return std::find(done.begin(), done.end(), st.get()) != done.end();
  });
}

std::size_t DevicePipeline::held_streams() const {
  std::lock_guard lock(shared_->mu);
  return shared_->held.size();
}

void DevicePipeline::write_metrics(MetricsText& out) const {
  std::vector<std::pair<std::string, const ReceiverCounters*>> receivers;
  {
    std::lock_guard lock(shared_->mu);
    for (const auto& [name, c] : shared_->receivers)
      receivers.emplace_back(name, c.get());
  }
  auto each = [&](std::string_view metric, std::string_view type, std::string_view help,
                  auto field) {
    for (const auto& [name, c] : receivers)
      out.sample(metric, type, help, {{"receiver", name}},
                 static_cast<double>((c->*field).load(std::memory_order_relaxed)));
  };
  each("edgetraced_device_bytes_total", "counter", "Bytes received from devices.",
       &ReceiverCounters::bytes);
  each("edgetraced_frames_received_total", "counter",
       "Valid device frames received (framing and CRC correct).",
       &ReceiverCounters::frames_received);
  each("edgetraced_frames_decoded_total", "counter", "Device records decoded.",
       &ReceiverCounters::frames_decoded);
  each("edgetraced_frames_corrupt_total", "counter", "Corrupt device frames discarded.",
       &ReceiverCounters::frames_corrupt);
  each("edgetraced_device_bytes_skipped_total", "counter",
       "Device bytes outside any whole frame (before the first delimiter, a frame cut off by "
       "the end of the stream, oversized frames).",
       &ReceiverCounters::bytes_skipped);
  each("edgetraced_frames_lost_total", "counter",
       "Device frames lost: sequence gaps and the devices' own drop reports.",
       &ReceiverCounters::frames_lost);
  each("edgetraced_frames_unknown_total", "counter",
       "Device records not decodable: unknown call sites or no table for the build-id.",
       &ReceiverCounters::frames_unknown);
  each("edgetraced_frames_duplicate_total", "counter",
       "Device frames recognised as duplicates (redelivered) and skipped.",
       &ReceiverCounters::frames_duplicate);
  each("edgetraced_device_spans_total", "counter", "Spans rebuilt from device streams.",
       &ReceiverCounters::spans);
  each("edgetraced_device_log_records_total", "counter", "Log records rebuilt from device streams.",
       &ReceiverCounters::log_records);
  each("edgetraced_device_streams_opened_total", "counter", "Device streams opened.",
       &ReceiverCounters::streams_opened);
  each("edgetraced_device_streams_active", "gauge", "Device streams open now.",
       &ReceiverCounters::streams_active);
  each("edgetraced_device_queue_refusals_total", "counter",
       "Device data not accepted because the durable queue refused it.",
       &ReceiverCounters::queue_refusals);
  out.gauge("edgetraced_held_streams",
            "Device streams waiting for their firmware's ELF (unknown build-id).", {},
            static_cast<double>(held_streams()));
  out.gauge("edgetraced_held_bytes", "Bytes of the held streams.", {},
            static_cast<double>(held_.bytes_held.load(std::memory_order_relaxed)));
  out.counter("edgetraced_held_streams_total", "Streams that had to wait for their ELF.", {},
              held_.streams_held.load(std::memory_order_relaxed));
  out.counter("edgetraced_held_streams_resolved_total",
              "Held streams decoded after their ELF arrived.", {},
              held_.streams_resolved.load(std::memory_order_relaxed));
  out.counter("edgetraced_held_streams_expired_total",
              "Held streams given up after symbols.hold_time.", {},
              held_.streams_expired.load(std::memory_order_relaxed));
  out.counter("edgetraced_held_bytes_expired_total", "Bytes of the held streams given up.", {},
              held_.bytes_expired.load(std::memory_order_relaxed));
  out.counter("edgetraced_held_bytes_dropped_total",
              "Bytes not held because of symbols.hold_max_bytes or hold_total_bytes.", {},
              held_.bytes_dropped.load(std::memory_order_relaxed));
}

}  // namespace edgetrace::daemon
