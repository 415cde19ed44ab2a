#include "edgetrace/processors/processors.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <thread>

#include "edgetrace/otlp/model.hpp"
#include "edgetrace/processors/sampling.hpp"

namespace edgetrace::processors {
namespace {

using namespace std::chrono_literals;
namespace proto = ::opentelemetry::proto;
using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;

constexpr auto kDebug = proto::logs::v1::SEVERITY_NUMBER_DEBUG;
constexpr auto kTrace = proto::logs::v1::SEVERITY_NUMBER_TRACE;
constexpr auto kInfo = proto::logs::v1::SEVERITY_NUMBER_INFO;
constexpr auto kWarn = proto::logs::v1::SEVERITY_NUMBER_WARN;
constexpr auto kError = proto::logs::v1::SEVERITY_NUMBER_ERROR;
constexpr auto kFatal = proto::logs::v1::SEVERITY_NUMBER_FATAL;

std::unique_ptr<Processors> make(ProcessorsOptions o) {
  core::Result<std::unique_ptr<Processors>> p = Processors::create(std::move(o));
  EXPECT_TRUE(p.ok()) << p.status().to_string();
  return p ? std::move(*p) : nullptr;
}

std::string random_trace_id(std::mt19937_64& rng) {
  std::string id(16, '\0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t v = rng();
    for (int i = 0; i < 8; ++i) {
      id[static_cast<std::size_t>(half * 8 + i)] = static_cast<char>(v & 0xff);
      v >>= 8;
    }
  }
  return id;
}

std::string get_string(const otlp::KeyValues& kvs, std::string_view key) {
  for (const auto& kv : kvs) {
    if (kv.key() == key)
      return kv.value().string_value();
  }
  return "<absent>";
}

proto::logs::v1::LogRecord& add_record(otlp::LogsRequest& req, std::string_view scope,
                                       proto::logs::v1::SeverityNumber severity,
                                       std::string_view body = "message") {
  auto* rl = req.resource_logs_size() > 0 ? req.mutable_resource_logs(0) : req.add_resource_logs();
  proto::logs::v1::ScopeLogs* sl = nullptr;
  for (auto& s : *rl->mutable_scope_logs()) {
    if (s.scope().name() == scope)
      sl = &s;
  }
  if (sl == nullptr) {
    sl = rl->add_scope_logs();
    sl->mutable_scope()->set_name(std::string(scope));
  }
  auto* r = sl->add_log_records();
  r->set_severity_number(severity);
  r->mutable_body()->set_string_value(std::string(body));
  return *r;
}

std::size_t count_records(const otlp::LogsRequest& req) {
  std::size_t n = 0;
  for (const auto& rl : req.resource_logs()) {
    for (const auto& sl : rl.scope_logs())
      n += static_cast<std::size_t>(sl.log_records_size());
  }
  return n;
}

// ---- Redaction over requests ----------------------------------------------------------

ProcessorsOptions redacting() {
  ProcessorsOptions o;
  o.redaction.enabled = true;
  return o;
}

TEST(ProcessorsTest, RedactsSpanEventLinkResourceAndScopeAttributes) {
  auto p = make(redacting());
  otlp::TraceRequest req;
  auto* rs = req.add_resource_spans();
  otlp::add_string_attribute(*rs->mutable_resource()->mutable_attributes(), "host.ip", "10.1.2.3");
  otlp::add_string_attribute(*rs->mutable_resource()->mutable_attributes(), "service.name",
                             "checkout");
  auto* ss = rs->add_scope_spans();
  otlp::add_string_attribute(*ss->mutable_scope()->mutable_attributes(), "owner",
                             "team@example.com");
  auto* span = ss->add_spans();
  span->set_name("GET /users");
  otlp::add_string_attribute(*span->mutable_attributes(), "user.email", "bob@example.com");
  otlp::add_int_attribute(*span->mutable_attributes(), "http.status_code", 200);
  auto* event = span->add_events();
  otlp::add_string_attribute(*event->mutable_attributes(), "note", "card 4111111111111111");
  auto* link = span->add_links();
  otlp::add_string_attribute(*link->mutable_attributes(), "peer", "fe80::1");
  span->mutable_status()->set_message("denied for bob@example.com");

  Outcome out = p->process(req, Clock::now());
  EXPECT_EQ(out.kept, 1u);
  EXPECT_EQ(out.redacted_values, 6u);
  EXPECT_EQ(get_string(rs->resource().attributes(), "host.ip"), "[REDACTED]");
  EXPECT_EQ(get_string(rs->resource().attributes(), "service.name"), "checkout");
  EXPECT_EQ(get_string(ss->scope().attributes(), "owner"), "[REDACTED]");
  EXPECT_EQ(get_string(span->attributes(), "user.email"), "[REDACTED]");
  EXPECT_EQ(span->attributes(1).value().int_value(), 200);
  EXPECT_EQ(get_string(event->attributes(), "note"), "card [REDACTED]");
  EXPECT_EQ(get_string(link->attributes(), "peer"), "[REDACTED]");
  EXPECT_EQ(span->status().message(), "denied for [REDACTED]");
  EXPECT_EQ(p->counters().values_redacted, 6u);
}

TEST(ProcessorsTest, RedactsLogBodiesIncludingNestedValues) {
  auto p = make(redacting());
  otlp::LogsRequest req;
  auto& plain = add_record(req, "app", kInfo, "login by bob@example.com from 192.168.0.7");
  auto& nested = add_record(req, "app", kInfo);
  auto* kv = nested.mutable_body()->mutable_kvlist_value()->add_values();
  kv->set_key("user");
  kv->mutable_value()->set_string_value("alice@example.org");
  auto* arr = nested.mutable_body()->mutable_kvlist_value()->add_values();
  arr->set_key("peers");
  arr->mutable_value()->mutable_array_value()->add_values()->set_string_value("10.0.0.1");
  arr->mutable_value()->mutable_array_value()->add_values()->set_int_value(7);
  otlp::add_string_attribute(*nested.mutable_attributes(), "auth", "Bearer abcdef0123456789");

  Outcome out = p->process(req, Clock::now());
  EXPECT_EQ(out.redacted_values, 4u);
  EXPECT_EQ(plain.body().string_value(), "login by [REDACTED] from [REDACTED]");
  const auto& body = nested.body().kvlist_value();
  EXPECT_EQ(body.values(0).value().string_value(), "[REDACTED]");
  EXPECT_EQ(body.values(1).value().array_value().values(0).string_value(), "[REDACTED]");
  EXPECT_EQ(body.values(1).value().array_value().values(1).int_value(), 7);
  EXPECT_EQ(get_string(nested.attributes(), "auth"), "Bearer [REDACTED]");
}

TEST(ProcessorsTest, RedactionOffLeavesEverything) {
  ProcessorsOptions o;  // redaction.enabled = false
  auto p = make(o);
  otlp::LogsRequest req;
  auto& r = add_record(req, "app", kInfo, "bob@example.com");
  EXPECT_EQ(p->process(req, Clock::now()).redacted_values, 0u);
  EXPECT_EQ(r.body().string_value(), "bob@example.com");
}

TEST(ProcessorsTest, AllowListMasksOtherStringAttributesOfItemsOnly) {
  ProcessorsOptions o = redacting();
  o.redaction.allowed_attributes = {"http.route", "user.note"};
  auto p = make(o);
  otlp::LogsRequest req;
  auto& r = add_record(req, "app", kInfo, "body stays (bob@example.com redacted)");
  otlp::add_string_attribute(*r.mutable_attributes(), "http.route", "/users/{id}");
  otlp::add_string_attribute(*r.mutable_attributes(), "user.note", "mail bob@example.com");
  otlp::add_string_attribute(*r.mutable_attributes(), "db.statement", "SELECT * FROM users");
  otlp::add_int_attribute(*r.mutable_attributes(), "retries", 3);
  auto* list = r.add_attributes();
  list->set_key("tags");
  list->mutable_value()->mutable_array_value()->add_values()->set_string_value("a");
  otlp::add_string_attribute(
      *req.mutable_resource_logs(0)->mutable_resource()->mutable_attributes(), "service.name",
      "checkout");

  Outcome out = p->process(req, Clock::now());
  EXPECT_EQ(get_string(r.attributes(), "http.route"), "/users/{id}");
  EXPECT_EQ(get_string(r.attributes(), "user.note"), "mail [REDACTED]");
  EXPECT_EQ(get_string(r.attributes(), "db.statement"), "[REDACTED]");
  EXPECT_EQ(r.attributes(3).value().int_value(), 3);
  EXPECT_EQ(r.attributes(4).value().array_value().values(0).string_value(), "[REDACTED]");
  EXPECT_EQ(r.body().string_value(), "body stays ([REDACTED] redacted)");
  EXPECT_EQ(get_string(req.resource_logs(0).resource().attributes(), "service.name"), "checkout");
  EXPECT_EQ(out.redacted_values, 4u);  // note, body, statement, tags[0]
  EXPECT_EQ(p->counters().attributes_masked, 2u);
  EXPECT_EQ(p->counters().values_redacted, 2u);
}

TEST(ProcessorsTest, TrimsStackTraceAndCodePathAttributes) {
  ProcessorsOptions o = redacting();
  o.redaction.trim_stack_paths = true;
  o.redaction.stack_path_roots = {"/srv/app"};
  auto p = make(o);
  otlp::TraceRequest req;
  auto* span = req.add_resource_spans()->add_scope_spans()->add_spans();
  auto* event = span->add_events();
  event->set_name("exception");
  otlp::add_string_attribute(*event->mutable_attributes(), "exception.stacktrace",
                             "at f (/srv/app/src/f.js:1:2)\nat g (/usr/lib/g.js:3:4)");
  otlp::add_string_attribute(*span->mutable_attributes(), "code.filepath", "/home/dev/x/y.cpp");
  otlp::add_string_attribute(*span->mutable_attributes(), "other.path", "/home/dev/x/y.cpp");
  p->process(req, Clock::now());
  EXPECT_EQ(get_string(event->attributes(), "exception.stacktrace"),
            "at f (src/f.js:1:2)\nat g (g.js:3:4)");
  EXPECT_EQ(get_string(span->attributes(), "code.filepath"), "y.cpp");
  EXPECT_EQ(get_string(span->attributes(), "other.path"), "/home/dev/x/y.cpp");
  EXPECT_EQ(p->counters().stack_paths_trimmed, 2u);
}

TEST(ProcessorsTest, InvalidPatternAndOptionsAreClearErrors) {
  ProcessorsOptions o = redacting();
  o.redaction.patterns = {"(unclosed"};
  core::Result<std::unique_ptr<Processors>> p = Processors::create(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("redaction pattern '(unclosed'"));

  ProcessorsOptions bad_ratio;
  bad_ratio.sampling.debug_log_ratio = 1.5;
  p = Processors::create(bad_ratio);
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("debug_log_ratio"));

