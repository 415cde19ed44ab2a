#!/usr/bin/env bash
# End-to-end checks of `edgetrace symbols` and `edgetrace decode` with real files: the
# store tests' fixture program (an ELF with an edgetrace call-site table, which writes a
# device stream with --stream) and, when given, the defmt test corpus.
#
#   apps/edgetrace/cli_e2e.sh <edgetrace> <fixture-program> <work-dir>
#                             <fixture-with-a-bad-C-call-site> [defmt-corpus-dir]
set -euo pipefail
cli="$1"
fixture="$2"
work="$3"
bad_format="$4"
defmt="${5:-}"
rm -rf "$work"
mkdir -p "$work"
store="$work/store"
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect <code> <command...>: runs it (stdout/stderr in $work/out, $work/err), checks the code.
expect() {
  local want="$1"; shift
  set +e
  "$@" > "$work/out" 2> "$work/err"
  local got=$?
  set -e
  [ "$got" = "$want" ] || { cat "$work/out" "$work/err" >&2; fail "exit $got, expected $want: $*"; }
}
has() { grep -q -- "$1" "$work/$2" || { cat "$work/$2" >&2; fail "no '$1' in $2"; }; }
hasnt() { ! grep -q -- "$1" "$work/$2" || { cat "$work/$2" >&2; fail "unexpected '$1' in $2"; }; }

"$fixture" --stream > "$work/capture.bin"
id=$("$cli" symbols verify "$fixture" | sed -n 's/.*build-id \([0-9a-f]*\),.*/\1/p')
[ -n "$id" ] || fail "verify printed no build-id"

# Upload: one bad file among good ones is reported, the others are still stored, exit 1.
printf 'not an elf' > "$work/bad.elf"
expect 1 "$cli" symbols upload --store "$store" "$work/bad.elf" "$fixture" "$work/missing.elf"
has "^$id .* 3 call sites (edgetrace)$" out
has "bad.elf: not an ELF file" err
has "missing.elf" err
has "2 of 3 files not uploaded" err
# Again: already present, exit 0.
expect 0 "$cli" symbols upload --store "$store" "$fixture"
has "^$id .* 3 call sites (edgetrace), already present$" out
# The same build-id with other bytes: a conflict, exit 1.
cp "$fixture" "$work/patched.elf"
printf 'x' >> "$work/patched.elf"
expect 1 "$cli" symbols upload --store "$store" "$work/patched.elf"
has "conflict" err

expect 0 "$cli" symbols list --store "$store"
has "^$id .* edgetrace 3 call sites$" out
expect 0 "$cli" symbols list --store "$store" --json
has "\"build_id\":\"$id\"" out
expect 0 "$cli" symbols show "$id" --store "$store"
has "call sites  3" out
expect 1 "$cli" symbols show abcdef --store "$store"
has "not in the symbol store" err

# Decode a capture; the handshake's build-id selects the ELF from the store.
expect 0 "$cli" decode --store "$store" --input "$work/capture.bin" --time none --strict
cat > "$work/expected.txt" <<'EOF'
handshake v1 hz=1000 boot=7 device=d301 dropped=0 build-id=20B
span enter report id=1 parent=0
[INFO] temp=21 hum=28
[WARN] low battery
span exit report id=1 parent=0 root=1
span enter report id=2 parent=0
[INFO] temp=-3 hum=ff
[WARN] low battery
span exit report id=2 parent=0 root=2
EOF
diff -u "$work/expected.txt" "$work/out" || fail "decode --store output"
has "^summary: frames=9 records=9 corrupt=0 lost=0 unknown=0 malformed=0 build-id-mismatches=0 unresolved-build-ids=0 " err
# From standard input with --elf: the same.
expect 0 "$cli" decode --elf "$fixture" --time none < "$work/capture.bin"
diff -u "$work/expected.txt" "$work/out" || fail "decode --elf output"
# Colours only when asked for, or on a terminal without NO_COLOR (not here: a file).
hasnt $'\x1b\[' out
expect 0 "$cli" decode --elf "$fixture" --input "$work/capture.bin" --color always
has $'\x1b\[32m\[INFO\]' out
# JSON and OTLP/JSON.
expect 0 "$cli" decode --store "$store" --input "$work/capture.bin" --format json
[ "$(wc -l < "$work/out")" = 9 ] || fail "json: 9 lines expected"
has '"kind":"log".*"message":"temp=21 hum=28"' out
# OTLP/JSON: one export request per signal and batch, rebuilt by the bridge. Times come
# from --anchor-time (2025-12-02T10:00:00Z), else from the capture file's mtime.
expect 0 "$cli" decode --store "$store" --input "$work/capture.bin" --format otlp-json \
  --anchor-time 2025-12-02T10:00:00Z
