# The browser example (examples/browser) in headless Chromium, sending its telemetry through
# edgetraced's proxy to a fake upstream (browser_proxy_test.cpp).
#
# ctest first runs examples/browser/build.sh (npm ci + esbuild) into the build tree, as the
# fixture et_browser_example, so a clean machine builds the bundle within `ctest`; build.sh
# installs nodejs and npm when they are missing. Chromium and chromedriver come from
# scripts/setup; without them the test is not registered, with a warning.
find_program(ET_CHROMIUM chromium)
find_program(ET_CHROMEDRIVER chromedriver)
if(NOT ET_CHROMIUM OR NOT ET_CHROMEDRIVER)
  message(WARNING "chromium or chromedriver missing (scripts/setup): "
                  "the browser example test is not registered")
  return()
endif()
include(${CMAKE_CURRENT_LIST_DIR}/headless_chromium.cmake)
set(ET_BROWSER_EXAMPLE_DIR ${CMAKE_BINARY_DIR}/examples/browser)

add_executable(browser_proxy_test ${CMAKE_CURRENT_LIST_DIR}/browser_proxy_test.cpp)
et_project_target(browser_proxy_test)
target_link_libraries(browser_proxy_test PRIVATE edgetraced_testing_chromium
  edgetraced_testing_process edgetrace_testing_http
  edgetraced_testing_jwt edgetrace::net edgetrace::core simdjson::simdjson GTest::gtest
  GTest::gtest_main)
add_dependencies(browser_proxy_test edgetraced)
target_compile_definitions(browser_proxy_test PRIVATE
  ET_EDGETRACED="$<TARGET_FILE:edgetraced>"
  ET_CHROMIUM="${ET_CHROMIUM}"
  ET_CHROMEDRIVER="${ET_CHROMEDRIVER}"
  ET_BROWSER_EXAMPLE_DIR="${ET_BROWSER_EXAMPLE_DIR}")

add_test(NAME browser.example_build
  COMMAND ${PROJECT_SOURCE_DIR}/examples/browser/build.sh ${ET_BROWSER_EXAMPLE_DIR})
set_tests_properties(browser.example_build PROPERTIES TIMEOUT 600
  FIXTURES_SETUP et_browser_example)
# One run of the whole binary; every test must run and pass: a skip fails the case.
add_test(NAME edgetraced.browser_proxy COMMAND browser_proxy_test)
set_tests_properties(edgetraced.browser_proxy PROPERTIES TIMEOUT 300
  FIXTURES_REQUIRED et_browser_example
  PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] 3 tests"
  FAIL_REGULAR_EXPRESSION "SKIPPED|FAILED")
