// Listen address parsing.
#include "edgetrace/net/address.hpp"

#include <charconv>

#include <boost/asio/ip/address.hpp>

namespace edgetrace::net {

core::Result<ListenAddress> parse_listen_address(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return core::invalid_argument("listen address \"" + std::string(text) +
                                  "\": " + std::string(why) + " (expected host:port, e.g. " +
                                  "127.0.0.1:4318 or [::1]:4318)");
  };
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos)
      return bad("missing ']'");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size() || text[close + 1] != ':')
      return bad("missing :port after the IPv6 address");
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return bad("missing :port");
    host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos)
      return bad("an IPv6 address needs brackets");
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535)
    return bad("the port is not a number from 0 to 65535");
  ListenAddress out;
  out.port = static_cast<std::uint16_t>(port);
  if (host == "localhost") {
    out.host = "127.0.0.1";
  } else if (host == "*") {
    out.host = "::";
  } else {
    boost::system::error_code aec;
    const auto address = boost::asio::ip::make_address(std::string(host), aec);
    if (aec || host.empty())
      return bad("the host is not an IP address");
    out.host = address.to_string();
  }
  return out;
}

std::string host_port(std::string_view host, std::uint16_t port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out = "[" + std::string(host) + "]";
  } else {
    out = std::string(host);
  }
  return out + ":" + std::to_string(port);
}

}  // namespace edgetrace::net
