#!/usr/bin/env bash
# sim.mqtt_self_check: starts a mosquitto broker on 127.0.0.1 at a free port, runs
# `edgetrace-sim --mqtt ... --self-check` against it (bounded in time) and stops the broker,
# whatever the outcome. Usage: mqtt_self_check.sh <edgetrace-sim> <mosquitto>
set -u
sim=$1
broker=$2
dir=$(mktemp -d)
broker_pid=
cleanup() {
  if [ -n "$broker_pid" ]; then
    kill "$broker_pid" 2>/dev/null
    wait "$broker_pid" 2>/dev/null
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A free port: bind port 0 on 127.0.0.1 and read what the kernel chose. Retried if the
# broker then fails to bind it (another process took it in between).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 40000))
}

port=
for attempt in 1 2 3 4 5; do
  p=$(free_port)
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$p" >"$dir/mosquitto.conf"
  : >"$dir/broker.log"
  rm -f "$dir/broker.out"
  mkfifo "$dir/broker.out"
  "$broker" -c "$dir/mosquitto.conf" >"$dir/broker.out" 2>&1 &
  broker_pid=$!
  # Ready once the broker logs that it is running: its listener is open by then. The end of
  # its log (it exited: the port was taken) or 10 s without a line means it did not start.
  exec 3<"$dir/broker.out"
  while IFS= read -r -t 10 -u 3 line; do
    printf '%s\n' "$line" >>"$dir/broker.log"
    case "$line" in
    *" running") port=$p && break ;;
    esac
  done
  # The rest of its log is read as it comes (the broker never blocks on a full pipe).
  cat <&3 >>"$dir/broker.log" &
  exec 3<&-
  [ -n "$port" ] && break
  kill "$broker_pid" 2>/dev/null
  wait "$broker_pid" 2>/dev/null
  broker_pid=
  echo "mqtt_self_check: broker did not start on port $p (attempt $attempt)" >&2
  cat "$dir/broker.log" >&2
done
if [ -z "$port" ]; then
  echo "mqtt_self_check: no broker" >&2
  exit 1
fi

timeout --kill-after=5 90 "$sim" --devices 8 --steps 60 --mqtt "127.0.0.1:$port" \
  --topic-prefix edgetrace/test --self-check
rc=$?
if [ $rc -ne 0 ]; then
  echo "mqtt_self_check: edgetrace-sim exited with $rc; broker log:" >&2
  cat "$dir/broker.log" >&2
fi
exit $rc
