// The OTLP layer end to end: real spans and events, exported over a socket to the fake
// OTLP receivers, decoded there and compared field by field.
#define ET_TARGET "shop::cart"
#include "edgetrace/sdk/otlp_layer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "edgetrace/core/resource.hpp"
#include "edgetrace/otlp/codec.hpp"
#include "edgetrace/otlp/exporter.hpp"
#include "edgetrace/sdk/error.hpp"
#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/layer.hpp"
#include "edgetrace/sdk/span.hpp"
#include "edgetrace/version.hpp"
#include "fake_http_receiver.hpp"
#include "internal/otlp_convert.hpp"
#include "internal/otlp_self_metrics.hpp"
#include "testing/fake_grpc_receiver.hpp"
#include "testing/silent_receiver.hpp"
#include "testing/wait.hpp"

// Counts heap allocations made by the calling thread (for the steady-state test).
namespace {
thread_local std::uint64_t t_allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  ++t_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n))
    return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ++t_allocations;
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
// GCC cannot see that this file's operator new pairs with these.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

// Call sites of other targets (ET_TARGET is read where a macro expands).
#undef ET_TARGET
#define ET_TARGET "shop::payment"
static void log_from_payment(int i) {
  ET_INFO("payment", edgetrace::field<"i">(i));
}
#undef ET_TARGET
#define ET_TARGET ""
static void log_without_target() {
  ET_WARN("no target");
}
#undef ET_TARGET
#define ET_TARGET "shop::cart"

// Not inlined, so that its frame is on the captured stack; external linkage, so that the
// test binary (linked with -rdynamic) names it.
namespace shop {
__attribute__((noinline)) void fail_payment() {
  try {
    throw std::out_of_range("no such card");
  } catch (const std::exception& e) {
    ET_ERROR("payment failed", edgetrace::sdk::error(e));
  }
}
}  // namespace shop

namespace edgetrace::sdk {
namespace {

using namespace std::chrono_literals;
using edgetrace::field;
using testing::FakeOtlpGrpcReceiver;
using testing::FakeOtlpHttpReceiver;
using testing::ReceivedRequest;
namespace pb = ::opentelemetry::proto;

std::string id_bytes(const core::TraceId& id) {
  return {reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()};
}
std::string id_bytes(const core::SpanId& id) {
  return {reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()};
}

const pb::common::v1::AnyValue* attribute(
    const google::protobuf::RepeatedPtrField<pb::common::v1::KeyValue>& attrs,
    std::string_view key) {
  for (const auto& kv : attrs)
    if (kv.key() == key)
      return &kv.value();
  return nullptr;
}

OtlpLayerOptions options_for(const FakeOtlpHttpReceiver& rx) {
  OtlpLayerOptions o;
  o.traces.endpoint = rx.url("/v1/traces");
  o.logs.endpoint = rx.url("/v1/logs");
  for (otlp::OtlpExporterOptions* e : {&o.traces, &o.logs}) {
    e->timeout = 2s;
    e->retry.initial_backoff = 10ms;
    e->retry.max_backoff = 50ms;
    e->retry.max_elapsed = 300ms;
  }
  for (otlp::BatchOptions* b : {&o.span_batch, &o.log_batch}) {
    b->schedule_delay = 1h;  // only force_flush (or a full batch, or an urgent log) exports
    b->min_export_interval = 1ms;
    b->export_timeout = 2s;
  }
  o.resource =
      core::Resource(core::Attributes{{"service.name", "checkout"}, {"service.version", "1.2.3"}});
  o.scope_version = "0.1";
  o.on_error = [](std::string_view) {};
  o.export_self_metrics = false;  // the self-metrics tests turn them on
  return o;
}

class OtlpLayerTest : public ::testing::Test {
 protected:
  OtlpLayer* install(OtlpLayerOptions options,
                     Sampler sampler = Sampler::parent_based(Sampler::always_on()),
                     std::string_view filter = "trace") {
    auto layer = OtlpLayer::create(std::move(options));
    EXPECT_TRUE(layer.ok()) << layer.status().to_string();
    OtlpLayer* raw = layer->get();
    tracing_ = std::make_shared<Tracing>(Tracing::Options{.sampler = sampler});
    tracing_->add_layer(std::move(*layer), Filter::parse(filter).value());
    set_global_subscriber(tracing_);
    return raw;
  }
  void TearDown() override {
    set_global_subscriber(nullptr);
    if (tracing_)
      (void)tracing_->shutdown(otlp::Clock::now() + 5s);
  }

  static std::vector<pb::trace::v1::Span> spans_of(const std::vector<ReceivedRequest>& reqs) {
    std::vector<pb::trace::v1::Span> out;
    for (const ReceivedRequest& r : reqs)
      for (const auto& rs : r.traces.resource_spans())
        for (const auto& ss : rs.scope_spans())
          for (const auto& s : ss.spans())
            out.push_back(s);
    return out;
  }
  static std::vector<pb::logs::v1::LogRecord> logs_of(const std::vector<ReceivedRequest>& reqs) {
    std::vector<pb::logs::v1::LogRecord> out;
    for (const ReceivedRequest& r : reqs)
      for (const auto& rl : r.logs.resource_logs())
        for (const auto& sl : rl.scope_logs())
          for (const auto& l : sl.log_records())
            out.push_back(l);
    return out;
  }
  static const pb::trace::v1::Span* find_span(const std::vector<pb::trace::v1::Span>& spans,
                                              std::string_view name) {
    for (const auto& s : spans)
      if (s.name() == name)
        return &s;
    return nullptr;
  }
  static const pb::logs::v1::LogRecord* find_log(const std::vector<pb::logs::v1::LogRecord>& logs,
                                                 std::string_view body) {
    for (const auto& l : logs)
      if (l.body().string_value() == body)
        return &l;
    return nullptr;
  }

  std::shared_ptr<Tracing> tracing_;
};

TEST_F(OtlpLayerTest, SpanTreeArrivesFieldByField) {
  FakeOtlpHttpReceiver rx;
  OtlpLayer* layer = install(options_for(rx));

  const core::SpanContext linked{core::TraceId::random(),
                                 core::SpanId::random(),
                                 core::TraceFlags{core::TraceFlags::kSampled},
                                 {},
                                 true};
  const core::AttributeValue tags(std::vector<std::string>{"a", "b"});
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
  core::SpanContext parent_ctx;
  core::SpanContext child_ctx;
  std::uint64_t child_start = 0;
  {
    auto parent =
        ET_SPAN_WITH((SpanOptions{.kind = SpanKind::kServer}), "GET /cart", field<"b">(true),
                     field<"i">(-42), field<"u">(7u), field<"big">(big), field<"d">(2.5),
                     field<"s">(std::string_view("text")), field<"tags">(tags));
    parent_ctx = parent.context();
    {
      auto child = ET_SPAN_WITH((SpanOptions{.kind = SpanKind::kClient}), "db.query");
      child_ctx = child.context();
      child_start = child.record()->start_unix_nano;
      child.record("db.rows", 3);
      const Field event_fields[] = {{"key", Value::of(std::string_view("user:1"))}};
      child.add_event("cache miss", event_fields);
      const Field link_fields[] = {{"reason", Value::of(std::string_view("batch"))}};
      child.add_link(linked, link_fields);
      child.set_status(SpanStatusCode::kError, "timeout");
    }
  }
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  const auto reqs = rx.received();
  const auto spans = spans_of(reqs);
  ASSERT_EQ(spans.size(), 2u);

  // Resource and scope.
  ASSERT_FALSE(reqs.empty());
  const ReceivedRequest* traces_req = nullptr;
  for (const auto& r : reqs)
    if (r.path == "/v1/traces")
      traces_req = &r;
  ASSERT_NE(traces_req, nullptr);
  const auto& rs = traces_req->traces.resource_spans(0);
  const auto* service = attribute(rs.resource().attributes(), "service.name");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->string_value(), "checkout");
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "edgetrace");
  EXPECT_EQ(rs.scope_spans(0).scope().version(), "0.1");

