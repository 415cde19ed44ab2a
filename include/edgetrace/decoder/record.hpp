// The decoded device record, shared by every stream format the decoder reads (edgetrace
// frames, defmt), the counters a stream decoder keeps, and the sink records are handed to.
//
//   edgetrace::decoder::StreamDecoder decoder(table);
//   decoder.feed(bytes, [](const edgetrace::decoder::Record& r) {
//     if (r.kind == RecordKind::kLog) std::cout << render_text(r) << "\n";
//   });
//   const DecoderCounters& c = decoder.counters();  // corrupt, lost, unknown...
//
// A Record is a plain value. A decoder reuses one Record for every record it emits (so
// that decoding does not allocate per frame): a sink that keeps a record beyond its call
// copies it.
//
// Thread-safety: plain values, like std::string. Allocation: strings and vectors own
// their memory.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/attributes.hpp"
#include "edgetrace/core/ids.hpp"
#include "edgetrace/core/severity.hpp"
#include "edgetrace/core/trace_context.hpp"

namespace edgetrace::decoder {

enum class RecordKind : std::uint8_t {
  kLog,        // a log call site with its arguments
  kSpanEnter,  // a span was entered (edgetrace)
  kSpanExit,   // a span ended; carries everything needed to emit the whole span
  kDropped,    // the device could not queue `dropped` records
  kHandshake,  // a device announced itself (build-id, tick rate, boot counter)
  kPrintln,    // a defmt println! (no level)
};

// "log", "span_enter", "span_exit", "dropped", "handshake", "println".
std::string_view to_string(RecordKind kind) noexcept;

// One argument of a log record.
struct Argument {
  // The argument's name, or "arg0", "arg1".. when the format has no names.
  std::string name;
  // The wire type: "i8".."i64", "u8".."u128", "f32", "f64", "bool", "char", "str",
  // "bytes" (and for defmt also "fmt", "[u8]"...).
  std::string type;
  // The value. Integers are int64 (a u64 above INT64_MAX is its decimal string, as
  // core::AttributeValue does), floats double, bool bool, char/str string, bytes Bytes.
  core::AttributeValue value;
  // The device cut a string or byte argument to fit the record.
  bool truncated = false;
  // The display hint of its placeholder, without the colon ("x", "#x", "b"), or empty.
  std::string hint;

  friend bool operator==(const Argument&, const Argument&) = default;
};

// Where a record was written.
struct Location {
  std::string file;
  std::uint32_t line = 0;  // 0 when unknown
  std::string module;      // e.g. a Rust module path; empty for C/C++

  friend bool operator==(const Location&, const Location&) = default;
};

// What a handshake announced (edgetrace format).
struct Handshake {
  std::uint8_t version = 0;
  std::uint64_t tick_hz = 0;  // ticks per second, 0 if unknown
  std::uint64_t boot_counter = 0;
  std::uint64_t dropped_total = 0;  // records the device dropped since boot
  core::Bytes device_id;
  core::Bytes build_id;
  // False when the table the decoder was given has a different build-id (also counted
  // in DecoderCounters::build_id_mismatches). True when either side has no build-id.
  bool build_id_matches = true;

  friend bool operator==(const Handshake&, const Handshake&) = default;
};

struct Record {
  RecordKind kind = RecordKind::kLog;

  // Device time in ticks. has_ticks is false until the stream gave an absolute time:
  // edgetrace, a handshake; defmt, a `defmt::timestamp!` whose format has one integer
  // argument (`{=u64:us}`, `{=u32}`...), whose value is device_ticks on every record. Other
  // defmt timestamps (several arguments, text, negative) are in timestamp_text only.
  std::uint64_t device_ticks = 0;
  bool has_ticks = false;
  // Ticks per second of device_ticks, 0 if unknown. edgetrace: from the handshake. defmt:
  // from the timestamp's display hint: `:us` `:tus` 1,000,000; `:ms` `:tms` `:iso8601ms`
  // 1,000; `:ts` `:iso8601s` 1; no time hint (a plain or hex integer) 0.
  std::uint64_t tick_hz = 0;
  // Frames were lost since the last handshake, so device_ticks may be behind the truth.
  bool time_uncertain = false;
  // Wall-clock time: edgetrace, once the decoder has an anchor (see
  // StreamDecoder::set_anchor); defmt, when the timestamp is already Unix time
  // (`:iso8601ms`, `:iso8601s`; unset when it does not fit 64-bit nanoseconds).
  std::optional<std::uint64_t> time_unix_nano;
  // The timestamp as defmt-print renders it (defmt `{t}`: "0.001000", "00:01:02.500",
  // "2021-04-20T09:23:44.804Z"), empty if the firmware has none.
  std::string timestamp_text;

