// HttpServer: Boost.Beast connections on a fixed pool of I/O threads (one io_context),
// each connection on its own strand. See the header for the contract.
#include "edgetrace/net/http_server.hpp"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "edgetrace/core/text.hpp"
#include "edgetrace/net/address.hpp"
#include "internal/acceptor.hpp"
#include "internal/request_reading.hpp"

namespace edgetrace::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr std::size_t kFirstReadBytes = 4096;
// After a response that closes a connection whose request body was not read, unread bytes
// are drained for up to this long (and this many bytes) so that closing does not reset the
// connection before the client has read the response.
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr std::size_t kLingerBytes = 1 << 20;

struct Route {
  Handler handler;
  RouteOptions options;
};

// The routes of one path (or prefix), by method.
struct PathRoutes {
  std::vector<std::pair<std::string, std::shared_ptr<const Route>>> by_method;

  std::shared_ptr<const Route> find(std::string_view method) const {
    for (const auto& [m, route] : by_method) {
      if (m == method)
        return route;
    }
    return nullptr;
  }
  void set(std::string method, std::shared_ptr<const Route> route) {
    for (auto& [m, r] : by_method) {
      if (m == method) {
        r = std::move(route);
        return;
      }
    }
    by_method.emplace_back(std::move(method), std::move(route));
  }
  std::vector<std::string> methods() const {
    std::vector<std::string> out;
    for (const auto& [m, route] : by_method)
      out.push_back(m);
    return out;
  }
  std::shared_ptr<const CorsPolicy> cors() const {
    for (const auto& [m, route] : by_method) {
      if (route->options.cors != nullptr)
        return route->options.cors;
    }
    return nullptr;
  }
};

std::string join_methods(const std::vector<std::string>& methods) {
  std::string out;
  for (const auto& m : methods) {
    if (!out.empty())
      out += ", ";
    out += m;
  }
  return out;
}

void count_response(HttpServerCounters& c, int status) {
  if (status < 200)
    c.responses_1xx.fetch_add(1, std::memory_order_relaxed);
  else if (status < 300)
    c.responses_2xx.fetch_add(1, std::memory_order_relaxed);
  else if (status < 400)
    c.responses_3xx.fetch_add(1, std::memory_order_relaxed);
  else if (status < 500)
    c.responses_4xx.fetch_add(1, std::memory_order_relaxed);
  else
    c.responses_5xx.fetch_add(1, std::memory_order_relaxed);
}

const char* reason_text(int status) {
  switch (status) {
    case 400:
      return "malformed request\n";
    case 413:
      return "request body too large\n";
    case 431:
      return "request header fields too large\n";
    default:
      return "\n";
  }
}

class ConnectionBase : public internal::ResponseSink,
                       public std::enable_shared_from_this<ConnectionBase> {
 public:
  virtual void start() = 0;
  // Both may be called from any thread; they queue work on the connection's strand.
  virtual void begin_drain() = 0;
  virtual void force_close() = 0;
  // A streamed response's pieces (ConnectionStream); any thread, queued on the strand.
  virtual void stream_push(std::string&& chunk) = 0;
  virtual void stream_finish() = 0;  // write what is queued, then close
  virtual void stream_overflow() = 0;
};

// The StreamSink of one streamed response. The writer side counts the bytes waiting on the
// strand; the connection side marks it closed when the socket closes. The connection keeps
// only a weak reference, so dropping every StreamWriter finishes the response.
class ConnectionStream final : public internal::StreamSink {
 public:
  ConnectionStream(std::shared_ptr<ConnectionBase> connection, std::size_t max_queued_bytes)
      : connection_(std::move(connection)), max_queued_bytes_(max_queued_bytes) {}
  ~ConnectionStream() override {
    if (!closed_.exchange(true))
      connection_->stream_finish();
  }
  ConnectionStream(const ConnectionStream&) = delete;
  ConnectionStream& operator=(const ConnectionStream&) = delete;

  bool write(std::string&& chunk) override {
    if (closed_.load(std::memory_order_acquire))
      return false;
    const std::size_t n = chunk.size();
    if (queued_.fetch_add(n, std::memory_order_acq_rel) + n > max_queued_bytes_) {
      if (!closed_.exchange(true))
        connection_->stream_overflow();
      return false;
    }
    connection_->stream_push(std::move(chunk));
    return true;
  }
  void close() override {
    if (!closed_.exchange(true))
      connection_->stream_finish();
  }
  bool closed() const noexcept override { return closed_.load(std::memory_order_acquire); }

