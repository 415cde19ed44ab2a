# The durable queue: append-only segment files between a producer and an exporter
# (docs/durable-queue.md). Its own target so that users of the queue need not link the
# protobuf and gRPC code of edgetrace_otlp.
find_package(ZLIB REQUIRED)

add_library(edgetrace_durable_queue
  ${CMAKE_CURRENT_LIST_DIR}/durable_queue.cpp
  ${CMAKE_CURRENT_LIST_DIR}/internal/segment.cpp
)
add_library(edgetrace::durable_queue ALIAS edgetrace_durable_queue)
target_include_directories(edgetrace_durable_queue
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(edgetrace_durable_queue PUBLIC edgetrace::core PRIVATE ZLIB::ZLIB)
et_project_target(edgetrace_durable_queue)

include(${PROJECT_SOURCE_DIR}/src/testing/support.cmake)
et_test(durable_queue_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/durable_queue_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/durable_queue_crash_test.cpp
  LIBS edgetrace::durable_queue edgetrace::testing_support)
if(TARGET durable_queue_test)
  # The tests reach into the segment format to write damaged files on purpose.
  target_include_directories(durable_queue_test PRIVATE ${CMAKE_CURRENT_LIST_DIR})
endif()
