// The seed 001 configuration as written, the environment as deployments set it, and the
// builder's identity calls.
#define ET_TARGET "shop::seed"
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "edgetrace/sdk/config.hpp"
#include "edgetrace/sdk/event.hpp"
#include "edgetrace/sdk/otlp_layer.hpp"
#include "edgetrace/sdk/span.hpp"
#include "edgetrace/sdk/tracing_builder.hpp"
#include "fake_http_receiver.hpp"
#include "testing/temp_dir.hpp"
#include "testing/wait.hpp"

#ifndef EDGETRACE_SEED_TESTDATA
#error "EDGETRACE_SEED_TESTDATA must name src/sdk/testdata/seed001"
#endif

namespace edgetrace::sdk {
namespace {

using testing::FakeOtlpHttpReceiver;
using ::testing::HasSubstr;
using ::testing::Not;

core::EnvLookup env_of(std::map<std::string, std::string, std::less<>> vars = {}) {
  return core::map_environment(std::move(vars));
}

std::string data(std::string_view name) {
  return std::string(EDGETRACE_SEED_TESTDATA) + "/" + std::string(name);
}

TracingConfig load(std::string_view name, std::string_view table = "tracing") {
  core::Result<TracingConfig> c = load_config_file(data(name), table);
  EXPECT_TRUE(c.ok()) << name << ": " << c.status().to_string();
  return c.ok() ? *c : TracingConfig{};
}

std::string hex_of(const std::vector<otlp::Header>& headers) {
  std::string out;
  for (const otlp::Header& h : headers)
    out += h.name + "=" + h.value + ";";
  return out;
}

// Everything a config makes the builder build: each layer's options as the builder derives
// them (file location resolved for a fixed HOME), the OTLP layer's exporter and batch
// options, and the resource identity.
std::string describe(const TracingConfig& c) {
  std::ostringstream o;
  o << "service=" << c.service_name << " version=" << c.service_version
    << " instance=" << c.service_instance_id << " spans=" << c.log_spans
    << " tids=" << c.log_thread_ids << " tnames=" << c.log_thread_names
    << " disabled=" << c.sdk_disabled << "\n";
  o << "console enabled=" << c.console.enabled << " level=" << c.console.level
    << " format=" << static_cast<int>(c.console.format)
    << " ansi=" << static_cast<int>(c.console.ansi) << " stderr=" << c.console.to_stderr
    << " target=" << c.console.show_target << " source=" << c.console.show_source_location
    << " spanlist=" << c.console.show_span_list << " ids=" << c.console.show_trace_ids << "\n";
  core::Result<FileLocation> loc =
      resolve_file_location(c.file, "svc", env_of({{"HOME", "/home/u"}}));
  o << "file enabled=" << c.file.enabled << " level=" << c.file.level;
  if (loc.ok())
    o << " dir=" << loc->directory << " prefix=" << loc->prefix << " suffix=" << loc->suffix;
  else
    o << " location error=" << loc.status().message();
  o << " rotation=" << static_cast<int>(c.file.rotation) << " max_files=" << c.file.max_files
    << " format=" << static_cast<int>(c.file.format) << " worker=" << c.file.worker_prefix << "\n";
  std::vector<std::string> warnings;
  const OtlpLayerOptions otlp =
      otlp_layer_options(c.otlp, config::read_otel_environment(env_of()), &warnings);
  o << "otlp enabled=" << c.otlp.enabled << " level=" << c.otlp.level
    << " traces=" << otlp.traces.endpoint << " logs=" << otlp.logs.endpoint
    << " protocol=" << otlp::to_string(otlp.traces.protocol)
    << " timeout=" << otlp.traces.timeout.count() << " headers=" << hex_of(otlp.traces.headers)
    << " sampler=" << static_cast<int>(c.otlp.sampler) << " spans=" << otlp.export_spans
    << " logs=" << otlp.export_logs << " batch=" << otlp.span_batch.max_export_batch_size << "/"
    << otlp.span_batch.schedule_delay.count() << "/" << otlp.span_batch.max_queue_size
    << " override=" << c.otlp.service_name_override << "\n";
  return o.str();
}

struct SeedCase {
  std::string_view seed;
  std::string_view native;
  std::string_view table;
};

TEST(SeedConfigTest, EverySeedFileMeansWhatItsNativeEquivalentMeans) {
  for (const SeedCase& k :
       {SeedCase{"phase2.toml", "phase2.native.toml", "tracing"},
        SeedCase{"phase3.toml", "phase3.native.toml", "tracing"},
        SeedCase{"config.example.toml", "config.example.native.toml", "coordinator.tracing"},
        SeedCase{"config.example.toml", "config.example.native.toml", "worker.tracing"},
        SeedCase{"guide.toml", "guide.native.toml", "coordinator.tracing"},
        SeedCase{"migration.toml", "migration.native.toml", "coordinator.tracing"}}) {
    SCOPED_TRACE(std::string(k.seed) + " [" + std::string(k.table) + "]");
    const TracingConfig seed = load(k.seed, k.table);
    const TracingConfig native = load(k.native, k.table);
    EXPECT_EQ(describe(seed), describe(native));
    EXPECT_TRUE(seed.warnings.empty());
  }
}

TEST(SeedConfigTest, SeedFilesHaveTheMeaningsThePlanGivesThem) {
  const TracingConfig phase2 = load("phase2.toml");
  EXPECT_EQ(phase2.service_name, "my-coordinator");
  EXPECT_TRUE(phase2.log_thread_ids);
  EXPECT_EQ(phase2.console.level, "debug");
  EXPECT_TRUE(phase2.console.show_target);
  EXPECT_EQ(phase2.console.format, LineFormat::kFull);  // compact = false
  EXPECT_TRUE(phase2.file.enabled);
  EXPECT_EQ(phase2.file.rotation, Rotation::kDaily);
  EXPECT_EQ(phase2.file.max_files, 14u);

  const TracingConfig phase3 = load("phase3.toml");
  EXPECT_TRUE(phase3.otlp.enabled);  // [tracing.opentelemetry] is [tracing.otlp]
  EXPECT_EQ(phase3.otlp.protocol, otlp::Protocol::kGrpc);
  EXPECT_EQ(phase3.otlp.endpoint, "http://localhost:4317");
  EXPECT_EQ(phase3.otlp.timeout, std::chrono::milliseconds(10000));

  const TracingConfig guide = load("guide.toml", "coordinator.tracing");
  EXPECT_EQ(guide.service_version, "1.0.0");
  EXPECT_EQ(guide.service_instance_id, "prod-coord-01");
  ASSERT_EQ(guide.otlp.headers.size(), 1u);
  EXPECT_EQ(guide.otlp.headers[0], (otlp::Header{"x-api-key", "secret"}));
  core::Result<FileLocation> loc = resolve_file_location(guide.file, "svc", env_of());
  ASSERT_TRUE(loc.ok()) << loc.status().to_string();
  EXPECT_EQ(loc->directory, "/var/log/mitosis");
  EXPECT_EQ(loc->prefix, "coordinator");
  EXPECT_EQ(loc->suffix, "log");
  // Rotated names derive from the file's name.
  const std::chrono::system_clock::time_point t{std::chrono::seconds(1795269950)};
  EXPECT_EQ(rolling_file_name(loc->prefix, loc->suffix, Rotation::kDaily, t),
            "coordinator.2026-11-21.log");
  EXPECT_EQ(rolling_file_name(loc->prefix, loc->suffix, Rotation::kNever, t), "coordinator.log");
}

TEST(SeedConfigTest, ProtocolNamesOfTheSeedInAnyCase) {
  for (auto [name, protocol] : {std::pair{"Grpc", otlp::Protocol::kGrpc},
                                {"HttpProtobuf", otlp::Protocol::kHttpProtobuf},
                                {"httpprotobuf", otlp::Protocol::kHttpProtobuf},
                                {"HttpJson", otlp::Protocol::kHttpJson},
                                {"http/protobuf", otlp::Protocol::kHttpProtobuf}}) {
    core::Result<TracingConfig> c =
        parse_config(std::string("[tracing.otlp]\nprotocol = \"") + name + "\"\n");
    ASSERT_TRUE(c.ok()) << name << ": " << c.status().to_string();
    EXPECT_EQ(c->otlp.protocol, protocol) << name;
  }
}

std::string error_of(std::string_view toml, std::string_view table = "tracing") {
  core::Result<TracingConfig> r = parse_config(toml, "t.toml", table);
  EXPECT_FALSE(r.ok()) << toml;
  return r.ok() ? std::string() : r.status().message();
}

TEST(SeedConfigTest, ConsoleAliasesAndTheirConflicts) {
  core::Result<TracingConfig> c =
      parse_config("[tracing.console]\ncompact = true\nwith_target = false\nwith_ansi = true\n");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->console.format, LineFormat::kCompact);
  EXPECT_FALSE(c->console.show_target);
  EXPECT_EQ(c->console.ansi, Ansi::kAlways);
  c = parse_config("[tracing.console]\nwith_ansi = false\n");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->console.ansi, Ansi::kNever);

