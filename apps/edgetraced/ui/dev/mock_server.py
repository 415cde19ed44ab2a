#!/usr/bin/env python3
"""A stand-in for edgetraced's query API, for working on the viewer without the daemon.

Serves apps/edgetraced/ui/static/ and canned answers in the shape of
the query API contract (docs/viewer.md lists the endpoints): two traces (a device's and a
service's), their logs, and a live stream that sends a trace summary every two seconds. OTLP/JSON posted to
/v1/traces and /v1/logs is added to the canned data (the daemon's OTLP/HTTP receiver's paths).

    python3 apps/edgetraced/ui/dev/mock_server.py --port 8099   # then open http://127.0.0.1:8099/

Development only: nothing in the build or the tests uses it. Binds 127.0.0.1.
"""
import argparse
import json
import mimetypes
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "static")
NOW = int(time.time() * 1e6)

DEVICE_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SERVICE_TRACE = "7c1e5d2a9b8f4e3d8c7b6a5f4e3d2c1b"


def tag(key, value):
    kind = {bool: "bool", int: "int64", float: "float64"}.get(type(value), "string")
    return {"key": key, "type": kind, "value": value}


def span(trace, sid, name, parent, start, dur, pid, tags=(), logs=(), refs=()):
    references = [{"refType": "CHILD_OF", "traceID": trace, "spanID": parent}] if parent else []
    references += list(refs)
    return {"traceID": trace, "spanID": sid, "operationName": name, "flags": 1,
            "references": references, "startTime": start, "duration": dur,
            "tags": list(tags), "logs": list(logs), "processID": pid, "warnings": None}


def device_trace():
    t0 = NOW - 120_000_000
    return {"traceID": DEVICE_TRACE, "warnings": None,
            "processes": {"p1": {"serviceName": "thermostat-fw", "tags": [
                tag("device.id", "thermo-0042"), tag("edgetrace.device.boot_counter", 17),
                tag("process.executable.build_id.gnu", "9f86d081884c7d659a2feaa0c55ad015"),
                tag("service.version", "2.4.1"), tag("edgetrace.stream.format", "edgetrace-wire/1")]}},
            "spans": [
                span(DEVICE_TRACE, "a000000000000001", "control_loop", None, t0, 1_250_000, "p1",
                     [tag("span.kind", "internal")]),
                span(DEVICE_TRACE, "a000000000000002", "read_sensor", "a000000000000001", t0 + 1000,
                     850, "p1", [tag("sensor", "bme280"), tag("bus", "i2c1")],
                     [{"timestamp": t0 + 1400, "fields": [tag("event", "i2c.retry"), tag("attempt", 2)]}]),
                span(DEVICE_TRACE, "a000000000000003", "pid_step", "a000000000000001", t0 + 5000,
                     12_400, "p1"),
                span(DEVICE_TRACE, "a000000000000004", "flash_write", "a000000000000003", t0 + 9000,
                     4_560, "p1", [tag("error", True), tag("otel.status_code", "ERROR"),
                                   tag("otel.status_description", "flash busy")]),
                span(DEVICE_TRACE, "a000000000000005", "uplink", "a000000000000001", t0 + 400_000,
                     800_000, "p1", [tag("span.kind", "client")],
                     refs=[{"refType": "FOLLOWS_FROM", "traceID": SERVICE_TRACE,
                            "spanID": "b000000000000001"}]),
            ]}


def service_trace():
    t0 = NOW - 60_000_000
    procs = {"p1": {"serviceName": "ingest", "tags": [tag("host.name", "gw-1")]},
             "p2": {"serviceName": "store <b>db</b>", "tags": []}}
    spans = [span(SERVICE_TRACE, "b000000000000001", "POST /v1/traces", None, t0, 120_000, "p1",
                  [tag("span.kind", "server"), tag("http.status_code", 200)])]
    for i in range(2, 30):
        spans.append(span(SERVICE_TRACE, f"b0000000000000{i:02x}", f"insert batch {i}",
                          "b000000000000001" if i < 6 else f"b0000000000000{(i % 4) + 2:02x}",
                          t0 + i * 3000, 2000 + i * 500, "p2", [tag("db.system", "sqlite")]))
    return {"traceID": SERVICE_TRACE, "processes": procs, "spans": spans, "warnings": None}


