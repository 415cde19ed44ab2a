#define ET_TARGET "shop::builder"
#include "edgetrace/sdk/tracing_builder.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "edgetrace/sdk/span.hpp"
#include "fake_http_receiver.hpp"

namespace edgetrace::sdk {
namespace {

using edgetrace::field;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
using testing::FakeOtlpHttpReceiver;

otlp::EnvLookup fake_env(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

struct Recorded {
  std::mutex mu;
  std::vector<std::string> messages;
  std::size_t closed = 0;
  std::size_t sampled = 0;
  int flushes = 0;
  int shutdowns = 0;
  std::vector<std::string> snapshot() {
    std::lock_guard<std::mutex> lock(mu);
    return messages;
  }
};

class RecordingLayer : public Layer {
 public:
  explicit RecordingLayer(std::shared_ptr<Recorded> r) : r_(std::move(r)) {}
  void on_event(const Event& e) override {
    std::lock_guard<std::mutex> lock(r_->mu);
    r_->messages.emplace_back(e.message);
  }
  void on_close(const SpanRecord& span) override {
    std::lock_guard<std::mutex> lock(r_->mu);
    ++r_->closed;
    if (span.context.flags.sampled())
      ++r_->sampled;
  }
  bool force_flush(Deadline) override {
    ++r_->flushes;
    return true;
  }
  bool shutdown(Deadline) override {
    ++r_->shutdowns;
    return true;
  }

 private:
  std::shared_ptr<Recorded> r_;
};

TracingConfig quiet_config() {
  TracingConfig c;
  c.console.enabled = false;
  return c;
}

std::string read_stream(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
    out.append(buf, n);
  return out;
}

std::size_t count_logs(const std::vector<testing::ReceivedRequest>& requests) {
  std::size_t n = 0;
  for (const auto& r : requests)
    for (const auto& rl : r.logs.resource_logs())
      for (const auto& sl : rl.scope_logs())
        n += static_cast<std::size_t>(sl.log_records_size());
  return n;
}

std::size_t count_spans(const std::vector<testing::ReceivedRequest>& requests) {
  std::size_t n = 0;
  for (const auto& r : requests)
    for (const auto& rs : r.traces.resource_spans())
      for (const auto& ss : rs.scope_spans())
        n += static_cast<std::size_t>(ss.spans_size());
  return n;
}

class TracingBuilderTest : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_EQ(current_subscriber(), nullptr); }
};

TEST_F(TracingBuilderTest, ConsoleWritesToTheGivenStreamWithItsFilter) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ConsoleLayerOptions o;
    o.ansi = Ansi::kNever;
    o.stream = f;
    auto guard = TracingBuilder("svc").with_env(fake_env()).with_console(o, "info").build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    EXPECT_FALSE(guard->disabled());
    ET_INFO("hello console", field<"order">(42));
    ET_DEBUG("not shown");
  }
  const std::string out = read_stream(f);
  std::fclose(f);
  EXPECT_THAT(out, HasSubstr("INFO shop::builder: hello console order=42"));
  EXPECT_THAT(out, Not(HasSubstr("not shown")));
}

TEST_F(TracingBuilderTest, GuardFlushesShutsDownAndUninstalls) {
  auto rec = std::make_shared<Recorded>();
  {
    auto guard = TracingBuilder("svc")
                     .with_env(fake_env())
                     .with_config(quiet_config())
                     .with_layer(std::make_unique<RecordingLayer>(rec))
                     .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    ASSERT_NE(guard->tracing(), nullptr);
    EXPECT_EQ(guard->tracing()->layer_count(), 1u);
    ET_INFO("inside");
    EXPECT_TRUE(guard->force_flush(1s));
    EXPECT_EQ(rec->flushes, 1);
  }
  EXPECT_EQ(rec->shutdowns, 1);
  EXPECT_EQ(current_subscriber(), nullptr);
  ET_INFO("after the guard");
  EXPECT_EQ(rec->snapshot(), std::vector<std::string>{"inside"});
}

