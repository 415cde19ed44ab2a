# The HTTP helpers (edgetrace/sdk/http.hpp) on what a peer sends: request line, Host,
# propagation headers, request id, and URLs given to the client helper.
et_fuzz_target(sdk_http_fuzz edgetrace::sdk)
