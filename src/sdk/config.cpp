#include "edgetrace/sdk/config.hpp"

// toml++ is used header-only and without exceptions in this one translation unit: parse
// errors come back as values, and the parser is compiled with our sanitizer and fuzzing
// flags like the rest of the code.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
// toml++ 3.3 asserts invariants its parser does not always establish (a table header such
// as `[*x]` reaches parse_key() with a character that cannot start a key; the parser then
// reports an error correctly). With NDEBUG those asserts become __builtin_assume, which
// would make such input undefined behaviour, so they are compiled as nothing in every build.
#pragma push_macro("NDEBUG")
#undef NDEBUG
#define TOML_ASSERT(expr) static_cast<void>(0)
#include <toml++/toml.h>
#pragma pop_macro("NDEBUG")

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <span>

#include "edgetrace/core/resource.hpp"
#include "edgetrace/core/text.hpp"

namespace edgetrace::sdk {
namespace {

using Choices = std::span<const std::string_view>;

constexpr std::array<std::string_view, 4> kConsoleFormats = {"full", "compact", "pretty", "json"};
constexpr std::array<std::string_view, 3> kFileFormats = {"full", "compact", "json"};
constexpr std::array<std::string_view, 3> kAnsiModes = {"auto", "always", "never"};
constexpr std::array<std::string_view, 4> kRotations = {"never", "minutely", "hourly", "daily"};
constexpr std::array<std::string_view, 3> kProtocols = {"grpc", "http/protobuf", "http/json"};
constexpr std::array<std::string_view, 2> kCompressions = {"gzip", "none"};
constexpr std::array<std::string_view, 6> kSamplers = {"parentbased_always_on",
                                                       "parentbased_always_off",
                                                       "parentbased_traceidratio",
                                                       "always_on",
                                                       "always_off",
                                                       "traceidratio"};

std::string join(Choices items, std::string_view last_sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0)
      out += i + 1 == items.size() ? last_sep : std::string_view(", ");
    out += items[i];
  }
  return out;
}

bool one_of(std::string_view value, Choices items) {
  for (std::string_view i : items)
    if (i == value)
      return true;
  return false;
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// The protocol and compression names, as written in files and variables.
std::optional<otlp::Protocol> protocol_from(std::string_view name) {
  if (name == "grpc")
    return otlp::Protocol::kGrpc;
  if (name == "http/protobuf")
    return otlp::Protocol::kHttpProtobuf;
  if (name == "http/json")
    return otlp::Protocol::kHttpJson;
  return std::nullopt;
}
std::optional<otlp::Compression> compression_from(std::string_view name) {
  if (name == "gzip")
    return otlp::Compression::kGzip;
  if (name == "none")
    return otlp::Compression::kNone;
  return std::nullopt;
}

std::string choice_error(std::string_view what, std::string_view value, Choices allowed) {
  return std::string(what) + " '" + std::string(value) + "' is not one of " + join(allowed, " or ");
}

// Parses a ratio in [0, 1].
std::optional<double> parse_ratio(std::string_view text) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || std::isnan(v) || v < 0.0 || v > 1.0)
    return std::nullopt;
  return v;
}

// Walks one TOML table: each known key has a handler; anything else is an error naming the
// valid keys.
class TableReader {
 public:
  using Handler = std::function<core::Status(const toml::node&)>;

  TableReader(std::string_view source, std::string table_name)
      : source_(source), table_name_(std::move(table_name)) {}

  void key(std::string_view name, Handler handler) { keys_.push_back({name, std::move(handler)}); }

  core::Status read(const toml::table& table) const {
    for (auto&& [k, node] : table) {
      const Entry* entry = nullptr;
      for (const Entry& e : keys_)
        if (e.name == k.str())
          entry = &e;
      if (entry == nullptr) {
        std::vector<std::string_view> names;
        for (const Entry& e : keys_)
          names.push_back(e.name);
        return error(k.source(), "unknown key '" + std::string(k.str()) +
                                     "' (valid keys: " + join(names, ", ") + ")");
      }
      core::Status s = entry->handler(node);
      if (!s.ok())
        return error(node.source(), "key '" + std::string(k.str()) + "': " + s.message());
    }
    return {};
  }

