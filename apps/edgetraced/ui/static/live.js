// Live view: traces as they get spans and, optionally, logs, from the server-sent events of
// /api/v1/live. Newest on top, at most MAX of each; pause closes the stream, resume opens it.
import {el, link, serviceBadge} from "./dom.js";
import {formatDuration, formatTime} from "./format.js";
import {logRow} from "./logs.js";

const MAX = 200;

export function render(main) {
  let source = null;
  let paused = false;
  const withLogs = el("input", {type: "checkbox", checked: true, "data-testid": "live-logs"});
  const pause = el("button", {type: "button", "aria-pressed": "false",
                              "data-testid": "live-pause"}, "Pause");
  const state = el("span", {class: "live-state", role: "status", "data-testid": "live-state"},
                   "connecting…");
  const traces = el("ol", {class: "trace-list live", "aria-label": "Traces, newest first",
                           "data-testid": "live-traces"});
  const logs = el("ol", {class: "log-list wide", "aria-label": "Logs, newest first",
                         "data-testid": "live-logs-list"});
  const logBox = el("section", {class: "live-logs"}, el("h2", {}, "Logs"), logs);
  main.append(el("h1", {}, "Live"),
              el("div", {class: "toolbar"}, pause,
                 el("label", {}, withLogs, " show logs"), state),
              el("div", {class: "live-grid"},
                 el("section", {}, el("h2", {}, "Traces"), traces), logBox));

  const byTrace = new Map();  // traceID -> li (a trace gets new spans: its entry moves up)
  const addTrace = (s) => {
    byTrace.get(s.traceID)?.remove();
    const li = el("li", {},
        link(`/trace/${s.traceID}`,
             {class: "trace-result" + (s.error ? " has-error" : ""), "data-testid": "live-trace",
              "data-trace-id": s.traceID},
             el("span", {class: "tr-title"},
                s.error ? el("span", {class: "err-mark", title: "has errors"}, "!") : null,
                serviceBadge(s.service), " ", el("span", {class: "tr-root"}, s.rootName)),
             el("span", {class: "tr-duration"}, formatDuration(s.duration)),
             el("span", {class: "tr-meta"}, `${s.spanCount} spans · ${formatTime(s.startTime)}`)));
    byTrace.set(s.traceID, li);
    traces.prepend(li);
    while (traces.children.length > MAX) {
      const last = traces.lastElementChild;
      byTrace.delete(last.querySelector("a").dataset.traceId);
      last.remove();
    }
  };
  const addLog = (log) => {
    logs.prepend(logRow(log));
    while (logs.children.length > MAX) logs.lastElementChild.remove();
  };

  const open = () => {
    source = new EventSource(withLogs.checked ? "/api/v1/live" : "/api/v1/live?logs=0");
    state.textContent = "connecting…";
    source.addEventListener("open", () => { state.textContent = "live"; });
    source.addEventListener("error", () => {
      state.textContent = source.readyState === EventSource.CLOSED ? "disconnected"
                                                                   : "reconnecting…";
    });
    source.addEventListener("trace", (e) => {
      try { addTrace(JSON.parse(e.data)); } catch { /* a malformed event is skipped */ }
    });
    source.addEventListener("log", (e) => {
      try { addLog(JSON.parse(e.data)); } catch { /* a malformed event is skipped */ }
    });
  };
  const close = () => {
    if (source) source.close();
    source = null;
  };
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(paused));
    if (paused) {
      close();
      state.textContent = "paused";
    } else {
      open();
    }
  });
  withLogs.addEventListener("change", () => {
    logBox.hidden = !withLogs.checked;
    if (!paused) {
      close();
      open();
    }
  });
  open();
  return close;
}
