# The line formats (full, compact, pretty, JSON), the console layer and its tree format, and
# the tree renderer the daemon's console exporter shares (trace_tree.hpp).
target_sources(edgetrace_sdk PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/line_format.cpp
  ${CMAKE_CURRENT_LIST_DIR}/internal/line_text.cpp
  ${CMAKE_CURRENT_LIST_DIR}/console_layer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/console_layer_tree.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trace_tree.cpp
)

if(EDGETRACE_BUILD_TESTS)
  find_package(simdjson CONFIG REQUIRED)
  et_test(sdk_console_test
    SOURCES
      ${CMAKE_CURRENT_LIST_DIR}/line_format_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/console_layer_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/console_layer_tree_config_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/trace_tree_test.cpp
    LIBS edgetrace::sdk simdjson::simdjson)
  target_include_directories(sdk_console_test PRIVATE ${CMAKE_CURRENT_LIST_DIR})
endif()
