// read_daemon_config: the printed default config is the defaults, --set and OTEL_* layer on
// top, and every kind of mistake is an error naming its place.
#include "server/config.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/temp_dir.hpp"

namespace edgetrace::daemon {
namespace {

void write_file(const std::string& path, std::string_view text) {
  std::ofstream(path, std::ios::binary) << text;
}

core::Result<DaemonConfig> read(std::string_view text,
                                std::map<std::string, std::string, std::less<>> env = {},
                                std::vector<std::pair<std::string, std::string>> sets = {}) {
  core::Result<config::Document> doc = config::Document::parse(text, "test.toml");
  if (!doc)
    return doc.status();
  for (const auto& [k, v] : sets)
    if (core::Status s = doc->set(k, v); !s.ok())
      return s;
  return read_daemon_config(*doc, core::map_environment(std::move(env)));
}

// Every field of `c` equals the struct defaults (DaemonConfig{}).
void expect_defaults(const DaemonConfig& c) {
  const DaemonConfig d;
  EXPECT_EQ(c.admin.listen, d.admin.listen);
  EXPECT_EQ(c.symbols.store, d.symbols.store);
  EXPECT_EQ(c.symbols.token_file, d.symbols.token_file);
  EXPECT_EQ(c.symbols.server, d.symbols.server);
  EXPECT_EQ(c.symbols.server_token_file, d.symbols.server_token_file);
  EXPECT_EQ(c.symbols.cache_bytes, d.symbols.cache_bytes);
  EXPECT_EQ(c.symbols.max_elf_bytes, d.symbols.max_elf_bytes);
  EXPECT_EQ(c.symbols.hold_time, d.symbols.hold_time);
  EXPECT_EQ(c.symbols.hold_max_bytes, d.symbols.hold_max_bytes);
  EXPECT_EQ(c.symbols.hold_total_bytes, d.symbols.hold_total_bytes);
  EXPECT_EQ(c.device_tcp.listen, d.device_tcp.listen);
  EXPECT_EQ(c.device_tcp.max_connections, d.device_tcp.max_connections);
  EXPECT_EQ(c.device_tcp.buffer_bytes, d.device_tcp.buffer_bytes);
  EXPECT_EQ(c.device_tcp.idle_timeout, d.device_tcp.idle_timeout);
  EXPECT_EQ(c.device_tcp.max_connection_age, d.device_tcp.max_connection_age);
  EXPECT_EQ(c.device_tcp.io_threads, d.device_tcp.io_threads);
  EXPECT_EQ(c.device_tcp.format, d.device_tcp.format);
  EXPECT_EQ(c.device_mqtt.url, "");
  EXPECT_EQ(c.device_mqtt.topic, d.device_mqtt.topic);
  EXPECT_EQ(c.device_mqtt.group, d.device_mqtt.group);
  EXPECT_EQ(c.device_mqtt.client_id, d.device_mqtt.client_id);
  EXPECT_EQ(c.device_mqtt.username, d.device_mqtt.username);
  EXPECT_EQ(c.device_mqtt.password_file, d.device_mqtt.password_file);
  EXPECT_EQ(c.device_mqtt.tls_ca_file, d.device_mqtt.tls_ca_file);
  EXPECT_EQ(c.device_mqtt.keepalive, d.device_mqtt.keepalive);
  EXPECT_EQ(c.device_mqtt.reconnect_min, d.device_mqtt.reconnect_min);
  EXPECT_EQ(c.device_mqtt.reconnect_max, d.device_mqtt.reconnect_max);
  EXPECT_EQ(c.device_mqtt.clean_start, d.device_mqtt.clean_start);
  EXPECT_EQ(c.device_mqtt.session_expiry, d.device_mqtt.session_expiry);
  EXPECT_EQ(c.device_mqtt.receive_maximum, d.device_mqtt.receive_maximum);
  EXPECT_EQ(c.device_mqtt.device_idle_timeout, d.device_mqtt.device_idle_timeout);
  EXPECT_EQ(c.device_mqtt.max_devices, d.device_mqtt.max_devices);
  EXPECT_EQ(c.device_mqtt.format, d.device_mqtt.format);
  EXPECT_EQ(c.device_http.listen, d.device_http.listen);
  EXPECT_EQ(c.device_http.max_body_bytes, d.device_http.max_body_bytes);
  EXPECT_EQ(c.device_http.token_file, d.device_http.token_file);
  EXPECT_EQ(c.device_http.io_threads, d.device_http.io_threads);
  EXPECT_EQ(c.device_http.handler_threads, d.device_http.handler_threads);
  EXPECT_EQ(c.device_http.max_connections, d.device_http.max_connections);
  EXPECT_EQ(c.device_http.idle_timeout, d.device_http.idle_timeout);
  EXPECT_EQ(c.device_http.read_timeout, d.device_http.read_timeout);
  EXPECT_EQ(c.device_http.retry_after, d.device_http.retry_after);
  EXPECT_EQ(c.serial.path, d.serial.path);
  EXPECT_EQ(c.serial.baud, d.serial.baud);
  EXPECT_EQ(c.serial.format, d.serial.format);
  EXPECT_EQ(c.serial.device_id, d.serial.device_id);
  EXPECT_EQ(c.serial.build_id, d.serial.build_id);
  EXPECT_EQ(c.serial.follow, d.serial.follow);
  EXPECT_EQ(c.serial.reopen_initial, d.serial.reopen_initial);
  EXPECT_EQ(c.serial.reopen_max, d.serial.reopen_max);
  EXPECT_EQ(c.serial.follow_interval, d.serial.follow_interval);
  EXPECT_EQ(c.serial.buffer_bytes, d.serial.buffer_bytes);
  EXPECT_EQ(c.otlp_http.listen, "0.0.0.0:4318");
  EXPECT_EQ(c.otlp_grpc.listen, "0.0.0.0:4317");
  EXPECT_EQ(c.otlp_http.max_body_bytes, d.otlp_http.max_body_bytes);
  EXPECT_EQ(c.otlp_http.max_decompressed_bytes, d.otlp_http.max_decompressed_bytes);
  EXPECT_EQ(c.otlp_grpc.max_message_bytes, d.otlp_grpc.max_message_bytes);
  EXPECT_TRUE(c.otlp_http.cors_allowed_origins.empty());
  EXPECT_EQ(c.otlp_http.retry_after, d.otlp_http.retry_after);
  EXPECT_EQ(c.otlp_grpc.retry_delay, d.otlp_grpc.retry_delay);
  EXPECT_EQ(c.otlp_http.handler_threads, d.otlp_http.handler_threads);
  EXPECT_EQ(c.otlp_http.read_timeout, d.otlp_http.read_timeout);
  EXPECT_EQ(c.queue.dir, d.queue.dir);
  EXPECT_EQ(c.queue.max_bytes, d.queue.max_bytes);
  EXPECT_EQ(c.queue.fsync, d.queue.fsync);
  EXPECT_EQ(c.queue.fsync_interval, d.queue.fsync_interval);
  EXPECT_EQ(c.queue.batch_records, d.queue.batch_records);
  EXPECT_EQ(c.queue.retry_max, d.queue.retry_max);
  EXPECT_EQ(c.otlp.endpoint, d.otlp.endpoint);
  EXPECT_EQ(c.otlp.protocol, d.otlp.protocol);
  EXPECT_TRUE(c.otlp.headers.empty());
  EXPECT_EQ(c.otlp.compression, d.otlp.compression);
  EXPECT_EQ(c.otlp.timeout, d.otlp.timeout);
  EXPECT_EQ(c.otlp.insecure, d.otlp.insecure);
  EXPECT_EQ(c.otlp.ca_file, d.otlp.ca_file);
  EXPECT_FALSE(c.otlp.enabled);
  EXPECT_EQ(c.console.enabled, d.console.enabled);
  EXPECT_EQ(c.console.ascii, d.console.ascii);
  EXPECT_EQ(c.console.logs, d.console.logs);
  EXPECT_EQ(c.console.max_traces, d.console.max_traces);
  EXPECT_EQ(c.console.max_spans, d.console.max_spans);
  EXPECT_EQ(c.console.root_timeout, d.console.root_timeout);
  EXPECT_EQ(c.file.path, d.file.path);
  EXPECT_EQ(c.file.max_bytes, d.file.max_bytes);
  EXPECT_EQ(c.file.max_files, d.file.max_files);
  EXPECT_TRUE(c.devices.services.empty());
  EXPECT_TRUE(c.devices.attributes.empty());
  EXPECT_TRUE(c.processors.resource_attributes.empty());
  EXPECT_EQ(c.processors.min_log_severity, "");
  for (const processors::ProcessorsOptions& p : c.processors.pipelines) {
    const processors::ProcessorsOptions q;
    EXPECT_EQ(p.redaction.enabled, q.redaction.enabled);
    EXPECT_EQ(p.redaction.default_patterns, q.redaction.default_patterns);
    EXPECT_EQ(p.redaction.only_default_patterns, q.redaction.only_default_patterns);
    EXPECT_EQ(p.redaction.patterns, q.redaction.patterns);
    EXPECT_EQ(p.redaction.replacement, q.redaction.replacement);
    EXPECT_EQ(p.redaction.allowed_attributes, q.redaction.allowed_attributes);
    EXPECT_EQ(p.redaction.trim_stack_paths, q.redaction.trim_stack_paths);
    EXPECT_EQ(p.redaction.stack_path_roots, q.redaction.stack_path_roots);
    EXPECT_EQ(p.sampling.trace_ratio, q.sampling.trace_ratio);
    EXPECT_EQ(p.sampling.debug_log_ratio, q.sampling.debug_log_ratio);
    EXPECT_EQ(p.sampling.info_log_ratio, q.sampling.info_log_ratio);
    EXPECT_EQ(p.sampling.warn_log_ratio, q.sampling.warn_log_ratio);
    EXPECT_EQ(p.scope_rate.per_second, q.scope_rate.per_second);
    EXPECT_EQ(p.scope_rate.burst, q.scope_rate.burst);
    EXPECT_EQ(p.scope_rate.max_scopes, q.scope_rate.max_scopes);
  }
  EXPECT_EQ(c.proxy.listen, d.proxy.listen);
  EXPECT_EQ(c.proxy.mode, d.proxy.mode);
  EXPECT_EQ(c.proxy.subject_attribute, d.proxy.subject_attribute);
  EXPECT_EQ(c.proxy.max_body_bytes, d.proxy.max_body_bytes);
  EXPECT_EQ(c.proxy.max_decompressed_bytes, d.proxy.max_decompressed_bytes);
  EXPECT_EQ(c.proxy.handler_threads, d.proxy.handler_threads);
  EXPECT_EQ(c.proxy.read_timeout, d.proxy.read_timeout);
  EXPECT_EQ(c.proxy.upstream_endpoint, d.proxy.upstream_endpoint);
  EXPECT_EQ(c.proxy.upstream_header_file, d.proxy.upstream_header_file);
  EXPECT_EQ(c.proxy.upstream_header_env, d.proxy.upstream_header_env);
  EXPECT_EQ(c.proxy.upstream_timeout, d.proxy.upstream_timeout);
  EXPECT_EQ(c.proxy.upstream_ca_file, d.proxy.upstream_ca_file);
  EXPECT_EQ(c.proxy.hs256_secret_file, d.proxy.hs256_secret_file);
  EXPECT_EQ(c.proxy.public_key_file, d.proxy.public_key_file);
  EXPECT_EQ(c.proxy.jwks_file, d.proxy.jwks_file);
  EXPECT_EQ(c.proxy.issuer, d.proxy.issuer);
  EXPECT_EQ(c.proxy.audience, d.proxy.audience);
  EXPECT_EQ(c.proxy.clock_skew, d.proxy.clock_skew);
  EXPECT_EQ(c.proxy.subject_claim, d.proxy.subject_claim);
  EXPECT_EQ(c.proxy.token_cache_entries, d.proxy.token_cache_entries);
  EXPECT_EQ(c.proxy.address_per_second, d.proxy.address_per_second);
  EXPECT_EQ(c.proxy.address_burst, d.proxy.address_burst);
  EXPECT_EQ(c.proxy.subject_per_second, d.proxy.subject_per_second);
  EXPECT_EQ(c.proxy.subject_burst, d.proxy.subject_burst);
  EXPECT_EQ(c.proxy.global_per_second, d.proxy.global_per_second);
  EXPECT_EQ(c.proxy.global_burst, d.proxy.global_burst);
  EXPECT_TRUE(c.proxy.allowed_origins.empty());
  EXPECT_FALSE(c.proxy.enabled());
  EXPECT_EQ(c.telemetry.log_level, d.telemetry.log_level);
  EXPECT_EQ(c.telemetry.otlp_endpoint, d.telemetry.otlp_endpoint);
  EXPECT_EQ(c.telemetry.drop_report_interval, d.telemetry.drop_report_interval);
  EXPECT_EQ(c.store.enabled, d.store.enabled);
  EXPECT_FALSE(c.store.enabled);
  EXPECT_EQ(c.store.path, d.store.path);
  EXPECT_EQ(c.store.max_bytes, d.store.max_bytes);
  EXPECT_EQ(c.store.max_age, d.store.max_age);
  EXPECT_EQ(c.ui.listen, d.ui.listen);
  EXPECT_EQ(c.ui.listen, "0.0.0.0:16686");
  EXPECT_EQ(c.ui.cors_allowed_origins, d.ui.cors_allowed_origins);
  EXPECT_EQ(c.shutdown_timeout, d.shutdown_timeout);
  EXPECT_TRUE(c.warnings.empty());
}

TEST(DaemonConfigTest, PrintedDefaultConfigIsTheDefaults) {
  core::Result<DaemonConfig> c = read(default_config_text());
  ASSERT_TRUE(c.ok()) << c.status().message();
  expect_defaults(*c);
}

TEST(DaemonConfigTest, EmptyFileIsTheDefaults) {
  core::Result<DaemonConfig> c = read("");
  ASSERT_TRUE(c.ok()) << c.status().message();
  expect_defaults(*c);
}

TEST(DaemonConfigTest, SetOverridesTheFileWithTomlValuesAndBareWords) {
  core::Result<DaemonConfig> c = read("[queue]\nmax_bytes = \"1MiB\"\n", {},
                                      {{"queue.max_bytes", "1073741824"},
                                       {"exporters.otlp.endpoint", "\"http://collector:4318\""},
                                       {"telemetry.log_level", "debug"},
                                       {"symbols.hold_time", "\"30s\""}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->queue.max_bytes, 1073741824u);
  EXPECT_EQ(c->otlp.endpoint, "http://collector:4318");
  EXPECT_TRUE(c->otlp.enabled);
  EXPECT_EQ(c->otlp.per_signal[0].endpoint, "http://collector:4318/v1/traces");
  EXPECT_EQ(c->otlp.per_signal[1].endpoint, "http://collector:4318/v1/logs");
  EXPECT_EQ(c->telemetry.log_level, "debug");
  EXPECT_EQ(c->symbols.hold_time, std::chrono::seconds(30));
}

TEST(DaemonConfigTest, OtelVariablesConfigureTheOtlpExporter) {
  core::Result<DaemonConfig> c =
      read("", {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4318"},
                {"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://logs:4318/custom"},
                {"OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=abc"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->otlp.enabled);
  EXPECT_EQ(c->otlp.per_signal[0].endpoint, "http://env:4318/v1/traces");
  EXPECT_EQ(c->otlp.per_signal[1].endpoint, "http://logs:4318/custom");
  bool header = false;
  for (const auto& h : c->otlp.per_signal[0].headers)
    header = header || (h.name == "x-api-key" && h.value == "abc");
  EXPECT_TRUE(header);
}

TEST(DaemonConfigTest, ProxyReadsItsSecretsFromFilesAndTheEnvironment) {
  testing::TempDir dir;
  const std::string secret = dir.file("secret");
  const std::string headers = dir.file("headers");
  write_file(secret, "s3cret-value\n");
  write_file(headers,
             "# the backend's write token\r\nAuthorization: pylf_v1_abc\r\n\nX-Team: web\n");
  core::Result<DaemonConfig> c =
      read("[proxy.upstream]\nendpoint = \"http://up:4318\"\nheader_file = \"" + headers +
               "\"\nheader_env = \"UPSTREAM_HEADERS\"\n[proxy.jwt]\nhs256_secret_file = \"" +
               secret + "\"\n",
           {{"UPSTREAM_HEADERS", "X-From-Env: yes"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->proxy.enabled());
  EXPECT_EQ(c->proxy.hs256_secret, "s3cret-value");
  ASSERT_EQ(c->proxy.upstream_headers.size(), 3u);
  EXPECT_EQ(c->proxy.upstream_headers[0].name, "Authorization");
  EXPECT_EQ(c->proxy.upstream_headers[0].value, "pylf_v1_abc");
  EXPECT_EQ(c->proxy.upstream_headers[1].name, "X-Team");
  EXPECT_EQ(c->proxy.upstream_headers[2].value, "yes");

  // A malformed line is named by its number, never by its content.
  write_file(headers, "Authorization pylf_v1_abc\n");
  core::Result<DaemonConfig> bad = read(
      "[proxy.upstream]\nendpoint = \"http://up:4318\"\n"
      "header_file = \"" +
      headers + "\"\n[proxy.jwt]\nhs256_secret_file = \"" + secret + "\"\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 1"), std::string::npos) << bad.status().message();
  EXPECT_EQ(bad.status().message().find("pylf_v1_abc"), std::string::npos);
}

TEST(DaemonConfigTest, PipelineProcessorsLayerOnTheSharedOnes) {
  core::Result<DaemonConfig> c = read(
      "[processors.redaction]\nenabled = true\n"
      "[processors.sampling]\ndebug_log_ratio = 0.5\n"
      "[processors.proxy.redaction]\nreplacement = \"***\"\n"
      "[processors.device.sampling]\ndebug_log_ratio = 1.0\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto& device = c->processors.pipelines[0];
  const auto& otlp = c->processors.pipelines[1];
  const auto& proxy = c->processors.pipelines[2];
  EXPECT_TRUE(device.redaction.enabled);
  EXPECT_EQ(device.sampling.debug_log_ratio, 1.0);
  EXPECT_EQ(otlp.sampling.debug_log_ratio, 0.5);
  EXPECT_EQ(otlp.redaction.replacement, "[REDACTED]");
  EXPECT_TRUE(proxy.redaction.enabled);
  EXPECT_EQ(proxy.redaction.replacement, "***");
  EXPECT_EQ(proxy.sampling.debug_log_ratio, 0.5);
}

TEST(DaemonConfigTest, StoreAndUiTables) {
  core::Result<DaemonConfig> c = read(
      "[store]\nenabled = true\npath = \"/var/lib/et/t.db\"\nmax_bytes = \"10MiB\"\n"
      "max_age = \"2d\"\n[ui]\nlisten = \"127.0.0.1:0\"\n"
      "cors_allowed_origins = [\"https://grafana.example.com\"]\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->store.enabled);
  EXPECT_EQ(c->store.path, "/var/lib/et/t.db");
  EXPECT_EQ(c->store.max_bytes, 10u << 20);
  EXPECT_EQ(c->store.max_age, std::chrono::hours(48));
  EXPECT_EQ(c->ui.listen, "127.0.0.1:0");
  EXPECT_EQ(c->ui.cors_allowed_origins, std::vector<std::string>{"https://grafana.example.com"});
  core::Result<DaemonConfig> off = read("[ui]\nlisten = \"\"\n");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->ui.listen, "");
  EXPECT_EQ(DaemonConfig{}.store.max_age, std::chrono::hours(7 * 24));
}

TEST(DaemonConfigTest, EachKindOfMistakeNamesItsPlace) {
  struct Case {
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"[queue]\nmax_bytes = \"lots\"\n", "test.toml:2:13"},
      {"[queue]\nmax_byte = 10\n", "max_byte"},
      {"[receivers.device_tcp]\nlisten = \"nohost\"\n", "test.toml:2:"},
      {"[receivers.device_tcp]\nio_threads = 0\n", "test.toml:2:"},
      {"[exporters.otlp]\nprotocol = \"udp\"\n", "udp"},
      {"[exporters.otlp]\nheaders = { \"bad name\" = \"x\" }\n", "test.toml:2:"},
      {"[queue\n", "test.toml:1:"},
      {"[queue]\nfsync = \"sometimes\"\n", "sometimes"},
      {"[[devices.services]]\nbuild_idd = \"ab\"\n", "build_idd"},
      {"[devices.attributes]\nrack = [1, 2]\n", "rack"},
      {"[symbols]\nhold_max_bytes = \"2MiB\"\nhold_total_bytes = \"1MiB\"\n", "hold_max_bytes"},
      {"shutdown_timeout = true\n", "test.toml:1:"},
      {"unknown_table = 1\n", "unknown_table"},
      {"[processors.logs]\nmin_severity = \"loud\"\n", "test.toml:2:"},
      {"[receivers.device_mqtt]\nreceive_maximum = 0\n", "test.toml:2:"},
      {"[receivers.device_http]\nlisten = \"nohost\"\n", "test.toml:2:"},
      {"[receivers.serial]\nbaud = \"fast\"\n", "test.toml:2:"},
      {"[proxy]\nmode = \"relay\"\n", "test.toml:2:"},
      {"[receivers.otlp]\nhttp = \"4318\"\n", "test.toml:2:"},
      {"[processors.otlp]\nredact = 1\n", "redact"},
      {"[processors.gateway.redaction]\nenabled = true\n", "gateway"},
      {"[processors.redaction]\npatterns = [\"bad[(\"]\n", "test.toml:2:"},
      {"[processors.proxy.sampling]\ntrace_ratio = 2.0\n", "test.toml:2:"},
      {"[receivers.otlp]\ngrpc_max_message_bytes = \"big\"\n", "test.toml:2:"},
      {"[proxy.rate_limit]\nsubject_per_second = -1\n", "test.toml:2:"},
      {"[proxy.cors]\nallowed_origins = 3\n", "test.toml:2:"},
      {"[proxy.upstream]\nendpoint = \"http://up:4318\"\n", "hs256_secret_file"},
      {"[proxy.upstream]\nendpoint = \"up:4318\"\n", "http://"},
      {"[store]\nmax_age = \"forever\"\n", "test.toml:2:"},
      {"[store]\nenabled = \"yes\"\n", "test.toml:2:"},
      {"[store]\nenabled = true\npath = \"\"\n", "[store] path"},
      {"[ui]\nlisten = \"16686\"\n", "test.toml:2:"},
      {"[ui]\nport = 1\n", "port"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    core::Result<DaemonConfig> r = read(c.text);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace edgetrace::daemon
