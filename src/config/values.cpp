#include "edgetrace/config/values.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
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
                                  "' is not a whole number with an optional unit (ms, s, m, h, d)");
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
  else if (unit == "h")
    scale = 3600 * 1000;
  else if (unit == "d")
    scale = 24 * 3600 * 1000;
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

namespace {

// Reads exactly `digits` decimal digits at `at`.
bool read_digits(std::string_view text, std::size_t at, std::size_t digits, int& out) {
  if (at + digits > text.size())
    return false;
  out = 0;
  for (std::size_t i = at; i < at + digits; ++i) {
    if (text[i] < '0' || text[i] > '9')
      return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

core::Result<std::uint64_t> parse_unix_seconds(std::string_view text) {
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  std::uint64_t seconds = 0;
  const auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  if (ec != std::errc() || end != whole.data() + whole.size() || whole.empty() ||
      seconds > 253402300799)  // 9999-12-31T23:59:59Z
    return core::invalid_argument("not a timestamp: '" + std::string(text) +
                                  "' (use RFC 3339, e.g. 2026-12-02T10:15:30Z, or Unix seconds)");
  std::uint64_t nanos = 0;
  if (dot != std::string_view::npos) {
    const std::string_view fraction = text.substr(dot + 1);
    if (fraction.empty() || fraction.size() > 9)
      return core::invalid_argument("not a timestamp: '" + std::string(text) +
                                    "' (at most 9 fractional digits)");
    std::uint64_t scale = 100'000'000;
    for (char c : fraction) {
      if (c < '0' || c > '9')
        return core::invalid_argument("not a timestamp: '" + std::string(text) + "'");
      nanos += static_cast<std::uint64_t>(c - '0') * scale;
      scale /= 10;
    }
  }
  return seconds * 1'000'000'000 + nanos;
}

}  // namespace

core::Result<std::uint64_t> parse_timestamp(std::string_view text) {
  text = core::trim_ows(text);
  if (text.find_first_of("-:Tt ") == std::string_view::npos)
    return parse_unix_seconds(text);
  if (text.size() < 20)
    return core::invalid_argument("not an RFC 3339 timestamp: '" + std::string(text) +
                                  "' (expected Z or a UTC offset, e.g. 2026-12-02T10:15:30Z)");
  const auto bad = [&text](std::string_view why) {
    return core::invalid_argument("not an RFC 3339 timestamp: '" + std::string(text) + "' (" +
                                  std::string(why) + "; e.g. 2026-12-02T10:15:30Z)");
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, 0, 4, year) || text[4] != '-' || !read_digits(text, 5, 2, month) ||
      text[7] != '-' || !read_digits(text, 8, 2, day))
    return bad("expected YYYY-MM-DD");
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ')
    return bad("expected T between date and time");
  if (!read_digits(text, 11, 2, hour) || text[13] != ':' || !read_digits(text, 14, 2, minute) ||
      text[16] != ':' || !read_digits(text, 17, 2, second))
    return bad("expected HH:MM:SS");
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (year < 1970 || !date.ok() || hour > 23 || minute > 59 || second > 60)
    return bad("date or time out of range");
  std::size_t at = 19;
  std::uint64_t nanos = 0;
  if (at < text.size() && text[at] == '.') {
    std::uint64_t scale = 100'000'000;
    std::size_t digits = 0;
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++digits) {
      nanos += static_cast<std::uint64_t>(text[at] - '0') * scale;
      scale /= 10;
    }
    if (digits == 0 || digits > 9)
      return bad("1 to 9 fractional digits");
  }
  std::int64_t offset_seconds = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z') && at + 1 == text.size()) {
  } else if (at + 6 == text.size() && (text[at] == '+' || text[at] == '-') && text[at + 3] == ':') {
    int oh = 0, om = 0;
    if (!read_digits(text, at + 1, 2, oh) || !read_digits(text, at + 4, 2, om) || oh > 23 ||
        om > 59)
      return bad("bad UTC offset");
    offset_seconds = (oh * 3600 + om * 60) * (text[at] == '+' ? 1 : -1);
  } else {
    return bad("expected Z or a UTC offset such as +01:00");
  }
  const std::int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  const std::int64_t seconds =
      days * 86400 + hour * 3600 + minute * 60 + std::min(second, 59) - offset_seconds;
  if (seconds < 0)
    return bad("before 1970");
  return static_cast<std::uint64_t>(seconds) * 1'000'000'000 + nanos;
}

std::string format_timestamp(std::uint64_t unix_nanos) {
  const auto seconds = static_cast<std::int64_t>(unix_nanos / 1'000'000'000);
  const std::chrono::sys_days days{std::chrono::days(seconds / 86400)};
  const std::chrono::year_month_day date(days);
  const std::int64_t in_day = seconds % 86400;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%06lluZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<long long>(in_day / 3600),
                static_cast<long long>(in_day / 60 % 60), static_cast<long long>(in_day % 60),
                static_cast<unsigned long long>(unix_nanos % 1'000'000'000 / 1000));
  return buf;
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
