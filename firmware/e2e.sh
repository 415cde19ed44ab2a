#!/usr/bin/env bash
# End-to-end check of the device library and the decoder on a real Cortex-M3 binary:
#   build  builds firmware/ with arm-none-eabi-gcc (-Os, -Werror) into <work>/arm;
#   verify checks the ELF's call-site table with `edgetrace symbols verify`;
#   run    runs it under qemu-system-arm with the UART in a file (bounded by a timeout),
#          uploads the ELF to a symbol store with `edgetrace symbols upload` and decodes the
#          capture twice, with `edgetrace decode --store` (the build-id of the stream's
#          handshake selects the ELF) and with `--elf`; both must equal
#          firmware/expected_stream.txt, every counter included;
#   live   runs it under QEMU with the UART on a TCP socket and decodes the stream live
#          with `edgetrace decode --input tcp://...`, compared the same way.
# Decoding runs with --strict: any corrupt or lost frame, unknown call site or build-id
# mismatch fails the run.
#
#   firmware/e2e.sh <work-dir> <edgetrace> [build|verify|run|live]   (default: all)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1"
edgetrace="$2"
step="${3:-all}"
mkdir -p "$work"
elf="$work/arm/example.elf"

# The summary line of firmware/expected_stream.txt from the CLI's counters (stderr of
# decode) and the table size (verify): "summary: frames=N corrupt=N lost=N sites=N".
expected_summary() {
  local counters="$1"
  local sites
  sites=$("$edgetrace" symbols verify "$elf" | sed -n 's/.*table: \([0-9]*\) call sites.*/\1/p')
  sed -n 's/^summary: frames=\([0-9]*\) .* corrupt=\([0-9]*\) lost=\([0-9]*\) .*/summary: frames=\1 corrupt=\2 lost=\3/p' \
    "$counters" | sed "s/\$/ sites=$sites/"
}

# check <name> <stdout> <stderr>: decoded lines + summary equal expected_stream.txt.
check() {
  local name="$1" out="$2" err="$3"
  if ! grep -q '^summary: .* corrupt=0 lost=0 unknown=0 malformed=0 build-id-mismatches=0 unresolved-build-ids=0 ' "$err"; then
    echo "$name: unexpected counters:" >&2
    cat "$err" >&2
    exit 1
  fi
  { cat "$out"; expected_summary "$err"; } > "$work/decoded-$name.txt"
  diff -u "$here/expected_stream.txt" "$work/decoded-$name.txt"
  echo "$name: decoded stream matches firmware/expected_stream.txt"
}

if [ "$step" = build ] || [ "$step" = all ]; then
  cmake -S "$here" -B "$work/arm" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
    -DCMAKE_TOOLCHAIN_FILE="$here/../cmake/arm-none-eabi.cmake" >/dev/null
  cmake --build "$work/arm"
  arm-none-eabi-size -A "$elf" | grep -E '^(\.text|\.bss|\.data|edgetrace_)'
fi
if [ "$step" = verify ] || [ "$step" = all ]; then
  "$edgetrace" symbols verify "$elf"
fi
if [ "$step" = run ] || [ "$step" = all ]; then
  "$here/run-qemu.sh" "$elf" "$work/stream.bin" 60
  echo "stream: $(wc -c < "$work/stream.bin") bytes"
  rm -rf "$work/store"
  "$edgetrace" symbols upload --store "$work/store" "$elf"
  "$edgetrace" decode --store "$work/store" --input "$work/stream.bin" --time none --strict \
    > "$work/decoded-store.out" 2> "$work/decoded-store.err"
  check store "$work/decoded-store.out" "$work/decoded-store.err"
  "$edgetrace" decode --elf "$elf" --input - --time none --strict < "$work/stream.bin" \
    > "$work/decoded-elf.out" 2> "$work/decoded-elf.err"
  check elf "$work/decoded-elf.out" "$work/decoded-elf.err"
fi
if [ "$step" = live ] || [ "$step" = all ]; then
  rm -rf "$work/store-live"
  "$edgetrace" symbols upload --store "$work/store-live" "$elf"
  # QEMU says when it listens, naming the port it chose (port 0: a free one), on stderr;
  # that line comes back through a FIFO opened read-write, so neither side blocks on open.
  listening="$work/qemu-listening"
  rm -f "$listening"
  mkfifo "$listening"
  exec 4<>"$listening"
  # wait=on: the firmware starts only once the decoder is connected, so nothing is missed.
  timeout --kill-after=5 60 qemu-system-arm -M lm3s6965evb -nographic -monitor none \
    -serial "tcp:127.0.0.1:0,server=on,wait=on" \
    -semihosting-config enable=on,target=native -icount shift=4,sleep=off -kernel "$elf" \
    2> >(while IFS= read -r line; do
           case "$line" in
             *'QEMU waiting for connection on: '*) printf '%s\n' "$line" >&4 ;;
             *'Timer with period zero'*) ;;
             *) printf '%s\n' "$line" >&2 ;;
           esac
         done) &
  qemu=$!
  trap 'kill "$qemu" 2>/dev/null || true' EXIT
  if ! IFS= read -r -t 30 -u 4 line; then
    echo "live: QEMU did not start listening" >&2
    exit 1
  fi
  exec 4<&-
  rm -f "$listening"
  port=$(printf '%s\n' "$line" | sed -n 's/.*tcp:127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p')
  [ -n "$port" ] || { echo "live: no port in: $line" >&2; exit 1; }
  if ! "$edgetrace" decode --store "$work/store-live" --input "tcp://127.0.0.1:$port" \
      --time none --strict > "$work/decoded-live.out" 2> "$work/decoded-live.err"; then
    cat "$work/decoded-live.err" >&2
    exit 1
  fi
  wait "$qemu" || true
  trap - EXIT
  check live "$work/decoded-live.out" "$work/decoded-live.err"
fi
