# HTTP device receiver and serial/file receiver.
include(${PROJECT_SOURCE_DIR}/apps/shared/serial_port.cmake)
target_sources(edgetraced_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/device_identity.cpp
  ${CMAKE_CURRENT_LIST_DIR}/device_http.cpp
  ${CMAKE_CURRENT_LIST_DIR}/serial.cpp)
target_link_libraries(edgetraced_core PUBLIC edgetrace::serial_port)

# POSTs over real sockets, a real FIFO, a pseudo-terminal and files, into a real
# DevicePipeline and TelemetryQueue, decoded with the symbol store's fixture ELF.
if(EDGETRACE_BUILD_TESTS)
  include(${PROJECT_SOURCE_DIR}/src/testing/support.cmake)
  et_test(edgetraced_http_serial_test E2E
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/device_http_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/serial_test.cpp
    LIBS edgetraced_core edgetrace::testing_support edgetrace_testing_http)
  add_dependencies(edgetraced_http_serial_test symbol_store_fixture)
  target_compile_definitions(edgetraced_http_serial_test PRIVATE
    ET_FIXTURE_ELF="$<TARGET_FILE:symbol_store_fixture>")
endif()
