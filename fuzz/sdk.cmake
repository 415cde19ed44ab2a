# The SDK's TOML config loader ([tracing] tables) on arbitrary input. config.cpp is built
# into the target directly: it needs only core and the OTLP exporter options, not the rest
# of the SDK.
et_fuzz_target(sdk_config_fuzz edgetrace::otlp_exporter)
target_sources(sdk_config_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/src/sdk/config.cpp)
