#include "server/config.hpp"

#include <array>
#include <string>

#include "edgetrace/config/values.hpp"
#include "edgetrace/core/severity.hpp"
#include "edgetrace/decoder/decoder.hpp"
#include "edgetrace/sdk/config.hpp"

namespace edgetrace::daemon {
namespace {

using config::EnumName;
using config::Table;
using config::TableReader;

constexpr std::array<EnumName<otlp::Protocol>, 3> kProtocols{{
    {"http/protobuf", otlp::Protocol::kHttpProtobuf},
    {"grpc", otlp::Protocol::kGrpc},
    {"http/json", otlp::Protocol::kHttpJson},
}};
constexpr std::array<EnumName<otlp::Compression>, 2> kCompressions{{
    {"none", otlp::Compression::kNone},
    {"gzip", otlp::Compression::kGzip},
}};
constexpr std::array<EnumName<otlp::FsyncMode>, 3> kFsyncModes{{
    {"interval", otlp::FsyncMode::kInterval},
    {"always", otlp::FsyncMode::kEveryRecord},
    {"never", otlp::FsyncMode::kNever},
}};
constexpr std::array<EnumName<decoder::StreamFormat>, 3> kFormats{{
    {"edgetrace", decoder::StreamFormat::kEdgetrace},
    {"defmt-rzcobs", decoder::StreamFormat::kDefmtRzcobs},
    {"defmt-raw", decoder::StreamFormat::kDefmtRaw},
}};

core::Status listen_address(const config::Value& v, std::string& out) {
  if (!v.is_string())
    return TableReader::expected(v, "a string (\"host:port\", or \"\" to disable)");
  std::string text = *v.string();
  if (!text.empty()) {
    core::Result<config::HostPort> hp = config::parse_host_port(text);
    if (!hp)
      return hp.status();
  }
  out = std::move(text);
  return {};
}

core::Status read_services(const config::Value& v, std::vector<bridge::ServiceRule>& out) {
  if (!v.is_array())
    return TableReader::expected(v, "an array of tables ([[devices.services]])");
  out.clear();
  for (const config::Value& item : v.array()) {
    std::optional<Table> t = item.table();
    if (!t)
      return TableReader::expected(item, "a table ([[devices.services]])");
    bridge::ServiceRule rule;
    TableReader r(*t);
    r.string("build_id", rule.build_id)
        .string("elf", rule.elf_pattern)
        .string("service_name", rule.service_name)
        .string("service_version", rule.service_version);
    if (core::Status s = r.finish(); !s.ok())
      return s;
    out.push_back(std::move(rule));
  }
  return {};
}

core::Status read_attributes(const config::Value& v, core::Attributes& out) {
  std::optional<Table> t = v.table();
  if (!t)
    return TableReader::expected(v, "a table of attribute names and values");
  for (const auto& [key, value] : t->entries()) {
    if (std::optional<std::string> s = value.string())
      out.set(key, *s);
    else if (std::optional<std::int64_t> i = value.integer())
      out.set(key, *i);
    else if (std::optional<bool> b = value.boolean())
      out.set(key, *b);
    else if (value.is_number())
      out.set(key, *value.number());
    else
      return TableReader::expected(value, "a string, number or boolean (attribute '" + key + "')");
  }
  return {};
}

void resolve_otlp(OtlpExporterConfig& o, const core::EnvLookup& env,
                  std::vector<std::string>& warnings) {
  const otlp::OtlpEnvironment e = otlp::read_otlp_environment(env);
  for (std::string& w : e.warnings())
    warnings.push_back(std::move(w));
  constexpr std::array<otlp::Signal, 3> kSignals = {otlp::Signal::kTraces, otlp::Signal::kLogs,
                                                    otlp::Signal::kMetrics};
  bool any_env_endpoint = e.generic.endpoint.has_value();
  for (std::size_t i = 0; i < 3; ++i) {
    otlp::OtlpExporterOptions base;
    base.protocol = o.protocol;
    base.headers = o.headers;
    base.compression = o.compression;
    base.timeout = o.timeout;
    base.insecure = o.insecure;
    base.ca_file = o.ca_file;
    // The queue retries for as long as the budget allows; one export call gives up sooner.
    base.retry.max_elapsed = std::max(o.timeout * 2, std::chrono::milliseconds(5000));
    if (!o.endpoint.empty())
      base.endpoint = otlp::signal_endpoint(o.endpoint, o.protocol, kSignals[i]);
    if (e.signal(kSignals[i]).endpoint)
      any_env_endpoint = true;
    otlp::LoadedExporterOptions loaded = otlp::exporter_options(kSignals[i], e, std::move(base));
    for (std::string& w : loaded.warnings)
      warnings.push_back(std::move(w));
    o.per_signal[i] = std::move(loaded.options);
  }
  o.enabled = !o.endpoint.empty() || any_env_endpoint;
}

}  // namespace

core::Result<DaemonConfig> read_daemon_config(const config::Document& doc,
                                              const core::EnvLookup& env) {
  DaemonConfig c;
  TableReader root(doc.root());
  root.table("admin", [&](TableReader& r) {
    r.custom("listen", [&](const config::Value& v) { return listen_address(v, c.admin.listen); });
    return r.finish();
  });
  root.table("symbols", [&](TableReader& r) {
    SymbolsConfig& s = c.symbols;
    r.string("store", s.store)
        .string("token_file", s.token_file)
        .string("server", s.server)
        .string("server_token_file", s.server_token_file)
        .byte_size("cache_bytes", s.cache_bytes)
        .byte_size("max_elf_bytes", s.max_elf_bytes)
        .duration("hold_time", s.hold_time)
        .byte_size("hold_max_bytes", s.hold_max_bytes)
        .byte_size("hold_total_bytes", s.hold_total_bytes);
    return r.finish();
  });
  root.table("receivers", [&](TableReader& receivers) {
    receivers.table("device_tcp", [&](TableReader& r) {
      DeviceTcpOptions& t = c.device_tcp;
      r.custom("listen", [&](const config::Value& v) { return listen_address(v, t.listen); })
          .size("max_connections", t.max_connections, 1, 1'000'000)
          .size("buffer_bytes", t.buffer_bytes, 256, 16u << 20, "an integer (bytes)")
          .duration("idle_timeout", t.idle_timeout)
          .duration("max_connection_age", t.max_connection_age)
          .size("io_threads", t.io_threads, 1, 64)
          .choice("format", t.format, kFormats, "stream format");
      return r.finish();
    });
    receivers.table("device_mqtt", [&](TableReader& r) {
      DeviceMqttOptions& m = c.device_mqtt;
      std::chrono::milliseconds keepalive = m.keepalive;
      std::chrono::milliseconds reconnect_min = m.reconnect_min;
      std::chrono::milliseconds reconnect_max = m.reconnect_max;
      std::chrono::milliseconds session_expiry = m.session_expiry;
      std::size_t receive_maximum = static_cast<std::size_t>(m.receive_maximum);
      r.string("url", m.url)
          .string("topic", m.topic)
          .string("group", m.group)
          .string("client_id", m.client_id)
          .string("username", m.username)
          .string("password_file", m.password_file)
          .string("tls_ca_file", m.tls_ca_file)
          .duration("keepalive", keepalive)
          .duration("reconnect_min", reconnect_min)
          .duration("reconnect_max", reconnect_max)
          .boolean("clean_start", m.clean_start)
          .duration("session_expiry", session_expiry)
          .size("receive_maximum", receive_maximum, 1, 65535)
          .duration("device_idle_timeout", m.device_idle_timeout)
          .size("max_devices", m.max_devices, 1, 10'000'000)
          .choice("format", m.format, kFormats, "stream format");
      if (core::Status s = r.finish(); !s.ok())
        return s;
      m.keepalive = std::chrono::duration_cast<std::chrono::seconds>(keepalive);
      m.reconnect_min = std::chrono::duration_cast<std::chrono::seconds>(reconnect_min);
      m.reconnect_max = std::chrono::duration_cast<std::chrono::seconds>(reconnect_max);
      m.session_expiry = std::chrono::duration_cast<std::chrono::seconds>(session_expiry);
      m.receive_maximum = static_cast<int>(receive_maximum);
      return core::Status{};
    });
    receivers.table("device_http", [&](TableReader& r) {
      DeviceHttpOptions& h = c.device_http;
      std::chrono::milliseconds retry_after = h.retry_after;
      std::uint64_t max_body = h.max_body_bytes;
      r.custom("listen", [&](const config::Value& v) { return listen_address(v, h.listen); })
          .byte_size("max_body_bytes", max_body)
          .string("token_file", h.token_file)
          .size("io_threads", h.io_threads, 1, 64)
          .size("handler_threads", h.handler_threads, 1, 256)
          .size("max_connections", h.max_connections, 1, 1'000'000)
          .duration("idle_timeout", h.idle_timeout)
          .duration("read_timeout", h.read_timeout)
          .duration("retry_after", retry_after);
      if (core::Status s = r.finish(); !s.ok())
        return s;
      h.retry_after = std::chrono::duration_cast<std::chrono::seconds>(retry_after);
      h.max_body_bytes = static_cast<std::size_t>(max_body);
      return core::Status{};
    });
    receivers.table("serial", [&](TableReader& r) {
      SerialOptions& o = c.serial;
      std::size_t baud = o.baud;
      r.string("path", o.path)
          .size("baud", baud, 50, 4'000'000)
          .choice("format", o.format, kFormats, "stream format")
          .string("device_id", o.device_id)
          .string("build_id", o.build_id)
          .boolean("follow", o.follow)
          .duration("reopen_initial", o.reopen_initial)
          .duration("reopen_max", o.reopen_max)
          .duration("follow_interval", o.follow_interval)
          .size("buffer_bytes", o.buffer_bytes, 16, 16u << 20, "an integer (bytes)");
      if (core::Status s = r.finish(); !s.ok())
        return s;
      o.baud = static_cast<unsigned>(baud);
      return core::Status{};
    });
    return receivers.finish();
  });
  root.table("queue", [&](TableReader& r) {
    QueueConfig& q = c.queue;
    r.string("dir", q.dir)
        .byte_size("max_bytes", q.max_bytes)
        .choice("fsync", q.fsync, kFsyncModes, "fsync mode")
        .duration("fsync_interval", q.fsync_interval)
        .size("batch_records", q.batch_records, 1, 100000)
        .duration("retry_max", q.retry_max);
    return r.finish();
  });
  root.table("exporters", [&](TableReader& exporters) {
    exporters.table("otlp", [&](TableReader& r) {
      OtlpExporterConfig& o = c.otlp;
      r.custom("endpoint",
               [&](const config::Value& v) -> core::Status {
                 if (!v.is_string())
                   return TableReader::expected(v, "a string (a URL, or \"\" for none)");
                 std::string text = *v.string();
                 if (!text.empty() && text.find("://") != std::string::npos) {
                   core::Result<config::Endpoint> e = config::parse_endpoint(text);
                   if (!e)
                     return e.status();
                 }
                 o.endpoint = std::move(text);
                 return {};
               })
          .choice("protocol", o.protocol, kProtocols, "protocol")
          .custom("headers",
                  [&](const config::Value& v) { return sdk::read_otlp_headers(v, o.headers); })
          .choice("compression", o.compression, kCompressions, "compression")
          .duration("timeout", o.timeout)
          .boolean("insecure", o.insecure)
          .string("ca_file", o.ca_file);
      return r.finish();
    });
    exporters.table("console", [&](TableReader& r) {
      r.boolean("enabled", c.console.enabled)
          .boolean("ascii", c.console.ascii)
          .boolean("logs", c.console.logs)
          .size("max_traces", c.console.max_traces, 1, 1'000'000)
          .size("max_spans", c.console.max_spans, 1, 100'000'000)
          .duration("root_timeout", c.console.root_timeout);
      return r.finish();
    });
    exporters.table("file", [&](TableReader& r) {
      r.string("path", c.file.path)
          .byte_size("max_bytes", c.file.max_bytes)
          .size("max_files", c.file.max_files, 0, 1000);
      return r.finish();
    });
    return exporters.finish();
  });
  root.table("devices", [&](TableReader& r) {
    r.custom("services", [&](const config::Value& v) {
       return read_services(v, c.devices.services);
     }).custom("attributes", [&](const config::Value& v) {
      return read_attributes(v, c.devices.attributes);
    });
    return r.finish();
  });
  root.table("processors", [&](TableReader& processors) {
    processors.table("resource", [&](TableReader& r) {
      r.custom("attributes", [&](const config::Value& v) {
        return read_attributes(v, c.processors.resource_attributes);
      });
      return r.finish();
    });
    processors.table("logs", [&](TableReader& r) {
      r.custom("min_severity", [&](const config::Value& v) -> core::Status {
        if (!v.is_string())
          return TableReader::expected(v,
                                       "a string (trace, debug, info, warn, error, fatal or \"\")");
        const std::string text = *v.string();
        if (!text.empty() && !core::parse_level(text))
          return core::invalid_argument(
              "'" + text + "' is not a level (trace, debug, info, warn, error, fatal)");
        c.processors.min_log_severity = text;
        return {};
      });
      return r.finish();
    });
    return processors.finish();
  });
  root.table("telemetry", [&](TableReader& r) {
    r.string("log_level", c.telemetry.log_level).string("otlp_endpoint", c.telemetry.otlp_endpoint);
    return r.finish();
  });
  root.duration("shutdown_timeout", c.shutdown_timeout);
  if (core::Status s = root.finish(); !s.ok())
    return s;
  if (c.symbols.hold_max_bytes > c.symbols.hold_total_bytes)
    return core::invalid_argument("[symbols] hold_max_bytes must not exceed hold_total_bytes");
  resolve_otlp(c.otlp, env, c.warnings);
  return c;
}

}  // namespace edgetrace::daemon
