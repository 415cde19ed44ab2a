// Trace search: the form (service, operation, tags, durations, time range, limit), a lookup
// by trace id, and the results as a list with a duration scatter above it. The form's state
// lives in the URL (/search?service=...), so a search can be bookmarked and shared.
import * as api from "./api.js";
import {clear, el, errorBox, link, serviceBadge, svg} from "./dom.js";
import {formatAgo, formatDuration, formatTime} from "./format.js";
import {summarize} from "./model.js";
import {navigate} from "./nav.js";

const LOOKBACKS = [
  ["15m", "Last 15 minutes"],
  ["1h", "Last hour"],
  ["6h", "Last 6 hours"],
  ["24h", "Last 24 hours"],
  ["custom", "Custom range"],
];

function field(label, control, hint) {
  return el("label", {class: "field"}, el("span", {class: "field-label"}, label), control,
            hint ? el("span", {class: "field-hint"}, hint) : null);
}

// datetime-local value <-> µs since the epoch
function toLocalInput(us) {
  const d = new Date(us / 1000 - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}
function fromLocalInput(value) {
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms * 1000 : "";
}

export async function render(main, {query, signal}) {
  const q = (k, d = "") => query.get(k) ?? d;

  const traceId = el("input", {
    type: "search", name: "traceID", placeholder: "trace id (32 hex digits)",
    "aria-label": "Trace id", autocomplete: "off", spellcheck: "false",
    "data-testid": "search-trace-id", "data-search-focus": true,
  });
  const lookup = el("form", {class: "lookup", role: "search", "aria-label": "Open a trace by id",
                             "data-testid": "lookup-form"},
                    traceId, el("button", {type: "submit", "data-testid": "lookup-submit"}, "Open"));
  lookup.addEventListener("submit", (event) => {
    event.preventDefault();
    const id = traceId.value.trim().toLowerCase();
    if (!/^[0-9a-f]{1,32}$/.test(id)) {
      traceId.setCustomValidity("a trace id is up to 32 hex digits");
      traceId.reportValidity();
      return;
    }
    navigate(`/trace/${id}`);
  });
  traceId.addEventListener("input", () => traceId.setCustomValidity(""));

  const service = el("select", {name: "service", "data-testid": "search-service"},
                     el("option", {value: ""}, "All services"));
  const operation = el("select", {name: "operation", "data-testid": "search-operation"},
                       el("option", {value: ""}, "All operations"));
  const tags = el("input", {type: "text", name: "tags", value: q("tags"),
                            placeholder: "http.status_code=500 error=true",
                            "data-testid": "search-tags", spellcheck: "false"});
  const minDuration = el("input", {type: "text", name: "minDuration", value: q("minDuration"),
                                   placeholder: "e.g. 100ms", size: 8,
                                   "data-testid": "search-min-duration"});
  const maxDuration = el("input", {type: "text", name: "maxDuration", value: q("maxDuration"),
                                   placeholder: "e.g. 1.2s", size: 8,
                                   "data-testid": "search-max-duration"});
  const lookback = el("select", {name: "lookback", "data-testid": "search-lookback"},
                      LOOKBACKS.map(([v, text]) => el("option", {value: v}, text)));
  lookback.value = q("lookback", "1h");
  const nowUs = Date.now() * 1000;
  const start = el("input", {type: "datetime-local", name: "start", "data-testid": "search-start",
                             value: toLocalInput(Number(q("start")) || nowUs - 3600e6)});
  const end = el("input", {type: "datetime-local", name: "end", "data-testid": "search-end",
                           value: toLocalInput(Number(q("end")) || nowUs)});
  const custom = el("div", {class: "custom-range"}, field("From", start), field("To", end));
  const showCustom = () => { custom.hidden = lookback.value !== "custom"; };
  lookback.addEventListener("change", showCustom);
  showCustom();
  const limit = el("input", {type: "number", name: "limit", min: 1, max: 1500,
                             value: q("limit", "20"), size: 5, "data-testid": "search-limit"});

  const form = el("form", {class: "search-form", "aria-label": "Find traces",
                           "data-testid": "search-form"},
                  field("Service", service), field("Operation", operation),
                  field("Tags", tags, "k=v, space separated"),
                  el("div", {class: "field-row"}, field("Min duration", minDuration),
                     field("Max duration", maxDuration)),
                  field("Time range", lookback), custom, field("Limit", limit),
                  el("button", {type: "submit", class: "primary", "data-testid": "search-submit"},
                     "Find traces"));

  const results = el("section", {class: "results", "aria-label": "Search results",
                                 "aria-live": "polite", "data-testid": "search-results"});
  main.append(el("div", {class: "search-page"},
                 el("aside", {class: "sidebar"}, el("h1", {}, "Find traces"), lookup, form),
                 results));

  const loadOperations = async (selected) => {
    clear(operation).append(el("option", {value: ""}, "All operations"));
    if (!service.value) return;
    try {
      for (const op of await api.operations(service.value)) {
        operation.append(el("option", {value: op}, op));
      }
      operation.value = selected || "";
    } catch (e) {
      results.replaceChildren(errorBox(`operations: ${e.message}`));
    }
  };
  service.addEventListener("change", () => loadOperations(""));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    const put = (k, v) => { if (v !== "" && v !== undefined) params.set(k, String(v)); };
    put("service", service.value);
    put("operation", operation.value);
    put("tags", tags.value.trim());
    put("minDuration", minDuration.value.trim());
    put("maxDuration", maxDuration.value.trim());
    put("lookback", lookback.value);
    if (lookback.value === "custom") {
      put("start", fromLocalInput(start.value));
      put("end", fromLocalInput(end.value));
    }
    put("limit", limit.value);
    navigate(`/search?${params}`);
  });

  try {
    const names = await api.services();
    if (signal.aborted) return;
    for (const name of names) service.append(el("option", {value: name}, name));
    service.value = names.includes(q("service")) ? q("service") : "";
    service.dataset.loaded = "true";
    await loadOperations(q("operation"));
  } catch (e) {
    results.replaceChildren(errorBox(`services: ${e.message}`));
  }
  if (signal.aborted) return;
  if (![...query.keys()].length) {
    results.replaceChildren(el("p", {class: "empty"}, "Choose a service and find its traces."));
    return;
  }
  results.replaceChildren(el("p", {class: "empty", "data-testid": "search-loading"}, "Searching…"));
  const params = {};
  for (const k of ["service", "operation", "minDuration", "maxDuration", "limit"]) {
    params[k] = q(k);
  }
  params.tags = q("tags");
  if (q("lookback") === "custom") {
    params.start = q("start");
    params.end = q("end");
  } else {
    params.lookback = q("lookback", "1h");
  }
  try {
    const traces = await api.findTraces(params);
    if (signal.aborted) return;
    showResults(results, traces.map(summarize));
  } catch (e) {
    results.replaceChildren(errorBox(e.message));
  }
}

