# TracingBuilder, its guard and the [tracing] table reader (on edgetrace::config).
target_sources(edgetrace_sdk PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tracing_builder.cpp
)

et_test(sdk_builder_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/config_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tracing_builder_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/seed_config_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tracing_builder_version_test.cpp
  LIBS edgetrace::sdk_otlp edgetrace_testing_http edgetrace::testing_support)
if(TARGET sdk_builder_test)
  target_include_directories(sdk_builder_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
                                                     ${PROJECT_SOURCE_DIR}/src)
  # The seed 001 configuration files, as that plan writes them (testdata/seed001/README.md).
  target_compile_definitions(sdk_builder_test
    PRIVATE EDGETRACE_SEED_TESTDATA="${CMAKE_CURRENT_LIST_DIR}/testdata/seed001")
endif()

if(EDGETRACE_BUILD_TESTS)
  # A program the robustness tests run as a child process (static destruction, exit()).
  add_executable(sdk_robustness_child ${CMAKE_CURRENT_LIST_DIR}/testing/robustness_child.cpp)
  et_project_target(sdk_robustness_child)
  target_link_libraries(sdk_robustness_child PRIVATE edgetrace::sdk_otlp)

  # E2E: also in the release build, where the fork test runs with the parent still logging.
  et_test(sdk_robustness_test E2E
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/robustness_test.cpp
    LIBS edgetrace::sdk_otlp edgetrace_testing_http)
  target_compile_definitions(sdk_robustness_test
    PRIVATE EDGETRACE_ROBUSTNESS_CHILD="$<TARGET_FILE:sdk_robustness_child>")
  add_dependencies(sdk_robustness_test sdk_robustness_child)
endif()
