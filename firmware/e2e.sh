#!/usr/bin/env bash
# End-to-end check of the device library on a real Cortex-M3 binary:
#   1. builds firmware/ with arm-none-eabi-gcc (-Os, -Werror) into <work>/arm,
#   2. runs it under qemu-system-arm with the UART in a file (bounded by a timeout),
#   3. decodes the stream with et_device_decode against the ELF's call-site table and
#      build-id, and compares it with firmware/expected_stream.txt.
#
#   firmware/e2e.sh <work-dir> <et_device_decode> [build|run]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1"
decode="$2"
step="${3:-all}"
mkdir -p "$work"
if [ "$step" = build ] || [ "$step" = all ]; then
  cmake -S "$here" -B "$work/arm" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DCMAKE_TOOLCHAIN_FILE="$here/../cmake/arm-none-eabi.cmake" >/dev/null
  cmake --build "$work/arm"
  arm-none-eabi-size -A "$work/arm/example.elf" | grep -E '^(\.text|\.bss|\.data|edgetrace_)'
fi
if [ "$step" = run ] || [ "$step" = all ]; then
  "$here/run-qemu.sh" "$work/arm/example.elf" "$work/stream.bin" 60
  echo "stream: $(wc -c < "$work/stream.bin") bytes"
  "$decode" "$work/arm/example.elf" "$work/stream.bin" --no-time > "$work/decoded.txt"
  diff -u "$here/expected_stream.txt" "$work/decoded.txt"
  echo "decoded stream matches firmware/expected_stream.txt"
fi