  void written(std::size_t n) { queued_.fetch_sub(n, std::memory_order_acq_rel); }
  void mark_closed() { closed_.store(true, std::memory_order_release); }

 private:
  std::shared_ptr<ConnectionBase> connection_;
  const std::size_t max_queued_bytes_;
  std::atomic<std::size_t> queued_{0};
  std::atomic<bool> closed_{false};
};

}  // namespace

class internal::HttpServerCore : public std::enable_shared_from_this<internal::HttpServerCore> {
 public:
  explicit HttpServerCore(HttpServerOptions opts) : options(std::move(opts)) {
    limits.max_header_bytes = options.max_header_bytes;
    limits.max_body_bytes = options.max_body_bytes;
    limits.max_decompressed_bytes = options.max_decompressed_bytes;
    limits.decompress_gzip = options.decompress_gzip;
  }

  const PathRoutes* find(std::string_view path) const {
    if (auto it = exact.find(path); it != exact.end())
      return &it->second;
    for (const auto& [prefix, routes] : prefixes) {
      if (path.substr(0, prefix.size()) == prefix)
        return &routes;
    }
    return nullptr;
  }

  core::Status start();
  void stop(std::chrono::milliseconds deadline);
  void do_accept();
  void on_accept(const beast::error_code& ec, tcp::socket socket);
  void refuse(tcp::socket& socket);
  // Called once by each connection when its socket closes.
  void connection_closed() {
    std::lock_guard<std::mutex> lock(mu);
    --open;
    counters.connections_active.store(open, std::memory_order_relaxed);
    cv.notify_all();
  }
  void unregister(ConnectionBase* c) {
    std::lock_guard<std::mutex> lock(mu);
    connections.erase(c);
  }
  // Runs `f` on `executor` unless the server has stopped (then `f` is dropped). Holding the
  // lock while queueing keeps a stopped server's io_context free of new work. `f` may run
  // inline (when called on that strand), under the lock: it must not call anything that
  // takes `mu` (connection_closed(), unregister()).
  template <typename Executor, typename F>
  void dispatch_unless_stopped(const Executor& executor, F&& f) {
    std::lock_guard<std::mutex> lock(mu);
    if (stopped)
      return;
    asio::dispatch(executor, std::forward<F>(f));
  }
  // As dispatch_unless_stopped, but never inline, for work that may take `mu`.
  template <typename Executor, typename F>
  void post_unless_stopped(const Executor& executor, F&& f) {
    std::lock_guard<std::mutex> lock(mu);
    if (stopped)
      return;
    asio::post(executor, std::forward<F>(f));
  }

  std::vector<std::shared_ptr<ConnectionBase>> snapshot() {
    std::vector<std::shared_ptr<ConnectionBase>> out;
    std::lock_guard<std::mutex> lock(mu);
    for (auto& [raw, weak] : connections) {
      if (auto c = weak.lock())
        out.push_back(std::move(c));
    }
    return out;
  }

  HttpServerOptions options;
  internal::ReadLimits limits;
  HttpServerCounters counters;
  std::map<std::string, PathRoutes, std::less<>> exact;
  std::vector<std::pair<std::string, PathRoutes>> prefixes;

  asio::io_context io;
  tcp::acceptor acceptor{asio::make_strand(io)};
  asio::steady_timer accept_retry{acceptor.get_executor()};
  std::optional<ssl::context> tls;
  std::optional<asio::thread_pool> handler_pool;
  // Keeps the I/O threads running while a connection waits for its handler's answer and
  // has no socket operation pending; released by stop() once connections are closed.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  std::string url;

  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<ConnectionBase*, std::weak_ptr<ConnectionBase>> connections;
  std::size_t open = 0;
  bool started = false;
  bool stopping = false;
  bool stopped = false;
};

namespace {

template <typename Stream>
class Connection final : public ConnectionBase {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <typename... Args>
  Connection(std::shared_ptr<internal::HttpServerCore> core, std::string remote, Args&&... args)
      : core_(std::move(core)), stream_(std::forward<Args>(args)...), remote_(std::move(remote)) {}

