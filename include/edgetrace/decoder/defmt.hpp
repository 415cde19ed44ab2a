// Decoding Rust defmt streams (defmt 0.3, wire format version 4): the interned-string
// table read from a firmware ELF, and a streaming decoder that turns device bytes
// (rzCOBS-framed or raw) into Records whose text equals what `defmt-print` prints for the
// same ELF and bytes (its default line, or any --log-format through LogFormat).
//
//   auto elf = edgetrace::decoder::ElfFile::open("firmware.elf");
//   if (!edgetrace::decoder::has_defmt_table(*elf)) { ... }  // not a defmt firmware
//   auto table = edgetrace::decoder::DefmtTable::from_elf(*elf);
//   if (!table) { std::cerr << table.status().to_string() << "\n"; return 2; }
//   edgetrace::decoder::DefmtDecoder decoder(
//       std::make_shared<const edgetrace::decoder::DefmtTable>(std::move(*table)));
//   decoder.feed(bytes, [](const edgetrace::decoder::Record& r) {
//     std::cout << edgetrace::decoder::format_defmt_line(r) << "\n";  // "INFO  x=42"
//   });
//   decoder.finish(sink);                       // end of a capture
//   decoder.counters().corrupt_frames;          // frames, corrupt, unknown ...
//
// The wire format is the one of knurling-rs/defmt (defmt/src/export, decoder/src): see
// docs/defmt.md for what is covered and where the output differs from defmt-print.
//
// Thread-safety: a DefmtTable is immutable once built; share it between decoders and
// threads (const methods only). A DefmtDecoder is used by one thread at a time.
// Allocation: building a table allocates; the decoder keeps its buffers (bounded by
// max_frame_bytes) and one reused Record, so steady-state decoding allocates only for
// record strings that outgrow their capacity. Nothing here blocks or does I/O except
// DefmtTable::from_elf reading what the ElfFile already holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "edgetrace/core/result.hpp"
#include "edgetrace/decoder/decoder.hpp"
#include "edgetrace/decoder/defmt_format.hpp"
#include "edgetrace/decoder/elf_file.hpp"
#include "edgetrace/decoder/record.hpp"
#include "edgetrace/decoder/rzcobs.hpp"

namespace edgetrace::decoder {

// How the firmware encodes frames on the wire (its `_defmt_encoding_` symbol).
enum class DefmtEncoding : std::uint8_t { kRzcobs, kRaw };

// "rzcobs" or "raw".
std::string_view to_string(DefmtEncoding encoding) noexcept;
// Parses "rzcobs" / "raw".
core::Result<DefmtEncoding> parse_defmt_encoding(std::string_view text);

// The `tag` of a defmt symbol: what an interned string is for.
enum class DefmtTag : std::uint8_t {
  kPrim,           // defmt_prim: formats of primitive types ("{=u8}")
  kDerived,        // defmt_derived: #[derive(Format)]
  kBitflags,       // defmt_bitflags: defmt::bitflags! formats
  kWrite,          // defmt_write: write!() in a Format impl
  kStr,            // defmt_str: an interned string ({=istr})
  kTimestamp,      // defmt_timestamp: the global timestamp format
  kBitflagsValue,  // defmt_bitflags_value: the value of one flag
  kPrintln,        // defmt_println
  kTrace,
  kDebug,
  kInfo,
  kWarn,
  kError,
};

// "defmt_info", "defmt_prim", ...
std::string_view to_string(DefmtTag tag) noexcept;
// The level of a log tag; nullopt for the others.
std::optional<core::Level> defmt_level(DefmtTag tag) noexcept;

// One interned string of the table.
struct DefmtEntry {
  // The string a format argument or a nested format points at: the whole string, or one
  // variant of an enum format ("A|B({=u8})" has two).
  struct Variant {
    std::string text;
    defmt::Format format;
    std::string error;  // parse error; empty when `format` is valid
  };

  DefmtTag tag = DefmtTag::kStr;
  std::string string;  // the format string or interned string
  std::string symbol;  // the raw ELF symbol name (JSON) it came from; may be empty
  Variant whole;       // the whole string, parsed (how a frame's top level reads it)
  // Nested use of a string containing '|' is an enum: the discriminant (1, 2, 4 or 8
  // bytes, by the number of '|') selects one of `variants`. Empty for other strings.
  std::vector<Variant> variants;
  std::uint8_t discriminant_size = 0;
  // From DWARF when the ELF has it; file empty and line 0 otherwise.
  Location location;
};

// The interned-string table of one firmware: index (the wire id) -> string, the timestamp
// format, the encoding and the values of defmt::bitflags! flags.
class DefmtTable {
 public:
  // The defmt wire format versions this decoder reads.
  static constexpr std::string_view kSupportedVersion = "4";

