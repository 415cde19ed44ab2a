# The OTLP receivers' request handling (apps/edgetraced/receivers/otlp_*.cpp).
