#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/device/device.hpp"
#include "testing/device_fixture.hpp"

namespace edgetrace::device::test {
namespace {

using decoder::Record;
using decoder::RecordKind;
using edgetrace::testing::deframe;
using edgetrace::testing::g_ticks;
using edgetrace::testing::own_device_table;
using ::testing::ElementsAre;

// Defined in min_level_sites.cpp, compiled with ETD_MIN_LEVEL=ETD_LEVEL_WARN.
}  // namespace
}  // namespace edgetrace::device::test
void et_test_log_below_and_at_min_level();
namespace edgetrace::device::test {
namespace {

class DeviceTest : public edgetrace::testing::DeviceFixture {};

TEST_F(DeviceTest, InitSendsHandshakeWithBuildIdDeviceIdBootCounterAndTickRate) {
  // A GNU build-id note as the linker lays it out.
  alignas(4) static const std::uint8_t kNote[] = {4,   0,   0,   0, 8, 0, 0, 0, 3, 0, 0, 0,
                                                  'G', 'N', 'U', 0, 1, 2, 3, 4, 5, 6, 7, 8};
  cfg_.build_id_note = kNote;
  init();
  auto ev = records();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, RecordKind::kHandshake);
  EXPECT_EQ(ev[0].handshake.version, 1);
  EXPECT_TRUE(ev[0].has_ticks);
  EXPECT_EQ(ev[0].device_ticks, 1000u);
  EXPECT_EQ(ev[0].handshake.tick_hz, 1000000u);
  EXPECT_EQ(ev[0].handshake.boot_counter, 7u);
  EXPECT_EQ(ev[0].handshake.device_id, (core::Bytes{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(ev[0].handshake.build_id, (core::Bytes{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_F(DeviceTest, RejectsIncompleteConfiguration) {
  et_device_config bad = cfg_;
  bad.tick64 = nullptr;
  EXPECT_EQ(et_device_init(&dev_, &bad), 0);
  bad = cfg_;
  bad.transport.acquire = nullptr;
  EXPECT_EQ(et_device_init(&dev_, &bad), 0);
  bad = cfg_;
  bad.device_id_len = 17;
  EXPECT_EQ(et_device_init(&dev_, &bad), 0);
  EXPECT_TRUE(capture_.bytes.empty());
}

TEST_F(DeviceTest, TwoArgumentLogIsIdTimestampAndArgumentsOnly) {
  init();
  capture_.bytes.clear();
  capture_.frame_sizes.clear();
  g_ticks += 5;
  ETD_INFO("temp={} hum={}", 21, 40);
  // tag (1) + dt 5 (1) + zigzag(21)=42 (1) + zigzag(40)=80 (1), framed: + crc 2 + seq 1
  // + delimiter 1, COBS/R adds nothing.
  ASSERT_EQ(capture_.frame_sizes.size(), 1u);
  EXPECT_EQ(capture_.frame_sizes[0], 8u);
  auto l = lines();
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0], "[INFO] temp=21 hum=40");
}

TEST_F(DeviceTest, EveryArgumentTypeRoundTrips) {
  init();
  const std::int8_t i8 = -128;
  const std::int16_t i16 = -32768;
  const std::int32_t i32 = std::numeric_limits<std::int32_t>::min();
  const std::int64_t i64 = std::numeric_limits<std::int64_t>::min();
  const std::uint8_t u8 = 255;
  const std::uint16_t u16 = 65535;
  const std::uint32_t u32 = 4294967295u;
  const std::uint64_t u64 = std::numeric_limits<std::uint64_t>::max();
  ETD_DEBUG("{} {} {} {} {} {} {} {}", i8, i16, i32, i64, u8, u16, u32, u64);
  ETD_WARN("b={} {} c={} f={} d={}", true, false, 'x', 1.5f, -2.25);
  const char* cstr = "hello";
  std::string_view view("view-abc", 4);
  const std::uint8_t buf[] = {0x00, 0x7f, 0xff};
  ETD_ERROR("s={} v={} y={}", cstr, view, ETD_BYTES(buf, sizeof buf));
  ETD_TRACE("hex={:x} HEX={:#X} bin={:b} neg={:x} alt={:#b}", 0xabu, 0xbeefu, std::uint8_t{5},
            std::int8_t{-1}, 6);
  ETD_FATAL("no args, {{literal}} braces");
  EXPECT_THAT(lines(), ElementsAre(::testing::StartsWith("handshake"),
                                   "[DEBUG] -128 -32768 -2147483648 -9223372036854775808 255 65535 "
                                   "4294967295 18446744073709551615",
                                   "[WARN] b=true false c=x f=1.5 d=-2.25",
                                   "[ERROR] s=hello v=view y=[00 7f ff]",
                                   "[TRACE] hex=ab HEX=0xBEEF bin=101 neg=ff alt=0b110",
                                   "[FATAL] no args, {literal} braces"));
}

TEST_F(DeviceTest, LongStringsAreTruncatedFlaggedAndCounted) {
  init();
  const std::string long_text(100, 'a');
  ETD_INFO("s={} n={}", long_text.c_str(), 3);
  ETD_INFO("s={}", static_cast<const char*>(nullptr));
  auto ev = records();
  ASSERT_EQ(ev.size(), 3u);
  ASSERT_EQ(ev[1].args.size(), 2u);
  EXPECT_TRUE(ev[1].args[0].truncated);
  EXPECT_EQ(ev[1].args[0].value, core::AttributeValue(std::string(ETD_MAX_STRING, 'a')));
  EXPECT_EQ(ev[1].args[1].value, core::AttributeValue(3));
  ASSERT_EQ(ev[2].args.size(), 1u);
  EXPECT_FALSE(ev[2].args[0].truncated);
  EXPECT_EQ(ev[2].args[0].value, core::AttributeValue(""));
  EXPECT_EQ(et_device_get_counters(&dev_).truncated_args, 1u);
}

TEST_F(DeviceTest, StringsShrinkSoThatRecordNeverExceedsMaximum) {
  init();
  const std::string text(ETD_MAX_STRING, 'z');
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
  ETD_INFO("{} {} {} {} {} {} {} {}", text.c_str(), text.c_str(), text.c_str(), big, big, big, big,
           big);
  for (std::size_t n : capture_.frame_sizes) {
    EXPECT_LE(n, std::size_t{ETD_MAX_RECORD + 4});
  }
  auto ev = records();
  ASSERT_EQ(ev.size(), 2u);
  ASSERT_EQ(ev[1].args.size(), 8u);
  EXPECT_TRUE(ev[1].args[2].truncated);
  EXPECT_EQ(ev[1].args[7].value, core::AttributeValue(big));
}

TEST_F(DeviceTest, TimestampsAreDeltasFromTheLastRecord) {
  init();
  capture_.bytes.clear();
  g_ticks = 1003;
  ETD_INFO("a");
  g_ticks = 1003 + 300;
  ETD_INFO("b");
  // Records: tag, dt varint.
  auto frames = deframe(capture_.bytes);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].record.size(), 2u);
  EXPECT_EQ(frames[0].record[1], 3);
  ASSERT_EQ(frames[1].record.size(), 3u);
  EXPECT_EQ(frames[1].record[1], 0x80 | (300 & 0x7f));
  EXPECT_EQ(frames[1].record[2], 300 >> 7);
}

std::uint32_t g_tick32 = 0;
std::uint32_t tick32() {
  return g_tick32;
}

TEST_F(DeviceTest, ThirtyTwoBitTickSourceIsWidenedAcrossWrap) {
  cfg_.tick64 = nullptr;
  cfg_.tick32 = tick32;
  g_tick32 = 0xfffffff0u;
  init();
  g_tick32 = 0x10;  // wrapped: 0x20 ticks later
  ETD_INFO("after wrap");
  auto ev = records();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].device_ticks, 0xfffffff0u);
  EXPECT_EQ(ev[1].device_ticks, 0x100000010u);
}

TEST_F(DeviceTest, HandshakeIsResentPeriodicallyAndOnRequest) {
  cfg_.handshake_period_ticks = 100;
  init();
  g_ticks += 50;
  ETD_INFO("one");
  g_ticks += 60;  // 110 since the handshake
  ETD_INFO("two");
  ASSERT_EQ(et_device_handshake(&dev_), 1);
  auto l = lines(true);
  EXPECT_THAT(l, ElementsAre(::testing::StartsWith("@1000 handshake"), "@1050 [INFO] one",
                             ::testing::StartsWith("@1110 handshake"), "@1110 [INFO] two",
                             ::testing::StartsWith("@1110 handshake")));
}

// Refuses every record while `refuse` is set, in front of the test's callback transport.
struct Refuser {
  et_transport inner;
  bool refuse = true;
  static std::uint8_t* acquire(void* ctx, std::size_t len) {
    auto* r = static_cast<Refuser*>(ctx);
    return r->refuse ? nullptr : r->inner.acquire(r->inner.ctx, len);
  }
  static void release(void* ctx) {
    auto* r = static_cast<Refuser*>(ctx);
    r->inner.release(r->inner.ctx);
  }
};

TEST_F(DeviceTest, RefusedHandshakeIsSentBeforeTheNextRecord) {
  Refuser refuser{et_callback_transport(&callback_)};
  cfg_.transport = {&Refuser::acquire, &Refuser::release, &refuser};
  init();  // the transport is not ready: the handshake is refused (retried, not counted)
  ETD_INFO("lost too");
  refuser.refuse = false;
  g_ticks += 7;
  ETD_INFO("first delivered");
  EXPECT_THAT(lines(true), ElementsAre(::testing::StartsWith("@1007 handshake"),
                                       "@1007 frames dropped: 1", "@1007 [INFO] first delivered"));
}

TEST_F(DeviceTest, CallSiteIdsAreDenseAndSmall) {
  auto table = own_device_table();
  ASSERT_NE(table, nullptr);
  ASSERT_GT(table->size(), 10u);
  // Every anchor is one byte, so ids are 0..n-1 and a firmware with up to 120 call sites
  // uses 1-byte tags, up to 16376 2-byte tags.
  std::set<std::uint32_t> tags;
  for (std::uint32_t tag = 8; tag < 8 + table->size(); ++tag) {
    EXPECT_NE(table->find(tag), nullptr) << tag;
  }
}

TEST_F(DeviceTest, CompileTimeMinimumLevelRemovesCallSitesEntirely) {
  init();
  et_test_log_below_and_at_min_level();
  EXPECT_THAT(lines(), ElementsAre(::testing::StartsWith("handshake"), "[WARN] kept 2"));
  // The INFO site left no entry in the table (its text never reached the binary).
  auto table = own_device_table();
  ASSERT_NE(table, nullptr);
  for (const decoder::CallSite& site : table->sites()) {
    EXPECT_NE(site.text, "compiled out {}");
  }
}

// ---- spans ---------------------------------------------------------------------------

void leaf() {
  ETD_SPAN("leaf");
  g_ticks += 10;
}

void middle() {
  ETD_SPAN("middle");
  g_ticks += 1;
  leaf();
  g_ticks += 1;
}

TEST_F(DeviceTest, NestedSpansAcrossFunctionsCarryParentRootAndDuration) {
  init();
  {
    ETD_SPAN("outer");
    middle();
  }
  EXPECT_THAT(
      lines(true),
      ElementsAre(::testing::StartsWith("@1000 handshake"), "@1000 span enter outer id=1 parent=0",
                  "@1000 span enter middle id=2 parent=1", "@1001 span enter leaf id=3 parent=2",
                  "@1011 span exit leaf id=3 parent=2 root=1 duration=10",
                  "@1012 span exit middle id=2 parent=1 root=1 duration=12",
                  "@1012 span exit outer id=1 parent=0 root=1 duration=12"));
}

TEST_F(DeviceTest, ExitRecordAloneRebuildsTheSpan) {
  init();
  {
    ETD_SPAN("outer");
    g_ticks += 4;
    leaf();
  }
  // Decode only the exit records, as a bridge instance that missed the enters would.
  const auto table = own_device_table();
  std::vector<std::string> exits;
  for (const auto& f : deframe(capture_.bytes)) {
    if (f.record[0] != ETD_TAG_SPAN_EXIT) {
      continue;
    }
    decoder::StreamDecoder fresh(table);  // no state from earlier records
    std::vector<Record> got;
    fresh.decode_record(f.record, [&got](const Record& r) { got.push_back(r); });
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(fresh.counters().malformed_records, 0u);
    exits.push_back(decoder::render_text(got[0], {.time = decoder::TextOptions::Time::kNone}) +
                    " d=" + std::to_string(got[0].end_ticks - got[0].start_ticks));
  }
  EXPECT_THAT(exits, ElementsAre("span exit leaf id=2 parent=1 root=1 d=10",
                                 "span exit outer id=1 parent=0 root=1 d=14"));
}

TEST_F(DeviceTest, RemoteParentJoinsTheCloudTraceAndChildrenInheritIt) {
  init();
  et_remote_parent remote;
  const char kTp[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ASSERT_EQ(et_remote_parent_parse(&remote, kTp, sizeof kTp - 1), 1);
  {
    ETD_SPAN_REMOTE("command", remote);
    leaf();
  }
  auto l = lines();
  ASSERT_EQ(l.size(), 5u);
  EXPECT_EQ(l[3], "span exit leaf id=2 parent=1 root=1 trace=4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(l[4],
            "span exit command id=1 parent=0 root=1 trace=4bf92f3577b34da6a3ce929d0e0e4736 "
            "remote-parent=00f067aa0ba902b7");
  auto ev = records();
  ASSERT_EQ(ev.size(), 5u);
  EXPECT_EQ(ev[4].span_flags & ETD_SPAN_FLAG_SAMPLED, ETD_SPAN_FLAG_SAMPLED);
  ASSERT_TRUE(ev[4].remote_parent.has_value());
  EXPECT_TRUE(ev[4].remote_parent->sampled());
}

TEST(RemoteParentTest, RejectsMalformedTraceparent) {
  et_remote_parent r;
  const std::string ok = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
  EXPECT_EQ(et_remote_parent_parse(&r, ok.data(), ok.size()), 1);
  EXPECT_EQ(r.sampled, 0);
  for (std::string bad :
       {std::string("01") + ok.substr(2), ok.substr(0, 3) + std::string(32, '0') + ok.substr(35),
        ok.substr(0, 36) + std::string(16, '0') + ok.substr(52),
        ok.substr(0, 10) + "G" + ok.substr(11), ok.substr(0, 54)}) {
    EXPECT_EQ(et_remote_parent_parse(&r, bad.data(), bad.size()), 0) << bad;
  }
}

int g_in_irq = 0;
int in_irq() {
  return g_in_irq;
}

TEST_F(DeviceTest, SpanStartedInInterruptIsARootAndRestoresTheInterruptedSpan) {
  cfg_.in_interrupt = in_irq;
  init();
  {
    ETD_SPAN("task");
    g_in_irq = 1;
    { ETD_SPAN("isr"); }
    g_in_irq = 0;
    leaf();
  }
  EXPECT_THAT(lines(),
              ElementsAre(::testing::StartsWith("handshake"), "span enter task id=1 parent=0",
                          "span enter isr id=2 parent=0", "span exit isr id=2 parent=0 root=2 irq",
                          "span enter leaf id=3 parent=1", "span exit leaf id=3 parent=1 root=1",
                          "span exit task id=1 parent=0 root=1"));
}

// ---- transports and drops ----------------------------------------------------------------

int g_crit_depth = 0;
int g_crit_entries = 0;
std::uint32_t crit_enter() {
  ++g_crit_entries;
  return static_cast<std::uint32_t>(g_crit_depth++);
}
void crit_exit(std::uint32_t state) {
  --g_crit_depth;
  EXPECT_EQ(static_cast<int>(state), g_crit_depth);
}

class RingTest : public edgetrace::testing::DeviceFixture {
 protected:
  void SetUp() override {
    DeviceFixture::SetUp();
    ASSERT_EQ(et_ring_init(&ring_, mem_, sizeof mem_), 1);
    cfg_.transport = et_ring_transport(&ring_);
    cfg_.critical_enter = crit_enter;
    cfg_.critical_exit = crit_exit;
    et_ring_set_critical(&ring_, crit_enter, crit_exit);
    g_crit_depth = 0;
    g_crit_entries = 0;
  }
  void drain_all() {
    std::uint8_t out[64];
    for (;;) {
      const std::size_t n = et_ring_drain(&ring_, out, sizeof out);
      if (n == 0) {
        break;
      }
      capture_.bytes.insert(capture_.bytes.end(), out, out + n);
    }
  }
  et_ring ring_{};
  std::uint8_t mem_[200]{};  // rounded down to 128
};

TEST_F(RingTest, OverflowDropsCountsAndReportsFramesDroppedWhenRoomReturns) {
  init();
  EXPECT_EQ(ring_.capacity, 128u);
  int logged = 0;
  while (et_device_get_counters(&dev_).dropped < 3) {
    ETD_INFO("fill {}", 1000000 + logged);
    ++logged;
    ASSERT_LT(logged, 100);
  }
  EXPECT_EQ(ring_.overflows, 3u);
  drain_all();
  ETD_INFO("after {}", 1);
  drain_all();
  auto l = lines();
  ASSERT_GE(l.size(), 3u);
  EXPECT_EQ(l[l.size() - 2], "frames dropped: 3");
  EXPECT_EQ(l.back(), "[INFO] after 1");
  EXPECT_EQ(l.size(), 1 + static_cast<std::size_t>(logged - 3) + 2);
  EXPECT_EQ(g_crit_depth, 0);
  EXPECT_GT(g_crit_entries, logged);
}

TEST_F(RingTest, DrainNeverSplitsAFrame) {
  init();
  for (int i = 0; i < 5; ++i) {
    ETD_INFO("value {}", i);
  }
  std::uint8_t out[40];  // room for the handshake frame (22 bytes), not for everything
  std::vector<std::size_t> sizes;
  while (std::size_t n = et_ring_drain(&ring_, out, sizeof out)) {
    EXPECT_EQ(out[n - 1], 0);
    capture_.bytes.insert(capture_.bytes.end(), out, out + n);
    sizes.push_back(n);
  }
  EXPECT_GT(sizes.size(), 1u);
  EXPECT_EQ(lines().size(), 6u);
  EXPECT_EQ(et_ring_used(&ring_), 0u);
}

TEST_F(RingTest, RecordsNeverWrapTheySkipToTheStartOfTheMemory) {
  init();  // handshake: 19 bytes in the 128-byte ring
  std::uint8_t out[256];
  // Fill and drain repeatedly so that records meet the end of the memory at every offset;
  // each one must come out whole and in order.
  std::vector<std::string> want;
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 3; ++i) {
      const int v = round * 3 + i;
      ETD_INFO("v={} s={}", v, "0123456789abcdef");
      want.push_back("[INFO] v=" + std::to_string(v) + " s=0123456789abcdef");
    }
    const std::size_t n = et_ring_drain(&ring_, out, sizeof out);
    capture_.bytes.insert(capture_.bytes.end(), out, out + n);
  }
  EXPECT_EQ(et_device_get_counters(&dev_).dropped, 0u);
  EXPECT_EQ(ring_.overflows, 0u);
  auto l = lines();
  ASSERT_EQ(l.size(), want.size() + 1);
  EXPECT_EQ(std::vector<std::string>(l.begin() + 1, l.end()), want);
  EXPECT_EQ(et_ring_used(&ring_), 0u);
  // The ring advanced further than the records it held: ends of memory were skipped.
  std::size_t stored = 0;
  for (const auto& f : deframe(capture_.bytes)) {
    stored += f.record.size() + 1;
  }
  EXPECT_GT(ring_.head, stored);
}

void put_bytes(void* ctx, const std::uint8_t* data, std::size_t len) {
  auto* v = static_cast<std::vector<std::uint8_t>*>(ctx);
  v->insert(v->end(), data, data + len);
}

TEST_F(DeviceTest, UartTransportWritesTheSameFramesAsTheRing) {
  std::vector<std::uint8_t> uart_bytes;
  et_uart uart;
  et_uart_init(&uart, put_bytes, &uart_bytes);
  cfg_.transport = et_uart_transport(&uart);
  init();
  ETD_INFO("x={}", 5);
  // Same records through the ring.
  et_ring ring;
  std::uint8_t mem[256];
  ASSERT_EQ(et_ring_init(&ring, mem, sizeof mem), 1);
  cfg_.transport = et_ring_transport(&ring);
  init();
  ETD_INFO("x={}", 5);
  std::uint8_t out[128];
  const std::size_t n = et_ring_drain(&ring, out, sizeof out);
  // Different call sites (two macro expansions) give different tags; compare the rest.
  ASSERT_EQ(uart_bytes.size(), n);
  capture_.bytes = uart_bytes;
  auto via_uart = lines();
  capture_.bytes.assign(out, out + n);
  auto via_ring = lines();
  EXPECT_EQ(via_uart, via_ring);
}

TEST_F(DeviceTest, RejectedCallbackFramesAreCounted) {
  init();
  capture_.accept = false;
  ETD_INFO("lost");
  EXPECT_EQ(callback_.rejected, 1u);
}

TEST_F(DeviceTest, NoActiveDeviceMeansNoOutput) {
  ETD_INFO("nobody listens {}", 1);
  { ETD_SPAN("nobody"); }
  EXPECT_TRUE(capture_.bytes.empty());
}

}  // namespace
}  // namespace edgetrace::device::test
