// The embedded viewer: every file under static/ is in the table with its bytes, served with
// ETag and Cache-Control, 304 on a matching If-None-Match, index.html for client routes.
#include "ui/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace edgetrace::daemon::ui {
namespace {

net::Request get(std::string path, std::vector<net::Header> headers = {}) {
  net::Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.target = r.path;
  r.headers = std::move(headers);
  return r;
}

TEST(StaticFilesTest, EveryFileUnderStaticIsEmbeddedByteForByte) {
  std::size_t on_disk = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(ET_UI_STATIC_DIR)) {
    if (!entry.is_regular_file())
      continue;
    ++on_disk;
    const std::string rel =
        "/" + std::filesystem::relative(entry.path(), ET_UI_STATIC_DIR).generic_string();
    const StaticFile* f = find_static_file(rel);
    ASSERT_NE(f, nullptr) << rel;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(f->body, ss.str()) << rel;
    EXPECT_EQ(f->etag.size(), 18u);
    EXPECT_EQ(f->etag.front(), '"');
  }
  EXPECT_EQ(static_files().size(), on_disk);
  ASSERT_NE(find_static_file("/index.html"), nullptr);
  EXPECT_EQ(find_static_file("/index.html")->content_type, "text/html; charset=utf-8");
}

TEST(StaticFilesTest, ServesFilesWithValidators) {
  net::Response r = serve_static(get("/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r.body, find_static_file("/index.html")->body);
  std::string etag;
  std::string cache;
  for (const auto& h : r.headers) {
    if (h.name == "ETag")
      etag = h.value;
    if (h.name == "Cache-Control")
      cache = h.value;
  }
  EXPECT_EQ(etag, find_static_file("/index.html")->etag);
  EXPECT_EQ(cache, "no-cache");

  net::Response again = serve_static(get("/index.html", {{"If-None-Match", "W/" + etag}}));
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  net::Response other = serve_static(get("/index.html", {{"If-None-Match", "\"other\""}}));
  EXPECT_EQ(other.status, 200);
}

TEST(StaticFilesTest, ClientRoutesGetIndexButApiPathsDoNot) {
  for (const char* path : {"/trace/0af7651916cd43dd8448eb211c80319c", "/logs", "/live", "/x/y"}) {
    net::Response r = serve_static(get(path));
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, find_static_file("/index.html")->body) << path;
  }
  net::Response api = serve_static(get("/api/nope"));
  EXPECT_EQ(api.status, 404);
  EXPECT_EQ(api.content_type, "application/json");
}

}  // namespace
}  // namespace edgetrace::daemon::ui