TEST_F(TracingBuilderTest, MovedGuardShutsDownOnce) {
  auto rec = std::make_shared<Recorded>();
  auto built = TracingBuilder("svc")
                   .with_env(fake_env())
                   .with_config(quiet_config())
                   .with_layer(std::make_unique<RecordingLayer>(rec))
                   .build();
  ASSERT_TRUE(built.ok());
  TracingGuard a = std::move(built).value();
  TracingGuard b = std::move(a);
  EXPECT_TRUE(a.disabled());  // NOLINT(bugprone-use-after-move): moved-from is disabled
  EXPECT_FALSE(b.disabled());
  ET_INFO("once");
  EXPECT_TRUE(b.shutdown());
  EXPECT_TRUE(b.shutdown());
  EXPECT_EQ(rec->shutdowns, 1);
}

TEST_F(TracingBuilderTest, ASecondBuildReplacesTheFirstAndTheOldGuardLeavesItInstalled) {
  auto first_rec = std::make_shared<Recorded>();
  auto second_rec = std::make_shared<Recorded>();
  auto first = TracingBuilder("svc")
                   .with_env(fake_env())
                   .with_config(quiet_config())
                   .with_layer(std::make_unique<RecordingLayer>(first_rec))
                   .build();
  ASSERT_TRUE(first.ok());
  auto second = TracingBuilder("svc")
                    .with_env(fake_env())
                    .with_config(quiet_config())
                    .with_layer(std::make_unique<RecordingLayer>(second_rec))
                    .build();
  ASSERT_TRUE(second.ok());
  ET_INFO("to the second");
  EXPECT_TRUE(first->shutdown());
  EXPECT_EQ(first_rec->shutdowns, 1);
  EXPECT_NE(current_subscriber(), nullptr);  // still the second one
  ET_INFO("still the second");
  EXPECT_TRUE(first_rec->snapshot().empty());
  EXPECT_EQ(second_rec->snapshot(),
            (std::vector<std::string>{"to the second", "still the second"}));
  EXPECT_TRUE(second->shutdown());
}

TEST_F(TracingBuilderTest, SdkDisabledInstallsNothing) {
  auto rec = std::make_shared<Recorded>();
  auto guard = TracingBuilder("svc")
                   .with_env(fake_env({{"OTEL_SDK_DISABLED", "true"}}))
                   .with_layer(std::make_unique<RecordingLayer>(rec))
                   .with_otlp()
                   .build();
  ASSERT_TRUE(guard.ok()) << guard.status().to_string();
  EXPECT_TRUE(guard->disabled());
  EXPECT_EQ(guard->tracing(), nullptr);
  EXPECT_EQ(current_subscriber(), nullptr);
  ET_ERROR("nobody hears this");
  auto span = ET_SPAN("nothing");
  EXPECT_FALSE(span.context().valid());
  EXPECT_TRUE(rec->snapshot().empty());
  EXPECT_TRUE(guard->force_flush(1s));
  EXPECT_TRUE(guard->shutdown());
}

TEST_F(TracingBuilderTest, SdkDisabledInTheConfigFile) {
  TracingConfig c = quiet_config();
  c.sdk_disabled = true;
  auto guard = TracingBuilder("svc").with_env(fake_env()).with_config(c).build();
  ASSERT_TRUE(guard.ok());
  EXPECT_TRUE(guard->disabled());
  // ...and OTEL_SDK_DISABLED=false turns it back on.
  auto on = TracingBuilder("svc")
                .with_env(fake_env({{"OTEL_SDK_DISABLED", "false"}}))
                .with_config(c)
                .build();
  ASSERT_TRUE(on.ok());
  EXPECT_FALSE(on->disabled());
}

TEST_F(TracingBuilderTest, EdgetraceLogIsTheDefaultFilter) {
  auto rec = std::make_shared<Recorded>();
  auto rec2 = std::make_shared<Recorded>();
  {
    auto guard = TracingBuilder("svc")
                     .with_env(fake_env({{"EDGETRACE_LOG", "debug"}}))
                     .with_config(quiet_config())
                     .with_layer(std::make_unique<RecordingLayer>(rec))
                     .with_layer(std::make_unique<RecordingLayer>(rec2), "warn")
                     .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    ET_TRACE("trace");
    ET_DEBUG("debug");
    ET_WARN("warn");
  }
  EXPECT_EQ(rec->snapshot(), (std::vector<std::string>{"debug", "warn"}));
  EXPECT_EQ(rec2->snapshot(), (std::vector<std::string>{"warn"}));

  auto rec3 = std::make_shared<Recorded>();
  {
    auto guard = TracingBuilder("svc")
                     .with_env(fake_env())
                     .with_config(quiet_config())
                     .with_layer(std::make_unique<RecordingLayer>(rec3))
                     .build();
    ASSERT_TRUE(guard.ok());
    ET_DEBUG("debug");
    ET_INFO("info");
  }
  EXPECT_EQ(rec3->snapshot(), (std::vector<std::string>{"info"}));
}

