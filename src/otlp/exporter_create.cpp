#include "edgetrace/otlp/exporter.hpp"
#include "internal/grpc_transport.hpp"
#include "internal/http_transport.hpp"

namespace edgetrace::otlp {

core::Result<std::unique_ptr<OtlpExporter>> OtlpExporter::create(OtlpExporterOptions options,
                                                                 ErrorCallback on_error) {
  std::unique_ptr<Transport> transport;
  if (options.protocol == Protocol::kGrpc) {
    core::Result<std::unique_ptr<internal::GrpcTransport>> grpc =
        internal::GrpcTransport::create(options);
    if (!grpc)
      return grpc.status();
    transport = std::move(grpc).value();
  } else {
    core::Result<std::unique_ptr<internal::HttpTransport>> http =
        internal::HttpTransport::create(options);
    if (!http)
      return http.status();
    transport = std::move(http).value();
  }
  return std::make_unique<OtlpExporter>(std::move(options), std::move(transport),
                                        std::move(on_error));
}

}  // namespace edgetrace::otlp
