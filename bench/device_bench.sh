#!/usr/bin/env bash
# Counted (not timed) benchmarks of the device library, printed as the markdown of the
# "Firmware library" section of docs/benchmarks.md:
#   - bytes on the wire of ETD_INFO("temp={} hum={}", 21, 40), from a QEMU run;
#   - flash per additional 2-argument call site: .text of two Cortex-M3 -Os builds
#     (0 and 64 extra call sites) of bench/device_arm_bench.cpp;
#   - instructions per 2-argument log call into the ring buffer: QEMU single-step trace
#     on Cortex-M3, and callgrind on the host build (device_log_cost);
#   - RAM and flash of the library on Cortex-M3.
#
#   bench/device_bench.sh <work-dir> <path of the host device_log_cost binary>
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$1"
host_bin="$(realpath "$2")"
mkdir -p "$work"
cd "$work"

arch=(-mcpu=cortex-m3 -mthumb -Os -ffreestanding -ffunction-sections -fdata-sections)
cxx=(arm-none-eabi-g++ "${arch[@]}" -std=c++17 -fno-exceptions -fno-rtti -fno-threadsafe-statics
  -Wall -Wextra -Werror -I"$root/include" -I"$root/src/device" -I"$root/firmware")
for s in device framing transports; do
  "${cxx[@]}" -c "$root/src/device/$s.cpp" -o "$s.o"
done
arm-none-eabi-gcc "${arch[@]}" -std=c11 -I"$root/firmware" -c "$root/firmware/board.c" -o board.o
for n in 0 64; do
  "${cxx[@]}" -DETD_BENCH_EXTRA_SITES=$n -c "$root/bench/device_arm_bench.cpp" -o "bench$n.o"
  arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb --specs=nano.specs -nostartfiles \
    -T"$root/firmware/lm3s6965.ld" -L"$root/firmware" -Wl,--build-id -Wl,--gc-sections \
    "bench$n.o" board.o device.o framing.o transports.o -o "bench$n.elf"
done
section() { arm-none-eabi-size -A "$1" | awk -v s="$2" '$1 == s { print $2 }'; }
text0=$(section bench0.elf .text)
text64=$(section bench64.elf .text)
ids0=$(section bench0.elf edgetrace_ids)
ids64=$(section bench64.elf edgetrace_ids)
meta64=$(section bench64.elf edgetrace_meta)
per_site=$(awk -v a="$text0" -v b="$text64" 'BEGIN { printf "%.1f", (b - a) / 64 }')

# Library code and data linked into the benchmark image: symbols defined by its objects.
arm-none-eabi-nm --defined-only device.o framing.o transports.o | awk 'NF == 3 { print $3 }' |
  sort -u > lib-symbols.txt
arm-none-eabi-nm -S --defined-only bench0.elf | awk 'NF == 4 { print $4, $3, $2 }' |
  sort > image-symbols.txt
sum_sizes() {  # sums the hex sizes (column 3) of lines whose type (column 2) matches $1
  local total=0 name type size
  while read -r name type size; do
    [[ "$type" =~ ^[$1]$ ]] && total=$((total + 16#$size))
  done
  echo "$total"
}
lib_flash=$(join lib-symbols.txt image-symbols.txt | sum_sizes TtRr)
lib_ram=$(join lib-symbols.txt image-symbols.txt | sum_sizes BbDd)
lib_text_all=$(arm-none-eabi-size -t device.o framing.o transports.o | awk 'END { print $1 }')
symbol_size() {  # size of the C++ symbol named exactly $1 (demangled)
  local hex
  hex=$(arm-none-eabi-nm -S -C bench0.elf | awk -v n="$1" '{ name = $4; for (i = 5; i <= NF; i++) name = name " " $i } name == n { print $2 }')
  echo $((16#$hex))
}
state=$(symbol_size "(anonymous namespace)::device")
ring_state=$(symbol_size "(anonymous namespace)::ring")

# QEMU: one line per executed instruction (-singlestep, -d exec,nochain).
timeout --kill-after=5 60 qemu-system-arm -M lm3s6965evb -nographic -monitor none \
  -serial file:bench.stream -semihosting-config enable=on,target=native -singlestep \
  -d exec,nochain -D trace.log -kernel bench0.elf 2> >(grep -v 'Timer with period zero' >&2)
# Between the first instruction of bench_mark_start and that of bench_mark_end lie:
# bench_mark_start's return, the call into log_once and everything it runs, and the call
# to bench_mark_end; the first and the last are not part of the log call.
arm_insns=$(awk '
  / bench_mark_start$/ { counting = 1; n = -1; next }
  / bench_mark_end$/ { if (counting) { total += n - 1; runs++ } counting = 0; next }
  counting { n++ }
  END { if (runs) printf "%d %d", total / runs, runs }' trace.log)
# The stream: frame 0 is the handshake, frame 1 the first log.
frame_bytes=$(od -An -v -tx1 bench.stream | tr -s ' \n' '\n' | grep -v '^$' |
  awk '{ n++ } $1 == "00" { frames++; if (frames == 2) { print n - prev; exit } prev = n }')

# callgrind: instructions inside log_once (callees included) over 1000 calls.
valgrind --tool=callgrind --callgrind-out-file=cg.out --toggle-collect=log_once "$host_bin" \
  > /dev/null 2> cg.err
host_ir=$(callgrind_annotate cg.out | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
host_per_call=$(awk -v t="$host_ir" 'BEGIN { printf "%.0f", t / 1000 }')

text_line="temp=21 hum=40"
plain=$(( ${#text_line} + 1 ))
with_meta_line="12345 INFO temp=21 hum=40"
with_meta=$(( ${#with_meta_line} + 1 ))
with_site_line="12345 INFO main.c:42 temp=21 hum=40"
with_site=$(( ${#with_site_line} + 1 ))

cat <<MD
| measure | result | target |
|---|---|---|
| bytes on the wire, \`ETD_INFO("temp={} hum={}", 21, 40)\` incl. call-site id, timestamp, framing | ${frame_bytes} B | ≤ 10 B |
| same line as text: \`${text_line}\\n\` / \`${with_meta_line}\\n\` / \`${with_site_line}\\n\` | ${plain} / ${with_meta} / ${with_site} B (×$(awk -v a=$plain -v b=$frame_bytes 'BEGIN{printf "%.1f", a/b}') / ×$(awk -v a=$with_meta -v b=$frame_bytes 'BEGIN{printf "%.1f", a/b}') / ×$(awk -v a=$with_site -v b=$frame_bytes 'BEGIN{printf "%.1f", a/b}')) | ≥ ×4 |
| flash per additional 2-argument call site, Cortex-M3 \`-Os\` (.text ${text0} → ${text64} B for 64 sites) | ${per_site} B | ≤ 24 B |
| call-site table (ELF only, not flash) for 64 more sites | ids +$(( ids64 - ids0 )) B, meta ${meta64} B | 0 B flash |
| instructions per 2-argument log into the ring, Cortex-M3 (QEMU single-step trace, mean of ${arm_insns#* } calls) | ${arm_insns% *} | ≤ 150 |
| instructions per 2-argument log into the ring, x86-64 host \`-O2\` (callgrind, 1000 calls) | ${host_per_call} | ≤ 150 |
| library flash linked into a ring-buffer firmware (all three sources compiled: ${lib_text_all} B) | ${lib_flash} B | ≤ 4096 B |
| library RAM: \`et_device\` + active-device pointer (+ \`et_ring\` ${ring_state} B + ring memory) | ${state} + 4 B (statics linked: ${lib_ram} B) | ≤ 256 B |
MD
