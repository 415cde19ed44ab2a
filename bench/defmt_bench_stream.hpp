// The firmware-like defmt table and frames the defmt benchmarks share (defmt_decoder_bench,
// bridge_bench): a plain message; integers with `:#06x`; a nested struct plus an enum; a
// `str` and a `u32` with `:ms`; an 8-byte `[u8]` with `:x`; each with a `{=u32:us}`
// timestamp.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "edgetrace/decoder/defmt.hpp"

namespace edgetrace::bench {

inline std::shared_ptr<const decoder::DefmtTable> defmt_bench_table(
    decoder::DefmtEncoding encoding = decoder::DefmtEncoding::kRzcobs) {
  using decoder::DefmtTag;
  auto t = std::make_shared<decoder::DefmtTable>(encoding);
  t->add(1, DefmtTag::kPrim, "{=u8}");
  t->add(2, DefmtTag::kDerived, "Reading {{ celsius: {=i16}, raw: {=u16:#x} }}");
  t->add(3, DefmtTag::kDerived, "Idle|Busy({=u8})|Fault");
  t->add(10, DefmtTag::kInfo, "boot complete");
  t->add(11, DefmtTag::kDebug, "adc ch={=u8} value={=u16} ({=u16:#06x})");
  t->add(12, DefmtTag::kInfo, "sensor {=?} state={}");
  t->add(13, DefmtTag::kWarn, "link {=str} down after {=u32:ms}s");
  t->add(14, DefmtTag::kTrace, "rx {=[u8]:x}");
  t->set_timestamp("{=u32:us}");
  return t;
}

inline void defmt_put16(std::vector<std::uint8_t>& f, std::uint16_t v) {
  f.push_back(static_cast<std::uint8_t>(v));
  f.push_back(static_cast<std::uint8_t>(v >> 8));
}

inline void defmt_put32(std::vector<std::uint8_t>& f, std::uint32_t v) {
  defmt_put16(f, static_cast<std::uint16_t>(v));
  defmt_put16(f, static_cast<std::uint16_t>(v >> 16));
}

// `count` unframed frames of the mix, each: index, timestamp, arguments.
inline std::vector<std::vector<std::uint8_t>> defmt_bench_frames(std::uint32_t count = 1000) {
  std::vector<std::vector<std::uint8_t>> out;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::vector<std::uint8_t> f;
    const std::uint16_t index = static_cast<std::uint16_t>(10 + i % 5);
    defmt_put16(f, index);
    defmt_put32(f, 1000 * i);
    switch (index) {
      case 10:
        break;
      case 11:
        f.push_back(static_cast<std::uint8_t>(i % 8));
        defmt_put16(f, static_cast<std::uint16_t>(i * 37));
        defmt_put16(f, static_cast<std::uint16_t>(i * 37));
        break;
      case 12:
        defmt_put16(f, 2);
        defmt_put16(f, static_cast<std::uint16_t>(-40 + static_cast<int>(i % 80)));
        defmt_put16(f, static_cast<std::uint16_t>(i));
        defmt_put16(f, 3);
        f.push_back(static_cast<std::uint8_t>(i % 3));
        if (i % 3 == 1)
          f.push_back(7);
        break;
      case 13:
        defmt_put32(f, 4);
        f.insert(f.end(), {'e', 't', 'h', '0'});
        defmt_put32(f, i * 10);
        break;
      case 14:
        defmt_put32(f, 8);
        for (std::uint32_t k = 0; k < 8; ++k)
          f.push_back(static_cast<std::uint8_t>(i + k));
        break;
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace edgetrace::bench