  core::Status error(const toml::source_region& where, const std::string& message) const {
    return core::invalid_argument(position(source_, where) + "[" + table_name_ + "] " + message);
  }

  static std::string position(std::string_view source, const toml::source_region& where) {
    return std::string(source) + ":" + std::to_string(where.begin.line) + ":" +
           std::to_string(where.begin.column) + ": ";
  }

 private:
  struct Entry {
    std::string_view name;
    Handler handler;
  };
  std::string_view source_;
  std::string table_name_;
  std::vector<Entry> keys_;
};

core::Status wrong_type(const toml::node& node, std::string_view expected) {
  return core::invalid_argument("expected " + std::string(expected) + ", got " +
                                std::string(type_name(node)));
}

TableReader::Handler boolean(bool& out) {
  return [&out](const toml::node& n) -> core::Status {
    if (!n.is_boolean())
      return wrong_type(n, "a boolean (true or false)");
    out = *n.value<bool>();
    return {};
  };
}

TableReader::Handler string(std::string& out) {
  return [&out](const toml::node& n) -> core::Status {
    if (!n.is_string())
      return wrong_type(n, "a string");
    out = *n.value<std::string>();
    return {};
  };
}

TableReader::Handler choice(std::string& out, Choices allowed) {
  return [&out, allowed](const toml::node& n) -> core::Status {
    if (!n.is_string())
      return wrong_type(n, "a string (" + join(allowed, " or ") + ")");
    std::string v = core::to_lower_ascii(*n.value<std::string>());
    if (!one_of(v, allowed))
      return core::invalid_argument(choice_error("value", *n.value<std::string>(), allowed));
    out = std::move(v);
    return {};
  };
}

TableReader::Handler filter_directives(std::string& out) {
  // Checked by the builder with Filter::parse, which names the bad directive.
  return string(out);
}

core::Status check_service_field(const toml::node& n) {
  if (!n.is_string())
    return wrong_type(n, "a string");
  if (n.value<std::string>()->size() > 255)
    return core::invalid_argument("longer than 255 characters");
  return {};
}

core::Status read_headers(const toml::node& n, std::vector<otlp::Header>& out) {
  if (n.is_string()) {
    core::Result<std::vector<otlp::Header>> h = otlp::parse_headers(*n.value<std::string>());
    if (!h)
      return h.status();
    out = std::move(h).value();
    return {};
  }
  if (!n.is_table())
    return wrong_type(n, "a table of strings or a string \"name=value,name2=value2\"");
  std::vector<otlp::Header> headers;
  for (auto&& [k, v] : *n.as_table()) {
    const std::string name = core::to_lower_ascii(k.str());
    bool ok_name = !name.empty();
    for (char c : name)
      ok_name = ok_name && c > 0x20 && c < 0x7f && c != ':';
    if (!ok_name)
      return core::invalid_argument("header name '" + std::string(k.str()) + "' is not valid");
    if (!v.is_string())
      return core::invalid_argument("header '" + name +
                                    "': " + wrong_type(v, "a string").message());
    const std::string value = *v.value<std::string>();
    for (char c : value)
      if (c == '\r' || c == '\n' || c == '\0')
        return core::invalid_argument("header '" + name + "' has a control character in its value");
    headers.push_back(otlp::Header{name, value});
  }
  out = std::move(headers);
  return {};
}

