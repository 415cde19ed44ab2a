#!/usr/bin/env bash
# Runs the example firmware under QEMU (lm3s6965evb, Cortex-M3) with UART0 written to a
# file, bounded in time. The firmware ends the run itself through semihosting after its
# fault-and-reset; -icount makes the run (and so the stream) deterministic.
#
#   firmware/run-qemu.sh build/firmware/example.elf stream.bin [timeout-seconds]
set -euo pipefail
elf="$1"
out="$2"
limit="${3:-30}"
rm -f "$out"
timeout --kill-after=5 "$limit" qemu-system-arm -M lm3s6965evb -nographic -monitor none \
  -serial "file:$out" -semihosting-config enable=on,target=native \
  -icount shift=4,sleep=off -kernel "$elf" 2> >(grep -v 'Timer with period zero' >&2)
