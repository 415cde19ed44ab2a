// Log search: text (full-text), minimum level, service, trace id; newest first, paged with
// the API's next_before cursor ("Older logs" appends the next page).
import * as api from "./api.js";
import {el, errorBox, link, serviceBadge} from "./dom.js";
import {LEVELS, formatTime, levelName, tagValue} from "./format.js";
import {navigate} from "./nav.js";

const PAGE = 100;

export async function render(main, {query, signal}) {
  const q = (k, d = "") => query.get(k) ?? d;
  const text = el("input", {type: "search", name: "q", value: q("q"), placeholder: "text in logs",
                            "aria-label": "Text", "data-testid": "logs-q",
                            "data-search-focus": true, spellcheck: "false"});
  const level = el("select", {name: "level", "aria-label": "Minimum level",
                              "data-testid": "logs-level"},
                   el("option", {value: ""}, "any level"),
                   LEVELS.map((l) => el("option", {value: l}, `≥ ${l}`)));
  level.value = q("level");
  const service = el("select", {name: "service", "aria-label": "Service",
                                "data-testid": "logs-service"},
                     el("option", {value: ""}, "all services"));
  const traceID = el("input", {type: "text", name: "traceID", value: q("traceID"), size: 34,
                               placeholder: "trace id", "aria-label": "Trace id",
                               "data-testid": "logs-trace-id", spellcheck: "false"});
  const form = el("form", {class: "logs-form", role: "search", "aria-label": "Find logs",
                           "data-testid": "logs-form"},
                  text, level, service, traceID,
                  el("button", {type: "submit", class: "primary", "data-testid": "logs-submit"},
                     "Find logs"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const [k, v] of [["q", text.value.trim()], ["level", level.value],
                          ["service", service.value], ["traceID", traceID.value.trim()]]) {
      if (v) p.set(k, v);
    }
    navigate(`/logs${p.toString() ? "?" + p : ""}`);
  });
  const list = el("ol", {class: "log-list wide", "data-testid": "logs-results",
                         "aria-label": "Logs, newest first"});
  const status = el("p", {class: "count", "aria-live": "polite", "data-testid": "logs-count"});
  const more = el("button", {type: "button", "data-testid": "logs-more", hidden: true},
                  "Older logs");
  main.append(el("h1", {}, "Logs"), form, status, list, more);

  try {
    for (const name of await api.services()) service.append(el("option", {value: name}, name));
    service.value = q("service");
  } catch (e) {
    main.insertBefore(errorBox(`services: ${e.message}`), list);
  }
  if (signal.aborted) return;

  let shown = 0;
  let before = null;
  const load = async () => {
    more.disabled = true;
    try {
      const page = await api.logs({q: q("q"), level: q("level"), service: q("service"),
                                   traceID: q("traceID"), limit: PAGE, before});
      if (signal.aborted) return;
      for (const log of page.data || []) list.append(logRow(log));
      shown += (page.data || []).length;
      before = page.next_before ?? null;
      more.hidden = before === null;
      status.textContent = `${shown} log${shown === 1 ? "" : "s"}` +
                           (before === null ? "" : " (more available)");
    } catch (e) {
      status.replaceChildren(errorBox(e.message));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener("click", load);
  await load();
}

export function logRow(log) {
  const lvl = levelName(log);
  const attrs = log.attributes || [];
  return el("li", {class: `log-line lvl-${lvl}`, "data-testid": "log-row",
                   "data-log-id": log.id},
            el("time", {class: "ts", datetime: new Date(log.timestamp / 1000).toISOString()},
               formatTime(log.timestamp)),
            el("span", {class: `level lvl-${lvl}`}, (log.severityText || lvl).toUpperCase()),
            log.service ? serviceBadge(log.service) : null,
            el("span", {class: "log-body"}, log.body),
            attrs.length
                ? el("span", {class: "log-attrs"},
                     attrs.map((a) => el("span", {class: "kv"}, `${a.key}=${tagValue(a)}`)))
                : null,
            log.traceID
                ? link(`/trace/${log.traceID}${log.spanID ? "?span=" + log.spanID : ""}`,
                       {class: "trace-ref", "data-testid": "log-trace-link",
                        "aria-label": `open trace ${log.traceID}`},
                       `trace ${log.traceID.slice(0, 8)}…`)
                : null);
}
