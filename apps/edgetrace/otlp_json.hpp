// `edgetrace decode --format otlp-json`: each log record as one OTLP/JSON
// ExportLogsServiceRequest line, each span exit as one ExportTraceServiceRequest line (the
// JSON Lines shape of the OpenTelemetry Collector's file exporter), so a capture can be
// replayed into any OTLP/HTTP-JSON endpoint with curl.
//
// Span ids: a span inside a remote (W3C) trace keeps its trace id and remote parent; a
// local trace's id is derived from (device id, boot counter, root span) and a span's id
// from (device id, boot counter, local span id), so every exit of one trace agrees
// without any state (docs/wire-format.md).
//
// Thread-safety: pure functions. Allocation: appends to `out`.
#pragma once

#include <cstdint>
#include <string>

#include "edgetrace/decoder/record.hpp"

namespace edgetrace::cli {

struct OtlpJsonContext {
  const decoder::Handshake* handshake = nullptr;  // the last handshake, or nullptr
  std::string service_name = "edgetrace-device";
  std::string format_name = "edgetrace";  // the stream format (scope name suffix)
};

// Appends one line (with '\n') for log, println and span-exit records; other records
// append nothing (a span's exit carries everything the span needs). Returns whether it
// appended.
bool append_otlp_json(const decoder::Record& record, const OtlpJsonContext& context,
                      std::string& out);

}  // namespace edgetrace::cli
