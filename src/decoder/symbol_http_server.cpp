// SymbolHttpHandler (the symbols API over a SymbolStore) and SymbolHttpServer (Boost.Beast,
// one thread per connection).
#include <sys/socket.h>
#include <sys/time.h>

#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <set>

#include "edgetrace/core/text.hpp"
#include "edgetrace/decoder/render.hpp"
#include "symbol_http.hpp"

namespace edgetrace::decoder {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using core::StatusCode;

SymbolHttpResponse json_error(int status, std::string_view message) {
  SymbolHttpResponse r;
  r.status = status;
  r.body = "{\"error\":";
  core::append_json_string(r.body, message, decoder::kJsonEscape);
  r.body += "}";
  return r;
}

int http_status_for(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kResourceExhausted:
      return 413;
    default:
      return 500;
  }
}

// Equal strings in time that depends only on their lengths, not on where they differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i)
    diff |=
        static_cast<unsigned>(static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]));
  return diff == 0;
}

}  // namespace

std::string symbol_info_json(const SymbolInfo& info) {
  std::string out = "{\"build_id\":";
  core::append_json_string(out, info.build_id, decoder::kJsonEscape);
  out += ",\"size\":" + std::to_string(info.size);
  out += ",\"uploaded\":" + std::to_string(info.uploaded_unix_seconds);
  out += ",\"kind\":";
  core::append_json_string(out, to_string(info.kind), decoder::kJsonEscape);
  out += ",\"call_sites\":" + std::to_string(info.call_sites);
  out += "}";
  return out;
}

SymbolHttpHandler::SymbolHttpHandler(SymbolStore& store, std::string write_token)
    : store_(store), token_(std::move(write_token)) {}

int SymbolHttpHandler::authorize(const std::string& authorization) const {
  constexpr std::string_view kScheme = "bearer ";
  const std::string_view value = core::trim_ows(authorization);
  if (value.size() <= kScheme.size() ||
      !core::iequals_ascii(value.substr(0, kScheme.size()), kScheme))
    return 401;
  if (token_.empty())
    return 403;
  return constant_time_equal(core::trim_ows(value.substr(kScheme.size())), token_) ? 0 : 403;
}

SymbolHttpResponse SymbolHttpHandler::handle(const SymbolHttpRequest& request) const {
  std::string_view path = request.target;
  if (const auto q = path.find('?'); q != std::string_view::npos)
    path = path.substr(0, q);
  if (path.substr(0, kSymbolsApiPath.size()) != kSymbolsApiPath)
    return json_error(404, "no such endpoint");
  path.remove_prefix(kSymbolsApiPath.size());

  if (path.empty() || path == "/") {
    if (request.method != "GET")
      return json_error(405, "use GET to list symbols");
    auto all = store_.list();
    if (!all)
      return json_error(500, all.status().message());
    SymbolHttpResponse r;
    r.body = "{\"symbols\":[";
    for (std::size_t i = 0; i < all->size(); ++i) {
      if (i > 0)
        r.body += ",";
      r.body += symbol_info_json((*all)[i]);
    }
    r.body += "]}";
    return r;
  }
  if (path.front() != '/')
    return json_error(404, "no such endpoint");
  path.remove_prefix(1);
  bool info = false;
  if (const auto slash = path.find('/'); slash != std::string_view::npos) {
    if (path.substr(slash) != "/info")
      return json_error(404, "no such endpoint");
    info = true;
    path = path.substr(0, slash);
  }
  auto id = normalize_build_id(path);
  if (!id)
    return json_error(400, id.status().message());

  if (info || request.method == "GET") {
    if (request.method != "GET")
      return json_error(405, "use GET for symbol information");
    if (info) {
      auto shown = store_.show(*id);
      if (!shown)
        return json_error(http_status_for(shown.status().code()), shown.status().message());
      return SymbolHttpResponse{200, "application/json", symbol_info_json(*shown)};
    }
    auto bytes = store_.read_elf(*id);
    if (!bytes)
      return json_error(http_status_for(bytes.status().code()), bytes.status().message());
    return SymbolHttpResponse{200, "application/octet-stream",
                              std::string(bytes->begin(), bytes->end())};
  }
  if (request.method != "PUT" && request.method != "DELETE")
    return json_error(405, "method not allowed");
  if (const int denied = authorize(request.authorization); denied != 0) {
    return json_error(denied, denied == 401 ? "a bearer token is required to change symbols"
                                            : "the bearer token is not valid for this store");
  }
  if (request.method == "DELETE") {
    core::Status st = store_.remove(*id);
    if (!st.ok())
      return json_error(http_status_for(st.code()), st.message());
    return SymbolHttpResponse{204, "application/json", ""};
  }
  const auto* data = reinterpret_cast<const std::uint8_t*>(request.body.data());
  std::span<const std::uint8_t> elf(data, request.body.size());
  // Check before storing that the ELF is the one the path names.
  auto checked = check_elf(elf, store_.options().max_elf_bytes);
  if (!checked)
    return json_error(http_status_for(checked.status().code()), checked.status().message());
  if (checked->entry->build_id != *id) {
    return json_error(400, "the ELF's build-id is " + checked->entry->build_id + ", not the " +
                               *id + " of the URL");
  }
  auto put = store_.put(elf);
  if (!put)
    return json_error(http_status_for(put.status().code()), put.status().message());
  SymbolHttpResponse r;
  r.status = put->already_present ? 200 : 201;
  r.body = symbol_info_json(put->info);
  r.body.insert(r.body.size() - 1,
                std::string(",\"already_present\":") + (put->already_present ? "true" : "false"));
  return r;
}

