#include "http.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>

#include <charconv>
#include <mutex>
#include <thread>
#include <vector>

#include "edgetrace/core/text.hpp"

namespace edgetrace::examples {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

}  // namespace

std::optional<std::string> BeastHeaders::get(std::string_view name) const {
  auto range = read_->equal_range(beast::string_view(name.data(), name.size()));
  if (range.first == range.second)
    return std::nullopt;
  std::string joined;
  for (auto it = range.first; it != range.second; ++it) {
    if (!joined.empty())
      joined += ',';
    joined.append(it->value().data(), it->value().size());
  }
  return joined;
}

void BeastHeaders::set(std::string_view name, std::string_view value) {
  if (write_ == nullptr)
    return;
  write_->set(beast::string_view(name.data(), name.size()),
              beast::string_view(value.data(), value.size()));
}

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
  asio::io_context io;
  tcp::acceptor acceptor{io};
  Handler handler;
  std::uint16_t port = 0;
  std::mutex mu;
  bool stopping = false;
  std::vector<std::weak_ptr<tcp::socket>> sockets;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Worker> workers;

  // Joins the connection threads that have finished (a finished thread keeps its stack until
  // joined) and forgets closed sockets. Called with `mu` held.
  void reap() {
    for (auto it = workers.begin(); it != workers.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = workers.erase(it);
      } else {
        ++it;
      }
    }
    std::erase_if(sockets, [](const std::weak_ptr<tcp::socket>& w) { return w.expired(); });
  }
  std::thread acceptor_thread;
};

HttpServer::HttpServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpServer::~HttpServer() {
  stop();
}

std::uint16_t HttpServer::port() const noexcept {
  return state_->port;
}

core::Result<std::unique_ptr<HttpServer>> HttpServer::listen(const std::string& host,
                                                             std::uint16_t port, Handler handler) {
  auto state = std::make_unique<State>();
  state->handler = std::move(handler);
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec)
    return core::invalid_argument("listen address '" + host + "': " + ec.message());
  const tcp::endpoint endpoint(address, port);
  state->acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    state->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    state->acceptor.bind(endpoint, ec);
  if (!ec)
    state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::Status(core::StatusCode::kUnavailable,
                        "listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  state->port = state->acceptor.local_endpoint().port();

  std::unique_ptr<HttpServer> server(new HttpServer(std::move(state)));
  HttpServer* self = server.get();
  self->state_->acceptor_thread = std::thread([self] {
    State& s = *self->state_;
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(s.io);
      boost::system::error_code accept_ec;
      s.acceptor.accept(*socket, accept_ec);
      std::lock_guard<std::mutex> lock(s.mu);
      if (s.stopping)
        return;
      if (accept_ec)
        continue;
      s.reap();
      s.sockets.push_back(socket);
      auto done = std::make_shared<std::atomic<bool>>(false);
      s.workers.push_back({std::thread([self, socket, done] {
                             State& st = *self->state_;
                             Peer peer;
                             boost::system::error_code peer_ec;
                             const tcp::endpoint remote = socket->remote_endpoint(peer_ec);
                             const tcp::endpoint local = socket->local_endpoint(peer_ec);
                             if (!peer_ec) {
                               peer.address = remote.address().to_string();
                               peer.port = remote.port();
                               peer.local_address = local.address().to_string();
                               peer.local_port = local.port();
                             }
                             beast::flat_buffer buffer;
                             for (;;) {
                               beast_http::request_parser<beast_http::string_body> parser;
                               parser.body_limit(8 * 1024 * 1024);
                               boost::system::error_code read_ec;
                               beast_http::read(*socket, buffer, parser, read_ec);
                               if (read_ec)
                                 break;
                               const Request request = parser.release();
                               Response response = st.handler(request, peer);
                               response.keep_alive(request.keep_alive());
                               response.prepare_payload();
                               boost::system::error_code write_ec;
                               beast_http::write(*socket, response, write_ec);
                               self->served_.fetch_add(1);
                               if (write_ec || !response.keep_alive())
                                 break;
                             }
                             boost::system::error_code close_ec;
                             // No close(): stop() may be shutting the socket down from its thread;
                             // the socket closes when the last reference (this thread's) goes.
                             socket->shutdown(tcp::socket::shutdown_both, close_ec);
                             done->store(true);
                           }),
                           done});
    }
  });
  return server;
}

void HttpServer::stop() {
  State& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.stopping)
      return;
    s.stopping = true;
  }
  // Wake the blocking accept() with a connection of our own.
  try {
    asio::io_context io;
    tcp::socket wake(io);
    const tcp::endpoint local = s.acceptor.local_endpoint();
    wake.connect(tcp::endpoint(local.address(), s.port));
  } catch (const std::exception&) {
  }
  if (s.acceptor_thread.joinable())
    s.acceptor_thread.join();
  boost::system::error_code ec;
  s.acceptor.close(ec);
  std::vector<State::Worker> workers;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    for (auto& weak : s.sockets) {
      if (auto socket = weak.lock())
        socket->shutdown(tcp::socket::shutdown_both, ec);
    }
    workers.swap(s.workers);
  }
  for (auto& w : workers) {
    if (w.thread.joinable())
      w.thread.join();
  }
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
