#!/usr/bin/env bash
# Instructions per call on the caller's thread (callgrind, deterministic): spans, spans with
# 10 attributes and events with 2 fields, into a null layer and into the OTLP layer.
#   bench/sdk_callgrind.sh [build-dir] [calls]
set -euo pipefail
build=${1:-build/release}
calls=${2:-10000}
bin="$build/bench/sdk_instructions"
[ -x "$bin" ] || { echo "sdk_callgrind: build the sdk_instructions target first" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "sdk_callgrind: valgrind is not installed" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '| case | instructions per call |\n|---|---|\n'
for c in null-span otlp-span null-span10 otlp-span10 null-event2 otlp-event2; do
  # The exact name: a lambda inside measure_x is named measure_x::{lambda...} and a pattern
  # would toggle collection off again inside it.
  valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" --toggle-collect="measure_${c#*-}" \
    "$bin" "$c" "$calls" >/dev/null 2>"$out/log"
  total=0
  for f in "$out"/cg.*; do
    n=$(awk '/^summary:/ { print $2 }' "$f")
    total=$((total + ${n:-0}))
    rm -f "$f"
  done
  printf '| %s | %d |\n' "$c" $((total / calls))
done
