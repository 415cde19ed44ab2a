# End-to-end test of the example firmware's real stream through the bridge and the CLI
# (firmware_bridge_test.cpp): firmware/ builds the ELF (ctest fixture et_firmware,
# firmware/host-tests.cmake); this case runs it under QEMU for a fresh capture, noting the
# wall-clock time just before and after, and the test decodes the capture with
# `edgetrace decode --format otlp-json` (its times anchored on the file's modification time)
# and checks the spans, logs, times, loss and resource it prints.
if(EDGETRACE_BUILD_TESTS AND EDGETRACE_BUILD_APPS AND ET_ARM_GCC AND ET_QEMU_ARM)
  et_test(firmware_bridge_test E2E
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/firmware_bridge_test.cpp
    LIBS edgetrace::bridge)
  add_dependencies(firmware_bridge_test edgetrace)
  target_include_directories(firmware_bridge_test PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_definitions(firmware_bridge_test PRIVATE
    ET_CLI="$<TARGET_FILE:edgetrace>"
    ET_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

  # A capture of its own: the decoder's QEMU case may run at the same time.
  set(et_fw_elf ${CMAKE_BINARY_DIR}/firmware/e2e/arm/example.elf)
  set(et_fw_stream ${CMAKE_CURRENT_BINARY_DIR}/firmware_bridge_stream.bin)
  add_test(NAME bridge.firmware_qemu_otlp
    COMMAND sh -c [[
start=$(date +%s%N) && "$0" "$1" "$2" 60 && end=$(date +%s%N) &&
ET_FIRMWARE_ELF="$1" ET_FIRMWARE_STREAM="$2" ET_QEMU_START_UNIX_NANOS="$start" \
ET_QEMU_END_UNIX_NANOS="$end" exec "$3"]]
      ${PROJECT_SOURCE_DIR}/firmware/run-qemu.sh ${et_fw_elf} ${et_fw_stream}
      $<TARGET_FILE:firmware_bridge_test>)
  # Every test of the binary must run and pass: a skip (variables not set) fails the case.
  set_tests_properties(bridge.firmware_qemu_otlp PROPERTIES TIMEOUT 120
    FIXTURES_REQUIRED et_firmware
    PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] 8 tests"
    FAIL_REGULAR_EXPRESSION "SKIPPED|FAILED")
endif()