core::Status read_timeout(const toml::node& n, std::chrono::milliseconds& out) {
  if (n.is_integer()) {
    const std::int64_t ms = *n.value<std::int64_t>();
    if (ms < 0)
      return core::invalid_argument("must not be negative");
    out = std::chrono::milliseconds(ms);
    return {};
  }
  if (!n.is_string())
    return wrong_type(n, "milliseconds (an integer) or a string such as \"10s\"");
  core::Result<std::chrono::milliseconds> d = parse_duration(*n.value<std::string>());
  if (!d)
    return d.status();
  out = *d;
  return {};
}

core::Status read_console(const toml::table& t, std::string_view source, ConsoleConfig& c) {
  TableReader r(source, "tracing.console");
  r.key("enabled", boolean(c.enabled));
  r.key("level", filter_directives(c.level));
  r.key("format", choice(c.format, kConsoleFormats));
  r.key("ansi", choice(c.ansi, kAnsiModes));
  r.key("stderr", boolean(c.to_stderr));
  r.key("show_target", boolean(c.show_target));
  r.key("show_source_location", boolean(c.show_source_location));
  r.key("show_span_list", boolean(c.show_span_list));
  r.key("show_trace_ids", boolean(c.show_trace_ids));
  return r.read(t);
}

core::Status read_file(const toml::table& t, std::string_view source, FileConfig& f) {
  TableReader r(source, "tracing.file");
  r.key("enabled", boolean(f.enabled));
  r.key("level", filter_directives(f.level));
  r.key("path", [&f](const toml::node& n) -> core::Status {
    if (!n.is_string())
      return wrong_type(n, "a string (a directory)");
    if (n.value<std::string>()->empty())
      return core::invalid_argument("must not be empty (use \".\" for the current directory)");
    f.path = *n.value<std::string>();
    return {};
  });
  r.key("prefix", [&f](const toml::node& n) -> core::Status {
    if (!n.is_string())
      return wrong_type(n, "a string");
    const std::string v = *n.value<std::string>();
    if (v.find('/') != std::string::npos)
      return core::invalid_argument("must not contain '/' (the directory is `path`)");
    f.prefix = v;
    return {};
  });
  r.key("suffix", [&f](const toml::node& n) -> core::Status {
    if (!n.is_string())
      return wrong_type(n, "a string");
    const std::string v = *n.value<std::string>();
    if (v.find('/') != std::string::npos)
      return core::invalid_argument("must not contain '/'");
    f.suffix = v;
    return {};
  });
  r.key("rotation", choice(f.rotation, kRotations));
  r.key("max_files", [&f](const toml::node& n) -> core::Status {
    if (!n.is_integer())
      return wrong_type(n, "an integer (0: keep every file)");
    const std::int64_t v = *n.value<std::int64_t>();
    if (v < 0 || v > 1000000)
      return core::invalid_argument("must be between 0 and 1000000, got " + std::to_string(v));
    f.max_files = static_cast<std::size_t>(v);
    return {};
  });
  r.key("format", choice(f.format, kFileFormats));
  return r.read(t);
}

