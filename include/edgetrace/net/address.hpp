// Listen addresses: "host:port" text as options and command lines write it.
//
//   auto a = edgetrace::net::parse_listen_address("[::1]:4318");   // host "::1", port 4318
//   auto b = edgetrace::net::parse_listen_address("127.0.0.1:0");  // port 0: any free port
//   std::string url = "http://" + edgetrace::net::host_port(a->host, a->port);  // "[::1]:4318"
//
// The host is an IPv4 or IPv6 literal (IPv6 in brackets), "localhost" (127.0.0.1) or "*"
// (every IPv4 and IPv6 address, "::"). Names are not resolved: a listener binds literals.
//
// Thread-safety: pure functions. They allocate the strings they return.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "edgetrace/core/result.hpp"

namespace edgetrace::net {

struct ListenAddress {
  std::string host;  // a literal without brackets, e.g. "127.0.0.1" or "::1"
  std::uint16_t port = 0;
};

// kInvalidArgument with the offending text on a malformed address.
core::Result<ListenAddress> parse_listen_address(std::string_view text);

// "host:port", with brackets around an IPv6 host.
std::string host_port(std::string_view host, std::uint16_t port);

}  // namespace edgetrace::net
