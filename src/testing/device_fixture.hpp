// GoogleTest fixture of the device library's tests: a device on a manual clock whose frames
// are captured from the callback transport and read back with the product decoder
// (edgetrace::decoder::StreamDecoder) against the test binary's own call-site table (its
// edgetrace_meta and edgetrace_ids sections as loaded).
//
//   class LogTest : public edgetrace::testing::DeviceFixture {};
//   TEST_F(LogTest, Logs) {
//     init();                                  // handshake
//     ETD_INFO("x={}", 1);
//     EXPECT_EQ(lines().back(), "[INFO] x=1");  // decoded, rendered without time
//   }
//
// The test binary links edgetrace::device, edgetrace::decoder and GoogleTest. Not
// thread-safe: one manual clock for the whole binary. Allocates freely.
#pragma once

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "edgetrace/decoder/edgetrace_decoder.hpp"
#include "edgetrace/decoder/edgetrace_table.hpp"
#include "edgetrace/decoder/render.hpp"
#include "edgetrace/device/edgetrace.h"

// Bounds of the call-site sections, defined by the linker.
extern "C" const std::uint8_t __start_edgetrace_meta[];
extern "C" const std::uint8_t __stop_edgetrace_meta[];
extern "C" const char __start_edgetrace_ids[];
extern "C" const char __stop_edgetrace_ids[];

namespace edgetrace::testing {

// The call-site table of the running binary, from its sections in memory. The binary has
// no build-id in the table, so every handshake's build-id is accepted.
inline std::shared_ptr<const decoder::EdgetraceTable> own_device_table() {
  const std::span<const std::uint8_t> meta(
      __start_edgetrace_meta,
      static_cast<std::size_t>(__stop_edgetrace_meta - __start_edgetrace_meta));
  auto table = decoder::EdgetraceTable::from_sections(
      meta, reinterpret_cast<std::uintptr_t>(__start_edgetrace_ids),
      static_cast<std::uint64_t>(__stop_edgetrace_ids - __start_edgetrace_ids), sizeof(void*),
      std::endian::native == std::endian::little, {}, "this test binary");
  if (!table) {
    ADD_FAILURE() << table.status().to_string();
    return nullptr;
  }
  return std::make_shared<const decoder::EdgetraceTable>(std::move(table).value());
}

// One valid frame of a stream: its record (CRC and sequence byte removed) and sequence.
struct DeframedRecord {
  std::vector<std::uint8_t> record;
  std::uint8_t seq = 0;
};

// Every valid frame of `bytes`, in order, as the decoder's framing layer sees them; the
// decoder's counters go to `counters` if given.
inline std::vector<DeframedRecord> deframe(std::span<const std::uint8_t> bytes,
                                           decoder::DecoderCounters* counters = nullptr) {
  std::vector<DeframedRecord> out;
  decoder::DecoderOptions options;
  options.render = false;
  options.on_frame = [&out](std::span<const std::uint8_t> record, std::uint8_t seq) {
    out.push_back({std::vector<std::uint8_t>(record.begin(), record.end()), seq});
  };
  decoder::StreamDecoder d(nullptr, options);
  d.feed(bytes, [](const decoder::Record&) {});
  if (counters != nullptr) {
    *counters = d.counters();
  }
  return out;
}

// The clock every test device reads; tests advance it by hand.
inline std::uint64_t g_ticks = 0;
inline std::uint64_t manual_tick() {
  return g_ticks;
}

// Captures the frames handed over by the callback transport.
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

  // Decodes everything captured so far, from the start, with a new decoder. Every frame
  // must be valid and every record decodable.
  std::vector<decoder::Record> records() {
    table_ = own_device_table();
    decoder::StreamDecoder d(table_);
    std::vector<decoder::Record> out;
    d.feed(capture_.bytes, [&out](const decoder::Record& r) { out.push_back(r); });
    const decoder::DecoderCounters& c = d.counters();
    EXPECT_EQ(c.corrupt_frames, 0u);
    EXPECT_EQ(c.lost_frames, 0u);
    EXPECT_EQ(c.malformed_records, 0u);
    EXPECT_EQ(c.unknown_callsites, 0u);
    EXPECT_EQ(c.records_skipped, 0u);
    EXPECT_EQ(c.bytes_skipped, 0u);
    EXPECT_EQ(c.records, out.size());
    return out;
  }

  // One rendered line per record; with_time adds "@<ticks> " and span durations.
  std::vector<std::string> lines(bool with_time = false) {
    decoder::TextOptions options;
    options.time =
        with_time ? decoder::TextOptions::Time::kTicks : decoder::TextOptions::Time::kNone;
    std::vector<std::string> out;
    for (const auto& r : records()) {
      out.push_back(decoder::render_text(r, options));
    }
    return out;
  }

  Capture capture_;
  et_callback callback_{};
  et_device_config cfg_ = ETD_DEVICE_CONFIG_INIT;
  et_device dev_{};
  std::shared_ptr<const decoder::EdgetraceTable> table_;
};

}  // namespace edgetrace::testing
