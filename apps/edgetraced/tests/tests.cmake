# Tests of the daemon: unit tests of its parts, and end-to-end runs of the edgetraced binary.
et_test(edgetraced_test SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/../pipeline/telemetry_queue_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/../server/config_test.cpp
  LIBS edgetraced_core edgetrace::testing_support edgetrace_testing_http)

# The real binaries, started as processes (tests/daemon_process.hpp): edgetraced, the CLI
# uploading ELF files, and edgetrace-sim as the devices.
add_library(edgetraced_testing_process STATIC ${CMAKE_CURRENT_LIST_DIR}/daemon_process.cpp)
target_link_libraries(edgetraced_testing_process PUBLIC edgetrace::testing_support)
target_include_directories(edgetraced_testing_process PUBLIC ${CMAKE_CURRENT_LIST_DIR}/..)
et_project_target(edgetraced_testing_process)

et_test(edgetraced_e2e_test E2E SOURCES ${CMAKE_CURRENT_LIST_DIR}/daemon_e2e_test.cpp
  LIBS edgetraced_testing_process edgetrace_testing_http edgetrace::core)
add_dependencies(edgetraced_e2e_test edgetraced edgetrace edgetrace-sim)
target_compile_definitions(edgetraced_e2e_test PRIVATE
  ET_EDGETRACED="$<TARGET_FILE:edgetraced>"
  ET_CLI="$<TARGET_FILE:edgetrace>"
  ET_SIM="$<TARGET_FILE:edgetrace-sim>")
