# Compile-time checks of the SDK's macros: each file must fail to compile with the message
# the SDK (or fmt) gives for that misuse, and must compile with -DET_EXPECT_OK (so a test
# cannot pass because the file is broken in some other way). As src/device does for ETD_*.
if(EDGETRACE_BUILD_TESTS)
  set(ET_SDK_COMPILE_FAIL_span_name_string "the span name must be a string literal")
  set(ET_SDK_COMPILE_FAIL_span_at_name_pointer "the span name must be a string literal")
  set(ET_SDK_COMPILE_FAIL_span_with_name_string "the span name must be a string literal")
  set(ET_SDK_COMPILE_FAIL_span_name_local_array "is not a constant expression")
  set(ET_SDK_COMPILE_FAIL_instrument_two_names "give span_name<...> at most once")
  set(ET_SDK_COMPILE_FAIL_instrument_two_levels "give span_level<...> at most once")
  set(ET_SDK_COMPILE_FAIL_instrument_bad_argument "ET_INSTRUMENT takes field<")
  set(ET_SDK_COMPILE_FAIL_field_name_runtime "g_name.* is not usable in a constant expression")
  set(ET_SDK_COMPILE_FAIL_value_of_char "Value::of\\(char\\) is ambiguous")
  set(ET_SDK_COMPILE_FAIL_format_arguments "argument not found")
  foreach(check span_name_string span_at_name_pointer span_with_name_string
                span_name_local_array instrument_two_names instrument_two_levels
                instrument_bad_argument field_name_runtime value_of_char format_arguments)
    set(src ${CMAKE_CURRENT_LIST_DIR}/compile_fail/${check}.cpp)
    set(cmd ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror
            -I${PROJECT_SOURCE_DIR}/include ${src})
    add_test(NAME sdk.compile_fail.${check} COMMAND ${cmd})
    set_tests_properties(sdk.compile_fail.${check} PROPERTIES
      PASS_REGULAR_EXPRESSION "${ET_SDK_COMPILE_FAIL_${check}}" TIMEOUT 120)
    add_test(NAME sdk.compile_ok.${check} COMMAND ${cmd} -DET_EXPECT_OK)
    set_tests_properties(sdk.compile_ok.${check} PROPERTIES TIMEOUT 120)
  endforeach()
endif()
