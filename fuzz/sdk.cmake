# The config loader (edgetrace::config) and the SDK's [tracing] table reader on arbitrary
# input: TOML text, --set values, typed value text and environment variable values.
et_fuzz_target(sdk_config_fuzz edgetrace::sdk)
