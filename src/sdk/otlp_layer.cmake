# The OTLP layer: spans to OTLP traces, events to OTLP logs (include/edgetrace/sdk/otlp_layer.hpp).
target_sources(edgetrace_sdk PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/otlp_layer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/otlp_layer_convert.cpp)

if(EDGETRACE_BUILD_TESTS)
  et_test(otlp_layer_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/otlp_layer_test.cpp
    LIBS edgetrace::sdk edgetrace_testing_http edgetrace::testing_grpc)
  if(TARGET otlp_layer_test)
    target_include_directories(otlp_layer_test PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  endif()
endif()
