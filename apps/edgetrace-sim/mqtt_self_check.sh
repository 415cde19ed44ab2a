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
  "$broker" -c "$dir/mosquitto.conf" >"$dir/broker.log" 2>&1 &
  broker_pid=$!
  # Ready once the port accepts connections (up to 5 s).
  for _ in $(seq 50); do
    if ! kill -0 "$broker_pid" 2>/dev/null; then
      break
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      port=$p
      break
    fi
    sleep 0.1
  done
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