  ProcessorsOptions bad_rate;
  bad_rate.scope_rate.per_second = -1;
  EXPECT_FALSE(Processors::create(bad_rate).ok());
}

// ---- Trace sampling --------------------------------------------------------------------

otlp::TraceRequest spans_request(const std::vector<std::string>& trace_ids, int spans_per_trace) {
  otlp::TraceRequest req;
  auto* ss = req.add_resource_spans()->add_scope_spans();
  for (int k = 0; k < spans_per_trace; ++k) {
    for (const std::string& id : trace_ids) {
      auto* span = ss->add_spans();
      span->set_trace_id(id);
      span->set_name(std::to_string(k));
    }
  }
  return req;
}

std::set<std::string> kept_trace_ids(const otlp::TraceRequest& req) {
  std::set<std::string> ids;
  for (const auto& rs : req.resource_spans()) {
    for (const auto& ss : rs.scope_spans()) {
      for (const auto& span : ss.spans())
        ids.insert(span.trace_id());
    }
  }
  return ids;
}

TEST(ProcessorsTest, TraceRatioZeroAndOne) {
  std::mt19937_64 rng(1);
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i)
    ids.push_back(random_trace_id(rng));

  ProcessorsOptions all;
  all.sampling.trace_ratio = 1.0;
  otlp::TraceRequest req = spans_request(ids, 1);
  Outcome out = make(all)->process(req, Clock::now());
  EXPECT_EQ(out.kept, 200u);
  EXPECT_EQ(out.sampled_out, 0u);