TEST_F(TracingBuilderTest, ConfigLevelIsTheConsoleFilterWhenNoneIsPassed) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    TracingConfig c;
    c.console.level = "warn,shop::builder::db=trace";
    ConsoleLayerOptions o;
    o.ansi = Ansi::kNever;
    o.stream = f;
    auto guard = TracingBuilder("svc")
                     .with_env(fake_env({{"EDGETRACE_LOG", "trace"}}))
                     .with_config(c)
                     .with_console(o)
                     .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    ET_INFO("info is below warn");
    ET_WARN("warn shows");
  }
  const std::string out = read_stream(f);
  std::fclose(f);
  EXPECT_THAT(out, HasSubstr("warn shows"));
  EXPECT_THAT(out, Not(HasSubstr("info is below warn")));
}

TEST_F(TracingBuilderTest, BadDirectiveNamesTheLayer) {
  auto r = TracingBuilder("svc").with_env(fake_env()).with_console({}, "db=loud").build();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("console layer filter"));
  EXPECT_THAT(r.status().message(), HasSubstr("db=loud"));

  TracingConfig c = quiet_config();
  c.otlp.enabled = true;
  c.otlp.level = "info,=";
  r = TracingBuilder("svc").with_env(fake_env()).with_config(c).build();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("OTLP layer filter"));

  r = TracingBuilder("svc")
          .with_env(fake_env({{"EDGETRACE_LOG", "verbose!"}}))
          .with_config(quiet_config())
          .with_layer(std::make_unique<RecordingLayer>(std::make_shared<Recorded>()))
          .build();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("layer 1 (with_layer) filter"));
  EXPECT_EQ(current_subscriber(), nullptr);
}

TEST_F(TracingBuilderTest, InvalidConfigsAreErrors) {
  TracingConfig c;
  c.file.format = LineFormat::kPretty;  // console-only
  auto r = TracingBuilder("svc").with_env(fake_env()).with_config(c).build();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("tracing.file.format"));

  r = TracingBuilder("svc")
          .with_env(fake_env())
          .with_config_file("/nonexistent/edgetrace.toml")
          .build();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("/nonexistent/edgetrace.toml"));
}

TEST_F(TracingBuilderTest, ServiceNamePrecedence) {
  const std::string path =
      ::testing::TempDir() + "edgetrace_builder_" + std::to_string(::getpid()) + ".toml";
  {
    std::ofstream out(path);
    out << "[tracing]\nservice_name = \"from-file\"\nservice_version = \"3.1\"\n"
           "[tracing.console]\nenabled = false\n";
  }
  // The constructor's name is the fallback.
  auto a = TracingBuilder("from-code").with_env(fake_env()).with_config(quiet_config()).build();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->resource().service_name(), "from-code");
  ASSERT_TRUE(a->shutdown());
  // EDGETRACE_CONFIG names the file when the builder is given none.
  auto b = TracingBuilder("from-code").with_env(fake_env({{"EDGETRACE_CONFIG", path}})).build();
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(b->resource().service_name(), "from-file");
  const core::AttributeValue* version = b->resource().attributes().get("service.version");
  ASSERT_NE(version, nullptr);
  EXPECT_EQ(version->to_display_string(), "3.1");
  ASSERT_TRUE(b->shutdown());
  // The environment beats the file.
  auto c = TracingBuilder::from_config_file("from-code", path)
               .with_env(fake_env({{"OTEL_SERVICE_NAME", "from-env"},
                                   {"OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod"}}))
               .build();
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->resource().service_name(), "from-env");
  ASSERT_NE(c->resource().attributes().get("deployment.environment"), nullptr);
  ASSERT_TRUE(c->shutdown());
  std::filesystem::remove(path);
}