core::Status read_otlp(const toml::table& t, std::string_view source, OtlpConfig& o) {
  TableReader r(source, "tracing.otlp");
  r.key("enabled", boolean(o.enabled));
  r.key("level", filter_directives(o.level));
  r.key("endpoint", [&o](const toml::node& n) -> core::Status {
    if (!n.is_string())
      return wrong_type(n, "a string (a URL such as \"http://collector:4318\")");
    const std::string v = *n.value<std::string>();
    if (!v.empty() && !v.starts_with("http://") && !v.starts_with("https://"))
      return core::invalid_argument("'" + v + "' must start with http:// or https://");
    o.endpoint = v;
    return {};
  });
  r.key("protocol", [&o](const toml::node& n) -> core::Status {
    if (!n.is_string())
      return wrong_type(n, "a string (" + join(kProtocols, " or ") + ")");
    const auto p = protocol_from(core::to_lower_ascii(*n.value<std::string>()));
    if (!p)
      return core::invalid_argument(choice_error("protocol", *n.value<std::string>(), kProtocols));
    o.protocol = *p;
    return {};
  });
  r.key("headers", [&o](const toml::node& n) { return read_headers(n, o.headers); });
  r.key("timeout", [&o](const toml::node& n) { return read_timeout(n, o.timeout); });
  r.key("compression", [&o](const toml::node& n) -> core::Status {
    if (!n.is_string())
      return wrong_type(n, "a string (gzip or none)");
    const auto c = compression_from(core::to_lower_ascii(*n.value<std::string>()));
    if (!c)
      return core::invalid_argument(
          choice_error("compression", *n.value<std::string>(), kCompressions));
    o.compression = *c;
    return {};
  });
  r.key("sampler", choice(o.sampler, kSamplers));
  r.key("sampler_arg", [&o](const toml::node& n) -> core::Status {
    std::optional<double> v;
    if (n.is_floating_point())
      v = *n.value<double>();
    else if (n.is_integer())
      v = static_cast<double>(*n.value<std::int64_t>());
    else
      return wrong_type(n, "a number between 0 and 1");
    if (std::isnan(*v) || *v < 0.0 || *v > 1.0)
      return core::invalid_argument("must be between 0 and 1");
    o.sampler_arg = v;
    return {};
  });
  r.key("export_spans", boolean(o.export_spans));
  r.key("export_logs", boolean(o.export_logs));
  return r.read(t);
}

core::Status read_tracing(const toml::table& t, std::string_view source, TracingConfig& c) {
  TableReader r(source, "tracing");
  auto service_field = [](std::string& out) {
    return [&out](const toml::node& n) -> core::Status {
      core::Status s = check_service_field(n);
      if (s.ok())
        out = *n.value<std::string>();
      return s;
    };
  };
  r.key("service_name", service_field(c.service_name));
  r.key("service_version", service_field(c.service_version));
  r.key("service_instance_id", service_field(c.service_instance_id));
  r.key("log_spans", boolean(c.log_spans));
  r.key("log_thread_ids", boolean(c.log_thread_ids));
  r.key("log_thread_names", boolean(c.log_thread_names));
  r.key("sdk_disabled", boolean(c.sdk_disabled));
  auto sub_table = [source](std::string_view name, auto read) {
    return [source, name, read](const toml::node& n) -> core::Status {
      if (!n.is_table())
        return wrong_type(n, "a table ([tracing." + std::string(name) + "])");
      core::Status s = read(*n.as_table(), source);
      // Errors of the sub-table carry their own position: pass them through unprefixed.
      return s.ok() ? s : core::Status(s.code(), "\x01" + s.message());
    };
  };
  r.key("console", sub_table("console", [&c](const toml::table& tt, std::string_view src) {
          return read_console(tt, src, c.console);
        }));
  r.key("file", sub_table("file", [&c](const toml::table& tt, std::string_view src) {
          return read_file(tt, src, c.file);
        }));
  r.key("otlp", sub_table("otlp", [&c](const toml::table& tt, std::string_view src) {
          return read_otlp(tt, src, c.otlp);
        }));
  return r.read(t);
}

// TableReader prefixes each handler's error with the key's position; errors that already
// carry one (from a sub-table) are marked with \x01 and restored here.
core::Status unwrap_nested(core::Status s) {
  if (s.ok())
    return s;
  const std::string& m = s.message();
  const std::size_t mark = m.find('\x01');
  if (mark == std::string::npos)
    return s;
  return core::Status(s.code(), m.substr(mark + 1));
}

