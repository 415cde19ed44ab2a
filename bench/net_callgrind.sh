#!/usr/bin/env bash
# Instructions per request of edgetrace::net::HttpServer, repeatable on a busy machine:
# runs bench/net_bench_server under `valgrind --tool=callgrind` twice while a Python client
# sends N1 and then N2 200-byte POSTs over C keep-alive connections (one request at a time
# per connection), and prints (Ir(N2) - Ir(N1)) / (N2 - N1), which cancels start-up and
# shutdown. Keeps the callgrind.out files in the output directory for callgrind_annotate.
#
#   bench/net_callgrind.sh [build-dir] [N1] [N2] [connections] [out-dir]
#   (defaults: build/release 2000 10000 4 a temporary directory)
set -euo pipefail
build="${1:-build/release}"
n1="${2:-2000}"
n2="${3:-10000}"
connections="${4:-4}"
out="${5:-$(mktemp -d)}"
server="$build/bench/net_bench_server"
[ -x "$server" ] || { echo "net_callgrind: build the net_bench_server target first" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "net_callgrind: valgrind is not installed" >&2; exit 1; }
mkdir -p "$out"

client="$out/client.py"
cat > "$client" <<'PY'
import socket, sys
host, port = sys.argv[1].removeprefix("http://").rsplit(":", 1)
total, conns = int(sys.argv[2]), int(sys.argv[3])
body = b"x" * 200
req = (b"POST /bench HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
       b"Content-Type: application/octet-stream\r\nContent-Length: 200\r\n\r\n" + body)
socks = [socket.create_connection((host, int(port))) for _ in range(conns)]
for s in socks:
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
bufs = [b""] * conns
def one(i):
    s = socks[i]
    s.sendall(req)
    while True:
        head, sep, rest = bufs[i].partition(b"\r\n\r\n")
        if sep:
            length = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v)
            if len(rest) >= length:
                if not head.startswith(b"HTTP/1.1 200"):
                    sys.exit("unexpected response: %r" % head[:40])
                bufs[i] = rest[length:]
                return
        data = s.recv(65536)
        if not data:
            sys.exit("connection closed")
        bufs[i] += data
for k in range(total):
    one(k % conns)
for s in socks:
    s.close()
PY

run() {
  local n=$1 file="$out/callgrind.out.$1"
  local fifo="$out/url.$n"
  rm -f "$fifo"; mkfifo "$fifo"
  valgrind --tool=callgrind --callgrind-out-file="$file" "$server" 1 127.0.0.1:0 \
    > "$fifo" 2> "$out/server.$n.err" &
  local pid=$!
  local url
  read -r -t 120 url < "$fifo"
  python3 "$client" "$url" "$n" "$connections"
  kill -TERM $pid
  wait $pid || true
  grep -o 'Collected : [0-9]*' "$out/server.$n.err" | grep -o '[0-9]*$'
}
ir1=$(run "$n1")
ir2=$(run "$n2")
echo "Ir total: N=$n1: $ir1, N=$n2: $ir2"
echo "instructions per request: $(( (ir2 - ir1) / (n2 - n1) ))"
echo "callgrind files: $out"
