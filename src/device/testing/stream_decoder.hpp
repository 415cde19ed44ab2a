// A host-side reader of the device wire format, written from docs/wire-format.md, for the
// device library's tests, the firmware end-to-end test and the simulator's self-check.
//
//   auto table = SiteTable::from_elf("firmware.elf", &error);
//   Deframer deframer;
//   for (const Frame& f : deframer.feed(bytes)) {
//     auto event = decoder.decode(f.record, &error);
//     std::cout << render(*event, table) << "\n";
//   }
//
// Not thread-safe; allocates freely. The product decoder lives in src/decoder.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edgetrace::device::testing {

struct Site {
  std::uint32_t tag = 0;  // wire tag: index + 8
  std::uint8_t kind = 0;  // ETD_KIND_LOG / ETD_KIND_SPAN
  std::uint8_t level = 0;
  std::uint8_t nargs = 0;
  std::uint8_t sig[8] = {};
  std::uint32_t line = 0;
  std::string file;
  std::string text;  // format string or span name
};

class SiteTable {
 public:
  // Reads the records between begin and end (the edgetrace_meta section as loaded);
  // ids_base is the start of edgetrace_ids. pointer_size is 4 or 8.
  static SiteTable from_memory(const std::uint8_t* begin, const std::uint8_t* end,
                               std::uint64_t ids_base, int pointer_size);
  // Reads edgetrace_meta / edgetrace_ids / .note.gnu.build-id from an ELF file.
  static std::optional<SiteTable> from_elf(const std::string& path, std::string* error);

  const Site* find(std::uint32_t tag) const;
  // Problems in the table itself: a log site whose {} placeholders differ from its
  // arguments (C call sites are not checked at compile time), or a malformed placeholder.
  std::vector<std::string> check() const;
  std::size_t size() const { return sites_.size(); }
  const std::vector<std::uint8_t>& build_id() const { return build_id_; }

 private:
  std::map<std::uint32_t, Site> sites_;
  std::vector<std::uint8_t> build_id_;
};

struct Frame {
  std::vector<std::uint8_t> record;
  std::uint8_t seq = 0;
};

// Splits a byte stream at 0x00, undoes COBS/R, checks the CRC and the sequence.
class Deframer {
 public:
  std::vector<Frame> feed(const std::vector<std::uint8_t>& bytes);

  std::uint64_t corrupt_frames() const { return corrupt_; }
  std::uint64_t lost_frames() const { return lost_; }

 private:
  std::vector<std::uint8_t> pending_;
  std::optional<std::uint8_t> next_seq_;
  std::uint64_t corrupt_ = 0;
  std::uint64_t lost_ = 0;
};

// COBS/R decode of one frame body (without the delimiter); nullopt if malformed.
std::optional<std::vector<std::uint8_t>> cobsr_decode(const std::vector<std::uint8_t>& in);

struct Arg {
  std::uint8_t sig = 0;
  std::uint64_t u = 0;  // integers (zigzag undone into i), bool, char
  std::int64_t i = 0;
  double f = 0;
  std::string bytes;  // strings and byte buffers
  bool truncated = false;
};

struct Event {
  enum class Kind { kHandshake, kLog, kSpanEnter, kSpanExit, kDropped } kind = Kind::kLog;
  std::uint64_t time = 0;  // absolute ticks (valid once a handshake was seen)
  std::uint32_t tag = 0;   // call site (log, span enter, span exit)
  std::vector<Arg> args;
  // handshake
  std::uint8_t version = 0;
  std::uint32_t tick_hz = 0;
  std::uint32_t boot_counter = 0;
  std::uint32_t dropped_total = 0;
  std::vector<std::uint8_t> device_id;
  std::vector<std::uint8_t> build_id;
  // spans
  std::uint32_t span_id = 0;
  std::uint32_t parent_id = 0;
  std::uint32_t root_id = 0;
  std::uint64_t duration = 0;
  std::uint8_t flags = 0;
  std::vector<std::uint8_t> trace_id;
  std::vector<std::uint8_t> remote_parent;
  // dropped
  std::uint32_t dropped = 0;
};

class RecordDecoder {
 public:
  explicit RecordDecoder(const SiteTable* table) : table_(table) {}
  std::optional<Event> decode(const std::vector<std::uint8_t>& record, std::string* error);

 private:
  const SiteTable* table_;
  std::uint64_t now_ = 0;
};

std::string hex(const std::vector<std::uint8_t>& bytes);
std::vector<std::uint8_t> from_hex(const std::string& text);

// One line per event; with_time false leaves the timestamp out (for golden comparisons).
std::string render(const Event& e, const SiteTable& table, bool with_time);

}  // namespace edgetrace::device::testing
