// gzip bodies for tests: a small one, and a bomb (many zero bytes) built without ever holding
// the plain bytes in memory. Header-only; the test links ZLIB::ZLIB.
//
//   client.send(post("/v1/logs", testing::gzip(body), "Content-Encoding: gzip\r\n"));
//   const std::string bomb = testing::gzip_of_zeros(std::size_t{256} << 20);  // ~256 KiB
#pragma once

#include <zlib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace edgetrace::testing {

inline std::string gzip(std::string_view data, int level = Z_BEST_COMPRESSION) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(compressBound(static_cast<uLong>(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// `zeros` zero bytes, gzip-compressed.
inline std::string gzip_of_zeros(std::size_t zeros) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY),
            Z_OK);
  const std::string block(1 << 16, '\0');
  std::string out;
  char buf[1 << 16];
  std::size_t left = zeros;
  int flush = Z_NO_FLUSH;
  do {
    const std::size_t n = std::min(left, block.size());
    left -= n;
    flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(block.data()));
    zs.avail_in = static_cast<uInt>(n);
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      deflate(&zs, flush);
      out.append(buf, sizeof buf - zs.avail_out);
    } while (zs.avail_out == 0);
  } while (flush != Z_FINISH);
  deflateEnd(&zs);
  return out;
}

}  // namespace edgetrace::testing
