#include "ui/static_files.hpp"

#include "edgetrace/core/text.hpp"

namespace edgetrace::daemon::ui {

const StaticFile* find_static_file(std::string_view path) {
  if (path == "/")
    path = "/index.html";
  for (const StaticFile& f : static_files()) {
    if (f.path == path)
      return &f;
  }
  return nullptr;
}

namespace {

// If-None-Match: a list of entity tags, or "*" (RFC 9110 §13.1.2); weak tags compare by
// their opaque part.
bool etag_matches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view tag = core::trim_ows(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    if (tag == "*")
      return true;
    if (tag.substr(0, 2) == "W/")
      tag.remove_prefix(2);
    if (tag == etag)
      return true;
  }
  return false;
}

}  // namespace

net::Response serve_static(const net::Request& request) {
  const StaticFile* file = find_static_file(request.path);
  if (file == nullptr) {
    if (request.path.substr(0, 5) == "/api/" || request.path == "/api")
      return net::Response::json(404,
                                 "{\"data\":null,\"total\":0,\"limit\":0,\"offset\":0,"
                                 "\"errors\":[{\"code\":404,\"msg\":\"no such endpoint\"}]}");
    file = find_static_file("/index.html");
    if (file == nullptr)
      return net::Response::text(404, "no such file\n");
  }
  if (const std::string_view inm = request.header("If-None-Match");
      !inm.empty() && etag_matches(inm, file->etag)) {
    net::Response r = net::Response::empty(304);
    r.headers.push_back({"ETag", std::string(file->etag)});
    r.headers.push_back({"Cache-Control", "no-cache"});
    return r;
  }
  net::Response r;
  r.status = 200;
  r.content_type = std::string(file->content_type);
  r.body = std::string(file->body);
  r.headers.push_back({"ETag", std::string(file->etag)});
  r.headers.push_back({"Cache-Control", "no-cache"});
  r.headers.push_back({"X-Content-Type-Options", "nosniff"});
  return r;
}

}  // namespace edgetrace::daemon::ui