[ "$(grep -c '"resourceLogs"' "$work/out")" = 1 ] || fail "otlp-json: 1 logs request expected"
[ "$(grep -c '"resourceSpans"' "$work/out")" = 1 ] || fail "otlp-json: 1 traces request expected"
has '"severityText":"WARN","body":{"stringValue":"low battery"}' out
has '"name":"report"' out
has "^bridge: spans=2 incomplete=0 logs=4 " err
python3 - "$work/out" <<'EOF' || fail "otlp-json: span tree, correlation or times"
import json, sys
anchor = 1764669600 * 10**9
docs = [json.loads(line) for line in open(sys.argv[1])]
spans = [s for d in docs for r in d.get("resourceSpans", []) for ss in r["scopeSpans"]
         for s in ss["spans"]]
logs = [l for d in docs for r in d.get("resourceLogs", []) for sl in r["scopeLogs"]
        for l in sl["logRecords"]]
assert len(spans) == 2 and len(logs) == 4, (len(spans), len(logs))
trace = {s["spanId"]: s["traceId"] for s in spans}
assert all(int(s["startTimeUnixNano"]) >= anchor for s in spans), spans
for l in logs:
    assert trace[l["spanId"]] == l["traceId"], l
    assert int(l["timeUnixNano"]) >= anchor, l
EOF
touch -d "2025-12-02 10:00:00 UTC" "$work/capture.bin"
expect 0 "$cli" decode --store "$store" --input "$work/capture.bin" --format otlp-json \
  --service-name sensor --resource deployment.environment.name=lab
has '{"key":"service.name","value":{"stringValue":"sensor"}}' out
has '{"key":"deployment.environment.name","value":{"stringValue":"lab"}}' out
has "capture times taken from the file's modification time: first record at 2025-12-02T09:59:" err
hasnt '"timeUnixNano":"0"' out

# Corrupt data: counted, exit 0; with --strict exit 1.
python3 - "$work/capture.bin" "$work/corrupt.bin" <<'EOF'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
data[data.index(0) + 3] ^= 0x10  # inside the second frame (the span enter)
open(sys.argv[2], 'wb').write(data)
EOF
expect 0 "$cli" decode --store "$store" --input "$work/corrupt.bin" --time none
has "corrupt=1 " err
expect 1 "$cli" decode --store "$store" --input "$work/corrupt.bin" --time none --strict
has "corrupt=1 " err
# A stream whose firmware is not in the store: reported, and --strict fails.
mkdir -p "$work/empty"
expect 1 "$cli" decode --store "$work/empty" --input "$work/capture.bin" --strict
has "no edgetrace table for build-id $id" err
has "unresolved-build-ids=1 " err
# Another format's stream (defmt bytes) read as edgetrace frames: corrupt, --strict fails.
if [ -n "$defmt" ]; then
  expect 1 "$cli" decode --elf "$fixture" --input "$defmt/corpus.rzcobs" --strict
fi

