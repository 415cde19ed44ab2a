// DOM building without innerHTML: every piece of data becomes a text node or an attribute,
// so nothing the daemon returns is ever parsed as markup.

// el("div", {class: "x", "data-testid": "y", onclick: fn}, "text", childNode, [more])
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";
export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node, attrs) {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "style" && typeof value === "object") {
      for (const [prop, v] of Object.entries(value)) node.style.setProperty(prop, v);
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

// A hue for a service name, stable across pages.
export function serviceHue(name) {
  let h = 0;
  for (const c of String(name)) h = (h * 31 + c.codePointAt(0)) >>> 0;
  return h % 360;
}

export function serviceBadge(name) {
  return el("span", {class: "svc", style: {"--svc-hue": String(serviceHue(name))}}, name);
}

// A link handled by the client-side router (app.js intercepts clicks on a[href^="/"]).
export function link(href, attrs, ...children) {
  return el("a", {href, ...attrs}, ...children);
}

export function errorBox(message) {
  return el("p", {class: "error-box", role: "alert", "data-testid": "error"}, message);
}
