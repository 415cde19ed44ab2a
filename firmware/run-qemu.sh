#!/usr/bin/env bash
# Runs the example firmware under QEMU (lm3s6965evb, Cortex-M3) with UART0 written to a
# file, or sent over a TCP connection QEMU opens ("tcp:HOST:PORT", e.g. to edgetraced's
# device TCP receiver), bounded in time. The firmware ends the run itself through semihosting after its
# fault-and-reset; -icount makes the run (and so the stream) deterministic.
#
#   firmware/run-qemu.sh build/firmware/example.elf stream.bin [timeout-seconds]
#   firmware/run-qemu.sh build/firmware/example.elf tcp:127.0.0.1:7700 [timeout-seconds] [device-number]
#
# The device number (1-255, default 1) is the last byte of the device id (65740001, 65740002,
# ...): the firmware reads "device=N" from QEMU's -append text through semihosting.
set -euo pipefail
elf="$1"
out="$2"
limit="${3:-30}"
device="${4:-1}"
case "$out" in
  tcp:*) serial="$out" ;;
  *) rm -f "$out"; serial="file:$out" ;;
esac
timeout --kill-after=5 "$limit" qemu-system-arm -M lm3s6965evb -nographic -monitor none \
  -serial "$serial" -semihosting-config enable=on,target=native \
  -icount shift=4,sleep=off -kernel "$elf" -append "device=$device" 2> >(grep -v 'Timer with period zero' >&2)
