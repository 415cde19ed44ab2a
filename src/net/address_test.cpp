#include "edgetrace/net/address.hpp"

#include <gtest/gtest.h>

namespace edgetrace::net {
namespace {

TEST(ListenAddressTest, ParsesIpv4Ipv6LocalhostAndAny) {
  auto a = parse_listen_address("127.0.0.1:4318");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 4318);
  auto b = parse_listen_address("[::1]:0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  EXPECT_EQ(parse_listen_address("localhost:80")->host, "127.0.0.1");
  EXPECT_EQ(parse_listen_address("*:80")->host, "::");
  EXPECT_EQ(parse_listen_address("0.0.0.0:65535")->port, 65535);
}

TEST(ListenAddressTest, RejectsMalformedAddressesWithTheText) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "::1:80", "[::1]80",
                          "[::1", "example.com:80", "1.2.3.4:8x", ":80"}) {
    auto r = parse_listen_address(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(std::string("\"") + bad + "\""), std::string::npos);
  }
}

TEST(ListenAddressTest, HostPortBracketsIpv6) {
  EXPECT_EQ(host_port("::1", 80), "[::1]:80");
  EXPECT_EQ(host_port("10.0.0.1", 8080), "10.0.0.1:8080");
}

}  // namespace
}  // namespace edgetrace::net