  ~Connection() override {
    close();
    core_->unregister(this);
  }

  void start() override {
    if constexpr (kTls) {
      lowest().expires_after(core_->options.read_timeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          [self = self()](const beast::error_code& ec) { self->on_handshake(ec); });
    } else {
      read_next();
    }
  }

  void begin_drain() override {
    asio::dispatch(stream_.get_executor(), [self = self()] {
      self->draining_ = true;
      if (self->state_ == State::kIdle || self->state_ == State::kHandshake ||
          self->state_ == State::kStreaming)
        self->close();
    });
  }

  void force_close() override {
    asio::dispatch(stream_.get_executor(), [self = self()] {
      if (!self->closed_)
        self->core_->counters.forced_closes.fetch_add(1, std::memory_order_relaxed);
      self->close();
    });
  }

  void deliver(Response&& response) override {
    core_->dispatch_unless_stopped(
        stream_.get_executor(),
        [self = self(), r = std::move(response)]() mutable { self->write_response(std::move(r)); });
  }

  void abort() override {
    core_->post_unless_stopped(stream_.get_executor(), [self = self()] { self->close(); });
  }

  std::shared_ptr<internal::StreamSink> start_stream(Response&& head,
                                                     std::size_t max_queued_bytes) override {
    auto stream = std::make_shared<ConnectionStream>(shared_from_this(), max_queued_bytes);
    core_->post_unless_stopped(stream_.get_executor(),
                               [self = self(), stream, h = std::move(head)]() mutable {
                                 self->begin_stream(std::move(h), stream);
                               });
    return stream;
  }

  // Posted, never run inline: each may close the connection, which takes the core's lock.
  void stream_push(std::string&& chunk) override {
    core_->post_unless_stopped(stream_.get_executor(),
                               [self = self(), c = std::move(chunk)]() mutable {
                                 if (self->closed_ || self->state_ != State::kStreaming)
                                   return;
                                 self->stream_queue_.push_back({std::move(c), true});
                                 if (!self->stream_writing_)
                                   self->write_stream_next();
                               });
  }

  void stream_finish() override {
    core_->post_unless_stopped(stream_.get_executor(), [self = self()] {
      self->stream_finishing_ = true;
      if (!self->stream_writing_ && self->stream_queue_.empty())
        self->close();
    });
  }

  void stream_overflow() override {
    core_->counters.stream_overflows.fetch_add(1, std::memory_order_relaxed);
    core_->post_unless_stopped(stream_.get_executor(), [self = self()] { self->close(); });
  }

  void abandoned() override {
    core_->counters.handler_errors.fetch_add(1, std::memory_order_relaxed);
    Response r = Response::text(500, "the request was not answered\n");
    r.close = true;
    deliver(std::move(r));
  }

 private:
  enum class State {
    kHandshake,
    kIdle,
    kReading,
    kHandling,
    kWriting,
    kStreaming,
    kLingering,
    kClosed
  };

  struct StreamPiece {
    std::string bytes;
    bool counted = false;  // body bytes, counted against the stream's bound (not the head)
  };

  std::shared_ptr<Connection> self() {
    return std::static_pointer_cast<Connection>(shared_from_this());
  }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }
  HttpServerCounters& counters() { return core_->counters; }

  void on_handshake(const beast::error_code& ec) {
    if (ec) {
      counters().tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
      close();
      return;
    }
    read_next();
  }

