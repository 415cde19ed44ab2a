#include "server/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>

#include "edgetrace/config/values.hpp"
#include "edgetrace/core/severity.hpp"
#include "edgetrace/core/text.hpp"
#include "edgetrace/decoder/decoder.hpp"
#include "edgetrace/processors/config.hpp"
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

// "Name: value" lines (blank lines and lines starting with # ignored). Errors name the
// line number, never its content (it holds a credential).
core::Status parse_header_lines(std::string_view text, std::string_view source,
                                std::vector<otlp::Header>& out) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    line = core::trim_ows(line);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#')
      continue;
    const std::size_t colon = line.find(':');
    const std::string_view name = colon == std::string_view::npos
                                      ? std::string_view()
                                      : core::trim_ows(line.substr(0, colon));
    const bool token_name =
        !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
          return std::isalnum(c) ||
                 std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                     std::string_view::npos;
        });
    if (!token_name)
      return core::invalid_argument(std::string(source) + ": line " + std::to_string(line_no) +
                                    ": expected 'Name: value'");
    out.push_back({std::string(name), std::string(core::trim_ows(line.substr(colon + 1)))});
  }
  return {};
}

core::Status read_proxy_secrets(ProxyConfig& p, const core::EnvLookup& env) {
  if (!p.enabled())
    return {};
  if (p.mode == "forward" && p.upstream_endpoint.find("://") == std::string::npos)
    return core::invalid_argument("[proxy.upstream] endpoint: expected an http:// or https:// URL");
  if (!p.upstream_header_file.empty()) {
    std::ifstream in(p.upstream_header_file, std::ios::binary);
    std::string text(64 * 1024 + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad() || (!in.eof() && !in.good()) ||
        !std::filesystem::is_regular_file(p.upstream_header_file))
      return core::invalid_argument("[proxy.upstream] header_file: cannot read " +
                                    p.upstream_header_file);
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > 64 * 1024)
      return core::invalid_argument("[proxy.upstream] header_file: " + p.upstream_header_file +
                                    " is larger than 64 KiB");
    if (core::Status s = parse_header_lines(text, p.upstream_header_file, p.upstream_headers);
        !s.ok())
      return core::Status(s.code(), "[proxy.upstream] header_file: " + s.message());
  }
  if (!p.upstream_header_env.empty()) {
    const std::optional<std::string> text = env(p.upstream_header_env);
    if (!text)
      return core::invalid_argument("[proxy.upstream] header_env: $" + p.upstream_header_env +
                                    " is not set");
    if (core::Status s = parse_header_lines(*text, "$" + p.upstream_header_env, p.upstream_headers);
        !s.ok())
      return core::Status(s.code(), "[proxy.upstream] header_env: " + s.message());
  }
  if (!p.hs256_secret_file.empty()) {
    core::Result<std::string> secret = config::read_token_file(p.hs256_secret_file);
    if (!secret)
      return core::Status(secret.status().code(),
                          "[proxy.jwt] hs256_secret_file: " + secret.status().message());
    p.hs256_secret = std::move(secret).value();
  }
  if (p.hs256_secret.empty() && p.public_key_file.empty() && p.jwks_file.empty())
    return core::invalid_argument(
        "[proxy.jwt] the proxy needs a key to check tokens: set hs256_secret_file, "
        "public_key_file or jwks_file");
  return {};
}

