# The decoder library: ELF reading, the edgetrace call-site table and frame decoder, the
# record model and its renderings. defmt.cmake and store.cmake add their sources to the
# same target with target_sources().
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBELF REQUIRED IMPORTED_TARGET libelf)

add_library(edgetrace_decoder
  ${CMAKE_CURRENT_LIST_DIR}/decoder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/elf_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/edgetrace_table.cpp
  ${CMAKE_CURRENT_LIST_DIR}/edgetrace_decoder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/render.cpp
)
add_library(edgetrace::decoder ALIAS edgetrace_decoder)
target_include_directories(edgetrace_decoder
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(edgetrace_decoder PUBLIC edgetrace::core PRIVATE PkgConfig::LIBELF)
et_project_target(edgetrace_decoder)

et_test(decoder_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/decoder_interface_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/elf_file_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/edgetrace_table_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/edgetrace_decoder_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/render_test.cpp
  LIBS edgetrace::decoder edgetrace::testing_wire)
if(TARGET decoder_test)
  target_include_directories(decoder_test PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_compile_definitions(decoder_test PRIVATE ET_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()

# The example firmware's live stream, decoded by this decoder: firmware/ builds the ELF
# (ctest fixture et_firmware, firmware/host-tests.cmake); this case runs it under QEMU and
# checks every line of firmware/expected_stream.txt (DecoderFirmwareTest).
if(TARGET decoder_test AND EDGETRACE_UNIT_TESTS AND ET_ARM_GCC AND ET_QEMU_ARM)
  set(ET_DECODER_FW_ELF ${CMAKE_BINARY_DIR}/firmware/e2e/arm/example.elf)
  set(ET_DECODER_FW_STREAM ${CMAKE_CURRENT_BINARY_DIR}/firmware_stream.bin)
  add_test(NAME decoder.firmware_qemu_stream
    COMMAND sh -c "\"$0\" \"$1\" \"$2\" 60 && ET_FIRMWARE_ELF=\"$1\" ET_FIRMWARE_STREAM=\"$2\" \"$3\" --gtest_filter=DecoderFirmwareTest.*"
      ${PROJECT_SOURCE_DIR}/firmware/run-qemu.sh ${ET_DECODER_FW_ELF} ${ET_DECODER_FW_STREAM}
      $<TARGET_FILE:decoder_test>)
  set_tests_properties(decoder.firmware_qemu_stream PROPERTIES TIMEOUT 120
    FIXTURES_REQUIRED et_firmware
    PASS_REGULAR_EXPRESSION "\\[  PASSED  \\] 1 test"
    FAIL_REGULAR_EXPRESSION "SKIPPED|FAILED")
endif()
