#include "edgetrace/otlp/exporter_options.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>

#include "edgetrace/core/percent_encoding.hpp"
#include "edgetrace/core/text.hpp"

namespace edgetrace::otlp {
namespace {

// One option's value, from the per-signal variable or the generic one.
struct Found {
  std::string name;
  std::string value;
  bool per_signal = false;
};

std::optional<Found> lookup(const EnvLookup& env, Signal signal, std::string_view option) {
  const std::string specific =
      "OTEL_EXPORTER_OTLP_" + core::to_upper_ascii(to_string(signal)) + "_" + std::string(option);
  if (auto v = env(specific); v && !core::trim_ows(*v).empty()) {
    return Found{specific, std::string(core::trim_ows(*v)), true};
  }
  const std::string generic = "OTEL_EXPORTER_OTLP_" + std::string(option);
  if (auto v = env(generic); v && !core::trim_ows(*v).empty()) {
    return Found{generic, std::string(core::trim_ows(*v)), false};
  }
  return std::nullopt;
}

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

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr)
      return std::nullopt;
    return std::string(v);
  };
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

LoadedExporterOptions load_exporter_options(Signal signal, const EnvLookup& env,
                                            OtlpExporterOptions base) {
  LoadedExporterOptions out{std::move(base), {}};
  OtlpExporterOptions& o = out.options;
  auto warn = [&](const Found& f, const std::string& what) {
    out.warnings.push_back(f.name + ": " + what + "; ignored");
  };

  if (auto f = lookup(env, signal, "PROTOCOL")) {
    const std::string v = core::to_lower_ascii(f->value);
    if (v == "grpc") {
      o.protocol = Protocol::kGrpc;
    } else if (v == "http/protobuf") {
      o.protocol = Protocol::kHttpProtobuf;
    } else if (v == "http/json") {
      o.protocol = Protocol::kHttpJson;
    } else {
      warn(*f, "unknown protocol '" + f->value + "' (expected grpc, http/protobuf or http/json)");
    }
  }

  if (auto f = lookup(env, signal, "ENDPOINT")) {
    if (!has_scheme(f->value) && o.protocol != Protocol::kGrpc) {
      warn(*f, "endpoint must start with http:// or https://");
    } else if (f->per_signal || o.protocol == Protocol::kGrpc) {
      o.endpoint = f->value;
    } else {
      o.endpoint = append_signal_path(f->value, signal);
    }
  }

  if (auto f = lookup(env, signal, "HEADERS")) {
    core::Result<std::vector<Header>> h = parse_headers(f->value);
    if (h) {
      o.headers = std::move(h).value();
    } else {
      warn(*f, h.status().message());
    }
  }

  if (auto f = lookup(env, signal, "TIMEOUT")) {
    long long ms = 0;
    auto [ptr, ec] = std::from_chars(f->value.data(), f->value.data() + f->value.size(), ms);
    if (ec != std::errc() || ptr != f->value.data() + f->value.size() || ms < 0) {
      warn(*f, "timeout must be a whole number of milliseconds, got '" + f->value + "'");
    } else {
      o.timeout = std::chrono::milliseconds(ms);
    }
  }

  if (auto f = lookup(env, signal, "COMPRESSION")) {
    const std::string v = core::to_lower_ascii(f->value);
    if (v == "gzip") {
      o.compression = Compression::kGzip;
    } else if (v == "none") {
      o.compression = Compression::kNone;
    } else {
      warn(*f, "unknown compression '" + f->value + "' (expected gzip or none)");
    }
  }

  if (auto f = lookup(env, signal, "CERTIFICATE"))
    o.ca_file = f->value;
  if (auto f = lookup(env, signal, "CLIENT_KEY"))
    o.client_key_file = f->value;
  if (auto f = lookup(env, signal, "CLIENT_CERTIFICATE"))
    o.client_certificate_file = f->value;

  if (auto f = lookup(env, signal, "INSECURE")) {
    const std::string v = core::to_lower_ascii(f->value);
    if (v == "true") {
      o.insecure = true;
    } else if (v == "false") {
      o.insecure = false;
    } else {
      warn(*f, "expected true or false, got '" + f->value + "'");
    }
  }
  return out;
}

std::string resolved_endpoint(const OtlpExporterOptions& options, Signal signal) {
  if (!options.endpoint.empty())
    return options.endpoint;
  if (options.protocol == Protocol::kGrpc)
    return "http://localhost:4317";
  return append_signal_path("http://localhost:4318", signal);
}

}  // namespace edgetrace::otlp
