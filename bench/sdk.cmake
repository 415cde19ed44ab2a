# SDK: caller's-thread cost of call sites and spans (docs/benchmarks.md, "SDK"). The OTLP
# cases export to the fake receiver (built with the tests).
if(EDGETRACE_BUILD_TESTS)
  add_executable(sdk_bench sdk_bench.cpp)
  et_project_target(sdk_bench)
  target_include_directories(sdk_bench PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/src/sdk)
  target_link_libraries(sdk_bench PRIVATE edgetrace::sdk_otlp edgetrace_testing_http
                                          benchmark::benchmark)
endif()

add_executable(sdk_layers_bench sdk_layers_bench.cpp)
et_project_target(sdk_layers_bench)
target_link_libraries(sdk_layers_bench PRIVATE edgetrace::sdk benchmark::benchmark)


# Resident memory: a console-only program (edgetrace::sdk) and one with the OTLP layer.
add_executable(sdk_footprint_console sdk_footprint.cpp)
et_project_target(sdk_footprint_console)
target_link_libraries(sdk_footprint_console PRIVATE edgetrace::sdk)
add_executable(sdk_footprint_otlp sdk_footprint.cpp)
et_project_target(sdk_footprint_otlp)
target_compile_definitions(sdk_footprint_otlp PRIVATE EDGETRACE_FOOTPRINT_OTLP)
target_link_libraries(sdk_footprint_otlp PRIVATE edgetrace::sdk_otlp)

# Timed harnesses exporting to the fake OTLP receiver (built with the tests):
#  - sdk_instructions: instructions per call on the caller's thread under callgrind
#    (bench/sdk_callgrind.sh);
#  - sdk_handler_overhead: a 1 ms request handler with 5 spans and 10 events, the overhead
#    of console + file + OTLP;
#  - sdk_threads: spans/s into the OTLP layer from 1 and 2 threads (does the hand-over scale?).
if(EDGETRACE_BUILD_TESTS)
  foreach(harness sdk_instructions sdk_handler_overhead sdk_threads)
    add_executable(${harness} ${harness}.cpp)
    et_project_target(${harness})
    target_include_directories(${harness} PRIVATE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${harness} PRIVATE edgetrace::sdk_otlp edgetrace_testing_http)
  endforeach()
endif()
