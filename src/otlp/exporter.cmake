# Exporter side of the otlp component: options from OTEL_* variables, retry policy,
# batching, and the HTTP and gRPC transports, each its own target so that a program links
# only what it uses.
find_package(Threads REQUIRED)
find_package(CURL REQUIRED)
find_package(ZLIB REQUIRED)

# edgetrace::otlp_options: the exporter and batch options and the one parser of the
# OTEL_EXPORTER_OTLP_*, OTEL_BSP_* and OTEL_BLRP_* variables. Plain values: no protobuf, gRPC
# or libcurl, so the config loader and the SDK can name OTLP settings without linking them.
add_library(edgetrace_otlp_options
  ${CMAKE_CURRENT_LIST_DIR}/batch_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exporter_options.cpp
)
add_library(edgetrace::otlp_options ALIAS edgetrace_otlp_options)
target_include_directories(edgetrace_otlp_options
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(edgetrace_otlp_options PUBLIC edgetrace::core Threads::Threads)
et_project_target(edgetrace_otlp_options)

# edgetrace::otlp_exporter_core: OtlpExporter over any Transport (retry, split, drop, circuit
# breaker, counters). The transports are their own targets below and in grpc.cmake.
add_library(edgetrace_otlp_exporter_core
  ${CMAKE_CURRENT_LIST_DIR}/exporter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/retry.cpp
)
add_library(edgetrace::otlp_exporter_core ALIAS edgetrace_otlp_exporter_core)
target_include_directories(edgetrace_otlp_exporter_core
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(edgetrace_otlp_exporter_core
  PUBLIC edgetrace::core edgetrace::otlp edgetrace::otlp_options Threads::Threads)
et_project_target(edgetrace_otlp_exporter_core)

# edgetrace::otlp_http: the OTLP/HTTP transport (libcurl).
add_library(edgetrace_otlp_http ${CMAKE_CURRENT_LIST_DIR}/http_transport.cpp)
add_library(edgetrace::otlp_http ALIAS edgetrace_otlp_http)
target_include_directories(edgetrace_otlp_http
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(edgetrace_otlp_http
  PUBLIC edgetrace::otlp_exporter_core
  PRIVATE CURL::libcurl ZLIB::ZLIB)
et_project_target(edgetrace_otlp_http)

# edgetrace::otlp_exporter: OtlpExporter::create(), which picks the HTTP or gRPC transport
# from the options; links both (grpc.cmake defines edgetrace::otlp_grpc).
add_library(edgetrace_otlp_exporter ${CMAKE_CURRENT_LIST_DIR}/exporter_create.cpp)
add_library(edgetrace::otlp_exporter ALIAS edgetrace_otlp_exporter)
target_include_directories(edgetrace_otlp_exporter
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(edgetrace_otlp_exporter PUBLIC edgetrace::otlp_http)
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

# edgetrace::otlp_grpc: the OTLP/gRPC transport (grpc++); grpc.cmake generates
# edgetrace_rpc_status_proto (google.rpc.Status).
find_package(gRPC CONFIG REQUIRED)
add_library(edgetrace_otlp_grpc ${CMAKE_CURRENT_LIST_DIR}/grpc_transport.cpp)
add_library(edgetrace::otlp_grpc ALIAS edgetrace_otlp_grpc)
target_include_directories(edgetrace_otlp_grpc
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(edgetrace_otlp_grpc
  PUBLIC edgetrace::otlp_exporter_core edgetrace::otlp_proto
  PRIVATE gRPC::grpc++ edgetrace_rpc_status_proto)
et_project_target(edgetrace_otlp_grpc)
target_link_libraries(edgetrace_otlp_exporter PUBLIC edgetrace::otlp_grpc)

if(EDGETRACE_BUILD_TESTS)
  et_test(otlp_grpc_exporter_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/grpc_exporter_test.cpp
    LIBS edgetrace::otlp_exporter edgetrace::testing_grpc)
endif()
