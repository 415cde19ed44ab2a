#!/usr/bin/env python3
"""What scripts/demo reads back from edgetraced: the spans of its OTLP/JSON file exporter.

  traces.py check OTLP_JSONL CONSOLE_TXT COMMAND_TRACES [STORE_URL] [--report]
      exit 1 if an expected trace is missing (with --report: print each as "MISSING ...")
  traces.py show OTLP_JSONL TRACE_ID
      print one trace as a tree, every service and device in it

The file has one OTLP/JSON export request per line (the Collector's file exporter format):
resourceSpans[].resource.attributes and resourceSpans[].scopeSpans[].spans[], ids in hex.
"""
import json
import sys
import urllib.request

FIRMWARE_COMMAND_TRACE = "0af7651916cd43dd8448eb211c80319c"  # firmware/main.cpp


def load(path):
    spans = {}  # span id -> span, with "_res": its resource's attributes
    try:
        lines = open(path, errors="replace").read().splitlines()
    except FileNotFoundError:
        return spans
    for line in lines:
        try:
            doc = json.loads(line)
        except ValueError:
            continue  # a line being written
        for rs in doc.get("resourceSpans", []):
            attrs = rs.get("resource", {}).get("attributes", [])
            res = {a["key"]: next(iter(a.get("value", {}).values()), "") for a in attrs}
            for ss in rs.get("scopeSpans", []):
                for s in ss.get("spans", []):
                    s["_res"] = res
                    spans[s["spanId"]] = s
    return spans


def check(spans, console, commands, store, report):
    def find(pred):
        return [s for s in spans.values() if pred(s)]

    def device(s):
        return s["_res"].get("device.id", "")

    missing = []
    for dev in ("65740001", "65740002"):
        if not find(lambda s: device(s) == dev and s["name"] == "sample"):
            missing.append(f"QEMU firmware trace of device {dev} (span 'sample')")
        if not find(lambda s: device(s) == dev and s["name"] == "handle_command"
                    and s["traceId"] == FIRMWARE_COMMAND_TRACE):
            missing.append(f"QEMU device {dev}'s remote-parent span 'handle_command'")
    if not find(lambda s: device(s).startswith("73696d00") and s["name"] == "sample"):
        missing.append("MQTT simulated device trace (span 'sample')")
    users = find(lambda s: s["_res"].get("service.name") == "http-service"
                 and s["name"] == "GET /users/{id}")
    if not [u for u in users if find(lambda s: s["traceId"] == u["traceId"]
                                     and s["name"] == "GET /profiles/{id}")]:
        missing.append("HTTP service trace (GET /users/{id} -> GET /profiles/{id})")
    if not commands:
        missing.append("a 202 answer with a trace id from POST /devices/{id}/commands/{name}")
    crossed = []
    for trace in commands:
        server = find(lambda s: s["traceId"] == trace
                      and s["name"] == "POST /devices/{id}/commands/{name}")
        producer = find(lambda s: s["traceId"] == trace
                        and s["name"] == "publish edgetrace/{device}/commands")
        handler = find(lambda s: s["traceId"] == trace and s["name"] == "handle_command"
                       and device(s).startswith("73696d00"))
        if server and producer and handler and \
                producer[0].get("parentSpanId") == server[0]["spanId"] and \
                handler[0].get("parentSpanId") == producer[0]["spanId"]:
            crossed.append(trace)
    if commands and not crossed:
        missing.append("the cross trace HTTP request -> MQTT command -> the device's "
                       f"handle_command (trace {commands[0]})")
    for name in ("sample", "GET /users/{id}", "handle_command"):
        if name not in console:
            missing.append(f"a console tree with '{name}'")
    if store and crossed:
        url = f"{store}/api/traces/{crossed[0]}"
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                body = r.read().decode()
            for name in ("handle_command", "POST /devices/{id}/commands/{name}"):
                if name not in body:
                    missing.append(f"'{name}' in the store's answer to {url}")
        except Exception as e:  # noqa: BLE001 (any failure is the finding)
            missing.append(f"the store's trace at {url} ({e})")
    if report:
        print(f"demo: {len(spans)} spans exported; command traces "
              f"{', '.join(commands) or 'none'}; crossing into a device: "
              f"{', '.join(crossed) or 'none'}")
        for m in missing:
            print(f"demo: MISSING {m}")
    return not missing


def duration(s):
    ns = int(s.get("endTimeUnixNano", 0)) - int(s.get("startTimeUnixNano", 0))
    if ns >= 1_000_000:
        return f"{ns / 1e6:.2f}ms"
    return f"{ns / 1e3:.0f}µs"


def show(spans, trace):
    mine = [s for s in spans.values() if s["traceId"] == trace]
    if not mine:
        print(f"trace {trace}: not exported yet")
        return
    children = {}
    for s in mine:
        children.setdefault(s.get("parentSpanId", ""), []).append(s)
    ids = {s["spanId"] for s in mine}
    roots = [s for s in mine if s.get("parentSpanId", "") not in ids]

    def where(s):
        res = s["_res"]
        if "device.id" in res:
            return f"device={res['device.id']}"
        return f"service={res.get('service.name', '?')}"

    def walk(s, prefix, last, top):
        branch = "" if top else ("└── " if last else "├── ")
        print(f"{prefix}{branch}{s['name']} ({duration(s)})  {where(s)}")
        kids = sorted(children.get(s["spanId"], []), key=lambda c: int(c.get("startTimeUnixNano", 0)))
        for i, c in enumerate(kids):
            walk(c, prefix + ("" if top else ("    " if last else "│   ")), i == len(kids) - 1, False)

    print(f"trace {trace}:")
    for r in sorted(roots, key=lambda c: int(c.get("startTimeUnixNano", 0))):
        walk(r, "  ", True, True)


def main(argv):
    if len(argv) >= 3 and argv[0] == "show":
        show(load(argv[1]), argv[2])
        return 0
    if len(argv) >= 4 and argv[0] == "check":
        report = "--report" in argv
        args = [a for a in argv[1:] if a != "--report"]
        console = open(args[1], errors="replace").read() if len(args) > 1 else ""
        commands = open(args[2]).read().split() if len(args) > 2 else []
        store = args[3] if len(args) > 3 else ""
        return 0 if check(load(args[0]), console, commands, store, report) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
