// End to end on the generated corpus: ELF files assembled with a `.defmt` section as a
// defmt 0.3 firmware has, and the streams such a firmware sends (tests/defmt/). The
// expected text is what defmt-print prints with --log-format "{L:4} {s}"
// (tests/defmt/corpus.expected, written by hand from defmt's rules).

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "edgetrace/decoder/defmt.hpp"
#include "edgetrace/decoder/log_format.hpp"

namespace edgetrace::decoder {
namespace {

using Bytes = std::vector<std::uint8_t>;

std::string corpus(const std::string& name) {
  return std::string(ET_DEFMT_CORPUS_DIR) + "/" + name;
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string expected_text() {
  const Bytes b = read_file(std::string(ET_DEFMT_TESTS_DIR) + "/corpus.expected");
  return std::string(b.begin(), b.end());
}

std::vector<Bytes> frames() {
  std::vector<Bytes> out;
  std::ifstream in(corpus("frames.hex"));
  std::string line;
  while (std::getline(in, line)) {
    Bytes f;
    for (std::size_t i = 0; i + 1 < line.size(); i += 2) {
      f.push_back(static_cast<std::uint8_t>(std::stoi(line.substr(i, 2), nullptr, 16)));
    }
    out.push_back(f);
  }
  return out;
}

std::shared_ptr<const DefmtTable> load(const std::string& name) {
  auto elf = ElfFile::open(corpus(name));
  EXPECT_TRUE(elf.ok()) << elf.status().to_string();
  auto table = DefmtTable::from_elf(*elf);
  EXPECT_TRUE(table.ok()) << table.status().to_string();
  return std::make_shared<const DefmtTable>(std::move(*table));
}

struct Decoded {
  std::string text;
  std::vector<Record> records;
  DecoderCounters counters;
};

Decoded decode(std::shared_ptr<const DefmtTable> table, const Bytes& stream,
               std::size_t chunk = 1 << 20) {
  const LogFormat& line = LogFormat::defmt_default(table->timestamp() != nullptr);
  DefmtDecoder d(std::move(table));
  Decoded out;
  auto sink = [&](const Record& r) {
    out.text += line.render(r) + "\n";
    out.records.push_back(r);
  };
  for (std::size_t i = 0; i < stream.size(); i += chunk) {
    d.feed(std::span(stream).subspan(i, std::min(chunk, stream.size() - i)), sink);
  }
  d.finish(sink);
  out.counters = d.counters();
  return out;
}

TEST(DefmtCorpusTest, ReadsTheTableFromTheElf) {
  auto elf = ElfFile::open(corpus("corpus.elf"));
  ASSERT_TRUE(elf.ok());
  EXPECT_TRUE(has_defmt_table(*elf));
  EXPECT_TRUE(elf->build_id().has_value());
  auto table = load("corpus.elf");
  EXPECT_EQ(table->version(), "4");
  EXPECT_EQ(table->encoding(), DefmtEncoding::kRzcobs);
  ASSERT_NE(table->timestamp(), nullptr);
  EXPECT_EQ(table->timestamp()->string, "{=u32:us}");
  const DefmtEntry* foo = table->find(4);
  ASSERT_NE(foo, nullptr);
  EXPECT_EQ(foo->tag, DefmtTag::kDerived);
  EXPECT_EQ(foo->string, "Foo {{ x: {=u8}, y: {=i16} }}");
  EXPECT_NE(foo->symbol.find("\"disambiguator\""), std::string::npos);
  const DefmtEntry* multi = nullptr;
  for (std::uint16_t i : table->log_indices()) {
    if (table->find(i)->string.starts_with("multi")) {
      multi = table->find(i);
    }
  }
  ASSERT_NE(multi, nullptr);
  EXPECT_EQ(multi->string, "multi\nline {=u8}");  // JSON escapes decoded
  EXPECT_EQ(table->log_indices().size(), frames().size());
  const auto* flags = table->bitflags("Flags@app@77@app");
  ASSERT_NE(flags, nullptr);
  ASSERT_EQ(flags->size(), 3u);
  // Symbols `Flags::2::C`, `Flags::0::A`, `Flags::1::B`, in that order in the ELF: listed
  // by the index in the middle, as defmt-decoder does.
  EXPECT_EQ((*flags)[0].first, "A");
  EXPECT_EQ((*flags)[1].first, "B");
  EXPECT_EQ((*flags)[2].first, "C");
  EXPECT_TRUE((*flags)[2].second == 4);
  EXPECT_EQ(load("corpus_raw.elf")->encoding(), DefmtEncoding::kRaw);
}

TEST(DefmtCorpusTest, RzcobsStreamPrintsWhatDefmtPrintPrints) {
  const Decoded d = decode(load("corpus.elf"), read_file(corpus("corpus.rzcobs")));
  EXPECT_EQ(d.text, expected_text());
  EXPECT_EQ(d.counters.records, frames().size());
  EXPECT_EQ(d.counters.frames, frames().size());
  EXPECT_EQ(d.counters.corrupt_frames, 0u);
  EXPECT_EQ(d.counters.malformed_records, 0u);
  EXPECT_EQ(d.counters.unknown_callsites, 0u);
  EXPECT_EQ(d.counters.bytes_skipped, 0u);
}

TEST(DefmtCorpusTest, RawStreamPrintsTheSame) {
  const Decoded d = decode(load("corpus_raw.elf"), read_file(corpus("corpus.raw")));
  EXPECT_EQ(d.text, expected_text());
  EXPECT_EQ(d.counters.records, frames().size());
  EXPECT_EQ(d.counters.malformed_records, 0u);
}

TEST(DefmtCorpusTest, RelocatableObjectGivesTheSameTable) {
  const Decoded d = decode(load("corpus.o"), read_file(corpus("corpus.rzcobs")));
  EXPECT_EQ(d.text, expected_text());
}

TEST(DefmtCorpusTest, AnyChunkingGivesTheSameOutput) {
  const Bytes rz = read_file(corpus("corpus.rzcobs"));
  const Bytes raw = read_file(corpus("corpus.raw"));
  for (std::size_t chunk : {1u, 2u, 5u, 13u}) {
    EXPECT_EQ(decode(load("corpus.elf"), rz, chunk).text, expected_text()) << chunk;
    EXPECT_EQ(decode(load("corpus_raw.elf"), raw, chunk).text, expected_text()) << chunk;
  }
}

TEST(DefmtCorpusTest, RecordsCarryTimestampLevelAndArguments) {
  const Decoded d = decode(load("corpus.elf"), read_file(corpus("corpus.rzcobs")));
  ASSERT_EQ(d.records.size(), frames().size());
  EXPECT_EQ(d.records[0].timestamp_text, "0.001000");
  EXPECT_EQ(d.records[1].timestamp_text, "0.002000");
  // The firmware's timestamp is `{=u32:us}`: microseconds as device ticks.
  EXPECT_TRUE(d.records[1].has_ticks);
  EXPECT_EQ(d.records[1].device_ticks, 2000u);
  EXPECT_EQ(d.records[1].tick_hz, 1000000u);
  EXPECT_FALSE(d.records[1].time_unix_nano.has_value());
  EXPECT_EQ(d.records[0].format, "Hello, world!");
  EXPECT_EQ(d.records[0].callsite_id, 20u);
  EXPECT_EQ(d.records[1].level, core::Level::kDebug);
  ASSERT_EQ(d.records[1].args.size(), 3u);
  EXPECT_EQ(d.records[1].args[0].type, "u8");
  EXPECT_EQ(d.records[1].args[0].value, core::AttributeValue(std::int64_t{42}));
  EXPECT_EQ(d.records[1].args[2].value, core::AttributeValue(std::int64_t{4294967295}));
  EXPECT_EQ(d.records[9].args[0].value, core::AttributeValue(std::string("World")));
  EXPECT_EQ(d.records[19].args[0].type, "?");
  EXPECT_EQ(d.records[19].args[0].value, core::AttributeValue(std::string("Foo { x: 42, y: -3 }")));
  const Record& println = d.records[31];
  EXPECT_EQ(println.kind, RecordKind::kPrintln);
  EXPECT_FALSE(println.level.has_value());
}

// Corruption on the corpus stream, with exact counters.

Bytes encode(const std::vector<Bytes>& fs, const Bytes& between = {}) {
  Bytes s;
  for (std::size_t i = 0; i < fs.size(); ++i) {
    if (i != 0) {
      s.insert(s.end(), between.begin(), between.end());
    }
    rzcobs_encode(fs[i], s);
    s.push_back(0);
  }
  return s;
}

TEST(DefmtCorpusTest, GarbageBetweenEveryFrame) {
  const auto fs = frames();
  // "de ad": 0xad asks for 52 literal bytes, so each is one corrupt frame.
  const Decoded d = decode(load("corpus.elf"), encode(fs, {0xde, 0xad, 0x00}));
  EXPECT_EQ(d.text, expected_text());
  EXPECT_EQ(d.counters.corrupt_frames, fs.size() - 1);
  EXPECT_EQ(d.counters.bytes_skipped, 2 * (fs.size() - 1));
  EXPECT_EQ(d.counters.records, fs.size());
}

TEST(DefmtCorpusTest, UnknownIndexAndTruncatedFrames) {
  auto fs = frames();
  fs[3][0] = 0xff;  // index 0x00ff: not in the table
  fs[3][1] = 0x00;
  fs[9].resize(fs[9].size() - 3);  // "str {=str}!": 2 of the 5 string bytes left
  const Decoded d = decode(load("corpus.elf"), encode(fs));
  EXPECT_EQ(d.counters.unknown_callsites, 1u);
  EXPECT_EQ(d.counters.malformed_records, 1u);
  EXPECT_EQ(d.counters.records, fs.size() - 2);
  EXPECT_EQ(d.counters.corrupt_frames, 0u);
}

TEST(DefmtCorpusTest, CutFramesAreDroppedAndDecodingResumes) {
  const auto fs = frames();
  Bytes s = encode(fs);
  // Join two bytes into the first frame (encoded 14 e8 03 72: what is left, "03 72", is
  // invalid rzCOBS) and cut the last frame short (no delimiter: dropped at finish).
  Bytes cut(s.begin() + 2, s.end() - 3);
  const Decoded d = decode(load("corpus.elf"), cut);
  EXPECT_EQ(d.counters.corrupt_frames, 2u);
  EXPECT_EQ(d.counters.records, fs.size() - 2);
  EXPECT_EQ(d.counters.malformed_records, 0u);
  EXPECT_EQ(d.text.find("Hello"), std::string::npos);
  EXPECT_NE(d.text.find("DEBUG u8=42 u16=65535 u32=4294967295\n"), std::string::npos);
  EXPECT_EQ(d.text.find("iso big"), std::string::npos);
}

TEST(DefmtCorpusTest, EveryFlippedBitIsSurvived) {
  const Bytes s = read_file(corpus("corpus.rzcobs"));
  auto table = load("corpus.elf");
  for (std::size_t i = 0; i < s.size(); i += 3) {
    Bytes damaged = s;
    damaged[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
    const Decoded d = decode(table, damaged);
    // At most the damaged frame (or the two it is split into) is lost.
    EXPECT_GE(d.counters.records + 2, frames().size()) << "byte " << i;
  }
}

TEST(DefmtCorpusTest, ErrorsNameTheProblem) {
  auto v3 = ElfFile::open(corpus("version3.elf"));
  ASSERT_TRUE(v3.ok());
  auto t3 = DefmtTable::from_elf(*v3);
  ASSERT_FALSE(t3.ok());
  EXPECT_EQ(t3.status().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(t3.status().message().find(
                "defmt version 3 is not supported; this decoder reads defmt wire format version 4"),
            std::string::npos)
      << t3.status().message();

  auto nv = ElfFile::open(corpus("no_version.elf"));
  ASSERT_TRUE(nv.ok());
  auto tnv = DefmtTable::from_elf(*nv);
  ASSERT_FALSE(tnv.ok());
  EXPECT_NE(tnv.status().message().find("no `_defmt_version_` symbol"), std::string::npos);

  auto bad = ElfFile::open(corpus("bad_json.elf"));
  ASSERT_TRUE(bad.ok());
  auto tbad = DefmtTable::from_elf(*bad);
  ASSERT_FALSE(tbad.ok());
  EXPECT_NE(
      tbad.status().message().find(
          "malformed defmt symbol `{\"package\":\"app\",\"tag\":\"defmt_info\",\"data\":\"x=`"),
      std::string::npos)
      << tbad.status().message();

  for (const char* name : {"bitflags_no_index.elf", "bitflags_bad_index.elf"}) {
    auto elf = ElfFile::open(corpus(name));
    ASSERT_TRUE(elf.ok());
    auto t = DefmtTable::from_elf(*elf);
    ASSERT_FALSE(t.ok()) << name;
    EXPECT_EQ(t.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find("malformed bitflags value string 'Flags::"),
              std::string::npos)
        << t.status().message();
  }

  auto none = ElfFile::open(corpus("no_defmt.elf"));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(has_defmt_table(*none));
  auto tnone = DefmtTable::from_elf(*none);
  ASSERT_FALSE(tnone.ok());
  EXPECT_EQ(tnone.status().code(), core::StatusCode::kNotFound);
  EXPECT_NE(tnone.status().message().find("no defmt table"), std::string::npos);
}

}  // namespace
}  // namespace edgetrace::decoder

namespace edgetrace::decoder {
namespace {

void expect_locations(const std::string& elf) {
  // Compiled from locations.cpp (written by gen_defmt_corpus.py), whose
  // DEFMT_LOG_STATEMENT statics sit on lines 4 (in app::net) and 6 (in app).
  auto table = load(elf);
  const DefmtEntry* located = table->find(0);
  ASSERT_NE(located, nullptr);
  EXPECT_EQ(located->string, "located {=u8}");
  EXPECT_TRUE(located->location.file.ends_with("locations.cpp")) << located->location.file;
  EXPECT_EQ(located->location.line, 4u);
  EXPECT_EQ(located->location.module, "app::net");
  const DefmtEntry* top = table->find(1);
  ASSERT_NE(top, nullptr);
  EXPECT_EQ(top->location.line, 6u);
  EXPECT_EQ(top->location.module, "app");

  DefmtDecoder d(table);
  Record r;
  ASSERT_TRUE(d.decode_frame(Bytes{0, 0, 7}, r).ok());
  EXPECT_EQ(format_defmt_line(r), "INFO  located 7");
  EXPECT_EQ(r.location.line, 4u);
  EXPECT_EQ(r.location.module, "app::net");
}

TEST(DefmtCorpusTest, LocationsComeFromDwarf) {
  expect_locations("locations.elf");
  // Without DWARF the location is empty.
  EXPECT_EQ(load("corpus.elf")->find(20)->location, Location{});
}

#ifdef ET_DEFMT_LLVM_DWARF
TEST(DefmtCorpusTest, LocationsComeFromLlvmDwarf5) {
  expect_locations("locations_llvm.elf");
}
#endif

}  // namespace
}  // namespace edgetrace::decoder
