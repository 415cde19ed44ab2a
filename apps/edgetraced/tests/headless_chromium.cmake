# edgetraced_testing_chromium: headless Chromium through chromedriver's WebDriver HTTP API
# (headless_chromium.hpp), shared by the browser tests. Included by browser.cmake and
# viewer.cmake once they found ET_CHROMIUM and ET_CHROMEDRIVER.
include_guard(GLOBAL)
find_package(simdjson CONFIG REQUIRED)
add_library(edgetraced_testing_chromium STATIC ${CMAKE_CURRENT_LIST_DIR}/headless_chromium.cpp)
target_link_libraries(edgetraced_testing_chromium PUBLIC edgetraced_testing_process
  PRIVATE edgetrace::net edgetrace::core simdjson::simdjson)
target_include_directories(edgetraced_testing_chromium PRIVATE ${PROJECT_SOURCE_DIR}/src)
et_project_target(edgetraced_testing_chromium)
