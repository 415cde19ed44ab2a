#include "edgetrace/sdk/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace edgetrace::sdk {
namespace {

using ::testing::HasSubstr;

otlp::EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

std::string error_of(std::string_view toml) {
  core::Result<TracingConfig> r = parse_config(toml, "test.toml");
  EXPECT_FALSE(r.ok()) << toml;
  return r.ok() ? std::string() : r.status().message();
}

TEST(ConfigTest, EmptyTextGivesTheDefaults) {
  core::Result<TracingConfig> r = parse_config("", "empty.toml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const TracingConfig& c = *r;
  EXPECT_EQ(c.service_name, "");
  EXPECT_FALSE(c.sdk_disabled);
  EXPECT_TRUE(c.console.enabled);
  EXPECT_EQ(c.console.format, LineFormat::kFull);
  EXPECT_EQ(c.console.ansi, Ansi::kAuto);
  EXPECT_FALSE(c.file.enabled);
  EXPECT_EQ(c.file.rotation, Rotation::kDaily);
  EXPECT_FALSE(c.otlp.enabled);
  EXPECT_EQ(c.otlp.protocol, otlp::Protocol::kHttpProtobuf);
  EXPECT_EQ(c.otlp.timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(c.otlp.sampler, config::TracesSampler::kParentBasedAlwaysOn);
}

TEST(ConfigTest, ReadsEveryKey) {
  constexpr std::string_view kText = R"(
[other]
anything = "is ignored"

[tracing]
service_name = "checkout"
service_version = "1.4.2"
service_instance_id = "pod-7"
log_spans = true
log_thread_ids = true
log_thread_names = true
sdk_disabled = true

[tracing.console]
enabled = false
level = "info,db=debug"
format = "JSON"
ansi = "never"
stderr = true
show_target = false
show_source_location = true
show_span_list = false
show_trace_ids = false

[tracing.file]
enabled = true
level = "debug"
path = "/var/log/checkout"
prefix = "worker-3"
suffix = "txt"
rotation = "hourly"
max_files = 24
format = "compact"

[tracing.otlp]
enabled = true
level = "warn"
endpoint = "https://collector:4318"
protocol = "http/json"
headers = { Authorization = "Bearer abc", "x-tenant" = "t1" }
timeout = "2s"
compression = "gzip"
sampler = "parentbased_traceidratio"
sampler_arg = 0.25
export_spans = false
export_logs = true
)";
  core::Result<TracingConfig> r = parse_config(kText, "full.toml");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const TracingConfig& c = *r;
  EXPECT_EQ(c.service_name, "checkout");
  EXPECT_EQ(c.service_version, "1.4.2");
  EXPECT_EQ(c.service_instance_id, "pod-7");
  EXPECT_TRUE(c.log_spans);
  EXPECT_TRUE(c.log_thread_ids);
  EXPECT_TRUE(c.log_thread_names);
  EXPECT_TRUE(c.sdk_disabled);

  EXPECT_FALSE(c.console.enabled);
  EXPECT_EQ(c.console.level, "info,db=debug");
  EXPECT_EQ(c.console.format, LineFormat::kJson);
  EXPECT_EQ(c.console.ansi, Ansi::kNever);
  EXPECT_TRUE(c.console.to_stderr);
  EXPECT_FALSE(c.console.show_target);
  EXPECT_TRUE(c.console.show_source_location);
  EXPECT_FALSE(c.console.show_span_list);
  EXPECT_FALSE(c.console.show_trace_ids);

  EXPECT_TRUE(c.file.enabled);
  EXPECT_EQ(c.file.level, "debug");
  EXPECT_EQ(c.file.path, "/var/log/checkout");
  EXPECT_EQ(c.file.prefix, "worker-3");
  EXPECT_EQ(c.file.suffix, "txt");
  EXPECT_EQ(c.file.rotation, Rotation::kHourly);
  EXPECT_EQ(c.file.max_files, 24u);
  EXPECT_EQ(c.file.format, LineFormat::kCompact);

  EXPECT_TRUE(c.otlp.enabled);
  EXPECT_EQ(c.otlp.level, "warn");
  EXPECT_EQ(c.otlp.endpoint, "https://collector:4318");
  EXPECT_EQ(c.otlp.protocol, otlp::Protocol::kHttpJson);
  ASSERT_EQ(c.otlp.headers.size(), 2u);
  EXPECT_EQ(c.otlp.headers[0], (otlp::Header{"authorization", "Bearer abc"}));
  EXPECT_EQ(c.otlp.headers[1], (otlp::Header{"x-tenant", "t1"}));
  EXPECT_EQ(c.otlp.timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(c.otlp.compression, otlp::Compression::kGzip);
  EXPECT_EQ(c.otlp.sampler, config::TracesSampler::kParentBasedTraceIdRatio);
  ASSERT_TRUE(c.otlp.sampler_arg.has_value());
  EXPECT_DOUBLE_EQ(*c.otlp.sampler_arg, 0.25);
  EXPECT_FALSE(c.otlp.export_spans);
  EXPECT_TRUE(c.otlp.export_logs);
}

TEST(ConfigTest, HeadersMayBeTheEnvironmentVariableSyntax) {
  core::Result<TracingConfig> r =
      parse_config("[tracing.otlp]\nheaders = \"api-key=s3cret,x-b=%20v\"\ntimeout = 1500\n");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->otlp.headers.size(), 2u);
  EXPECT_EQ(r->otlp.headers[0], (otlp::Header{"api-key", "s3cret"}));
  EXPECT_EQ(r->otlp.headers[1], (otlp::Header{"x-b", " v"}));
  EXPECT_EQ(r->otlp.timeout, std::chrono::milliseconds(1500));
}

TEST(ConfigTest, SyntaxErrorsGiveFileLineAndColumn) {
  const std::string e = error_of("[tracing]\nservice_name = \"a\"\nlog_spans = tru\n");
  EXPECT_THAT(e, HasSubstr("test.toml:3:"));
}

TEST(ConfigTest, ControlCharactersAreRejectedWithTheirPosition) {
  constexpr char kNul[] = "[tracing]\nservice_name = \"a\0b\"\n";
  EXPECT_THAT(error_of(std::string(kNul, sizeof kNul - 1)),
              HasSubstr("test.toml:2:18: control character U+0000 is not allowed in TOML"));
  // A NUL inside a table name (toml++ 3.3 would assert on it).
  EXPECT_THAT(error_of(std::string("[\0tracing]\n", 12)), HasSubstr("test.toml:1:2: control"));
  EXPECT_THAT(error_of("# bell \x07\n"), HasSubstr("U+0007"));
  EXPECT_TRUE(parse_config("[tracing]\r\nservice_name = \"tab\there\"\r\n").ok());
}

TEST(ConfigTest, NonAsciiIsAllowedOnlyInStringsAndComments) {
  // Found by sdk_config_fuzz: toml++ 3.3 reaches __builtin_unreachable on these.
  EXPECT_THAT(error_of("[tracing]\nna\u00efve = 1\n"),
              HasSubstr("test.toml:2:3: character U+00EF is not supported by the TOML parser; "
                        "write it as the escape \\u00EF in a double-quoted string"));
  EXPECT_THAT(error_of("s0e=-E=-\"e0e'=-e\ufe7fE'E"), HasSubstr("U+FE7F is not supported"));
  EXPECT_THAT(error_of("x = \"\u3001\"\n"), HasSubstr("U+3001 is not supported"));
  EXPECT_THAT(error_of("[tracing]\nna\u4e2d = 1\n"),
              HasSubstr("test.toml:2:3: non-ASCII character outside a string or comment"));
  EXPECT_THAT(error_of("x = \"\"\"a\\\n  \u4e2d\"\"\"\n"),
              HasSubstr("non-ASCII character after a backslash in a multi-line string"));
  EXPECT_THAT(error_of("x = \"\"\"a\\\u4e2d\"\"\"\n"),
              HasSubstr("non-ASCII character after a backslash in a multi-line string"));
  core::Result<TracingConfig> r = parse_config(
      "# r\u4e2dsum\u4e2d\n[tracing] # \u4e2d\nservice_name = \"caf\\u00e9 \u4e2d\"\n"
      "service_version = 'v\u4e2d'\n"
      "service_instance_id = \"\"\"a\\\\\u4e2d\nb\\\n   c\"\"\"\"\n"
      "[tracing.console]\nlevel = '''\u4e2d'''\n");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->service_name, "caf\u00e9 \u4e2d");
  EXPECT_EQ(r->service_version, "v\u4e2d");
  EXPECT_EQ(r->service_instance_id, "a\\\u4e2d\nbc\"");
  EXPECT_EQ(r->console.level, "\u4e2d");
}

TEST(ConfigTest, TableHeaderStartingWithAnInvalidCharacterIsAnError) {
  // Found by sdk_config_fuzz: toml++ 3.3 asserted on this instead of reporting it.
  EXPECT_THAT(error_of("[tracing]\n[*racing.file]\n"), HasSubstr("test.toml:2:"));
}

TEST(ConfigTest, UnknownKeyNamesItAndListsTheValidKeys) {
  const std::string e = error_of("[tracing.console]\ncolour = true\n");
  EXPECT_THAT(e, HasSubstr("test.toml:2:1"));
  EXPECT_THAT(e, HasSubstr("[tracing.console] unknown key 'colour'"));
  EXPECT_THAT(e, HasSubstr("valid keys: enabled, level, format, compact, ansi, with_ansi, stderr"));

  EXPECT_THAT(error_of("[tracing]\nservice = \"x\"\n"),
              HasSubstr("[tracing] unknown key 'service' (valid keys: service_name,"));
  EXPECT_THAT(error_of("[tracing.file]\ndir = \"x\"\n"),
              HasSubstr("valid keys: enabled, level, path, prefix, suffix, rotation, max_files"));
  EXPECT_THAT(error_of("[tracing.otlp]\nurl = \"x\"\n"),
              HasSubstr("[tracing.otlp] unknown key 'url' (valid keys: enabled, level, endpoint"));
  EXPECT_THAT(error_of("[tracing.metrics]\n"), HasSubstr("unknown key 'metrics'"));
}

TEST(ConfigTest, WrongTypesSayWhatWasExpected) {
  EXPECT_THAT(error_of("[tracing]\nlog_spans = \"yes\"\n"),
              HasSubstr("test.toml:2:13: [tracing] key 'log_spans': expected a boolean (true or "
                        "false), got a string"));
  EXPECT_THAT(error_of("[tracing]\nservice_name = 3\n"),
              HasSubstr("expected a string, got an integer"));
  EXPECT_THAT(error_of("tracing = 3\n"), HasSubstr("'tracing' must be a table"));
  EXPECT_THAT(error_of("[tracing]\nconsole = 1\n"),
              HasSubstr("expected a table ([tracing.console]), got an integer"));
  EXPECT_THAT(error_of("[tracing.file]\nmax_files = \"3\"\n"),
              HasSubstr("expected an integer (0: keep every file), got a string"));
  EXPECT_THAT(error_of("[tracing.otlp]\ntimeout = 1.5\n"),
              HasSubstr("expected milliseconds (an integer) or a string such as \"10s\", got a "
                        "float"));
  EXPECT_THAT(error_of("[tracing.otlp]\nheaders = [1]\n"),
              HasSubstr("expected a table of strings or a string"));
  EXPECT_THAT(error_of("[tracing.otlp]\nheaders = { a = 1 }\n"),
              HasSubstr("header 'a': expected a string, got an integer"));
  EXPECT_THAT(error_of("[tracing.otlp]\nsampler_arg = \"0.5\"\n"),
              HasSubstr("expected a number between 0 and 1, got a string"));
  EXPECT_THAT(error_of("[tracing.console]\nformat = 1\n"),
              HasSubstr("expected a string (full, compact, pretty or json), got an integer"));
  EXPECT_THAT(error_of("[tracing.file]\npath = 1\n"),
              HasSubstr("expected a string (a directory or a file)"));
  EXPECT_THAT(error_of("[tracing.otlp]\nendpoint = 4318\n"), HasSubstr("expected a string"));
  EXPECT_THAT(
      error_of("[tracing.otlp]\nprotocol = true\n"),
      HasSubstr("expected a string (grpc, http/protobuf, http/json, HttpProtobuf or HttpJson)"));
  EXPECT_THAT(error_of("[tracing.otlp]\ncompression = 0\n"),
              HasSubstr("expected a string (gzip or none)"));
}

TEST(ConfigTest, BadChoicesListTheAllowedValues) {
  EXPECT_THAT(error_of("[tracing.console]\nformat = \"xml\"\n"),
              HasSubstr("key 'format': value 'xml' is not one of full, compact, pretty or json"));
  EXPECT_THAT(error_of("[tracing.console]\nansi = \"yes\"\n"),
              HasSubstr("'yes' is not one of auto, always or never"));
  EXPECT_THAT(error_of("[tracing.file]\nrotation = \"weekly\"\n"),
              HasSubstr("'weekly' is not one of never, minutely, hourly or daily"));
  EXPECT_THAT(error_of("[tracing.file]\nformat = \"pretty\"\n"),
              HasSubstr("'pretty' is not one of full, compact or json"));
  EXPECT_THAT(error_of("[tracing.otlp]\nprotocol = \"http\"\n"),
              HasSubstr("protocol 'http' is not one of grpc, http/protobuf, http/json, "
                        "HttpProtobuf or HttpJson"));
  EXPECT_THAT(error_of("[tracing.otlp]\ncompression = \"zstd\"\n"),
              HasSubstr("compression 'zstd' is not one of gzip or none"));
  EXPECT_THAT(error_of("[tracing.otlp]\nsampler = \"jaeger_remote\"\n"),
              HasSubstr("'jaeger_remote' is not one of parentbased_always_on"));
}

TEST(ConfigTest, BadValuesAreRejected) {
  EXPECT_THAT(error_of("[tracing.file]\nmax_files = -1\n"),
              HasSubstr("must be between 0 and 1000000, got -1"));
  EXPECT_THAT(error_of("[tracing.file]\npath = \"\"\n"), HasSubstr("must not be empty"));
  EXPECT_THAT(error_of("[tracing.file]\nprefix = \"a/b\"\n"), HasSubstr("must not contain '/'"));
  EXPECT_THAT(error_of("[tracing.file]\nsuffix = \"a/b\"\n"), HasSubstr("must not contain '/'"));
  EXPECT_THAT(error_of("[tracing.otlp]\nendpoint = \"collector:4318\"\n"),
              HasSubstr("must start with http:// or https://"));
  EXPECT_THAT(error_of("[tracing.otlp]\ntimeout = -5\n"), HasSubstr("must not be negative"));
  EXPECT_THAT(error_of("[tracing.otlp]\ntimeout = \"5 hours\"\n"),
              HasSubstr("duration '5 hours' is not a whole number"));
  EXPECT_THAT(error_of("[tracing.otlp]\nsampler_arg = 1.5\n"),
              HasSubstr("must be between 0 and 1"));
  EXPECT_THAT(error_of("[tracing.otlp]\nheaders = \"novalue\"\n"),
              HasSubstr("header entry 1 has no '='"));
  EXPECT_THAT(error_of("[tracing.otlp]\nheaders = { \"a b\" = \"x\" }\n"),
              HasSubstr("header name 'a b' is not valid"));
  EXPECT_THAT(error_of("[tracing.otlp]\nheaders = { a = \"x\\ny\" }\n"),
              HasSubstr("control character"));
  EXPECT_THAT(error_of("[tracing]\nservice_name = \"" + std::string(300, 'a') + "\"\n"),
              HasSubstr("longer than 255 characters"));
}

TEST(ConfigTest, HeaderValuesNeverAppearInErrors) {
  const std::string e = error_of("[tracing.otlp]\nheaders = \"authorization=Bearer%zzsecret\"\n");
  EXPECT_THAT(e, HasSubstr("malformed percent-escape"));
  EXPECT_EQ(e.find("secret"), std::string::npos) << e;
}

TEST(ConfigTest, DurationsTakeUnits) {
  EXPECT_EQ(parse_duration("250").value(), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("250ms").value(), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("10s").value(), std::chrono::milliseconds(10000));
  EXPECT_EQ(parse_duration("2m").value(), std::chrono::milliseconds(120000));
  EXPECT_FALSE(parse_duration("").ok());
  EXPECT_FALSE(parse_duration("s").ok());
  EXPECT_EQ(parse_duration("1h").value(), std::chrono::milliseconds(3600000));
  EXPECT_FALSE(parse_duration("1w").ok());
  EXPECT_FALSE(parse_duration("-1s").ok());
  EXPECT_FALSE(parse_duration("99999999999999m").ok());
}

TEST(ConfigTest, LoadsAFileAndReportsMissingOnes) {
  const std::string path =
      ::testing::TempDir() + "edgetrace_config_test_" + std::to_string(::getpid()) + ".toml";
  {
    std::ofstream out(path);
    out << "[tracing]\nservice_name = \"from-file\"\n[tracing.otlp]\nenabled = 7\n";
  }
  core::Result<TracingConfig> r = load_config_file(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr(path + ":4:11: [tracing.otlp] key 'enabled'"));
  {
    std::ofstream out(path);
    out << "[tracing]\nservice_name = \"from-file\"\n";
  }
  r = load_config_file(path);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->service_name, "from-file");
  std::filesystem::remove(path);

