// Golden vectors of docs/wire-format.md "Trace and span ids". The expected values were
// computed with Python's hashlib from the derivation's text, independently of this code.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "edgetrace/bridge/ids.hpp"

namespace edgetrace::bridge {
namespace {

TEST(BridgeIdsTest, MatchTheGoldenVectors) {
  const std::vector<std::uint8_t> device = {0xde, 0xad, 0xbe, 0xef};
  EXPECT_EQ(derive_trace_id(device, 7, 1).to_hex(), "3e84369c9bc1925f5687d30a1c368a16");
  EXPECT_EQ(derive_span_id(device, 7, 1).to_hex(), "bd7954788dd20832");
  EXPECT_EQ(derive_trace_id(device, 7, 2).to_hex(), "2e1919fa3a1c4134ece75e1ad25cdb2a");
  EXPECT_EQ(derive_span_id(device, 7, 2).to_hex(), "6552e0d6a2e46c24");
  // The golden session of the wire format: device 01 02, boot counter 3, root span 2.
  const std::vector<std::uint8_t> golden = {0x01, 0x02};
  EXPECT_EQ(derive_trace_id(golden, 3, 2).to_hex(), "a16f7fb79f52fcebfdb15f6a87f9e45f");
  EXPECT_EQ(derive_span_id(golden, 3, 2).to_hex(), "a45f1f7f12df07e7");
  // A device without an id.
  EXPECT_EQ(derive_trace_id({}, 0, 1).to_hex(), "e3a9bf6e2bcf8f4ce6a60a68700d588a");
  EXPECT_EQ(derive_span_id({}, 0, 1).to_hex(), "b7142ba133ef97f8");
}

TEST(BridgeIdsTest, EveryInputChangesTheId) {
  const std::vector<std::uint8_t> a = {1, 2};
  const std::vector<std::uint8_t> b = {1, 3};
  const core::SpanId base = derive_span_id(a, 3, 2);
  EXPECT_NE(derive_span_id(b, 3, 2), base);
  EXPECT_NE(derive_span_id(a, 4, 2), base);
  EXPECT_NE(derive_span_id(a, 3, 3), base);
  // The device id's length is part of the input: {1, 2} + boot is not {1} + other bytes.
  const std::vector<std::uint8_t> one = {1};
  EXPECT_NE(derive_trace_id(one, 0x0200000000000000, 0), derive_trace_id(a, 0, 0));
  EXPECT_TRUE(base.valid());
}

}  // namespace
}  // namespace edgetrace::bridge
