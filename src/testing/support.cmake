# edgetrace_testing_support (edgetrace::testing_support): what many tests share and that
# needs nothing beyond core and GoogleTest: TempDir (temp_dir.hpp) and the
# whole-file helpers (file_contents.hpp). Headers are included as "testing/<name>.hpp".
# Included by every CMake file whose tests link it; the first include defines the target.
include_guard(GLOBAL)

if(EDGETRACE_BUILD_TESTS)
  add_library(edgetrace_testing_support STATIC ${CMAKE_CURRENT_LIST_DIR}/temp_dir.cpp)
  add_library(edgetrace::testing_support ALIAS edgetrace_testing_support)
  target_include_directories(edgetrace_testing_support PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(edgetrace_testing_support PUBLIC GTest::gtest PRIVATE edgetrace::core)
  et_project_target(edgetrace_testing_support)
endif()
