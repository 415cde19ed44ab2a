# Exporter side of the otlp component: options from OTEL_* variables, retry policy,
# batching, and the HTTP and gRPC transports.
find_package(Threads REQUIRED)
find_package(CURL REQUIRED)
find_package(ZLIB REQUIRED)

add_library(edgetrace_otlp_exporter
  ${CMAKE_CURRENT_LIST_DIR}/batch_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exporter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exporter_create.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exporter_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/http_transport.cpp
  ${CMAKE_CURRENT_LIST_DIR}/retry.cpp
)
add_library(edgetrace::otlp_exporter ALIAS edgetrace_otlp_exporter)
target_include_directories(edgetrace_otlp_exporter
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(edgetrace_otlp_exporter
  PUBLIC edgetrace::core edgetrace::otlp Threads::Threads
  PRIVATE CURL::libcurl ZLIB::ZLIB)
et_project_target(edgetrace_otlp_exporter)

if(EDGETRACE_BUILD_TESTS)
  # The fake OTLP/HTTP receiver: real test-double code shared by tests and benchmarks.
  add_library(edgetrace_testing_http ${PROJECT_SOURCE_DIR}/src/testing/fake_http_receiver.cpp)
  target_include_directories(edgetrace_testing_http
    PUBLIC ${PROJECT_SOURCE_DIR}/src/testing
    PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(edgetrace_testing_http
    PUBLIC edgetrace::otlp_exporter
    PRIVATE edgetrace::net ZLIB::ZLIB)
  et_project_target(edgetrace_testing_http)
endif()

et_test(otlp_exporter_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/batch_processor_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/exporter_options_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/retry_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/split_test.cpp
  LIBS edgetrace::otlp_exporter)

et_test(otlp_http_exporter_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/http_exporter_test.cpp
  LIBS edgetrace::otlp_exporter edgetrace_testing_http)

# OTLP/gRPC transport; grpc.cmake generates edgetrace_rpc_status_proto (google.rpc.Status).
find_package(gRPC CONFIG REQUIRED)
target_sources(edgetrace_otlp_exporter PRIVATE ${CMAKE_CURRENT_LIST_DIR}/grpc_transport.cpp)
target_link_libraries(edgetrace_otlp_exporter
  PUBLIC edgetrace::otlp_proto
  PRIVATE gRPC::grpc++ edgetrace_rpc_status_proto)

if(EDGETRACE_BUILD_TESTS)
  et_test(otlp_grpc_exporter_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/grpc_exporter_test.cpp
    LIBS edgetrace::otlp_exporter edgetrace::testing_grpc)
endif()