  // Waits (idle timeout) for the first byte of the next request.
  void read_next() {
    if (draining_ || closed_) {
      close();
      return;
    }
    state_ = State::kIdle;
    if (buffer_.size() > 0) {
      read_header();
      return;
    }
    lowest().expires_after(core_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = self()](const beast::error_code& ec, std::size_t n) {
                              self->on_first_bytes(ec, n);
                            });
  }

  void on_first_bytes(const beast::error_code& ec, std::size_t n) {
    if (ec) {
      if (ec == beast::error::timeout)
        counters().idle_timeouts.fetch_add(1, std::memory_order_relaxed);
      close();
      return;
    }
    buffer_.commit(n);
    read_header();
  }

  void read_header() {
    state_ = State::kReading;
    parser_.emplace();
    internal::configure_parser(*parser_, core_->limits);
    // One deadline for the whole request, headers and body, armed only when the request
    // does not arrive in the bytes already read.
    request_start_ = std::chrono::steady_clock::now();
    deadline_armed_ = false;
    beast::error_code ec;
    if (parse_buffered(ec)) {
      on_header(ec);
      return;
    }
    arm_read_deadline();
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = self()](const beast::error_code& hec, std::size_t) { self->on_header(hec); });
  }

  // Feeds the parser what `buffer_` holds (the header only, or the body too once eager),
  // as Beast's read operations do. True when that settles the step: the header (or the
  // message) is complete, or `ec` holds a parse error; false when more bytes are needed.
  bool parse_buffered(beast::error_code& ec) {
    const bool want_body = parser_->is_header_done();
    const auto done = [&] { return want_body ? parser_->is_done() : parser_->is_header_done(); };
    while (!done() && buffer_.size() > 0) {
      const std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) {
        ec = {};
        return false;
      }
      if (ec)
        return true;
      if (used == 0)
        return false;
    }
    return done();
  }

  void arm_read_deadline() {
    if (deadline_armed_)
      return;
    deadline_armed_ = true;
    lowest().expires_at(request_start_ + core_->options.read_timeout);
  }

  void on_header(const beast::error_code& ec) {
    if (ec) {
      fail_read(ec);
      return;
    }
    const auto& message = parser_->get();
    request_ = internal::request_from_header(message.base());
    request_.remote = remote_;
    request_.tls = kTls;
    version_ = message.version();
    keep_alive_ = message.keep_alive();
    body_unread_ = !parser_->is_done();
    route_.reset();
    cors_.reset();
    origin_.clear();
    counters().requests.fetch_add(1, std::memory_order_relaxed);

    const PathRoutes* routes = core_->find(request_.path);
    if (routes == nullptr) {
      counters().not_found.fetch_add(1, std::memory_order_relaxed);
      respond_early(Response::text(404, "no such path\n"));
      return;
    }
    route_ = routes->find(request_.method);
    if (route_ == nullptr) {
      auto cors = routes->cors();
      std::vector<std::string> methods = routes->methods();
      if (request_.method == "OPTIONS" && cors != nullptr && request_.has_header("Origin") &&
          request_.has_header("Access-Control-Request-Method")) {
        counters().cors_preflights.fetch_add(1, std::memory_order_relaxed);
        respond_early(cors_preflight(*cors, request_, methods));
        return;
      }
      counters().method_not_allowed.fetch_add(1, std::memory_order_relaxed);
      if (cors != nullptr)
        methods.push_back("OPTIONS");
      respond_early(
          Response::text(405, "method not allowed\n").with_header("Allow", join_methods(methods)));
      return;
    }
    cors_ = route_->options.cors;
    if (cors_ != nullptr)
      origin_ = std::string(request_.header("Origin"));
    if (route_->options.auth) {
      std::optional<Response> refused;
      try {
        refused = route_->options.auth(request_);
      } catch (...) {
        counters().handler_errors.fetch_add(1, std::memory_order_relaxed);
        refused = Response::text(500, "authentication failed\n");
      }
      if (refused) {
        counters().auth_refused.fetch_add(1, std::memory_order_relaxed);
        respond_early(std::move(*refused));
        return;
      }
    }
    const std::size_t limit = route_->options.max_body_bytes != 0 ? route_->options.max_body_bytes
                                                                  : core_->options.max_body_bytes;
    if (const auto length = parser_->content_length(); length && *length > limit) {
      counters().body_too_large.fetch_add(1, std::memory_order_relaxed);
      respond_early(Response::text(413, reason_text(413)));
      return;
    }
    parser_->body_limit(limit);
    if (!body_unread_) {
      on_body({});
      return;
    }
    if (core::iequals_ascii(core::trim_ows(request_.header("Expect")), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      counters().responses_1xx.fetch_add(1, std::memory_order_relaxed);
      arm_read_deadline();
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = self()](const beast::error_code& wec, std::size_t) {
                          if (wec) {
                            self->close();
                            return;
                          }
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    parser_->eager(true);
    beast::error_code ec;
    if (parse_buffered(ec)) {
      on_body(ec);
      return;
    }
    arm_read_deadline();
    http::async_read(
        stream_, buffer_, *parser_,
        [self = self()](const beast::error_code& rec, std::size_t) { self->on_body(rec); });
  }

  void on_body(const beast::error_code& ec) {
    if (ec) {
      fail_read(ec);
      return;
    }
    body_unread_ = false;
    request_.body = std::move(parser_->get().body());
    parser_.reset();
    std::string why;
    if (const int status = internal::decode_body(request_, core_->limits, &why); status != 0) {
      if (status == 413)
        counters().decompressed_too_large.fetch_add(1, std::memory_order_relaxed);
      else if (status == 415)
        counters().unsupported_encoding.fetch_add(1, std::memory_order_relaxed);
      else
        counters().bad_request.fetch_add(1, std::memory_order_relaxed);
      write_response(Response::text(status, why + "\n"));
      return;
    }
    if (deadline_armed_)
      lowest().expires_never();
    state_ = State::kHandling;
    Responder responder(std::static_pointer_cast<internal::ResponseSink>(shared_from_this()));
    auto run = [route = route_, request = std::move(request_), responder,
                core = core_.get()]() mutable {
      try {
        route->handler(std::move(request), responder);
      } catch (...) {
        core->counters.handler_errors.fetch_add(1, std::memory_order_relaxed);
        Response r = Response::text(500, "the handler failed\n");
        r.close = true;
        responder.respond(std::move(r));
      }
    };
    if (core_->handler_pool)
      asio::post(*core_->handler_pool, std::move(run));
    else
      run();
  }

  // A read that failed: answer the request's own errors, close on the others.
  void fail_read(const beast::error_code& ec) {
    if (ec == beast::error::timeout) {
      counters().read_timeouts.fetch_add(1, std::memory_order_relaxed);
      close();
      return;
    }
    const int status = internal::status_for_read_error(ec);
    if (status == 0) {
      close();
      return;
    }
    if (status == 431)
      counters().header_too_large.fetch_add(1, std::memory_order_relaxed);
    else if (status == 413)
      counters().body_too_large.fetch_add(1, std::memory_order_relaxed);
    else
      counters().bad_request.fetch_add(1, std::memory_order_relaxed);
    body_unread_ = true;
    respond_early(Response::text(status, reason_text(status)));
  }

  // A response sent before the request body was read closes the connection.
  void respond_early(Response&& response) {
    if (body_unread_)
      response.close = true;
    write_response(std::move(response));
  }

  // The head of a streamed response: no Content-Length, the body ends with the connection.
  void begin_stream(Response&& head, const std::shared_ptr<ConnectionStream>& stream) {
    if (closed_ || state_ != State::kHandling || draining_) {
      stream->mark_closed();
      if (!closed_)
        close();
      return;
    }
    response_stream_ = stream;
    state_ = State::kStreaming;
    keep_after_ = false;
    count_response(counters(), head.status);
    if (cors_ != nullptr && !origin_.empty()) {
      Request origin_only;
      origin_only.headers.push_back({"Origin", origin_});
      add_cors_headers(*cors_, origin_only, head);
    }
    out_head_.clear();
    out_head_ += version_ == 11 ? "HTTP/1.1 " : "HTTP/1.0 ";
    append_number(static_cast<unsigned>(head.status));
    out_head_ += ' ';
    const auto reason =
        http::obsolete_reason(http::int_to_status(static_cast<unsigned>(head.status)));
    out_head_.append(reason.data(), reason.size());
    out_head_ += "\r\n";
    if (!core_->options.server_name.empty())
      append_field("Server", core_->options.server_name);
    if (!head.content_type.empty())
      append_field("Content-Type", head.content_type);
    for (const auto& h : head.headers)
      append_field(h.name, h.value);
    out_head_ += "Connection: close\r\n\r\n";
    stream_queue_.push_back({std::move(out_head_), false});
    out_head_.clear();
    write_stream_next();
  }

  void write_stream_next() {
    if (closed_)
      return;
    if (stream_queue_.empty()) {
      if (stream_finishing_) {
        close();
        return;
      }
      // Idle between pieces: no deadline (a pending timer would fail the next write).
      lowest().expires_never();
      return;
    }
    stream_writing_ = true;
    lowest().expires_after(core_->options.write_timeout);
    const std::string& front = stream_queue_.front().bytes;
    asio::async_write(
        stream_, asio::buffer(front.data(), front.size()),
        [self = self()](const beast::error_code& ec, std::size_t) { self->on_stream_write(ec); });
  }

  void on_stream_write(const beast::error_code& ec) {
    stream_writing_ = false;
    StreamPiece piece = std::move(stream_queue_.front());
    stream_queue_.pop_front();
    if (closed_) {
      stream_queue_.clear();
      return;
    }
    if (piece.counted) {
      if (auto s = response_stream_.lock())
        s->written(piece.bytes.size());
    }
    if (ec) {
      if (ec == beast::error::timeout)
        counters().write_timeouts.fetch_add(1, std::memory_order_relaxed);
      close();
      return;
    }
    write_stream_next();
  }

  void write_response(Response&& r) {
    if (closed_ || state_ == State::kWriting || state_ == State::kStreaming ||
        state_ == State::kLingering)
      return;
    if (cors_ != nullptr && !origin_.empty()) {
      Request origin_only;
      origin_only.headers.push_back({"Origin", origin_});
      add_cors_headers(*cors_, origin_only, r);
    }
    const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
    keep_after_ = keep_alive_ && !r.close && !draining_ && !body_unread_;
    count_response(counters(), r.status);
    state_ = State::kWriting;
    lowest().expires_after(core_->options.write_timeout);
    if (version_ == 11 && !has_framing_header(r.headers)) {
      serialize_head(r, bodiless);
      if (!bodiless)
        out_body_ = std::move(r.body);
      const std::array<asio::const_buffer, 2> buffers{asio::buffer(out_head_),
                                                      asio::buffer(out_body_)};
      asio::async_write(
          stream_, buffers,
          [self = self()](const beast::error_code& ec, std::size_t) { self->on_write(ec); });
      return;
    }
    // HTTP/1.0, or a handler that set Connection, Content-Length or Transfer-Encoding
    // itself: Beast's serializer merges those headers.
    res_.emplace();
    res_->version(version_);
    res_->result(static_cast<unsigned>(r.status));
    if (!core_->options.server_name.empty())
      res_->set(http::field::server, core_->options.server_name);
    if (!r.content_type.empty())
      res_->set(http::field::content_type, r.content_type);
    for (auto& h : r.headers)
      res_->insert(h.name, h.value);
    if (!bodiless)
      res_->body() = std::move(r.body);
    res_->keep_alive(keep_after_);
    res_->prepare_payload();
    http::async_write(stream_, *res_, [self = self()](const beast::error_code& ec, std::size_t) {
      self->on_write(ec);
    });
  }

  static bool has_framing_header(const std::vector<Header>& headers) {
    for (const auto& h : headers) {
      if (core::iequals_ascii(h.name, "Connection") ||
          core::iequals_ascii(h.name, "Content-Length") ||
          core::iequals_ascii(h.name, "Transfer-Encoding"))
        return true;
    }
    return false;
  }

  // The status line and headers of an HTTP/1.1 response as Beast's serializer writes them
  // for the same message (Server, Content-Type, the handler's headers in their order,
  // Connection: close when closing, Content-Length), into a buffer the connection reuses.
  void serialize_head(const Response& r, bool bodiless) {
    out_head_.clear();
    out_head_ += "HTTP/1.1 ";
    append_number(static_cast<unsigned>(r.status));
    out_head_ += ' ';
    const auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(r.status)));
    out_head_.append(reason.data(), reason.size());
    out_head_ += "\r\n";
    if (!core_->options.server_name.empty())
      append_field("Server", core_->options.server_name);
    if (!r.content_type.empty())
      append_field("Content-Type", r.content_type);
    for (const auto& h : r.headers)
      append_field(h.name, h.value);
    if (!keep_after_)
      out_head_ += "Connection: close\r\n";
    out_head_ += "Content-Length: ";
    append_number(bodiless ? 0 : r.body.size());
    out_head_ += "\r\n\r\n";
  }

  void append_field(std::string_view name, std::string_view value) {
    out_head_.append(name);
    out_head_ += ": ";
    out_head_.append(value);
    out_head_ += "\r\n";
  }

  void append_number(std::size_t n) {
    char digits[24];
    char* end = digits + sizeof digits;
    char* p = end;
    do {
      *--p = static_cast<char>('0' + n % 10);
      n /= 10;
    } while (n != 0);
    out_head_.append(p, static_cast<std::size_t>(end - p));
  }

  void on_write(const beast::error_code& ec) {
    res_.reset();
    out_body_.clear();
    if (ec) {
      if (ec == beast::error::timeout)
        counters().write_timeouts.fetch_add(1, std::memory_order_relaxed);
      close();
      return;
    }
    if (keep_after_) {
      read_next();
      return;
    }
    if (body_unread_) {
      linger();
      return;
    }
    close();
  }

  // Stops sending and drains what the client still sends, so the close does not turn into
  // a reset that would discard the response before the client reads it.
  void linger() {
    state_ = State::kLingering;
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().expires_after(kLingerTime);
    linger_read();
  }

  void linger_read() {
    buffer_.clear();
    lowest().async_read_some(buffer_.prepare(kFirstReadBytes),
                             [self = self()](const beast::error_code& ec, std::size_t n) {
                               self->lingered_ += n;
                               if (ec || self->lingered_ > kLingerBytes) {
                                 self->close();
                                 return;
                               }
                               self->linger_read();
                             });
  }

  void close() {
    if (closed_)
      return;
    closed_ = true;
    state_ = State::kClosed;
    if (auto s = response_stream_.lock())
      s->mark_closed();
    // stream_queue_ stays: a write in flight still reads its front piece.
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
    core_->connection_closed();
  }

  std::shared_ptr<internal::HttpServerCore> core_;
  Stream stream_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<internal::RequestParser> parser_;
  std::optional<http::response<http::string_body>> res_;  // the HTTP/1.0 path
  std::string out_head_;  // the response being written: status line and headers
  std::string out_body_;  // and its body
  Request request_;
  std::shared_ptr<const Route> route_;
  std::shared_ptr<const CorsPolicy> cors_;
  std::string origin_;
  State state_ = kTls ? State::kHandshake : State::kIdle;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool keep_after_ = false;
  bool body_unread_ = false;
  bool draining_ = false;
  bool closed_ = false;
  std::size_t lingered_ = 0;
  std::weak_ptr<ConnectionStream> response_stream_;  // a streamed response's writer side
  std::deque<StreamPiece> stream_queue_;
  bool stream_writing_ = false;
  bool stream_finishing_ = false;
  std::chrono::steady_clock::time_point request_start_;  // the first byte of the request
  bool deadline_armed_ = false;  // the stream's timer holds the request's read deadline
};

}  // namespace

