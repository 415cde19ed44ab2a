# SDK: caller's-thread cost of call sites and spans (docs/benchmarks.md, "SDK").
add_executable(sdk_bench sdk_bench.cpp)
et_project_target(sdk_bench)
target_link_libraries(sdk_bench PRIVATE edgetrace::sdk benchmark::benchmark)
