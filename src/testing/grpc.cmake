# edgetrace_testing_grpc: FakeOtlpGrpcReceiver, a real OTLP/gRPC server on 127.0.0.1 for
# tests. Linked by tests only. Included from src/otlp/grpc.cmake, after the targets it
# needs (edgetrace_otlp_proto, edgetrace_rpc_status_proto) are defined.
find_package(gRPC CONFIG REQUIRED)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)

add_library(edgetrace_testing_grpc STATIC ${CMAKE_CURRENT_LIST_DIR}/fake_grpc_receiver.cpp)
add_library(edgetrace::testing_grpc ALIAS edgetrace_testing_grpc)
target_include_directories(edgetrace_testing_grpc PUBLIC ${PROJECT_SOURCE_DIR}/src
                                                         ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(edgetrace_testing_grpc
  PUBLIC edgetrace::core edgetrace::otlp_proto gRPC::grpc++ Threads::Threads
  PRIVATE edgetrace::otlp_exporter edgetrace_rpc_status_proto ZLIB::ZLIB)
et_project_target(edgetrace_testing_grpc)
