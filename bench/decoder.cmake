# Decoder benchmarks: edgetrace frames to records, with and without rendering.
add_executable(edgetrace_decoder_bench edgetrace_decoder_bench.cpp)
et_project_target(edgetrace_decoder_bench)
target_include_directories(edgetrace_decoder_bench PRIVATE ${PROJECT_SOURCE_DIR}/src/decoder)
target_link_libraries(edgetrace_decoder_bench PRIVATE edgetrace::decoder edgetrace::testing_wire
                                                      benchmark::benchmark)
