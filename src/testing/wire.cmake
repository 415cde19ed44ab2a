# edgetrace_testing_wire (edgetrace::testing_wire): test support for both sides of the device
# wire format, shared by the device library's tests, the decoder's tests, fuzz targets and
# benchmarks:
#   golden_vectors.hpp        the loader of the golden byte vectors in tests/vectors/
#   edgetrace_wire_writer.hpp an independent frame and call-site table writer
#   device_fixture.hpp        the device tests' GoogleTest fixture (header only; the test
#                             links edgetrace::device and edgetrace::decoder)
# Included from the top-level CMakeLists.txt; links nothing but the standard library.
if(NOT (EDGETRACE_BUILD_TESTS OR EDGETRACE_BUILD_BENCH OR EDGETRACE_FUZZ))
  return()
endif()
add_library(edgetrace_testing_wire STATIC
  ${CMAKE_CURRENT_LIST_DIR}/golden_vectors.cpp
  ${CMAKE_CURRENT_LIST_DIR}/edgetrace_wire_writer.cpp)
add_library(edgetrace::testing_wire ALIAS edgetrace_testing_wire)
target_include_directories(edgetrace_testing_wire PUBLIC ${PROJECT_SOURCE_DIR}/src
                                                         ${PROJECT_SOURCE_DIR}/include)
target_compile_definitions(edgetrace_testing_wire PRIVATE
  ET_GOLDEN_VECTORS_DIR="${PROJECT_SOURCE_DIR}/tests/vectors")
et_project_target(edgetrace_testing_wire)
