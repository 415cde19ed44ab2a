// A W3C Trace Context conformance service: the endpoint the w3c/trace-context test harness
// drives (test/README.md of https://github.com/w3c/trace-context).
//
//   ConformanceService service({});
//   auto server = HttpServer::listen("127.0.0.1", 5000, [&](const Request& r, const Peer& p) {
//     return service.handle(r, p);
//   }).value();
//   // python test.py http://127.0.0.1:5000/test
//
// Contract: `POST /test` with a JSON array of {"url": "<http url>", "arguments": <any JSON>}.
// For each element, in order, the service POSTs `arguments` (the exact JSON text received)
// to `url` with Content-Type application/json, as a real outgoing call of a traced service:
// the request gets a SERVER span whose parent is the incoming traceparent (tracestate kept
// when the traceparent is valid), each call a CLIENT span child of it, and the client span's
// traceparent and tracestate are injected. So a valid incoming traceparent keeps its trace id
// and gets a new parent id; an invalid one (version ff, uppercase hex, zero ids, bad length,
// duplicated header...) starts a new trace and its tracestate is dropped. When no layer
// records the spans, the incoming context is passed through unchanged.
//
// The answer is 200 with a JSON array of the status codes of the calls (0 for a call that
// failed to connect); a body that is not such an array is 400 with the parser's reason.
//
// Thread-safety: handle() may run on many threads at once; counters are atomic.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "../common/http.hpp"
#include "edgetrace/sdk/propagation.hpp"

namespace edgetrace::examples {

struct ConformanceOptions {
  sdk::Propagators propagators = sdk::Propagators::w3c();
  std::chrono::milliseconds call_timeout{5000};  // per outgoing POST
  std::size_t max_calls = 64;                    // elements accepted per /test request
};

struct ConformanceCounters {
  std::atomic<std::uint64_t> requests{0};      // POST /test received
  std::atomic<std::uint64_t> bad_requests{0};  // rejected: not a valid array of cases
  std::atomic<std::uint64_t> calls{0};         // outgoing POSTs made
  std::atomic<std::uint64_t> failed_calls{0};  // outgoing POSTs that got no response
};

class ConformanceService {
 public:
  explicit ConformanceService(ConformanceOptions options) : options_(std::move(options)) {}

  Response handle(const Request& request, const Peer& peer) const;
  const ConformanceCounters& counters() const noexcept { return counters_; }

 private:
  ConformanceOptions options_;
  mutable ConformanceCounters counters_;
};

}  // namespace edgetrace::examples