TEST_F(TracingBuilderTest, SamplerPrecedence) {
  auto rec = std::make_shared<Recorded>();
  auto sampled_of = [&rec](TracingBuilder& builder) {
    rec = std::make_shared<Recorded>();
    auto guard = builder.with_config(TracingConfig(quiet_config()))
                     .with_layer(std::make_unique<RecordingLayer>(rec))
                     .build();
    EXPECT_TRUE(guard.ok()) << guard.status().to_string();
    for (int i = 0; i < 10; ++i) {
      auto s = ET_SPAN("s");
    }
    EXPECT_EQ(rec->closed, 10u);
    return rec->sampled;
  };
  // The default: parentbased_always_on.
  EXPECT_EQ(sampled_of(TracingBuilder("svc").with_env(fake_env())), 10u);
  EXPECT_EQ(
      sampled_of(TracingBuilder("svc").with_env(fake_env({{"OTEL_TRACES_SAMPLER", "always_off"}}))),
      0u);
  EXPECT_EQ(sampled_of(TracingBuilder("svc")
                           .with_env(fake_env({{"OTEL_TRACES_SAMPLER", "always_off"}}))
                           .with_sampler(Sampler::always_on())),
            10u);
}

TEST_F(TracingBuilderTest, ConfigSamplerAndWarnings) {
  TracingConfig c = quiet_config();
  c.otlp.sampler = config::TracesSampler::kTraceIdRatio;
  c.otlp.sampler_arg = 0.0;
  auto guard = TracingBuilder("svc")
                   .with_env(fake_env({{"OTEL_TRACES_SAMPLER", "xray"}}))
                   .with_config(c)
                   .with_layer(std::make_unique<RecordingLayer>(std::make_shared<Recorded>()))
                   .build();
  ASSERT_TRUE(guard.ok());
  EXPECT_EQ(guard->tracing()->sampler().name(), "traceidratio");
  EXPECT_DOUBLE_EQ(guard->tracing()->sampler().ratio(), 0.0);
  ASSERT_EQ(guard->warnings().size(), 1u);
  EXPECT_THAT(guard->warnings()[0], HasSubstr("OTEL_TRACES_SAMPLER: sampler 'xray'"));
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_F(TracingBuilderTest, FileLayerFromTheConfigWritesIntoTheDirectory) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                                    ("edgetrace_builder_files_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  TracingConfig c = quiet_config();
  c.file.enabled = true;
  c.file.path = (dir / "nested").string();
  c.file.rotation = Rotation::kNever;
  c.file.level = "warn";
  c.file.format = LineFormat::kJson;
  c.log_thread_ids = true;
  {
    auto guard = TracingBuilder("billing").with_env(fake_env()).with_config(c).build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    ET_INFO("below the file's level");
    ET_WARN("to the file", field<"k">(1));
  }
  // The prefix defaults to the service name.
  const std::string text = read_file(dir / "nested" / "billing.log");
  EXPECT_THAT(text, HasSubstr("\"to the file\""));
  EXPECT_THAT(text, HasSubstr("\"k\":1"));
  EXPECT_THAT(text, HasSubstr("thread"));
  EXPECT_THAT(text, Not(HasSubstr("below the file's level")));

  // Explicit options replace the config's.
  FileLayerOptions o;
  o.directory = dir.string();
  o.prefix = "explicit";
  o.rotation = Rotation::kNever;
  {
    auto guard = TracingBuilder("billing").with_env(fake_env()).with_config(c).with_file(o).build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    ET_INFO("info: below the config level, which still applies");
    ET_WARN("explicit file");
  }
  const std::string explicit_text = read_file(dir / "explicit.log");
  EXPECT_THAT(explicit_text, HasSubstr("explicit file"));
  EXPECT_THAT(explicit_text, Not(HasSubstr("below the config level")));
  std::filesystem::remove_all(dir);
}

TEST_F(TracingBuilderTest, FileLayerErrorsNameTheLayer) {
  TracingConfig c = quiet_config();
  c.file.enabled = true;
  c.file.path = "/etc/hostname/logs";  // below a regular file: cannot be created
  auto r = TracingBuilder("svc").with_env(fake_env()).with_config(c).build();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("file layer"));
  EXPECT_THAT(r.status().message(), HasSubstr("/etc/hostname/logs"));
}