// Rejects, before toml++ sees them, characters that TOML never allows where they are:
// control characters other than tab and line ends (anywhere), and non-ASCII characters
// outside strings and comments (bare keys are ASCII). Besides giving a clear message, this
// keeps toml++ 3.3 away from two of its bugs: it mishandles NUL bytes inside keys, and its
// whitespace test reaches __builtin_unreachable for the code points U+00A1..U+0499,
// U+2CEE..U+30E7 (but U+3000) and U+FCC6..U+FEFE wherever the parser tests them (outside
// strings, but also in malformed values that contain quotes). Those are refused everywhere;
// a string can still hold them as \uXXXX escapes.
core::Status check_characters(std::string_view text, std::string_view source) {
  enum class State { kNormal, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
  State state = State::kNormal;
  std::size_t line = 1;
  std::size_t column = 1;
  auto fail = [&](std::string_view what) {
    return core::invalid_argument(std::string(source) + ":" + std::to_string(line) + ":" +
                                  std::to_string(column) + ": " + std::string(what));
  };
  bool after_backslash = false;  // in a basic string: the byte after a backslash
  bool trimming = false;         // in a multi-line basic string: after a line-ending backslash
  auto skip_closing = [&](std::size_t& i, char quote) {
    i += 2;
    column += 2;
    // A closing delimiter may be preceded by up to two quotes of content: """a"""" ends
    // with the content a".
    for (int extra = 0; extra < 2 && i + 1 < text.size() && text[i + 1] == quote; ++extra) {
      ++i;
      ++column;
    }
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
      return fail("control character " + std::string(code) + " is not allowed in TOML");
    }
    const bool ascii = c < 0x80;
    if (c >= 0xc2 && c <= 0xef && i + 1 < text.size()) {
      // A two- or three-byte sequence: the code points toml++ 3.3 cannot test for
      // whitespace without undefined behaviour, wherever it happens to test them.
      char32_t cp = 0;
      if (c < 0xe0)
        cp = (char32_t{c} & 0x1f) << 6 | (static_cast<unsigned char>(text[i + 1]) & 0x3f);
      else if (i + 2 < text.size())
        cp = (char32_t{c} & 0x0f) << 12 |
             (char32_t{static_cast<unsigned char>(text[i + 1])} & 0x3f) << 6 |
             (static_cast<unsigned char>(text[i + 2]) & 0x3f);
      const bool unsupported = (cp > 0xa0 && cp < 0x49a) ||
                               (cp >= 0x2cee && cp < 0x30e8 && cp != 0x3000) ||
                               (cp >= 0xfcc6 && cp < 0xfeff);
      if (unsupported) {
        char code[16];
        std::snprintf(code, sizeof code, "%04X", static_cast<unsigned>(cp));
        return fail("character U+" + std::string(code) +
                    " is not supported by the TOML parser; write it as the escape \\u" + code +
                    " in a double-quoted string");
      }
    }
    const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    const std::string_view rest = text.substr(i);
    switch (state) {
      case State::kNormal:
        if (!ascii)
          return fail("non-ASCII character outside a string or comment (quote the key)");
        if (c == '#') {
          state = State::kComment;
        } else if (rest.starts_with("\"\"\"")) {
          state = State::kMultiBasic;
          i += 2;
          column += 2;
        } else if (rest.starts_with("'''")) {
          state = State::kMultiLiteral;
          i += 2;
          column += 2;
        } else if (c == '"') {
          state = State::kBasic;
        } else if (c == '\'') {
          state = State::kLiteral;
        }
        break;
      case State::kComment:
        if (c == '\n')
          state = State::kNormal;
        break;
      case State::kBasic:
        if (after_backslash)
          after_backslash = false;
        else if (c == '\\')
          after_backslash = true;
        else if (c == '"' || c == '\n')
          state = State::kNormal;
        break;
      case State::kLiteral:
        if (c == '\'' || c == '\n')
          state = State::kNormal;
        break;
      case State::kMultiBasic:
        if (after_backslash) {
          if (!ascii)
            return fail("non-ASCII character after a backslash in a multi-line string");
          after_backslash = false;
          trimming = space;  // a line-ending backslash trims every following space
          break;
        }
        if (trimming) {
          if (!ascii)
            return fail("non-ASCII character after a backslash in a multi-line string");
          if (space)
            break;
          trimming = false;  // the first character after the trimmed spaces
        }
        if (c == '\\') {
          after_backslash = true;
        } else if (rest.starts_with("\"\"\"")) {
          state = State::kNormal;
          skip_closing(i, '"');
        }
        break;
      case State::kMultiLiteral:
        if (rest.starts_with("'''")) {
          state = State::kNormal;
          skip_closing(i, '\'');
        }
        break;
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xc0) != 0x80) {
      ++column;  // code points, as toml++ counts them
    }
  }
  return {};
}

}  // namespace