// ---------------------------------------------------------------------------------------

core::Status internal::HttpServerCore::start() {
  auto address = parse_listen_address(options.listen);
  if (!address)
    return address.status();
  if (options.io_threads == 0)
    return core::invalid_argument("http server: io_threads must be at least 1");
  if (options.tls.enabled()) {
    tls.emplace(ssl::context::tls_server);
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    tls->use_certificate_chain_file(options.tls.certificate_file, ec);
    if (ec)
      return core::invalid_argument("http server: TLS certificate " + options.tls.certificate_file +
                                    ": " + ec.message());
    tls->use_private_key_file(options.tls.private_key_file, ssl::context::pem, ec);
    if (ec)
      return core::invalid_argument("http server: TLS private key " + options.tls.private_key_file +
                                    ": " + ec.message());
    if (!options.tls.client_ca_file.empty()) {
      tls->load_verify_file(options.tls.client_ca_file, ec);
      if (ec)
        return core::invalid_argument("http server: TLS client CA " + options.tls.client_ca_file +
                                      ": " + ec.message());
      tls->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
  }

  if (core::Status st = listen_on(acceptor, *address, "http server"); !st.ok())
    return st;
  port = acceptor.local_endpoint().port();
  url = std::string(tls ? "https://" : "http://") + host_port(address->host, port);

  // Longest prefix first.
  std::stable_sort(prefixes.begin(), prefixes.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  if (options.handler_threads > 0)
    handler_pool.emplace(options.handler_threads);

  asio::dispatch(acceptor.get_executor(), [self = shared_from_this()] { self->do_accept(); });
  work.emplace(io.get_executor());
  threads.reserve(options.io_threads);
  for (std::size_t i = 0; i < options.io_threads; ++i)
    threads.emplace_back([this] { io.run(); });
  return {};
}

void internal::HttpServerCore::do_accept() {
  acceptor.async_accept(asio::make_strand(io),
                        [self = shared_from_this()](const beast::error_code& ec, tcp::socket s) {
                          self->on_accept(ec, std::move(s));
                        });
}

void internal::HttpServerCore::refuse(tcp::socket& socket) {
  counters.connections_refused.fetch_add(1, std::memory_order_relaxed);
  static constexpr std::string_view kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

void internal::HttpServerCore::on_accept(const beast::error_code& ec, tcp::socket socket) {
  if (ec) {
    accept_again_later(ec, shared_from_this());
    return;
  }
  std::shared_ptr<ConnectionBase> connection;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopping) {
      beast::error_code ignored;
      socket.close(ignored);
      return;
    }
    if (open >= options.max_connections) {
      refuse(socket);
      do_accept();
      return;
    }
    beast::error_code rec;
    // Responses go out in one write each; Nagle would only delay them.
    socket.set_option(tcp::no_delay(true), rec);
    const auto peer = socket.remote_endpoint(rec);
    std::string remote = rec ? std::string() : host_port(peer.address().to_string(), peer.port());
    if (tls) {
      connection = std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
          shared_from_this(), std::move(remote), std::move(socket), *tls);
    } else {
      connection = std::make_shared<Connection<beast::tcp_stream>>(
          shared_from_this(), std::move(remote), std::move(socket));
    }
    connections.emplace(connection.get(), connection);
    ++open;
    counters.connections_active.store(open, std::memory_order_relaxed);
    counters.connections_accepted.fetch_add(1, std::memory_order_relaxed);
  }
  connection->start();
  do_accept();
}

