# The standard OTLP receivers: OTLP/HTTP and OTLP/gRPC, into pipeline/intake.hpp.
