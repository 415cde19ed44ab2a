// Export messages that use every field kind of the OTLP schema, for the codec tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "edgetrace/otlp/codec.hpp"

namespace edgetrace::otlp::testdata {

namespace common = opentelemetry::proto::common::v1;
namespace trace = opentelemetry::proto::trace::v1;
namespace logs = opentelemetry::proto::logs::v1;
namespace metrics = opentelemetry::proto::metrics::v1;

inline std::string bytes_of(std::initializer_list<int> values) {
  std::string s;
  for (int v : values)
    s.push_back(static_cast<char>(v));
  return s;
}

inline std::string trace_id_bytes() {
  return bytes_of({0x5b, 0x8e, 0xfF, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81,
                   0x3f, 0xc6, 0x0c});
}
inline std::string span_id_bytes() {
  return bytes_of({0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74});
}
inline std::string parent_id_bytes() {
  return bytes_of({0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x73});
}

// Adds one attribute of every AnyValue kind, nested arrays and maps included, and the
// zero value of each scalar kind (which a oneof must still carry).
inline void add_every_value_kind(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs) {
  auto add = [&](const std::string& key) {
    common::KeyValue* kv = attrs->Add();
    kv->set_key(key);
    return kv->mutable_value();
  };
  add("string")->set_string_value("héllo \"wörld\"\n\t\\ \x01 \xF0\x9F\x98\x80");
  add("string.empty")->set_string_value("");
  add("bool.true")->set_bool_value(true);
  add("bool.false")->set_bool_value(false);
  add("int")->set_int_value(-9007199254740993);  // not representable as a double
  add("int.max")->set_int_value(std::numeric_limits<std::int64_t>::max());
  add("int.min")->set_int_value(std::numeric_limits<std::int64_t>::min());
  add("int.zero")->set_int_value(0);
  add("double")->set_double_value(0.1);
  add("double.zero")->set_double_value(0.0);
  add("double.huge")->set_double_value(1.7976931348623157e308);
  add("double.tiny")->set_double_value(4.9406564584124654e-324);
  add("double.nan")->set_double_value(std::nan(""));
  add("double.inf")->set_double_value(HUGE_VAL);
  add("double.neg_inf")->set_double_value(-HUGE_VAL);
  add("bytes")->set_bytes_value(bytes_of({0x00, 0xff, 0x10, 0x80, 0x7f}));
  add("bytes.empty")->set_bytes_value("");
  add("empty");  // an AnyValue with no value set
  common::ArrayValue* array = add("array")->mutable_array_value();
  array->add_values()->set_string_value("a");
  array->add_values()->set_int_value(2);
  array->add_values()->set_double_value(3.5);
  array->add_values()->set_bool_value(true);
  array->add_values()->set_bytes_value("\x01\x02");
  array->add_values();
  add("array.empty")->mutable_array_value();
  common::KeyValueList* map = add("kvlist")->mutable_kvlist_value();
  common::KeyValue* inner = map->add_values();
  inner->set_key("nested.array");
  common::ArrayValue* nested = inner->mutable_value()->mutable_array_value();
  common::KeyValueList* deeper = nested->add_values()->mutable_kvlist_value();
  common::KeyValue* leaf = deeper->add_values();
  leaf->set_key("leaf");
  leaf->mutable_value()->set_int_value(42);
  nested->add_values()->mutable_array_value()->add_values()->set_string_value("deep");
  common::KeyValue* inner2 = map->add_values();
  inner2->set_key("nested.string");
  inner2->mutable_value()->set_string_value("x");
  add("kvlist.empty")->mutable_kvlist_value();
}

inline void fill_resource(opentelemetry::proto::resource::v1::Resource* resource) {
  common::KeyValue* kv = resource->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("checkout");
  resource->set_dropped_attributes_count(2);
  common::EntityRef* ref = resource->add_entity_refs();
  ref->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
  ref->set_type("service");
  ref->add_id_keys("service.name");
  ref->add_description_keys("service.version");
}

inline void fill_scope(common::InstrumentationScope* scope) {
  scope->set_name("edgetrace.test");
  scope->set_version("1.0.0");
  common::KeyValue* kv = scope->add_attributes();
  kv->set_key("scope.attr");
  kv->mutable_value()->set_bool_value(true);
  scope->set_dropped_attributes_count(1);
}

inline TraceRequest full_trace_request() {
  TraceRequest request;
  trace::ResourceSpans* rs = request.add_resource_spans();
  fill_resource(rs->mutable_resource());
  rs->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
  trace::ScopeSpans* ss = rs->add_scope_spans();
  fill_scope(ss->mutable_scope());
  ss->set_schema_url("https://opentelemetry.io/schemas/1.25.0");
  trace::Span* span = ss->add_spans();
  span->set_trace_id(trace_id_bytes());
  span->set_span_id(span_id_bytes());
  span->set_trace_state("vendor=value,other=1");
  span->set_parent_span_id(parent_id_bytes());
  span->set_flags(0x301);
  span->set_name("GET /api/v1/orders");
  span->set_kind(trace::Span::SPAN_KIND_SERVER);
  span->set_start_time_unix_nano(1544712660000000000ULL);
  span->set_end_time_unix_nano(std::numeric_limits<std::uint64_t>::max());
  add_every_value_kind(span->mutable_attributes());
  span->set_dropped_attributes_count(3);
  trace::Span::Event* event = span->add_events();
  event->set_time_unix_nano(1544712660500000000ULL);
  event->set_name("exception");
  common::KeyValue* ea = event->add_attributes();
  ea->set_key("exception.message");
  ea->mutable_value()->set_string_value("boom");
  event->set_dropped_attributes_count(1);
  span->add_events()->set_name("bare");
  span->set_dropped_events_count(4);
  trace::Span::Link* link = span->add_links();
  link->set_trace_id(trace_id_bytes());
  link->set_span_id(parent_id_bytes());
  link->set_trace_state("a=b");
  common::KeyValue* la = link->add_attributes();
  la->set_key("link.kind");
  la->mutable_value()->set_string_value("follows");
  link->set_dropped_attributes_count(5);
  link->set_flags(0x101);
  span->set_dropped_links_count(6);
  span->mutable_status()->set_code(trace::Status::STATUS_CODE_ERROR);
  span->mutable_status()->set_message("deadline exceeded");
  // A second span with only defaults but a status that is present and empty.
  trace::Span* minimal = ss->add_spans();
  minimal->set_name("minimal");
  minimal->mutable_status();
  // A resource with neither resource nor scope.
  request.add_resource_spans()->add_scope_spans()->add_spans()->set_kind(
      trace::Span::SPAN_KIND_CONSUMER);
  return request;
}

inline LogsRequest full_logs_request() {
  LogsRequest request;
  logs::ResourceLogs* rl = request.add_resource_logs();
  fill_resource(rl->mutable_resource());
  rl->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
  logs::ScopeLogs* sl = rl->add_scope_logs();
  fill_scope(sl->mutable_scope());
  sl->set_schema_url("s");
  // One record per body kind, the last without a body.
  google::protobuf::RepeatedPtrField<common::KeyValue> kinds;
  add_every_value_kind(&kinds);
  int i = 0;
  for (const common::KeyValue& kind : kinds) {
    logs::LogRecord* record = sl->add_log_records();
    record->set_time_unix_nano(1544712660300000000ULL + static_cast<std::uint64_t>(i));
    record->set_observed_time_unix_nano(1544712660300000001ULL);
    record->set_severity_number(static_cast<logs::SeverityNumber>(1 + i % 24));
    record->set_severity_text("WARN");
    *record->mutable_body() = kind.value();
    common::KeyValue* a = record->add_attributes();
    a->set_key("body.kind");
    a->mutable_value()->set_string_value(kind.key());
    record->set_dropped_attributes_count(7);
    record->set_flags(1);
    record->set_trace_id(trace_id_bytes());
    record->set_span_id(span_id_bytes());
    record->set_event_name(i == 0 ? "browser.page_view" : "");
    ++i;
  }
  sl->add_log_records()->set_severity_number(logs::SEVERITY_NUMBER_FATAL4);
  return request;
}

inline void add_exemplars(google::protobuf::RepeatedPtrField<metrics::Exemplar>* exemplars) {
  metrics::Exemplar* e = exemplars->Add();
  common::KeyValue* a = e->add_filtered_attributes();
  a->set_key("user.id");
  a->mutable_value()->set_int_value(7);
  e->set_time_unix_nano(1544712660300000000ULL);
  e->set_as_double(12.5);
  e->set_span_id(span_id_bytes());
  e->set_trace_id(trace_id_bytes());
  metrics::Exemplar* e2 = exemplars->Add();
  e2->set_as_int(0);  // zero, but set: the oneof must carry it
}

inline void add_point_attrs(google::protobuf::RepeatedPtrField<common::KeyValue>* attrs) {
  common::KeyValue* a = attrs->Add();
  a->set_key("http.route");
  a->mutable_value()->set_string_value("/orders");
}

inline MetricsRequest full_metrics_request() {
  MetricsRequest request;
  metrics::ResourceMetrics* rm = request.add_resource_metrics();
  fill_resource(rm->mutable_resource());
  rm->set_schema_url("https://opentelemetry.io/schemas/1.26.0");
  metrics::ScopeMetrics* sm = rm->add_scope_metrics();
  fill_scope(sm->mutable_scope());
  sm->set_schema_url("s");

  metrics::Metric* gauge = sm->add_metrics();
  gauge->set_name("system.cpu.utilization");
  gauge->set_description("CPU in use");
  gauge->set_unit("1");
  metrics::NumberDataPoint* gp = gauge->mutable_gauge()->add_data_points();
  add_point_attrs(gp->mutable_attributes());
  gp->set_time_unix_nano(1544712660300000000ULL);
  gp->set_as_double(0.0);
  add_exemplars(gp->mutable_exemplars());
  gp->set_flags(1);
  common::KeyValue* md = gauge->add_metadata();
  md->set_key("origin");
  md->mutable_value()->set_string_value("prometheus");

  metrics::Metric* sum = sm->add_metrics();
  sum->set_name("http.server.requests");
  sum->set_unit("{request}");
  metrics::Sum* s = sum->mutable_sum();
  s->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  s->set_is_monotonic(true);
  metrics::NumberDataPoint* sp = s->add_data_points();
  sp->set_start_time_unix_nano(1544712600000000000ULL);
  sp->set_time_unix_nano(1544712660300000000ULL);
  sp->set_as_int(-123456789012345LL);
  s->add_data_points()->set_as_int(std::numeric_limits<std::int64_t>::max());

  metrics::Metric* hist = sm->add_metrics();
  hist->set_name("http.server.duration");
  hist->set_unit("ms");
  metrics::Histogram* h = hist->mutable_histogram();
  h->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_DELTA);
  metrics::HistogramDataPoint* hp = h->add_data_points();
  add_point_attrs(hp->mutable_attributes());
  hp->set_start_time_unix_nano(1);
  hp->set_time_unix_nano(2);
  hp->set_count(10);
  hp->set_sum(0.0);  // optional: present even though zero
  for (std::uint64_t c : {1ULL, 2ULL, 0ULL, 7ULL})
    hp->add_bucket_counts(c);
  for (double b : {0.5, 1.0, 2.5})
    hp->add_explicit_bounds(b);
  add_exemplars(hp->mutable_exemplars());
  hp->set_flags(0);
  hp->set_min(-1.5);
  hp->set_max(99.25);
  h->add_data_points()->set_count(0);  // no sum, min or max

