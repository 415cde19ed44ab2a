# Script mode (cmake -P), run after a GoogleTest executable links (et_test in
# EdgetraceOptions.cmake): lists its tests and writes CTEST_FILE, which registers them with
# ctest in units of up to UNIT_SIZE tests of one suite, each run as
#   <executable> --gtest_filter=Suite.A:Suite.B:...
# Every test still runs in a process of its own suite's unit, but a process starts once per
# unit rather than once per test: under the sanitizers a start costs 0.1 to 0.2 s, more than
# most tests take. Units are named <executable>.<Suite>, or <executable>.<Suite>/<n> when a
# suite needs several. A unit whose tests were all skipped is reported as skipped.
#   -D TEST_EXECUTABLE=... -D CTEST_FILE=... -D WORKING_DIR=... -D UNIT_PREFIX=...
#   [-D UNIT_SIZE=8] [-D TEST_TIMEOUT=120]
if(NOT UNIT_SIZE)
  set(UNIT_SIZE 8)
endif()
if(NOT TEST_TIMEOUT)
  set(TEST_TIMEOUT 120)
endif()

execute_process(COMMAND "${TEST_EXECUTABLE}" --gtest_list_tests
                OUTPUT_VARIABLE listing
                ERROR_VARIABLE listing_errors
                RESULT_VARIABLE listed
                TIMEOUT 60)
if(NOT listed EQUAL 0)
  message(FATAL_ERROR "listing the tests of ${TEST_EXECUTABLE} failed (${listed}):\n"
                      "${listing}${listing_errors}")
endif()

set(script "")
set(suite "")
set(unit_tests "")
set(suite_units 0)
set(units_of_suite "")

# Appends the pending unit of `suite` (unit_tests) to the script.
macro(et_flush_unit)
  list(LENGTH unit_tests count)
  if(count GREATER 0)
    list(TRANSFORM unit_tests PREPEND "${suite}.")
    list(JOIN unit_tests ":" filter)
    set(name "${UNIT_PREFIX}.${suite}/${suite_units}")
    math(EXPR timeout "${TEST_TIMEOUT} * ${count}")
    string(APPEND script
           "add_test([==[${name}]==] [==[${TEST_EXECUTABLE}]==] [==[--gtest_filter=${filter}]==])\n"
           "set_tests_properties([==[${name}]==] PROPERTIES TIMEOUT ${timeout} "
           "WORKING_DIRECTORY [==[${WORKING_DIR}]==] "
           "SKIP_REGULAR_EXPRESSION [==[\\[  PASSED  \\] 0 tests\\.]==])\n")
    math(EXPR suite_units "${suite_units} + 1")
    set(unit_tests "")
  endif()
endmacro()

# A suite with a single unit keeps the plain name <prefix>.<Suite>.
macro(et_end_suite)
  et_flush_unit()
  if(suite_units EQUAL 1)
    string(REPLACE "[==[${UNIT_PREFIX}.${suite}/0]==]" "[==[${UNIT_PREFIX}.${suite}]==]"
                   script "${script}")
  endif()
  set(suite_units 0)
endmacro()

string(REPLACE "\n" ";" lines "${listing}")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "  *#.*$" "" line "${line}")  # "# GetParam() = ..." comments
  if(line MATCHES "^([^ ].*)\\.$")
    if(NOT suite STREQUAL "")
      et_end_suite()
    endif()
    set(suite "${CMAKE_MATCH_1}")
  elseif(line MATCHES "^  +([^ ]+)$" AND NOT suite STREQUAL "")
    list(APPEND unit_tests "${CMAKE_MATCH_1}")
    list(LENGTH unit_tests count)
    if(count EQUAL UNIT_SIZE)
      et_flush_unit()
    endif()
  endif()
endforeach()
if(NOT suite STREQUAL "")
  et_end_suite()
endif()

file(WRITE "${CTEST_FILE}" "${script}")
