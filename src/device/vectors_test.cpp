// Golden byte vectors (tests/vectors/device_*.txt): the device library must produce these
// bytes exactly. The decoder's tests check that the decoder reads the same vectors to the
// listed records, so the two sides meet only in the written format.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "testing/device_fixture.hpp"
#include "testing/golden_vectors.hpp"

namespace edgetrace::device::test {
namespace {

using edgetrace::testing::g_ticks;
using edgetrace::testing::hex;
using edgetrace::testing::load_golden_vectors;

TEST(VectorsTest, FramesMatchGoldenBytes) {
  const auto v = load_golden_vectors("device_frames.txt");
  ASSERT_TRUE(v.error.empty()) << v.error;
  ASSERT_GE(v.frames.size(), 5u);
  for (const auto& f : v.frames) {
    std::uint8_t seq = static_cast<std::uint8_t>(f.seq);
    std::vector<std::uint8_t> out(ETD_MAX_RECORD + 4);
    out.resize(et_frame_record(f.record.data(), f.record.size(), &seq, out.data()));
    EXPECT_EQ(hex(out), hex(f.bytes)) << f.name;
    EXPECT_EQ(seq, (f.seq + 1) % 128) << f.name;
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

class SessionVectorTest : public edgetrace::testing::DeviceFixture {};

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

  const auto v = load_golden_vectors("device_session.txt");
  ASSERT_TRUE(v.error.empty()) << v.error;
  EXPECT_EQ(hex(capture_.bytes), hex(v.stream));
  // Frame by frame, so that a difference names the record.
  ASSERT_EQ(capture_.frame_sizes.size(), v.stream_frames.size());
  std::size_t at = 0;
  for (std::size_t i = 0; i < v.stream_frames.size(); ++i) {
    const std::vector<std::uint8_t> got(
        capture_.bytes.begin() + static_cast<std::ptrdiff_t>(at),
        capture_.bytes.begin() + static_cast<std::ptrdiff_t>(at + capture_.frame_sizes[i]));
    EXPECT_EQ(hex(got), hex(v.stream_frames[i]))
        << "frame " << i << (i < v.expect.size() ? ": " + v.expect[i] : std::string());
    at += capture_.frame_sizes[i];
  }
}

}  // namespace
}  // namespace edgetrace::device::test