  const pb::trace::v1::Span* p = find_span(spans, "GET /cart");
  const pb::trace::v1::Span* c = find_span(spans, "db.query");
  ASSERT_NE(p, nullptr);
  ASSERT_NE(c, nullptr);

  EXPECT_EQ(p->trace_id(), id_bytes(parent_ctx.trace_id));
  EXPECT_EQ(p->span_id(), id_bytes(parent_ctx.span_id));
  EXPECT_TRUE(p->parent_span_id().empty());
  EXPECT_EQ(p->kind(), pb::trace::v1::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(p->flags() & 0xffu, parent_ctx.flags.bits);
  EXPECT_EQ(p->flags() & 0x300u, 0x100u);  // parent known to be not remote
  EXPECT_GT(p->start_time_unix_nano(), 0u);
  EXPECT_GE(p->end_time_unix_nano(), p->start_time_unix_nano());

  const auto& pa = p->attributes();
  ASSERT_NE(attribute(pa, "b"), nullptr);
  EXPECT_TRUE(attribute(pa, "b")->bool_value());
  EXPECT_EQ(attribute(pa, "i")->int_value(), -42);
  EXPECT_EQ(attribute(pa, "u")->int_value(), 7);
  EXPECT_EQ(attribute(pa, "big")->string_value(), "18446744073709551615");
  EXPECT_DOUBLE_EQ(attribute(pa, "d")->double_value(), 2.5);
  EXPECT_EQ(attribute(pa, "s")->string_value(), "text");
  ASSERT_EQ(attribute(pa, "tags")->array_value().values_size(), 2);
  EXPECT_EQ(attribute(pa, "tags")->array_value().values(1).string_value(), "b");
  EXPECT_EQ(p->status().code(), pb::trace::v1::Status::STATUS_CODE_UNSET);

  EXPECT_EQ(c->trace_id(), p->trace_id());
  EXPECT_EQ(c->span_id(), id_bytes(child_ctx.span_id));
  EXPECT_EQ(c->parent_span_id(), p->span_id());
  EXPECT_EQ(c->kind(), pb::trace::v1::Span::SPAN_KIND_CLIENT);
  EXPECT_EQ(c->start_time_unix_nano(), child_start);
  EXPECT_GE(c->start_time_unix_nano(), p->start_time_unix_nano());
  EXPECT_LE(c->end_time_unix_nano(), p->end_time_unix_nano());
  EXPECT_EQ(attribute(c->attributes(), "db.rows")->int_value(), 3);
  ASSERT_EQ(c->events_size(), 1);
  EXPECT_EQ(c->events(0).name(), "cache miss");
  EXPECT_GE(c->events(0).time_unix_nano(), c->start_time_unix_nano());
  EXPECT_EQ(attribute(c->events(0).attributes(), "key")->string_value(), "user:1");
  ASSERT_EQ(c->links_size(), 1);
  EXPECT_EQ(c->links(0).trace_id(), id_bytes(linked.trace_id));
  EXPECT_EQ(c->links(0).span_id(), id_bytes(linked.span_id));
  EXPECT_EQ(c->links(0).flags(), 0x301u);  // sampled, known remote
  EXPECT_EQ(attribute(c->links(0).attributes(), "reason")->string_value(), "batch");
  EXPECT_EQ(c->status().code(), pb::trace::v1::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(c->status().message(), "timeout");

  const OtlpLayer::Counters counters = layer->counters();
  EXPECT_EQ(counters.spans_exported, 2u);
  EXPECT_EQ(counters.spans_dropped, 0u);
}

TEST_F(OtlpLayerTest, RemoteParentSetsTheRemoteFlag) {
  FakeOtlpHttpReceiver rx;
  OtlpLayer* layer = install(options_for(rx));
  const core::SpanContext remote{core::TraceId::random(),
                                 core::SpanId::random(),
                                 core::TraceFlags{core::TraceFlags::kSampled},
                                 {},
                                 true};
  { auto s = ET_SPAN_WITH((SpanOptions{.remote_parent = remote}), "from remote"); }
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  const auto spans = spans_of(rx.received());
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].trace_id(), id_bytes(remote.trace_id));
  EXPECT_EQ(spans[0].parent_span_id(), id_bytes(remote.span_id));
  EXPECT_EQ(spans[0].flags() & 0x3ffu, 0x301u);
}

TEST_F(OtlpLayerTest, LogsCarrySpanIdsOnlyInsideSampledSpans) {
  FakeOtlpHttpReceiver rx;
  OtlpLayer* layer = install(options_for(rx));
  const core::SpanContext unsampled_parent{
      core::TraceId::random(), core::SpanId::random(), core::TraceFlags{0}, {}, true};
  core::SpanContext sampled_ctx;
  ET_INFO("outside");
  {
    auto s = ET_SPAN("sampled");
    sampled_ctx = s.context();
    ET_INFO("in sampled", field<"n">(1));
  }
  {
    auto s = ET_SPAN_WITH((SpanOptions{.remote_parent = unsampled_parent}), "unsampled");
    ASSERT_TRUE(s.is_recording());
    EXPECT_FALSE(s.context().sampled());
    ET_INFO("in unsampled");
  }
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  const auto reqs = rx.received();
  const auto logs = logs_of(reqs);
  ASSERT_EQ(logs.size(), 3u);

  const auto* outside = find_log(logs, "outside");
  const auto* in_sampled = find_log(logs, "in sampled");
  const auto* in_unsampled = find_log(logs, "in unsampled");
  ASSERT_NE(outside, nullptr);
  ASSERT_NE(in_sampled, nullptr);
  ASSERT_NE(in_unsampled, nullptr);
  EXPECT_TRUE(outside->trace_id().empty());
  EXPECT_TRUE(outside->span_id().empty());
  EXPECT_EQ(outside->flags(), 0u);
  EXPECT_EQ(in_sampled->trace_id(), id_bytes(sampled_ctx.trace_id));
  EXPECT_EQ(in_sampled->span_id(), id_bytes(sampled_ctx.span_id));
  EXPECT_EQ(in_sampled->flags() & core::TraceFlags::kSampled, core::TraceFlags::kSampled);
  EXPECT_TRUE(in_unsampled->trace_id().empty());
  EXPECT_TRUE(in_unsampled->span_id().empty());
  EXPECT_EQ(in_unsampled->flags(), 0u);

  // Unsampled spans are not exported, only counted.
  const auto spans = spans_of(reqs);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name(), "sampled");
  EXPECT_EQ(layer->counters().unsampled_skipped, 1u);
  EXPECT_EQ(layer->counters().logs_exported, 3u);
}

TEST_F(OtlpLayerTest, AlwaysOffSamplerExportsNoSpansButEveryLog) {
  FakeOtlpHttpReceiver rx;
  OtlpLayer* layer = install(options_for(rx), Sampler::always_off());
  for (int i = 0; i < 10; ++i) {
    auto s = ET_SPAN("dropped");
    ET_INFO("kept");
  }
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  const auto reqs = rx.received();
  EXPECT_TRUE(spans_of(reqs).empty());
  const auto logs = logs_of(reqs);
  ASSERT_EQ(logs.size(), 10u);
  for (const auto& l : logs)
    EXPECT_TRUE(l.trace_id().empty());
  EXPECT_EQ(layer->counters().unsampled_skipped, 10u);
  EXPECT_EQ(layer->counters().spans_queued, 0u);
}