// [processors] redaction/sampling/rate_cap for every pipeline, then each pipeline's own.
core::Status read_pipeline_processors(const config::Document& doc, ProcessorsConfig& out) {
  processors::ProcessorsOptions shared;
  core::Result<std::optional<Table>> t = doc.table("processors");
  if (!t)
    return t.status();
  if (*t)
    if (core::Status s = processors::read_processors_options(**t, shared); !s.ok())
      return s;
  for (std::size_t i = 0; i < kPipelines.size(); ++i) {
    out.pipelines[i] = shared;
    core::Result<std::optional<Table>> own = doc.table("processors." + std::string(kPipelines[i]));
    if (!own)
      return own.status();
    if (*own)
      if (core::Status s = processors::read_processors_options(**own, out.pipelines[i]); !s.ok())
        return s;
  }
  return {};
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
    receivers.table("otlp", [&](TableReader& r) {
      OtlpHttpReceiverOptions& h = c.otlp_http;
      OtlpGrpcReceiverOptions& g = c.otlp_grpc;
      std::uint64_t max_body = h.max_body_bytes;
      std::uint64_t max_inflated = h.max_decompressed_bytes;
      std::uint64_t max_message = g.max_message_bytes;
      std::chrono::milliseconds retry_after = h.retry_after;
      r.custom("http", [&](const config::Value& v) { return listen_address(v, h.listen); })
          .custom("grpc", [&](const config::Value& v) { return listen_address(v, g.listen); })
          .byte_size("max_body_bytes", max_body)
          .byte_size("max_decompressed_bytes", max_inflated)
          .byte_size("grpc_max_message_bytes", max_message)
          .string_list("cors_allowed_origins", h.cors_allowed_origins)
          .duration("retry_after", retry_after)
          .size("handler_threads", h.handler_threads, 0, 256)
          .duration("read_timeout", h.read_timeout);
      if (core::Status s = r.finish(); !s.ok())
        return s;
      h.max_body_bytes = static_cast<std::size_t>(max_body);
      h.max_decompressed_bytes = static_cast<std::size_t>(max_inflated);
      g.max_message_bytes = static_cast<std::size_t>(max_message);
      h.retry_after = std::chrono::duration_cast<std::chrono::seconds>(retry_after);
      g.retry_delay = retry_after;
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
    // Read below with edgetrace::processors' own reader (shared first, then per pipeline).
    auto processor_table = [](const config::Value& v) -> core::Status {
      if (!v.table())
        return TableReader::expected(v, "a table");
      return {};
    };
    processors.custom("redaction", processor_table)
        .custom("sampling", processor_table)
        .custom("rate_cap", processor_table);
    for (const std::string_view pipeline : kPipelines) {
      processors.custom(pipeline, [](const config::Value& v) -> core::Status {
        std::optional<Table> t = v.table();
        if (!t)
          return TableReader::expected(v, "a table ([processors.<pipeline>.redaction] ...)");
        for (const auto& [key, value] : t->entries())
          if (key != "redaction" && key != "sampling" && key != "rate_cap")
            return core::invalid_argument(value.position().to_string() + ": unknown key '" + key +
                                          "' (valid keys: redaction, sampling, rate_cap)");
        return {};
      });
    }
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
  root.table("proxy", [&](TableReader& proxy) {
    ProxyConfig& p = c.proxy;
    std::uint64_t token_cache = p.token_cache_entries;
    proxy.custom("listen", [&](const config::Value& v) { return listen_address(v, p.listen); })
        .custom("mode",
                [&](const config::Value& v) -> core::Status {
                  if (!v.is_string() || (*v.string() != "forward" && *v.string() != "queue"))
                    return TableReader::expected(v, "\"forward\" or \"queue\"");
                  p.mode = *v.string();
                  return {};
                })
        .string("subject_attribute", p.subject_attribute)
        .byte_size("max_body_bytes", p.max_body_bytes)
        .byte_size("max_decompressed_bytes", p.max_decompressed_bytes)
        .size("handler_threads", p.handler_threads, 1, 1024)
        .duration("read_timeout", p.read_timeout);
    proxy.table("upstream", [&](TableReader& r) {
      r.string("endpoint", p.upstream_endpoint)
          .string("header_file", p.upstream_header_file)
          .string("header_env", p.upstream_header_env)
          .duration("timeout", p.upstream_timeout)
          .string("ca_file", p.upstream_ca_file);
      return r.finish();
    });
    proxy.table("jwt", [&](TableReader& r) {
      r.string("hs256_secret_file", p.hs256_secret_file)
          .string("public_key_file", p.public_key_file)
          .string("jwks_file", p.jwks_file)
          .string("issuer", p.issuer)
          .string("audience", p.audience)
          .duration("clock_skew", p.clock_skew)
          .string("subject_claim", p.subject_claim)
          .byte_size("token_cache_entries", token_cache);
      return r.finish();
    });
    proxy.table("rate_limit", [&](TableReader& r) {
      constexpr double kMax = 1e9;
      r.number("address_per_second", p.address_per_second, 0, kMax)
          .number("address_burst", p.address_burst, 0, kMax)
          .number("subject_per_second", p.subject_per_second, 0, kMax)
          .number("subject_burst", p.subject_burst, 0, kMax)
          .number("global_per_second", p.global_per_second, 0, kMax)
          .number("global_burst", p.global_burst, 0, kMax);
      return r.finish();
    });
    proxy.table("cors", [&](TableReader& r) {
      r.string_list("allowed_origins", p.allowed_origins);
      return r.finish();
    });
    if (core::Status s = proxy.finish(); !s.ok())
      return s;
    p.token_cache_entries = static_cast<std::size_t>(token_cache);
    return core::Status{};
  });
  root.table("store", [&](TableReader& r) {
    r.boolean("enabled", c.store.enabled)
        .string("path", c.store.path)
        .byte_size("max_bytes", c.store.max_bytes)
        .duration("max_age", c.store.max_age);
    if (core::Status s = r.finish(); !s.ok())
      return s;
    if (c.store.enabled && c.store.path.empty())
      return core::invalid_argument("[store] path must not be empty when the store is enabled");
    return core::Status{};
  });
  root.table("ui", [&](TableReader& r) {
    r.custom("listen", [&](const config::Value& v) {
       return listen_address(v, c.ui.listen);
     }).string_list("cors_allowed_origins", c.ui.cors_allowed_origins);
    return r.finish();
  });
  root.table("telemetry", [&](TableReader& r) {
    r.string("log_level", c.telemetry.log_level)
        .string("otlp_endpoint", c.telemetry.otlp_endpoint)
        .duration("drop_report_interval", c.telemetry.drop_report_interval);
    return r.finish();
  });
  root.duration("shutdown_timeout", c.shutdown_timeout);
  if (core::Status s = root.finish(); !s.ok())
    return s;
  if (c.symbols.hold_max_bytes > c.symbols.hold_total_bytes)
    return core::invalid_argument("[symbols] hold_max_bytes must not exceed hold_total_bytes");
  resolve_otlp(c.otlp, env, c.warnings);
  if (core::Status s = read_proxy_secrets(c.proxy, env); !s.ok())
    return s;
  if (core::Status s = read_pipeline_processors(doc, c.processors); !s.ok())
    return s;
  return c;
}

}  // namespace edgetrace::daemon