  EXPECT_THAT(error_of("[tracing.console]\ncompact = true\nformat = \"json\"\n"),
              HasSubstr("keys 'format' and 'compact' are two names for one setting"));
  EXPECT_THAT(error_of("[tracing.console]\nwith_target = true\nshow_target = true\n"),
              HasSubstr("keys 'show_target' and 'with_target'"));
  EXPECT_THAT(error_of("[tracing.console]\nansi = \"auto\"\nwith_ansi = true\n"),
              HasSubstr("t.toml:3:1: [tracing.console] keys 'ansi' and 'with_ansi'"));
  EXPECT_THAT(error_of("[tracing.console]\ncompact = \"yes\"\n"), HasSubstr("expected a boolean"));
  EXPECT_THAT(error_of("[tracing.otlp]\nenabled = true\n[tracing.opentelemetry]\nenabled = true\n"),
              HasSubstr("are two names for one table"));
  // The unknown-key message lists the other names too.
  EXPECT_THAT(error_of("[tracing.console]\ncolour = 1\n"), HasSubstr("with_target"));
}

TEST(SeedConfigTest, TheTracingTableFromAnyPath) {
  constexpr std::string_view kText =
      "[coordinator]\nbind = \"x\"\n[coordinator.tracing]\nservice_name = \"coord\"\n"
      "[worker.tracing.console]\nlevel = \"warn\"\n";
  core::Result<TracingConfig> coord = parse_config(kText, "app.toml", "coordinator.tracing");
  ASSERT_TRUE(coord.ok()) << coord.status().to_string();
  EXPECT_EQ(coord->service_name, "coord");
  EXPECT_TRUE(coord->warnings.empty());
  core::Result<TracingConfig> worker = parse_config(kText, "app.toml", "worker.tracing");
  ASSERT_TRUE(worker.ok());
  EXPECT_EQ(worker->console.level, "warn");
  // Errors name the path that was read.
  EXPECT_THAT(error_of("[worker.tracing.file]\ncolour = 1\n", "worker.tracing"),
              HasSubstr("[worker.tracing.file] unknown key 'colour'"));
}