  ProcessorsOptions none;
  none.sampling.trace_ratio = 0.0;
  auto p = make(none);
  req = spans_request(ids, 1);
  out = p->process(req, Clock::now());
  EXPECT_EQ(out.kept, 0u);
  EXPECT_EQ(out.sampled_out, 200u);
  // Emptied scopes and resources are removed.
  EXPECT_EQ(req.resource_spans_size(), 0);
  EXPECT_EQ(p->counters().dropped_count(Signal::kTraces, DropReason::kSampled), 200u);
  EXPECT_EQ(p->counters().kept[0], 0u);
}

TEST(ProcessorsTest, TraceRatioHalfIsConsistentAcrossInstancesAndSpans) {
  std::mt19937_64 rng(42);
  std::vector<std::string> ids;
  for (int i = 0; i < 4000; ++i)
    ids.push_back(random_trace_id(rng));
  ProcessorsOptions o;
  o.sampling.trace_ratio = 0.5;
  auto a = make(o);
  auto b = make(o);

  otlp::TraceRequest ra = spans_request(ids, 3);  // three spans per trace
  otlp::TraceRequest rb = spans_request(ids, 3);
  const Outcome oa = a->process(ra, Clock::now());
  b->process(rb, Clock::now());

  const std::set<std::string> kept_a = kept_trace_ids(ra);
  EXPECT_EQ(kept_a, kept_trace_ids(rb));  // the same traces on both "daemons"
  // Every span of a kept trace kept, none of a dropped one.
  EXPECT_EQ(oa.kept, kept_a.size() * 3);
  EXPECT_EQ(oa.sampled_out, (ids.size() - kept_a.size()) * 3);
  // Loose bound: 4000 fair coins are within 1800..2200 with overwhelming probability.
  EXPECT_GT(kept_a.size(), 1800u);
  EXPECT_LT(kept_a.size(), 2200u);
  for (const std::string& id : kept_a)
    EXPECT_GE(trace_randomness(id), kMaxThreshold / 2);
}

