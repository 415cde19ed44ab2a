# ctest cases for the firmware, registered from the host build (see firmware/e2e.sh).
if(NOT EDGETRACE_BUILD_TESTS)
  return()
endif()
find_program(ET_ARM_GCC arm-none-eabi-gcc)
find_program(ET_QEMU_ARM qemu-system-arm)
if(NOT ET_ARM_GCC OR NOT ET_QEMU_ARM)
  message(WARNING "arm-none-eabi-gcc or qemu-system-arm missing (scripts/setup): "
                  "firmware tests not registered")
  return()
endif()
get_filename_component(ET_ROOT ${CMAKE_CURRENT_SOURCE_DIR}/.. ABSOLUTE)
set(ET_FW_WORK ${CMAKE_CURRENT_BINARY_DIR}/e2e)

# The library alone, as a Cortex-M3 project compiles it: warnings are errors.
set(ET_ARM_LIB_CMD arm-none-eabi-g++ -mcpu=cortex-m3 -mthumb -Os -std=c++17 -ffreestanding
  -fno-exceptions -fno-rtti -fno-threadsafe-statics -Wall -Wextra -Wpedantic -Werror -Wshadow
  -Wconversion -Wno-sign-conversion -I${ET_ROOT}/include -I${ET_ROOT}/src/device -c
  -o /dev/null)
foreach(src device framing transports)
  add_test(NAME device.arm_cortex_m3_build.${src}
    COMMAND ${ET_ARM_LIB_CMD} ${ET_ROOT}/src/device/${src}.cpp)
  set_tests_properties(device.arm_cortex_m3_build.${src} PROPERTIES TIMEOUT 120)
endforeach()

if(NOT EDGETRACE_BUILD_APPS)
  message(STATUS "firmware end-to-end tests need the edgetrace CLI (EDGETRACE_BUILD_APPS)")
  return()
endif()
# The stream is decoded by the `edgetrace` CLI (decode --store / --elf / tcp input).
set(ET_CLI $<TARGET_FILE:edgetrace>)
add_test(NAME firmware.build
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e.sh ${ET_FW_WORK} ${ET_CLI} build)
set_tests_properties(firmware.build PROPERTIES TIMEOUT 300 FIXTURES_SETUP et_firmware)
add_test(NAME firmware.qemu_stream
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e.sh ${ET_FW_WORK} ${ET_CLI} run)
set_tests_properties(firmware.qemu_stream PROPERTIES TIMEOUT 120 FIXTURES_REQUIRED et_firmware
  PASS_REGULAR_EXPRESSION "store: decoded stream matches.*elf: decoded stream matches")
# The same firmware streaming live over a TCP serial port, decoded as it runs.
add_test(NAME firmware.qemu_live_tcp
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e.sh ${ET_FW_WORK} ${ET_CLI} live)
set_tests_properties(firmware.qemu_live_tcp PROPERTIES TIMEOUT 120 FIXTURES_REQUIRED et_firmware
  PASS_REGULAR_EXPRESSION "live: decoded stream matches")

# Post-link check of the call-site table (C call sites have no compile-time count check).
add_test(NAME firmware.table_check
  COMMAND edgetrace symbols verify ${ET_FW_WORK}/arm/example.elf)
set_tests_properties(firmware.table_check PROPERTIES TIMEOUT 60 FIXTURES_REQUIRED et_firmware
  PASS_REGULAR_EXPRESSION "table: [0-9]+ call sites, 0 problems")
