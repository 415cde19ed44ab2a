// TcpStreamListener: accepted sockets read on strands of one io_context run by a fixed
// pool of threads. See the header for the contract.
#include "edgetrace/net/tcp_stream_listener.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>

#include "edgetrace/net/address.hpp"
#include "internal/acceptor.hpp"

namespace edgetrace::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

}  // namespace

void TcpStreamControl::resume() const {
  if (auto c = connection_.lock())
    c->resume();
}

void TcpStreamControl::close() const {
  if (auto c = connection_.lock())
    c->close();
}

class TcpStreamListener::Core : public std::enable_shared_from_this<TcpStreamListener::Core> {
 public:
  class Connection;

  Core(TcpStreamListenerOptions opts, TcpStreamHandlerFactory f)
      : options(std::move(opts)), factory(std::move(f)) {}

  core::Status start();
  void stop();
  void do_accept();
  void on_accept(const beast::error_code& ec, tcp::socket socket);
  void finished(Connection* c) {
    std::shared_ptr<Connection> keep;  // destroyed after the lock is released
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = connections.find(c); it != connections.end()) {
      keep = std::move(it->second);
      connections.erase(it);
      counters.connections_active.store(connections.size(), std::memory_order_relaxed);
    }
  }

  TcpStreamListenerOptions options;
  TcpStreamHandlerFactory factory;
  TcpListenerCounters counters;
  asio::io_context io;
  tcp::acceptor acceptor{asio::make_strand(io)};
  asio::steady_timer accept_retry{acceptor.get_executor()};
  std::vector<std::thread> threads;
  std::uint16_t port = 0;

  std::mutex mu;
  // Connections are owned here from accept to close, so a paused connection (no read
  // pending) stays alive.
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;
  bool started = false;
  bool stopping = false;
};

class TcpStreamListener::Core::Connection final : public internal::StreamConnectionControl,
                                                  public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Core> core, tcp::socket socket)
      : core_(std::move(core)),
        stream_(std::move(socket)),
        age_timer_(stream_.get_executor()),
        buffer_(core_->options.read_buffer_bytes == 0 ? 1 : core_->options.read_buffer_bytes) {}

  void start(std::string peer) {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this(), peer = std::move(peer)] {
      try {
        self->handler_ = self->core_->factory(
            TcpStreamControl(std::weak_ptr<internal::StreamConnectionControl>(self)), peer);
      } catch (...) {
        self->handler_.reset();
      }
      if (self->handler_ == nullptr) {
        self->finish(core::Status(core::StatusCode::kCancelled, "no handler for the stream"));
        return;
      }
      if (self->core_->options.max_connection_age.count() > 0) {
        self->age_timer_.expires_after(self->core_->options.max_connection_age);
        self->age_timer_.async_wait([self](const beast::error_code& ec) {
          if (ec || self->closed_)
            return;
          self->core_->counters.age_limit_closes.fetch_add(1, std::memory_order_relaxed);
          self->finish(core::Status(core::StatusCode::kDeadlineExceeded,
                                    "stream: connection age limit reached"));
        });
      }
      self->read();
    });
  }

  void resume() override {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->closed_ || !self->paused_)
        return;
      self->paused_ = false;
      self->read();
    });
  }

  void close() override {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->finish(core::Status(core::StatusCode::kCancelled, "stream: closed"));
    });
  }

 private:
  void read() {
    if (closed_)
      return;
    stream_.expires_after(core_->options.idle_timeout);
    stream_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](const beast::error_code& ec,
                                                        std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const beast::error_code& ec, std::size_t n) {
    if (closed_)
      return;
    if (ec) {
      if (ec == beast::error::timeout) {
        core_->counters.idle_timeouts.fetch_add(1, std::memory_order_relaxed);
        finish(core::Status(core::StatusCode::kDeadlineExceeded, "stream: idle timeout"));
      } else if (ec == asio::error::eof) {
        finish(core::Status());
      } else {
        core_->counters.read_errors.fetch_add(1, std::memory_order_relaxed);
        finish(core::Status(core::StatusCode::kUnavailable, "stream: " + ec.message()));
      }
      return;
    }
    core_->counters.bytes_received.fetch_add(n, std::memory_order_relaxed);
    StreamAction action = StreamAction::kClose;
    try {
      action = handler_->on_data(std::span<const std::uint8_t>(buffer_.data(), n));
    } catch (...) {
      action = StreamAction::kClose;
    }
    switch (action) {
      case StreamAction::kContinue:
        read();
        break;
      case StreamAction::kPause:
        paused_ = true;
        stream_.expires_never();
        core_->counters.pauses.fetch_add(1, std::memory_order_relaxed);
        break;
      case StreamAction::kClose:
        finish(core::Status(core::StatusCode::kCancelled, "stream: closed by its handler"));
        break;
    }
  }

  void finish(const core::Status& reason) {
    if (closed_)
      return;
    closed_ = true;
    age_timer_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    if (handler_ != nullptr) {
      try {
        handler_->on_close(reason);
      } catch (...) {
      }
    }
    core_->finished(this);
  }

  std::shared_ptr<Core> core_;
  beast::tcp_stream stream_;
  asio::steady_timer age_timer_;
  std::vector<std::uint8_t> buffer_;
  std::unique_ptr<TcpStreamHandler> handler_;
  bool paused_ = false;
  bool closed_ = false;
};

