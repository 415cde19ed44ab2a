#include "symbol_http.hpp"

#include <gtest/gtest.h>

#include "testing/symbol_fixture_elf.hpp"
#include "testing/temp_dir.hpp"

namespace edgetrace::decoder {
namespace {

using core::StatusCode;
using edgetrace::testing::fixture_elf;
using edgetrace::testing::TempDir;

constexpr const char* kToken = "s3cret-upload-token";

class SymbolHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SymbolStoreOptions options;
    options.directory = dir_.path();
    options.max_elf_bytes = 4 << 20;
    auto store = SymbolStore::open(options);
    ASSERT_TRUE(store);
    store_ = std::move(*store);
    handler_ = std::make_unique<SymbolHttpHandler>(*store_, kToken);
    auto server = SymbolHttpServer::start(*handler_, {});
    ASSERT_TRUE(server) << server.status().to_string();
    server_ = std::move(*server);
  }

  TempDir dir_;
  std::unique_ptr<SymbolStore> store_;
  std::unique_ptr<SymbolHttpHandler> handler_;
  std::unique_ptr<SymbolHttpServer> server_;
};

TEST_F(SymbolHttpTest, UploadFetchListShowDeleteOverARealSocket) {
  EXPECT_EQ(server_->url().rfind("http://127.0.0.1:", 0), 0u);
  SymbolHttpClient client(server_->url(), kToken);
  const auto elf = fixture_elf();

  auto put = client.upload(elf);
  ASSERT_TRUE(put) << put.status().to_string();
  EXPECT_FALSE(put->already_present);
  EXPECT_EQ(put->info.call_sites, 3u);
  EXPECT_EQ(put->info.size, elf.size());
  EXPECT_EQ(put->info.kind, SymbolKind::kEdgetrace);
  const std::string id = put->info.build_id;
  EXPECT_EQ(store_->counters().puts, 1u);

  auto again = client.upload(elf);
  ASSERT_TRUE(again) << again.status().to_string();
  EXPECT_TRUE(again->already_present);

  auto fetched = client.fetch(id);
  ASSERT_TRUE(fetched) << fetched.status().to_string();
  EXPECT_EQ(*fetched, elf);

  auto all = client.list();
  ASSERT_TRUE(all) << all.status().to_string();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().build_id, id);
  EXPECT_EQ(all->front().call_sites, 3u);

  auto shown = client.show(id);
  ASSERT_TRUE(shown) << shown.status().to_string();
  EXPECT_EQ(shown->size, elf.size());
  EXPECT_EQ(shown->name, "");  // uploaded without a name

  // The file name travels in X-Edgetrace-Elf-Name and is kept.
  auto named = client.upload(elf, "build/sensor.elf");
  ASSERT_TRUE(named) << named.status().to_string();
  EXPECT_EQ(named->info.name, "sensor.elf");
  EXPECT_EQ(client.show(id)->name, "sensor.elf");
  EXPECT_EQ(shown->uploaded_unix_seconds, put->info.uploaded_unix_seconds);

  ASSERT_TRUE(client.remove(id).ok());
  auto gone = client.fetch(id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(client.remove(id).code(), StatusCode::kNotFound);
}

TEST_F(SymbolHttpTest, ConflictIsReportedAsAlreadyExists) {
  SymbolHttpClient client(server_->url(), kToken);
  auto elf = fixture_elf();
  ASSERT_TRUE(client.upload(elf));
  elf.push_back(1);
  auto r = client.upload(elf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(r.status().message().find("409"), std::string::npos);
  EXPECT_NE(r.status().message().find("conflict"), std::string::npos);
}

TEST_F(SymbolHttpTest, WritesNeedTheTokenAndErrorsNeverShowIt) {
  const auto elf = fixture_elf();
  SymbolHttpClient anonymous(server_->url(), "");
  auto no_token = anonymous.upload(elf);
  ASSERT_FALSE(no_token);
  EXPECT_EQ(no_token.status().code(), StatusCode::kUnauthenticated);

  const std::string wrong = "wrong-token-value-123";
  SymbolHttpClient intruder(server_->url(), wrong);
  auto bad = intruder.upload(elf);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(bad.status().message().find(wrong), std::string::npos);
  EXPECT_EQ(bad.status().message().find(kToken), std::string::npos);
  EXPECT_EQ(store_->counters().puts, 0u);

  // Reads need no token.
  SymbolHttpClient owner(server_->url(), kToken);
  auto put = owner.upload(elf);
  ASSERT_TRUE(put);
  EXPECT_TRUE(anonymous.fetch(put->info.build_id));
  EXPECT_EQ(intruder.remove(put->info.build_id).code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(store_->show(put->info.build_id));
}

TEST_F(SymbolHttpTest, HandlerChecksPathsMethodsAndTheBuildIdOfTheBody) {
  const auto elf = fixture_elf();
  const std::string body(elf.begin(), elf.end());
  const std::string auth = std::string("Bearer ") + kToken;
  auto call = [&](std::string method, std::string target, std::string b = "") {
    return handler_->handle({std::move(method), std::move(target), auth, std::move(b)});
  };
  EXPECT_EQ(call("GET", "/api/v1/other").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/symbols/xyz").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/symbols/abcd").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/symbols/abcd/other").status, 404);
  EXPECT_EQ(call("POST", "/api/v1/symbols").status, 405);
  EXPECT_EQ(call("POST", "/api/v1/symbols/abcd").status, 405);
  auto mismatch = call("PUT", "/api/v1/symbols/abcd", body);
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_NE(mismatch.body.find("not the abcd of the URL"), std::string::npos) << mismatch.body;
  EXPECT_EQ(call("PUT", "/api/v1/symbols/abcd", "not an elf").status, 400);
  auto list = call("GET", "/api/v1/symbols?x=1");
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.body, "{\"symbols\":[]}");

  // A handler without a token refuses every write, even one that sends a token.
  SymbolHttpHandler read_only(*store_, "");
  EXPECT_EQ(read_only.handle({"PUT", "/api/v1/symbols/abcd", "Bearer ", body}).status, 401);
  EXPECT_EQ(read_only.handle({"PUT", "/api/v1/symbols/abcd", "Bearer x", body}).status, 403);
}

TEST_F(SymbolHttpTest, OversizedUploadIsRefusedWith413) {
  // The client's own limit is higher than the server's (4 MiB).
  SymbolHttpClientOptions options;
  options.max_elf_bytes = 64 << 20;
  SymbolHttpClient client(server_->url(), kToken, options);
  auto elf = fixture_elf();
  elf.resize(5 << 20);  // trailing zeros: still an ELF with its build-id
  auto r = client.upload(elf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().to_string();
}

TEST_F(SymbolHttpTest, UnreachableServerIsUnavailable) {
  const std::string url = server_->url();
  server_->stop();
  SymbolHttpClient client(url, kToken);
  auto r = client.list();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace edgetrace::decoder