# A C call site whose placeholders do not match its arguments: verify fails (exit 1) and
# names it; the store still accepts the ELF (its other call sites decode).
expect 1 "$cli" symbols verify "$fixture" "$bad_format"
has "table: 3 call sites, 0 problems" out
has "error: .*symbol_store_fixture_sites.c:9: .*a={} b={}" out
has "table: 4 call sites, 1 problems" out
expect 0 "$cli" symbols upload --store "$work/store-bad" "$bad_format"
has " 4 call sites (edgetrace)$" out

# Delete.
expect 0 "$cli" symbols delete "$id" --store "$store"
expect 1 "$cli" symbols delete "$id" --store "$store"
expect 0 "$cli" symbols list --store "$store"
hasnt "$id" out

# Usage errors: exit 2.
expect 2 "$cli" decode --input "$work/capture.bin"
expect 2 "$cli" decode --elf "$fixture" --store "$store"
expect 2 "$cli" decode --elf "$fixture" --format xml
expect 2 "$cli" decode --elf "$fixture" --baud 12345
expect 2 "$cli" symbols upload "$fixture"
expect 2 "$cli" symbols upload --store "$store" --server http://127.0.0.1:1 "$fixture"
expect 2 "$cli" symbols
expect 1 "$cli" decode --elf "$work/bad.elf" --input "$work/capture.bin"
expect 1 "$cli" decode --elf "$fixture" --input "$work/missing.bin"
expect 1 "$cli" decode --elf "$fixture" --input tcp://127.0.0.1:1

# defmt firmware: stored as kind defmt; decoded like defmt-print.
if [ -n "$defmt" ]; then
  expect 0 "$cli" symbols upload --store "$store" "$defmt/corpus.elf"
  has "(defmt)$" out
  expect 0 "$cli" decode --elf "$defmt/corpus.elf" --input "$defmt/corpus.rzcobs" --strict
  has "^0.001000 INFO  Hello, world!$" out
  has "(defmt)$" err
  expect 1 "$cli" symbols verify "$defmt/version3.elf"
  has "defmt table:" err
fi
# A symbol server: `symbols serve` on port 0 prints its URL first; upload, list and
# decode go through it; SIGTERM drains it and it exits 0.
served="$work/served"
printf 'e2e-secret-token\n' > "$work/token"
mkfifo "$work/serve.fifo"
env -u EDGETRACE_TOKEN "$cli" symbols serve --store "$served" --listen 127.0.0.1:0 \
  --token-file "$work/token" > "$work/serve.fifo" 2> "$work/serve.err" &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null || true' EXIT
exec 3< "$work/serve.fifo"
read -r -t 60 url <&3 || { cat "$work/serve.err" >&2; fail "symbols serve printed no URL"; }
case "$url" in http://127.0.0.1:[0-9]*) ;; *) fail "symbols serve printed '$url'";; esac
expect 1 env -u EDGETRACE_TOKEN "$cli" symbols upload --server "$url" "$fixture"
expect 0 "$cli" symbols upload --server "$url" --token-file "$work/token" "$fixture"
has "^$id .* 3 call sites (edgetrace)$" out
expect 0 "$cli" symbols list --server "$url"
has "^$id .* edgetrace 3 call sites$" out
expect 0 "$cli" decode --server "$url" --input "$work/capture.bin" --time none --strict
diff -u "$work/expected.txt" "$work/out" || fail "decode --server output"
[ -n "$(ls "$served")" ] || fail "the served store directory is empty"
# A second server on the same port: a clear error, exit 1.
expect 1 "$cli" symbols serve --store "$served" --listen "127.0.0.1:${url##*:}"
has "in use" err
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "symbols serve exited $? after SIGTERM"
trap - EXIT
exec 3<&-
grep -q "SIGTERM received, draining" "$work/serve.err" || { cat "$work/serve.err" >&2; fail "no drain message"; }
! grep -q "e2e-secret-token" "$work/serve.err" || fail "the token was printed"
expect 2 "$cli" symbols serve --listen 127.0.0.1:0
expect 1 "$cli" symbols serve --store "$served" --listen nonsense
has "listen address \"nonsense\"" err

echo "cli e2e: all checks passed"
