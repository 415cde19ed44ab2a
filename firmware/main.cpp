// Example firmware: everything the device library does, on a Cortex-M3 under QEMU.
//
// Logs go into a ring buffer (safe from interrupts) that the main loop drains to UART0;
// run it with firmware/run-qemu.sh and decode the stream with `edgetrace decode --elf`.
// The sequence is fixed, so the decoded stream is checked line by line by the end-to-end
// test (firmware/expected_stream.txt).
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "edgetrace/device/device.hpp"

extern "C" const uint8_t __build_id_note[];
extern "C" void sensor_report(int celsius, unsigned humidity);  // sensor.c, the C API

namespace {

et_device device;
et_ring ring;
uint8_t ring_memory[256];
volatile int irq_count = 0;

void flush() {
  uint8_t out[128];
  while (size_t n = et_ring_drain(&ring, out, sizeof out)) {
    board_uart_write(out, n);
  }
}

void i2c_transfer(uint8_t address) {
  ETD_SPAN("i2c_transfer");
  ETD_TRACE("i2c addr={:#x}", address);
}

int read_sensor() {
  ETD_SPAN("read_sensor");
  i2c_transfer(0x40);
  i2c_transfer(0x41);
  return 21;
}

void every_level_and_type() {
  ETD_TRACE("trace level");
  ETD_DEBUG("debug level");
  ETD_INFO("info level");
  ETD_WARN("warn level");
  ETD_ERROR("error level");
  ETD_FATAL("fatal level (not a crash)");
  ETD_INFO("i8={} i16={} i32={} i64={}", int8_t{-8}, int16_t{-1600}, int32_t{-320000},
           int64_t{-6400000000});
  ETD_INFO("u8={} u16={} u32={} u64={}", uint8_t{8}, uint16_t{1600}, uint32_t{3200000000u},
           uint64_t{6400000000u});
  ETD_INFO("bool={} char={} float={} double={}", true, 'k', 0.25f, 3.5);
  const char name[] = "edgetrace-device-example-with-a-long-name";
  ETD_INFO("cstr={} view={}", "qemu", ETD_STR(name, 9));
  ETD_INFO("long={}", name);  // longer than ETD_MAX_STRING: cut and flagged
  const uint8_t mac[] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
  ETD_INFO("mac={}", ETD_BYTES(mac, sizeof mac));
  ETD_INFO("hex={:x} HEX={:#X} bin={:b} neg={:x}", 0xbeefu, 0xcafeu, uint8_t{0x5a}, int8_t{-2});
}

void ring_overflow() {
  // 60 records without draining: the 256-byte ring holds about 40 of them, the rest are
  // dropped and reported by one "frames dropped" record once there is room again.
  for (int i = 0; i < 60; ++i) {
    ETD_DEBUG("burst {} {}", i, 100000 + i);
  }
  flush();
  ETD_INFO("after burst, dropped so far {}", et_device_get_counters(&device).dropped);
}

void remote_command() {
  // A command from the cloud carrying its W3C trace context.
  static const char kTraceparent[] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  et_remote_parent parent;
  if (et_remote_parent_parse(&parent, kTraceparent, sizeof kTraceparent - 1) == 0) {
    ETD_ERROR("bad traceparent");
    return;
  }
  ETD_SPAN_REMOTE("handle_command", parent);
  ETD_INFO("command reboot_in={}s", 5);
  read_sensor();
}

}  // namespace

extern "C" void board_irq1_handler(void) {
  ETD_SPAN("irq1");
  ETD_WARN("interrupt {} in handler", ++irq_count);
}

extern "C" void board_fault_handler(uint32_t cfsr) {
  ETD_FATAL("hard fault cfsr={:#x}, resetting", cfsr);
  flush();
}

int main() {
  board_init();
  et_ring_init(&ring, ring_memory, sizeof ring_memory);
  et_ring_set_critical(&ring, board_critical_enter, board_critical_exit);
  // 65740001 by default; run-qemu.sh's device number makes the last byte.
  static uint8_t device_id[] = {0x65, 0x74, 0x00, 0x01};
  device_id[3] = board_device_number();
  et_device_config cfg = ETD_DEVICE_CONFIG_INIT;
  cfg.transport = et_ring_transport(&ring);
  cfg.tick32 = board_millis;
  cfg.tick_hz = 1000;
  cfg.critical_enter = board_critical_enter;
  cfg.critical_exit = board_critical_exit;
  cfg.in_interrupt = board_in_interrupt;
  cfg.build_id_note = __build_id_note;
  cfg.device_id = device_id;
  cfg.device_id_len = sizeof device_id;
  cfg.boot_counter = board_boot_counter();
  et_device_init(&device, &cfg);

  if (board_boot_counter() > 1) {
    ETD_INFO("restarted after a fault, boot {}", board_boot_counter());
    flush();
    return 0;  // ends the QEMU run
  }

  ETD_INFO("boot {}", board_boot_counter());
  every_level_and_type();
  flush();
  {
    ETD_SPAN("sample");
    const int celsius = read_sensor();
    sensor_report(celsius, 40);
    board_trigger_irq1();  // its span is a root flagged "irq", not a child of "sample"
  }
  flush();
  ring_overflow();
  remote_command();
  flush();
  et_device_handshake(&device);  // as after a reconnect
  flush();
  // The fault happens inside a span: it never exits, and the reset cuts it off (a decoder
  // sees its enter, then the next boot's handshake).
  ETD_SPAN("apply_update");
  ETD_INFO("applying update, image {} bytes", 4096u);
  flush();
  __builtin_trap();  // undefined instruction: HardFault, then reset
}
