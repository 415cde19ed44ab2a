# Tests of the daemon: unit tests of its parts, and end-to-end runs of the edgetraced binary.
et_test(edgetraced_test SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/../pipeline/telemetry_queue_test.cpp
  LIBS edgetraced_core edgetrace::testing_support edgetrace_testing_http)
