// The libcurl adapter of the HTTP helpers (edgetrace/sdk/http.hpp): one easy transfer inside
// a CLIENT span. Header-only; link edgetrace::sdk_http_curl (edgetrace::sdk and libcurl).
//
//   CURL* easy = curl_easy_init();
//   curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, ...);        // your options, as usual
//   curl_slist* mine = curl_slist_append(nullptr, "accept: application/json");
//   edgetrace::sdk::http::curl::Request request;
//   request.method = "GET";
//   request.url = "http://127.0.0.1:8081/profiles/42";
//   request.headers = mine;
//   CURLcode rc = edgetrace::sdk::http::curl::perform(easy, request);
//
// perform() sets CURLOPT_URL to request.url and CURLOPT_HTTPHEADER to a copy of
// request.headers plus traceparent, tracestate and baggage, runs curl_easy_perform(), records
// the response code (4xx and 5xx are errors), the HTTP version and the peer address, or the
// transfer's failure as error.type ("timeout", "connection_refused", "name_resolution_error",
// else "curl_error_<code>"), then puts request.headers back on the handle (CURLOPT_HTTPHEADER)
// and frees its copy. It does not set the method: set CURLOPT_POST, CURLOPT_NOBODY or
// CURLOPT_CUSTOMREQUEST yourself, matching request.method.
//
// Blocking: as curl_easy_perform(). Thread-safety: one easy handle per thread at a time, as
// libcurl requires. The caller keeps owning `easy` and request.headers. Allocates the header
// list copy (returns CURLE_OUT_OF_MEMORY if that fails, without performing).
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "edgetrace/sdk/http.hpp"
#include "edgetrace/sdk/semconv.hpp"

namespace edgetrace::sdk::http::curl {

struct Request {
  std::string_view method = "GET";  // what the handle will send (for the span only)
  std::string_view url;             // absolute; set on the handle as CURLOPT_URL
  curl_slist* headers = nullptr;    // the caller's headers, borrowed
  ClientOptions options;            // propagators, baggage
};

// A carrier appending "name: value" lines to a curl_slist it owns.
class HeaderList final : public HeaderCarrier {
 public:
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList() { curl_slist_free_all(list_); }

  // Copies every line of `lines`; false when out of memory.
  bool append_all(const curl_slist* lines) {
    for (const curl_slist* l = lines; l != nullptr; l = l->next) {
      if (!append_line(l->data))
        return false;
    }
    return true;
  }
  // Only what this carrier set (libcurl's lists are write-only for propagation).
  std::optional<std::string> get(std::string_view) const override { return std::nullopt; }
  void set(std::string_view name, std::string_view value) override {
    std::string line(name);
    line += ": ";
    line.append(value);
    ok_ = append_line(line.c_str()) && ok_;
  }
  curl_slist* list() const noexcept { return list_; }
  bool ok() const noexcept { return ok_; }

 private:
  bool append_line(const char* line) {
    curl_slist* next = curl_slist_append(list_, line);
    if (next == nullptr)
      return false;
    list_ = next;
    return true;
  }
  curl_slist* list_ = nullptr;
  bool ok_ = true;
};

// A short error.type for a failed transfer.
inline std::string error_type(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return "timeout";
    case CURLE_COULDNT_CONNECT:
      return "connection_refused";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return "name_resolution_error";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
      return "tls_error";
    case CURLE_ABORTED_BY_CALLBACK:
      return "canceled";
    default:
      return "curl_error_" + std::to_string(static_cast<int>(code));
  }
}

// "1.0", "1.1", "2", "3" from CURLINFO_HTTP_VERSION.
inline std::string_view protocol_version(long version) noexcept {
  switch (version) {
    case CURL_HTTP_VERSION_1_0:
      return "1.0";
    case CURL_HTTP_VERSION_1_1:
      return "1.1";
    case CURL_HTTP_VERSION_2_0:
      return "2";
    case CURL_HTTP_VERSION_3:
      return "3";
    default:
      return {};
  }
}

// Performs `easy` inside a CLIENT span (see the banner).
inline CURLcode perform(CURL* easy, const Request& request) {
  ClientRequest client_request;
  client_request.method = request.method;
  client_request.url = request.url;
  ClientSpan span(client_request, request.options);

  HeaderList headers;
  if (!headers.append_all(request.headers)) {
    span.fail("out_of_memory");
    return CURLE_OUT_OF_MEMORY;
  }
  span.inject(headers);
  if (!headers.ok()) {
    span.fail("out_of_memory");
    return CURLE_OUT_OF_MEMORY;
  }
  const std::string url(request.url);
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.list());
  const CURLcode rc = curl_easy_perform(easy);
  // The handle keeps the pointer: give it back the caller's list before ours is freed.
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, request.headers);

  long version = 0;
  if (curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version) == CURLE_OK) {
    if (std::string_view v = protocol_version(version); !v.empty())
      span.span().record(semconv::network::kProtocolVersion, v);
  }
  char* peer_ip = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_PRIMARY_IP, &peer_ip) == CURLE_OK && peer_ip != nullptr &&
      peer_ip[0] != '\0') {
    span.span().record(semconv::network::kPeerAddress, std::string_view(peer_ip));
    long peer_port = 0;
    if (curl_easy_getinfo(easy, CURLINFO_PRIMARY_PORT, &peer_port) == CURLE_OK && peer_port > 0)
      span.span().record(semconv::network::kPeerPort, static_cast<std::int64_t>(peer_port));
  }
  if (rc != CURLE_OK) {
    span.fail(error_type(rc), curl_easy_strerror(rc));
    return rc;
  }
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  span.set_response_status(static_cast<int>(status));
  return rc;
}

}  // namespace edgetrace::sdk::http::curl
