// One trace: a header, the waterfall (a collapsible span tree on a time axis, with the
// trace's logs as markers on their spans' rows), the selected span's details, and the logs
// ordered by time, each linked to its span.
//
// The waterfall is an ARIA tree of flat rows (role=treeitem with aria-level): one tab stop
// (the selected row); Up/Down move, Left collapses or goes to the parent, Right expands or
// goes to the first child, Home/End, Enter/Space select, "*" expands everything.
import * as api from "./api.js";
import {append, clear, el, errorBox, link, serviceBadge, serviceHue} from "./dom.js";
import {formatDuration, formatTime, levelName, tagValue} from "./format.js";
import {buildTree, deviceContext} from "./model.js";

const TICKS = 5;

export async function render(main, {id, query, signal}) {
  main.append(el("p", {class: "empty", "data-testid": "trace-loading"}, `Loading trace ${id}…`));
  const [trace, logs] = await Promise.all([
    api.trace(id),
    api.traceLogs(id).catch((e) => ({error: e.message})),
  ]);
  if (signal.aborted) return;
  main.replaceChildren();
  new TraceView(main, trace, logs, query.get("span"));
}

class TraceView {
  constructor(main, trace, logs, selectedId) {
    this.trace = trace;
    this.tree = buildTree(trace);
    this.logs = Array.isArray(logs) ? [...logs].sort((a, b) => a.timestamp - b.timestamp) : [];
    this.logsError = Array.isArray(logs) ? null : logs.error;
    this.collapsed = new Set();
    this.rows = new Map();  // spanID -> row element
    this.selected = null;

    const t = this.tree;
    document.title = `${t.root ? t.root.span.operationName : trace.traceID} · edgetrace`;
    this.details = el("aside", {class: "details", "aria-label": "Span details",
                                "data-testid": "span-details"},
                      el("p", {class: "empty"}, "Select a span to see its details."));
    this.treeBox = el("div", {class: "waterfall-rows", role: "tree",
                              "aria-label": "Spans of the trace", "data-testid": "waterfall"});
    main.append(
        this.header(),
        el("div", {class: "trace-body"},
           el("section", {class: "waterfall", "aria-label": "Waterfall"},
              this.toolbar(), this.axis(), this.treeBox),
           this.details),
        this.logSection());
    for (const node of t.spans) this.treeBox.append(this.row(node));
    this.treeBox.addEventListener("keydown", (e) => this.onKey(e));
    this.refreshVisibility();
    const initial = (selectedId && t.byId.get(selectedId)) || null;
    if (initial) {
      this.select(initial, {focus: true, scroll: true});
    } else if (t.spans.length) {
      this.rows.get(t.spans[0].id).tabIndex = 0;  // the tree's tab stop before any selection
    }
  }

  header() {
    const t = this.tree;
    const root = t.root;
    return el("header", {class: "trace-header", "data-testid": "trace-header"},
              el("h1", {},
                 root ? serviceBadge(root.process.serviceName) : null, " ",
                 el("span", {"data-testid": "trace-title"},
                    root ? root.span.operationName : "(no spans)")),
              el("dl", {class: "facts"},
                 fact("Trace id", el("code", {"data-testid": "trace-id"}, this.trace.traceID)),
                 fact("Started", formatTime(t.start)),
                 fact("Duration", el("span", {"data-testid": "trace-total-duration"},
                                     formatDuration(t.duration))),
                 fact("Spans", el("span", {"data-testid": "trace-span-total"},
                                  String(t.spans.length))),
                 fact("Services", el("span", {"data-testid": "trace-services"},
                                     t.services.map((s) => serviceBadge(s)))),
                 t.errors ? fact("Errors", el("span", {class: "err-text"}, String(t.errors)))
                          : null,
                 fact("Logs", String(this.logs.length))),
              (this.trace.warnings || []).length
                  ? el("ul", {class: "warnings"}, this.trace.warnings.map((w) => el("li", {}, w)))
                  : null);
  }

