// The request-reading steps shared by the server and the fuzz target.
#include "internal/request_reading.hpp"

#include <zlib.h>

#include <gtest/gtest.h>

#include "testing/gzip.hpp"

namespace edgetrace::net::internal {
namespace {

std::string gzip(std::string_view data) {
  return edgetrace::testing::gzip(data, 6);
}

TEST(GunzipTest, InflatesOneOrSeveralMembers) {
  auto one = gunzip(gzip("hello world"), 100);
  ASSERT_TRUE(one) << one.status().to_string();
  EXPECT_EQ(*one, "hello world");
  auto two = gunzip(gzip("abc") + gzip("def"), 100);
  ASSERT_TRUE(two) << two.status().to_string();
  EXPECT_EQ(*two, "abcdef");
  EXPECT_EQ(*gunzip(gzip(""), 0), "");
}

TEST(GunzipTest, StopsAtTheOutputCap) {
  const std::string big(100000, 'a');
  auto r = gunzip(gzip(big), 99999);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), core::StatusCode::kResourceExhausted);
  EXPECT_TRUE(gunzip(gzip(big), 100000));
}

TEST(GunzipTest, RejectsMalformedTruncatedAndTrailingData) {
  std::string z = gzip("some text to compress");
  EXPECT_EQ(gunzip(z.substr(0, z.size() - 3), 100).status().code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(gunzip("plain", 100).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(gunzip("", 100).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(gunzip(z + "junk", 100).status().code(), core::StatusCode::kInvalidArgument);
}

TEST(ParseRequestBytesTest, StatusesForEachLimit) {
  ReadLimits limits;
  limits.max_header_bytes = 200;
  limits.max_body_bytes = 10;
  limits.max_decompressed_bytes = 50;
  auto ok = parse_request_bytes("POST /a?b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz", limits);
  EXPECT_TRUE(ok.complete);
  EXPECT_EQ(ok.status, 0);
  EXPECT_EQ(ok.request.path, "/a");
  EXPECT_EQ(ok.request.query, "b");
  EXPECT_EQ(ok.request.body, "xyz");
  EXPECT_EQ(
      parse_request_bytes("GET / HTTP/1.1\r\nX: " + std::string(300, 'a') + "\r\n\r\n", limits)
          .status,
      431);
  EXPECT_EQ(parse_request_bytes("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits).status,
            413);
  EXPECT_EQ(
      parse_request_bytes(
          "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", limits)
          .status,
      413);
  EXPECT_EQ(parse_request_bytes("GARBAGE\r\n\r\n", limits).status, 400);
  const std::string z = gzip(std::string(60, 'c'));
  limits.max_body_bytes = 1000;
  EXPECT_EQ(parse_request_bytes("POST / HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: " +
                                    std::to_string(z.size()) + "\r\n\r\n" + z,
                                limits)
                .status,
            413);
  auto partial = parse_request_bytes("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", limits);
  EXPECT_FALSE(partial.complete);
  EXPECT_EQ(partial.status, 0);
}

}  // namespace
}  // namespace edgetrace::net::internal