  // Reads the table of a firmware ELF: symbols in the `.defmt` section, whose names are
  // JSON objects ({"package":..,"tag":..,"data":..,"disambiguator":..,"crate_name":..})
  // and whose value is the index, plus the `_defmt_version_ = N` and
  // `_defmt_encoding_ = rzcobs|raw` symbols. Errors (invalid_argument / not_found /
  // failed_precondition): no `.defmt` section; no version symbol; a version other than 4;
  // a symbol name that is not valid JSON (the message names the symbol); two timestamp
  // formats; a bitflags value outside the section or whose `data` is not
  // `NAME::INDEX::FLAG` (what defmt::bitflags! writes). Flags are listed in INDEX order.
  // Locations are read from DWARF when the ELF has it (read_defmt_locations).
  static core::Result<DefmtTable> from_elf(const ElfFile& elf);

  // An empty table for tests, fuzzing and tools: fill it with add_*().
  explicit DefmtTable(DefmtEncoding encoding = DefmtEncoding::kRzcobs) : encoding_(encoding) {}

  // Adds (or replaces) the string at `index`. Strings are parsed here, once; a string that
  // does not parse is kept and makes frames that use it malformed.
  void add(std::uint16_t index, DefmtTag tag, std::string string, std::string symbol = {});
  // Sets the timestamp format (`defmt::timestamp!`).
  void set_timestamp(std::string format);
  // Adds one flag of a defmt::bitflags! type. `key` is "NAME@PACKAGE@DISAMBIGUATOR" with
  // "@CRATE" appended when the symbol has a crate name (as the format's hint spells it).
  // Flags print in the order they are added.
  void add_bitflags_value(const std::string& key, std::string flag, defmt::uint128 value);

  // Sets the source location of the string at `index` (no effect if there is none).
  void set_location(std::uint16_t index, Location location);

  const DefmtEntry* find(std::uint16_t index) const noexcept {
    const std::int32_t i = index < slots_.size() ? slots_[index] : -1;
    return i < 0 ? nullptr : &entries_[static_cast<std::size_t>(i)];
  }
  // The timestamp format; nullptr if the firmware has none.
  const DefmtEntry* timestamp() const noexcept { return timestamp_ ? &*timestamp_ : nullptr; }
  // The flags (name, value) of a bitflags key, in ELF symbol order; nullptr if unknown.
  const std::vector<std::pair<std::string, defmt::uint128>>* bitflags(std::string_view key) const;

  DefmtEncoding encoding() const noexcept { return encoding_; }
  const std::string& version() const noexcept { return version_; }
  // Number of strings (the timestamp not included).
  std::size_t size() const noexcept { return entries_.size(); }
  // Indices of the log and println strings, ascending.
  std::vector<std::uint16_t> log_indices() const;
  // Approximate memory held, for caches with a byte budget.
  std::size_t memory_bytes() const noexcept;

