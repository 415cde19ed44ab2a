# defmt decoding: frames/s/core to records and with rendering, rzCOBS and raw.
add_executable(defmt_decoder_bench defmt_decoder_bench.cpp)
et_project_target(defmt_decoder_bench)
target_link_libraries(defmt_decoder_bench PRIVATE edgetrace::decoder benchmark::benchmark)
