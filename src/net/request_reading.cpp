// The request-reading steps shared by HttpServer and the fuzz target.
#include "internal/request_reading.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <limits>

#include "edgetrace/core/text.hpp"

namespace edgetrace::net::internal {

namespace beast = boost::beast;
namespace http = beast::http;

void configure_parser(RequestParser& parser, const ReadLimits& limits) {
  const auto header_limit =
      static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX));
  parser.header_limit(header_limit);
  // Not boost::none: Beast 1.74 compares the Content-Length with the optional, and a
  // length is "greater" than an empty optional, which would refuse every body.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
}

int status_for_read_error(const boost::system::error_code& ec) noexcept {
  if (ec == http::error::header_limit)
    return 431;
  if (ec == http::error::body_limit)
    return 413;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message)
    return 0;
  if (ec.category() == http::make_error_code(http::error::bad_target).category())
    return 400;
  return 0;
}

Request request_from_header(const http::request_header<>& header) {
  Request r;
  r.method = std::string(header.method_string());
  r.target = std::string(header.target());
  const std::string_view target = r.target;
  const auto q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos)
    r.query = std::string(target.substr(q + 1));
  r.headers.reserve(8);
  for (const auto& field : header)
    r.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  return r;
}

core::Result<std::string> gunzip(std::string_view compressed, std::size_t max_out) {
  z_stream zs{};
  // 16 + MAX_WBITS: gzip framing only (a raw zlib or deflate body is malformed here).
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    return core::internal_error("gzip: cannot initialise zlib");
  std::string out;
  std::array<unsigned char, 16384> chunk{};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  std::size_t in_left = compressed.size();
  core::Status status;
  bool ended = false;
  for (;;) {
    const auto in_now = static_cast<uInt>(std::min<std::size_t>(in_left, 1u << 30));
    zs.avail_in = in_now;
    zs.next_out = chunk.data();
    zs.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    in_left -= in_now - zs.avail_in;
    const std::size_t produced = chunk.size() - zs.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      status = core::invalid_argument("gzip: malformed data");
      break;
    }
    if (produced > max_out - out.size()) {
      status = core::Status(
          core::StatusCode::kResourceExhausted,
          "gzip: inflated body over the limit of " + std::to_string(max_out) + " bytes");
      break;
    }
    out.append(reinterpret_cast<const char*>(chunk.data()), produced);
    if (rc == Z_STREAM_END) {
      ended = true;
      if (in_left == 0)
        break;
      // Another gzip member follows (RFC 1952 allows several).
      if (inflateReset(&zs) != Z_OK) {
        status = core::internal_error("gzip: cannot reset zlib");
        break;
      }
      ended = false;
      continue;
    }
    if (rc == Z_BUF_ERROR || (produced == 0 && in_left == 0)) {
      // No progress possible: the input ended inside a member.
      if (in_left == 0) {
        status = core::invalid_argument("gzip: truncated data");
        break;
      }
    }
  }
  inflateEnd(&zs);
  if (!status.ok())
    return status;
  if (!ended)
    return core::invalid_argument("gzip: truncated data");
  return out;
}

int decode_body(Request& request, const ReadLimits& limits, std::string* error_message) {
  if (!limits.decompress_gzip)
    return 0;
  auto it = std::find_if(request.headers.begin(), request.headers.end(), [](const Header& h) {
    return core::iequals_ascii(h.name, "Content-Encoding");
  });
  if (it == request.headers.end())
    return 0;
  const std::string_view encoding = core::trim_ows(it->value);
  if (encoding.empty() || core::iequals_ascii(encoding, "identity")) {
    request.headers.erase(it);
    return 0;
  }
  if (!core::iequals_ascii(encoding, "gzip") && !core::iequals_ascii(encoding, "x-gzip")) {
    if (error_message != nullptr)
      *error_message = "unsupported Content-Encoding (gzip and identity are accepted)";
    return 415;
  }
  auto inflated = gunzip(request.body, limits.max_decompressed_bytes);
  if (!inflated) {
    if (error_message != nullptr)
      *error_message = inflated.status().message();
    return inflated.status().code() == core::StatusCode::kResourceExhausted ? 413 : 400;
  }
  request.body = std::move(*inflated);
  request.headers.erase(it);
  return 0;
}

ParsedRequest parse_request_bytes(std::string_view bytes, const ReadLimits& limits) {
  ParsedRequest out;
  RequestParser parser;
  configure_parser(parser, limits);
  parser.eager(false);
  beast::error_code ec;
  std::size_t used = 0;
  // Headers first, as the server reads them, then the body under the limit.
  while (!parser.is_header_done() && used < bytes.size()) {
    const std::size_t n =
        parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == http::error::need_more)
      return out;
    if (ec) {
      out.status = status_for_read_error(ec);
      return out;
    }
    if (n == 0)
      break;
  }
  if (!parser.is_header_done())
    return out;
  out.request = request_from_header(parser.get().base());
  parser.body_limit(limits.max_body_bytes);
  if (const auto length = parser.content_length(); length && *length > limits.max_body_bytes) {
    out.status = 413;
    return out;
  }
  parser.eager(true);
  while (!parser.is_done() && used < bytes.size()) {
    const std::size_t n =
        parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == http::error::need_more)
      return out;
    if (ec) {
      out.status = status_for_read_error(ec);
      return out;
    }
    if (n == 0)
      break;
  }
  if (!parser.is_done())
    return out;
  out.complete = true;
  out.request.body = std::move(parser.get().body());
  out.status = decode_body(out.request, limits, nullptr);
  return out;
}

}  // namespace edgetrace::net::internal