TEST_F(OtlpLayerTest, LogRecordHasSeverityBodyFieldsAndTarget) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.log_code_location = true;
  OtlpLayer* layer = install(std::move(o));
  ET_TRACE("t");
  ET_DEBUG("d");
  ET_INFO("i", field<"user">(std::string_view("ann")), field<"count">(5));
  ET_WARN("w");
  ET_ERROR("e");
  ET_FATAL("f");
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  const auto reqs = rx.received();
  const auto logs = logs_of(reqs);
  ASSERT_EQ(logs.size(), 6u);
  const std::map<std::string, std::pair<int, std::string>> expected = {
      {"t", {1, "TRACE"}}, {"d", {5, "DEBUG"}},  {"i", {9, "INFO"}},
      {"w", {13, "WARN"}}, {"e", {17, "ERROR"}}, {"f", {21, "FATAL"}}};
  for (const auto& [body, sev] : expected) {
    const auto* l = find_log(logs, body);
    ASSERT_NE(l, nullptr) << body;
    EXPECT_EQ(static_cast<int>(l->severity_number()), sev.first) << body;
    EXPECT_EQ(l->severity_text(), sev.second) << body;
    EXPECT_GT(l->time_unix_nano(), 0u);
    EXPECT_EQ(l->observed_time_unix_nano(), l->time_unix_nano());
    ASSERT_NE(attribute(l->attributes(), "log.target"), nullptr);
    EXPECT_EQ(attribute(l->attributes(), "log.target")->string_value(), "shop::cart");
    ASSERT_NE(attribute(l->attributes(), "code.line.number"), nullptr);
    EXPECT_GT(attribute(l->attributes(), "code.line.number")->int_value(), 0);
    EXPECT_NE(
        attribute(l->attributes(), "code.file.path")->string_value().find("otlp_layer_test.cpp"),
        std::string::npos);
  }
  const auto* info = find_log(logs, "i");
  EXPECT_EQ(attribute(info->attributes(), "user")->string_value(), "ann");
  EXPECT_EQ(attribute(info->attributes(), "count")->int_value(), 5);

  const ReceivedRequest* logs_req = nullptr;
  for (const auto& r : reqs)
    if (r.path == "/v1/logs")
      logs_req = &r;
  ASSERT_NE(logs_req, nullptr);
  const auto& rl = logs_req->logs.resource_logs(0);
  EXPECT_EQ(attribute(rl.resource().attributes(), "service.name")->string_value(), "checkout");
  EXPECT_EQ(attribute(rl.resource().attributes(), "service.version")->string_value(), "1.2.3");
  ASSERT_EQ(rl.scope_logs_size(), 1);  // every record here has the same target
  EXPECT_EQ(rl.scope_logs(0).scope().name(), "shop::cart");
  EXPECT_EQ(rl.scope_logs(0).scope().version(), "0.1");
}

// Log items are pooled and their message buffers reused: bodies that grow, shrink, go empty
// and pass the kept-capacity bound (whose buffer is freed on return) all arrive as written.
TEST_F(OtlpLayerTest, LogBodiesOfEveryLengthSurviveBufferReuse) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.log_batch.max_queue_size = 4;  // a small pool: every item is reused many times
  o.log_batch.max_export_batch_size = 4;
  OtlpLayer* layer = install(std::move(o));
  std::vector<std::string> sent;
  for (const std::size_t n : {0, 5, 15, 16, 64, 65, 200, 3, 20000, 1, 0, 70000, 17, 64}) {
    std::string body(n, 'a');
    for (std::size_t i = 0; i < n; ++i)
      body[i] = static_cast<char>('a' + (i * 7 + n) % 26);
    sent.push_back(body);
    ET_INFOF("{}", body);
    ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  }
  std::vector<std::string> received;
  for (const auto& l : logs_of(rx.received()))
    received.push_back(l.body().string_value());
  EXPECT_EQ(received, sent);
  EXPECT_EQ(layer->counters().logs_dropped, 0u);
}

// A log record keeps at most 128 attributes (OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT's default)
// and counts the rest as dropped; names that are not a call site's are copied; the pooled
// item the next event reuses starts empty.
TEST_F(OtlpLayerTest, LogAttributesBeyondTheLimitAreDroppedAndCounted) {
  FakeOtlpHttpReceiver rx;
  OtlpLayer* layer = install(options_for(rx));
  static const Metadata kMeta{"event",  "shop::cart",       core::Level::kInfo,   __FILE__,
                              __LINE__, "many_fields_test", CallsiteKind::kEvent, {}};
  const auto send = [&](std::string_view message, std::size_t n) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < n; ++i)
      names.push_back("key." + std::to_string(i));
    std::vector<Field> fields;
    for (std::size_t i = 0; i < n; ++i)
      fields.push_back(Field{names[i], i % 2 == 0 ? Value::of_int(static_cast<std::int64_t>(i))
                                                  : Value::of("a longer string value")});
    layer->on_event(Event{kMeta, message, fields, 1, nullptr, ~0u});
    names.assign(n, "overwritten");  // the layer kept copies, not views of these
    ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  };
  send("many", 130);
  send("two", 2);
  const auto logs = logs_of(rx.received());
  ASSERT_EQ(logs.size(), 2u);
  const auto* many = find_log(logs, "many");
  ASSERT_NE(many, nullptr);
  EXPECT_EQ(many->attributes_size(), 128 + 1);  // and log.target
  EXPECT_EQ(many->dropped_attributes_count(), 2u);
  ASSERT_NE(attribute(many->attributes(), "key.127"), nullptr);
  EXPECT_EQ(attribute(many->attributes(), "key.127")->string_value(), "a longer string value");
  EXPECT_EQ(attribute(many->attributes(), "key.126")->int_value(), 126);
  EXPECT_EQ(attribute(many->attributes(), "key.128"), nullptr);
  const auto* two = find_log(logs, "two");
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->attributes_size(), 2 + 1);
  EXPECT_EQ(two->dropped_attributes_count(), 0u);
  EXPECT_EQ(attribute(two->attributes(), "key.0")->int_value(), 0);
  EXPECT_EQ(attribute(two->attributes(), "key.1")->string_value(), "a longer string value");
}

TEST_F(OtlpLayerTest, LogRecordsAreGroupedIntoOneScopePerTarget) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.scope_version.clear();  // falls back to the resource's service.version
  OtlpLayer* layer = install(std::move(o));
  { auto s = ET_SPAN("span scope"); }
  ET_INFO("cart 1");
  log_from_payment(1);
  ET_INFO("cart 2");
  log_from_payment(2);
  log_without_target();
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  const auto reqs = rx.received();
  ASSERT_EQ(reqs.size(), 2u);
  const ReceivedRequest& logs_req = reqs[0].path == "/v1/logs" ? reqs[0] : reqs[1];
  const ReceivedRequest& spans_req = reqs[0].path == "/v1/logs" ? reqs[1] : reqs[0];
  // Spans keep the SDK's scope, with edgetrace's version.
  ASSERT_EQ(spans_req.traces.resource_spans_size(), 1);
  EXPECT_EQ(spans_req.traces.resource_spans(0).scope_spans(0).scope().name(), "edgetrace");
  EXPECT_EQ(spans_req.traces.resource_spans(0).scope_spans(0).scope().version(),
            edgetrace::kVersion);
  ASSERT_EQ(logs_req.logs.resource_logs_size(), 1);
  const auto& rl = logs_req.logs.resource_logs(0);
  std::map<std::string, std::vector<std::string>> bodies_by_scope;
  for (const auto& sl : rl.scope_logs()) {
    EXPECT_EQ(sl.scope().version(), "1.2.3") << sl.scope().name();
    EXPECT_EQ(bodies_by_scope.count(sl.scope().name()), 0u) << "one ScopeLogs per target";
    for (const auto& l : sl.log_records())
      bodies_by_scope[sl.scope().name()].push_back(l.body().string_value());
  }
  const std::map<std::string, std::vector<std::string>> expected = {
      {"shop::cart", {"cart 1", "cart 2"}},
      {"shop::payment", {"payment", "payment"}},
      {"edgetrace", {"no target"}}};  // scope_name names records without a target
  EXPECT_EQ(bodies_by_scope, expected);
}