TRACES = {DEVICE_TRACE: device_trace(), SERVICE_TRACE: service_trace()}


def log(i, trace, sid, ts, sev, text, body, service):
    return {"id": i, "timestamp": ts, "timeUnixNano": str(ts * 1000), "severityNumber": sev,
            "severityText": text, "body": body, "service": service, "traceID": trace,
            "spanID": sid, "attributes": [tag("thread", "main")], "resource": [], "scope": "app"}


LOGS = [
    log(1, DEVICE_TRACE, "a000000000000002", NOW - 120_000_000 + 1500, 13, "WARN",
        "sensor slow <script>alert(1)</script>", "thermostat-fw"),
    log(2, DEVICE_TRACE, "a000000000000004", NOW - 120_000_000 + 12000, 17, "ERROR",
        "flash busy, retrying", "thermostat-fw"),
    log(3, SERVICE_TRACE, "b000000000000003", NOW - 60_000_000 + 10_000, 9, "INFO",
        "batch stored", "ingest"),
] + [log(10 + i, "", "", NOW - 30_000_000 - i * 1_000_000, 9, "INFO", f"heartbeat {i}", "ingest")
     for i in range(250)]


def summary(seq, trace):
    spans = trace["spans"]
    root = spans[0]
    start = min(s["startTime"] for s in spans)
    end = max(s["startTime"] + s["duration"] for s in spans)
    return {"seq": seq, "traceID": trace["traceID"],
            "service": trace["processes"][root["processID"]]["serviceName"],
            "rootName": root["operationName"], "startTime": start, "duration": end - start,
            "spanCount": len(spans), "error": any(t["key"] == "error" for s in spans for t in s["tags"])}


def otlp_value(v):
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in v:
            return v[key]
    if "intValue" in v:
        return int(v["intValue"])
    return json.dumps(v)


def otlp_tags(attributes):
    return [tag(a["key"], otlp_value(a.get("value", {}))) for a in attributes or []]


KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def ingest_traces(request):
    """OTLP/JSON traces into the canned store, in the Jaeger shape (what the daemon answers)."""
    for rs in request.get("resourceSpans", []):
        tags = otlp_tags(rs.get("resource", {}).get("attributes"))
        service = next((t["value"] for t in tags if t["key"] == "service.name"), "unknown")
        process = {"serviceName": service, "tags": [t for t in tags if t["key"] != "service.name"]}
        for ss in rs.get("scopeSpans", []):
            for sp in ss.get("spans", []):
                trace_id = sp["traceId"].lower()
                t = TRACES.setdefault(trace_id, {"traceID": trace_id, "spans": [],
                                                 "processes": {}, "warnings": None})
                pid = next((k for k, p in t["processes"].items() if p == process), None)
                if pid is None:
                    pid = f"p{len(t['processes']) + 1}"
                    t["processes"][pid] = process
                start = int(sp["startTimeUnixNano"]) // 1000
                span_tags = otlp_tags(sp.get("attributes"))
                span_tags.append(tag("span.kind", KINDS.get(sp.get("kind", 1), "internal")))
                status = sp.get("status", {})
                if status.get("code") == 2:
                    span_tags += [tag("otel.status_code", "ERROR"), tag("error", True),
                                  tag("otel.status_description", status.get("message", ""))]
                events = [{"timestamp": int(e["timeUnixNano"]) // 1000,
                           "fields": [tag("event", e.get("name", ""))] + otlp_tags(e.get("attributes"))}
                          for e in sp.get("events", [])]
                t["spans"].append(span(trace_id, sp["spanId"].lower(), sp["name"],
                                       sp.get("parentSpanId", "").lower() or None, start,
                                       int(sp["endTimeUnixNano"]) // 1000 - start, pid,
                                       span_tags, events))


