// SymbolHttpHandler (the symbols API over a SymbolStore) and SymbolHttpServer (the handler
// mounted on an edgetrace::net::HttpServer).
#include <optional>
#include <utility>

#include "edgetrace/net/address.hpp"

#include "edgetrace/core/text.hpp"
#include "edgetrace/decoder/render.hpp"
#include "symbol_http.hpp"

namespace edgetrace::decoder {
namespace {

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

}  // namespace

std::string symbol_info_json(const SymbolInfo& info) {
  std::string out = "{\"build_id\":";
  core::append_json_string(out, info.build_id, decoder::kJsonEscape);
  out += ",\"size\":" + std::to_string(info.size);
  out += ",\"uploaded\":" + std::to_string(info.uploaded_unix_seconds);
  out += ",\"kind\":";
  core::append_json_string(out, to_string(info.kind), decoder::kJsonEscape);
  out += ",\"call_sites\":" + std::to_string(info.call_sites);
  if (!info.name.empty()) {
    out += ",\"name\":";
    core::append_json_string(out, info.name, decoder::kJsonEscape);
  }
  out += "}";
  return out;
}

SymbolHttpHandler::SymbolHttpHandler(SymbolStore& store, std::string write_token)
    : store_(store), token_(std::move(write_token)) {}

int SymbolHttpHandler::authorize(const std::string& authorization) const {
  const std::optional<std::string_view> token = core::bearer_token(authorization);
  if (!token)
    return 401;
  if (token_.empty())
    return 403;
  return core::constant_time_equal(*token, token_) ? 0 : 403;
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
  auto put = store_.put(elf, request.elf_name);
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

namespace {

net::Response to_net(SymbolHttpResponse&& out) {
  net::Response r;
  r.status = out.status;
  r.content_type = std::move(out.content_type);
  r.body = std::move(out.body);
  if (out.status == 401)
    r.headers.push_back({"WWW-Authenticate", "Bearer"});
  return r;
}

}  // namespace

void mount_symbols_api(net::HttpServer& server, const SymbolHttpHandler& handler) {
  mount_symbols_api(server, handler, SymbolsMount{});
}

void mount_symbols_api(net::HttpServer& server, const SymbolHttpHandler& handler,
                       SymbolsMount mount) {
  const SymbolHttpHandler* h = &handler;
  auto on_stored =
      std::make_shared<const std::function<void(const std::string&)>>(std::move(mount.on_stored));
  const std::string prefix = mount.prefix;
  net::Handler serve = net::sync_handler([h, prefix, on_stored](net::Request&& request) {
    SymbolHttpRequest r;
    r.method = std::move(request.method);
    r.target = std::move(request.target);
    // The handler parses kSymbolsApiPath; another mount point maps onto it.
    if (prefix != kSymbolsApiPath && r.target.starts_with(prefix))
      r.target = std::string(kSymbolsApiPath) + r.target.substr(prefix.size());
    r.authorization = std::string(request.header("Authorization"));
    r.elf_name = std::string(request.header("X-Edgetrace-Elf-Name"));
    r.body = std::move(request.body);
    SymbolHttpResponse response = h->handle(r);
    if (response.status == 201 && *on_stored) {
      const std::string_view rest = std::string_view(r.target).substr(kSymbolsApiPath.size());
      (*on_stored)(std::string(rest.starts_with('/') ? rest.substr(1) : rest));
    }
    return to_net(std::move(response));
  });
  net::RouteOptions writes;
  writes.max_body_bytes = handler.max_body_bytes();
  // Checked on the headers, so a client without the token cannot make the server read (or
  // buffer) an ELF.
  writes.auth = [h](const net::Request& request) -> std::optional<net::Response> {
    const int denied = h->authorize(std::string(request.header("Authorization")));
    if (denied == 0)
      return std::nullopt;
    return to_net(json_error(denied, denied == 401
                                         ? "a bearer token is required to change symbols"
                                         : "the bearer token is not valid for this store"));
  };
  server.route_prefix("GET", prefix, serve);
  server.route_prefix("PUT", prefix, serve, writes);
  server.route_prefix("DELETE", prefix, serve, writes);
}

SymbolHttpServer::SymbolHttpServer(std::unique_ptr<net::HttpServer> server)
    : server_(std::move(server)) {}

SymbolHttpServer::~SymbolHttpServer() {
  stop();
}

core::Result<std::unique_ptr<SymbolHttpServer>> SymbolHttpServer::start(
    const SymbolHttpHandler& handler, SymbolHttpServerOptions options) {
  net::HttpServerOptions http;
  http.listen =
      options.listen.empty() ? net::host_port(options.bind_address, options.port) : options.listen;
  http.io_threads = options.io_threads;
  // The store does file I/O: keep it off the I/O threads.
  http.handler_threads = options.handler_threads;
  http.max_connections = options.max_connections;
  http.max_body_bytes = handler.max_body_bytes();
  http.idle_timeout = options.io_timeout;
  http.read_timeout = options.read_timeout;
  http.write_timeout = options.read_timeout;
  http.drain_timeout = options.drain_timeout;
  http.tls = options.tls;
  auto server = std::make_unique<net::HttpServer>(std::move(http));
  mount_symbols_api(*server, handler);
  if (core::Status st = server->start(); !st.ok())
    return st.with_context("symbol server");
  return std::unique_ptr<SymbolHttpServer>(new SymbolHttpServer(std::move(server)));
}

std::uint16_t SymbolHttpServer::port() const noexcept {
  return server_->port();
}

std::string SymbolHttpServer::url() const {
  return server_->url();
}

void SymbolHttpServer::stop() {
  server_->stop();
}

void SymbolHttpServer::stop(std::chrono::milliseconds deadline) {
  server_->stop(deadline);
}

const net::HttpServerCounters& SymbolHttpServer::counters() const noexcept {
  return server_->counters();
}

}  // namespace edgetrace::decoder