TEST_F(OtlpLayerTest, ExceptionFieldsAndStacktraceOnRequest) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.exception_stacktrace = true;
  o.export_immediately_on_error = false;
  OtlpLayer* layer = install(std::move(o));
  shop::fail_payment();
  ET_WARN("no error here", field<"n">(1));
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  const auto logs = logs_of(rx.received());
  const auto* failed = find_log(logs, "payment failed");
  const auto* plain = find_log(logs, "no error here");
  ASSERT_NE(failed, nullptr);
  ASSERT_NE(plain, nullptr);
  ASSERT_NE(attribute(failed->attributes(), "exception.type"), nullptr);
  EXPECT_EQ(attribute(failed->attributes(), "exception.type")->string_value(), "std::out_of_range");
  EXPECT_EQ(attribute(failed->attributes(), "exception.message")->string_value(), "no such card");
  const auto* stack = attribute(failed->attributes(), "exception.stacktrace");
  ASSERT_NE(stack, nullptr);
  const std::string& text = stack->string_value();
  // One numbered line per frame, each naming this test's binary, and more than the SDK's own.
  EXPECT_EQ(text.rfind("#0 ", 0), 0u) << text;
  EXPECT_NE(text.find("\n#4 "), std::string::npos) << text;
  EXPECT_NE(text.find("otlp_layer_test"), std::string::npos) << text;
  // Names demangled: the function that emitted the event, below the SDK's frames.
  EXPECT_NE(text.find("(shop::fail_payment()+0x"), std::string::npos) << text;
  // Only events that carry an error get a stack.
  EXPECT_EQ(attribute(plain->attributes(), "exception.stacktrace"), nullptr);
  EXPECT_EQ(attribute(plain->attributes(), "exception.type"), nullptr);
}

TEST_F(OtlpLayerTest, NoStacktraceUnlessAsked) {
  FakeOtlpHttpReceiver rx;
  OtlpLayer* layer = install(options_for(rx));
  shop::fail_payment();
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  const auto logs = logs_of(rx.received());
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(attribute(logs[0].attributes(), "exception.type")->string_value(), "std::out_of_range");
  EXPECT_EQ(attribute(logs[0].attributes(), "exception.stacktrace"), nullptr);
}

TEST_F(OtlpLayerTest, NothingIsExportedBeforeTheTimerUntilForceFlush) {
  FakeOtlpHttpReceiver rx;
  OtlpLayer* layer = install(options_for(rx));
  for (int i = 0; i < 20; ++i) {
    auto s = ET_SPAN("work");
    ET_INFO("step", field<"i">(i));
  }
  // Everything is still queued (spans and logs staged per thread count as queued), none of it
  // taken for an export.
  EXPECT_EQ(layer->self_metrics().spans.processor.queue_size, 20u);
  EXPECT_EQ(layer->self_metrics().logs.processor.queue_size, 20u);
  EXPECT_EQ(rx.request_count(), 0u);
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  const auto reqs = rx.received();
  EXPECT_EQ(spans_of(reqs).size(), 20u);
  EXPECT_EQ(logs_of(reqs).size(), 20u);
  // One export per signal, all made by the flush.
  EXPECT_EQ(reqs.size(), 2u);
  EXPECT_EQ(layer->counters().span_batches, 1u);
  EXPECT_EQ(layer->counters().log_batches, 1u);
}

// Runs body(0) .. body(n - 1) on n threads and waits until they have all exited.
void run_and_join(int n, void (*body)(int)) {
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t)
    threads.emplace_back(body, t);
  for (std::thread& t : threads)
    t.join();
}

TEST_F(OtlpLayerTest, SpansOfThreadsThatExitedBeforeTheFlushAreAllExported) {
  FakeOtlpHttpReceiver rx;
  OtlpLayer* layer = install(options_for(rx));  // batch 512: threads hand over 256 at a time
  constexpr int kThreads = 4;
  constexpr int kSpans = 300;  // a group of 256 each, and 44 left staged in each ring
  run_and_join(kThreads, [](int) {
    for (int i = 0; i < kSpans; ++i)
      auto s = ET_SPAN("threaded");
  });
  // Each full batch (two groups) may have left already; the rest waits in the queue and
  // in the exited threads' rings.
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  const auto spans = spans_of(rx.received());
  ASSERT_EQ(spans.size(), static_cast<std::size_t>(kThreads * kSpans));
  std::set<std::string> ids;
  for (const auto& s : spans)
    ids.insert(s.span_id());
  EXPECT_EQ(ids.size(), spans.size()) << "a span was exported twice";
  EXPECT_EQ(layer->counters().spans_dropped, 0u);
  EXPECT_EQ(layer->self_metrics().spans.processor.queue_size, 0u);
}

TEST_F(OtlpLayerTest, LogsOfThreadsThatExitedBeforeTheFlushAreAllExportedInTheirOrder) {
  FakeOtlpHttpReceiver rx;
  OtlpLayer* layer = install(options_for(rx));  // batch 512: threads hand over 256 at a time
  constexpr int kThreads = 4;
  constexpr int kLogs = 300;  // a group of 256 each, and 44 left staged in each ring
  run_and_join(kThreads, [](int t) {
    for (int i = 0; i < kLogs; ++i)
      ET_INFO("threaded", field<"t">(t), field<"i">(i));
  });
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  const auto logs = logs_of(rx.received());
  ASSERT_EQ(logs.size(), static_cast<std::size_t>(kThreads * kLogs));
  // Every record once, and each thread's in the order it logged them.
  std::vector<std::int64_t> next(kThreads, 0);
  for (const auto& l : logs) {
    const std::int64_t t = attribute(l.attributes(), "t")->int_value();
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    EXPECT_EQ(attribute(l.attributes(), "i")->int_value(), next[t]++);
  }
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(next[t], kLogs);
  EXPECT_EQ(layer->counters().logs_dropped, 0u);
  EXPECT_EQ(layer->self_metrics().logs.processor.queue_size, 0u);
}

TEST_F(OtlpLayerTest, SpansStagedInALiveThreadLeaveOnTheScheduleDelay) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.span_batch.schedule_delay = 50ms;
  install(std::move(o));
  // Three spans, far fewer than a group: they wait in this thread's ring, and the export
  // thread's timer takes them without a flush.
  for (int i = 0; i < 3; ++i)
    auto s = ET_SPAN("staged");
  ASSERT_TRUE(edgetrace::testing::wait_until([&] { return spans_of(rx.received()).size() == 3; }));
}

TEST_F(OtlpLayerTest, SpansStagedAtShutdownAreExported) {
  FakeOtlpHttpReceiver rx;
  OtlpLayer* layer = install(options_for(rx));
  for (int i = 0; i < 7; ++i)
    auto s = ET_SPAN("last");
  ASSERT_TRUE(layer->shutdown(otlp::Clock::now() + 5s));
  EXPECT_EQ(spans_of(rx.received()).size(), 7u);
  EXPECT_EQ(layer->counters().spans_dropped, 0u);
}

TEST_F(OtlpLayerTest, ErrorLogTriggersAnExportWithoutFlush) {
  FakeOtlpHttpReceiver rx;
  OtlpLayer* layer = install(options_for(rx));
  ET_INFO("before");
  EXPECT_EQ(layer->self_metrics().logs.processor.queue_size, 1u);  // an INFO log waits
  ET_ERROR("disk full");
  ASSERT_TRUE(rx.wait_for_requests(1, 30s));
  const auto logs = logs_of(rx.received());
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_NE(find_log(logs, "disk full"), nullptr);
  // The receiver answers before the counters move.
  EXPECT_TRUE(
      edgetrace::testing::wait_until([&] { return layer->counters().logs_exported >= 2u; }));
  // One export carried both: the INFO log had waited for it.
  EXPECT_EQ(layer->counters().log_batches, 1u);
  EXPECT_EQ(layer->counters().logs_exported, 2u);
  EXPECT_EQ(rx.request_count(), 1u);
}

