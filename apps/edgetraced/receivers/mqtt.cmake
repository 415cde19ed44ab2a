# MQTT device receiver (libmosquitto, MQTT 5): receivers/device_mqtt.hpp.
target_sources(edgetraced_core PRIVATE ${CMAKE_CURRENT_LIST_DIR}/device_mqtt.cpp)

# End to end: a real mosquitto broker on 127.0.0.1 started by the test, edgetrace-sim
# publishing real device frames, DeviceMqttReceiver + DevicePipeline + TelemetryQueue.
if(EDGETRACE_BUILD_TESTS)
  include(${PROJECT_SOURCE_DIR}/src/testing/support.cmake)
  find_program(EDGETRACED_MOSQUITTO_BROKER mosquitto PATHS /usr/sbin /usr/local/sbin REQUIRED)
  et_test(edgetraced_mqtt_test E2E
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/device_mqtt_test.cpp
    LIBS edgetraced_core edgetrace::testing_support)
  if(TARGET edgetraced_mqtt_test)
    add_dependencies(edgetraced_mqtt_test edgetrace-sim)
    target_compile_definitions(edgetraced_mqtt_test PRIVATE
      ET_SIM_PATH="$<TARGET_FILE:edgetrace-sim>"
      ET_MOSQUITTO_BROKER="${EDGETRACED_MOSQUITTO_BROKER}")
  endif()
endif()
