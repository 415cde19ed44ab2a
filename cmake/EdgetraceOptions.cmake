# Compiler settings shared by every project target.
#
# et_project_target(<target>) applies the warning set to code written in this repository
# (errors with EDGETRACE_WERROR, which the presets and CI turn on; a consumer's build of
# edgetrace keeps them warnings, since another compiler or -O3 may warn where ours do not).
# Generated code (protobuf, gRPC) is built in its own targets without it.

# EDGETRACE_LINKER=mold (set by the presets; scripts/setup installs it): the project's own
# builds link with a faster linker. A consumer's build leaves it empty and keeps the default.
# A linker the compiler cannot use is reported and skipped, not an error.
set(EDGETRACE_LINKER "" CACHE STRING "Linker for -fuse-ld= (for example mold or lld); empty: the default")
if(EDGETRACE_LINKER)
  include(CheckLinkerFlag)
  check_linker_flag(CXX "-fuse-ld=${EDGETRACE_LINKER}" ET_LINKER_USABLE)
  if(ET_LINKER_USABLE)
    add_link_options(-fuse-ld=${EDGETRACE_LINKER})
  else()
    message(STATUS "edgetrace: linker '${EDGETRACE_LINKER}' not usable; using the default")
  endif()
endif()

if(EDGETRACE_SANITIZE)
  set(ET_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined
                         -fno-omit-frame-pointer)
  add_compile_options(${ET_SANITIZER_FLAGS})
  add_link_options(${ET_SANITIZER_FLAGS})
endif()

if(EDGETRACE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "EDGETRACE_FUZZ needs clang (use the 'fuzz' preset)")
  endif()
  # Every object is instrumented for coverage; only fuzz executables link the fuzzer main.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

set(ET_WARNING_FLAGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wconversion
                     -Wno-sign-conversion)
if(EDGETRACE_WERROR)
  list(APPEND ET_WARNING_FLAGS -Werror)
endif()

function(et_project_target target)
  target_compile_options(${target} PRIVATE ${ET_WARNING_FLAGS})
endfunction()

# et_test(<name> [E2E] SOURCES ... LIBS ...): a GoogleTest executable registered with ctest.
# E2E marks a test of whole programs (processes, sockets, the CLI). With
# EDGETRACE_UNIT_TESTS=OFF (the release half of scripts/test: the sanitizer build already
# runs every unit test) the other test executables are still defined, so the build files
# that refer to them stay valid, but they are not built by default nor registered.
option(EDGETRACE_UNIT_TESTS "Build and register the unit tests (end-to-end tests always)" ON)
function(et_test name)
  if(NOT EDGETRACE_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "E2E" "" "SOURCES;LIBS" ${ARGN})
  set(registered ON)
  if(NOT ARG_E2E AND NOT EDGETRACE_UNIT_TESTS)
    set(registered OFF)
  endif()
  if(registered)
    add_executable(${name} ${ARG_SOURCES})
  else()
    add_executable(${name} EXCLUDE_FROM_ALL ${ARG_SOURCES})
  endif()
  et_project_target(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest_main)
  if(registered)
    # Registered in units of up to 8 tests of one suite (cmake/EdgetraceGtestUnits.cmake),
    # listed each time the executable links.
    set(units_file "${CMAKE_CURRENT_BINARY_DIR}/${name}_units.cmake")
    add_custom_command(TARGET ${name} POST_BUILD
      COMMAND ${CMAKE_COMMAND} "-DTEST_EXECUTABLE=$<TARGET_FILE:${name}>"
              "-DCTEST_FILE=${units_file}" "-DWORKING_DIR=${CMAKE_CURRENT_BINARY_DIR}"
              "-DUNIT_PREFIX=${name}" -P "${ET_GTEST_UNITS_SCRIPT}"
      BYPRODUCTS "${units_file}"
      VERBATIM)
    set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${name}_include.cmake")
    file(WRITE "${include_file}"
         "if(EXISTS \"${units_file}\")\n  include(\"${units_file}\")\n"
         "else()\n  add_test(${name}_NOT_BUILT ${name}_NOT_BUILT)\nendif()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
  endif()
endfunction()
set(ET_GTEST_UNITS_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/EdgetraceGtestUnits.cmake")