  toolbar() {
    return el("div", {class: "toolbar"},
              el("button", {type: "button", "data-testid": "expand-all",
                            onclick: () => this.setAll(false)}, "Expand all"),
              el("button", {type: "button", "data-testid": "collapse-all",
                            onclick: () => this.setAll(true)}, "Collapse all"),
              el("span", {class: "hint"},
                 "↑↓ move · ←→ collapse/expand · Enter select · * expand all"));
  }

  axis() {
    const ticks = [];
    for (let i = 0; i <= TICKS; i++) {
      const pct = (100 * i) / TICKS;
      ticks.push(el("span", {class: "tick" + (i === TICKS ? " last" : ""),
                             style: {left: `${pct}%`}},
                    formatDuration((this.tree.duration * i) / TICKS)));
    }
    return el("div", {class: "axis-row", "aria-hidden": "true"},
              el("div", {class: "name-col"}, "Service · operation"),
              el("div", {class: "time-col axis", "data-testid": "time-axis"}, ticks));
  }

  pct(us) {
    return this.tree.duration > 0 ? (100 * (us - this.tree.start)) / this.tree.duration : 0;
  }

  row(node) {
    const s = node.span;
    const name = node.process.serviceName;
    const left = this.pct(s.startTime);
    const width = this.tree.duration > 0 ? (100 * s.duration) / this.tree.duration : 100;
    const duration = formatDuration(s.duration);
    const hasChildren = node.children.length > 0;
    const toggle = el("span", {class: "toggle", "aria-hidden": "true",
                               "data-testid": hasChildren ? "span-toggle" : null},
                      hasChildren ? "▾" : "");
    if (hasChildren) {
      toggle.addEventListener("click", (e) => {
        e.stopPropagation();
        this.setCollapsed(node, !this.collapsed.has(node.id));
      });
    }
    const markers = [];
    for (const log of this.logs) {
      if (log.spanID !== node.id) continue;
      const lvl = levelName(log);
      markers.push(el("span", {class: `log-marker lvl-${lvl}`, "data-testid": "span-log-marker",
                               title: `${log.severityText || lvl}: ${log.body}`,
                               style: {left: `${this.pct(log.timestamp)}%`}}));
    }
    for (const ev of s.logs || []) {
      markers.push(el("span", {class: "event-marker", title: eventName(ev),
                               style: {left: `${this.pct(ev.timestamp)}%`}}));
    }
    // The duration label: inside a wide bar, else after it, or before it near the right edge.
    const labelPlace = width >= 15 ? "in-bar" : left + width > 85 ? "before" : "after";
    const labelStyle = labelPlace === "after" ? {left: `${left + width}%`}
                     : labelPlace === "before" ? {right: `${100 - left}%`}
                     : {right: `${Math.max(0, 100 - left - width)}%`};
    const row = el("div", {
      class: "span-row" + (node.error ? " has-error" : ""),
      role: "treeitem",
      "aria-level": node.level,
      "aria-expanded": hasChildren ? "true" : null,
      "aria-selected": "false",
      "aria-label": `${name} ${s.operationName}, ${duration}` +
                    `${node.error ? ", error" : ""}`,
      tabindex: -1,
      "data-testid": "span-row",
      "data-span-id": node.id,
      "data-level": node.level,
      style: {"--svc-hue": String(serviceHue(name))},
    },
        el("div", {class: "name-col", style: {"padding-left": `${(node.level - 1) * 14 + 4}px`}},
           toggle,
           node.error ? el("span", {class: "err-mark", title: "error"}, "!") : null,
           el("span", {class: "svc-dot", "aria-hidden": "true"}),
           el("span", {class: "row-service"}, name), " ",
           el("span", {class: "row-name", "data-testid": "span-name"}, s.operationName)),
        el("div", {class: "time-col"},
           el("span", {class: "bar", "data-testid": "span-bar",
                       style: {left: `${left}%`, width: `max(2px, ${width}%)`}}),
           markers,
           el("span", {class: `bar-label ${labelPlace}`, "data-testid": "span-duration",
                       style: labelStyle},
              duration)));
    row.addEventListener("click", () => this.select(node, {focus: true}));
    this.rows.set(node.id, row);
    return row;
  }

  isHidden(node) {
    for (let p = node.parent; p; p = p.parent) {
      if (this.collapsed.has(p.id)) return true;
    }
    return false;
  }

