// Fuzzes the defmt frame decoder with arbitrary bytes against an in-process table that
// uses every argument type and hint: as single frames, as an rzCOBS stream and as a raw
// stream (in chunks whose sizes come from the data), the format-string parser and the
// defmt-print log format parser (whose formats then render the decoded records). It must
// never crash, hang or grow without bound; counters must add up.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string_view>

#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/log_format.hpp"

using namespace edgetrace::decoder;

namespace {

void check(bool condition) {
  if (!condition)
    std::abort();
}

std::shared_ptr<const DefmtTable> make_table(DefmtEncoding encoding) {
  auto t = std::make_shared<DefmtTable>(encoding);
  t->add(1, DefmtTag::kPrim, "{=u8}");
  t->add(2, DefmtTag::kPrim, "{=[?]}");
  t->add(3, DefmtTag::kDerived, "Foo {{ x: {=u8}, y: {=i16:x} }}");
  t->add(4, DefmtTag::kDerived, "None|Some({=?})");
  t->add(5, DefmtTag::kStr, "interned");
  t->add(6, DefmtTag::kBitflags, "{=u8:__internal_bitflags_F@p@1@c}");
  t->add(7, DefmtTag::kDerived, "{=?}");  // nests itself
  t->add(8, DefmtTag::kDerived, "Unit");
  t->add_bitflags_value("F@p@1@c", "A", 1);
  t->add_bitflags_value("F@p@1@c", "Z", 0);
  t->add(9, DefmtTag::kInfo, "{=u8:#04x} {=i8:b} {=u16:05} {=u32:us} {=u64:iso8601ms} {=bool}");
  t->add(10, DefmtTag::kWarn, "{=str:?} {=istr} {=[u8]:a} {=[u8;3]:x} {=char} {=f32} {=f64}");
  t->add(11, DefmtTag::kError, "{} {=[?]:a} {=[?;2]} {=__internal_FormatSequence}");
  t->add(12, DefmtTag::kDebug, "{0=0..5:b} {0=3..20:a} {1=120..128} {=u128:x} {=i128:?}");
  t->add(13, DefmtTag::kPrintln, "{=__internal_Debug} {=__internal_Display} {=usize} {=isize:X}");
  t->add(14, DefmtTag::kTrace, "{=u64:tus} {=u32:ts} {=u16:tms} {=u8:ms}");
  t->add(15, DefmtTag::kInfo, "{=?:a} {=[?]}");
  t->set_timestamp("{=u8:us}");
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto rz_table = make_table(DefmtEncoding::kRzcobs);
  static const auto raw_table = make_table(DefmtEncoding::kRaw);
  const std::span<const std::uint8_t> in(data, size);

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)defmt::parse_format(text);
  const auto log_format = LogFormat::parse(text);
  if (log_format.ok()) {
    check(log_format->text() == text);
  }

  {
    DefmtDecoder d(rz_table);
    Record r;
    std::size_t used = 0;
    if (d.decode_frame(in, r, &used).ok()) {
      check(used <= size);
      std::string line = format_defmt_line(r);
      check(!line.empty() || r.message.empty());
      if (log_format.ok()) {
        r.location = {"src/a/b.rs", 7, "app::a"};
        const std::string rendered = log_format->render(r);
        check(r.level.has_value() || rendered == r.message);  // println: the message alone
      }
    }
  }

  for (const auto& table : {rz_table, raw_table}) {
    DecoderOptions opt;
    opt.max_frame_bytes = 512;
    DefmtDecoder d(table, opt);
    std::uint64_t records = 0;
    std::size_t pos = 0;
    auto sink = [&](const Record& r) {
      ++records;
      check(r.kind == RecordKind::kLog || r.kind == RecordKind::kPrintln);
    };
    while (pos < size) {
      const std::size_t chunk = 1 + data[pos] % 31;
      const std::size_t n = chunk < size - pos ? chunk : size - pos;
      d.feed(in.subspan(pos, n), sink);
      pos += n;
    }
    d.finish(sink);
    check(d.counters().records == records);
    check(d.counters().bytes == size);
    check(d.counters().bytes_skipped <= size);
  }
  return 0;
}
