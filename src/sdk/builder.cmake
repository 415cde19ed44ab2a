# TracingBuilder, its guard and the TOML config loader (toml++ is used header-only, see
# config.cpp).
target_sources(edgetrace_sdk PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/config.cpp
)

et_test(sdk_builder_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/config_test.cpp
  LIBS edgetrace::sdk)
target_include_directories(sdk_builder_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