  refreshVisibility() {
    for (const node of this.tree.spans) {
      const row = this.rows.get(node.id);
      row.hidden = this.isHidden(node);
      if (node.children.length) {
        const open = !this.collapsed.has(node.id);
        row.setAttribute("aria-expanded", String(open));
        row.querySelector(".toggle").textContent = open ? "▾" : "▸";
      }
    }
  }

  setCollapsed(node, collapsed) {
    if (!node.children.length) return;
    if (collapsed) this.collapsed.add(node.id);
    else this.collapsed.delete(node.id);
    this.refreshVisibility();
    // The selection may have gone into a collapsed subtree: move it up to the visible node.
    if (this.selected && this.isHidden(this.selected)) this.select(node, {focus: true});
  }

  setAll(collapsed) {
    this.collapsed.clear();
    if (collapsed) {
      for (const n of this.tree.spans) if (n.children.length) this.collapsed.add(n.id);
    }
    this.refreshVisibility();
    if (this.selected && this.isHidden(this.selected)) {
      let top = this.selected;
      while (top.parent) top = top.parent;
      this.select(top, {focus: false});
    }
  }

  visible() {
    return this.tree.spans.filter((n) => !this.rows.get(n.id).hidden);
  }

  // Selects `node`: one tab stop, aria-selected, the details panel, the span in the URL.
  select(node, {focus = false, scroll = false} = {}) {
    for (let p = node.parent; p; p = p.parent) this.collapsed.delete(p.id);
    this.refreshVisibility();
    if (this.selected) {
      const old = this.rows.get(this.selected.id);
      old.setAttribute("aria-selected", "false");
      old.tabIndex = -1;
    }
    for (const r of this.rows.values()) r.tabIndex = -1;
    this.selected = node;
    const row = this.rows.get(node.id);
    row.setAttribute("aria-selected", "true");
    row.tabIndex = 0;
    if (focus) row.focus({preventScroll: !scroll});
    if (scroll) row.scrollIntoView({block: "center"});
    else if (focus) row.scrollIntoView({block: "nearest"});
    this.showDetails(node);
    for (const li of document.querySelectorAll("[data-testid=trace-log]")) {
      li.classList.toggle("of-selected", li.dataset.spanId === node.id);
    }
    const url = new URL(location.href);
    url.searchParams.set("span", node.id);
    history.replaceState(null, "", url.pathname + url.search);
  }

