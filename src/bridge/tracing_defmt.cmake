# Tests of the tracing-defmt reconstruction. Their corpus (an ELF whose .defmt section has
# the format strings tracing-defmt's macros intern, and the rzCOBS streams such a firmware
# sends) is generated at build time by tests/defmt/gen_tracing_defmt.py and assembled with
# the host's GNU as and ld, as the defmt decoder's corpus is (src/decoder/defmt.cmake).
if(EDGETRACE_BUILD_TESTS)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  find_program(ET_GNU_AS NAMES as REQUIRED)
  find_program(ET_GNU_LD NAMES ld.bfd ld REQUIRED)
  set(et_tdefmt_dir ${CMAKE_CURRENT_BINARY_DIR}/tracing_defmt_corpus)
  set(et_tdefmt_gen ${PROJECT_SOURCE_DIR}/tests/defmt/gen_tracing_defmt.py)
  set(et_tdefmt_streams)
  foreach(name IN ITEMS nested interleaved broken many_events)
    list(APPEND et_tdefmt_streams ${et_tdefmt_dir}/${name}.rzcobs)
  endforeach()
  add_custom_command(
    OUTPUT ${et_tdefmt_dir}/tracing_defmt.s ${et_tdefmt_streams}
    COMMAND Python3::Interpreter ${et_tdefmt_gen} ${et_tdefmt_dir}
    DEPENDS ${et_tdefmt_gen} ${PROJECT_SOURCE_DIR}/tests/defmt/gen_defmt_corpus.py
    COMMENT "Generating the tracing-defmt test corpus")
  add_custom_command(
    OUTPUT ${et_tdefmt_dir}/tracing_defmt.o ${et_tdefmt_dir}/tracing_defmt.elf
    COMMAND ${ET_GNU_AS} -o tracing_defmt.o tracing_defmt.s
    COMMAND ${ET_GNU_LD} --build-id -e _start -o tracing_defmt.elf tracing_defmt.o
    WORKING_DIRECTORY ${et_tdefmt_dir}
    DEPENDS ${et_tdefmt_dir}/tracing_defmt.s)
  add_custom_target(tracing_defmt_corpus
    DEPENDS ${et_tdefmt_dir}/tracing_defmt.elf ${et_tdefmt_streams})

  et_test(tracing_defmt_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/tracing_defmt_test.cpp
    LIBS edgetrace::bridge)
  add_dependencies(tracing_defmt_test tracing_defmt_corpus)
  target_include_directories(tracing_defmt_test PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_compile_definitions(tracing_defmt_test PRIVATE
    ET_TRACING_DEFMT_DIR="${et_tdefmt_dir}")
endif()
