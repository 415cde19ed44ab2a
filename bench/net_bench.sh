#!/usr/bin/env bash
# HTTP throughput of edgetrace::net::HttpServer on loopback: wrk sends 200-byte POSTs over
# keep-alive connections to bench/net_bench_server (answered 200), wrk pinned to one core
# and the server to the other; prints wrk's requests/s and latency percentiles.
#
#   bench/net_bench.sh [build-dir] [seconds] [connections]     (defaults: build/release 10 64)
set -euo pipefail
build="${1:-build/release}"
seconds="${2:-10}"
connections="${3:-64}"
server="$build/bench/net_bench_server"
[ -x "$server" ] || { echo "net_bench: build the net_bench_server target first ($server)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "net_bench: wrk is not installed (scripts/setup)" >&2; exit 1; }
cores=$(nproc)
server_cpu=0
wrk_cpu=$((cores > 1 ? 1 : 0))

work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
mkfifo "$work/url"
taskset -c "$server_cpu" "$server" 1 127.0.0.1:0 > "$work/url" 2> "$work/server.err" &
pid=$!
read -r -t 30 url < "$work/url"

body=$(head -c 200 /dev/zero | tr '\0' 'x')
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/octet-stream"
LUA
echo "server: $url on cpu $server_cpu (1 I/O thread); wrk on cpu $wrk_cpu, $connections connections, ${seconds}s"
taskset -c "$wrk_cpu" wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/post.lua" "$url/bench"
kill -TERM $pid
wait $pid || true
cat "$work/server.err"
