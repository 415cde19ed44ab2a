/* lm3s6965evb board support: vector table, reset, SysTick, UART0, faults. */
#include "board.h"

#include <string.h>

#define REG(addr) (*(volatile uint32_t*)(addr))

#define UART0_DR REG(0x4000C000u)
#define UART0_FR REG(0x4000C018u)
#define UART0_CTL REG(0x4000C030u)
#define UART_FR_TXFF (1u << 5)

#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define NVIC_ISER0 REG(0xE000E100u)
#define NVIC_STIR REG(0xE000EF00u)
#define SCB_AIRCR REG(0xE000ED0Cu)
#define SCB_CFSR REG(0xE000ED28u)

#define NOINIT_MAGIC 0xB007C0DEu
#ifndef SYSTICK_RELOAD
#define SYSTICK_RELOAD (1000u - 1u) /* 1 ms at QEMU's 1 MHz SysTick reference clock */
#endif

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end, __stack_top;

int main(void);

static volatile uint32_t millis;

struct noinit {
  uint32_t magic;
  uint32_t boots;
};
/* The NOINIT region of lm3s6965.ld. */
#define KEEP ((volatile struct noinit*)0x2000FFF0u)

void reset_handler(void) {
  memcpy(&__data_start, &__data_load, (size_t)((char*)&__data_end - (char*)&__data_start));
  memset(&__bss_start, 0, (size_t)((char*)&__bss_end - (char*)&__bss_start));
  if (KEEP->magic != NOINIT_MAGIC) {
    KEEP->magic = NOINIT_MAGIC;
    KEEP->boots = 0;
  }
  KEEP->boots = KEEP->boots + 1u;
  main();
  board_exit(0);
}

uint32_t board_boot_counter(void) {
  return KEEP->boots;
}

uint8_t board_device_number(void) {
  /* SYS_GET_CMDLINE (0x15): QEMU answers with the kernel's file name and its -append text. */
  static char cmdline[96];
  uint32_t block[2] = {(uint32_t)(uintptr_t)cmdline, sizeof cmdline - 1u};
  register uint32_t r0 __asm("r0") = 0x15u;
  register uint32_t* r1 __asm("r1") = block;
  __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  if (r0 != 0u) {
    return 1u;
  }
  static const char kKey[] = "device=";
  for (const char* p = cmdline; *p != '\0'; ++p) {
    if (strncmp(p, kKey, sizeof kKey - 1u) != 0) {
      continue;
    }
    unsigned n = 0;
    for (p += sizeof kKey - 1u; *p >= '0' && *p <= '9' && n < 256u; ++p) {
      n = n * 10u + (unsigned)(*p - '0');
    }
    return n >= 1u && n <= 255u ? (uint8_t)n : 1u;
  }
  return 1u;
}

static void default_handler(void) {
  for (;;) {
  }
}

static void systick_handler(void) {
  ++millis;
}

static void hardfault_handler(void) {
  board_fault_handler(SCB_CFSR);
  board_system_reset();
}

static void irq1_entry(void) {
  board_irq1_handler();
}

typedef void (*vector)(void);
struct vector_table {
  uint32_t* stack_top;
  vector handlers[15 + 8];
};
__attribute__((section(".isr_vector"), used)) static const struct vector_table vectors = {
    &__stack_top,
    {reset_handler,
     default_handler,
     hardfault_handler,
     default_handler,
     default_handler,
     default_handler,
     0,
     0,
     0,
     0,
     default_handler,
     default_handler,
     0,
     default_handler,
     systick_handler,
     default_handler,
     irq1_entry,
     default_handler,
     default_handler,
     default_handler,
     default_handler,
     default_handler,
     default_handler},
};

void board_init(void) {
  UART0_CTL = 0x301u; /* UARTEN | TXE | RXE */
  SYST_RVR = SYSTICK_RELOAD;
  SYST_CVR = 0;
  SYST_CSR = 3u; /* enable, interrupt, reference clock */
  NVIC_ISER0 = 1u << 1;
}

void board_uart_write(const uint8_t* data, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    while (UART0_FR & UART_FR_TXFF) {
    }
    UART0_DR = data[i];
  }
}

uint32_t board_millis(void) {
  return millis;
}

uint32_t board_critical_enter(void) {
  uint32_t primask;
  __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
  return primask;
}

void board_critical_exit(uint32_t primask) {
  __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}

int board_in_interrupt(void) {
  uint32_t ipsr;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  return ipsr != 0;
}

void board_trigger_irq1(void) {
  NVIC_STIR = 1u;
  __asm volatile("dsb\n isb" ::: "memory");
}

void board_system_reset(void) {
  __asm volatile("dsb" ::: "memory");
  SCB_AIRCR = 0x05FA0004u; /* VECTKEY | SYSRESETREQ */
  for (;;) {
  }
}

void board_exit(int status) {
  /* SYS_EXIT_EXTENDED (0x20) with ADP_Stopped_ApplicationExit and the status. */
  uint32_t block[2] = {0x20026u, (uint32_t)status};
  register uint32_t r0 __asm("r0") = 0x20u;
  register uint32_t* r1 __asm("r1") = block;
  __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  for (;;) {
  }
}
