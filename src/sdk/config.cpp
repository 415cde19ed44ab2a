#include "edgetrace/sdk/config.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <span>
#include <utility>

#include "edgetrace/core/text.hpp"

namespace edgetrace::sdk {
namespace {

using config::TableReader;
using CValue = config::Value;

// A duration: an integer of milliseconds or a string with a unit ("30s").
core::Status read_duration(const CValue& v, std::chrono::milliseconds& out) {
  if (std::optional<std::int64_t> ms = v.integer()) {
    if (*ms < 0)
      return core::invalid_argument("must not be negative");
    out = std::chrono::milliseconds(*ms);
    return {};
  }
  if (!v.is_string())
    return TableReader::expected(v, "a duration (milliseconds, or a string like \"30s\")");
  core::Result<std::chrono::milliseconds> d = config::parse_duration(*v.string());
  if (!d)
    return d.status();
  out = *d;
  return {};
}

core::Status service_field(const CValue& v, std::string& out) {
  if (!v.is_string())
    return TableReader::expected(v, "a string");
  std::string s = *v.string();
  if (s.size() > 255)
    return core::invalid_argument("longer than 255 characters");
  out = std::move(s);
  return {};
}

// Keys a table may give under two names (the edgetrace name and the seed config's). Each
// reader records which of them it saw; after the table is read, both is an error.
struct SeenKeys {
  std::vector<std::string> names;
  void add(std::string_view name) { names.emplace_back(name); }
  bool has(std::string_view name) const {
    return std::find(names.begin(), names.end(), name) != names.end();
  }
};

core::Status one_of(const TableReader& r, const SeenKeys& seen, std::string_view a,
                    std::string_view b) {
  if (!seen.has(a) || !seen.has(b))
    return {};
  const config::Table& t = r.source_table();
  return core::invalid_argument(t.key_position(b).to_string() + ": [" + t.path() + "] keys '" +
                                std::string(a) + "' and '" + std::string(b) +
                                "' are two names for one setting: give only one");
}

core::Status read_console(TableReader& r, ConsoleConfig& c) {
  SeenKeys seen;
  r.boolean("enabled", c.enabled)
      .string("level", c.level)  // checked by the builder with Filter::parse
      .custom("format",
              [&](const CValue& v) -> core::Status {
                if (!v.is_string())
                  return TableReader::expected(v, "a string (full, compact, pretty or json)");
                core::Result<LineFormat> f =
                    config::parse_enum<LineFormat>(*v.string(), kConsoleFormatNames, "value");
                if (!f)
                  return f.status();
                c.format = *f;
                seen.add("format");
                return {};
              })
      .custom("compact",
              [&](const CValue& v) -> core::Status {
                if (!v.is_boolean())
                  return TableReader::expected(v, "a boolean (true or false)");
                if (*v.boolean())
                  c.format = LineFormat::kCompact;
                seen.add("compact");
                return {};
              })
      .custom("ansi",
              [&](const CValue& v) -> core::Status {
                if (!v.is_string())
                  return TableReader::expected(v, "a string (auto, always or never)");
                core::Result<Ansi> a = config::parse_enum<Ansi>(*v.string(), kAnsiNames);
                if (!a)
                  return a.status();
                c.ansi = *a;
                seen.add("ansi");
                return {};
              })
      .custom("with_ansi",
              [&](const CValue& v) -> core::Status {
                if (!v.is_boolean())
                  return TableReader::expected(v, "a boolean (true or false)");
                c.ansi = *v.boolean() ? Ansi::kAlways : Ansi::kNever;
                seen.add("with_ansi");
                return {};
              })
      .boolean("stderr", c.to_stderr)
      .custom("show_target",
              [&](const CValue& v) -> core::Status {
                if (!v.is_boolean())
                  return TableReader::expected(v, "a boolean (true or false)");
                c.show_target = *v.boolean();
                seen.add("show_target");
                return {};
              })
      .custom("with_target",
              [&](const CValue& v) -> core::Status {
                if (!v.is_boolean())
                  return TableReader::expected(v, "a boolean (true or false)");
                c.show_target = *v.boolean();
                seen.add("with_target");
                return {};
              })
      .boolean("show_source_location", c.show_source_location)
      .boolean("show_span_list", c.show_span_list)
      .boolean("show_trace_ids", c.show_trace_ids);
  if (core::Status s = r.finish(); !s.ok())
    return s;
  for (auto [a, b] : {std::pair<std::string_view, std::string_view>{"format", "compact"},
                      {"ansi", "with_ansi"},
                      {"show_target", "with_target"}})
    if (core::Status s = one_of(r, seen, a, b); !s.ok())
      return s;
  return {};
}

core::Status read_file(TableReader& r, FileConfig& f) {
  r.boolean("enabled", f.enabled).string("level", f.level);
  r.custom("path", [&f](const CValue& v) -> core::Status {
    if (!v.is_string())
      return TableReader::expected(v, "a string (a directory or a file)");
    if (v.string()->empty())
      return core::invalid_argument(
          "must not be empty (leave the key out for the cache directory, or use \".\")");
    f.path = *v.string();
    return {};
  });
  r.custom("prefix", [&f](const CValue& v) -> core::Status {
    if (!v.is_string())
      return TableReader::expected(v, "a string");
    if (v.string()->find('/') != std::string::npos)
      return core::invalid_argument("must not contain '/' (the directory is `path`)");
    f.prefix = *v.string();
    return {};
  });
  r.custom("suffix", [&f](const CValue& v) -> core::Status {
    if (!v.is_string())
      return TableReader::expected(v, "a string");
    if (v.string()->find('/') != std::string::npos)
      return core::invalid_argument("must not contain '/'");
    f.suffix = *v.string();
    return {};
  });
  r.choice("rotation", f.rotation, kRotationNames)
      .size("max_files", f.max_files, 0, 1000000, "an integer (0: keep every file)")
      .choice("format", f.format, kFileFormatNames)
      .custom("worker_prefix", [&f](const CValue& v) -> core::Status {
        if (!v.is_string())
          return TableReader::expected(v, "a string");
        std::string text = *v.string();
        if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
          return core::invalid_argument("must not contain a line break");
        f.worker_prefix = std::move(text);
        return {};
      });
  if (core::Status s = r.finish(); !s.ok())
    return s;
  if (!f.worker_prefix.empty() && f.format == LineFormat::kJson) {
    const config::Table& t = r.source_table();
    return core::invalid_argument(t.key_position("worker_prefix").to_string() + ": [" + t.path() +
                                  "] key 'worker_prefix': cannot be used with format = \"json\" "
                                  "(it would break every JSON line); use full or compact");
  }
  return {};
}

core::Status read_otlp(TableReader& r, OtlpConfig& o) {
  SeenKeys seen;
  r.custom("enabled",
           [&o](const CValue& v) -> core::Status {
             if (!v.is_boolean())
               return TableReader::expected(v, "a boolean (true or false)");
             o.enabled = *v.boolean();
             // An explicit "no" also keeps the OTEL_EXPORTER_OTLP_*ENDPOINT variables from
             // turning the layer on.
             o.enable_from_environment = o.enabled;
             return {};
           })
      .string("level", o.level)
      .endpoint("endpoint", o.endpoint)
      .choice("protocol", o.protocol, kOtlpProtocolNames, "protocol")
      .custom("headers", [&o](const CValue& v) { return read_otlp_headers(v, o.headers); })
      .duration("timeout", o.timeout)
      .choice("compression", o.compression, config::kCompressionNames, "compression")
      .choice("sampler", o.sampler, config::kTracesSamplerNames)
      .number("sampler_arg", o.sampler_arg, 0.0, 1.0)
      .boolean("export_spans", o.export_spans)
      .boolean("export_logs", o.export_logs)
      .custom("service_name_override",
              [&o](const CValue& v) { return service_field(v, o.service_name_override); })
      .choice("preset", o.preset, kOtlpPresetNames, "preset")
      .custom("max_queue_size",
              [&o](const CValue& v) -> core::Status {
                std::optional<std::int64_t> n = v.integer();
                if (!n)
                  return TableReader::expected(v, "an integer (records)");
                if (*n < 1 || *n > 1000000)
                  return core::invalid_argument("must be between 1 and 1000000");
                o.max_queue_size = static_cast<std::size_t>(*n);
                return {};
              })
      .custom("max_export_batch_size",
              [&o](const CValue& v) -> core::Status {
                std::optional<std::int64_t> n = v.integer();
                if (!n)
                  return TableReader::expected(v, "an integer (records)");
                if (*n < 1 || *n > 1000000)
                  return core::invalid_argument("must be between 1 and 1000000");
                o.max_export_batch_size = static_cast<std::size_t>(*n);
                return {};
              })
      .custom("scheduled_delay",
              [&](const CValue& v) -> core::Status {
                std::chrono::milliseconds d{0};
                if (core::Status s = read_duration(v, d); !s.ok())
                  return s;
                o.scheduled_delay = d;
                seen.add("scheduled_delay");
                return {};
              })
      .custom("export_interval",
              [&](const CValue& v) -> core::Status {
                std::chrono::milliseconds d{0};
                if (core::Status s = read_duration(v, d); !s.ok())
                  return s;
                o.scheduled_delay = d;
                seen.add("export_interval");
                return {};
              })
      .custom("export_timeout",
              [&o](const CValue& v) -> core::Status {
                std::chrono::milliseconds d{0};
                if (core::Status s = read_duration(v, d); !s.ok())
                  return s;
                o.export_timeout = d;
                return {};
              })
      .custom("export_immediately_on_error",
              [&o](const CValue& v) -> core::Status {
                if (!v.is_boolean())
                  return TableReader::expected(v, "a boolean (true or false)");
                o.export_immediately_on_error = *v.boolean();
                return {};
              })
      .custom("processors", [&o, &r](const CValue& v) -> core::Status {
        if (!v.is_table())
          return TableReader::expected(v, "a table ([...processors.redaction] and others)");
        o.processors = r.source_table().sub_table("processors");
        return {};
      });
  if (core::Status s = r.finish(); !s.ok())
    return s;
  if (core::Status s = one_of(r, seen, "export_interval", "scheduled_delay"); !s.ok())
    return s;
  if (o.max_queue_size && o.max_export_batch_size && *o.max_export_batch_size > *o.max_queue_size) {
    const config::Table& t = r.source_table();
    return core::invalid_argument(
        t.key_position("max_export_batch_size").to_string() + ": [" + t.path() +
        "] key 'max_export_batch_size': must not exceed max_queue_size (" +
        std::to_string(*o.max_queue_size) + ")");
  }
  return {};
}

// The path of `key` below `table_path` ("" is the root).
std::string join_path(std::string_view table_path, std::string_view key) {
  return table_path.empty() ? std::string(key) : std::string(table_path) + "." + std::string(key);
}

}  // namespace

core::Status read_otlp_headers(const CValue& v, std::vector<otlp::Header>& out) {
  if (v.is_string()) {
    core::Result<std::vector<otlp::Header>> h = otlp::parse_headers(*v.string());
    if (!h)
      return h.status();
    out = std::move(h).value();
    return {};
  }
  std::optional<config::Table> table = v.table();
  if (!table)
    return TableReader::expected(v, "a table of strings or a string \"name=value,name2=value2\"");
  std::vector<otlp::Header> headers;
  for (auto&& [key, value] : table->entries()) {
    const std::string name = core::to_lower_ascii(key);
    bool ok_name = !name.empty();
    for (char c : name)
      ok_name = ok_name && c > 0x20 && c < 0x7f && c != ':';
    if (!ok_name)
      return core::invalid_argument("header name '" + key + "' is not valid");
    if (!value.is_string())
      return core::invalid_argument("header '" + name +
                                    "': " + TableReader::expected(value, "a string").message());
    const std::string text = *value.string();
    for (char c : text)
      if (c == '\r' || c == '\n' || c == '\0')
        return core::invalid_argument("header '" + name + "' has a control character in its value");
    headers.push_back(otlp::Header{name, text});
  }
  out = std::move(headers);
  return {};
}

core::Result<TracingConfig> read_tracing_config(const config::Document& document,
                                                std::string_view table_path) {
  TracingConfig c;
  core::Result<std::optional<config::Table>> table = document.table(table_path);
  if (!table)
    return table.status();
  if (!*table) {
    // A tracing table elsewhere is almost certainly the one meant ([coordinator.tracing] in a
    // file read for [tracing]): say so rather than run with the defaults in silence.
    std::vector<std::string> others = document.find_tables("tracing");
    std::erase_if(others, [&](const std::string& p) {
      return p == table_path || p.starts_with(std::string(table_path) + ".");
    });
    if (others.size() == 1) {
      c.warnings.push_back(document.source_name() + ": the tracing table [" + others[0] +
                           "] is not read: this program reads [" + std::string(table_path) +
                           "] (rename the table, or load it with "
                           "TracingBuilder::with_config_file(path, \"" +
                           others[0] + "\")); using the defaults");
    }
    return c;
  }
  TableReader r(std::move(**table));
  const std::string otlp_path = join_path(table_path, "otlp");
  const std::string otel_path = join_path(table_path, "opentelemetry");
  bool otlp_seen = false;
  const auto read_otlp_table = [&c, &otlp_seen, &otlp_path,
                                &otel_path](TableReader& t) -> core::Status {
    if (otlp_seen) {
      return core::invalid_argument(t.source_table().position().to_string() + ": [" + otel_path +
                                    "] and [" + otlp_path +
                                    "] are two names for one table: give only one");
    }
    otlp_seen = true;
    return read_otlp(t, c.otlp);
  };
  r.custom("service_name", [&c](const CValue& v) { return service_field(v, c.service_name); })
      .custom("service_version",
              [&c](const CValue& v) { return service_field(v, c.service_version); })
      .custom("service_instance_id",
              [&c](const CValue& v) { return service_field(v, c.service_instance_id); })
      .boolean("log_spans", c.log_spans)
      .boolean("log_thread_ids", c.log_thread_ids)
      .boolean("log_thread_names", c.log_thread_names)
      .boolean("sdk_disabled", c.sdk_disabled)
      .table("console", [&c](TableReader& t) { return read_console(t, c.console); })
      .table("file", [&c](TableReader& t) { return read_file(t, c.file); })
      .table("otlp", read_otlp_table)
      .table("opentelemetry", read_otlp_table);
  if (core::Status s = r.finish(); !s.ok())
    return s;
  if (core::Status s = validate_config(c); !s.ok())
    return s;
  return c;
}

core::Result<TracingConfig> parse_config(std::string_view toml_text, std::string_view source_name,
                                         std::string_view table_path) {
  core::Result<config::Document> doc = config::Document::parse(toml_text, source_name);
  if (!doc)
    return doc.status();
  return read_tracing_config(*doc, table_path);
}

core::Result<TracingConfig> load_config_file(const std::string& path, std::string_view table_path) {
  core::Result<config::Document> doc = config::Document::load_file(path, kMaxConfigBytes);
  if (!doc)
    return doc.status();
  return read_tracing_config(*doc, table_path);
}

core::Result<FileLocation> resolve_file_location(const FileConfig& f, std::string_view service_name,
                                                 const core::EnvLookup& env) {
  namespace fs = std::filesystem;
  FileLocation out;
  std::string service(service_name.empty() ? std::string_view("edgetrace") : service_name);
  std::replace(service.begin(), service.end(), '/', '_');
  out.prefix = f.prefix.empty() ? service : f.prefix;
  out.suffix = f.suffix;
  if (f.path.empty()) {
    // The XDG base directory rules: XDG_CACHE_HOME when set to an absolute path, else
    // $HOME/.cache.
    std::optional<std::string> xdg = core::env_value(env, "XDG_CACHE_HOME");
    std::optional<std::string> home = core::env_value(env, "HOME");
    if (xdg && xdg->starts_with('/'))
      out.directory = (fs::path(*xdg) / service).string();
    else if (home)
      out.directory = (fs::path(*home) / ".cache" / service).string();
    else
      return core::invalid_argument(
          "tracing.file.path: not set, and there is no cache directory (neither "
          "XDG_CACHE_HOME nor HOME is set); set path");
    return out;
  }
  const fs::path path(f.path);
  std::error_code ec;
  const std::string name = path.filename().string();
  const bool names_file = !f.path.ends_with('/') && !fs::is_directory(path, ec) &&
                          name.find('.', 1) != std::string::npos && name != "..";
  if (!names_file) {
    out.directory = f.path;
    return out;
  }
  if (!f.prefix.empty())
    return core::invalid_argument(
        "tracing.file: `prefix` cannot be used when `path` names a file ('" + f.path +
        "'): the file's name is the prefix");
  out.directory = path.has_parent_path() ? path.parent_path().string() : std::string(".");
  out.prefix = path.stem().string();
  std::string ext = path.extension().string();
  out.suffix = ext.empty() ? std::string() : ext.substr(1);
  return out;
}

std::vector<std::string> check_otlp_ports(const OtlpConfig& c, const config::OtelEnvironment& env) {
  std::vector<std::string> warnings;
  const auto check = [&warnings](std::string_view what, const std::string& endpoint,
                                 otlp::Protocol protocol, std::string_view protocol_variable) {
    if (endpoint.empty())
      return;
    core::Result<config::Endpoint> e = config::parse_endpoint(endpoint);
    std::uint16_t port = 0;
    if (e.ok()) {
      port = e->port;
    } else {
      // gRPC endpoints may be written without a scheme ("collector:4317").
      const std::size_t colon = endpoint.rfind(':');
      if (colon != std::string::npos) {
        const std::string_view digits = std::string_view(endpoint).substr(colon + 1, 4);
        if (digits == "4317" || digits == "4318")
          port = digits == "4317" ? 4317 : 4318;
      }
    }
    const bool http = protocol != otlp::Protocol::kGrpc;
    if (port == 4317 && http) {
      warnings.push_back(std::string(what) + " " + endpoint +
                         " is on port 4317, the OTLP/gRPC port, but the protocol is " +
                         std::string(otlp::to_string(protocol)) + ": set protocol = \"grpc\" (" +
                         std::string(protocol_variable) + "=grpc), or use port 4318 for OTLP/HTTP");
    } else if (port == 4318 && !http) {
      warnings.push_back(std::string(what) + " " + endpoint +
                         " is on port 4318, the OTLP/HTTP port, but the protocol is grpc: set "
                         "protocol = \"http/protobuf\" (" +
                         std::string(protocol_variable) +
                         "=http/protobuf), or use port 4317 for OTLP/gRPC");
    }
  };
  check("OTLP endpoint", c.endpoint, c.protocol, "OTEL_EXPORTER_OTLP_PROTOCOL");
  for (otlp::Signal signal : {otlp::Signal::kTraces, otlp::Signal::kLogs}) {
    const otlp::ExporterSettings& s = env.otlp.signal(signal);
    if (!s.endpoint)
      continue;
    check(otlp::otlp_variable(signal, "ENDPOINT"), *s.endpoint, s.protocol.value_or(c.protocol),
          otlp::otlp_variable(signal, "PROTOCOL"));
  }
  return warnings;
}

core::Status validate_config(const TracingConfig& c) {
  if (c.file.format == LineFormat::kPretty) {
    return core::invalid_argument(
        "tracing.file.format: value 'pretty' is not one of full, compact or json");
  }
  if (!c.file.worker_prefix.empty() && c.file.format == LineFormat::kJson)
    return core::invalid_argument(
        "tracing.file.worker_prefix: cannot be used with format = \"json\"");
  if (c.file.worker_prefix.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
    return core::invalid_argument("tracing.file.worker_prefix: must not contain a line break");
  if ((c.otlp.max_queue_size && *c.otlp.max_queue_size == 0) ||
      (c.otlp.max_export_batch_size && *c.otlp.max_export_batch_size == 0))
    return core::invalid_argument("tracing.otlp: batch and queue sizes must be at least 1");
  if (c.otlp.sampler_arg &&
      (std::isnan(*c.otlp.sampler_arg) || *c.otlp.sampler_arg < 0.0 || *c.otlp.sampler_arg > 1.0))
    return core::invalid_argument("tracing.otlp.sampler_arg: must be between 0 and 1");
  return {};
}

std::vector<std::string> apply_environment(TracingConfig& c, const config::OtelEnvironment& env) {
  std::vector<std::string> warnings;
  if (env.sdk_disabled)
    c.sdk_disabled = *env.sdk_disabled;
  if (env.resource_attributes) {
    for (const auto& kv : *env.resource_attributes) {
      const std::string* s = kv.value.get_if<std::string>();
      if (s == nullptr)
        continue;
      if (kv.key == "service.name")
        c.service_name = *s;
      else if (kv.key == "service.version")
        c.service_version = *s;
      else if (kv.key == "service.instance.id")
        c.service_instance_id = *s;
    }
  }
  if (env.service_name)
    c.service_name = *env.service_name;

  const otlp::ExporterSettings& otlp = env.otlp.generic;
  if (otlp.protocol)
    c.otlp.protocol = *otlp.protocol;
  if (otlp.endpoint) {
    if (otlp.endpoint->starts_with("http://") || otlp.endpoint->starts_with("https://") ||
        c.otlp.protocol == otlp::Protocol::kGrpc)
      c.otlp.endpoint = *otlp.endpoint;
    else
      warnings.push_back(
          "OTEL_EXPORTER_OTLP_ENDPOINT: endpoint must start with http:// or https://; ignored");
  }
  if (otlp.headers)
    c.otlp.headers = *otlp.headers;
  if (otlp.timeout)
    c.otlp.timeout = *otlp.timeout;
  if (otlp.compression)
    c.otlp.compression = *otlp.compression;

  if (env.traces_sampler)
    c.otlp.sampler = *env.traces_sampler;
  if (env.traces_sampler_arg)
    c.otlp.sampler_arg = *env.traces_sampler_arg;
  if (env.sampling_ratio) {
    if (env.traces_sampler) {
      warnings.push_back(
          "OTEL_SAMPLING_RATIO: ignored, OTEL_TRACES_SAMPLER is set (the standard variables "
          "win; use OTEL_TRACES_SAMPLER_ARG for the ratio)");
    } else {
      c.otlp.sampler = config::TracesSampler::kParentBasedTraceIdRatio;
      c.otlp.sampler_arg = *env.sampling_ratio;
    }
  }
  return warnings;
}

std::vector<std::string> apply_environment(TracingConfig& c, const core::EnvLookup& lookup) {
  const config::OtelEnvironment env = config::read_otel_environment(lookup);
  std::vector<std::string> warnings = env.warnings;
  warnings.insert(warnings.end(), env.otlp.generic.warnings.begin(),
                  env.otlp.generic.warnings.end());
  std::vector<std::string> applied = apply_environment(c, env);
  warnings.insert(warnings.end(), applied.begin(), applied.end());
  return warnings;
}

}  // namespace edgetrace::sdk