  onKey(e) {
    const rows = this.visible();
    const current = this.selected && !this.rows.get(this.selected.id).hidden
                        ? this.selected
                        : rows.find((n) => this.rows.get(n.id) === document.activeElement) ||
                              rows[0];
    if (!current) return;
    const i = rows.indexOf(current);
    const go = (n) => { if (n) this.select(n, {focus: true}); };
    switch (e.key) {
      case "ArrowDown": go(rows[i + 1]); break;
      case "ArrowUp": go(rows[i - 1]); break;
      case "Home": go(rows[0]); break;
      case "End": go(rows[rows.length - 1]); break;
      case "ArrowLeft":
        if (current.children.length && !this.collapsed.has(current.id)) {
          this.setCollapsed(current, true);
        } else {
          go(current.parent);
        }
        break;
      case "ArrowRight":
        if (current.children.length && this.collapsed.has(current.id)) {
          this.setCollapsed(current, false);
        } else {
          go(current.children[0]);
        }
        break;
      case "Enter":
      case " ":
        go(current);
        break;
      case "*":
        this.setAll(false);
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  showDetails(node) {
    const s = node.span;
    const tags = s.tags || [];
    const context = deviceContext(node.process);
    const links = (s.references || []).filter((r) => r.refType !== "CHILD_OF" ||
                                                     !this.tree.byId.has(r.spanID));
    const spanLogs = this.logs.filter((l) => l.spanID === node.id);
    append(clear(this.details), [
        el("h2", {"data-testid": "details-name"}, s.operationName),
        el("dl", {class: "facts"},
           fact("Service", serviceBadge(node.process.serviceName)),
           fact("Duration", el("span", {"data-testid": "details-duration"},
                               formatDuration(s.duration))),
           fact("Start", `+${formatDuration(s.startTime - this.tree.start)}`),
           fact("Span id", el("code", {"data-testid": "details-span-id"}, s.spanID)),
           node.parent ? fact("Parent", el("code", {}, node.parent.id)) : null),
        context.length
            ? el("section", {class: "device-context", "aria-label": "Device context",
                             "data-testid": "device-context"},
                 el("h3", {}, "Device"),
                 el("dl", {class: "facts"},
                    context.map((c) => fact(c.label, el("code", {"data-key": c.key,
                                                                 title: c.key},
                                                        tagValue(c))))))
            : null,
        section("Attributes", "details-tags", tagTable(tags)),
        section(`Events (${(s.logs || []).length})`, "details-events",
                (s.logs || []).length
                    ? el("ol", {class: "events"},
                         s.logs.map((ev) => el("li", {},
                             el("span", {class: "offset"},
                                `+${formatDuration(ev.timestamp - s.startTime)}`), " ",
                             el("strong", {}, eventName(ev)),
                             tagTable((ev.fields || []).filter((f) => f.key !== "event")))))
                    : el("p", {class: "empty"}, "none")),
        links.length
            ? section("Links", "details-links",
                      el("ul", {},
                         links.map((r) => el("li", {},
                             el("span", {class: "ref-type"}, r.refType), " ",
                             link(`/trace/${r.traceID}?span=${r.spanID}`,
                                  {"data-testid": "span-link"},
                                  r.traceID === this.trace.traceID ? `span ${r.spanID}`
                                                                   : `trace ${r.traceID}`)))))
            : null,
        spanLogs.length
            ? section(`Logs (${spanLogs.length})`, "details-logs",
                      el("ol", {class: "log-list compact"},
                         spanLogs.map((l) => logLine(l, this.tree.start, null))))
            : null,
        section("Resource", "details-resource",
                tagTable([{key: "service.name", type: "string",
                           value: node.process.serviceName},
                          ...(node.process.tags || [])]))]);
  }

  logSection() {
    const list = el("ol", {class: "log-list", "data-testid": "trace-logs"});
    for (const log of this.logs) {
      const node = log.spanID ? this.tree.byId.get(log.spanID) : null;
      list.append(logLine(log, this.tree.start, node ? () => {
        this.select(node, {focus: true, scroll: true});
      } : null, node));
    }
    return el("section", {class: "trace-log-section", "aria-label": "Logs of the trace"},
              el("h2", {}, `Logs (${this.logs.length})`),
              this.logsError ? errorBox(`logs: ${this.logsError}`) : null,
              this.logs.length ? list : el("p", {class: "empty"}, "No logs in this trace."));
  }
}

function eventName(ev) {
  const f = (ev.fields || []).find((x) => x.key === "event");
  return f ? String(f.value) : "event";
}

function fact(label, value) {
  return [el("dt", {}, label), el("dd", {}, value)];
}

function section(title, testid, body) {
  return el("section", {class: "detail-section", "data-testid": testid}, el("h3", {}, title),
            body);
}

function tagTable(tags) {
  if (!tags.length) return el("p", {class: "empty"}, "none");
  return el("table", {class: "tags"},
            el("tbody", {}, tags.map((t) => el("tr", {},
                el("th", {scope: "row"}, t.key),
                el("td", {class: `t-${t.type || "string"}`}, tagValue(t))))));
}

// One log line: offset in the trace, level, body; `onSpan` makes the span name a button.
function logLine(log, traceStart, onSpan, node) {
  const lvl = levelName(log);
  return el("li", {class: `log-line lvl-${lvl}`, "data-testid": "trace-log",
                   "data-span-id": log.spanID || ""},
            el("span", {class: "offset", title: formatTime(log.timestamp)},
               `+${formatDuration(log.timestamp - traceStart)}`),
            el("span", {class: `level lvl-${lvl}`}, (log.severityText || lvl).toUpperCase()),
            el("span", {class: "log-body"}, log.body),
            onSpan
                ? el("button", {type: "button", class: "span-ref", "data-testid": "log-span-link",
                                "aria-label": `show span ${node.span.operationName}`,
                                onclick: onSpan},
                     `↳ ${node.span.operationName}`)
                : null);
}