TEST_F(TracingBuilderTest, OtlpFromTheConfigDeliversEverythingWhenTheGuardGoes) {
  FakeOtlpHttpReceiver rx;
  TracingConfig c = quiet_config();
  c.service_name = "checkout";
  c.otlp.enabled = true;
  c.otlp.endpoint = rx.url();
  c.otlp.headers = {{"x-tenant", "t1"}};
  c.otlp.level = "debug";
  {
    auto guard = TracingBuilder("svc")
                     .with_env(fake_env())
                     .with_config(c)
                     .with_otlp_factory(&make_otlp_layer)
                     .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    for (int i = 0; i < 50; ++i) {
      auto s = ET_SPAN("work", field<"i">(i));
      ET_DEBUG("step", field<"i">(i));
      ET_TRACE("filtered out");
    }
  }  // nothing is flushed before this: the batch delays are seconds
  const auto requests = rx.received();
  EXPECT_EQ(count_spans(requests), 50u);
  EXPECT_EQ(count_logs(requests), 50u);
  bool saw_traces = false;
  bool saw_logs = false;
  for (const auto& r : requests) {
    if (r.path == "/v1/metrics")
      continue;  // the OTLP layer's self-metrics
    saw_traces = saw_traces || r.path == "/v1/traces";
    saw_logs = saw_logs || r.path == "/v1/logs";
    EXPECT_EQ(r.headers.count("x-tenant"), 1u);
    const auto& resource = r.path == "/v1/traces" ? r.traces.resource_spans(0).resource()
                                                  : r.logs.resource_logs(0).resource();
    bool named = false;
    for (const auto& kv : resource.attributes())
      named = named || (kv.key() == "service.name" && kv.value().string_value() == "checkout");
    EXPECT_TRUE(named);
  }
  EXPECT_TRUE(saw_traces);
  EXPECT_TRUE(saw_logs);
}

TEST_F(TracingBuilderTest, OtlpEndpointFromTheEnvironmentBeatsTheFile) {
  FakeOtlpHttpReceiver rx;
  FakeOtlpHttpReceiver traces_rx;
  TracingConfig c = quiet_config();
  c.otlp.endpoint = "http://127.0.0.1:1";  // overridden below
  {
    auto guard = TracingBuilder("svc")
                     .with_env(fake_env(
                         {{"OTEL_EXPORTER_OTLP_ENDPOINT", rx.url()},
                          {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces_rx.url("/v1/traces")}}))
                     .with_config(c)
                     .with_otlp_factory(&make_otlp_layer)
                     .with_otlp()
                     .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    auto s = ET_SPAN("s");
    ET_INFO("event");
  }
  EXPECT_EQ(count_logs(rx.received()), 1u);
  EXPECT_EQ(count_spans(rx.received()), 0u);
  EXPECT_EQ(count_spans(traces_rx.received()), 1u);
}

TEST_F(TracingBuilderTest, AttributeLimitsFromTheEnvironmentReachTheReceiver) {
  FakeOtlpHttpReceiver rx;
  {
    auto guard = TracingBuilder("svc")
                     .with_env(fake_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", rx.url()},
                                         {"OTEL_ATTRIBUTE_COUNT_LIMIT", "2"},
                                         {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "3"},
                                         {"OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT", "5"}}))
                     .with_config(quiet_config())
                     .with_otlp_factory(&make_otlp_layer)
                     .with_otlp()
                     .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    auto s = ET_SPAN("s", field<"route">("/users/{id}"), field<"a">(1), field<"b">(2));
    ET_INFO("event", field<"user">("alice@example"), field<"n">(1), field<"m">(2));
  }
  bool saw_span = false;
  bool saw_log = false;
  for (const auto& r : rx.received()) {
    for (const auto& rs : r.traces.resource_spans()) {
      const auto& span = rs.scope_spans(0).spans(0);
      ASSERT_EQ(span.attributes_size(), 2);
      EXPECT_EQ(span.attributes(0).value().string_value(), "/us");
      EXPECT_EQ(span.dropped_attributes_count(), 1u);
      saw_span = true;
    }
    for (const auto& rl : r.logs.resource_logs()) {
      const auto& log = rl.scope_logs(0).log_records(0);
      ASSERT_GE(log.attributes_size(), 2);
      EXPECT_EQ(log.attributes(0).value().string_value(), "alice");
      EXPECT_EQ(log.dropped_attributes_count(), 1u);
      saw_log = true;
    }
  }
  EXPECT_TRUE(saw_span);
  EXPECT_TRUE(saw_log);
}

