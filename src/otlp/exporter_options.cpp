#include "edgetrace/otlp/exporter_options.hpp"

#include "edgetrace/core/percent_encoding.hpp"
#include "edgetrace/core/text.hpp"
#include "internal/batch_settings.hpp"

namespace edgetrace::otlp {
namespace {

bool has_scheme(std::string_view url) {
  return url.starts_with("http://") || url.starts_with("https://");
}

// Appends "v1/<signal>" to the path of `base`, with exactly one slash between.
std::string append_signal_path(std::string_view base, Signal signal) {
  std::string out(base);
  if (out.empty() || out.back() != '/')
    out.push_back('/');
  out += "v1/";
  out += to_string(signal);
  return out;
}

}  // namespace

std::string_view to_string(Signal signal) noexcept {
  switch (signal) {
    case Signal::kTraces:
      return "traces";
    case Signal::kLogs:
      return "logs";
    case Signal::kMetrics:
      return "metrics";
  }
  return "unknown";
}

std::string_view to_string(Protocol protocol) noexcept {
  switch (protocol) {
    case Protocol::kGrpc:
      return "grpc";
    case Protocol::kHttpProtobuf:
      return "http/protobuf";
    case Protocol::kHttpJson:
      return "http/json";
  }
  return "unknown";
}

core::Result<std::vector<Header>> parse_headers(std::string_view text) {
  std::vector<Header> headers;
  std::size_t pos = 0;
  std::size_t index = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos)
      comma = text.size();
    std::string_view entry = core::trim_ows(text.substr(pos, comma - pos));
    pos = comma + 1;
    ++index;
    if (entry.empty())
      continue;
    const std::size_t eq = entry.find('=');
    // Messages name the entry by position: the text may hold a secret.
    if (eq == std::string_view::npos) {
      return core::invalid_argument("header entry " + std::to_string(index) + " has no '='");
    }
    core::Result<std::string> name = core::percent_decode(core::trim_ows(entry.substr(0, eq)));
    if (!name || name->empty()) {
      return core::invalid_argument("header entry " + std::to_string(index) +
                                    " has an empty or malformed name");
    }
    for (char c : *name) {
      if (c <= 0x20 || c >= 0x7f || c == ':') {
        return core::invalid_argument("header entry " + std::to_string(index) +
                                      " has an invalid character in its name");
      }
    }
    core::Result<std::string> value = core::percent_decode(core::trim_ows(entry.substr(eq + 1)));
    if (!value) {
      return core::invalid_argument("header entry " + std::to_string(index) + " ('" + *name +
                                    "') has a malformed percent-escape in its value");
    }
    for (char c : *value) {
      if (c == '\r' || c == '\n' || c == '\0') {
        return core::invalid_argument("header entry " + std::to_string(index) + " ('" + *name +
                                      "') has a control character in its value");
      }
    }
    headers.push_back(Header{core::to_lower_ascii(*name), std::move(value).value()});
  }
  return headers;
}

std::optional<Protocol> parse_protocol(std::string_view name) noexcept {
  if (name == "grpc")
    return Protocol::kGrpc;
  if (name == "http/protobuf")
    return Protocol::kHttpProtobuf;
  if (name == "http/json")
    return Protocol::kHttpJson;
  return std::nullopt;
}

std::optional<Compression> parse_compression(std::string_view name) noexcept {
  if (name == "gzip")
    return Compression::kGzip;
  if (name == "none")
    return Compression::kNone;
  return std::nullopt;
}

std::string otlp_variable(std::optional<Signal> signal, std::string_view option) {
  std::string name = "OTEL_EXPORTER_OTLP_";
  if (signal) {
    name += core::to_upper_ascii(to_string(*signal));
    name += '_';
  }
  name += option;
  return name;
}

const ExporterSettings& OtlpEnvironment::signal(Signal s) const noexcept {
  switch (s) {
    case Signal::kTraces:
      return traces;
    case Signal::kLogs:
      return logs;
    case Signal::kMetrics:
      return metrics;
  }
  return generic;
}

std::vector<std::string> OtlpEnvironment::warnings() const {
  std::vector<std::string> out;
  for (const std::vector<std::string>* w :
       {&generic.warnings, &traces.warnings, &logs.warnings, &metrics.warnings,
        &span_batch.warnings, &log_batch.warnings})
    out.insert(out.end(), w->begin(), w->end());
  return out;
}

