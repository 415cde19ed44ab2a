# The decoder library: ELF reading, the edgetrace call-site table and frame decoder, the
# record model and its renderings. defmt.cmake and store.cmake add their sources to the
# same target with target_sources().
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBELF REQUIRED IMPORTED_TARGET libelf)

add_library(edgetrace_decoder
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
    ${CMAKE_CURRENT_LIST_DIR}/elf_file_test.cpp
  LIBS edgetrace::decoder)
