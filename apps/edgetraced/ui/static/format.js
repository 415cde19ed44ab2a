// Number and time formatting. Durations are microseconds (the Jaeger API's unit).

const UNITS = [
  {div: 1, name: "µs"},
  {div: 1e3, name: "ms"},
  {div: 1e6, name: "s"},
];

// Three significant digits: 850µs, 12.4ms, 1.25s, 120s; 0 -> "0µs".
export function formatDuration(us) {
  if (!Number.isFinite(us)) return "–";
  if (us === 0) return "0µs";
  const sign = us < 0 ? "-" : "";
  const abs = Math.abs(us);
  let unit = 0;
  while (unit + 1 < UNITS.length && abs >= UNITS[unit + 1].div) unit++;
  let text = (abs / UNITS[unit].div).toPrecision(3);
  // 999.7µs rounds to "1.00e+3": say 1.00ms instead.
  if (Number(text) >= 1000 && unit + 1 < UNITS.length) {
    unit++;
    text = (abs / UNITS[unit].div).toPrecision(3);
  }
  if (text.includes("e")) text = String(Math.round(abs / UNITS[unit].div));
  return sign + text + UNITS[unit].name;
}

function pad(n, width = 2) {
  return String(n).padStart(width, "0");
}

// Local wall-clock time with milliseconds: "2026-12-03 10:53:28.123".
export function formatTime(us) {
  if (!Number.isFinite(us)) return "–";
  const d = new Date(us / 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
         `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.` +
         `${pad(d.getMilliseconds(), 3)}`;
}

// "3m ago", "2h ago" for result lists.
export function formatAgo(us, nowMs = Date.now()) {
  const s = Math.max(0, Math.round((nowMs - us / 1000) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

// A tag's value as text (binary and objects as JSON).
export function tagValue(tag) {
  const v = tag.value;
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

export const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"];

// OpenTelemetry severity numbers: 1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error,
// 21-24 fatal.
export function levelName(log) {
  const n = log.severityNumber;
  if (n >= 1 && n <= 24) return LEVELS[Math.floor((n - 1) / 4)];
  const text = String(log.severityText || "").toLowerCase();
  return LEVELS.find((l) => text.startsWith(l)) || "info";
}
