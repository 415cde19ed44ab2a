# Tests of the daemon: unit tests of its parts, and end-to-end runs of the edgetraced binary.
et_test(edgetraced_test SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/../pipeline/telemetry_queue_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/../pipeline/processors_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/../pipeline/drop_report_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/../server/config_test.cpp
  LIBS edgetraced_core edgetrace::testing_support edgetrace_testing_http)

# The real binaries, started as processes (tests/daemon_process.hpp): edgetraced, the CLI
# uploading ELF files, and edgetrace-sim as the devices.
add_library(edgetraced_testing_process STATIC ${CMAKE_CURRENT_LIST_DIR}/daemon_process.cpp)
target_link_libraries(edgetraced_testing_process PUBLIC edgetrace::testing_support edgetrace::core)
target_include_directories(edgetraced_testing_process PUBLIC ${CMAKE_CURRENT_LIST_DIR}/..)
et_project_target(edgetraced_testing_process)

et_test(edgetraced_e2e_test E2E SOURCES ${CMAKE_CURRENT_LIST_DIR}/daemon_e2e_test.cpp
  LIBS edgetraced_testing_process edgetrace_testing_http edgetrace::core edgetrace::otlp)
add_dependencies(edgetraced_e2e_test edgetraced edgetrace edgetrace-sim)
find_program(EDGETRACED_MOSQUITTO_PUB mosquitto_pub REQUIRED)
target_compile_definitions(edgetraced_e2e_test PRIVATE
  ET_MOSQUITTO_BROKER="${EDGETRACED_MOSQUITTO_BROKER}"
  ET_MOSQUITTO_PUB="${EDGETRACED_MOSQUITTO_PUB}"
  ET_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  ET_EDGETRACED="$<TARGET_FILE:edgetraced>"
  ET_CLI="$<TARGET_FILE:edgetrace>"
  ET_SIM="$<TARGET_FILE:edgetrace-sim>")

# The example firmware under QEMU streaming its UART over TCP to edgetraced
# (firmware_daemon_test.cpp): one run for the whole binary, as src/bridge/firmware.cmake.
if(EDGETRACE_BUILD_APPS AND ET_ARM_GCC AND ET_QEMU_ARM)
  et_test(firmware_daemon_test E2E SOURCES ${CMAKE_CURRENT_LIST_DIR}/firmware_daemon_test.cpp
    LIBS edgetraced_testing_process edgetrace_testing_http edgetrace::bridge edgetrace::decoder)
  add_dependencies(firmware_daemon_test edgetraced edgetrace)
  target_compile_definitions(firmware_daemon_test PRIVATE
    ET_EDGETRACED="$<TARGET_FILE:edgetraced>"
    ET_CLI="$<TARGET_FILE:edgetrace>"
    ET_FIRMWARE_ELF="${CMAKE_BINARY_DIR}/firmware/e2e/arm/example.elf"
    ET_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_test(NAME edgetraced.firmware_qemu_tcp COMMAND firmware_daemon_test)
  # Every test of the binary must run and pass: a skip fails the case.
  set_tests_properties(edgetraced.firmware_qemu_tcp PROPERTIES TIMEOUT 180
    ENVIRONMENT ET_FIRMWARE_DAEMON=1
    FIXTURES_REQUIRED et_firmware
    PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] 8 tests"
    FAIL_REGULAR_EXPRESSION "SKIPPED|FAILED")
endif()

# The proxy for browsers and phones through the binary, in front of a fake upstream, with
# tokens signed by proxy/jwt_testing.hpp.
et_test(edgetraced_proxy_e2e_test E2E SOURCES ${CMAKE_CURRENT_LIST_DIR}/proxy_e2e_test.cpp
  LIBS edgetraced_testing_process edgetraced_testing_jwt edgetrace_testing_http edgetrace::core
       edgetrace::otlp ZLIB::ZLIB)
add_dependencies(edgetraced_proxy_e2e_test edgetraced)
target_include_directories(edgetraced_proxy_e2e_test PRIVATE ${PROJECT_SOURCE_DIR}/src/net
  ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(edgetraced_proxy_e2e_test PRIVATE ET_EDGETRACED="$<TARGET_FILE:edgetraced>")
include(${CMAKE_CURRENT_LIST_DIR}/browser.cmake)

# The trace store and the UI listener through the binary: OTLP/HTTP in, the query API out.
et_test(edgetraced_ui_e2e_test E2E SOURCES ${CMAKE_CURRENT_LIST_DIR}/ui_e2e_test.cpp
  LIBS edgetraced_testing_process edgetrace_testing_http edgetrace::core edgetrace::otlp)
add_dependencies(edgetraced_ui_e2e_test edgetraced)
target_compile_definitions(edgetraced_ui_e2e_test PRIVATE ET_EDGETRACED="$<TARGET_FILE:edgetraced>")
include(${CMAKE_CURRENT_LIST_DIR}/viewer.cmake)
