#include "edgetrace/sdk/config.hpp"

#include <cmath>

#include "edgetrace/core/text.hpp"

namespace edgetrace::sdk {
namespace {

using config::TableReader;
using CValue = config::Value;

core::Status service_field(const CValue& v, std::string& out) {
  if (!v.is_string())
    return TableReader::expected(v, "a string");
  std::string s = *v.string();
  if (s.size() > 255)
    return core::invalid_argument("longer than 255 characters");
  out = std::move(s);
  return {};
}

void read_console(TableReader& r, ConsoleConfig& c) {
  r.boolean("enabled", c.enabled)
      .string("level", c.level)  // checked by the builder with Filter::parse
      .choice("format", c.format, kConsoleFormatNames)
      .choice("ansi", c.ansi, kAnsiNames)
      .boolean("stderr", c.to_stderr)
      .boolean("show_target", c.show_target)
      .boolean("show_source_location", c.show_source_location)
      .boolean("show_span_list", c.show_span_list)
      .boolean("show_trace_ids", c.show_trace_ids);
}

void read_file(TableReader& r, FileConfig& f) {
  r.boolean("enabled", f.enabled).string("level", f.level);
  r.custom("path", [&f](const CValue& v) -> core::Status {
    if (!v.is_string())
      return TableReader::expected(v, "a string (a directory)");
    if (v.string()->empty())
      return core::invalid_argument("must not be empty (use \".\" for the current directory)");
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
      .choice("format", f.format, kFileFormatNames);
}

void read_otlp(TableReader& r, OtlpConfig& o) {
  r.boolean("enabled", o.enabled)
      .string("level", o.level)
      .endpoint("endpoint", o.endpoint)
      .choice("protocol", o.protocol, config::kProtocolNames, "protocol")
      .custom("headers", [&o](const CValue& v) { return read_otlp_headers(v, o.headers); })
      .duration("timeout", o.timeout)
      .choice("compression", o.compression, config::kCompressionNames, "compression")
      .choice("sampler", o.sampler, config::kTracesSamplerNames)
      .number("sampler_arg", o.sampler_arg, 0.0, 1.0)
      .boolean("export_spans", o.export_spans)
      .boolean("export_logs", o.export_logs);
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
  if (!*table)
    return c;
  TableReader r(std::move(**table));
  r.custom("service_name", [&c](const CValue& v) { return service_field(v, c.service_name); })
      .custom("service_version",
              [&c](const CValue& v) { return service_field(v, c.service_version); })
      .custom("service_instance_id",
              [&c](const CValue& v) { return service_field(v, c.service_instance_id); })
      .boolean("log_spans", c.log_spans)
      .boolean("log_thread_ids", c.log_thread_ids)
      .boolean("log_thread_names", c.log_thread_names)
      .boolean("sdk_disabled", c.sdk_disabled)
      .table("console",
             [&c](TableReader& t) {
               read_console(t, c.console);
               return core::Status();
             })
      .table("file",
             [&c](TableReader& t) {
               read_file(t, c.file);
               return core::Status();
             })
      .table("otlp", [&c](TableReader& t) {
        read_otlp(t, c.otlp);
        return core::Status();
      });
  if (core::Status s = r.finish(); !s.ok())
    return s;
  return c;
}

core::Result<TracingConfig> parse_config(std::string_view toml_text, std::string_view source_name) {
  core::Result<config::Document> doc = config::Document::parse(toml_text, source_name);
  if (!doc)
    return doc.status();
  return read_tracing_config(*doc);
}

core::Result<TracingConfig> load_config_file(const std::string& path) {
  core::Result<config::Document> doc = config::Document::load_file(path, kMaxConfigBytes);
  if (!doc)
    return doc.status();
  return read_tracing_config(*doc);
}

core::Status validate_config(const TracingConfig& c) {
  if (c.file.format == LineFormat::kPretty) {
    return core::invalid_argument(
        "tracing.file.format: value 'pretty' is not one of full, compact or json");
  }
  if (c.file.enabled && c.file.path.empty())
    return core::invalid_argument("tracing.file.path: must not be empty");
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
