// What HttpServer and TcpStreamListener do alike with their listening socket: open, bind and
// listen on a parsed address, and keep accepting after a failed accept (out of descriptors,
// say) without spinning.
//
// Thread-safety: as the acceptor and timer they are given (each listener's own strand).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "edgetrace/core/result.hpp"
#include "edgetrace/net/address.hpp"

namespace edgetrace::net::internal {

// Opens `acceptor` listening on `address` (dual-stack for "[::]"). `what` names the
// listener in the error ("http server: cannot listen on 127.0.0.1:80: Address in use").
inline core::Status listen_on(boost::asio::ip::tcp::acceptor& acceptor,
                              const ListenAddress& address, std::string_view what) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address.host, ec);
  const asio::ip::tcp::endpoint endpoint(ip, address.port);
  if (!ec)
    acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && ip.is_v6() && ip.to_v6().is_unspecified())
    acceptor.set_option(asio::ip::v6_only(false), ec);
  if (!ec)
    acceptor.bind(endpoint, ec);
  if (!ec)
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::Status(core::StatusCode::kUnavailable, std::string(what) + ": cannot listen on " +
                                                            host_port(address.host, address.port) +
                                                            ": " + ec.message());
  }
  return {};
}

// After a failed accept: false when the listener is closing (stop accepting), else true
// after arranging for `self->do_accept()` to run again in 50 ms.
template <typename Core>
bool accept_again_later(const boost::system::error_code& ec, const std::shared_ptr<Core>& self) {
  if (ec == boost::asio::error::operation_aborted || !self->acceptor.is_open())
    return false;
  self->accept_retry.expires_after(std::chrono::milliseconds(50));
  self->accept_retry.async_wait([self](const boost::system::error_code& wait_error) {
    if (!wait_error && self->acceptor.is_open())
      self->do_accept();
  });
  return true;
}

}  // namespace edgetrace::net::internal
