#include "edgetrace/config/values.hpp"

#include <charconv>
#include <limits>

namespace edgetrace::config {
namespace {

// Splits "<number><spaces><unit>" into a non-negative number and a unit.
bool split_number(std::string_view text, std::uint64_t& number, std::string_view& unit) {
  const std::string_view t = core::trim_ows(text);
  if (t.empty() || t.front() < '0' || t.front() > '9')
    return false;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), number);
  if (ec != std::errc())
    return false;
  unit = core::trim_ows(std::string_view(ptr, static_cast<std::size_t>(t.data() + t.size() - ptr)));
  return true;
}

}  // namespace

core::Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::uint64_t n = 0;
  std::string_view unit;
  auto bad = [&] {
    return core::invalid_argument("duration '" + std::string(text) +
                                  "' is not a whole number with an optional unit (ms, s, m)");
  };
  if (!split_number(text, n, unit))
    return bad();
  std::uint64_t scale = 0;
  if (unit.empty() || unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60 * 1000;
  else
    return bad();
  if (n > std::uint64_t{365} * 24 * 3600 * 1000 / scale)
    return core::invalid_argument("duration '" + std::string(text) + "' is longer than a year");
  return std::chrono::milliseconds(static_cast<std::int64_t>(n * scale));
}

core::Result<std::uint64_t> parse_byte_size(std::string_view text) {
  std::uint64_t n = 0;
  std::string_view unit;
  if (!split_number(text, n, unit)) {
    return core::invalid_argument("byte size '" + std::string(text) +
                                  "' is not a whole number with an optional unit (B, kB, MB, "
                                  "GB, TB, KiB, MiB, GiB, TiB)");
  }
  struct Unit {
    std::string_view name;
    std::uint64_t scale;
  };
  static constexpr std::array<Unit, 11> kUnits = {{{"", 1},
                                                   {"B", 1},
                                                   {"kB", 1000},
                                                   {"KB", 1000},
                                                   {"MB", 1000 * 1000},
                                                   {"GB", 1000 * 1000 * 1000},
                                                   {"TB", std::uint64_t{1000} * 1000 * 1000 * 1000},
                                                   {"KiB", 1024},
                                                   {"MiB", 1024 * 1024},
                                                   {"GiB", 1024 * 1024 * 1024},
                                                   {"TiB", std::uint64_t{1} << 40}}};
  for (const Unit& u : kUnits) {
    if (u.name != unit)
      continue;
    if (n > std::numeric_limits<std::uint64_t>::max() / u.scale)
      return core::invalid_argument("byte size '" + std::string(text) + "' is too large");
    return n * u.scale;
  }
  return core::invalid_argument("byte size '" + std::string(text) + "': unknown unit '" +
                                std::string(unit) + "' (B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)");
}

core::Result<bool> parse_bool(std::string_view text) {
  const std::string_view t = core::trim_ows(text);
  if (core::iequals_ascii(t, "true"))
    return true;
  if (core::iequals_ascii(t, "false"))
    return false;
  return core::invalid_argument("expected true or false, got '" + std::string(text) + "'");
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = core::trim_ows(text.substr(0, comma));
    if (!item.empty())
      out.emplace_back(item);
    if (comma == std::string_view::npos)
      break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

namespace {

core::Result<std::uint16_t> parse_port(std::string_view text, std::string_view whole) {
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || port > 65535) {
    return core::invalid_argument("'" + std::string(whole) + "': port '" + std::string(text) +
                                  "' is not a number between 0 and 65535");
  }
  return static_cast<std::uint16_t>(port);
}

// Splits "host[:port]" / "[v6][:port]". `port` stays empty when absent.
core::Status split_authority(std::string_view authority, std::string_view whole, std::string& host,
                             std::string_view& port) {
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return core::invalid_argument("'" + std::string(whole) + "': unclosed '[' in the host");
    host = std::string(authority.substr(1, close - 1));
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':'))
      return core::invalid_argument("'" + std::string(whole) + "': unexpected text after ']'");
    port = rest.empty() ? std::string_view() : rest.substr(1);
    if (rest == ":")
      port = ":";  // forces the port error below
  } else {
    const std::size_t colon = authority.rfind(':');
    host = std::string(authority.substr(0, colon));
    port = colon == std::string_view::npos ? std::string_view() : authority.substr(colon + 1);
    if (colon != std::string_view::npos && port.empty())
      port = ":";
  }
  if (host.empty())
    return core::invalid_argument("'" + std::string(whole) + "' has no host");
  for (char c : host) {
    if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@' || c == '?' || c == '#')
      return core::invalid_argument("'" + std::string(whole) + "': invalid character in the host");
  }
  return {};
}

}  // namespace

core::Result<Endpoint> parse_endpoint(std::string_view text) {
  Endpoint e;
  e.url = std::string(text);
  std::string_view rest;
  if (text.starts_with("http://")) {
    e.scheme = "http";
    e.port = 80;
    rest = text.substr(7);
  } else if (text.starts_with("https://")) {
    e.scheme = "https";
    e.port = 443;
    rest = text.substr(8);
  } else {
    return core::invalid_argument("'" + std::string(text) +
                                  "' must start with http:// or https://");
  }
  const std::size_t slash = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, slash);
  e.path = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos) {
    // Credentials belong in headers, where they are kept out of messages.
    return core::invalid_argument("the URL must not contain user information (use headers)");
  }
  std::string_view port;
  if (core::Status s = split_authority(authority, text, e.host, port); !s.ok())
    return s;
  if (!port.empty()) {
    core::Result<std::uint16_t> p = parse_port(port == ":" ? std::string_view() : port, text);
    if (!p)
      return p.status();
    e.port = *p;
  }
  return e;
}

core::Result<HostPort> parse_host_port(std::string_view text) {
  HostPort out;
  std::string_view port;
  if (core::Status s = split_authority(core::trim_ows(text), text, out.host, port); !s.ok())
    return s;
  if (port.empty())
    return core::invalid_argument("'" + std::string(text) + "' has no port (host:port)");
  core::Result<std::uint16_t> p = parse_port(port == ":" ? std::string_view() : port, text);
  if (!p)
    return p.status();
  out.port = *p;
  return out;
}

std::string join_names(std::span<const std::string_view> names, std::string_view last_separator) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0)
      out += i + 1 == names.size() ? last_separator : std::string_view(", ");
    out += names[i];
  }
  return out;
}

}  // namespace edgetrace::config