TEST_F(TracingBuilderTest, OtlpWithoutTheFactoryIsAnErrorNamingTheLibrary) {
  TracingConfig c = quiet_config();
  c.otlp.enabled = true;
  auto r = TracingBuilder("svc").with_env(fake_env()).with_config(c).build();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("link edgetrace::sdk_otlp"));
  EXPECT_THAT(r.status().message(), HasSubstr("with_otlp_factory"));
  EXPECT_EQ(current_subscriber(), nullptr);
  // with_otlp() (defined in edgetrace::sdk_otlp) supplies the factory; without_otlp()
  // needs none.
  EXPECT_TRUE(TracingBuilder("svc").with_env(fake_env()).with_otlp().build().ok());
  EXPECT_TRUE(
      TracingBuilder("svc").with_env(fake_env()).with_config(c).without_otlp().build().ok());
}

TEST_F(TracingBuilderTest, FileThenEnvironmentThenCode) {
  // One key at each layer: the file sets all three, the environment two, the code one.
  const std::string path =
      ::testing::TempDir() + "edgetrace_layers_" + std::to_string(::getpid()) + ".toml";
  {
    std::ofstream out(path);
    out << "[tracing]\nservice_name = \"file\"\n[tracing.console]\nenabled = false\n"
           "[tracing.otlp]\nsampler = \"always_on\"\nsampler_arg = 0.5\n";
  }
  auto guard = TracingBuilder("code")
                   .with_env(fake_env({{"OTEL_SERVICE_NAME", "env"},
                                       {"OTEL_TRACES_SAMPLER", "traceidratio"},
                                       {"OTEL_TRACES_SAMPLER_ARG", "0.25"}}))
                   .with_config_file(path)
                   .with_sampler(Sampler::always_off())
                   .build();
  std::filesystem::remove(path);
  ASSERT_TRUE(guard.ok()) << guard.status().to_string();
  EXPECT_EQ(guard->resource().service_name(), "env");           // env over file
  EXPECT_EQ(guard->tracing()->sampler().name(), "always_off");  // code over env over file
  EXPECT_EQ(guard->tracing()->layer_count(), 0u);               // file over defaults
  auto from_env = TracingBuilder("code")
                      .with_env(fake_env({{"OTEL_TRACES_SAMPLER", "traceidratio"}}))
                      .with_config(parse_config("[tracing.otlp]\nsampler_arg = 0.5\n").value())
                      .build();
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->tracing()->sampler().name(), "traceidratio");
  EXPECT_DOUBLE_EQ(from_env->tracing()->sampler().ratio(), 0.5);  // the file's arg is kept
}

TEST_F(TracingBuilderTest, ExplicitOtlpOptionsIgnoreTheEnvironment) {
  FakeOtlpHttpReceiver rx;
  OtlpLayerOptions o;
  o.traces.endpoint = rx.url("/v1/traces");
  o.logs.endpoint = rx.url("/v1/logs");
  {
    auto guard = TracingBuilder("explicit")
                     .with_env(fake_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"}}))
                     .with_config(quiet_config())
                     .with_otlp(std::move(o), "warn")
                     .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    ET_INFO("below warn");
    ET_WARN("sent");
  }
  const auto requests = rx.received();
  ASSERT_EQ(count_logs(requests), 1u);
  EXPECT_EQ(requests[0].logs.resource_logs(0).scope_logs(0).log_records(0).body().string_value(),
            "sent");
  bool named = false;
  for (const auto& kv : requests[0].logs.resource_logs(0).resource().attributes())
    named = named || (kv.key() == "service.name" && kv.value().string_value() == "explicit");
  EXPECT_TRUE(named);
}

TEST_F(TracingBuilderTest, ShutdownDeadlineIsRespectedWhenTheReceiverHangs) {
  FakeOtlpHttpReceiver rx;
  rx.script({testing::Reply::ok().with_delay(4s), testing::Reply::ok().with_delay(4s)});
  TracingConfig c = quiet_config();
  c.otlp.enabled = true;
  c.otlp.endpoint = rx.url();
  auto guard = TracingBuilder("svc")
                   .with_env(fake_env())
                   .with_config(c)
                   .with_otlp_factory(&make_otlp_layer)
                   .with_shutdown_deadline(300ms)
                   .build();
  ASSERT_TRUE(guard.ok()) << guard.status().to_string();
  for (int i = 0; i < 10; ++i)
    ET_ERROR("urgent");
  std::this_thread::sleep_for(200ms);  // the error logs are being exported: the reply hangs
  const auto t0 = std::chrono::steady_clock::now();
  const bool flushed = guard->shutdown();
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(flushed);
  EXPECT_LT(elapsed, 1500ms);
}

}  // namespace
}  // namespace edgetrace::sdk