TEST_F(OtlpLayerTest, ImmediateExportLevelIsAnOption) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.export_immediately_on_error = false;  // only the (hour-long) timer or a flush exports
  OtlpLayer* layer = install(std::move(o));
  ET_ERROR("waits");
  ET_FATAL("waits too");
  // A wrong export would come within min_export_interval (1 ms); waiting longer for it can
  // only make this test pass late, never fail wrongly.
  EXPECT_FALSE(rx.wait_for_requests(1, 300ms));
  EXPECT_EQ(layer->self_metrics().logs.processor.queue_size, 2u);
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  EXPECT_EQ(rx.request_count(), 1u);  // the flush's, no earlier one
  EXPECT_EQ(layer->counters().log_batches, 1u);
}

TEST_F(OtlpLayerTest, ImmediateExportFromAChosenLevel) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.export_immediately_at_level = core::Level::kWarn;
  OtlpLayer* layer = install(std::move(o));
  ET_INFO("info waits");
  EXPECT_EQ(layer->self_metrics().logs.processor.queue_size, 1u);
  ET_WARN("warn goes");
  ASSERT_TRUE(rx.wait_for_requests(1, 30s));
  EXPECT_EQ(logs_of(rx.received()).size(), 2u);
}

TEST_F(OtlpLayerTest, FullQueueDropsAndCountsWithoutBlocking) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  FakeOtlpHttpReceiver unused;
  OtlpLayerOptions o = options_for(unused);
  o.traces.protocol = o.logs.protocol = otlp::Protocol::kGrpc;
  o.traces.endpoint = o.logs.endpoint = "http://" + rx.address();
  o.traces.timeout = o.logs.timeout = 1h;
  o.log_batch.export_timeout = o.span_batch.export_timeout = 1h;
  o.log_batch.max_queue_size = 16;
  o.log_batch.max_export_batch_size = 16;
  o.span_batch.max_queue_size = 8;
  o.span_batch.max_export_batch_size = 8;
  // The first export of each signal is held until the receiver stops, so the queues fill up
  // behind it while the caller goes on.
  rx.script({testing::Reply::ok().with_delay(std::chrono::hours(24)),
             testing::Reply::ok().with_delay(std::chrono::hours(24))});
  OtlpLayer* layer = install(std::move(o));
  for (int i = 0; i < 200; ++i) {
    auto s = ET_SPAN("s");
    ET_INFO("log", field<"i">(i));
  }
  ASSERT_TRUE(rx.wait_for_requests(2, 30s));  // one held export per signal
  rx.stop();  // answers the held exports; what is still queued then fails (receiver down)
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 30s));
  const OtlpLayer::Counters c = layer->counters();
  // At most a batch in flight and a queue-full per signal were kept.
  EXPECT_GE(c.logs_dropped, 200u - 2 * 16);
  EXPECT_GE(c.spans_dropped, 200u - 2 * 8);
  EXPECT_EQ(c.logs_exported + c.logs_failed + c.logs_dropped, 200u);
  EXPECT_EQ(c.spans_exported + c.spans_failed + c.spans_dropped, 200u);
  EXPECT_EQ(logs_of(rx.received()).size(), c.logs_exported);
}

TEST_F(OtlpLayerTest, ReceiverDownNeverBlocksTheCaller) {
  // A receiver that takes connections (the kernel completes them) and never answers, until
  // it is closed: then every connection is reset and every new one refused. Exports wait on
  // it for an hour, so a caller or a shutdown that waited for an export would not return.
  testing::SilentReceiver silent;  // closed before TearDown's shutdown, whatever happens
  ASSERT_TRUE(silent.ok());
  const std::string base = silent.url();
  FakeOtlpHttpReceiver unused;
  OtlpLayerOptions o = options_for(unused);
  o.traces.endpoint = base + "/v1/traces";
  o.logs.endpoint = base + "/v1/logs";
  o.traces.timeout = o.logs.timeout = 1h;
  o.span_batch.export_timeout = o.log_batch.export_timeout = 1h;
  o.span_batch.schedule_delay = 10ms;
  o.log_batch.schedule_delay = 10ms;
  OtlpLayer* layer = install(std::move(o));
  // The caller finishes while the first export of each signal is held.
  for (int i = 0; i < 100000; ++i)
    ET_INFO("lost", field<"i">(i), field<"s">(std::string_view("payload")));
  for (int i = 0; i < 10000; ++i) {
    auto s = ET_SPAN("lost");
  }
  // Shutdown gives up on the held exports at its deadline.
  EXPECT_FALSE(tracing_->shutdown(otlp::Clock::now() + 1s));
  silent.close();  // the receiver goes down: the held exports fail
  // Every item is accounted for: failed by the exporter (receiver down) or dropped. An
  // export abandoned at the deadline finishes its accounting just after it.
  OtlpLayer::Counters c = layer->counters();
  EXPECT_TRUE(edgetrace::testing::wait_until([&] {
    c = layer->counters();
    return c.logs_failed + c.logs_dropped >= 100000u && c.spans_failed + c.spans_dropped >= 10000u;
  }));
  EXPECT_EQ(c.logs_exported, 0u);
  EXPECT_GT(c.logs_dropped, 0u);
  EXPECT_GT(c.spans_dropped, 0u);
  EXPECT_EQ(c.logs_failed + c.logs_dropped, 100000u);
  EXPECT_EQ(c.spans_failed + c.spans_dropped, 10000u);
  ASSERT_NE(layer->log_exporter_counters(), nullptr);
  EXPECT_GT(layer->log_exporter_counters()->dropped_total(), 0u);
  // After shutdown the callbacks are no-ops.
  ET_INFO("after");
  EXPECT_EQ(layer->counters().logs_queued, c.logs_queued);
}

TEST_F(OtlpLayerTest, HotPathDoesNotAllocateInSteadyState) {
  // The steady state is made deterministic: each round emits fewer spans and logs than a
  // queue holds, then drains both queues. So nothing is dropped, at most kRound records are
  // live at once however the export thread is scheduled, and after the warm-up rounds every
  // pooled span record and log item in circulation has met these fields. Only the emitting
  // loop is counted: force_flush is not the hot path.
  FakeOtlpHttpReceiver rx;
  rx.set_discard(true);
  OtlpLayerOptions o = options_for(rx);
  for (otlp::BatchOptions* b : {&o.span_batch, &o.log_batch}) {
    b->max_queue_size = 64;
    b->max_export_batch_size = 16;
  }
  OtlpLayer* layer = install(std::move(o));
  const std::string_view path = "/api/v1/users/12345/orders";
  constexpr int kRound = 32;
  auto round = [&]() -> std::uint64_t {
    const std::uint64_t before = t_allocations;
    for (int i = 0; i < kRound; ++i) {
      auto s = ET_SPAN("request", field<"http.route">(path), field<"attempt">(i));
      ET_INFO("served", field<"status">(200), field<"path">(path));
    }
    const std::uint64_t allocated = t_allocations - before;
    EXPECT_TRUE(layer->force_flush(otlp::Clock::now() + 10s));
    return allocated;
  };
  constexpr int kWarmUp = 50;
  constexpr int kMeasured = 500;
  std::uint64_t warm_up = 0;
  for (int r = 0; r < kWarmUp; ++r)
    warm_up += round();
  EXPECT_GT(warm_up, 0u);  // the counter sees the pools fill (it is not blind)
  std::uint64_t measured = 0;
  for (int r = 0; r < kMeasured; ++r)
    measured += round();
  EXPECT_EQ(measured, 0u) << "allocations in " << kMeasured * kRound << " spans and logs";
  const OtlpLayer::Counters c = layer->counters();
  constexpr std::uint64_t kTotal = std::uint64_t{kWarmUp + kMeasured} * kRound;
  EXPECT_EQ(c.logs_exported, kTotal);
  EXPECT_EQ(c.spans_exported, kTotal);
  EXPECT_EQ(c.logs_dropped + c.spans_dropped + c.logs_failed + c.spans_failed, 0u);
}