TEST(SeedConfigTest, ATracingTableTheProgramDoesNotReadIsNamedInAWarning) {
  core::Result<TracingConfig> c =
      parse_config("[coordinator.tracing.file]\nenabled = true\n", "app.toml");
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_THAT(c->warnings[0], HasSubstr("app.toml: the tracing table [coordinator.tracing] is "
                                        "not read: this program reads [tracing]"));
  EXPECT_FALSE(c->file.enabled);  // the defaults, as the warning says
  // Two candidates: the file holds several programs' tables; no guess, no warning.
  c = parse_config("[a.tracing]\nlog_spans = true\n[b.tracing]\nlog_spans = true\n");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->warnings.empty());
  // The table asked for is there: nothing to say.
  c = parse_config("[tracing]\nlog_spans = true\n[b.tracing]\nlog_spans = true\n");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->warnings.empty());
  // The builder passes the warning on.
  edgetrace::testing::TempDir dir("edgetrace-seed");
  const std::string path = dir.file("app.toml");
  std::ofstream(path) << "[worker.tracing.console]\nenabled = false\n";
  auto guard = TracingBuilder("svc").with_env(env_of()).with_config_file(path).build();
  ASSERT_TRUE(guard.ok()) << guard.status().to_string();
  EXPECT_THAT(guard->warnings(), ::testing::Contains(HasSubstr("[worker.tracing] is not read")));
  guard->shutdown();
  auto worker =
      TracingBuilder("svc").with_env(env_of()).with_config_file(path, "worker.tracing").build();
  ASSERT_TRUE(worker.ok()) << worker.status().to_string();
  EXPECT_EQ(worker->tracing()->layer_count(), 0u);  // its console is off
  EXPECT_THAT(worker->warnings(), Not(::testing::Contains(HasSubstr("is not read"))));
}

TEST(SeedConfigTest, FilePathNamesADirectoryOrAFile) {
  edgetrace::testing::TempDir dir("edgetrace-seed");
  const auto env = env_of({{"HOME", "/home/u"}});
  FileConfig f;
  const auto at = [&](std::string path) {
    f.path = std::move(path);
    core::Result<FileLocation> l = resolve_file_location(f, "coordinator", env);
    EXPECT_TRUE(l.ok()) << l.status().to_string();
    return l.ok() ? l->directory + "|" + l->prefix + "|" + l->suffix : std::string();
  };
  EXPECT_EQ(at("/var/log/app/worker.log"), "/var/log/app|worker|log");
  EXPECT_EQ(at("worker.txt"), ".|worker|txt");
  EXPECT_EQ(at("/var/log/app"), "/var/log/app|coordinator|log");
  EXPECT_EQ(at("/var/log/app.d/"), "/var/log/app.d/|coordinator|log");
  std::filesystem::create_directories(dir.path() / "logs.d");
  EXPECT_EQ(at(dir.file("logs.d")), dir.file("logs.d") + "|coordinator|log");
  f.prefix = "x";
  f.path = "/var/log/app/worker.log";
  core::Result<FileLocation> bad = resolve_file_location(f, "svc", env);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("`prefix` cannot be used when `path` names a file"));
}

