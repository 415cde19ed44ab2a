// Typed readers for configuration values written as text: durations, byte sizes, booleans,
// endpoints, lists and enum names. The TOML loader (loader.hpp) and the OTEL_* environment
// reader (otel_environment.hpp) use them, so a value means the same in a file, in a variable
// and on a command line.
//
//   parse_duration("250ms")  -> 250 ms      parse_duration("5s") -> 5000 ms   ("1m", "2h", "7d",
//   "250") parse_byte_size("64KiB") -> 65536       parse_byte_size("10MB") -> 10000000
//   parse_bool("TRUE")       -> true        split_list(" a, b,,c ") -> {"a", "b", "c"}
//   parse_endpoint("https://collector:4318/otlp") -> {https, collector, 4318, "/otlp"}
//   parse_enum("GZIP", kCompressions, "compression") -> Compression::kGzip
//
// Errors are core::Status values of code kInvalidArgument whose message quotes the text and
// says what was expected ("duration '5 hours' is not a whole number with an optional unit
// (ms, s, m, h, d)"); callers add the position (loader.hpp) or the variable name.
//
// Thread-safety: pure functions; they allocate only for their results and error messages.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "edgetrace/core/result.hpp"
#include "edgetrace/core/text.hpp"

namespace edgetrace::config {

// A whole number of milliseconds, or a whole number with a unit: ms, s, m. At most a year.
core::Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// A whole number of bytes, or with a unit: B; kB/KB, MB, GB, TB (powers of 1000); KiB, MiB,
// GiB, TiB (powers of 1024). A space may separate number and unit.
core::Result<std::uint64_t> parse_byte_size(std::string_view text);

// A point in time, as nanoseconds since the Unix epoch: RFC 3339
// ("2026-12-02T10:15:30Z", "2026-12-02T10:15:30.25+01:00"; a space may replace the T) or
// Unix seconds with an optional fraction ("1764670530", "1764670530.25"). Years 1970-9999.
core::Result<std::uint64_t> parse_timestamp(std::string_view text);
// The RFC 3339 form in UTC with microseconds: "2026-12-02T10:15:30.250000Z".
std::string format_timestamp(std::uint64_t unix_nanos);

// "true" or "false", in any case.
core::Result<bool> parse_bool(std::string_view text);

// Comma-separated items with spaces and tabs trimmed; empty items are skipped.
std::vector<std::string> split_list(std::string_view text);

// An absolute http:// or https:// URL: scheme, host (a name, an IPv4 address or a bracketed
// IPv6 address), an optional port (default 80 or 443) and an optional path.
struct Endpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets
  std::uint16_t port = 0;
  std::string path;  // "" or starting with '/'
  std::string url;   // the text as given
};
core::Result<Endpoint> parse_endpoint(std::string_view text);

// "host:port" or "[v6]:port", as listen addresses are written. Port 0 asks for any port.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
core::Result<HostPort> parse_host_port(std::string_view text);

// One accepted name of an enum value. Tables list the canonical name of each value first;
// later entries with the same value are aliases.
template <typename E>
struct EnumName {
  std::string_view name;
  E value;
};

// "a, b or c" (or "a, b, c" with last_separator ", ").
std::string join_names(std::span<const std::string_view> names,
                       std::string_view last_separator = " or ");

template <typename E>
std::vector<std::string_view> enum_names(std::span<const EnumName<E>> table) {
  std::vector<std::string_view> out;
  for (const EnumName<E>& e : table)
    out.push_back(e.name);
  return out;
}

// The value named `text` (compared case-insensitively). Error: "<what> '<text>' is not one of
// a, b or c".
template <typename E>
core::Result<E> parse_enum(std::string_view text, std::span<const EnumName<E>> table,
                           std::string_view what = "value") {
  for (const EnumName<E>& e : table)
    if (core::iequals_ascii(e.name, text))
      return e.value;
  const std::vector<std::string_view> names = enum_names(table);
  return core::invalid_argument(std::string(what) + " '" + std::string(text) + "' is not one of " +
                                join_names(names));
}
template <typename E, std::size_t N>
core::Result<E> parse_enum(std::string_view text, const std::array<EnumName<E>, N>& table,
                           std::string_view what = "value") {
  return parse_enum<E>(text, std::span<const EnumName<E>>(table), what);
}

// The first (canonical) name of `value` in `table`; "" when absent.
template <typename E>
std::string_view enum_name(E value, std::span<const EnumName<E>> table) noexcept {
  for (const EnumName<E>& e : table)
    if (e.value == value)
      return e.name;
  return {};
}
template <typename E, std::size_t N>
std::string_view enum_name(E value, const std::array<EnumName<E>, N>& table) noexcept {
  return enum_name<E>(value, std::span<const EnumName<E>>(table));
}

}  // namespace edgetrace::config
