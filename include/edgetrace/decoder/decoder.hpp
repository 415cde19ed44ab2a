// Decoder: the one interface of the device-stream decoders, and the factory that picks the
// implementation for a stream's format.
//
// edgetrace streams (StreamDecoder, edgetrace_decoder.hpp) and Rust defmt streams
// (DefmtDecoder, defmt.hpp) both turn bytes into Records and count what went wrong in the
// one DecoderCounters struct. A program that holds one decoder per stream (the CLI, the
// daemon) holds a Decoder and never branches on the format:
//
//   auto decoder = edgetrace::decoder::make_decoder(
//       StreamFormat::kEdgetrace, {.edgetrace = table}, {.render = true});
//   if (!decoder) { ... decoder.status() ... }
//   while (read(fd, buf))
//     (*decoder)->feed(chunk, sink);        // any chunking; sink called per record
//   (*decoder)->finish(sink);               // the stream ended
//   (*decoder)->counters().corrupt_frames;
//
// The contract every implementation keeps:
// - feed(): bytes may be split anywhere; the records and the counters do not depend on
//   the chunking. The sink is called synchronously, in stream order, with a Record that
//   is reused (copy what you keep).
// - finish(): the stream ended. A partial frame is dropped and its bytes counted in
//   bytes_skipped (defmt also counts a cut raw frame in malformed_records). The decoder can
//   then be fed a new stream.
// - reset(): a new connection; forgets the partial frame and the stream state (edgetrace:
//   sequence and time). The counters and the tables stay.
// - counters(): cumulative since construction.
//
// Thread-safety: one decoder per stream, used from one thread at a time; tables may be
// shared between decoders and threads. Allocation and blocking: see the implementations
// (no I/O; buffers bounded by max_frame_bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "edgetrace/core/result.hpp"
#include "edgetrace/decoder/record.hpp"

namespace edgetrace::decoder {

class EdgetraceTable;
class DefmtTable;

// The options of every decoder: one struct, one naming. Fields marked "edgetrace" have no
// effect on defmt streams.
struct DecoderOptions {
  // Fill Record::message (and the display of arguments; defmt: timestamp_text too). Off:
  // structured records only, which is faster.
  bool render = true;
  // Longest frame accepted (encoded bytes; defmt raw: bytes); longer ones are corrupt
  // (oversized_frames) and skipped. 0: the format's default, kEdgetraceMaxFrameBytes
  // (the device's largest frame is 128) or kDefmtMaxFrameBytes.
  std::size_t max_frame_bytes = 0;
  // edgetrace: decode call-site records even after a handshake announced a build-id other
  // than the table's (and no resolver found the right one). Off: they are counted in
  // records_skipped, because another firmware's table would misread them.
  bool decode_despite_build_id_mismatch = false;
  // edgetrace: wall clock (nanoseconds since the Unix epoch) read when a handshake arrives,
  // to anchor device time to it (live streams). Unset: no automatic anchor (captures).
  std::function<std::uint64_t()> wall_clock{};
  // Called with a one-line description of each problem (corrupt frame, unknown call site,
  // malformed arguments, build-id mismatch...), for verbose tools. Unset: only counted.
  std::function<void(std::string_view)> on_problem{};
  // edgetrace: called with each valid frame's record bytes (CRC and sequence byte removed)
  // and its sequence number, before the record is decoded: for raw dumps and forwarding.
  std::function<void(std::span<const std::uint8_t> record, std::uint8_t seq)> on_frame{};
  // edgetrace: called with each valid frame's record bytes and sequence number before
  // anything else looks at the frame (before on_frame and the sequence-gap check); false
  // skips the frame as a duplicate of one already decoded: it is counted in frames and
  // duplicate_frames, and neither decoded nor taken into the sequence (so a redelivered
  // frame does not look like a gap). For transports that redeliver (MQTT QoS 1).
  std::function<bool(std::span<const std::uint8_t> record, std::uint8_t seq)> accept_frame{};
};

inline constexpr std::size_t kEdgetraceMaxFrameBytes = 256;
inline constexpr std::size_t kDefmtMaxFrameBytes = 16 * 1024;

// Finds the edgetrace table of a build-id announced by a handshake (e.g. from the symbol
// store); returns nullptr if it has none.
using TableResolver =
    std::function<std::shared_ptr<const EdgetraceTable>(std::span<const std::uint8_t> build_id)>;

// A stream's format and framing.
enum class StreamFormat : std::uint8_t {
  kEdgetrace,    // edgetrace frames: COBS/R, CRC-16, sequence byte (docs/wire-format.md)
  kDefmtRzcobs,  // defmt v4, rzCOBS-framed (defmt's default encoding)
  kDefmtRaw,     // defmt v4, unframed
};
// "edgetrace", "defmt-rzcobs", "defmt-raw".
std::string_view to_string(StreamFormat format) noexcept;
// Parses the names above; "defmt" is refused (its framing comes from the table: use
// defmt_stream_format).
core::Result<StreamFormat> parse_stream_format(std::string_view text);
// The format a defmt firmware writes: its table's encoding.
StreamFormat defmt_stream_format(const DefmtTable& table) noexcept;

class Decoder {
 public:
  virtual ~Decoder() = default;

  virtual StreamFormat format() const noexcept = 0;
  // Decodes `bytes` (any chunking), calling `sink` for each record, in stream order.
  virtual void feed(std::span<const std::uint8_t> bytes, const RecordSink& sink) = 0;
  // The stream ended: drops (and, per format, counts) a partial frame.
  virtual void finish(const RecordSink& sink) = 0;
  // A new connection: forgets the partial frame and the stream state; counters stay.
  virtual void reset() = 0;
  virtual const DecoderCounters& counters() const noexcept = 0;
  // The last handshake seen, for formats that have them (edgetrace); nullptr otherwise.
  virtual const Handshake* last_handshake() const noexcept { return nullptr; }
};

// The tables a decoder may use; which ones are needed depends on the format.
struct DecoderTables {
  // kEdgetrace: the firmware's table. May be null (then only handshakes, drop reports and
  // span exits decode until `resolver` finds a table for an announced build-id).
  std::shared_ptr<const EdgetraceTable> edgetrace{};
  // kEdgetrace: tables of other build-ids announced by handshakes. Optional.
  TableResolver resolver{};
  // kDefmtRzcobs / kDefmtRaw: required. The format's framing overrides the table's
  // encoding (a capture re-encoded by a tool).
  std::shared_ptr<const DefmtTable> defmt{};
};

// A decoder for `format`. Errors: invalid_argument when a defmt format has no defmt table.
core::Result<std::unique_ptr<Decoder>> make_decoder(StreamFormat format, DecoderTables tables,
                                                    DecoderOptions options = {});

}  // namespace edgetrace::decoder
