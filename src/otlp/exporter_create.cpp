#include "edgetrace/otlp/exporter.hpp"
#include "internal/http_transport.hpp"

namespace edgetrace::otlp {

core::Result<std::unique_ptr<OtlpExporter>> OtlpExporter::create(OtlpExporterOptions options,
                                                                 ErrorCallback on_error) {
  std::unique_ptr<Transport> transport;
  if (options.protocol == Protocol::kGrpc) {
    return core::Status(core::StatusCode::kUnimplemented,
                        "OTLP/gRPC transport is not built into this exporter yet");
  }
  core::Result<std::unique_ptr<internal::HttpTransport>> http =
      internal::HttpTransport::create(options);
  if (!http)
    return http.status();
  transport = std::move(http).value();
  return std::make_unique<OtlpExporter>(std::move(options), std::move(transport),
                                        std::move(on_error));
}

}  // namespace edgetrace::otlp
