# The standard OTLP receivers: OTLP/HTTP and OTLP/gRPC, into pipeline/intake.hpp.
#
# otlp_grpc.cpp serves the generated OTLP services with grpc++ (as src/testing/grpc.cmake's
# fake receiver does); both receivers answer errors with google.rpc.Status / RetryInfo /
# BadRequest from edgetrace_rpc_status_proto (src/otlp/grpc.cmake).
find_package(gRPC CONFIG REQUIRED)
find_package(Protobuf REQUIRED)
target_sources(edgetraced_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/otlp_http.cpp
  ${CMAKE_CURRENT_LIST_DIR}/otlp_grpc.cpp)
target_link_libraries(edgetraced_core PUBLIC edgetrace::otlp_proto gRPC::grpc++
                                             protobuf::libprotobuf
                                      PRIVATE edgetrace_rpc_status_proto)

# Real sockets and real grpc++ client stubs against the receivers, into an Intake test
# double and into the daemon's real QueueIntake + TelemetryQueue.
if(EDGETRACE_BUILD_TESTS)
  include(${PROJECT_SOURCE_DIR}/src/testing/support.cmake)
  find_package(ZLIB REQUIRED)
  et_test(edgetraced_otlp_receivers_test E2E
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/otlp_receivers_test.cpp
    LIBS edgetraced_core edgetrace::testing_support edgetrace_rpc_status_proto ZLIB::ZLIB)
endif()
