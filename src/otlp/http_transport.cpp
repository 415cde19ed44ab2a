#include "internal/http_transport.hpp"

#include <curl/curl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>

#include "edgetrace/core/resource.hpp"
#include "edgetrace/core/text.hpp"
#include "edgetrace/otlp/codec.hpp"

namespace edgetrace::otlp::internal {
namespace {

constexpr std::size_t kMaxResponseBytes = 64 * 1024;

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

void ensure_curl() {
  static CurlGlobal global;
  (void)global;
}

struct ResponseSink {
  std::string body;
  std::string retry_after;
  std::string content_type;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* sink = static_cast<ResponseSink*>(user);
  const std::size_t len = size * n;
  const std::size_t room = kMaxResponseBytes - std::min(kMaxResponseBytes, sink->body.size());
  sink->body.append(data, std::min(len, room));  // the rest is read and discarded
  return len;
}

// Trims OWS and the CR LF that ends a header line.
std::string_view trim_line(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* sink = static_cast<ResponseSink*>(user);
  std::string_view line(data, size * n);
  if (core::iequals_ascii(line.substr(0, 12), "retry-after:")) {
    sink->retry_after = std::string(trim_line(line.substr(12)));
  } else if (core::iequals_ascii(line.substr(0, 13), "content-type:")) {
    sink->content_type = std::string(trim_line(line.substr(13)));
  }
  return size * n;
}

bool readable(const std::string& path) {
  return access(path.c_str(), R_OK) == 0;
}

// Reads field 2 (message) of a google.rpc.Status in protobuf form, without a schema.
std::string rpc_status_message(std::string_view bytes) {
  std::size_t i = 0;
  auto varint = [&](std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && i < bytes.size(); shift += 7) {
      const auto b = static_cast<unsigned char>(bytes[i++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        return true;
    }
    return false;
  };
  while (i < bytes.size()) {
    std::uint64_t key = 0;
    if (!varint(key))
      return {};
    const auto wire = key & 7;
    std::uint64_t v = 0;
    if (wire == 0) {
      if (!varint(v))
        return {};
    } else if (wire == 2) {
      if (!varint(v) || v > bytes.size() - i)
        return {};
      if ((key >> 3) == 2)
        return std::string(bytes.substr(i, v));
      i += v;
    } else if (wire == 1) {
      i += 8;
    } else if (wire == 5) {
      i += 4;
    } else {
      return {};
    }
  }
  return {};
}

// A short, printable rendering of an error body.
std::string describe_body(const ResponseSink& sink) {
  std::string text;
  if (sink.content_type.find("protobuf") != std::string::npos) {
    text = rpc_status_message(sink.body);
  } else {
    text = sink.body;
  }
  if (text.size() > 512)
    text.resize(512);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7f)
      c = ' ';
  }
  return std::string(trim_line(text));
}

std::int64_t rejected(
    const opentelemetry::proto::collector::trace::v1::ExportTracePartialSuccess& p) {
  return p.rejected_spans();
}
std::int64_t rejected(
    const opentelemetry::proto::collector::logs::v1::ExportLogsPartialSuccess& p) {
  return p.rejected_log_records();
}
std::int64_t rejected(
    const opentelemetry::proto::collector::metrics::v1::ExportMetricsPartialSuccess& p) {
  return p.rejected_data_points();
}

template <typename Response>
void read_partial_success(const ResponseSink& sink, bool json, TransportResponse& out) {
  Response response;
  core::Status s = json ? decode_json_message(sink.body, response)
                        : decode_protobuf_message(sink.body, response);
  if (!s.ok() || !response.has_partial_success())
    return;
  out.rejected_items = rejected(response.partial_success());
  out.message = response.partial_success().error_message();
}

}  // namespace

core::Result<std::string> gzip_compress(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return core::internal_error("gzip: deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const std::size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END)
    return core::internal_error("gzip: deflate did not finish");
  out.resize(produced);
  return out;
}

core::Result<std::string> gzip_decompress(std::string_view data, std::size_t max_output) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK)
    return core::internal_error("gzip: inflateInit2 failed");
  std::string out;
  char buf[16384];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return core::invalid_argument("gzip: corrupt or truncated data");
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (out.size() > max_output) {
      inflateEnd(&zs);
      return core::Status(core::StatusCode::kResourceExhausted,
                          "gzip: inflates to more than " + std::to_string(max_output) + " bytes");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return core::invalid_argument("gzip: truncated data");
    }
  }
  inflateEnd(&zs);
  return out;
}