namespace {

// Parses one set of exporter variables (the generic ones when `signal` is empty).
ExporterSettings read_settings(const EnvLookup& env, std::optional<Signal> signal) {
  ExporterSettings out;
  auto get = [&](std::string_view option) -> std::optional<std::pair<std::string, std::string>> {
    std::string name = otlp_variable(signal, option);
    std::optional<std::string> v = core::env_value(env, name);
    if (!v)
      return std::nullopt;
    return std::pair{std::move(name), std::move(*v)};
  };
  auto warn = [&](const std::string& name, const std::string& what) {
    out.warnings.push_back(name + ": " + what + "; ignored");
  };

  if (auto v = get("PROTOCOL")) {
    if (auto p = parse_protocol(core::to_lower_ascii(v->second)))
      out.protocol = *p;
    else
      warn(v->first, "protocol '" + v->second + "' is not one of grpc, http/protobuf or http/json");
  }
  if (auto v = get("ENDPOINT"))
    out.endpoint = v->second;
  if (auto v = get("HEADERS")) {
    core::Result<std::vector<Header>> h = parse_headers(v->second);
    if (h)
      out.headers = std::move(h).value();
    else
      warn(v->first, h.status().message());
  }
  if (auto v = get("TIMEOUT")) {
    if (std::optional<long long> ms = core::parse_whole_number<long long>(v->second))
      out.timeout = std::chrono::milliseconds(*ms);
    else
      warn(v->first, "timeout must be a whole number of milliseconds, got '" + v->second + "'");
  }
  if (auto v = get("COMPRESSION")) {
    if (auto c = parse_compression(core::to_lower_ascii(v->second)))
      out.compression = *c;
    else
      warn(v->first, "compression '" + v->second + "' is not one of gzip or none");
  }
  if (auto v = get("CERTIFICATE"))
    out.ca_file = v->second;
  if (auto v = get("CLIENT_KEY"))
    out.client_key_file = v->second;
  if (auto v = get("CLIENT_CERTIFICATE"))
    out.client_certificate_file = v->second;
  if (auto v = get("INSECURE")) {
    const std::string b = core::to_lower_ascii(v->second);
    if (b == "true")
      out.insecure = true;
    else if (b == "false")
      out.insecure = false;
    else
      warn(v->first, "expected true or false, got '" + v->second + "'");
  }
  return out;
}

}  // namespace

OtlpEnvironment read_otlp_environment(const EnvLookup& env) {
  OtlpEnvironment out;
  out.generic = read_settings(env, std::nullopt);
  out.traces = read_settings(env, Signal::kTraces);
  out.logs = read_settings(env, Signal::kLogs);
  out.metrics = read_settings(env, Signal::kMetrics);
  out.span_batch = read_batch_settings(env, "OTEL_BSP_");
  out.log_batch = read_batch_settings(env, "OTEL_BLRP_");
  return out;
}

LoadedExporterOptions exporter_options(Signal signal, const OtlpEnvironment& env,
                                       OtlpExporterOptions base) {
  LoadedExporterOptions out{std::move(base), {}};
  OtlpExporterOptions& o = out.options;
  const ExporterSettings& generic = env.generic;
  const ExporterSettings& specific = env.signal(signal);
  auto pick = [&](auto member) {
    return (specific.*member).has_value() ? (specific.*member) : (generic.*member);
  };

  if (auto p = pick(&ExporterSettings::protocol))
    o.protocol = *p;
  const bool per_signal = specific.endpoint.has_value();
  if (const std::optional<std::string>& e = per_signal ? specific.endpoint : generic.endpoint) {
    if (!has_scheme(*e) && o.protocol != Protocol::kGrpc) {
      out.warnings.push_back(
          otlp_variable(per_signal ? std::optional<Signal>(signal) : std::nullopt, "ENDPOINT") +
          ": endpoint must start with http:// or https://; ignored");
    } else if (per_signal || o.protocol == Protocol::kGrpc) {
      o.endpoint = *e;
    } else {
      o.endpoint = append_signal_path(*e, signal);
    }
  }
  if (auto h = pick(&ExporterSettings::headers))
    o.headers = std::move(*h);
  if (auto t = pick(&ExporterSettings::timeout))
    o.timeout = *t;
  if (auto c = pick(&ExporterSettings::compression))
    o.compression = *c;
  if (auto f = pick(&ExporterSettings::ca_file))
    o.ca_file = std::move(*f);
  if (auto f = pick(&ExporterSettings::client_key_file))
    o.client_key_file = std::move(*f);
  if (auto f = pick(&ExporterSettings::client_certificate_file))
    o.client_certificate_file = std::move(*f);
  if (auto i = pick(&ExporterSettings::insecure))
    o.insecure = *i;
  return out;
}

LoadedExporterOptions load_exporter_options(Signal signal, const EnvLookup& env,
                                            OtlpExporterOptions base) {
  const OtlpEnvironment parsed = read_otlp_environment(env);
  LoadedExporterOptions out = exporter_options(signal, parsed, std::move(base));
  std::vector<std::string> warnings = parsed.generic.warnings;
  const ExporterSettings& specific = parsed.signal(signal);
  warnings.insert(warnings.end(), specific.warnings.begin(), specific.warnings.end());
  warnings.insert(warnings.end(), out.warnings.begin(), out.warnings.end());
  out.warnings = std::move(warnings);
  return out;
}

std::string signal_endpoint(std::string_view base, Protocol protocol, Signal signal) {
  return protocol == Protocol::kGrpc ? std::string(base) : append_signal_path(base, signal);
}

std::string resolved_endpoint(const OtlpExporterOptions& options, Signal signal) {
  if (!options.endpoint.empty())
    return options.endpoint;
  if (options.protocol == Protocol::kGrpc)
    return "http://localhost:4317";
  return append_signal_path("http://localhost:4318", signal);
}

}  // namespace edgetrace::otlp
