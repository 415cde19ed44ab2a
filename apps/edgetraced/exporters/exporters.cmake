# The daemon's exporters (each implements pipeline/exporter.hpp).
target_sources(edgetraced_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/otlp_exporter.cpp)
