// Golden byte vectors (tests/vectors/device_*.txt), shared with the decoder's tests. The
// device library must produce these bytes exactly, and the test reader must decode them
// to the listed events.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace edgetrace::device::test {
namespace {

using testing::from_hex;
using testing::hex;

struct Vectors {
  struct FrameVector {
    std::string name;
    std::vector<std::uint8_t> record, bytes;
    int seq = 0;
  };
  std::vector<FrameVector> frames;
  std::vector<std::string> site_lines;
  std::vector<std::uint8_t> stream;
  std::vector<std::string> expect;
};

Vectors load(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  Vectors v;
  std::string line;
  while (std::getline(in, line)) {
    const auto start = line.find_first_not_of(' ');
    if (start == std::string::npos || line[start] == '#') {
      continue;
    }
    std::istringstream words(line.substr(start));
    std::string key;
    words >> key;
    std::string rest;
    std::getline(words, rest);
    if (!rest.empty() && rest[0] == ' ') {
      rest.erase(0, 1);
    }
    if (key == "frame") {
      v.frames.push_back({rest, {}, {}, 0});
    } else if (key == "record") {
      v.frames.back().record = from_hex(rest);
    } else if (key == "seq") {
      v.frames.back().seq = std::stoi(rest);
    } else if (key == "bytes") {
      v.frames.back().bytes = from_hex(rest);
    } else if (key == "site") {
      v.site_lines.push_back(rest);
    } else if (key == "stream") {
      auto more = from_hex(rest);
      v.stream.insert(v.stream.end(), more.begin(), more.end());
    } else if (key == "expect") {
      v.expect.push_back(rest);
    }
  }
  return v;
}

TEST(VectorsTest, FramesMatchGoldenBytes) {
  const auto v = load(ET_VECTORS_DIR "/device_frames.txt");
  ASSERT_GE(v.frames.size(), 5u);
  for (const auto& f : v.frames) {
    std::uint8_t seq = static_cast<std::uint8_t>(f.seq);
    std::vector<std::uint8_t> out(ETD_MAX_RECORD + 4);
    out.resize(et_frame_record(f.record.data(), f.record.size(), &seq, out.data()));
    EXPECT_EQ(hex(out), hex(f.bytes)) << f.name;
    testing::Deframer d;
    auto frames = d.feed(f.bytes);
    ASSERT_EQ(frames.size(), 1u) << f.name;
    EXPECT_EQ(frames[0].record, f.record) << f.name;
    EXPECT_EQ(frames[0].seq, f.seq) << f.name;
  }
}

// A transport that refuses records while `refuse` is set, in front of the callback.
struct Gate {
  et_transport inner;
  bool refuse = false;
  static std::uint8_t* acquire(void* ctx, std::size_t len) {
    auto* g = static_cast<Gate*>(ctx);
    return g->refuse ? nullptr : g->inner.acquire(g->inner.ctx, len);
  }
  static void release(void* ctx) {
    auto* g = static_cast<Gate*>(ctx);
    g->inner.release(g->inner.ctx);
  }
};

class SessionVectorTest : public DeviceFixture {};

// The scripted session behind tests/vectors/device_session.txt. Call sites are given by
// their index (anchor = start of edgetrace_ids + index), so the bytes do not depend on
// this binary's own call sites.
TEST_F(SessionVectorTest, DeviceProducesTheGoldenSession) {
  alignas(4) static const std::uint8_t kNote[] = {4, 0, 0,   0,   4,   0, 0,    0,    3,    0,
                                                  0, 0, 'G', 'N', 'U', 0, 0xaa, 0xbb, 0xcc, 0xdd};
  static const std::uint8_t kDevice[] = {0x01, 0x02};
  Gate gate{et_callback_transport(&callback_)};
  cfg_.transport = {&Gate::acquire, &Gate::release, &gate};
  cfg_.build_id_note = kNote;
  cfg_.device_id = kDevice;
  cfg_.device_id_len = sizeof kDevice;
  cfg_.boot_counter = 3;
  cfg_.tick_hz = 1000;
  g_ticks = 0x1000;
  init();
  const char* sites = __start_edgetrace_ids;
  auto types2 = [](int a, int b) { return static_cast<std::uint32_t>(a | b << 4); };
  g_ticks += 5;
  et_device_log(sites + 0, types2(ETD_ARG_I32, ETD_ARG_I32), 21, 40);  // temp={} hum={}
  g_ticks += 2;
  et_span span;
  et_span_begin(&span, sites + 1, nullptr);  // span "measure"
  g_ticks += 1;
  et_device_log(sites + 2, types2(ETD_ARG_CSTR, ETD_ARG_U32), "hi", 300u);  // {} {:x}
  g_ticks += 10;
  et_span_end(&span);
  gate.refuse = true;
  et_device_log(sites + 3, 0);  // lost
  et_device_log(sites + 3, 0);  // lost
  gate.refuse = false;
  g_ticks += 200;
  et_device_log(sites + 4, static_cast<std::uint32_t>(ETD_ARG_F32), 2.5);  // v={}
  et_remote_parent remote;
  const char kTp[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ASSERT_EQ(et_remote_parent_parse(&remote, kTp, sizeof kTp - 1), 1);
  et_span_begin(&span, sites + 5, &remote);  // span "command"
  g_ticks += 3;
  et_span_end(&span);

  const auto v = load(ET_VECTORS_DIR "/device_session.txt");
  EXPECT_EQ(hex(capture_.bytes), hex(v.stream));
}

TEST(SessionVectorDecodeTest, GoldenSessionDecodesToTheListedEvents) {
  const auto v = load(ET_VECTORS_DIR "/device_session.txt");
  // Build a table from the vector's "site" lines: <tag> <log|span> <level> <sig> <text>.
  std::vector<std::uint8_t> meta;
  const char* ids_base = reinterpret_cast<const char*>(0x1000);
  std::vector<std::vector<std::uint8_t>> records;
  for (const auto& line : v.site_lines) {
    std::istringstream words(line);
    unsigned tag, level;
    std::string kind, sig;
    words >> tag >> kind >> level >> sig;
    std::string text;
    std::getline(words, text);
    text.erase(0, 1);
    std::vector<std::uint8_t> rec(sizeof(et_site_header));
    et_site_header h{};
    h.magic = ETD_SITE_MAGIC;
    h.id = ids_base + (tag - 8);
    h.kind = kind == "span" ? ETD_KIND_SPAN : ETD_KIND_LOG;
    h.level = static_cast<std::uint8_t>(level);
    const auto sig_bytes = sig == "-" ? std::vector<std::uint8_t>{} : from_hex(sig);
    h.nargs = static_cast<std::uint8_t>(sig_bytes.size());
    for (std::size_t i = 0; i < sig_bytes.size(); ++i) {
      h.sig[i] = sig_bytes[i];
    }
    std::string body = std::string("vector.c") + '\0' + text + '\0';
    h.size = static_cast<std::uint16_t>(sizeof h + body.size());
    std::memcpy(rec.data(), &h, sizeof h);
    rec.insert(rec.end(), body.begin(), body.end());
    while (rec.size() % 4 != 0) {
      rec.push_back(0);
    }
    meta.insert(meta.end(), rec.begin(), rec.end());
  }
  auto table = testing::SiteTable::from_memory(meta.data(), meta.data() + meta.size(), 0x1000,
                                               sizeof(void*));
  testing::Deframer d;
  testing::RecordDecoder decoder(&table);
  std::vector<std::string> got;
  for (const auto& f : d.feed(v.stream)) {
    std::string error;
    auto e = decoder.decode(f.record, &error);
    ASSERT_TRUE(e) << error;
    got.push_back(testing::render(*e, table, true));
  }
  EXPECT_EQ(got, v.expect);
  EXPECT_EQ(d.lost_frames(), 0u);
}

}  // namespace
}  // namespace edgetrace::device::test
