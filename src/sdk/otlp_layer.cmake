# edgetrace::sdk_otlp: the OTLP layer (spans to OTLP traces, events to OTLP logs;
# include/edgetrace/sdk/otlp_layer.hpp) and its TracingBuilder factory, on the OTLP exporter.
add_library(edgetrace_sdk_otlp
  ${CMAKE_CURRENT_LIST_DIR}/otlp_layer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/otlp_layer_builder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/otlp_layer_convert.cpp
  ${CMAKE_CURRENT_LIST_DIR}/otlp_layer_encode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/otlp_layer_metrics.cpp
  ${CMAKE_CURRENT_LIST_DIR}/otlp_layer_stacktrace.cpp
  ${CMAKE_CURRENT_LIST_DIR}/span_handover.cpp
  ${CMAKE_CURRENT_LIST_DIR}/log_handover.cpp
  ${CMAKE_CURRENT_LIST_DIR}/otlp_log_pool.cpp
)
add_library(edgetrace::sdk_otlp ALIAS edgetrace_sdk_otlp)
target_include_directories(edgetrace_sdk_otlp
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(edgetrace_sdk_otlp PUBLIC edgetrace::sdk edgetrace::otlp_exporter
                                        edgetrace::processors)
et_project_target(edgetrace_sdk_otlp)

if(EDGETRACE_BUILD_TESTS)
  et_test(otlp_layer_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/otlp_layer_test.cpp ${CMAKE_CURRENT_LIST_DIR}/otlp_encode_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/span_handover_test.cpp
    LIBS edgetrace::sdk_otlp edgetrace_testing_http edgetrace::testing_grpc)
  if(TARGET otlp_layer_test)
    target_include_directories(otlp_layer_test PRIVATE ${CMAKE_CURRENT_LIST_DIR})
    # -rdynamic: backtrace_symbols() names the test's functions in exception.stacktrace.
    set_target_properties(otlp_layer_test PROPERTIES ENABLE_EXPORTS ON)
  endif()
endif()