TEST(SeedConfigTest, DefaultDirectoryIsTheUsersCacheDirectory) {
  FileConfig f;
  EXPECT_EQ(f.max_files, 7u);
  EXPECT_TRUE(f.path.empty());
  core::Result<FileLocation> l =
      resolve_file_location(f, "worker", env_of({{"XDG_CACHE_HOME", "/xdg"}, {"HOME", "/h"}}));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->directory, "/xdg/worker");
  EXPECT_EQ(l->prefix, "worker");
  l = resolve_file_location(f, "worker", env_of({{"HOME", "/h"}}));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->directory, "/h/.cache/worker");
  // A relative XDG_CACHE_HOME is invalid by the XDG rules: HOME is used.
  l = resolve_file_location(f, "worker", env_of({{"XDG_CACHE_HOME", "rel"}, {"HOME", "/h"}}));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->directory, "/h/.cache/worker");
  l = resolve_file_location(f, "worker", env_of());
  ASSERT_FALSE(l.ok());
  EXPECT_THAT(l.status().message(), HasSubstr("neither XDG_CACHE_HOME nor HOME"));
}

TEST(SeedConfigTest, BuilderWritesTheSeedFileLayerIntoTheCacheDirectoryWithWorkerPrefix) {
  edgetrace::testing::TempDir dir("edgetrace-seed");
  TracingConfig c = load("phase2.toml");
  c.console.enabled = false;
  c.file.rotation = Rotation::kNever;
  c.file.worker_prefix = "[{instance_id}|worker-{uuid}|{pid}]";
  {
    auto guard = TracingBuilder("ignored")
                     .with_env(env_of({{"XDG_CACHE_HOME", dir.path().string()}}))
                     .with_config(c)
                     .with_instance_id("w-42")
                     .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    ASSERT_EQ(guard->tracing()->layer_count(), 1u);
    ET_INFO("task done");
  }
  const std::filesystem::path file = dir.path() / "my-coordinator" / "my-coordinator.log";
  std::ifstream in(file);
  ASSERT_TRUE(in.good()) << file;
  std::string line;
  std::getline(in, line);
  EXPECT_TRUE(line.starts_with("[w-42|worker-w-42|" + std::to_string(::getpid()) + "] ")) << line;
  EXPECT_THAT(line, HasSubstr("shop::seed: task done"));
}

TEST(SeedConfigTest, WorkerPrefixIsRefusedWithJsonLines) {
  EXPECT_THAT(error_of("[tracing.file]\nworker_prefix = \"w1\"\nformat = \"json\"\n"),
              HasSubstr("key 'worker_prefix': cannot be used with format = \"json\""));
  TracingConfig c;
  c.file.worker_prefix = "w1";
  c.file.format = LineFormat::kJson;
  EXPECT_THAT(validate_config(c).message(), HasSubstr("worker_prefix"));
}

// ---- batch keys, the mobile preset, processors ----

TEST(SeedConfigTest, BatchKeysAndTheMobilePreset) {
  core::Result<TracingConfig> c = parse_config("[tracing.otlp]\npreset = \"mobile\"\n");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  std::vector<std::string> warnings;
  OtlpLayerOptions o =
      otlp_layer_options(c->otlp, config::read_otel_environment(env_of()), &warnings);
  for (const otlp::BatchOptions* b : {&o.span_batch, &o.log_batch}) {
    EXPECT_EQ(b->max_export_batch_size, 256u);
    EXPECT_EQ(b->schedule_delay, std::chrono::seconds(30));
    EXPECT_EQ(b->max_queue_size, 1024u);
  }
  EXPECT_TRUE(o.export_immediately_on_error);

  // Keys over the preset, the environment over the keys.
  c = parse_config(
      "[tracing.otlp]\npreset = \"mobile\"\nmax_export_batch_size = 100\nexport_interval = "
      "\"2m\"\nmax_queue_size = 500\nexport_timeout = \"5s\"\nexport_immediately_on_error = "
      "false\n");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  o = otlp_layer_options(
      c->otlp, config::read_otel_environment(env_of({{"OTEL_BLRP_MAX_QUEUE_SIZE", "300"}})),
      &warnings);
  EXPECT_EQ(o.span_batch.max_export_batch_size, 100u);
  EXPECT_EQ(o.span_batch.schedule_delay, std::chrono::minutes(2));
  EXPECT_EQ(o.span_batch.max_queue_size, 500u);
  EXPECT_EQ(o.span_batch.export_timeout, std::chrono::seconds(5));
  EXPECT_EQ(o.log_batch.max_queue_size, 300u);
  EXPECT_EQ(o.log_batch.schedule_delay, std::chrono::minutes(2));
  EXPECT_FALSE(o.export_immediately_on_error);

  // Without keys: the OpenTelemetry defaults (logs every second).
  o = otlp_layer_options(OtlpConfig{}, config::read_otel_environment(env_of()), &warnings);
  EXPECT_EQ(o.span_batch.max_export_batch_size, 512u);
  EXPECT_EQ(o.log_batch.schedule_delay, std::chrono::seconds(1));

  EXPECT_THAT(error_of("[tracing.otlp]\nscheduled_delay = 1\nexport_interval = 2\n"),
              HasSubstr("two names for one setting"));
  EXPECT_THAT(error_of("[tracing.otlp]\nmax_queue_size = 10\nmax_export_batch_size = 20\n"),
              HasSubstr("must not exceed max_queue_size (10)"));
  EXPECT_THAT(error_of("[tracing.otlp]\npreset = \"tiny\"\n"), HasSubstr("default or mobile"));
  EXPECT_THAT(error_of("[tracing.otlp]\nmax_queue_size = 0\n"), HasSubstr("between 1 and"));
}

