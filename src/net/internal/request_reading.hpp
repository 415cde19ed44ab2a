// The request-reading steps HttpServer applies to every request, as plain functions so
// the fuzz target (fuzz/net_http_fuzz.cpp) and the tests run exactly the server's code:
// the Beast parser set up with the server's limits, the mapping of parse errors to
// statuses, and the bounded gzip inflater.
//
// Thread-safety: pure functions and a value type. Allocation: the strings they return.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http.hpp>

#include "edgetrace/core/result.hpp"
#include "edgetrace/net/http.hpp"

namespace edgetrace::net::internal {

struct ReadLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::size_t max_decompressed_bytes = 16 * 1024 * 1024;
  bool decompress_gzip = true;
};

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A parser with the header limit set and no body limit yet (the route sets it once the
// headers say which route the request is for).
void configure_parser(RequestParser& parser, const ReadLimits& limits);

// The status a failed read answers with: 431 (header_limit), 413 (body_limit), 400 (any
// other HTTP syntax error), or 0 when the error is not the request's syntax (end of
// stream, timeout, reset), which gets no response.
int status_for_read_error(const boost::system::error_code& ec) noexcept;

// The Request a handler sees, from a parsed header (body left empty).
Request request_from_header(const boost::beast::http::request_header<>& header);

// Inflates a gzip body (RFC 1952, one or more members) into at most `max_out` bytes.
// kResourceExhausted once the output would pass `max_out` (inflation stops there, so the
// memory used is bounded by it); kInvalidArgument for malformed or truncated data.
core::Result<std::string> gunzip(std::string_view compressed, std::size_t max_out);

// Applies Content-Encoding to `request.body`: 0 when the body is ready (gzip inflated and
// the header removed), 413 past max_decompressed_bytes, 400 for bad gzip data, 415 for an
// encoding other than gzip/identity. With decompress_gzip false, always 0.
int decode_body(Request& request, const ReadLimits& limits, std::string* error_message);

// What reading `bytes` as one request gives: the status the server would answer with
// before a handler runs (0: the request would reach its handler) and the request.
struct ParsedRequest {
  int status = 0;
  bool complete = false;  // the bytes hold a whole request
  Request request;
};
ParsedRequest parse_request_bytes(std::string_view bytes, const ReadLimits& limits);

}  // namespace edgetrace::net::internal
