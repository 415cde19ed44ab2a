// StreamDecoder: turns the byte stream of an edgetrace device (docs/wire-format.md) into
// Records, given the firmware's call-site table.
//
//   auto table = std::make_shared<const EdgetraceTable>(
//       EdgetraceTable::from_elf(*ElfFile::open("firmware.elf")).value());
//   StreamDecoder decoder(table);
//   while (read(fd, buf)) {
//     decoder.feed(std::span(buf, n), [](const Record& r) { std::cout << render_text(r); });
//   }
//   decoder.counters();   // frames, corrupt_frames, lost_frames, unknown_callsites...
//
// Bytes may arrive in any chunking and the stream may start anywhere: the bytes before
// the first 0x00 delimiter are one frame's tail unless they happen to form a valid frame
// (a capture from power-on), and otherwise are counted in bytes_skipped. Every frame is
// checked (COBS/R, CRC-16, sequence byte); a bad one is discarded whole and counted, and
// decoding continues at the next delimiter. Memory is bounded by max_frame_bytes.
//
// Handshakes set the absolute device time and the tick rate and announce the firmware's
// build-id. If it differs from the table's, the mismatch is counted and reported in the
// handshake record; the decoder then asks the table resolver (if any) for the right table,
// and without one it does not decode call-site records (records_skipped) rather than
// misread them.
//
// Thread-safety: one decoder per stream, used from one thread at a time; the table may be
// shared between decoders. Allocation: none per frame once warm in records-only mode (the
// Record handed to the sink is reused); rendering appends to a reused string. Blocking:
// none; the sink is called synchronously from feed().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/decoder/decoder.hpp"
#include "edgetrace/decoder/edgetrace_table.hpp"
#include "edgetrace/decoder/record.hpp"

namespace edgetrace::decoder {

// The Decoder of edgetrace streams (decoder.hpp; make_decoder(StreamFormat::kEdgetrace)
// builds one). Options: DecoderOptions, all fields apply.
class StreamDecoder final : public Decoder {
 public:
  // `table` may be null: then handshakes, drop reports and span exits (without names) are
  // decoded, and call-site records are counted in records_skipped until a table is set or
  // resolved.
  explicit StreamDecoder(std::shared_ptr<const EdgetraceTable> table, DecoderOptions options = {});

  StreamFormat format() const noexcept override { return StreamFormat::kEdgetrace; }

  // Decodes `bytes`, calling `sink` for each record, in stream order.
  void feed(std::span<const std::uint8_t> bytes, const RecordSink& sink) override;

  // The stream ended: the bytes of a frame without its delimiter are dropped, uncounted
  // (no record can complete without one, so `sink` is not called). Sequence and time state
  // stay: feeding more continues the same stream.
  void finish(const RecordSink& sink) override;

  // Decodes one record (unframed, as between the CRC checks and the record decoder) as if
  // it had arrived in a valid frame; no sequence check. For tests and other framings.
  void decode_record(std::span<const std::uint8_t> record, const RecordSink& sink);

  // Forgets the partial frame and the sequence and time state (a new connection). The
  // counters and the table stay.
  void reset() noexcept override;

  void set_table(std::shared_ptr<const EdgetraceTable> table);
  const std::shared_ptr<const EdgetraceTable>& table() const noexcept { return table_; }
  void set_table_resolver(TableResolver resolver);

  // Anchors device time: `device_ticks` happened at `unix_nanos`. tick_hz 0 takes the rate
  // from the handshake. Records after it carry time_unix_nano. A handshake announcing
  // another boot (boot counter) drops the anchor, since ticks restart.
  void set_anchor(std::uint64_t device_ticks, std::uint64_t unix_nanos, std::uint64_t tick_hz = 0);
  void clear_anchor() noexcept;

  const DecoderCounters& counters() const noexcept override { return counters_; }
  // The last handshake seen; nullptr if none since construction or reset().
  const Handshake* last_handshake() const noexcept override {
    return has_handshake_ ? &handshake_ : nullptr;
  }
  bool has_handshake() const noexcept { return has_handshake_; }

 private:
  void on_frame(const std::uint8_t* data, std::size_t size, bool first, const RecordSink& sink);
  void on_record(const std::uint8_t* data, std::size_t size, const RecordSink& sink);
  void problem(std::string_view what);
  void stamp(Record& r) const;

  std::shared_ptr<const EdgetraceTable> table_;
  TableResolver resolver_;
  DecoderOptions options_;
  DecoderCounters counters_;

  // Framing.
  std::vector<std::uint8_t> pending_;  // bytes of the frame being received
  std::vector<std::uint8_t> raw_;      // COBS/R-decoded frame
  bool synced_ = false;                // a delimiter has been seen
  bool discarding_ = false;            // inside an oversized frame
  bool has_seq_ = false;
  std::uint8_t next_seq_ = 0;

  // Records.
  Record record_;
  std::uint64_t now_ = 0;
  bool has_time_ = false;
  bool time_uncertain_ = false;
  bool skip_callsites_ = false;  // the announced build-id has no table
  bool unsupported_ = false;     // the last handshake had an unknown wire version
  bool has_handshake_ = false;
  Handshake handshake_;

  // Wall-clock anchor.
  bool anchored_ = false;
  std::uint64_t anchor_ticks_ = 0;
  std::uint64_t anchor_nanos_ = 0;
  std::uint64_t anchor_hz_ = 0;
  std::uint64_t anchor_boot_ = 0;
  bool anchor_boot_known_ = false;
};

}  // namespace edgetrace::decoder
