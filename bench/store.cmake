# Symbol store: cached get and the upload of a 2 MiB ELF (bench/symbol_store_bench.cpp).
# The 2 MiB ELF is the store tests' fixture program with a 2 MiB section added by objcopy.
if(TARGET symbol_store_fixture)
  set(ET_FIXTURE_2MIB ${CMAKE_CURRENT_BINARY_DIR}/symbol_store_fixture_2mib.elf)
  add_custom_command(OUTPUT ${ET_FIXTURE_2MIB}
    COMMAND head -c 2097152 /dev/urandom > ${CMAKE_CURRENT_BINARY_DIR}/pad_2mib.bin
    COMMAND ${CMAKE_OBJCOPY} --add-section .pad=${CMAKE_CURRENT_BINARY_DIR}/pad_2mib.bin
            $<TARGET_FILE:symbol_store_fixture> ${ET_FIXTURE_2MIB}
    DEPENDS symbol_store_fixture
    COMMENT "symbol store bench: a 2 MiB ELF")
  add_custom_target(symbol_store_fixture_2mib DEPENDS ${ET_FIXTURE_2MIB})

  add_executable(symbol_store_bench symbol_store_bench.cpp)
  et_project_target(symbol_store_bench)
  target_link_libraries(symbol_store_bench PRIVATE edgetrace::symbol_store benchmark::benchmark)
  add_dependencies(symbol_store_bench symbol_store_fixture_2mib)
  target_compile_definitions(symbol_store_bench PRIVATE
    ET_FIXTURE_ELF="$<TARGET_FILE:symbol_store_fixture>"
    ET_FIXTURE_ELF_2MIB="${ET_FIXTURE_2MIB}")
endif()
