# Exporter side of the otlp component: options from OTEL_* variables, retry policy,
# batching, and the HTTP and gRPC transports.
find_package(Threads REQUIRED)
add_library(edgetrace_otlp_exporter
  ${CMAKE_CURRENT_LIST_DIR}/batch_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exporter_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/retry.cpp
)
add_library(edgetrace::otlp_exporter ALIAS edgetrace_otlp_exporter)
target_include_directories(edgetrace_otlp_exporter PUBLIC ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(edgetrace_otlp_exporter PUBLIC edgetrace::core Threads::Threads)
et_project_target(edgetrace_otlp_exporter)

et_test(otlp_exporter_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/batch_processor_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/exporter_options_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/retry_test.cpp
  LIBS edgetrace::otlp_exporter)