 private:
  DefmtEncoding encoding_;
  std::string version_ = std::string(kSupportedVersion);
  std::vector<DefmtEntry> entries_;
  std::vector<std::int32_t> slots_;  // index -> position in entries_, -1 if none
  std::optional<DefmtEntry> timestamp_;
  std::unordered_map<std::string, std::vector<std::pair<std::string, defmt::uint128>>> bitflags_;
};

// The source locations of the log statements of `table` from the ELF's DWARF (defmt's
// DEFMT_LOG_STATEMENT statics: address = index, declaration = file and line, enclosing
// namespaces = module path). Empty when the ELF has no DWARF; never fails.
// DefmtTable::from_elf already applies them.
std::unordered_map<std::uint16_t, Location> read_defmt_locations(const ElfFile& elf,
                                                                 const DefmtTable& table);

// True when the ELF has a `.defmt` section or a `_defmt_version_` symbol (so that
// DefmtTable::from_elf is the reader to use; it may still fail).
bool has_defmt_table(const ElfFile& elf);

// Decodes a defmt byte stream into Records (kLog for trace..error, kPrintln for println
// and for any frame whose string has no level).
//
// rzCOBS streams resynchronise at the next 0x00 after any damage: a frame whose rzCOBS is
// invalid is counted in corrupt_frames, one that decodes to an unknown index in
// unknown_callsites, one whose arguments do not fit its format in malformed_records.
// Raw streams have no frame boundaries: after a bad frame the decoder drops one byte at a
// time until a frame decodes again (bytes_skipped), counting the bad frame once.
//
// The Decoder of defmt streams (decoder.hpp; make_decoder(StreamFormat::kDefmtRzcobs or
// kDefmtRaw) builds one). Options (DecoderOptions) that apply: render (off: only the typed
// arguments; nested formats are still rendered, as their argument value is their text),
// max_frame_bytes (0: kDefmtMaxFrameBytes) and on_problem.
class DefmtDecoder final : public Decoder {
 public:
  // `table` null: an empty table (every frame is an unknown index). `encoding` overrides
  // the table's (for example a capture re-encoded by a tool).
  explicit DefmtDecoder(std::shared_ptr<const DefmtTable> table, DecoderOptions options = {},
                        std::optional<DefmtEncoding> encoding = std::nullopt);
  ~DefmtDecoder();
  DefmtDecoder(DefmtDecoder&&) noexcept;
  DefmtDecoder& operator=(DefmtDecoder&&) noexcept;

  StreamFormat format() const noexcept override {
    return encoding_ == DefmtEncoding::kRaw ? StreamFormat::kDefmtRaw : StreamFormat::kDefmtRzcobs;
  }
  // Feeds bytes (any chunking); calls `sink` for each record, in stream order.
  void feed(std::span<const std::uint8_t> bytes, const RecordSink& sink) override;
  // The stream ended: a partial frame is counted (raw: malformed_records; both:
  // bytes_skipped) and dropped.
  void finish(const RecordSink& sink) override;
  // Forgets a partial frame (a new connection); the counters stay. The dropped bytes are
  // counted in bytes_skipped.
  void reset() override;

  const DecoderCounters& counters() const noexcept override { return counters_; }
  const DefmtTable& table() const noexcept { return *table_; }
  DefmtEncoding encoding() const noexcept { return encoding_; }

  // Decodes one unencoded frame (u16 index, timestamp, arguments) into `out`; trailing
  // bytes are ignored and `consumed` (if given) says how many bytes the frame used. Does
  // not touch the counters. Errors: out_of_range (the frame ends early), not_found
  // (unknown index), invalid_argument (malformed arguments).
  core::Status decode_frame(std::span<const std::uint8_t> frame, Record& out,
                            std::size_t* consumed = nullptr);

 private:
  struct Scratch;  // the frame decoder's reused buffers (defined in the .cpp)
  enum class Outcome : std::uint8_t { kOk, kEof, kUnknownIndex, kMalformed };
  Outcome decode_into(std::span<const std::uint8_t> frame, Record& out, std::size_t& consumed);
  void on_frame(std::span<const std::uint8_t> frame, const RecordSink& sink);
  void drain_raw(const RecordSink& sink);
  void sync_rzcobs_counters();
  void problem(const std::string& what);

  std::shared_ptr<const DefmtTable> table_;
  DecoderOptions options_;
  DefmtEncoding encoding_;
  RzcobsDeframer deframer_;
  std::vector<std::uint8_t> raw_;  // raw encoding: bytes not yet decoded
  bool raw_resyncing_ = false;
  std::uint64_t raw_skipped_ = 0;       // raw: bytes dropped while resynchronising
  std::uint64_t truncated_frames_ = 0;  // rzCOBS: partial frames dropped by finish()
  std::unique_ptr<Scratch> scratch_;
  Record record_;
  DecoderCounters counters_;
};

// The line defmt-print prints for a record when run without --log-format (no newline):
// LogFormat::defmt_default(), that is "{t} {L} {s}" for a record with a timestamp_text and
// "{L} {s}" for one without: the timestamp, a space, the level left-aligned in 5 columns,
// a space, the message ("0.000042 INFO  x=42", "ERROR boom"); println records print only
// the message. A firmware whose timestamp renders as an empty string is printed without
// one here (defmt-print would print "<time>"): use LogFormat::defmt_default(
// table.timestamp() != nullptr) directly where the table is at hand.
std::string format_defmt_line(const Record& record);
void append_defmt_line(const Record& record, std::string& out);

}  // namespace edgetrace::decoder
