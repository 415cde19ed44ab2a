// Where the example sends its telemetry, when the page's URL has no ?proxy=...&token=...
// Fill in the proxy's base URL and a token (docs/gateway.md, "Browser example").
window.edgetraceExample = {
  proxy: "",
  token: "",
};