def ingest_logs(request):
    for rl in request.get("resourceLogs", []):
        tags = otlp_tags(rl.get("resource", {}).get("attributes"))
        service = next((t["value"] for t in tags if t["key"] == "service.name"), "unknown")
        for sl in rl.get("scopeLogs", []):
            for r in sl.get("logRecords", []):
                entry = log(max(l["id"] for l in LOGS) + 1, r.get("traceId", "").lower(),
                            r.get("spanId", "").lower(), int(r["timeUnixNano"]) // 1000,
                            r.get("severityNumber", 0), r.get("severityText", ""),
                            otlp_value(r.get("body", {})), service)
                entry["attributes"] = otlp_tags(r.get("attributes"))
                LOGS.append(entry)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.path == "/v1/traces":
            ingest_traces(body)
        elif self.path == "/v1/logs":
            ingest_logs(body)
        else:
            return self.send_json({"error": "not found"}, 404)
        self.send_json({})

    def send_json(self, obj, status=200):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def envelope(self, data, status=200, error=None):
        self.send_json({"data": data, "total": len(data) if isinstance(data, list) else 0,
                        "limit": 0, "offset": 0,
                        "errors": [{"code": status, "msg": error}] if error else None}, status)

    def do_GET(self):
        url = urlparse(self.path)
        path, q = unquote(url.path), {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = path.strip("/").split("/")
        if path == "/api/services":
            return self.envelope(sorted({p["serviceName"] for t in TRACES.values()
                                         for p in t["processes"].values()}))
        if len(parts) == 4 and parts[:2] == ["api", "services"] and parts[3] == "operations":
            return self.envelope(sorted({s["operationName"] for t in TRACES.values()
                                         for s in t["spans"]
                                         if t["processes"][s["processID"]]["serviceName"] == parts[2]}))
        if path == "/api/traces":
            svc = q.get("service")
            found = [t for t in TRACES.values()
                     if not svc or any(p["serviceName"] == svc for p in t["processes"].values())]
            return self.envelope(found)
        if len(parts) == 3 and parts[:2] == ["api", "traces"]:
            t = TRACES.get(parts[2])
            return self.envelope([t]) if t else self.envelope(None, 404, "trace not found")
        if len(parts) == 5 and parts[:3] == ["api", "v1", "traces"] and parts[4] == "logs":
            return self.send_json({"data": sorted([l for l in LOGS if l["traceID"] == parts[3]],
                                                  key=lambda l: l["timestamp"])})
        if path == "/api/v1/logs":
            found = [l for l in sorted(LOGS, key=lambda l: -l["id"])
                     if q.get("q", "") in l["body"]
                     and (not q.get("traceID") or l["traceID"] == q["traceID"])
                     and (not q.get("service") or l["service"] == q["service"])]
            if q.get("before"):
                found = [l for l in found if l["id"] < int(q["before"])]
            limit = int(q.get("limit", 100))
            page = found[:limit]
            return self.send_json({"data": page, "next_before": page[-1]["id"]
                                   if len(found) > limit else None})
        if path == "/api/v1/live":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            seq = 0
            try:
                while True:
                    seq += 1
                    t = list(TRACES.values())[seq % 2]
                    s = summary(seq, t)
                    s["traceID"] = t["traceID"] if seq < 3 else f"{seq:032x}"
                    self.wfile.write(f"event: trace\ndata: {json.dumps(s)}\n\n".encode())
                    if q.get("logs") != "0":
                        self.wfile.write(f"event: log\ndata: {json.dumps(LOGS[seq % 3])}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(2)
            except (BrokenPipeError, ConnectionResetError):
                return
        if path.startswith("/api/"):
            return self.envelope(None, 404, "no such endpoint")
        name = path.lstrip("/") or "index.html"
        file = os.path.normpath(os.path.join(STATIC, name))
        if not file.startswith(os.path.normpath(STATIC)) or not os.path.isfile(file):
            file = os.path.join(STATIC, "index.html")
        with open(file, "rb") as f:
            body = f.read()
        ctype = mimetypes.guess_type(file)[0] or "application/octet-stream"
        if file.endswith(".js"):
            ctype = "text/javascript"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    print(f"mock viewer API on http://127.0.0.1:{port}/", flush=True)
    # The line edgetraced writes when ready, so tests' process helpers find the ports.
    print(f"mock edgetraced started; OTLP/HTTP on port {port}; UI on port {port}",
          file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server.serve_forever()