  // Logs; nullopt for println and records without a level.
  std::optional<core::Level> level;
  // The call site: edgetrace's wire tag (index + 8), or defmt's interned string index.
  std::uint32_t callsite_id = 0;
  // The format string of a log call site (a span's name is in span_name).
  std::string format;
  // The rendered text; empty if the decoder was told not to render.
  std::string message;
  std::vector<Argument> args;
  Location location;

  // Spans. Local ids are the device's (1, 2, 3... per boot); 0 means none.
  std::uint64_t span_id = 0;
  std::uint64_t parent_span_id = 0;
  std::uint64_t root_span_id = 0;  // span exit: the local root of the span's trace
  // Span exit inside a remote (W3C) trace: its trace id.
  std::optional<core::TraceId> trace_id;
  // Span exit whose parent is remote: trace id, parent span id, sampled flag; remote=true.
  std::optional<core::SpanContext> remote_parent;
  bool in_interrupt = false;      // span exit: started in an interrupt handler
  std::uint8_t span_flags = 0;    // span exit: the raw flags byte of the wire format
  std::uint64_t start_ticks = 0;  // span exit: end_ticks - duration; enter: the enter time
  std::uint64_t end_ticks = 0;    // span exit: the exit time
  std::string span_name;

  // kDropped: how many records the device could not queue since its last report.
  std::uint64_t dropped = 0;

  // kHandshake.
  Handshake handshake;

  // Resets every field, keeping the capacity of strings and vectors.
  void clear() noexcept;

  friend bool operator==(const Record&, const Record&) = default;
};

// What a stream decoder has seen. Every way a byte or a record can be lost is counted
// here; the counts only grow (until reset()). One struct per decoder.
struct DecoderCounters {
  std::uint64_t bytes = 0;                // bytes fed
  std::uint64_t frames = 0;               // frames whose framing and CRC were valid
  std::uint64_t records = 0;              // records handed to the sink
  std::uint64_t corrupt_frames = 0;       // bad COBS/R, CRC, or sequence byte: discarded whole
  std::uint64_t oversized_frames = 0;     // longer than the maximum frame: discarded (also corrupt)
  std::uint64_t malformed_records = 0;    // valid frame, undecodable record (reserved tag,
                                          // ends early, trailing bytes, bad handshake)
  std::uint64_t lost_frames = 0;          // sequence gaps (modulo 128)
  std::uint64_t unknown_callsites = 0;    // tag not in the call-site table (record skipped)
  std::uint64_t build_id_mismatches = 0;  // handshakes announcing another build-id
  std::uint64_t unsupported_versions = 0;  // handshakes of a wire version not understood
  std::uint64_t handshakes = 0;            // valid handshakes
  std::uint64_t records_skipped = 0;       // valid frames not decoded: no table for the stream's
                                           // build-id, or a wire version not supported
  std::uint64_t bytes_skipped = 0;         // bytes discarded: before the first delimiter of a
                                           // stream and inside oversized frames
  std::uint64_t dropped_records = 0;       // sum of the device's "frames dropped" reports
  std::uint64_t truncated_args = 0;        // string/byte arguments the device cut to fit
  std::uint64_t duplicate_frames = 0;      // valid frames refused by accept_frame (edgetrace)

  void reset() noexcept { *this = DecoderCounters{}; }
  friend bool operator==(const DecoderCounters&, const DecoderCounters&) = default;
};

// Receives decoded records. The reference is valid only during the call.
using RecordSink = std::function<void(const Record&)>;

}  // namespace edgetrace::decoder