TEST_F(OtlpLayerTest, ShutdownIsIdempotentAndStopsCallbacks) {
  FakeOtlpHttpReceiver rx;
  OtlpLayer* layer = install(options_for(rx));
  ET_INFO("one");
  EXPECT_TRUE(layer->shutdown(otlp::Clock::now() + 5s));
  EXPECT_TRUE(layer->shutdown(otlp::Clock::now() + 5s));
  EXPECT_EQ(logs_of(rx.received()).size(), 1u);
  ET_INFO("two");
  { auto s = ET_SPAN("late"); }
  EXPECT_EQ(layer->counters().logs_queued, 1u);
  EXPECT_EQ(layer->counters().spans_queued, 0u);
  EXPECT_TRUE(layer->force_flush(otlp::Clock::now() + 1s));
}

TEST_F(OtlpLayerTest, DisabledSignalsAreNotExported) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.export_logs = false;
  OtlpLayer* layer = install(std::move(o));
  EXPECT_EQ(layer->log_batch_counters(), nullptr);
  EXPECT_NE(layer->span_batch_counters(), nullptr);
  {
    auto s = ET_SPAN("only spans");
    ET_INFO("not exported");
  }
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  for (const auto& r : rx.received())
    EXPECT_EQ(r.path, "/v1/traces");
  EXPECT_EQ(spans_of(rx.received()).size(), 1u);
}

TEST_F(OtlpLayerTest, ProcessorsRedactAndSampleBeforeExport) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.processors.redaction.enabled = true;
  o.processors.sampling.debug_log_ratio = 0.0;
  OtlpLayer* layer = install(std::move(o));
  {
    auto s = ET_SPAN("checkout", field<"user.email">(std::string_view("bob@example.com")));
    ET_INFO("order placed by bob@example.com",
            field<"contact">(std::string_view("alice@example.org")));
    ET_DEBUG("debug detail for bob@example.com");
  }
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  const auto reqs = rx.received();
  ASSERT_FALSE(reqs.empty());
  // Nothing the receiver got, in any field, holds an address.
  for (const auto& r : reqs) {
    EXPECT_TRUE(r.decode_error.empty()) << r.decode_error;
    const std::string text =
        r.path == "/v1/logs" ? otlp::encode_json(r.logs) : otlp::encode_json(r.traces);
    EXPECT_EQ(text.find("@example."), std::string::npos) << text;
  }
  const auto spans = spans_of(reqs);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(attribute(spans[0].attributes(), "user.email")->string_value(), "[REDACTED]");
  const auto logs = logs_of(reqs);
  ASSERT_EQ(logs.size(), 1u);  // the DEBUG record was sampled out
  EXPECT_EQ(logs[0].body().string_value(), "order placed by [REDACTED]");
  EXPECT_EQ(attribute(logs[0].attributes(), "contact")->string_value(), "[REDACTED]");

  const OtlpLayer::Counters c = layer->counters();
  EXPECT_EQ(c.logs_sampled_out, 1u);
  EXPECT_EQ(c.values_redacted, 3u);
  EXPECT_EQ(c.logs_exported, 1u);
  EXPECT_EQ(c.spans_exported, 1u);
}

TEST_F(OtlpLayerTest, EveryRecordSampledOutSendsNothingAndTheNextBatchStillWorks) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.processors.sampling.debug_log_ratio = 0.0;
  OtlpLayer* layer = install(std::move(o));
  ET_DEBUG("dropped");
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  EXPECT_TRUE(logs_of(rx.received()).empty());
  ET_WARN("kept");
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  const auto reqs = rx.received();
  const auto logs = logs_of(reqs);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].body().string_value(), "kept");
  for (const auto& r : reqs) {
    if (r.path == "/v1/logs") {
      EXPECT_EQ(attribute(r.logs.resource_logs(0).resource().attributes(), "service.name")
                    ->string_value(),
                "checkout");
      EXPECT_EQ(r.logs.resource_logs(0).scope_logs(0).scope().name(), "shop::cart");
    }
  }
  EXPECT_EQ(layer->counters().logs_sampled_out, 1u);
}

TEST_F(OtlpLayerTest, CreateFailsOnABadRedactionPattern) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.processors.redaction.enabled = true;
  o.processors.redaction.patterns = {"(unclosed"};
  auto layer = OtlpLayer::create(std::move(o));
  ASSERT_FALSE(layer.ok());
  EXPECT_NE(layer.status().message().find("(unclosed"), std::string::npos);
}

TEST_F(OtlpLayerTest, ConstructorWithBadProcessorOptionsExportsNothing) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.processors.redaction.enabled = true;
  o.processors.redaction.patterns = {"(unclosed"};
  std::vector<std::string> errors;
  o.on_error = [&errors](std::string_view m) { errors.emplace_back(m); };
  auto traces = otlp::OtlpExporter::create(o.traces, o.on_error);
  auto logs = otlp::OtlpExporter::create(o.logs, o.on_error);
  ASSERT_TRUE(traces.ok() && logs.ok());
  auto layer = std::make_unique<OtlpLayer>(o, std::move(*traces), std::move(*logs));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("(unclosed"), std::string::npos);
  EXPECT_EQ(layer->span_batch_counters(), nullptr);
  EXPECT_EQ(layer->log_batch_counters(), nullptr);
  OtlpLayer* raw = layer.get();
  tracing_ = std::make_shared<Tracing>(Tracing::Options{});
  tracing_->add_layer(std::move(layer), Filter::parse("trace").value());
  set_global_subscriber(tracing_);
  {
    auto s = ET_SPAN("s", field<"user.email">(std::string_view("bob@example.com")));
    ET_INFO("mail bob@example.com");
  }
  EXPECT_TRUE(raw->force_flush(otlp::Clock::now() + 5s));
  EXPECT_TRUE(rx.received().empty());
}

TEST_F(OtlpLayerTest, ExportsOverGrpc) {
  FakeOtlpGrpcReceiver rx;
  ASSERT_NE(rx.port(), 0) << rx.start_error();
  FakeOtlpHttpReceiver unused;
  OtlpLayerOptions o = options_for(unused);
  o.traces.protocol = otlp::Protocol::kGrpc;
  o.logs.protocol = otlp::Protocol::kGrpc;
  o.traces.endpoint = "http://" + rx.address();
  o.logs.endpoint = "http://" + rx.address();
  OtlpLayer* layer = install(std::move(o));
  core::SpanContext ctx;
  {
    auto s = ET_SPAN("grpc span", field<"k">(1));
    ctx = s.context();
    ET_WARN("grpc log");
  }
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 10s));
  const auto reqs = rx.received();
  const auto spans = spans_of(reqs);
  const auto logs = logs_of(reqs);
  ASSERT_EQ(spans.size(), 1u);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(spans[0].name(), "grpc span");
  EXPECT_EQ(spans[0].span_id(), id_bytes(ctx.span_id));
  EXPECT_EQ(logs[0].span_id(), id_bytes(ctx.span_id));
  EXPECT_EQ(logs[0].severity_number(), pb::logs::v1::SEVERITY_NUMBER_WARN);
  EXPECT_EQ(unused.request_count(), 0u);
}

TEST_F(OtlpLayerTest, CreateFailsOnABadEndpoint) {
  OtlpLayerOptions o;
  o.traces.endpoint = "not a url";
  auto layer = OtlpLayer::create(std::move(o));
  EXPECT_FALSE(layer.ok());
}

