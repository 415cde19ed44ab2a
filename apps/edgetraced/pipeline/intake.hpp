// Intake: where OTLP requests from the network enter the pipeline (the OTLP/HTTP and
// OTLP/gRPC receivers, the browser proxy in queue mode). One call runs the pipeline's
// processors on the request, in place, and appends what is left to the durable queue.
//
//   QueueIntake intake(processors, queue);
//   otlp::TraceRequest request = ...;               // decoded from the body
//   IntakeResult r = intake.accept(request);
//   if (r.status.ok()) ...                          // persisted: answer 200 (partial
//                                                   // success when r.rejected > 0)
//   else if (r.status.code() == core::StatusCode::kResourceExhausted) ...  // 429 / RETRY
//   else ...                                        // kUnavailable: 503 (stopping)
//
// A request that no processor would change is better kept as the bytes it arrived in: the
// receiver checks them (otlp::scan_protobuf) instead of decoding, and accept_protobuf()
// appends them to the queue as they are (no decode, no encode). takes_protobuf() says when.
//
// Thread-safety: accept() and accept_protobuf() from any number of threads at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "edgetrace/core/result.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "edgetrace/otlp/exporter_options.hpp"

namespace edgetrace::daemon {

class Processors;
class TelemetryQueue;

struct IntakeResult {
  // OK: what was kept is in the queue's files. kResourceExhausted: the queue is full (the
  // sender should retry later); kUnavailable: the daemon is stopping; other codes: an I/O
  // error of the queue. Nothing of the request was persisted unless OK.
  core::Status status;
  // Items (spans, log records, data points) refused by a processor (rate caps, invalid
  // data): reported to the sender as a partial success. Items dropped by sampling are not
  // refusals and are not counted here.
  std::uint64_t rejected = 0;
  // Why items were refused, for the partial-success error_message ("" when none were).
  std::string message;
  // Items kept and persisted.
  std::uint64_t accepted = 0;
};

class Intake {
 public:
  virtual ~Intake() = default;
  virtual IntakeResult accept(otlp::TraceRequest& request) = 0;
  virtual IntakeResult accept(otlp::LogsRequest& request) = 0;
  virtual IntakeResult accept(otlp::MetricsRequest& request) = 0;

  // Whether requests of `signal` may be handed over as their protobuf bytes: true when
  // accepting them involves no change to the request (no processor for that signal).
  virtual bool takes_protobuf(otlp::Signal signal) const {
    (void)signal;
    return false;
  }
  // Accepts a request of `signal` given as protobuf bytes that the decoder accepts (the
  // caller checked them: otlp::scan_protobuf or a decode), with `summary` of them (items;
  // for logs their highest severity). Only when takes_protobuf(signal). `bytes` is
  // borrowed for the call.
  virtual IntakeResult accept_protobuf(otlp::Signal signal, std::string_view bytes,
                                       const otlp::WireSummary& summary) {
    (void)signal;
    (void)bytes;
    (void)summary;
    IntakeResult result;
    result.status = core::Status(core::StatusCode::kInternal, "intake: takes no protobuf bytes");
    return result;
  }
};

// The processors of one pipeline, then the daemon's queue. Both borrowed; `processors` may
// be null (nothing to apply).
class QueueIntake final : public Intake {
 public:
  QueueIntake(Processors* processors, TelemetryQueue& queue)
      : processors_(processors), queue_(queue) {}
  IntakeResult accept(otlp::TraceRequest& request) override;
  IntakeResult accept(otlp::LogsRequest& request) override;
  IntakeResult accept(otlp::MetricsRequest& request) override;
  bool takes_protobuf(otlp::Signal signal) const override;
  IntakeResult accept_protobuf(otlp::Signal signal, std::string_view bytes,
                               const otlp::WireSummary& summary) override;

 private:
  Processors* processors_;
  TelemetryQueue& queue_;
};

}  // namespace edgetrace::daemon
