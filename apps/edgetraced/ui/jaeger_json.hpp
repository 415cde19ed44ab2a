// The query API's JSON: stored spans rendered in Jaeger's trace shape (what jaeger-query's
// /api/traces answers and Grafana's Jaeger data source reads), and edgetrace's own log and
// trace-summary objects (docs/query-api.md).
//
//   std::string out;
//   ui::append_jaeger_trace(out, spans);           // {"traceID":...,"spans":[...],...}
//   std::string body = ui::jaeger_envelope("[" + out + "]", 1);
//
// Where each rule comes from (Jaeger's source, github.com/jaegertracing/jaeger):
//   - field names and types: model/json/model.go (Trace, Span, Reference, Process, Log,
//     KeyValue; ValueType "string" "bool" "int64" "float64" "binary"; ReferenceType
//     "CHILD_OF" "FOLLOWS_FROM"). Empty lists are written as [] and warnings as null, as
//     jaeger-query's own answers do (cmd/query/app/fixture/otlp2jaeger-out.json).
//   - the envelope {"data","total","limit","offset","errors"} and {"code","msg"} errors:
//     cmd/query/app/http_handler.go (structuredResponse, structuredError, handleError).
//   - OTLP to Jaeger (the OpenTelemetry Collector's pkg/translator/jaeger, which jaeger-query
//     uses for OTLP data): process = resource, serviceName from service.name (absent:
//     "OTLPResourceNoServiceName"), the other resource attributes as process tags; span tags
//     in this order: otel.scope.name, otel.scope.version, the span's attributes, span.kind
//     ("client" "server" "producer" "consumer" "internal"; none when unspecified),
//     otel.status_code ("OK"/"ERROR"; none when unset), error=true (bool, ERROR only),
//     otel.status_description (when not empty); parent -> one CHILD_OF reference first,
//     each link -> FOLLOWS_FROM; each event -> a log {timestamp, fields: event=<name>
//     first, then its attributes}; arrays and maps as string tags holding their JSON;
//     bytes as "binary" with base64 (Go's encoding of []byte).
//   - times: microseconds since the epoch, durations in microseconds (model.go uint64
//     startTime/duration; nanoseconds are truncated).
//   - processIDs p1, p2, ... one per distinct resource in order of first appearance
//     (jaeger's model/converter/json process hashing yields the same dedup).
//   - flags: 1 (sampled): every stored span was recorded and sampled (docs contract).
//
// Thread-safety: pure functions. Allocation: the growth of `out`.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "store/trace_store.hpp"

namespace edgetrace::daemon::ui {

// One Jaeger trace object for the spans of one trace (any order; written as given).
void append_jaeger_trace(std::string& out, std::span<const store::StoredSpan> spans);

// {"data": <data_json>, "total": total, "limit": 0, "offset": 0, "errors": null}
std::string jaeger_envelope(std::string_view data_json, std::size_t total);
// {"data": null, "total": 0, "limit": 0, "offset": 0, "errors": [{"code": code, "msg": msg}]}
std::string jaeger_error(int code, std::string_view message);

// edgetrace's log object (see docs/query-api.md).
void append_log(std::string& out, const store::LogRow& row);
// edgetrace's trace summary object (the live view).
void append_summary(std::string& out, const store::TraceSummary& summary);

// A tag list [{"key","type","value"}...] from OTLP attributes, without `skip_key` ("" = none).
void append_tags(
    std::string& out,
    const google::protobuf::RepeatedPtrField<opentelemetry::proto::common::v1::KeyValue>&
        attributes,
    std::string_view skip_key = {});

}  // namespace edgetrace::daemon::ui
