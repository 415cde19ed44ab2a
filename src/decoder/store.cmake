# The symbol store (firmware ELF files by build-id, with an LRU cache of their parsed
# tables) and its HTTP interface (a handler the daemon mounts, a small server, the client
# the CLI uses); the server is an edgetrace::net HttpServer.
find_package(CURL REQUIRED)
find_package(simdjson CONFIG REQUIRED)
find_package(Threads REQUIRED)

add_library(edgetrace_symbol_store
  ${CMAKE_CURRENT_LIST_DIR}/symbol_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/symbol_store_check.cpp)
add_library(edgetrace::symbol_store ALIAS edgetrace_symbol_store)
target_include_directories(edgetrace_symbol_store PUBLIC ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(edgetrace_symbol_store PUBLIC edgetrace::decoder)
et_project_target(edgetrace_symbol_store)

add_library(edgetrace_symbol_http
  ${CMAKE_CURRENT_LIST_DIR}/symbol_http_server.cpp
  ${CMAKE_CURRENT_LIST_DIR}/symbol_http_client.cpp)
add_library(edgetrace::symbol_http ALIAS edgetrace_symbol_http)
# symbol_http.hpp is included as "symbol_http.hpp" by the CLI and the daemon.
target_include_directories(edgetrace_symbol_http PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(edgetrace_symbol_http PUBLIC edgetrace::symbol_store edgetrace::net Threads::Threads
                                            PRIVATE CURL::libcurl simdjson::simdjson)
et_project_target(edgetrace_symbol_http)

if(EDGETRACE_BUILD_TESTS OR EDGETRACE_BUILD_BENCH)
  # A small host program with edgetrace call sites, linked like the simulator (no PIE, with
  # a build-id): the valid ELF the store tests and benchmarks upload.
  add_executable(symbol_store_fixture ${CMAKE_CURRENT_LIST_DIR}/symbol_store_fixture_main.cpp)
  et_project_target(symbol_store_fixture)
  target_link_libraries(symbol_store_fixture PRIVATE edgetrace::device)
  set_target_properties(symbol_store_fixture PROPERTIES POSITION_INDEPENDENT_CODE OFF)
  target_link_options(symbol_store_fixture PRIVATE -no-pie -Wl,--build-id)

  # The same program plus a C call site with a placeholder/argument mismatch.
  add_executable(symbol_store_fixture_bad_format
    ${CMAKE_CURRENT_LIST_DIR}/symbol_store_fixture_main.cpp
    ${CMAKE_CURRENT_LIST_DIR}/symbol_store_fixture_sites.c)
  target_link_libraries(symbol_store_fixture_bad_format PRIVATE edgetrace::device)
  set_target_properties(symbol_store_fixture_bad_format PROPERTIES
    POSITION_INDEPENDENT_CODE OFF C_STANDARD 11 C_EXTENSIONS OFF)
  target_link_options(symbol_store_fixture_bad_format PRIVATE -no-pie -Wl,--build-id)
endif()

if(EDGETRACE_BUILD_TESTS)
  include(${PROJECT_SOURCE_DIR}/src/testing/support.cmake)
  et_test(symbol_store_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/symbol_store_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/symbol_http_test.cpp
    LIBS edgetrace::symbol_http edgetrace::testing_support)
  add_dependencies(symbol_store_test symbol_store_fixture)
  target_compile_definitions(symbol_store_test PRIVATE
    ET_FIXTURE_ELF="$<TARGET_FILE:symbol_store_fixture>")
  if(TARGET defmt_corpus)
    # defmt firmware ELF files generated for the defmt tests (defmt.cmake).
    add_dependencies(symbol_store_test defmt_corpus)
    target_compile_definitions(symbol_store_test PRIVATE
      ET_DEFMT_CORPUS_DIR="${et_defmt_corpus_dir}")
  endif()
endif()
