// Shared fixture of the device library's tests: a device on a manual clock whose frames
// are captured, deframed and decoded with the test reader (testing/stream_decoder.hpp)
// against this test binary's own call-site table.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "edgetrace/device/edgetrace.h"
#include "testing/stream_decoder.hpp"

extern "C" const std::uint8_t __start_edgetrace_meta[];
extern "C" const std::uint8_t __stop_edgetrace_meta[];
extern "C" const char __start_edgetrace_ids[];

namespace edgetrace::device::test {

using testing::Deframer;
using testing::Event;
using testing::RecordDecoder;
using testing::SiteTable;

inline SiteTable own_table() {
  return SiteTable::from_memory(__start_edgetrace_meta, __stop_edgetrace_meta,
                                reinterpret_cast<std::uintptr_t>(__start_edgetrace_ids),
                                sizeof(void*));
}

// The clock every test device reads; tests advance it by hand.
inline std::uint64_t g_ticks = 0;
inline std::uint64_t manual_tick() {
  return g_ticks;
}

// Captures frames handed over by the callback transport.
struct Capture {
  std::vector<std::uint8_t> bytes;
  std::vector<std::size_t> frame_sizes;
  bool accept = true;
  static int send(void* ctx, const std::uint8_t* frame, std::size_t len) {
    auto* self = static_cast<Capture*>(ctx);
    if (!self->accept) {
      return 0;
    }
    self->bytes.insert(self->bytes.end(), frame, frame + len);
    self->frame_sizes.push_back(len);
    return 1;
  }
};

class DeviceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    g_ticks = 1000;
    et_callback_init(&callback_, &Capture::send, &capture_);
    cfg_.transport = et_callback_transport(&callback_);
    cfg_.tick64 = manual_tick;
    cfg_.tick_hz = 1000000;
    cfg_.boot_counter = 7;
    static const std::uint8_t kId[] = {0xde, 0xad, 0xbe, 0xef};
    cfg_.device_id = kId;
    cfg_.device_id_len = sizeof kId;
  }
  void TearDown() override { et_device_select(nullptr); }

  void init() { ASSERT_EQ(et_device_init(&dev_, &cfg_), 1); }

  // Decodes everything captured so far (from the start), one rendered line per event.
  std::vector<Event> events() {
    table_ = own_table();
    Deframer deframer;
    RecordDecoder decoder(&table_);
    std::vector<Event> out;
    for (const auto& f : deframer.feed(capture_.bytes)) {
      std::string error;
      auto e = decoder.decode(f.record, &error);
      EXPECT_TRUE(e.has_value()) << error << " in " << testing::hex(f.record);
      if (e) {
        out.push_back(*e);
      }
    }
    EXPECT_EQ(deframer.corrupt_frames(), 0u);
    EXPECT_EQ(deframer.lost_frames(), 0u);
    return out;
  }
  std::vector<std::string> lines(bool with_time = false) {
    std::vector<std::string> out;
    for (const auto& e : events()) {
      out.push_back(testing::render(e, table_, with_time));
    }
    return out;
  }

  Capture capture_;
  et_callback callback_{};
  et_device_config cfg_ = ETD_DEVICE_CONFIG_INIT;
  et_device dev_{};
  SiteTable table_;
};

}  // namespace edgetrace::device::test
