# The OTLP receivers' request handling (apps/edgetraced/receivers/otlp_*.cpp).
#
# otlp_receivers_fuzz: the OTLP/HTTP receiver's answer to a request (media type, decoding,
# the Intake's answer, the response and its google.rpc.Status body), built from the
# receiver's own sources only, as the fuzz preset builds no apps. The gRPC receiver adds no
# parsing of its own (grpc++ frames the message; the codec decodes it).
et_fuzz_target(otlp_receivers_fuzz edgetrace::otlp edgetrace::net edgetrace_rpc_status_proto)
target_sources(otlp_receivers_fuzz PRIVATE
  ${PROJECT_SOURCE_DIR}/apps/edgetraced/receivers/otlp_http.cpp
  ${PROJECT_SOURCE_DIR}/apps/edgetraced/pipeline/metrics_text.cpp)
target_include_directories(otlp_receivers_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/apps/edgetraced)