// With the mobile preset records wait 30 s, but an ERROR goes out at once (and takes the
// INFO queued before it along); with export_immediately_on_error = false it waits too.
TEST(SeedConfigTest, MobilePresetExportsErrorsAtOnce) {
  for (bool immediately : {true, false}) {
    SCOPED_TRACE(immediately ? "immediately" : "at the interval");
    FakeOtlpHttpReceiver rx;
    auto c = parse_config(std::string("[tracing.console]\nenabled = false\n[tracing.otlp]\n"
                                      "enabled = true\npreset = \"mobile\"\n"
                                      "export_immediately_on_error = ") +
                          (immediately ? "true" : "false") + "\nendpoint = \"" + rx.url() + "\"\n");
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    auto guard = TracingBuilder("svc")
                     .with_env(env_of())
                     .with_config(*c)
                     .with_otlp_factory(&make_otlp_layer)
                     .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    ASSERT_EQ(guard->tracing()->layer_count(), 1u);
    auto& layer = dynamic_cast<OtlpLayer&>(guard->tracing()->layer(0));
    ET_INFO("queued");
    ET_ERROR("payment failed");
    const bool arrived = edgetrace::testing::wait_until(
        [&] { return layer.counters().logs_exported >= 2; },
        immediately ? std::chrono::seconds(20) : std::chrono::milliseconds(1500));
    // Waiting the full 1.5 s for the negative case: an urgent export would have come after
    // min_export_interval (100 ms); a 30 s interval cannot have passed.
    EXPECT_EQ(arrived, immediately);
    ASSERT_TRUE(guard->force_flush(std::chrono::seconds(10)));
    EXPECT_EQ(layer.counters().logs_exported, 2u);
  }
}

