# The rolling file layer (the line formats come with console_layer.cmake).
target_sources(edgetrace_sdk PRIVATE ${CMAKE_CURRENT_LIST_DIR}/file_layer.cpp)

if(EDGETRACE_BUILD_TESTS)
  find_package(simdjson CONFIG REQUIRED)
  include(${PROJECT_SOURCE_DIR}/src/testing/support.cmake)
  et_test(sdk_file_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/file_layer_test.cpp
    LIBS edgetrace::sdk edgetrace::testing_support simdjson::simdjson)
  target_include_directories(sdk_file_test PRIVATE ${CMAKE_CURRENT_LIST_DIR})
endif()