// ---- Log sampling ----------------------------------------------------------------------

TEST(ProcessorsTest, ErrorAndFatalAlwaysKeptDebugAtItsRatio) {
  ProcessorsOptions o;
  o.sampling.debug_log_ratio = 0.0;
  o.sampling.info_log_ratio = 0.0;
  o.sampling.warn_log_ratio = 0.0;
  auto p = make(o);
  otlp::LogsRequest req;
  for (int i = 0; i < 50; ++i) {
    add_record(req, "app", kTrace);
    add_record(req, "app", kDebug);
    add_record(req, "app", kInfo);
    add_record(req, "app", kWarn);
    add_record(req, "app", kError, "error");
    add_record(req, "app", kFatal, "fatal");
  }
  // No severity number: classified by its text.
  auto& by_text = add_record(req, "app", proto::logs::v1::SEVERITY_NUMBER_UNSPECIFIED, "by text");
  by_text.set_severity_text("Error");
  Outcome out = p->process(req, Clock::now());
  EXPECT_EQ(out.kept, 101u);
  EXPECT_EQ(out.sampled_out, 200u);
  for (const auto& r : req.resource_logs(0).scope_logs(0).log_records())
    EXPECT_GE(r.severity_number() == 0 ? 17 : static_cast<int>(r.severity_number()), 17);
  EXPECT_EQ(p->counters().dropped_count(Signal::kLogs, DropReason::kSampled), 200u);
}

TEST(ProcessorsTest, DebugLogsInsideAKeptTraceAreKept) {
  std::mt19937_64 rng(7);
  ProcessorsOptions o;
  o.sampling.trace_ratio = 0.3;
  o.sampling.debug_log_ratio = 0.3;
  auto p = make(o);
  std::vector<std::string> ids;
  for (int i = 0; i < 500; ++i)
    ids.push_back(random_trace_id(rng));
  otlp::TraceRequest spans = spans_request(ids, 1);
  otlp::LogsRequest logs;
  for (const std::string& id : ids)
    add_record(logs, "app", kDebug).set_trace_id(id);
  p->process(spans, Clock::now());
  p->process(logs, Clock::now());
  std::set<std::string> log_ids;
  for (const auto& r : logs.resource_logs(0).scope_logs(0).log_records())
    log_ids.insert(r.trace_id());
  EXPECT_EQ(log_ids, kept_trace_ids(spans));
  EXPECT_FALSE(log_ids.empty());
}

TEST(ProcessorsTest, DebugLogsWithoutTraceIdSampledAtRoughlyTheRatio) {
  ProcessorsOptions o;
  o.sampling.debug_log_ratio = 0.5;
  auto p = make(o);
  otlp::LogsRequest req;
  for (int i = 0; i < 4000; ++i)
    add_record(req, "app", kDebug);
  Outcome out = p->process(req, Clock::now());
  EXPECT_EQ(out.kept + out.sampled_out, 4000u);
  EXPECT_GT(out.kept, 1800u);
  EXPECT_LT(out.kept, 2200u);
}

// ---- Rate caps -------------------------------------------------------------------------

