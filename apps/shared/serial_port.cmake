# edgetrace_serial_port (edgetrace::serial_port): serial-port and input-path handling shared
# by the `edgetrace` CLI (byte_source.cpp) and the daemon's serial receiver. Included by
# both; the first include defines the target.
include_guard(GLOBAL)

add_library(edgetrace_serial_port STATIC ${CMAKE_CURRENT_LIST_DIR}/serial_port.cpp)
add_library(edgetrace::serial_port ALIAS edgetrace_serial_port)
target_include_directories(edgetrace_serial_port PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(edgetrace_serial_port PUBLIC edgetrace::core)
et_project_target(edgetrace_serial_port)
