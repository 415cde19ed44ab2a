# The link test: a console-only program built against edgetrace::sdk alone must contain no
# protobuf, gRPC or libcurl code, and must work (and refuse a config asking for OTLP with a
# message naming edgetrace::sdk_otlp). check_console_only.cmake inspects the binary with
# ldd and nm and runs it.
if(EDGETRACE_BUILD_TESTS)
  add_executable(sdk_console_only ${CMAKE_CURRENT_LIST_DIR}/testing/console_only.cpp)
  et_project_target(sdk_console_only)
  target_link_libraries(sdk_console_only PRIVATE edgetrace::sdk)

  # No public SDK header includes a generated .pb.h: this object library sees only
  # edgetrace::sdk's include path, where the generated headers are not.
  add_library(sdk_public_headers_check OBJECT ${CMAKE_CURRENT_LIST_DIR}/testing/public_headers.cpp)
  et_project_target(sdk_public_headers_check)
  target_link_libraries(sdk_public_headers_check PRIVATE edgetrace::sdk)
  add_dependencies(sdk_console_only sdk_public_headers_check)

  add_test(NAME sdk_link_test
    COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:sdk_console_only>
            -P ${CMAKE_CURRENT_LIST_DIR}/testing/check_console_only.cmake)
  set_tests_properties(sdk_link_test PROPERTIES TIMEOUT 60)
endif()
