// Navigation inside the app: pages call navigate(); app.js renders on "et:navigate".
export function navigate(url, {replace = false} = {}) {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  window.dispatchEvent(new Event("et:navigate"));
}