// The value of the data point of `metric` (a Sum) whose attributes hold every pair of `want`
// and, unless `want` names one, no error.type. Empty when there is none.
std::optional<std::int64_t> point(const pb::metrics::v1::Metric& metric,
                                  const std::map<std::string, std::string>& want) {
  for (const auto& p : metric.sum().data_points()) {
    bool match = true;
    for (const auto& [k, v] : want) {
      const auto* a = attribute(p.attributes(), k);
      if (a == nullptr ||
          (a->has_int_value() ? std::to_string(a->int_value()) : a->string_value()) != v)
        match = false;
    }
    if (want.count("error.type") == 0 && attribute(p.attributes(), "error.type") != nullptr)
      match = false;
    if (match)
      return p.as_int();
  }
  return std::nullopt;
}

// name -> metric of the last metrics request `rx` received (empty when none).
std::map<std::string, pb::metrics::v1::Metric> last_metrics(
    const FakeOtlpHttpReceiver& rx, pb::resource::v1::Resource* resource = nullptr) {
  std::map<std::string, pb::metrics::v1::Metric> out;
  const auto reqs = rx.received();
  for (auto it = reqs.rbegin(); it != reqs.rend(); ++it) {
    if (it->path != "/v1/metrics")
      continue;
    for (const auto& rm : it->metrics.resource_metrics()) {
      if (resource != nullptr)
        *resource = rm.resource();
      for (const auto& sm : rm.scope_metrics())
        for (const auto& m : sm.metrics())
          out[m.name()] = m;
    }
    break;
  }
  return out;
}

TEST_F(OtlpLayerTest, SelfMetricsCountDropsByReasonAndArriveAsOtlpMetrics) {
  // Spans and logs go to a receiver that never answers: the first batch of each is held in
  // the exporter while the queues behind it fill and overflow. The self-metrics go to `rx`.
  testing::SilentReceiver silent;
  ASSERT_TRUE(silent.ok());
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.traces.endpoint = silent.url() + "/v1/traces";
  o.logs.endpoint = silent.url() + "/v1/logs";
  o.traces.timeout = o.logs.timeout = 1h;
  for (otlp::BatchOptions* b : {&o.span_batch, &o.log_batch}) {
    b->export_timeout = 1h;
    b->max_queue_size = 4;
    b->max_export_batch_size = 4;
  }
  o.export_immediately_on_error = false;
  o.export_self_metrics = true;
  o.metrics.endpoint = rx.url("/v1/metrics");
  o.self_metrics_interval = 20ms;
  OtlpLayer* layer = install(std::move(o));

  for (int i = 0; i < 4; ++i) {
    auto s = ET_SPAN("held");
    ET_INFO("held");
  }
  // The full batch of each signal was taken (and is held in its exporter)...
  ASSERT_TRUE(edgetrace::testing::wait_until([&] {
    return layer->span_batch_counters()->queue_depth.load() == 0 &&
           layer->log_batch_counters()->queue_depth.load() == 0 &&
           layer->self_metrics().spans.exporter.inflight == 4 &&
           layer->self_metrics().logs.exporter.inflight == 4;
  }));
  // ...so of 10 more, each queue keeps 4 and drops the 6 oldest.
  for (int i = 0; i < 10; ++i) {
    auto s = ET_SPAN("next");
    ET_INFO("next");
  }
  const core::SpanContext unsampled_remote{
      core::TraceId::random(), core::SpanId::random(), core::TraceFlags{0}, {}, true};
  { auto s = ET_SPAN_WITH((SpanOptions{.remote_parent = unsampled_remote}), "not sampled"); }

  // Readable in code.
  const SelfMetrics m = layer->self_metrics();
  EXPECT_EQ(m.spans.started_root_sampled, 14u);
  EXPECT_EQ(m.spans.started_remote_unsampled, 1u);
  EXPECT_EQ(m.spans.started(), 15u);
  EXPECT_EQ(m.spans.ended_sampled, 14u);
  EXPECT_EQ(m.spans.ended_unsampled, 1u);
  EXPECT_EQ(m.spans.processor.queue_size, 4u);
  EXPECT_EQ(m.spans.processor.queue_capacity, 4u);
  EXPECT_EQ(m.spans.processor.processed, 4u);
  EXPECT_EQ(m.spans.processor.dropped_queue_full, 6u);
  EXPECT_EQ(m.spans.exporter.inflight, 4u);
  EXPECT_EQ(m.spans.exporter.exported, 0u);
  EXPECT_EQ(m.spans.exporter.component_type, "otlp_http_span_exporter");
  EXPECT_EQ(m.spans.exporter.server_address, "127.0.0.1");
  EXPECT_EQ(m.spans.exporter.server_port, silent.port());
  EXPECT_EQ(m.logs.created, 14u);
  EXPECT_EQ(m.logs.processor.processed, 4u);
  EXPECT_EQ(m.logs.processor.dropped_queue_full, 6u);
  EXPECT_EQ(m.logs.dropped_count(), 6u);

  // And in the backend: a periodic export (every 20 ms) carries the same numbers.
  std::map<std::string, pb::metrics::v1::Metric> got;
  pb::resource::v1::Resource resource;
  const std::map<std::string, std::string> span_processor = {
      {"otel.component.type", "batching_span_processor"},
      {"otel.component.name", m.spans.processor.component_name}};
  const std::map<std::string, std::string> log_processor = {
      {"otel.component.type", "batching_log_processor"},
      {"otel.component.name", m.logs.processor.component_name}};
  ASSERT_TRUE(edgetrace::testing::wait_until([&] {
    got = last_metrics(rx, &resource);
    return got.count("otel.logs.dropped_count") &&
           point(got["otel.sdk.span.started"], {{"otel.span.parent.origin", "remote"}}) ==
               std::optional<std::int64_t>(1);
  })) << "no self-metrics with the last span arrived";

  const auto& started = got["otel.sdk.span.started"];
  EXPECT_EQ(started.unit(), "{span}");
  EXPECT_TRUE(started.sum().is_monotonic());
  EXPECT_EQ(started.sum().aggregation_temporality(),
            pb::metrics::v1::AGGREGATION_TEMPORALITY_CUMULATIVE);
  EXPECT_EQ(point(started, {{"otel.span.parent.origin", "none"},
                            {"otel.span.sampling_result", "RECORD_AND_SAMPLE"}}),
            14);
  EXPECT_EQ(point(started, {{"otel.span.parent.origin", "remote"},
                            {"otel.span.sampling_result", "RECORD_ONLY"}}),
            1);
  const auto& live = got["otel.sdk.span.live"];
  EXPECT_FALSE(live.sum().is_monotonic());
  EXPECT_EQ(point(live, {{"otel.span.sampling_result", "RECORD_AND_SAMPLE"}}), 0);

  EXPECT_EQ(point(got["otel.sdk.processor.span.queue.size"], span_processor), 4);
  EXPECT_EQ(point(got["otel.sdk.processor.span.queue.capacity"], span_processor), 4);
  const auto& processed = got["otel.sdk.processor.span.processed"];
  EXPECT_EQ(processed.unit(), "{span}");
  EXPECT_EQ(point(processed, span_processor), 4);
  auto queue_full = span_processor;
  queue_full["error.type"] = "queue_full";
  EXPECT_EQ(point(processed, queue_full), 6);

  const std::map<std::string, std::string> span_exporter = {
      {"otel.component.type", "otlp_http_span_exporter"},
      {"otel.component.name", m.spans.exporter.component_name},
      {"server.address", "127.0.0.1"},
      {"server.port", std::to_string(silent.port())}};
  EXPECT_EQ(point(got["otel.sdk.exporter.span.inflight"], span_exporter), 4);
  EXPECT_EQ(point(got["otel.sdk.exporter.span.exported"], span_exporter), 0);

  EXPECT_EQ(got["otel.sdk.log.created"].unit(), "{log_record}");
  EXPECT_EQ(point(got["otel.sdk.log.created"], {}), 14);
  EXPECT_EQ(point(got["otel.sdk.processor.log.queue.size"], log_processor), 4);
  auto log_queue_full = log_processor;
  log_queue_full["error.type"] = "queue_full";
  EXPECT_EQ(point(got["otel.sdk.processor.log.processed"], log_queue_full), 6);
  EXPECT_EQ(point(got["otel.sdk.exporter.log.inflight"],
                  {{"otel.component.type", "otlp_http_log_exporter"}}),
            4);
  EXPECT_EQ(got["otel.logs.dropped_count"].unit(), "{log_record}");
  EXPECT_TRUE(got["otel.logs.dropped_count"].sum().is_monotonic());
  EXPECT_EQ(point(got["otel.logs.dropped_count"], {}), 6);
  // The exporter of the self-metrics reports on itself, in data points.
  ASSERT_EQ(got.count("otel.sdk.exporter.metric_data_point.exported"), 1u);
  EXPECT_EQ(got["otel.sdk.exporter.metric_data_point.exported"].unit(), "{data_point}");
  // Under the application's resource.
  ASSERT_NE(attribute(resource.attributes(), "service.name"), nullptr);
  EXPECT_EQ(attribute(resource.attributes(), "service.name")->string_value(), "checkout");

  silent.close();  // the held exports fail now, so the shutdown below does not wait for them
  // Before `rx` goes: the reporter exports to it until the layer stops.
  EXPECT_TRUE(layer->shutdown(otlp::Clock::now() + 10s));
}

