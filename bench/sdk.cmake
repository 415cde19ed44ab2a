# SDK: caller's-thread cost of call sites and spans (docs/benchmarks.md, "SDK"). The OTLP
# cases export to the fake receiver (built with the tests).
if(EDGETRACE_BUILD_TESTS)
  add_executable(sdk_bench sdk_bench.cpp)
  et_project_target(sdk_bench)
  target_include_directories(sdk_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(sdk_bench PRIVATE edgetrace::sdk_otlp edgetrace_testing_http
                                          benchmark::benchmark)
endif()

add_executable(sdk_layers_bench sdk_layers_bench.cpp)
et_project_target(sdk_layers_bench)
target_link_libraries(sdk_layers_bench PRIVATE edgetrace::sdk benchmark::benchmark)

# Instructions per call on the caller's thread under callgrind (bench/sdk_callgrind.sh).
if(EDGETRACE_BUILD_TESTS)
  add_executable(sdk_instructions sdk_instructions.cpp)
  et_project_target(sdk_instructions)
  target_include_directories(sdk_instructions PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(sdk_instructions PRIVATE edgetrace::sdk_otlp edgetrace_testing_http)
endif()