void internal::HttpServerCore::stop(std::chrono::milliseconds deadline) {
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
  for (auto& c : snapshot())
    c->begin_drain();
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, deadline, [&] { return open == 0; });
  }
  for (auto& c : snapshot())
    c->force_close();
  work.reset();
  for (auto& t : threads)
    t.join();
  threads.clear();
  if (handler_pool)
    handler_pool->join();
  {
    std::lock_guard<std::mutex> lock(mu);
    stopped = true;
  }
  // Work queued between the I/O threads' exit and `stopped` (answers from handlers that
  // were still running) completes here against closed sockets.
  io.restart();
  while (io.poll() > 0) {
  }
}

// ---------------------------------------------------------------------------------------

HttpServer::HttpServer(HttpServerOptions options)
    : core_(std::make_shared<internal::HttpServerCore>(std::move(options))),
      drain_timeout_(core_->options.drain_timeout) {}

HttpServer::~HttpServer() {
  stop(drain_timeout_);
}

void HttpServer::route(std::string method, std::string path, Handler handler,
                       RouteOptions options) {
  auto route = std::make_shared<const Route>(Route{std::move(handler), std::move(options)});
  auto it = core_->exact.find(path);
  if (it == core_->exact.end())
    it = core_->exact.emplace(std::move(path), PathRoutes{}).first;
  it->second.set(std::move(method), std::move(route));
}