core::Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const std::string_view t = core::trim_ows(text);
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  auto bad = [&] {
    return core::invalid_argument("duration '" + std::string(text) +
                                  "' is not a whole number with an optional unit (ms, s, m)");
  };
  if (ec != std::errc() || ptr == t.data() || n < 0)
    return bad();
  const std::string_view unit = core::trim_ows(std::string_view(ptr, t.data() + t.size() - ptr));
  std::int64_t scale = 0;
  if (unit.empty() || unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60 * 1000;
  else
    return bad();
  if (n > std::int64_t{365} * 24 * 3600 * 1000 / scale)
    return core::invalid_argument("duration '" + std::string(text) + "' is longer than a year");
  return std::chrono::milliseconds(n * scale);
}

core::Result<TracingConfig> parse_config(std::string_view toml_text, std::string_view source_name) {
  TracingConfig config;
  if (core::Status s = check_characters(toml_text, source_name); !s.ok())
    return s;
  toml::parse_result parsed = toml::parse(toml_text, source_name);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    return core::invalid_argument(TableReader::position(source_name, e.source()) +
                                  std::string(e.description()));
  }
  const toml::table& root = parsed.table();
  const toml::node* tracing = root.get("tracing");
  if (tracing == nullptr)
    return config;
  if (!tracing->is_table()) {
    return core::invalid_argument(TableReader::position(source_name, tracing->source()) +
                                  "'tracing' must be a table ([tracing]), got " +
                                  std::string(type_name(*tracing)));
  }
  core::Status s = unwrap_nested(read_tracing(*tracing->as_table(), source_name, config));
  if (!s.ok())
    return s;
  return config;
}

core::Result<TracingConfig> load_config_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f)
    return core::not_found("config file '" + path + "': " + std::strerror(errno));
  std::string text;
  char buf[8192];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) {
    if (text.size() + n > kMaxConfigBytes) {
      return core::invalid_argument("config file '" + path + "' is larger than " +
                                    std::to_string(kMaxConfigBytes) + " bytes");
    }
    text.append(buf, n);
  }
  if (std::ferror(f.get()))
    return core::invalid_argument("config file '" + path + "': read error");
  return parse_config(text, path);
}

core::Status validate_config(const TracingConfig& c) {
  auto check = [](std::string_view key, const std::string& v, Choices allowed) -> core::Status {
    if (one_of(v, allowed))
      return {};
    return core::invalid_argument(std::string(key) + ": " + choice_error("value", v, allowed));
  };
  for (core::Status s : {check("tracing.console.format", c.console.format, kConsoleFormats),
                         check("tracing.console.ansi", c.console.ansi, kAnsiModes),
                         check("tracing.file.format", c.file.format, kFileFormats),
                         check("tracing.file.rotation", c.file.rotation, kRotations),
                         check("tracing.otlp.sampler", c.otlp.sampler, kSamplers)}) {
    if (!s.ok())
      return s;
  }
  if (c.file.enabled && c.file.path.empty())
    return core::invalid_argument("tracing.file.path: must not be empty");
  if (c.otlp.sampler_arg &&
      (std::isnan(*c.otlp.sampler_arg) || *c.otlp.sampler_arg < 0.0 || *c.otlp.sampler_arg > 1.0))
    return core::invalid_argument("tracing.otlp.sampler_arg: must be between 0 and 1");
  return {};
}

