// The web viewer's files (apps/edgetraced/ui/static/), embedded into the binary at build
// time by embed_static.cmake, and their serving at / on the UI listener.
//
//   for (const ui::StaticFile& f : ui::static_files()) ...   // "/index.html", "/app.js"...
//   net::Response r = ui::serve_static(request);              // GET /trace/abc -> index.html
//
// Serving rules: "/" is /index.html; a path naming a file answers it with its Content-Type,
// its ETag and `Cache-Control: no-cache` (browsers revalidate each time: file names carry no
// content hash); If-None-Match with the ETag answers 304 without a body. Any other path
// answers /index.html (the viewer's client-side routes: /trace/<id>, /logs, /live), except
// paths under /api/, which the query API owns (404 there).
//
// Thread-safety: the table is constant; serve_static() is a pure function. Allocation: the
// response body is a copy of the file.
#pragma once

#include <span>
#include <string_view>

#include "edgetrace/net/http.hpp"

namespace edgetrace::daemon::ui {

struct StaticFile {
  std::string_view path;          // "/index.html"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view etag;          // "\"0123456789abcdef\"" (quoted)
  std::string_view body;
};

// Every embedded file, sorted by path. Views into static storage.
std::span<const StaticFile> static_files();
// The file at `path` ("/" = "/index.html"), or nullptr.
const StaticFile* find_static_file(std::string_view path);

net::Response serve_static(const net::Request& request);

}  // namespace edgetrace::daemon::ui