TEST(SeedConfigTest, ProcessorsPerLayerInTheTracingTable) {
  core::Result<TracingConfig> c = parse_config(
      "[tracing.otlp.processors.redaction]\nenabled = true\nallowed_attributes = [\"user.id\"]\n"
      "[tracing.otlp.processors.sampling]\ndebug_log_ratio = 0.5\n");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  processors::ProcessorsOptions p;
  ASSERT_TRUE(read_otlp_processors(c->otlp, p).ok());
  EXPECT_TRUE(p.redaction.enabled);
  EXPECT_EQ(p.redaction.allowed_attributes, std::vector<std::string>{"user.id"});
  EXPECT_DOUBLE_EQ(p.sampling.debug_log_ratio, 0.5);

  c = parse_config("[tracing.otlp.processors.redaction]\npatterns = [\"(unclosed\"]\n", "p.toml");
  ASSERT_TRUE(c.ok());
  core::Status s = read_otlp_processors(c->otlp, p);
  EXPECT_THAT(s.message(), HasSubstr("p.toml:2:"));
  c = parse_config("[tracing.otlp.processors.redact]\nenabled = true\n", "p.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(read_otlp_processors(c->otlp, p).message(), HasSubstr("unknown key 'redact'"));
  EXPECT_THAT(error_of("[tracing.otlp]\nprocessors = 3\n"), HasSubstr("expected a table"));
}

TEST(SeedConfigTest, ProcessorsFromTheTracingTableRedactBeforeExport) {
  FakeOtlpHttpReceiver rx;
  auto c = parse_config(
      "[tracing.console]\nenabled = false\n[tracing.otlp]\nenabled = true\n"
      "endpoint = \"" +
      rx.url() + "\"\n[tracing.otlp.processors.redaction]\nenabled = true\n");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  {
    auto guard = TracingBuilder("svc")
                     .with_env(env_of())
                     .with_config(*c)
                     .with_otlp_factory(&make_otlp_layer)
                     .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    ET_INFO("reset mail sent to bob@example.com");
  }
  std::string bodies;
  for (const testing::ReceivedRequest& r : rx.received())
    for (const auto& rl : r.logs.resource_logs())
      for (const auto& sl : rl.scope_logs())
        for (const auto& lr : sl.log_records())
          bodies += lr.body().string_value() + "\n";
  EXPECT_THAT(bodies, HasSubstr("reset mail sent to [REDACTED]"));
  EXPECT_THAT(bodies, Not(HasSubstr("bob@example.com")));
}

// ---- the environment ----

TEST(SeedConfigTest, PortOfTheOtherProtocolGetsAWarningNamingTheFix) {
  OtlpConfig o;
  o.endpoint = "http://collector:4317";
  o.protocol = otlp::Protocol::kHttpProtobuf;
  const config::OtelEnvironment none = config::read_otel_environment(env_of());
  std::vector<std::string> w = check_otlp_ports(o, none);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0], HasSubstr("http://collector:4317 is on port 4317, the OTLP/gRPC port"));
  EXPECT_THAT(w[0], HasSubstr("OTEL_EXPORTER_OTLP_PROTOCOL=grpc"));
  o.protocol = otlp::Protocol::kGrpc;
  EXPECT_TRUE(check_otlp_ports(o, none).empty());
  o.endpoint = "http://collector:4318";
  w = check_otlp_ports(o, none);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0], HasSubstr("port 4318, the OTLP/HTTP port, but the protocol is grpc"));
  o.protocol = otlp::Protocol::kHttpJson;
  EXPECT_TRUE(check_otlp_ports(o, none).empty());
  // Per-signal variables, with their own protocol.
  o.endpoint.clear();
  w = check_otlp_ports(
      o, config::read_otel_environment(
             env_of({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4317/v1/traces"}})));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0], HasSubstr("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc"));
  // Through the builder: the warning is in the guard's.
  auto guard = TracingBuilder("svc")
                   .with_env(env_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317"}}))
                   .with_config(TracingConfig{})
                   .without_console()
                   .with_otlp_factory(&make_otlp_layer)
                   .build();
  ASSERT_TRUE(guard.ok());
  EXPECT_THAT(guard->warnings(), ::testing::Contains(HasSubstr("is on port 4317")));
}

TEST(SeedConfigTest, SamplingRatioIsAParentBasedTraceIdRatio) {
  TracingConfig c;
  std::vector<std::string> w = apply_environment(c, env_of({{"OTEL_SAMPLING_RATIO", "0.25"}}));
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(c.otlp.sampler, config::TracesSampler::kParentBasedTraceIdRatio);
  ASSERT_TRUE(c.otlp.sampler_arg);
  EXPECT_DOUBLE_EQ(*c.otlp.sampler_arg, 0.25);

  TracingConfig standard;
  w = apply_environment(
      standard, env_of({{"OTEL_SAMPLING_RATIO", "0.25"}, {"OTEL_TRACES_SAMPLER", "always_off"}}));
  EXPECT_EQ(standard.otlp.sampler, config::TracesSampler::kAlwaysOff);
  EXPECT_THAT(w, ::testing::Contains(HasSubstr("OTEL_SAMPLING_RATIO: ignored")));

  TracingConfig bad;
  w = apply_environment(bad, env_of({{"OTEL_SAMPLING_RATIO", "2"}}));
  EXPECT_EQ(bad.otlp.sampler, config::TracesSampler::kParentBasedAlwaysOn);
  EXPECT_THAT(w, ::testing::Contains(HasSubstr("OTEL_SAMPLING_RATIO")));

  // The sampler the builder installs keeps about a quarter of new root traces.
  FILE* sink = std::tmpfile();
  ASSERT_NE(sink, nullptr);
  ConsoleLayerOptions console;
  console.stream = sink;
  auto guard = TracingBuilder("svc")
                   .with_env(env_of({{"OTEL_SAMPLING_RATIO", "0.25"}}))
                   .with_config(TracingConfig{})
                   .with_console(console, "info")
                   .build();
  ASSERT_TRUE(guard.ok());
  int sampled = 0;
  for (int i = 0; i < 4000; ++i) {
    auto span = ET_SPAN("root");
    sampled += span.context().sampled() ? 1 : 0;
  }
  EXPECT_GT(sampled, 800);
  EXPECT_LT(sampled, 1200);
  guard->shutdown();
  std::fclose(sink);
}

std::size_t count_items(const std::vector<testing::ReceivedRequest>& requests,
                        std::string_view path) {
  std::size_t n = 0;
  for (const testing::ReceivedRequest& r : requests)
    n += r.path == path ? 1 : 0;
  return n;
}

TEST(SeedConfigTest, OtlpTurnsOnWhenTheEndpointVariableIsSet) {
  FakeOtlpHttpReceiver rx;
  {
    auto guard = TracingBuilder("svc")
                     .with_env(env_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", rx.url()}}))
                     .with_config(TracingConfig{})
                     .without_console()
                     .with_otlp_factory(&make_otlp_layer)
                     .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    EXPECT_EQ(guard->tracing()->layer_count(), 1u);
    auto s = ET_SPAN("s");
    ET_INFO("event");
  }
  EXPECT_EQ(count_items(rx.received(), "/v1/logs"), 1u);
  EXPECT_EQ(count_items(rx.received(), "/v1/traces"), 1u);

  // The config says no: the variable does not override it.
  auto off = parse_config("[tracing.otlp]\nenabled = false\n[tracing.console]\nenabled = false\n");
  ASSERT_TRUE(off.ok());
  auto guard = TracingBuilder("svc")
                   .with_env(env_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", rx.url()}}))
                   .with_config(*off)
                   .with_otlp_factory(&make_otlp_layer)
                   .build();
  ASSERT_TRUE(guard.ok());
  EXPECT_EQ(guard->tracing()->layer_count(), 0u);
  guard->shutdown();
  // So does without_otlp().
  guard = TracingBuilder("svc")
              .with_env(env_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", rx.url()}}))
              .with_config(TracingConfig{})
              .without_console()
              .with_otlp_factory(&make_otlp_layer)
              .without_otlp()
              .build();
  ASSERT_TRUE(guard.ok());
  EXPECT_EQ(guard->tracing()->layer_count(), 0u);
}

TEST(SeedConfigTest, APerSignalEndpointExportsOnlyThatSignal) {
  FakeOtlpHttpReceiver rx;
  {
    auto guard =
        TracingBuilder("svc")
            .with_env(env_of({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", rx.url("/v1/traces")}}))
            .with_config(TracingConfig{})
            .without_console()
            .with_otlp_factory(&make_otlp_layer)
            .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    auto s = ET_SPAN("s");
    ET_INFO("event");
  }
  EXPECT_EQ(count_items(rx.received(), "/v1/traces"), 1u);
  EXPECT_EQ(count_items(rx.received(), "/v1/logs"), 0u);
}

TEST(SeedConfigTest, UnusableOtlpNeverTakesDownTheConsole) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  std::vector<std::string> warnings;
  {
    ConsoleLayerOptions console;
    console.stream = f;
    console.ansi = Ansi::kNever;
    // An unreadable CA file: the OTLP layer cannot be made.
    auto guard = TracingBuilder("svc")
                     .with_env(env_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://127.0.0.1:1"},
                                       {"OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem"}}))
                     .with_config(TracingConfig{})
                     .with_console(console)
                     .with_otlp_factory(&make_otlp_layer)
                     .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    EXPECT_EQ(guard->tracing()->layer_count(), 1u);  // the console only
    warnings = guard->warnings();
    ET_INFO("still logging");
  }
  std::fflush(f);
  std::rewind(f);
  char buf[4096] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  EXPECT_THAT(std::string(buf, n), HasSubstr("still logging"));
  EXPECT_EQ(
      std::count_if(warnings.begin(), warnings.end(),
                    [](const std::string& w) { return w.starts_with("OTLP export is off: "); }),
      1);

  // Asked for by the environment in a program without the OTLP layer: a warning, not an error.
  auto plain = TracingBuilder("svc")
                   .with_env(env_of({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"}}))
                   .with_config(TracingConfig{})
                   .without_console()
                   .build();
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  EXPECT_THAT(plain->warnings(), ::testing::Contains(HasSubstr("link edgetrace::sdk_otlp")));
  plain->shutdown();

  // A bad processors table closes export too.
  auto bad = parse_config(
      "[tracing.console]\nenabled = false\n[tracing.otlp]\nenabled = true\n"
      "[tracing.otlp.processors.redaction]\npatterns = [\"(x\"]\n");
  ASSERT_TRUE(bad.ok());
  auto closed = TracingBuilder("svc")
                    .with_env(env_of())
                    .with_config(*bad)
                    .with_otlp_factory(&make_otlp_layer)
                    .build();
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->tracing()->layer_count(), 0u);
  EXPECT_THAT(closed->warnings(), ::testing::Contains(HasSubstr("OTLP export is off")));
}

// ---- the builder's identity calls ----

const core::AttributeValue* resource_value(const TracingGuard& g, std::string_view key) {
  return g.resource().attributes().get(key);
}

std::string resource_string(const TracingGuard& g, std::string_view key) {
  const core::AttributeValue* v = resource_value(g, key);
  const std::string* s = v != nullptr ? v->get_if<std::string>() : nullptr;
  return s != nullptr ? *s : std::string("<unset>");
}

TEST(SeedConfigTest, InstanceIdDefaultsToOneRandomUuidPerProcess) {
  const std::string id = default_instance_id();
  EXPECT_TRUE(std::regex_match(
      id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << id;
  EXPECT_EQ(default_instance_id(), id);
  auto guard = TracingBuilder("svc")
                   .with_env(env_of())
                   .with_config(TracingConfig{})
                   .without_console()
                   .build();
  ASSERT_TRUE(guard.ok());
  EXPECT_EQ(resource_string(*guard, "service.instance.id"), id);
  guard->shutdown();
  // A forked child is another process: another id.
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string child = default_instance_id();
    (void)!::write(pipefd[1], child.data(), child.size());
    ::_exit(0);
  }
  ::close(pipefd[1]);
  char buf[64] = {};
  const ssize_t n = ::read(pipefd[0], buf, sizeof buf);
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_EQ(n, 36);
  EXPECT_NE(std::string(buf, 36), id);
}

TEST(SeedConfigTest, IdentityCallsBeatTheEnvironmentAndTheFile) {
  TracingConfig c;
  c.console.enabled = false;
  c.service_version = "file-v";
  c.service_instance_id = "file-id";
  auto from_file = TracingBuilder("svc").with_env(env_of()).with_config(c).build();
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(resource_string(*from_file, "service.version"), "file-v");
  EXPECT_EQ(resource_string(*from_file, "service.instance.id"), "file-id");
  from_file->shutdown();

  auto env = env_of(
      {{"OTEL_RESOURCE_ATTRIBUTES", "service.version=env-v,service.instance.id=env-id,team=env"}});
  auto from_env = TracingBuilder("svc").with_env(env).with_config(c).build();
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(resource_string(*from_env, "service.version"), "env-v");
  EXPECT_EQ(resource_string(*from_env, "service.instance.id"), "env-id");
  EXPECT_EQ(resource_string(*from_env, "team"), "env");
  from_env->shutdown();

  auto from_code = TracingBuilder("svc")
                       .with_env(env)
                       .with_config(c)
                       .with_version("2.0.0")
                       .with_instance_id("worker-9")
                       .with_resource_attribute("team", "code")
                       .with_resource_attribute("mitosis.component", "worker")
                       .with_resource_attribute("shard", 3)
                       .build();
  ASSERT_TRUE(from_code.ok());
  EXPECT_EQ(resource_string(*from_code, "service.version"), "2.0.0");
  EXPECT_EQ(resource_string(*from_code, "service.instance.id"), "worker-9");
  EXPECT_EQ(resource_string(*from_code, "team"), "code");
  EXPECT_EQ(resource_string(*from_code, "mitosis.component"), "worker");
  ASSERT_NE(resource_value(*from_code, "shard"), nullptr);
  EXPECT_EQ(*resource_value(*from_code, "shard")->get_if<std::int64_t>(), 3);
  from_code->shutdown();

  // No version anywhere, and this file is compiled without EDGETRACE_SERVICE_VERSION.
  TracingConfig plain;
  plain.console.enabled = false;
  auto none = TracingBuilder("svc").with_env(env_of()).with_config(plain).build();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(resource_value(*none, "service.version"), nullptr);
}

TEST(SeedConfigTest, ServiceNameOverrideNamesTheServiceInTheResource) {
  auto c = parse_config(
      "[tracing]\nservice_name = \"mitosis-worker\"\n[tracing.console]\nenabled = false\n"
      "[tracing.opentelemetry]\nservice_name_override = \"worker-eu\"\n");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  auto guard = TracingBuilder("svc").with_env(env_of()).with_config(*c).build();
  ASSERT_TRUE(guard.ok());
  EXPECT_EQ(guard->resource().service_name(), "worker-eu");
  guard->shutdown();
  // The environment still wins over every file value.
  guard = TracingBuilder("svc")
              .with_env(env_of({{"OTEL_SERVICE_NAME", "from-env"}}))
              .with_config(*c)
              .build();
  ASSERT_TRUE(guard.ok());
  EXPECT_EQ(guard->resource().service_name(), "from-env");
}

TEST(SeedConfigTest, LineCallsApplyToExplicitConsoleOptionsToo) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    ConsoleLayerOptions console;
    console.stream = f;
    console.ansi = Ansi::kNever;
    ::pthread_setname_np(::pthread_self(), "seed-main");
    auto guard = TracingBuilder("svc")
                     .with_env(env_of())
                     .with_config(TracingConfig{})
                     .with_console(console, "info")
                     .with_span_events(true)
                     .with_thread_names(true)
                     .build();
    ASSERT_TRUE(guard.ok()) << guard.status().to_string();
    auto s = ET_SPAN("handle");
  }
  std::fflush(f);
  std::rewind(f);
  char buf[4096] = {};
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  const std::string out(buf, n);
  EXPECT_THAT(out, HasSubstr("handle"));
  EXPECT_THAT(out, HasSubstr("close"));
  EXPECT_THAT(out, HasSubstr("seed-main"));
}

}  // namespace
}  // namespace edgetrace::sdk
