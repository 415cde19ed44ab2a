// The edgetrace viewer: a single-page app with client-side routes (history API).
//   /search (and /)  trace search         /trace/<id>[?span=<spanID>]  one trace
//   /logs            log search           /live                        live tail
// Each page module exports render(main, params, signal) and may return a cleanup function.
import {errorBox} from "./dom.js";
import {navigate} from "./nav.js";
import * as live from "./live.js";
import * as logs from "./logs.js";
import * as search from "./search.js";
import * as trace from "./trace.js";

const main = document.getElementById("main");
let current = null;  // {abort: AbortController, cleanup}
const TITLES = {search: "Find traces", trace: "Trace", logs: "Logs", live: "Live"};

function route(pathname) {
  const m = pathname.match(/^\/trace\/([0-9a-fA-F]+)\/?$/);
  if (m) return {page: trace, name: "trace", id: m[1].toLowerCase()};
  if (pathname === "/logs") return {page: logs, name: "logs"};
  if (pathname === "/live") return {page: live, name: "live"};
  return {page: search, name: "search"};
}

async function render() {
  if (current) {
    current.abort.abort();
    if (typeof current.cleanup === "function") current.cleanup();
  }
  const abort = new AbortController();
  current = {abort, cleanup: null};
  const r = route(location.pathname);
  document.body.dataset.page = r.name;
  document.title = `${TITLES[r.name]} · edgetrace`;
  for (const a of document.querySelectorAll("header nav a")) {
    const active = a.getAttribute("href") === "/" + r.name;
    if (active) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  main.replaceChildren();
  try {
    const cleanup = await r.page.render(main, {
      id: r.id,
      query: new URLSearchParams(location.search),
      signal: abort.signal,
    });
    if (!abort.signal.aborted) current.cleanup = cleanup;
    else if (typeof cleanup === "function") cleanup();
  } catch (e) {
    if (!abort.signal.aborted) main.append(errorBox(e.message));
  }
}

window.addEventListener("et:navigate", render);

document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
      event.shiftKey || event.altKey) {
    return;
  }
  const a = event.target.closest("a[href]");
  if (!a || a.target || a.hasAttribute("download")) return;
  // SVG anchors have no string href property: read the attribute.
  const url = new URL(a.getAttribute("href"), location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});

window.addEventListener("popstate", render);

// Space opens a result link as Enter does (links only react to Enter by themselves).
document.addEventListener("keydown", (event) => {
  if (event.key !== " " || !(event.target instanceof HTMLAnchorElement)) return;
  if (!event.target.matches("[data-testid=trace-result], [data-testid=live-trace]")) return;
  event.preventDefault();
  event.target.click();
});

// "/" focuses the page's search field unless typing in a field already.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const t = event.target;
  if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement ||
      t instanceof HTMLSelectElement || (t && t.isContentEditable)) {
    return;
  }
  const field = document.querySelector("[data-search-focus]");
  if (field) {
    event.preventDefault();
    field.focus();
    if (field.select) field.select();
  }
});

render();
