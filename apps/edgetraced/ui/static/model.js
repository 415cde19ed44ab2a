// Jaeger traces as the viewer needs them: a span tree, the trace's extent, its root.

export function isErrorSpan(span) {
  return (span.tags || []).some(
      (t) => (t.key === "error" && (t.value === true || t.value === "true")) ||
             (t.key === "otel.status_code" && t.value === "ERROR"));
}

// {spans: [node...] in tree (depth-first) order, byId, roots, start, end, duration,
//  services, root, errors}; node = {span, id, parent, children, level, process, error}
export function buildTree(trace) {
  const byId = new Map();
  for (const span of trace.spans || []) {
    byId.set(span.spanID, {
      span,
      id: span.spanID,
      parent: null,
      children: [],
      level: 1,
      process: (trace.processes || {})[span.processID] || {serviceName: "?", tags: []},
      error: isErrorSpan(span),
    });
  }
  const roots = [];
  for (const node of byId.values()) {
    const ref = (node.span.references || []).find(
        (r) => r.refType === "CHILD_OF" && r.spanID !== node.id && byId.has(r.spanID));
    if (ref) {
      node.parent = byId.get(ref.spanID);
      node.parent.children.push(node);
    } else {
      roots.push(node);
    }
  }
  const byStart = (a, b) => a.span.startTime - b.span.startTime || a.id.localeCompare(b.id);
  roots.sort(byStart);
  const ordered = [];
  // Iterative depth-first walk: a malformed trace with a parent cycle has no root and is
  // never reached here; those spans are appended as roots afterwards.
  const seen = new Set();
  const visit = (root) => {
    const stack = [[root, 1]];
    while (stack.length) {
      const [node, level] = stack.pop();
      if (seen.has(node)) continue;
      seen.add(node);
      node.level = level;
      ordered.push(node);
      node.children.sort(byStart);
      for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i], level + 1]);
    }
  };
  roots.forEach(visit);
  for (const node of byId.values()) {
    if (!seen.has(node)) {
      node.parent = null;
      roots.push(node);
      visit(node);
    }
  }
  let start = Infinity;
  let end = -Infinity;
  for (const node of ordered) {
    start = Math.min(start, node.span.startTime);
    end = Math.max(end, node.span.startTime + node.span.duration);
  }
  if (!ordered.length) start = end = 0;
  const services = [...new Set(ordered.map((n) => n.process.serviceName))].sort();
  return {
    spans: ordered,
    byId,
    roots,
    start,
    end,
    duration: end - start,
    services,
    root: roots[0] || null,
    errors: ordered.filter((n) => n.error).length,
  };
}

// The one-line summary a result list shows.
export function summarize(trace) {
  const tree = buildTree(trace);
  return {
    traceID: trace.traceID,
    rootName: tree.root ? tree.root.span.operationName : "(no spans)",
    service: tree.root ? tree.root.process.serviceName : "",
    services: tree.services,
    spanCount: tree.spans.length,
    startTime: tree.start,
    duration: tree.duration,
    error: tree.errors > 0,
  };
}

export const DEVICE_KEYS = [
  {key: "device.id", label: "Device"},
  {key: "edgetrace.device.boot_counter", label: "Boot"},
  {key: "service.version", label: "Firmware version"},
  {key: "process.executable.build_id.gnu", label: "Build id"},
  {key: "edgetrace.stream.format", label: "Stream format"},
];

// The device context of a process: [{key, label, value}], empty for an ordinary service.
export function deviceContext(process) {
  const tags = (process && process.tags) || [];
  const has = (k) => tags.some((t) => t.key === k);
  if (!has("device.id") && !has("edgetrace.device.boot_counter") &&
      !has("process.executable.build_id.gnu")) {
    return [];
  }
  const out = [];
  for (const {key, label} of DEVICE_KEYS) {
    const tag = tags.find((t) => t.key === key);
    if (tag) out.push({key, label, value: tag.value});
  }
  return out;
}
