// Fuzzes the edgetrace stream decoder with arbitrary bytes against a fixed call-site table
// (every argument class, spans, hints). Checks what the decoder promises: no crash, every
// byte accounted for, no more records than valid frames, and the same records and counters
// whatever the chunking (the first input byte picks the chunk size).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "edgetrace/decoder/edgetrace_decoder.hpp"
#include "edgetrace/decoder/render.hpp"
#include "testing/edgetrace_wire_writer.hpp"

namespace {

using namespace edgetrace::decoder;

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

std::shared_ptr<const EdgetraceTable> make_table() {
  std::vector<edgetrace::testing::SiteSpec> sites = {
      {.tag = 8, .level = 2, .sig = {0x41, 0x41}, .text = "temp={} hum={}"},
      {.tag = 9, .span = true, .level = 2, .text = "measure"},
      {.tag = 10, .level = 1, .sig = {0x09, 0x42}, .text = "{} {:x}"},
      {.tag = 11, .level = 3, .sig = {0x13, 0x23, 0x84, 0x82}, .text = "{:#x} {:b} {} {:X}"},
      {.tag = 12, .level = 2, .sig = {0x47, 0x88, 0x15, 0x16}, .text = "{} {} {} {}"},
      {.tag = 13, .span = true, .level = 2, .text = "command"},
      {.tag = 14, .level = 4, .sig = {0x0b, 0x0a}, .text = "{} {} {}"},  // count mismatch
      {.tag = 200, .level = 5, .sig = {0x41}, .text = "far {{}} {}"},
  };
  auto t = EdgetraceTable::from_sections(edgetrace::testing::make_meta(sites, 0x1000, 8), 0x1000,
                                         4096, 8, true, {0xaa, 0xbb, 0xcc, 0xdd});
  check(t.ok());
  return std::make_shared<const EdgetraceTable>(std::move(t).value());
}

struct Run {
  std::vector<std::string> json;
  DecoderCounters counters;
};

Run run(const std::shared_ptr<const EdgetraceTable>& table, const std::uint8_t* data,
        std::size_t size, std::size_t chunk) {
  Run out;
  StreamDecoder d(table, {.render = true, .max_frame_bytes = 160});
  auto sink = [&out](const Record& r) {
    out.json.push_back(render_json(r));
    check(!render_text(r).empty());
  };
  for (std::size_t i = 0; i < size; i += chunk) {
    d.feed({data + i, std::min(chunk, size - i)}, sink);
  }
  out.counters = d.counters();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto table = make_table();
  if (size == 0) {
    return 0;
  }
  const std::size_t chunk = 1 + data[0] % 17;
  ++data;
  --size;
  const Run whole = run(table, data, size, size == 0 ? 1 : size);
  const Run pieces = run(table, data, size, chunk);
  check(whole.json == pieces.json);
  check(whole.counters == pieces.counters);
  const DecoderCounters& c = whole.counters;
  check(c.bytes == size);
  check(c.records <= c.frames);
  check(c.records == whole.json.size());
  check(c.bytes_skipped <= size);
  return 0;
}