TEST(ProcessorsTest, RateCapPerScopeWithBurstAndRefill) {
  ProcessorsOptions o;
  o.scope_rate.per_second = 10;
  o.scope_rate.burst = 5;
  auto p = make(o);
  const Clock::time_point t0 = Clock::now();

  otlp::LogsRequest req;
  for (int i = 0; i < 8; ++i) {
    add_record(req, "noisy", kInfo);
    add_record(req, "quiet", kInfo);
  }
  Outcome out = p->process(req, t0);
  EXPECT_EQ(out.kept, 10u);  // 5 of each scope: the burst
  EXPECT_EQ(out.rate_capped, 6u);

  // 100 ms later: one more record per scope (10/s).
  otlp::LogsRequest later;
  for (int i = 0; i < 3; ++i)
    add_record(later, "noisy", kInfo);
  EXPECT_EQ(p->process(later, t0 + 100ms).kept, 1u);
  EXPECT_EQ(count_records(later), 1u);

  // After a long pause the bucket is full again, but never holds more than the burst.
  otlp::LogsRequest after_pause;
  for (int i = 0; i < 20; ++i)
    add_record(after_pause, "noisy", kInfo);
  EXPECT_EQ(p->process(after_pause, t0 + 1h).kept, 5u);

  const ProcessorsCounters c = p->counters();
  EXPECT_EQ(c.dropped_count(Signal::kLogs, DropReason::kRateCapped), 6u + 2u + 15u);
  EXPECT_EQ(c.received[1], 16u + 3u + 20u);
  EXPECT_EQ(c.kept[1], 10u + 1u + 5u);
}

TEST(ProcessorsTest, RateCapDropsLowestSeverityFirst) {
  ProcessorsOptions o;
  o.scope_rate.per_second = 1;
  o.scope_rate.burst = 2;
  auto p = make(o);
  otlp::LogsRequest req;
  add_record(req, "s", kDebug, "d1");
  add_record(req, "s", kError, "e1");
  add_record(req, "s", kInfo, "i1");
  add_record(req, "s", kError, "e2");
  Outcome out = p->process(req, Clock::now());
  EXPECT_EQ(out.rate_capped, 2u);
  const auto& records = req.resource_logs(0).scope_logs(0).log_records();
  ASSERT_EQ(records.size(), 2);
  EXPECT_EQ(records.Get(0).body().string_value(), "e1");
  EXPECT_EQ(records.Get(1).body().string_value(), "e2");
}

TEST(ProcessorsTest, ScopesBeyondMaxShareTheOverflowBucket) {
  ProcessorsOptions o;
  o.scope_rate.per_second = 1;
  o.scope_rate.burst = 2;
  o.scope_rate.max_scopes = 1;
  auto p = make(o);
  otlp::LogsRequest req;
  for (const char* scope : {"first", "second", "third"}) {
    for (int i = 0; i < 2; ++i)
      add_record(req, scope, kInfo);
  }
  Outcome out = p->process(req, Clock::now());
  // "first" has its own bucket (2); "second" and "third" share one of 2.
  EXPECT_EQ(out.kept, 4u);
  EXPECT_EQ(out.rate_capped, 2u);
}

TEST(ProcessorsTest, SampledAndRateCappedCountedSeparatelyFromManyThreads) {
  ProcessorsOptions o;
  o.sampling.debug_log_ratio = 0.0;
  o.scope_rate.per_second = 1;
  o.scope_rate.burst = 100;
  auto p = make(o);
  const Clock::time_point t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 25; ++round) {
        otlp::LogsRequest req;
        for (int i = 0; i < 4; ++i) {
          add_record(req, "shared", kDebug);
          add_record(req, "shared", kInfo);
        }
        p->process(req, t0);  // the same instant: no refill
      }
    });
  }
  for (auto& t : threads)
    t.join();
  const ProcessorsCounters c = p->counters();
  EXPECT_EQ(c.received[1], 800u);
  EXPECT_EQ(c.dropped_count(Signal::kLogs, DropReason::kSampled), 400u);
  EXPECT_EQ(c.kept[1], 100u);
  EXPECT_EQ(c.dropped_count(Signal::kLogs, DropReason::kRateCapped), 300u);
}

}  // namespace
}  // namespace edgetrace::processors

namespace edgetrace::processors {
namespace {

TEST(ProcessorsOptionsTest, ActiveOnlyWhenSomethingIsOn) {
  ProcessorsOptions o;
  EXPECT_FALSE(is_active(o));
  o.sampling.warn_log_ratio = 0.9;
  EXPECT_TRUE(is_active(o));
  o = {};
  o.scope_rate.per_second = 1;
  EXPECT_TRUE(is_active(o));
  o = {};
  o.redaction.enabled = true;
  EXPECT_TRUE(is_active(o));
  EXPECT_EQ(to_string(Signal::kLogs), "logs");
  EXPECT_EQ(to_string(DropReason::kRateCapped), "rate_capped");
}

}  // namespace
}  // namespace edgetrace::processors
