#include "http.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>

#include <charconv>
#include <mutex>
#include <thread>
#include <vector>

#include "edgetrace/core/text.hpp"
#include "edgetrace/net/address.hpp"
#include "edgetrace/net/http_server.hpp"

namespace edgetrace::examples {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

}  // namespace

std::string Url::authority() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string out = ipv6 ? "[" + host + "]" : host;
  if (port != 80)
    out += ":" + std::to_string(port);
  return out;
}

std::string Url::full() const {
  return scheme + "://" + authority() + target;
}

core::Result<Url> parse_url(std::string_view text) {
  constexpr std::string_view kPrefix = "http://";
  if (text.size() < kPrefix.size() ||
      !core::iequals_ascii(text.substr(0, kPrefix.size()), kPrefix)) {
    return core::invalid_argument("url '" + std::string(text) +
                                  "': only http:// URLs are supported");
  }
  Url url;
  url.scheme = "http";
  std::string_view rest = text.substr(kPrefix.size());
  const std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (url.target[0] == '?')
    url.target.insert(0, "/");
  if (authority.empty() || authority.find('@') != std::string_view::npos)
    return core::invalid_argument("url '" + std::string(text) + "': bad host");
  std::string_view port_text;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return core::invalid_argument("url '" + std::string(text) + "': unclosed '['");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return core::invalid_argument("url '" + std::string(text) + "': bad host");
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos)
      port_text = authority.substr(colon + 1);
  }
  if (url.host.empty())
    return core::invalid_argument("url '" + std::string(text) + "': empty host");
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return core::invalid_argument("url '" + std::string(text) + "': bad port '" +
                                    std::string(port_text) + "'");
    }
    url.port = static_cast<std::uint16_t>(port);
  }
  return url;
}

struct HttpServer::State {
  std::unique_ptr<net::HttpServer> server;
  Handler handler;
  std::string host;
};

namespace {

// "1.2.3.4:56" or "[::1]:56" into address and port.
void split_remote(std::string_view remote, Peer& peer) {
  const auto colon = remote.rfind(':');
  if (colon == std::string_view::npos)
    return;
  std::string_view host = remote.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  peer.address = std::string(host);
  unsigned port = 0;
  const std::string_view port_text = remote.substr(colon + 1);
  std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  peer.port = static_cast<std::uint16_t>(port);
}

}  // namespace

HttpServer::HttpServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpServer::~HttpServer() {
  stop();
}

std::uint16_t HttpServer::port() const noexcept {
  return state_->server->port();
}

core::Result<std::unique_ptr<HttpServer>> HttpServer::listen(const std::string& host,
                                                             std::uint16_t port, Handler handler) {
  auto state = std::make_unique<State>();
  state->handler = std::move(handler);
  state->host = host;
  net::HttpServerOptions options;
  options.listen = net::host_port(host, port);
  options.max_body_bytes = 8 * 1024 * 1024;
  // Handlers call other services and wait for them: they run on a pool, off the I/O
  // threads, large enough for the chains of calls the examples make.
  options.handler_threads = 16;
  options.drain_timeout = std::chrono::milliseconds(2000);
  options.server_name.clear();
  state->server = std::make_unique<net::HttpServer>(options);
  std::unique_ptr<HttpServer> server(new HttpServer(std::move(state)));
  HttpServer* self = server.get();
  auto serve = [self](net::Request&& in) {
    Request request;
    request.method_string(to_beast(in.method));
    request.target(to_beast(in.target));
    request.version(11);
    for (const auto& h : in.headers)
      request.insert(to_beast(h.name), to_beast(h.value));
    request.body() = std::move(in.body);
    request.prepare_payload();
    Peer peer;
    split_remote(in.remote, peer);
    peer.local_address = self->state_->host;
    peer.local_port = self->port();
    Response response = self->state_->handler(request, peer);
    net::Response out;
    out.status = static_cast<int>(response.result_int());
    for (const auto& field : response) {
      if (field.name() == beast_http::field::content_length ||
          field.name() == beast_http::field::connection)
        continue;
      if (field.name() == beast_http::field::content_type) {
        out.content_type = std::string(from_beast(field.value()));
        continue;
      }
      out.headers.push_back(
          {std::string(from_beast(field.name_string())), std::string(from_beast(field.value()))});
    }
    out.body = std::move(response.body());
    out.close = !response.keep_alive();
    self->served_.fetch_add(1);
    return out;
  };
  for (const char* method : {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
    self->state_->server->route_prefix(method, "/", net::sync_handler(serve));
  if (core::Status st = self->state_->server->start(); !st.ok())
    return st;
  return server;
}

void HttpServer::stop() {
  state_->server->stop();
}

core::Result<Response> send_request(Request request, const Url& url,
                                    std::chrono::milliseconds timeout) {
  if (request.target().empty())
    request.target(url.target);
  if (request[beast_http::field::host].empty())
    request.set(beast_http::field::host, url.authority());
  request.prepare_payload();

  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  Response response;
  boost::system::error_code result;
  const char* stage = "resolve";

  stream.expires_after(timeout);
  resolver.async_resolve(
      url.host, std::to_string(url.port),
      [&](boost::system::error_code ec, const tcp::resolver::results_type& endpoints) {
        if (ec) {
          result = ec;
          return;
        }
        stage = "connect";
        stream.async_connect(endpoints, [&](boost::system::error_code ec2, const tcp::endpoint&) {
          if (ec2) {
            result = ec2;
            return;
          }
          stage = "write";
          beast_http::async_write(stream, request, [&](boost::system::error_code ec3, std::size_t) {
            if (ec3) {
              result = ec3;
              return;
            }
            stage = "read";
            beast_http::async_read(
                stream, buffer, response,
                [&](boost::system::error_code ec4, std::size_t) { result = ec4; });
          });
        });
      });
  io.run_for(timeout + std::chrono::milliseconds(100));
  if (!io.stopped() && !result)
    result = asio::error::timed_out;
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (result) {
    return core::Status(core::StatusCode::kUnavailable,
                        std::string(stage) + " " + url.full() + ": " + result.message());
  }
  return response;
}

}  // namespace edgetrace::examples