  r = load_config_file(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr(path));
}

TEST(ConfigTest, RefusesHugeFiles) {
  const std::string path =
      ::testing::TempDir() + "edgetrace_config_big_" + std::to_string(::getpid()) + ".toml";
  {
    std::ofstream out(path);
    out << "# " << std::string(kMaxConfigBytes, 'x') << "\n";
  }
  core::Result<TracingConfig> r = load_config_file(path);
  std::filesystem::remove(path);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("larger than"));
}

TEST(ConfigEnvironmentTest, StandardVariablesOverrideTheFile) {
  core::Result<TracingConfig> r = parse_config(R"(
[tracing]
service_name = "file-name"
service_version = "1.0"
service_instance_id = "file-id"
[tracing.otlp]
endpoint = "http://file:4318"
protocol = "grpc"
headers = { a = "file" }
timeout = 1000
compression = "gzip"
sampler = "always_off"
)");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  TracingConfig c = *r;
  std::vector<std::string> w = apply_environment(
      c, fake_env({{"OTEL_SERVICE_NAME", "env-name"},
                   {"OTEL_RESOURCE_ATTRIBUTES",
                    "service.name=attr-name,service.version=2.0,service.instance.id=env-id"},
                   {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4318"},
                   {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
                   {"OTEL_EXPORTER_OTLP_HEADERS", "b=env"},
                   {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
                   {"OTEL_EXPORTER_OTLP_COMPRESSION", "none"},
                   {"OTEL_TRACES_SAMPLER", "traceidratio"},
                   {"OTEL_TRACES_SAMPLER_ARG", "0.5"}}));
  EXPECT_TRUE(w.empty()) << w.front();
  EXPECT_EQ(c.service_name, "env-name");  // OTEL_SERVICE_NAME beats the attribute
  EXPECT_EQ(c.service_version, "2.0");
  EXPECT_EQ(c.service_instance_id, "env-id");
  EXPECT_EQ(c.otlp.endpoint, "http://env:4318");
  EXPECT_EQ(c.otlp.protocol, otlp::Protocol::kHttpJson);
  ASSERT_EQ(c.otlp.headers.size(), 1u);
  EXPECT_EQ(c.otlp.headers[0], (otlp::Header{"b", "env"}));
  EXPECT_EQ(c.otlp.timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c.otlp.compression, otlp::Compression::kNone);
  EXPECT_EQ(c.otlp.sampler, config::TracesSampler::kTraceIdRatio);
  EXPECT_DOUBLE_EQ(c.otlp.sampler_arg.value(), 0.5);
}

TEST(ConfigEnvironmentTest, ServiceNameAttributeAppliesWithoutOtelServiceName) {
  TracingConfig c;
  c.service_name = "file";
  auto w = apply_environment(c, fake_env({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=attr"}}));
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(c.service_name, "attr");
}

TEST(ConfigEnvironmentTest, UnsetOrEmptyVariablesKeepTheFileValues) {
  TracingConfig c;
  c.service_name = "file";
  c.otlp.endpoint = "http://file:4318";
  auto w = apply_environment(
      c, fake_env({{"OTEL_SERVICE_NAME", "  "}, {"OTEL_EXPORTER_OTLP_ENDPOINT", ""}}));
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(c.service_name, "file");
  EXPECT_EQ(c.otlp.endpoint, "http://file:4318");
}

TEST(ConfigEnvironmentTest, InvalidValuesWarnAndKeepTheFileValue) {
  TracingConfig c;
  c.otlp.protocol = otlp::Protocol::kGrpc;
  c.otlp.sampler = config::TracesSampler::kAlwaysOn;
  c.otlp.timeout = std::chrono::milliseconds(7);
  auto w = apply_environment(
      c, fake_env({{"OTEL_SDK_DISABLED", "maybe"},
                   {"OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"},
                   {"OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%zzhidden"},
                   {"OTEL_EXPORTER_OTLP_TIMEOUT", "10s"},
                   {"OTEL_EXPORTER_OTLP_COMPRESSION", "lz4"},
                   {"OTEL_TRACES_SAMPLER", "xray"},
                   {"OTEL_TRACES_SAMPLER_ARG", "2"},
                   {"OTEL_RESOURCE_ATTRIBUTES", "novalue"}}));
  ASSERT_EQ(w.size(), 8u);
  std::string all;
  for (const std::string& s : w)
    all += s + "\n";
  EXPECT_THAT(all, HasSubstr("OTEL_SDK_DISABLED: expected true or false, got 'maybe'"));
  EXPECT_THAT(all, HasSubstr("OTEL_EXPORTER_OTLP_PROTOCOL: protocol 'carrier-pigeon'"));
  EXPECT_THAT(all, HasSubstr("OTEL_EXPORTER_OTLP_HEADERS: "));
  EXPECT_THAT(all, HasSubstr("OTEL_EXPORTER_OTLP_TIMEOUT: "));
  EXPECT_THAT(all, HasSubstr("OTEL_EXPORTER_OTLP_COMPRESSION: compression 'lz4'"));
  EXPECT_THAT(all, HasSubstr("OTEL_TRACES_SAMPLER: sampler 'xray'"));
  EXPECT_THAT(all, HasSubstr("OTEL_TRACES_SAMPLER_ARG: '2'"));
  EXPECT_THAT(all, HasSubstr("OTEL_RESOURCE_ATTRIBUTES: "));
  EXPECT_EQ(all.find("hidden"), std::string::npos) << all;
  EXPECT_FALSE(c.sdk_disabled);
  EXPECT_EQ(c.otlp.protocol, otlp::Protocol::kGrpc);
  EXPECT_EQ(c.otlp.timeout, std::chrono::milliseconds(7));
  EXPECT_EQ(c.otlp.sampler, config::TracesSampler::kAlwaysOn);
  EXPECT_FALSE(c.otlp.sampler_arg.has_value());
}

TEST(ConfigEnvironmentTest, OtelSdkDisabledOverridesTheFileBothWays) {
  TracingConfig c;
  EXPECT_TRUE(apply_environment(c, fake_env({{"OTEL_SDK_DISABLED", "TRUE"}})).empty());
  EXPECT_TRUE(c.sdk_disabled);
  EXPECT_TRUE(apply_environment(c, fake_env({{"OTEL_SDK_DISABLED", "false"}})).empty());
  EXPECT_FALSE(c.sdk_disabled);
}

TEST(ConfigEnvironmentTest, GrpcEndpointMayOmitTheScheme) {
  TracingConfig c;
  c.otlp.protocol = otlp::Protocol::kGrpc;
  auto w = apply_environment(c, fake_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"}}));
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(c.otlp.endpoint, "collector:4317");
  TracingConfig h;
  w = apply_environment(h, fake_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"}}));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_THAT(w[0], HasSubstr("must start with http://"));
  EXPECT_EQ(h.otlp.endpoint, "");
}

TEST(ConfigValidateTest, ChecksConfigsBuiltInCode) {
  // The choices are enums, so a config built in code cannot name an unknown format, ANSI mode,
  // rotation or sampler; what remains to check:
  TracingConfig c;
  EXPECT_TRUE(validate_config(c).ok());
  c.file.format = LineFormat::kPretty;
  EXPECT_THAT(validate_config(c).message(),
              HasSubstr("tracing.file.format: value 'pretty' is not one of full, compact or json"));
  c = {};
  c.file.enabled = true;
  c.file.path.clear();  // the user's cache directory
  EXPECT_TRUE(validate_config(c).ok());
  c.file.worker_prefix = "a\nb";
  EXPECT_THAT(validate_config(c).message(), HasSubstr("tracing.file.worker_prefix"));
  c = {};
  c.otlp.max_queue_size = 0;
  EXPECT_THAT(validate_config(c).message(), HasSubstr("at least 1"));
  c = {};
  c.otlp.sampler_arg = -0.5;
  EXPECT_THAT(validate_config(c).message(), HasSubstr("sampler_arg"));
  c.otlp.sampler_arg = 1.5;
  EXPECT_THAT(validate_config(c).message(), HasSubstr("sampler_arg"));
}

TEST(ConfigTest, TracingTableMayLiveAtAnyPath) {
  core::Result<config::Document> doc = config::Document::parse(
      "[coordinator.tracing]\nservice_name = \"coord\"\n"
      "[worker.tracing.console]\nformat = \"compact\"\n[worker.tracing.otlp]\ncolour = 1\n",
      "app.toml");
  ASSERT_TRUE(doc.ok());
  core::Result<TracingConfig> coord = read_tracing_config(*doc, "coordinator.tracing");
  ASSERT_TRUE(coord.ok()) << coord.status().to_string();
  EXPECT_EQ(coord->service_name, "coord");
  core::Result<TracingConfig> worker = read_tracing_config(*doc, "worker.tracing");
  ASSERT_FALSE(worker.ok());
  EXPECT_THAT(worker.status().message(),
              HasSubstr("app.toml:6:1: [worker.tracing.otlp] unknown key 'colour'"));
  // Absent: the defaults.
  core::Result<TracingConfig> none = read_tracing_config(*doc, "tracing");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->console.enabled);
}

}  // namespace
}  // namespace edgetrace::sdk
