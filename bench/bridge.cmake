# Bridge throughput: device frames (edgetrace and defmt) to encoded OTLP protobuf requests
# (decode + bridge::StreamBridge + otlp::encode_protobuf), frames/s/core.
add_executable(bridge_bench bridge_bench.cpp)
et_project_target(bridge_bench)
target_link_libraries(bridge_bench PRIVATE edgetrace::bridge edgetrace::testing_wire
                                           benchmark::benchmark)
