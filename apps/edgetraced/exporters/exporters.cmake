# The daemon's exporters (each implements pipeline/exporter.hpp).
target_sources(edgetraced_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/otlp_exporter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/console_tree.cpp
  ${CMAKE_CURRENT_LIST_DIR}/file_lines.cpp)

# Unit tests of the exporters. support.cmake defines edgetrace::testing_support (once, with
# include_guard) and only when tests are built, as et_test only then makes a target.
if(EDGETRACE_BUILD_TESTS)
  include(${PROJECT_SOURCE_DIR}/src/testing/support.cmake)
  et_test(edgetraced_exporters_test SOURCES
      ${CMAKE_CURRENT_LIST_DIR}/console_tree_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/file_lines_test.cpp
    LIBS edgetraced_core edgetrace::testing_support)
endif()
