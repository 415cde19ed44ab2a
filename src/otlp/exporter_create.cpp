#include "edgetrace/otlp/exporter.hpp"
#include "internal/grpc_transport.hpp"
#include "internal/http_transport.hpp"

namespace edgetrace::otlp {

core::Result<std::unique_ptr<Transport>> create_transport(const OtlpExporterOptions& options) {
  if (options.protocol == Protocol::kGrpc) {
    core::Result<std::unique_ptr<internal::GrpcTransport>> grpc =
        internal::GrpcTransport::create(options);
    if (!grpc)
      return grpc.status();
    return std::unique_ptr<Transport>(std::move(grpc).value());
  }
  core::Result<std::unique_ptr<internal::HttpTransport>> http =
      internal::HttpTransport::create(options);
  if (!http)
    return http.status();
  return std::unique_ptr<Transport>(std::move(http).value());
}

core::Result<std::unique_ptr<OtlpExporter>> OtlpExporter::create(OtlpExporterOptions options,
                                                                 ErrorCallback on_error) {
  core::Result<std::unique_ptr<Transport>> transport = create_transport(options);
  if (!transport)
    return transport.status();
  return std::make_unique<OtlpExporter>(std::move(options), std::move(transport).value(),
                                        std::move(on_error));
}

}  // namespace edgetrace::otlp