core::Result<std::unique_ptr<HttpTransport>> HttpTransport::create(
    const OtlpExporterOptions& options) {
  for (Signal s : {Signal::kTraces, Signal::kLogs, Signal::kMetrics}) {
    const std::string url = resolved_endpoint(options, s);
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
      return core::invalid_argument("OTLP/HTTP endpoint for " + std::string(to_string(s)) +
                                    " must start with http:// or https://");
    }
  }
  if (!options.ca_file.empty() && !readable(options.ca_file)) {
    return core::invalid_argument("cannot read CA certificate file " + options.ca_file);
  }
  if (!options.client_certificate_file.empty() && !readable(options.client_certificate_file)) {
    return core::invalid_argument("cannot read client certificate file " +
                                  options.client_certificate_file);
  }
  if (!options.client_key_file.empty() && !readable(options.client_key_file)) {
    return core::invalid_argument("cannot read client key file " + options.client_key_file);
  }
  if (options.client_certificate_file.empty() != options.client_key_file.empty()) {
    return core::invalid_argument(
        "a client certificate needs a client key, and the other way round");
  }
  ensure_curl();
  return std::unique_ptr<HttpTransport>(new HttpTransport(options));
}

HttpTransport::HttpTransport(const OtlpExporterOptions& options) : options_(options) {
  for (Signal s : {Signal::kTraces, Signal::kLogs, Signal::kMetrics}) {
    urls_[static_cast<int>(s)] = resolved_endpoint(options_, s);
  }
}

HttpTransport::~HttpTransport() {
  for (void* h : idle_)
    curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpTransport::borrow_handle() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpTransport::return_handle(void* handle) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(handle);
}

core::Result<std::string> HttpTransport::encode(Signal, const google::protobuf::Message& request) {
  std::string out;
  if (options_.protocol == Protocol::kHttpJson) {
    encode_json_message(request, out);
  } else {
    encode_protobuf_message(request, out);
  }
  return out;
}

TransportResponse HttpTransport::send(Signal signal, const std::string& body, Deadline deadline) {
  TransportResponse out;
  const bool json = options_.protocol == Protocol::kHttpJson;
  const std::string* payload = &body;
  std::string compressed;
  if (options_.compression == Compression::kGzip) {
    core::Result<std::string> z = gzip_compress(body);
    if (!z) {
      out.verdict = {Action::kDrop, std::nullopt};
      out.message = z.status().message();
      return out;
    }
    compressed = std::move(z).value();
    payload = &compressed;
  }

  const auto remaining =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (remaining <= 0) {
    out.verdict = classify_connection_failure();
    out.message = "deadline passed before the request was sent";
    return out;
  }

  CURL* curl = static_cast<CURL*>(borrow_handle());
  if (curl == nullptr) {
    out.verdict = classify_connection_failure();
    out.message = "cannot create an HTTP client handle";
    return out;
  }
  curl_easy_reset(curl);  // keeps the connection cache: keep-alive survives

  curl_slist* headers = nullptr;
  headers = curl_slist_append(
      headers, json ? "Content-Type: application/json" : "Content-Type: application/x-protobuf");
  if (options_.compression == Compression::kGzip) {
    headers = curl_slist_append(headers, "Content-Encoding: gzip");
  }
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  for (const Header& h : options_.headers) {
    const std::string line = h.name + ": " + h.value;
    headers = curl_slist_append(headers, line.c_str());
  }
  const std::string user_agent = "edgetrace/" + std::string(core::sdk_version());

  ResponseSink sink;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, urls_[static_cast<int>(signal)].c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload->data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload->size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<long long>(remaining, 10000)));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!options_.ca_file.empty())
    curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.client_certificate_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, options_.client_certificate_file.c_str());
    curl_easy_setopt(curl, CURLOPT_SSLKEY, options_.client_key_file.c_str());
  }

  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  return_handle(curl);

  if (rc != CURLE_OK) {
    out.verdict = classify_connection_failure();
    out.message = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
    return out;
  }
  out.bytes_sent = payload->size();
  out.http_status = static_cast<int>(status);
  out.verdict = classify_http(
      static_cast<int>(status),
      sink.retry_after.empty() ? std::nullopt : std::optional<std::string_view>(sink.retry_after),
      std::chrono::system_clock::now());
  if (out.verdict.action == Action::kSuccess) {
    const bool json_reply = sink.content_type.find("json") != std::string::npos;
    switch (signal) {
      case Signal::kTraces:
        read_partial_success<TraceResponse>(sink, json_reply, out);
        break;
      case Signal::kLogs:
        read_partial_success<LogsResponse>(sink, json_reply, out);
        break;
      case Signal::kMetrics:
        read_partial_success<MetricsResponse>(sink, json_reply, out);
        break;
    }
  } else {
    const std::string detail = describe_body(sink);
    out.message = "HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + detail);
  }
  return out;
}

}  // namespace edgetrace::otlp::internal
