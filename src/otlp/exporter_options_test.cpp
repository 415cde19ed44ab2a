#include "edgetrace/otlp/exporter_options.hpp"

#include <gtest/gtest.h>

#include <map>

namespace edgetrace::otlp {
namespace {

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

TEST(ExporterOptionsTest, DefaultsAreHttpProtobufLocalhost4318TenSeconds) {
  LoadedExporterOptions l = load_exporter_options(Signal::kTraces, fake_env({}));
  EXPECT_TRUE(l.warnings.empty());
  EXPECT_EQ(l.options.protocol, Protocol::kHttpProtobuf);
  EXPECT_EQ(l.options.timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(l.options.compression, Compression::kNone);
  EXPECT_EQ(resolved_endpoint(l.options, Signal::kTraces), "http://localhost:4318/v1/traces");
  EXPECT_EQ(resolved_endpoint(l.options, Signal::kLogs), "http://localhost:4318/v1/logs");
  EXPECT_EQ(resolved_endpoint(l.options, Signal::kMetrics), "http://localhost:4318/v1/metrics");
  l.options.protocol = Protocol::kGrpc;
  EXPECT_EQ(resolved_endpoint(l.options, Signal::kTraces), "http://localhost:4317");
}

TEST(ExporterOptionsTest, GenericEndpointGetsSignalPathAppended) {
  auto env = fake_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"}});
  EXPECT_EQ(load_exporter_options(Signal::kTraces, env).options.endpoint,
            "http://collector:4318/v1/traces");
  EXPECT_EQ(load_exporter_options(Signal::kLogs, env).options.endpoint,
            "http://collector:4318/v1/logs");
  auto with_path = fake_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://gw.example.com/otlp/"}});
  EXPECT_EQ(load_exporter_options(Signal::kMetrics, with_path).options.endpoint,
            "https://gw.example.com/otlp/v1/metrics");
}

TEST(ExporterOptionsTest, PerSignalEndpointIsUsedAsGivenAndWins) {
  auto env = fake_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"},
                       {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:9999/custom"}});
  EXPECT_EQ(load_exporter_options(Signal::kTraces, env).options.endpoint,
            "http://traces:9999/custom");
  EXPECT_EQ(load_exporter_options(Signal::kLogs, env).options.endpoint,
            "http://generic:4318/v1/logs");
}

TEST(ExporterOptionsTest, GrpcGenericEndpointIsNotGivenAPath) {
  auto env = fake_env({{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                       {"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317"},
                       {"OTEL_EXPORTER_OTLP_INSECURE", "true"}});
  LoadedExporterOptions l = load_exporter_options(Signal::kTraces, env);
  EXPECT_TRUE(l.warnings.empty());
  EXPECT_EQ(l.options.protocol, Protocol::kGrpc);
  EXPECT_EQ(l.options.endpoint, "collector:4317");
  EXPECT_TRUE(l.options.insecure);
}

TEST(ExporterOptionsTest, ReadsEveryVariableWithPerSignalPrecedence) {
  auto env = fake_env({
      {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
      {"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json"},
      {"OTEL_EXPORTER_OTLP_HEADERS", "api-key=generic"},
      {"OTEL_EXPORTER_OTLP_LOGS_HEADERS", "Api-Key=logs%20key,x-tenant=7"},
      {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
      {"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", "1500"},
      {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"},
      {"OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"},
      {"OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY", "/etc/key.pem"},
      {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/etc/cert.pem"},
  });
  LoadedExporterOptions logs = load_exporter_options(Signal::kLogs, env);
  EXPECT_TRUE(logs.warnings.empty());
  EXPECT_EQ(logs.options.protocol, Protocol::kHttpJson);
  ASSERT_EQ(logs.options.headers.size(), 2u);
  EXPECT_EQ(logs.options.headers[0], (Header{"api-key", "logs key"}));
  EXPECT_EQ(logs.options.headers[1], (Header{"x-tenant", "7"}));
  EXPECT_EQ(logs.options.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(logs.options.compression, Compression::kGzip);
  EXPECT_EQ(logs.options.ca_file, "/etc/ca.pem");
  EXPECT_EQ(logs.options.client_key_file, "/etc/key.pem");
  EXPECT_EQ(logs.options.client_certificate_file, "/etc/cert.pem");

  LoadedExporterOptions traces = load_exporter_options(Signal::kTraces, env);
  EXPECT_EQ(traces.options.protocol, Protocol::kHttpProtobuf);
  EXPECT_EQ(traces.options.timeout, std::chrono::milliseconds(2500));
  ASSERT_EQ(traces.options.headers.size(), 1u);
  EXPECT_EQ(traces.options.headers[0].value, "generic");
  EXPECT_TRUE(traces.options.client_key_file.empty());
}

TEST(ExporterOptionsTest, EnvironmentOverridesBaseOptions) {
  OtlpExporterOptions base;
  base.endpoint = "http://from-code:4318/v1/traces";
  base.timeout = std::chrono::milliseconds(42);
  LoadedExporterOptions untouched = load_exporter_options(Signal::kTraces, fake_env({}), base);
  EXPECT_EQ(untouched.options.endpoint, base.endpoint);
  EXPECT_EQ(untouched.options.timeout, std::chrono::milliseconds(42));
  LoadedExporterOptions l =
      load_exporter_options(Signal::kTraces, fake_env({{"OTEL_EXPORTER_OTLP_TIMEOUT", "7"}}), base);
  EXPECT_EQ(l.options.timeout, std::chrono::milliseconds(7));
}

TEST(ExporterOptionsTest, InvalidValuesWarnAndKeepDefaults) {
  auto env = fake_env({{"OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"},
                       {"OTEL_EXPORTER_OTLP_TIMEOUT", "10s"},
                       {"OTEL_EXPORTER_OTLP_COMPRESSION", "brotli"},
                       {"OTEL_EXPORTER_OTLP_INSECURE", "maybe"},
                       {"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"}});
  LoadedExporterOptions l = load_exporter_options(Signal::kTraces, env);
  EXPECT_EQ(l.warnings.size(), 5u);
  EXPECT_EQ(l.options.protocol, Protocol::kHttpProtobuf);
  EXPECT_EQ(l.options.timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(l.options.compression, Compression::kNone);
  EXPECT_TRUE(l.options.endpoint.empty());
  EXPECT_NE(l.warnings[0].find("OTEL_EXPORTER_OTLP_PROTOCOL"), std::string::npos);
}

TEST(ExporterOptionsTest, MalformedHeadersNeverLeakValues) {
  const std::string secret = "Bearer s3cr3t-t0ken";
  auto env = fake_env({{"OTEL_EXPORTER_OTLP_HEADERS", "authorization=" + secret + ",broken-entry-" +
                                                          secret + ",x=%zz" + secret}});
  LoadedExporterOptions l = load_exporter_options(Signal::kTraces, env);
  ASSERT_EQ(l.warnings.size(), 1u);
  EXPECT_EQ(l.warnings[0].find("s3cr3t"), std::string::npos) << l.warnings[0];
  EXPECT_TRUE(l.options.headers.empty());

  core::Result<std::vector<Header>> bad_value = parse_headers("authorization=%zz" + secret);
  ASSERT_FALSE(bad_value.ok());
  EXPECT_EQ(bad_value.status().message().find("s3cr3t"), std::string::npos);
}

TEST(ExporterOptionsTest, TypedEnvironmentIsParsedOnceAndAppliedPerSignal) {
  const OtlpEnvironment env = read_otlp_environment(fake_env({
      {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://generic:4318"},
      {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
      {"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "HTTP/JSON"},
      {"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION", "lz4"},
      {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "traces:4318"},
  }));
  EXPECT_EQ(env.generic.endpoint, "http://generic:4318");
  EXPECT_EQ(env.generic.timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(env.logs.protocol, Protocol::kHttpJson);
  EXPECT_FALSE(env.logs.compression);
  ASSERT_EQ(env.warnings().size(), 1u);
  EXPECT_EQ(env.warnings()[0],
            "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION: compression 'lz4' is not one of gzip or none; "
            "ignored");

  LoadedExporterOptions logs = exporter_options(Signal::kLogs, env);
  EXPECT_TRUE(logs.warnings.empty());
  EXPECT_EQ(logs.options.protocol, Protocol::kHttpJson);
  EXPECT_EQ(logs.options.endpoint, "http://generic:4318/v1/logs");
  EXPECT_EQ(logs.options.timeout, std::chrono::milliseconds(2500));
  // A per-signal endpoint without a scheme is refused when applied, and the generic one is
  // not used in its place.
  LoadedExporterOptions traces = exporter_options(Signal::kTraces, env);
  ASSERT_EQ(traces.warnings.size(), 1u);
  EXPECT_EQ(traces.warnings[0],
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint must start with http:// or https://; "
            "ignored");
  EXPECT_TRUE(traces.options.endpoint.empty());
}

TEST(ExporterOptionsTest, HeadersRejectInjection) {
  EXPECT_FALSE(parse_headers("x=a%0D%0AInjected: 1").ok());
  EXPECT_FALSE(parse_headers("bad name=1").ok());
  EXPECT_TRUE(parse_headers("").ok());
  EXPECT_EQ(parse_headers(" a = 1 , , b=2 ")->size(), 2u);
}

}  // namespace
}  // namespace edgetrace::otlp

namespace edgetrace::otlp {
namespace {

TEST(SignalEndpointTest, HttpAppendsTheSignalPathAndGrpcKeepsTheBase) {
  EXPECT_EQ(signal_endpoint("http://h:4318", Protocol::kHttpProtobuf, Signal::kTraces),
            "http://h:4318/v1/traces");
  EXPECT_EQ(signal_endpoint("https://h/otlp/", Protocol::kHttpJson, Signal::kLogs),
            "https://h/otlp/v1/logs");
  EXPECT_EQ(signal_endpoint("http://h:4317", Protocol::kGrpc, Signal::kLogs), "http://h:4317");
}

}  // namespace
}  // namespace edgetrace::otlp
