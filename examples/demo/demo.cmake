# The demo as a test: `scripts/demo --once --no-build` with this build's binaries (so the
# test never builds with another preset than the ctest run it belongs to). It starts
# mosquitto, edgetraced, two QEMU devices, simulated devices and the HTTP service, and fails
# naming any expected trace that is missing or any process that did not stop cleanly.
if(NOT EDGETRACE_BUILD_TESTS OR NOT EDGETRACE_BUILD_APPS)
  return()
endif()

# The checks themselves (examples/demo/traces.py) on fixed OTLP/JSON files: a complete run
# passes, and one whose device span is not the MQTT publish's child names the cross trace.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(ET_DEMO_DATA ${CMAKE_CURRENT_LIST_DIR}/testdata)
foreach(case complete broken_cross_trace)
  add_test(NAME demo.checks.${case}
    COMMAND Python3::Interpreter ${CMAKE_CURRENT_LIST_DIR}/traces.py check
            ${ET_DEMO_DATA}/${case}.jsonl ${ET_DEMO_DATA}/console.txt
            ${ET_DEMO_DATA}/command_traces.txt "" --report)
  set_tests_properties(demo.checks.${case} PROPERTIES TIMEOUT 30)
endforeach()
set_tests_properties(demo.checks.complete PROPERTIES
  PASS_REGULAR_EXPRESSION "crossing into a device: 1111"
  FAIL_REGULAR_EXPRESSION "MISSING")
set_tests_properties(demo.checks.broken_cross_trace PROPERTIES
  PASS_REGULAR_EXPRESSION "demo: MISSING the cross trace HTTP request -> MQTT command")

find_program(ET_ARM_GCC arm-none-eabi-gcc)
find_program(ET_QEMU_ARM qemu-system-arm)
if(NOT ET_ARM_GCC OR NOT ET_QEMU_ARM)
  message(WARNING "arm-none-eabi-gcc or qemu-system-arm missing (scripts/setup): "
                  "demo.once not registered")
  return()
endif()
add_test(NAME demo.once COMMAND ${PROJECT_SOURCE_DIR}/scripts/demo --once --no-build)
set_tests_properties(demo.once PROPERTIES
  ENVIRONMENT "EDGETRACE_DEMO_BUILD=${CMAKE_BINARY_DIR}"
  LABELS e2e
  TIMEOUT 300
  RUN_SERIAL TRUE
  # The example firmware's ELF, built by firmware.build (firmware/host-tests.cmake).
  FIXTURES_REQUIRED et_firmware
  PASS_REGULAR_EXPRESSION "demo: every expected trace seen, every process stopped cleanly"
  FAIL_REGULAR_EXPRESSION "MISSING|UNCLEAN")