void HttpServer::route_prefix(std::string method, std::string prefix, Handler handler,
                              RouteOptions options) {
  auto route = std::make_shared<const Route>(Route{std::move(handler), std::move(options)});
  for (auto& [p, routes] : core_->prefixes) {
    if (p == prefix) {
      routes.set(std::move(method), std::move(route));
      return;
    }
  }
  PathRoutes routes;
  routes.set(std::move(method), std::move(route));
  core_->prefixes.emplace_back(std::move(prefix), std::move(routes));
}

core::Status HttpServer::start() {
  {
    std::lock_guard<std::mutex> lock(core_->mu);
    if (core_->started)
      return core::Status(core::StatusCode::kFailedPrecondition, "http server: already started");
  }
  core::Status st = core_->start();
  if (st.ok()) {
    std::lock_guard<std::mutex> lock(core_->mu);
    core_->started = true;
  }
  return st;
}

void HttpServer::stop(std::chrono::milliseconds deadline) {
  core_->stop(deadline);
}

void HttpServer::defer(std::function<void()> work) {
  core_->post_unless_stopped(core_->io.get_executor(), std::move(work));
}

std::uint16_t HttpServer::port() const noexcept {
  return core_->port;
}

std::string HttpServer::url() const {
  return core_->url;
}

const HttpServerCounters& HttpServer::counters() const noexcept {
  return core_->counters;
}

}  // namespace edgetrace::net