  metrics::Metric* exp = sm->add_metrics();
  exp->set_name("rpc.latency");
  metrics::ExponentialHistogram* e = exp->mutable_exponential_histogram();
  e->set_aggregation_temporality(metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  metrics::ExponentialHistogramDataPoint* ep = e->add_data_points();
  add_point_attrs(ep->mutable_attributes());
  ep->set_start_time_unix_nano(1);
  ep->set_time_unix_nano(2);
  ep->set_count(17);
  ep->set_sum(123.5);
  ep->set_scale(-3);
  ep->set_zero_count(2);
  ep->mutable_positive()->set_offset(-5);
  for (std::uint64_t c : {3ULL, 0ULL, 9ULL})
    ep->mutable_positive()->add_bucket_counts(c);
  ep->mutable_negative()->set_offset(4);
  ep->mutable_negative()->add_bucket_counts(3);
  ep->set_flags(1);
  add_exemplars(ep->mutable_exemplars());
  ep->set_min(0.0);
  ep->set_max(1e300);
  ep->set_zero_threshold(1e-9);

  metrics::Metric* summary = sm->add_metrics();
  summary->set_name("gc.pause");
  metrics::SummaryDataPoint* qp = summary->mutable_summary()->add_data_points();
  add_point_attrs(qp->mutable_attributes());
  qp->set_start_time_unix_nano(1);
  qp->set_time_unix_nano(2);
  qp->set_count(3);
  qp->set_sum(4.5);
  for (auto [q, v] : {std::pair{0.0, 0.5}, std::pair{0.5, 1.5}, std::pair{1.0, 2.5}}) {
    metrics::SummaryDataPoint::ValueAtQuantile* vq = qp->add_quantile_values();
    vq->set_quantile(q);
    vq->set_value(v);
  }
  qp->set_flags(1);

  sm->add_metrics()->set_name("no.data");
  return request;
}

inline TraceResponse trace_response() {
  TraceResponse r;
  r.mutable_partial_success()->set_rejected_spans(3);
  r.mutable_partial_success()->set_error_message("3 spans had an empty name");
  return r;
}
inline LogsResponse logs_response() {
  LogsResponse r;
  r.mutable_partial_success()->set_rejected_log_records(std::numeric_limits<std::int64_t>::max());
  r.mutable_partial_success()->set_error_message("too old");
  return r;
}
inline MetricsResponse metrics_response() {
  MetricsResponse r;
  r.mutable_partial_success()->set_error_message("warning: unit normalized");  // 0 rejected
  return r;
}

}  // namespace edgetrace::otlp::testdata
