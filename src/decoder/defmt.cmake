# defmt (Rust firmware) decoding: rzCOBS, the interned-string table read from the ELF, the
# frame decoder and its defmt-print compatible rendering. Added to the decoder library.
if(TARGET edgetrace_decoder)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(LIBDW REQUIRED IMPORTED_TARGET libdw)
  target_link_libraries(edgetrace_decoder PRIVATE PkgConfig::LIBDW)
  target_sources(edgetrace_decoder PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/rzcobs.cpp
    ${CMAKE_CURRENT_LIST_DIR}/defmt_format.cpp
    ${CMAKE_CURRENT_LIST_DIR}/defmt_table.cpp
    ${CMAKE_CURRENT_LIST_DIR}/defmt_decoder.cpp
    ${CMAKE_CURRENT_LIST_DIR}/defmt_dwarf.cpp
    ${CMAKE_CURRENT_LIST_DIR}/log_format.cpp
  )
endif()

# Tests. The corpus (firmware-like ELF files with a .defmt section, and the streams such a
# firmware sends) is generated at build time by tests/defmt/gen_defmt_corpus.py and
# assembled with the host's GNU as and ld; what defmt-print prints for it is checked in
# by hand as tests/defmt/corpus.expected.
if(EDGETRACE_BUILD_TESTS AND TARGET edgetrace_decoder)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  find_program(ET_GNU_AS NAMES as REQUIRED)
  find_program(ET_GNU_LD NAMES ld.bfd ld REQUIRED)
  set(et_defmt_corpus_dir ${CMAKE_CURRENT_BINARY_DIR}/defmt_corpus)
  set(et_defmt_gen ${PROJECT_SOURCE_DIR}/tests/defmt/gen_defmt_corpus.py)
  set(et_defmt_names corpus corpus_raw version3 no_version bad_json no_defmt bitflags_no_index
                     bitflags_bad_index)
  set(et_defmt_sources)
  set(et_defmt_elfs)
  foreach(name IN LISTS et_defmt_names)
    list(APPEND et_defmt_sources ${et_defmt_corpus_dir}/${name}.s)
  endforeach()
  set(et_defmt_streams ${et_defmt_corpus_dir}/corpus.raw ${et_defmt_corpus_dir}/corpus.rzcobs
                       ${et_defmt_corpus_dir}/frames.hex ${et_defmt_corpus_dir}/locations.cpp)
  add_custom_command(
    OUTPUT ${et_defmt_sources} ${et_defmt_streams}
    COMMAND Python3::Interpreter ${et_defmt_gen} ${et_defmt_corpus_dir}
    DEPENDS ${et_defmt_gen}
    COMMENT "Generating the defmt test corpus")
  foreach(name IN LISTS et_defmt_names)
    add_custom_command(
      OUTPUT ${et_defmt_corpus_dir}/${name}.o ${et_defmt_corpus_dir}/${name}.elf
      COMMAND ${ET_GNU_AS} -o ${name}.o ${name}.s
      COMMAND ${ET_GNU_LD} --build-id -e _start -o ${name}.elf ${name}.o
      WORKING_DIRECTORY ${et_defmt_corpus_dir}
      DEPENDS ${et_defmt_corpus_dir}/${name}.s)
    list(APPEND et_defmt_elfs ${et_defmt_corpus_dir}/${name}.o ${et_defmt_corpus_dir}/${name}.elf)
  endforeach()
  set(et_defmt_no_addrsig "")
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    set(et_defmt_no_addrsig -fno-addrsig)  # GNU as does not know .addrsig
  endif()
  # An ELF with real DWARF for DEFMT_LOG_STATEMENT statics: compiled to assembler, its
  # placeholder symbol names replaced by JSON names, assembled, linked with .defmt at 0.
  add_custom_command(
    OUTPUT ${et_defmt_corpus_dir}/locations.elf
    COMMAND ${CMAKE_CXX_COMPILER} -g -O0 ${et_defmt_no_addrsig} -S -o locations_cc.s locations.cpp
    COMMAND Python3::Interpreter ${et_defmt_gen} --quote locations_cc.s locations.s
    COMMAND ${ET_GNU_AS} -o locations.o locations.s
    COMMAND ${ET_GNU_LD} --build-id -e 0 --section-start=.defmt=0 -o locations.elf locations.o
    WORKING_DIRECTORY ${et_defmt_corpus_dir}
    DEPENDS ${et_defmt_corpus_dir}/locations.cpp ${et_defmt_gen})
  list(APPEND et_defmt_elfs ${et_defmt_corpus_dir}/locations.elf)
  # The same with LLVM's DWARF 5 (as rustc emits it: DW_OP_addrx, file index 0), if clang
  # is installed.
  find_program(ET_CLANGXX NAMES clang++)
  if(ET_CLANGXX)
    add_custom_command(
      OUTPUT ${et_defmt_corpus_dir}/locations_llvm.elf
      COMMAND ${ET_CLANGXX} -g -gdwarf-5 -O0 -fno-addrsig -S -o locations_llvm_cc.s locations.cpp
      COMMAND Python3::Interpreter ${et_defmt_gen} --quote locations_llvm_cc.s locations_llvm.s
      COMMAND ${ET_GNU_AS} -o locations_llvm.o locations_llvm.s
      COMMAND ${ET_GNU_LD} --build-id -e 0 --section-start=.defmt=0 -o locations_llvm.elf
              locations_llvm.o
      WORKING_DIRECTORY ${et_defmt_corpus_dir}
      DEPENDS ${et_defmt_corpus_dir}/locations.cpp ${et_defmt_gen})
    list(APPEND et_defmt_elfs ${et_defmt_corpus_dir}/locations_llvm.elf)
  endif()
  # Built by default: the CLI end-to-end test decodes it too (with or without unit tests).
  add_custom_target(defmt_corpus ALL DEPENDS ${et_defmt_elfs} ${et_defmt_streams})

  et_test(defmt_test
    SOURCES
      ${CMAKE_CURRENT_LIST_DIR}/rzcobs_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/defmt_format_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/defmt_decoder_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/defmt_corpus_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/log_format_test.cpp
    LIBS edgetrace::decoder)
  add_dependencies(defmt_test defmt_corpus)
  target_compile_definitions(defmt_test PRIVATE
    ET_DEFMT_CORPUS_DIR="${et_defmt_corpus_dir}"
    ET_DEFMT_TESTS_DIR="${PROJECT_SOURCE_DIR}/tests/defmt"
    $<$<BOOL:${ET_CLANGXX}>:ET_DEFMT_LLVM_DWARF=1>)
endif()
