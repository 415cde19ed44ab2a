/* Board support for the example firmware on QEMU's lm3s6965evb (Cortex-M3): UART0,
 * SysTick, NVIC, critical sections (PRIMASK), system reset and semihosting exit. */
#ifndef EDGETRACE_FIRMWARE_BOARD_H_
#define EDGETRACE_FIRMWARE_BOARD_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void board_init(void);
/* Blocking write to UART0. */
void board_uart_write(const uint8_t* data, size_t len);
/* Milliseconds since boot, counted by the SysTick interrupt. */
uint32_t board_millis(void);
uint32_t board_critical_enter(void);
void board_critical_exit(uint32_t primask);
/* Nonzero inside an exception handler (IPSR != 0). */
int board_in_interrupt(void);
/* Pends external interrupt 1, whose handler is board_irq1_handler (defined by the app). */
void board_trigger_irq1(void);
void board_irq1_handler(void);
/* Fault handler hook (defined by the app); called from HardFault with the fault status. */
void board_fault_handler(uint32_t cfsr);
void board_system_reset(void) __attribute__((noreturn));
/* Ends the QEMU run through semihosting. */
void board_exit(int status) __attribute__((noreturn));
/* Boot counter kept across resets in RAM that startup does not clear. */
uint32_t board_boot_counter(void);
/* The device number (1-255) QEMU was given as "device=N" in its -append text (semihosting
 * SYS_GET_CMDLINE); 1 when absent. The last byte of the device id, so that several QEMU
 * instances of one firmware are distinct devices. */
uint8_t board_device_number(void);

#ifdef __cplusplus
}
#endif

#endif /* EDGETRACE_FIRMWARE_BOARD_H_ */
