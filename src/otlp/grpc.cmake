# OTLP/gRPC: the google.rpc.Status / RetryInfo messages (generated), the gRPC transport's
# tests, and the fake gRPC receiver they run against.
#
# The transport itself (grpc_transport.cpp) is the target edgetrace::otlp_grpc, which links
# edgetrace_rpc_status_proto privately; edgetrace::otlp_exporter links it for
# OtlpExporter::create().
#
# edgetrace_rpc_status_proto is generated the way src/otlp/proto/CMakeLists.txt generates
# the OTLP schema: Debian's protoc into the build directory, no project warning set, SYSTEM
# include directory.
#
#   #include "google/rpc/status.pb.h"
#   #include "google/rpc/error_details.pb.h"

find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)

set(ET_RPC_PROTO_ROOT ${PROJECT_SOURCE_DIR}/proto)
set(ET_RPC_PROTO_OUT ${CMAKE_CURRENT_BINARY_DIR}/rpc_gen)
file(MAKE_DIRECTORY ${ET_RPC_PROTO_OUT})

set(ET_RPC_PROTOS
  google/rpc/status.proto
  google/rpc/error_details.proto
)
set(ET_RPC_PROTO_SOURCES)
foreach(proto IN LISTS ET_RPC_PROTOS)
  string(REGEX REPLACE "\\.proto$" "" stem ${proto})
  set(outputs ${ET_RPC_PROTO_OUT}/${stem}.pb.cc ${ET_RPC_PROTO_OUT}/${stem}.pb.h)
  add_custom_command(
    OUTPUT ${outputs}
    # google/protobuf/{any,duration}.proto come with libprotobuf-dev.
    COMMAND protobuf::protoc --proto_path=${ET_RPC_PROTO_ROOT}
            --proto_path=${Protobuf_INCLUDE_DIRS} --cpp_out=${ET_RPC_PROTO_OUT}
            ${ET_RPC_PROTO_ROOT}/${proto}
    DEPENDS ${ET_RPC_PROTO_ROOT}/${proto} protobuf::protoc
    COMMENT "protoc ${proto}"
    VERBATIM)
  list(APPEND ET_RPC_PROTO_SOURCES ${outputs})
endforeach()

add_library(edgetrace_rpc_status_proto ${ET_RPC_PROTO_SOURCES})
target_include_directories(edgetrace_rpc_status_proto SYSTEM PUBLIC ${ET_RPC_PROTO_OUT})
target_link_libraries(edgetrace_rpc_status_proto PUBLIC protobuf::libprotobuf)
# Generated code is not ours to fix: no project warning set, and no warnings at all.
target_compile_options(edgetrace_rpc_status_proto PRIVATE -w)
set_target_properties(edgetrace_rpc_status_proto PROPERTIES POSITION_INDEPENDENT_CODE ON)

if(EDGETRACE_BUILD_TESTS)
  include(${PROJECT_SOURCE_DIR}/src/testing/grpc.cmake)

  include(${PROJECT_SOURCE_DIR}/src/testing/support.cmake)
  et_test(otlp_grpc_transport_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/grpc_transport_test.cpp
    LIBS edgetrace::otlp_exporter edgetrace::testing_grpc edgetrace::testing_support
         edgetrace_rpc_status_proto)
  if(TARGET otlp_grpc_transport_test)
    target_include_directories(otlp_grpc_transport_test PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  endif()
endif()
