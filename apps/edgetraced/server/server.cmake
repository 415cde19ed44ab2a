# Config, admin listener, and the wiring of receivers, pipeline and exporters.
target_sources(edgetraced_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/default_config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/daemon.cpp)
