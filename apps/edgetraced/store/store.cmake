# The embedded trace store (store/trace_store.hpp) and its exporter (store/store_exporter.hpp):
# SQLite through pkg-config, built into edgetraced_core like the other areas.
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
target_sources(edgetraced_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/sqlite_connection.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trace_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/store_exporter.cpp)
target_link_libraries(edgetraced_core PUBLIC PkgConfig::SQLITE3)

if(EDGETRACE_BUILD_TESTS)
  include(${PROJECT_SOURCE_DIR}/src/testing/support.cmake)
  et_test(edgetraced_store_test SOURCES
      ${CMAKE_CURRENT_LIST_DIR}/store_test.cpp
    LIBS edgetraced_core edgetrace::testing_support)
endif()
