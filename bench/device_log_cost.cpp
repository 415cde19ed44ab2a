// Host benchmark of one 2-argument log call into the ring buffer, counted with callgrind
// (bench/device_bench.sh): log_once() is called kCalls times and the tool reports the
// instructions executed inside it, callees included.
#include <stddef.h>
#include <stdint.h>

#include <cstdio>

#include "edgetrace/device/device.hpp"

namespace {
et_device device;
et_ring ring;
uint8_t ring_memory[1 << 16];
uint64_t fake_ticks;
constexpr int kCalls = 1000;

uint64_t tick() {
  return fake_ticks += 3;
}
uint32_t critical_enter() {
  return 0;
}
void critical_exit(uint32_t) {}
}  // namespace

extern "C" __attribute__((noinline)) void log_once() {
  ETD_INFO("temp={} hum={}", 21, 40);
}

int main() {
  et_ring_init(&ring, ring_memory, sizeof ring_memory);
  et_device_config cfg = ETD_DEVICE_CONFIG_INIT;
  cfg.transport = et_ring_transport(&ring);
  cfg.tick64 = tick;
  cfg.tick_hz = 1000000;
  cfg.critical_enter = critical_enter;
  cfg.critical_exit = critical_exit;
  et_device_init(&device, &cfg);
  for (int i = 0; i < kCalls; ++i) {
    log_once();
  }
  std::printf("calls=%d records=%u ring_used=%u\n", kCalls, et_device_get_counters(&device).records,
              et_ring_used(&ring));
  return 0;
}
