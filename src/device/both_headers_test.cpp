// The device library and the C++ SDK in one translation unit: the device macros are ETD_*,
// the SDK's ET_*, so a host program (a Linux gateway, a simulator logging through the SDK)
// can use both, in the same function. Each side's minimum level is its own.
#define ETD_MIN_LEVEL ETD_LEVEL_DEBUG  // device: TRACE compiled out
#define ET_MIN_LEVEL 2                 // SDK: TRACE and DEBUG compiled out

#include "edgetrace/device/device.hpp"
#include "edgetrace/edgetrace.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "testing/device_fixture.hpp"

namespace edgetrace::device::test {
namespace {

using edgetrace::field;
using ::testing::ElementsAre;
using ::testing::StartsWith;

// An SDK layer that records what reaches it.
class RecordingLayer : public sdk::Layer {
 public:
  void on_event(const sdk::Event& e) override {
    std::lock_guard lock(mutex_);
    std::string line =
        std::string(core::severity_text(e.metadata.level)) + " " + std::string(e.message);
    for (const sdk::Field& f : e.fields) {
      line += " " + std::string(f.name) + "=" + f.value.to_display_string();
    }
    lines_.push_back(line);
  }
  void on_close(const sdk::SpanRecord& span) override {
    std::lock_guard lock(mutex_);
    lines_.push_back("span " + std::string(span.name()));
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

class BothHeadersTest : public edgetrace::testing::DeviceFixture {
 protected:
  void SetUp() override {
    DeviceFixture::SetUp();
    auto layer = std::make_unique<RecordingLayer>();
    layer_ = layer.get();
    auto tracing = std::make_shared<sdk::Tracing>(sdk::Tracing::Options{});
    tracing->add_layer(std::move(layer), sdk::Filter::parse("trace").value());
    sdk::set_global_subscriber(tracing);
  }
  void TearDown() override {
    sdk::set_global_subscriber(nullptr);
    DeviceFixture::TearDown();
  }
  RecordingLayer* layer_ = nullptr;
};

int g_evaluated = 0;
int evaluated() {
  return ++g_evaluated;
}

TEST_F(BothHeadersTest, DeviceAndSdkMacrosWorkInTheSameFunction) {
  init();
  capture_.frame_sizes.clear();
  {
    ETD_SPAN("device-span");
    auto sdk_span = ET_SPAN("sdk-span");
    ETD_INFO("temp={} hum={}", 21, 40);
    ET_INFO("ready", field<"port">(8080));
    ETD_DEBUG("device debug {}", 7);
    ET_DEBUG("sdk debug", field<"n">(evaluated()));
    ETD_TRACE("device trace {}", evaluated());
  }
  // Device: the log is one 8-byte frame (tag, time delta, two zigzag varints + CRC,
  // sequence, delimiter) between the span's enter and exit frames, read back by the decoder.
  ASSERT_EQ(capture_.frame_sizes.size(), 4u);
  EXPECT_EQ(capture_.frame_sizes[1], 8u);
  EXPECT_THAT(lines(), ElementsAre(StartsWith("handshake"), "span enter device-span id=1 parent=0",
                                   "[INFO] temp=21 hum=40", "[DEBUG] device debug 7",
                                   "span exit device-span id=1 parent=0 root=1"));
  // SDK: the event reached the layer with its field, and the span closed.
  EXPECT_THAT(layer_->lines(), ElementsAre("INFO ready port=8080", "span sdk-span"));
  // Below each side's own minimum level nothing was evaluated.
  EXPECT_EQ(g_evaluated, 0);
}

}  // namespace
}  // namespace edgetrace::device::test