// ---------------------------------------------------------------------------------------

struct SymbolHttpServer::State {
  const SymbolHttpHandler* handler = nullptr;
  SymbolHttpServerOptions options;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;

  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::size_t active = 0;
  std::set<int> open_fds;  // connections being served, shut down by stop()

  void accept_loop();
  void serve(tcp::socket socket);
};

void SymbolHttpServer::State::accept_loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return stopping || active < options.max_connections; });
      if (stopping)
        return;
    }
    tcp::socket socket(io);
    boost::system::error_code ec;
    acceptor.accept(socket, ec);
    std::lock_guard<std::mutex> lock(mu);
    if (stopping)
      return;
    if (ec)
      continue;
    ++active;
    open_fds.insert(socket.native_handle());
    std::thread([this, s = std::move(socket)]() mutable { serve(std::move(s)); }).detach();
  }
}

void SymbolHttpServer::State::serve(tcp::socket socket) {
  const int fd = socket.native_handle();
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(options.io_timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((options.io_timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(handler->max_body_bytes());
    boost::system::error_code ec;
    http::read(socket, buffer, parser, ec);
    if (ec == http::error::body_limit) {
      http::response<http::string_body> res{http::status::payload_too_large, 11};
      res.set(http::field::content_type, "application/json");
      res.body() = "{\"error\":\"the ELF is over the store's size limit of " +
                   std::to_string(handler->max_body_bytes()) + " bytes\"}";
      res.keep_alive(false);
      res.prepare_payload();
      http::write(socket, res, ec);
      break;
    }
    if (ec)
      break;
    auto& req = parser.get();
    SymbolHttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.authorization = std::string(req[http::field::authorization]);
    request.body = std::move(req.body());
    const bool keep_alive = req.keep_alive();
    SymbolHttpResponse out = handler->handle(request);

    http::response<http::string_body> res{static_cast<http::status>(out.status), req.version()};
    res.set(http::field::server, "edgetrace");
    res.set(http::field::content_type, out.content_type);
    if (out.status == 401)
      res.set(http::field::www_authenticate, "Bearer");
    res.body() = std::move(out.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !keep_alive)
      break;
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  std::lock_guard<std::mutex> lock(mu);
  open_fds.erase(fd);
  socket.close(ignored);
  --active;
  cv.notify_all();
}

SymbolHttpServer::SymbolHttpServer(std::unique_ptr<State> state) : state_(std::move(state)) {}

SymbolHttpServer::~SymbolHttpServer() {
  stop();
}

core::Result<std::unique_ptr<SymbolHttpServer>> SymbolHttpServer::start(
    const SymbolHttpHandler& handler, SymbolHttpServerOptions options) {
  auto state = std::make_unique<State>();
  state->handler = &handler;
  state->options = options;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options.bind_address, ec);
  if (ec)
    return core::invalid_argument("symbol server: bad bind address " + options.bind_address);
  const tcp::endpoint ep(address, options.port);
  state->acceptor.open(ep.protocol(), ec);
  if (!ec)
    state->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    state->acceptor.bind(ep, ec);
  if (!ec)
    state->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::Status(StatusCode::kUnavailable,
                        "symbol server: cannot listen on " + options.bind_address + ":" +
                            std::to_string(options.port) + ": " + ec.message());
  }
  std::unique_ptr<SymbolHttpServer> server(new SymbolHttpServer(std::move(state)));
  server->port_ = server->state_->acceptor.local_endpoint().port();
  State* s = server->state_.get();
  s->accept_thread = std::thread([s] { s->accept_loop(); });
  return server;
}

std::string SymbolHttpServer::url() const {
  return "http://" + state_->options.bind_address + ":" + std::to_string(port_);
}

void SymbolHttpServer::stop() {
  if (!state_)
    return;
  State& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.stopping && !s.accept_thread.joinable())
      return;
    s.stopping = true;
    for (int fd : s.open_fds)
      ::shutdown(fd, SHUT_RDWR);  // wakes each connection's blocking read
  }
  s.cv.notify_all();
  // Wakes the blocking accept().
  ::shutdown(s.acceptor.native_handle(), SHUT_RDWR);
  if (s.accept_thread.joinable())
    s.accept_thread.join();
  boost::system::error_code ec;
  s.acceptor.close(ec);
  std::unique_lock<std::mutex> lock(s.mu);
  s.cv.wait(lock, [&] { return s.active == 0; });
}

}  // namespace edgetrace::decoder