core::Status TcpStreamListener::Core::start() {
  auto address = parse_listen_address(options.listen);
  if (!address)
    return address.status();
  if (options.io_threads == 0)
    return core::invalid_argument("tcp listener: io_threads must be at least 1");
  if (core::Status st = internal::listen_on(acceptor, *address, "tcp listener"); !st.ok())
    return st;
  port = acceptor.local_endpoint().port();
  asio::dispatch(acceptor.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  for (std::size_t i = 0; i < options.io_threads; ++i)
    threads.emplace_back([this] { io.run(); });
  return {};
}

void TcpStreamListener::Core::do_accept() {
  acceptor.async_accept(asio::make_strand(io),
                        [self = shared_from_this()](const beast::error_code& ec, tcp::socket s) {
                          self->on_accept(ec, std::move(s));
                        });
}

void TcpStreamListener::Core::on_accept(const beast::error_code& ec, tcp::socket socket) {
  if (ec) {
    internal::accept_again_later(ec, shared_from_this());
    return;
  }
  std::shared_ptr<Connection> connection;
  std::string peer;
  {
    std::lock_guard<std::mutex> lock(mu);
    beast::error_code ignored;
    if (stopping) {
      socket.close(ignored);
      return;
    }
    if (connections.size() >= options.max_connections) {
      counters.connections_refused.fetch_add(1, std::memory_order_relaxed);
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
      do_accept();
      return;
    }
    const auto remote = socket.remote_endpoint(ignored);
    peer = host_port(remote.address().to_string(), remote.port());
    connection = std::make_shared<Connection>(shared_from_this(), std::move(socket));
    connections.emplace(connection.get(), connection);
    counters.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    counters.connections_active.store(connections.size(), std::memory_order_relaxed);
  }
  connection->start(std::move(peer));
  do_accept();
}

void TcpStreamListener::Core::stop() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!started || stopping)
      return;
    stopping = true;
  }
  asio::dispatch(acceptor.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor.close(ignored);
    self->accept_retry.cancel();
  });
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [raw, c] : connections)
      open.push_back(c);
  }
  for (auto& c : open)
    c->close();
  open.clear();
  for (auto& t : threads)
    t.join();
  threads.clear();
  io.restart();
  while (io.poll() > 0) {
  }
}

TcpStreamListener::TcpStreamListener(TcpStreamListenerOptions options,
                                     TcpStreamHandlerFactory factory)
    : core_(std::make_shared<Core>(std::move(options), std::move(factory))) {}

TcpStreamListener::~TcpStreamListener() {
  stop();
}

core::Status TcpStreamListener::start() {
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    if (core_->started)
      return core::Status(core::StatusCode::kFailedPrecondition, "tcp listener: already started");
  }
  core::Status st = core_->start();
  if (st.ok()) {
    std::lock_guard<std::mutex> lock(core_->mu);
    core_->started = true;
  }
  return st;
}

void TcpStreamListener::stop() {
  core_->stop();
}

std::uint16_t TcpStreamListener::port() const noexcept {
  return core_->port;
}

const TcpListenerCounters& TcpStreamListener::counters() const noexcept {
  return core_->counters;
}

}  // namespace edgetrace::net