function showResults(results, summaries) {
  summaries.sort((a, b) => b.startTime - a.startTime);
  const count = el("p", {class: "count", "data-testid": "search-count"},
                   `${summaries.length} trace${summaries.length === 1 ? "" : "s"}`);
  if (!summaries.length) {
    results.replaceChildren(count, el("p", {class: "empty"}, "No trace matches."));
    return;
  }
  const maxDuration = Math.max(1, ...summaries.map((s) => s.duration));
  const list = el("ol", {class: "trace-list", "data-testid": "trace-list"});
  for (const s of summaries) {
    const pct = Math.max(0.5, (100 * s.duration) / maxDuration);
    list.append(el("li", {},
        link(`/trace/${s.traceID}`,
             {class: "trace-result" + (s.error ? " has-error" : ""), "data-testid": "trace-result",
              "data-trace-id": s.traceID,
              "aria-label": `${s.service} ${s.rootName}, ${s.spanCount} spans, ` +
                            `${formatDuration(s.duration)}${s.error ? ", has errors" : ""}`},
             el("span", {class: "tr-title"},
                s.error ? el("span", {class: "err-mark", title: "has errors",
                                      "data-testid": "trace-error"}, "!") : null,
                serviceBadge(s.service), " ",
                el("span", {class: "tr-root", "data-testid": "trace-root"}, s.rootName)),
             el("span", {class: "tr-duration", "data-testid": "trace-duration"},
                formatDuration(s.duration)),
             el("span", {class: "tr-bar", "aria-hidden": "true"},
                el("span", {style: {width: `${pct}%`}})),
             el("span", {class: "tr-meta"},
                el("span", {"data-testid": "trace-span-count"}, `${s.spanCount} spans`),
                s.services.length > 1 ? ` · ${s.services.length} services` : "",
                " · ",
                el("time", {datetime: new Date(s.startTime / 1000).toISOString(),
                            title: formatTime(s.startTime)},
                   `${formatTime(s.startTime)} (${formatAgo(s.startTime)})`),
                " · ", el("span", {class: "tr-id"}, s.traceID.slice(0, 12))))));
  }
  // The plot in the results column's own pixels, so dots stay round.
  const width = Math.max(300, Math.round(results.clientWidth) - 18);
  results.replaceChildren(count, scatter(summaries, maxDuration, width), list);
}

// Duration against start time, one dot per trace (red: with errors), each a link.
function scatter(summaries, maxDuration, W) {
  const H = 120, P = 6;
  const t0 = Math.min(...summaries.map((s) => s.startTime));
  const t1 = Math.max(...summaries.map((s) => s.startTime));
  const x = (t) => P + (t1 === t0 ? (W - 2 * P) / 2 : ((t - t0) / (t1 - t0)) * (W - 2 * P));
  const y = (d) => H - P - (d / maxDuration) * (H - 2 * P);
  const chart = svg("svg", {viewBox: `0 0 ${W} ${H}`, class: "scatter", role: "img",
                            "aria-label": `durations of ${summaries.length} traces over time, ` +
                                          `longest ${formatDuration(maxDuration)}`,
                            "data-testid": "search-scatter"});
  chart.append(svg("line", {x1: P, y1: H - P, x2: W - P, y2: H - P, class: "axis"}));
  for (const s of summaries) {
    chart.append(svg("a", {href: `/trace/${s.traceID}`, tabindex: -1},
                     svg("circle", {cx: x(s.startTime), cy: y(s.duration), r: 4,
                                    class: s.error ? "dot err" : "dot"},
                         svg("title", {}, `${s.rootName} ${formatDuration(s.duration)}`))));
  }
  return el("figure", {class: "scatter-box"}, chart,
            el("figcaption", {}, `longest ${formatDuration(maxDuration)}`));
}
