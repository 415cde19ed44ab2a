// Cortex-M3 benchmark firmware for the device library (run by bench/device_bench.sh).
//
// - Instructions per 2-argument log call into the ring buffer: log_once() runs between
//   bench_mark_start() and bench_mark_end(); QEMU's single-step execution trace counts
//   every instruction in between.
// - Flash per call site: built with ETD_BENCH_EXTRA_SITES=0 and =64; the difference in
//   .text divided by 64 is the cost of one more 2-argument call site.
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "edgetrace/device/device.hpp"

#ifndef ETD_BENCH_EXTRA_SITES
#define ETD_BENCH_EXTRA_SITES 0
#endif

extern "C" const uint8_t __build_id_note[];

namespace {
et_device device;
et_ring ring;
uint8_t ring_memory[2048];
uint32_t fake_ticks;
volatile int run_extra_sites;
volatile int sensor_a = 21;
volatile int sensor_b = 40;

uint32_t tick() {
  return fake_ticks += 3;
}
}  // namespace

extern "C" {
__attribute__((noinline)) void bench_mark_start() {
  __asm volatile("" ::: "memory");
}
__attribute__((noinline)) void bench_mark_end() {
  __asm volatile("" ::: "memory");
}
__attribute__((noinline)) void log_once() {
  ETD_INFO("temp={} hum={}", 21, 40);
}
void board_irq1_handler(void) {}
void board_fault_handler(uint32_t) {}
}

#define ETD_BENCH_SITE() ETD_INFO("temp={} hum={}", sensor_a, sensor_b)
#define ETD_BENCH_SITE8() \
  ETD_BENCH_SITE();       \
  ETD_BENCH_SITE();       \
  ETD_BENCH_SITE();       \
  ETD_BENCH_SITE();       \
  ETD_BENCH_SITE();       \
  ETD_BENCH_SITE();       \
  ETD_BENCH_SITE();       \
  ETD_BENCH_SITE()

__attribute__((noinline)) static void extra_sites() {
#if ETD_BENCH_EXTRA_SITES == 64
  ETD_BENCH_SITE8();
  ETD_BENCH_SITE8();
  ETD_BENCH_SITE8();
  ETD_BENCH_SITE8();
  ETD_BENCH_SITE8();
  ETD_BENCH_SITE8();
  ETD_BENCH_SITE8();
  ETD_BENCH_SITE8();
#elif ETD_BENCH_EXTRA_SITES != 0
#error "ETD_BENCH_EXTRA_SITES is 0 or 64"
#endif
}

int main() {
  et_ring_init(&ring, ring_memory, sizeof ring_memory);
  et_ring_set_critical(&ring, board_critical_enter, board_critical_exit);
  et_device_config cfg = ETD_DEVICE_CONFIG_INIT;
  cfg.transport = et_ring_transport(&ring);
  cfg.tick32 = tick;
  cfg.tick_hz = 1000;
  cfg.critical_enter = board_critical_enter;
  cfg.critical_exit = board_critical_exit;
  cfg.build_id_note = __build_id_note;
  et_device_init(&device, &cfg);
  if (run_extra_sites) {
    extra_sites();
  }
  log_once();  // warm: first call
  for (int i = 0; i < 10; ++i) {
    bench_mark_start();
    log_once();
    bench_mark_end();
  }
  uint8_t out[256];
  const size_t n = et_ring_drain(&ring, out, sizeof out);
  board_uart_write(out, n);
  return 0;
}
