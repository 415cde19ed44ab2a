# The daemon's device receivers (each feeds pipeline/device_pipeline.hpp streams).
target_sources(edgetraced_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/device_tcp.cpp)
include(${CMAKE_CURRENT_LIST_DIR}/mqtt.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/http_serial.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/otlp.cmake)
