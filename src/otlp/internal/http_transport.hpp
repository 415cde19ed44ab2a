// OTLP/HTTP transport on libcurl: POST /v1/<signal> with application/x-protobuf or
// application/json bodies, optional gzip, TLS with CA / client certificate, keep-alive.
//
// Thread-safety: send() may be called from several threads; each call borrows one of a
// pool of curl handles, so connections are kept alive and reused between requests.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "edgetrace/otlp/exporter.hpp"

namespace edgetrace::otlp::internal {

class HttpTransport final : public Transport {
 public:
  // Checks the options (endpoint scheme, readable certificate files).
  static core::Result<std::unique_ptr<HttpTransport>> create(const OtlpExporterOptions& options);
  ~HttpTransport() override;

  core::Result<std::string> encode(Signal signal,
                                   const google::protobuf::Message& request) override;
  TransportResponse send(Signal signal, const std::string& body, Deadline deadline) override;

 private:
  explicit HttpTransport(const OtlpExporterOptions& options);
  void* borrow_handle();
  void return_handle(void* handle);

  OtlpExporterOptions options_;
  std::string urls_[3];  // by Signal
  std::mutex mu_;
  std::vector<void*> idle_;  // CURL* handles, reused for keep-alive
};

// gzip (RFC 1952) of `data`.
core::Result<std::string> gzip_compress(std::string_view data);
// Inflates a gzip body, refusing to produce more than `max_output` bytes.
core::Result<std::string> gzip_decompress(std::string_view data, std::size_t max_output);

}  // namespace edgetrace::otlp::internal
