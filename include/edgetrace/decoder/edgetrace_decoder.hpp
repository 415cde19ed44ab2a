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

#include "edgetrace/decoder/edgetrace_table.hpp"
#include "edgetrace/decoder/record.hpp"

namespace edgetrace::decoder {

struct DecoderOptions {
  // Fill Record::message for log records (and args' display). Off: structured records
  // only, which is faster.
  bool render = true;
  // Longest frame accepted between two delimiters (encoded bytes). A frame of the
  // library is at most 128; longer runs are corrupt (oversized_frames) and skipped.
  std::size_t max_frame_bytes = 256;
  // Decode call-site records even after a handshake announced a build-id other than the
  // table's (and no resolver found the right one). Off: they are counted in
  // records_skipped, because another firmware's table would misread them.
  bool decode_despite_build_id_mismatch = false;
  // Wall clock (nanoseconds since the Unix epoch) read when a handshake arrives, to
  // anchor device time to it (live streams). Unset: no automatic anchor (captures).
  std::function<std::uint64_t()> wall_clock{};
  // Called with a one-line description of each problem (corrupt frame, unknown call
  // site, build-id mismatch...), for verbose tools. Unset: problems are only counted.
  std::function<void(std::string_view)> on_problem{};
  // Called with each valid frame's record bytes (CRC and sequence byte removed) and its
  // sequence number, before the record is decoded: for raw dumps and forwarding.
  std::function<void(std::span<const std::uint8_t> record, std::uint8_t seq)> on_frame{};
};

// Finds the table of a build-id announced by a handshake (e.g. from the symbol store);
// returns nullptr if it has none.
using TableResolver =
    std::function<std::shared_ptr<const EdgetraceTable>(std::span<const std::uint8_t> build_id)>;

class StreamDecoder {
 public:
  // `table` may be null: then handshakes, drop reports and span exits (without names) are
  // decoded, and call-site records are counted in records_skipped until a table is set or
  // resolved.
  explicit StreamDecoder(std::shared_ptr<const EdgetraceTable> table, DecoderOptions options = {});

  // Decodes `bytes`, calling `sink` for each record, in stream order.
  void feed(std::span<const std::uint8_t> bytes, const RecordSink& sink);

  // Decodes one record (unframed, as between the CRC checks and the record decoder) as if
  // it had arrived in a valid frame; no sequence check. For tests and other framings.
  void decode_record(std::span<const std::uint8_t> record, const RecordSink& sink);

  // Forgets the partial frame and the sequence and time state (a new connection). The
  // counters and the table stay.
  void reset() noexcept;

  void set_table(std::shared_ptr<const EdgetraceTable> table);
  const std::shared_ptr<const EdgetraceTable>& table() const noexcept { return table_; }
  void set_table_resolver(TableResolver resolver);

  // Anchors device time: `device_ticks` happened at `unix_nanos`. tick_hz 0 takes the rate
  // from the handshake. Records after it carry time_unix_nano. A handshake announcing
  // another boot (boot counter) drops the anchor, since ticks restart.
  void set_anchor(std::uint64_t device_ticks, std::uint64_t unix_nanos, std::uint64_t tick_hz = 0);
  void clear_anchor() noexcept;

  const DecoderCounters& counters() const noexcept { return counters_; }
  // The last handshake seen (version 0 if none).
  const Handshake& last_handshake() const noexcept { return handshake_; }
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