TEST_F(OtlpLayerTest, SelfMetricsFinalSnapshotAtShutdownAndLateRecordsCounted) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.export_self_metrics = true;  // endpoint from the traces one: rx's /v1/metrics
  o.self_metrics_interval = 1h;  // only the shutdown exports them
  OtlpLayer* layer = install(std::move(o));
  for (int i = 0; i < 5; ++i) {
    auto s = ET_SPAN("work");
    if (i < 3)
      ET_INFO("step");
  }
  EXPECT_EQ(layer->self_metrics().spans.processor.queue_size, 5u);
  ASSERT_TRUE(layer->shutdown(otlp::Clock::now() + 10s));
  const auto got = last_metrics(rx);
  ASSERT_FALSE(got.empty()) << "no self-metrics at shutdown";
  EXPECT_EQ(point(got.at("otel.sdk.exporter.span.exported"), {}), 5);
  EXPECT_EQ(point(got.at("otel.sdk.exporter.log.exported"), {}), 3);
  EXPECT_EQ(point(got.at("otel.sdk.exporter.span.inflight"), {}), 0);
  EXPECT_EQ(point(got.at("otel.sdk.processor.span.queue.size"), {}), 0);
  EXPECT_EQ(
      point(got.at("otel.sdk.span.live"), {{"otel.span.sampling_result", "RECORD_AND_SAMPLE"}}), 0);
  EXPECT_EQ(point(got.at("otel.logs.dropped_count"), {}), 0);
  EXPECT_EQ(
      point(got.at("otel.sdk.exporter.log.exported"), {{"server.port", std::to_string(rx.port())}}),
      3);
  // After shutdown, records are counted as lost (readable in code; nothing exports any more).
  ET_INFO("late");
  { auto s = ET_SPAN("late"); }
  const SelfMetrics m = layer->self_metrics();
  EXPECT_EQ(m.logs.created, 4u);
  EXPECT_EQ(m.logs.processor.dropped_already_shutdown, 1u);
  EXPECT_EQ(m.logs.dropped_count(), 1u);
  EXPECT_EQ(m.spans.processor.dropped_already_shutdown, 1u);
  EXPECT_EQ(m.spans.exporter.exported, 5u);
}

TEST_F(OtlpLayerTest, SelfMetricsReportExporterFailuresByErrorType) {
  FakeOtlpHttpReceiver rx;
  rx.script({testing::Reply::http(400)});  // the first request (the logs) is rejected
  OtlpLayerOptions o = options_for(rx);
  o.export_spans = false;
  o.export_self_metrics = true;
  o.self_metrics_interval = 1h;
  OtlpLayer* layer = install(std::move(o));
  ET_INFO("rejected 1");
  ET_INFO("rejected 2");
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 10s));
  const SelfMetrics m = layer->self_metrics();
  EXPECT_EQ(m.logs.exporter.failed_rejected, 2u);
  EXPECT_EQ(m.logs.dropped_count(), 2u);
  EXPECT_TRUE(m.spans.processor.component_name.empty());  // spans are not exported
  const auto got = last_metrics(rx);                      // force_flush sent them after the logs
  EXPECT_EQ(point(got.at("otel.sdk.exporter.log.exported"), {{"error.type", "rejected"}}), 2);
  EXPECT_EQ(point(got.at("otel.logs.dropped_count"), {}), 2);
  EXPECT_EQ(got.count("otel.sdk.span.started"), 0u);
}

TEST_F(OtlpLayerTest, SelfMetricsAreNotSentWhenNothingChanged) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o = options_for(rx);
  o.export_self_metrics = true;
  o.self_metrics_interval = 1h;
  OtlpLayer* layer = install(std::move(o));
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  EXPECT_EQ(rx.request_count(), 0u);  // an idle layer says nothing
  ET_INFO("one");
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  EXPECT_EQ(rx.request_count(), 2u);  // the log, then the self-metrics
  ASSERT_TRUE(layer->force_flush(otlp::Clock::now() + 5s));
  ASSERT_TRUE(layer->shutdown(otlp::Clock::now() + 5s));
  EXPECT_EQ(rx.request_count(), 2u);  // nothing new to report since
  const auto reqs = rx.received();
  EXPECT_EQ(reqs[1].path, "/v1/metrics");
}

TEST(OtlpSelfMetricsTest, EndpointAddressAndPort) {
  std::string address;
  std::uint16_t port = 0;
  internal::endpoint_address("http://collector:4318/v1/traces", address, port);
  EXPECT_EQ(address, "collector");
  EXPECT_EQ(port, 4318);
  internal::endpoint_address("https://user:secret@logfire.example/v1/logs", address, port);
  EXPECT_EQ(address, "logfire.example");
  EXPECT_EQ(port, 443);
  internal::endpoint_address("http://[::1]:4317", address, port);
  EXPECT_EQ(address, "::1");
  EXPECT_EQ(port, 4317);
  internal::endpoint_address("localhost:4317", address, port);
  EXPECT_EQ(address, "localhost");
  EXPECT_EQ(port, 4317);
  EXPECT_EQ(internal::exporter_component_type(otlp::Protocol::kHttpJson, otlp::Signal::kLogs),
            "otlp_http_json_log_exporter");
  EXPECT_EQ(internal::exporter_component_type(otlp::Protocol::kGrpc, otlp::Signal::kMetrics),
            "otlp_grpc_metric_exporter");
}

TEST(OtlpConvertTest, AttributeValuesOfEveryType) {
  pb::common::v1::AnyValue v;
  internal::to_any_value(Value::of_uint(std::uint64_t{1} << 63), v);
  EXPECT_EQ(v.string_value(), "9223372036854775808");
  internal::to_any_value(Value::of_uint(5), v);
  EXPECT_EQ(v.int_value(), 5);
  internal::to_any_value(core::AttributeValue(core::Bytes{1, 2}), v);
  EXPECT_EQ(v.bytes_value(), std::string("\x01\x02", 2));
  internal::to_any_value(core::AttributeValue(std::vector<std::int64_t>{1, 2, 3}), v);
  ASSERT_EQ(v.array_value().values_size(), 3);
  EXPECT_EQ(v.array_value().values(2).int_value(), 3);
  internal::to_any_value(core::AttributeValue(std::vector<bool>{true, false}), v);
  ASSERT_EQ(v.array_value().values_size(), 2);
  EXPECT_FALSE(v.array_value().values(1).bool_value());
  internal::to_any_value(Value(), v);
  EXPECT_EQ(v.value_case(), pb::common::v1::AnyValue::VALUE_NOT_SET);
}

}  // namespace
}  // namespace edgetrace::sdk
