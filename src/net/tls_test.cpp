// HttpServer with TLS and mutual TLS, with certificates made by the openssl CLI for this run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "edgetrace/net/http_server.hpp"
#include "net_test_support.hpp"
#include "testing/test_certificates.hpp"

namespace edgetrace::net {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using testing_support::wait_for_count;

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char pattern[] = "/tmp/edgetrace-net-tls-XXXXXX";
    const char* made = mkdtemp(pattern);
    ASSERT_NE(made, nullptr);
    dir_ = new std::filesystem::path(made);
    const std::string error = edgetrace::testing::make_test_certificates(*dir_);
    ASSERT_TRUE(error.empty()) << error;
  }

  static void TearDownTestSuite() {
    if (dir_ != nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(*dir_, ec);
      delete dir_;
      dir_ = nullptr;
    }
  }

  static std::string path(const char* name) { return (*dir_ / name).string(); }

  void start(bool mutual) {
    HttpServerOptions o;
    o.tls.certificate_file = path("server.pem");
    o.tls.private_key_file = path("server.key");
    if (mutual)
      o.tls.client_ca_file = path("ca.pem");
    o.read_timeout = std::chrono::milliseconds(testing_support::kDeadline);
    server_ = std::make_unique<HttpServer>(o);
    server_->route("GET", "/hello", sync_handler([](Request&& r) {
                     return Response::text(200, r.tls ? "tls" : "plain");
                   }));
    auto st = server_->start();
    ASSERT_TRUE(st.ok()) << st.to_string();
  }

  // One GET /hello over TLS; the status, or -1 if the handshake or exchange failed.
  int get_hello(const char* client_name) {
    asio::io_context io;
    ssl::context ctx(ssl::context::tls_client);
    ctx.load_verify_file(path("ca.pem"));
    ctx.set_verify_mode(ssl::verify_peer);
    if (client_name != nullptr) {
      ctx.use_certificate_chain_file(path((std::string(client_name) + ".pem").c_str()));
      ctx.use_private_key_file(path((std::string(client_name) + ".key").c_str()),
                               ssl::context::pem);
    }
    ssl::stream<tcp::socket> stream(io, ctx);
    boost::system::error_code ec;
    stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), server_->port()}, ec);
    if (ec)
      return -1;
    stream.handshake(ssl::stream_base::client, ec);
    if (ec)
      return -1;
    http::request<http::empty_body> req{http::verb::get, "/hello", 11};
    req.set(http::field::host, "localhost");
    http::write(stream, req, ec);
    if (ec)
      return -1;
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res, ec);
    if (ec)
      return -1;
    body_ = res.body();
    return static_cast<int>(res.result_int());
  }

  static std::filesystem::path* dir_;
  std::unique_ptr<HttpServer> server_;
  std::string body_;
};

std::filesystem::path* TlsTest::dir_ = nullptr;

TEST_F(TlsTest, ServesOverTls) {
  start(false);
  EXPECT_EQ(server_->url().rfind("https://127.0.0.1:", 0), 0u);
  EXPECT_EQ(get_hello(nullptr), 200);
  EXPECT_EQ(body_, "tls");
  // A plain-text client fails the handshake and is counted.
  testing_support::RawClient plain(server_->port());
  ASSERT_TRUE(plain.send(testing_support::get("/hello")));
  EXPECT_TRUE(plain.wait_closed());
  EXPECT_TRUE(wait_for_count(server_->counters().tls_handshake_failures, 1));
}

TEST_F(TlsTest, MutualTlsAcceptsOnlyClientsWithACertificateFromTheCa) {
  start(true);
  EXPECT_EQ(get_hello("client"), 200);
  EXPECT_EQ(get_hello(nullptr), -1);
  EXPECT_EQ(get_hello("stranger"), -1);
  EXPECT_TRUE(wait_for_count(server_->counters().tls_handshake_failures, 2));
  EXPECT_EQ(server_->counters().responses_2xx.load(), 1u);
}

TEST_F(TlsTest, MissingCertificateFileIsAClearError) {
  HttpServerOptions o;
  o.tls.certificate_file = path("does-not-exist.pem");
  o.tls.private_key_file = path("server.key");
  HttpServer server(o);
  auto st = server.start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("does-not-exist.pem"), std::string::npos);
}

}  // namespace
}  // namespace edgetrace::net
