#!/usr/bin/env bash
# The gateway's load tests (docs/benchmarks.md, "Gateway"), edgetraced as a process on
# loopback, the daemon pinned to one core and the load (wrk or the OTLP load generator, and
# the discarding upstream) to the other:
#
#   1. proxy: wrk POSTs a 2 KiB OTLP/JSON log batch to /api/v1/telemetry/logs with a bearer
#      token; the daemon verifies it (ES256 with the verified-token cache; then ES256 and
#      RS256 with the cache off, so every request costs one signature check), applies the
#      rate limits (set high enough not to refuse) and the proxy pipeline's redaction, and
#      forwards to a discarding OTLP/HTTP upstream. wrk's requests/s and latency percentiles;
#      non-2xx answers are reported by wrk and make the run fail.
#   2. receivers at the OpenTelemetry Collector's load-test point: 10,000 spans/s in batches
#      of 100 over OTLP/gRPC, then OTLP/HTTP, into the durable queue and the OTLP exporter to
#      the discarding upstream; the daemon's CPU (utime + stime over the run, % of one core)
#      and its peak RSS (VmHWM).
#
#   bench/gateway_bench.sh [build-dir] [seconds] [connections]   (defaults: build/release 10 64)
set -euo pipefail
build="${1:-build/release}"
seconds="${2:-10}"
connections="${3:-64}"
daemon="$build/apps/edgetraced/edgetraced"
tool="$build/bench/gateway_bench_tool"
for f in "$daemon" "$tool"; do
  [ -x "$f" ] || { echo "gateway_bench: build edgetraced and gateway_bench_tool first ($f)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "gateway_bench: wrk is not installed (scripts/setup)" >&2; exit 1; }
cores=$(nproc)
daemon_cpu=0
load_cpu=$((cores > 1 ? 1 : 0))
hz=$(getconf CLK_TCK)

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$tool" setup "$work"
mkfifo "$work/upstream.url"
taskset -c "$load_cpu" "$tool" upstream > "$work/upstream.url" 2> "$work/upstream.err" &
pids+=($!)
read -r -t 30 upstream < "$work/upstream.url"

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%d)"
echo "daemon on cpu $daemon_cpu; load and upstream on cpu $load_cpu; upstream $upstream"

# Starts edgetraced with the given extra config on cpu $daemon_cpu; sets daemon_pid and the
# ports (proxy_port, http_port, grpc_port).
start_daemon() {
  local name=$1 extra=$2
  local dir="$work/$name"
  mkdir -p "$dir"
  cat > "$dir/edgetraced.toml" <<TOML
shutdown_timeout = "5s"
[admin]
listen = "127.0.0.1:0"
[symbols]
store = "$dir/symbols"
[receivers.device_tcp]
listen = ""
[receivers.otlp]
http = "127.0.0.1:0"
grpc = "127.0.0.1:0"
[queue]
dir = "$dir/queue"
$extra
TOML
  taskset -c "$daemon_cpu" "$daemon" --config "$dir/edgetraced.toml" \
    > "$dir/out.txt" 2> "$dir/daemon.log" &
  daemon_pid=$!
  pids+=("$daemon_pid")
  for _ in $(seq 300); do grep -q " started" "$dir/daemon.log" && break; sleep 0.1; done
  grep -q " started" "$dir/daemon.log" || { cat "$dir/daemon.log" >&2; exit 1; }
  proxy_port=$(grep -o 'proxy on port [0-9]*' "$dir/daemon.log" | grep -o '[0-9]*$' || true)
  http_port=$(grep -o 'OTLP/HTTP on port [0-9]*' "$dir/daemon.log" | grep -o '[0-9]*$')
  grpc_port=$(grep -o 'OTLP/gRPC on port [0-9]*' "$dir/daemon.log" | grep -o '[0-9]*$')
}

stop_daemon() {
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || true
}

proxy_config() {
  local key=$1 cache=$2
  cat <<TOML
[proxy]
listen = "127.0.0.1:0"
[proxy.upstream]
endpoint = "$upstream"
[proxy.jwt]
public_key_file = "$work/$key"
issuer = "bench"
audience = "edgetraced"
token_cache_entries = $cache
[proxy.rate_limit]
address_per_second = 1000000.0
address_burst = 1000000.0
subject_per_second = 1000000.0
subject_burst = 1000000.0
[processors.proxy.redaction]
enabled = true
TOML
}

run_proxy() {
  local label=$1 key=$2 token=$3 cache=$4
  start_daemon "proxy-$label" "$(proxy_config "$key" "$cache")"
  local body
  body=$(sed 's/\\/\\\\/g; s/"/\\"/g' "$work/logs.json")
  cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $(cat "$work/$token")"
LUA
  echo
  echo "== proxy, $label: $(wc -c < "$work/logs.json") byte OTLP/JSON log batch, $connections connections, ${seconds}s"
  # A warm-up second fills the connection pools and the token cache.
  taskset -c "$load_cpu" wrk -t1 -c"$connections" -d1s -s "$work/post.lua" \
    "http://127.0.0.1:$proxy_port/api/v1/telemetry/logs" > /dev/null
  taskset -c "$load_cpu" wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$work/post.lua" \
    "http://127.0.0.1:$proxy_port/api/v1/telemetry/logs" | tee "$work/wrk.txt"
  stop_daemon
  if grep -q "Non-2xx" "$work/wrk.txt"; then
    echo "gateway_bench: the proxy refused requests (see above)" >&2
    exit 1
  fi
}

run_proxy "ES256, cached token" es256.pub.pem token.es256 65536
run_proxy "ES256, no token cache" es256.pub.pem token.es256 0
run_proxy "RS256, no token cache" rs256.pub.pem token.rs256 0

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_load_point() {
  local protocol=$1
  start_daemon "load-$protocol" "[exporters.otlp]
endpoint = \"$upstream\""
  local endpoint
  if [ "$protocol" = grpc ]; then endpoint="http://127.0.0.1:$grpc_port"; else endpoint="http://127.0.0.1:$http_port"; fi
  # Warm-up, then the measured run.
  taskset -c "$load_cpu" "$tool" load "$protocol" "$endpoint" 10000 2 100 > /dev/null
  local before after
  before=$(cpu_ticks "$daemon_pid")
  local start_ns end_ns
  start_ns=$(date +%s%N)
  taskset -c "$load_cpu" "$tool" load "$protocol" "$endpoint" 10000 "$seconds" 100 > "$work/load.txt"
  end_ns=$(date +%s%N)
  after=$(cpu_ticks "$daemon_pid")
  local hwm
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$daemon_pid/status")
  stop_daemon
  awk -v t=$((after - before)) -v hz="$hz" -v ns=$((end_ns - start_ns)) -v kb="$hwm" \
    -v p="$protocol" -v sent="$(cat "$work/load.txt")" 'BEGIN {
      printf "== receivers, OTLP/%s, 10,000 spans/s in batches of 100: %s\n", p, sent
      printf "   daemon CPU %.1f%% of one core, peak RSS %.1f MiB\n", 100 * t / hz / (ns / 1e9), kb / 1024 }'
}

echo
run_load_point grpc
run_load_point http