std::vector<std::string> apply_environment(TracingConfig& c, const otlp::EnvLookup& env) {
  std::vector<std::string> warnings;
  auto get = [&env](std::string_view name) -> std::optional<std::string> {
    std::optional<std::string> v = env(name);
    if (!v)
      return std::nullopt;
    std::string_view t = core::trim_ows(*v);
    if (t.empty())
      return std::nullopt;
    return std::string(t);
  };

  if (auto v = get("OTEL_SDK_DISABLED")) {
    if (core::iequals_ascii(*v, "true"))
      c.sdk_disabled = true;
    else if (core::iequals_ascii(*v, "false"))
      c.sdk_disabled = false;
    else
      warnings.push_back("OTEL_SDK_DISABLED: expected true or false, got '" + *v + "'; ignored");
  }

  if (auto v = get("OTEL_RESOURCE_ATTRIBUTES")) {
    core::ParsedResourceAttributes parsed = core::parse_resource_attributes(*v);
    for (std::string& e : parsed.errors)
      warnings.push_back("OTEL_RESOURCE_ATTRIBUTES: " + e);
    for (const auto& kv : parsed.attributes) {
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
  if (auto v = get("OTEL_SERVICE_NAME"))
    c.service_name = *v;

  if (auto v = get("OTEL_EXPORTER_OTLP_PROTOCOL")) {
    if (auto p = protocol_from(core::to_lower_ascii(*v)))
      c.otlp.protocol = *p;
    else
      warnings.push_back(
          "OTEL_EXPORTER_OTLP_PROTOCOL: " + choice_error("protocol", *v, kProtocols) + "; ignored");
  }
  if (auto v = get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    if (v->starts_with("http://") || v->starts_with("https://") ||
        c.otlp.protocol == otlp::Protocol::kGrpc)
      c.otlp.endpoint = *v;
    else
      warnings.push_back(
          "OTEL_EXPORTER_OTLP_ENDPOINT: endpoint must start with http:// or "
          "https://; ignored");
  }
  if (auto v = get("OTEL_EXPORTER_OTLP_HEADERS")) {
    core::Result<std::vector<otlp::Header>> h = otlp::parse_headers(*v);
    if (h)
      c.otlp.headers = std::move(h).value();
    else
      warnings.push_back("OTEL_EXPORTER_OTLP_HEADERS: " + h.status().message() + "; ignored");
  }
  if (auto v = get("OTEL_EXPORTER_OTLP_TIMEOUT")) {
    std::int64_t ms = 0;
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), ms);
    if (ec == std::errc() && ptr == v->data() + v->size() && ms >= 0)
      c.otlp.timeout = std::chrono::milliseconds(ms);
    else
      warnings.push_back(
          "OTEL_EXPORTER_OTLP_TIMEOUT: timeout must be a whole number of "
          "milliseconds, got '" +
          *v + "'; ignored");
  }
  if (auto v = get("OTEL_EXPORTER_OTLP_COMPRESSION")) {
    if (auto comp = compression_from(core::to_lower_ascii(*v)))
      c.otlp.compression = *comp;
    else
      warnings.push_back("OTEL_EXPORTER_OTLP_COMPRESSION: " +
                         choice_error("compression", *v, kCompressions) + "; ignored");
  }

  if (auto v = get("OTEL_TRACES_SAMPLER")) {
    const std::string name = core::to_lower_ascii(*v);
    if (one_of(name, kSamplers))
      c.otlp.sampler = name;
    else
      warnings.push_back("OTEL_TRACES_SAMPLER: " + choice_error("sampler", *v, kSamplers) +
                         "; ignored");
  }
  if (auto v = get("OTEL_TRACES_SAMPLER_ARG")) {
    if (auto r = parse_ratio(*v))
      c.otlp.sampler_arg = *r;
    else
      warnings.push_back("OTEL_TRACES_SAMPLER_ARG: '" + *v +
                         "' is not a ratio between 0 and 1; ignored");
  }
  return warnings;
}

}  // namespace edgetrace::sdk
