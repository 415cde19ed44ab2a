# The web viewer (apps/edgetraced/ui/static) in headless Chromium against the real daemon,
# its trace store and query API (viewer_browser_test.cpp). Chromium and chromedriver come
# from scripts/setup; without them the test is not registered, with a warning. The test
# saves its screenshot as ${CMAKE_BINARY_DIR}/test-artifacts/viewer.png.
find_program(ET_CHROMIUM chromium)
find_program(ET_CHROMEDRIVER chromedriver)
if(NOT ET_CHROMIUM OR NOT ET_CHROMEDRIVER)
  message(WARNING "chromium or chromedriver missing (scripts/setup): "
                  "the web viewer's browser test is not registered")
  return()
endif()
include(${CMAKE_CURRENT_LIST_DIR}/headless_chromium.cmake)

add_executable(viewer_browser_test ${CMAKE_CURRENT_LIST_DIR}/viewer_browser_test.cpp)
et_project_target(viewer_browser_test)
target_link_libraries(viewer_browser_test PRIVATE edgetraced_testing_chromium
  edgetraced_testing_process edgetrace_testing_http edgetrace::core simdjson::simdjson
  GTest::gtest GTest::gtest_main)
add_dependencies(viewer_browser_test edgetraced)
target_compile_definitions(viewer_browser_test PRIVATE
  ET_EDGETRACED="$<TARGET_FILE:edgetraced>"
  ET_CHROMIUM="${ET_CHROMIUM}"
  ET_CHROMEDRIVER="${ET_CHROMEDRIVER}"
  ET_TEST_ARTIFACTS_DIR="${CMAKE_BINARY_DIR}/test-artifacts")

# One run of the whole binary; every test must run and pass: a skip fails the case.
add_test(NAME edgetraced.viewer_browser COMMAND viewer_browser_test)
set_tests_properties(edgetraced.viewer_browser PROPERTIES TIMEOUT 300
  LABELS "e2e;browser"
  PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] 1 test"
  FAIL_REGULAR_EXPRESSION "SKIPPED|FAILED")
