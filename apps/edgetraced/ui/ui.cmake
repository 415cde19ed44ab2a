# The query API and the embedded web viewer on the UI listener (ui.listen, port 16686).
find_package(simdjson CONFIG REQUIRED)

# Every file under static/ becomes one generated source (embed_static.cmake); it is rebuilt
# when a file there changes, is added or removed (CONFIGURE_DEPENDS re-globs at build time).
file(GLOB_RECURSE ET_UI_STATIC_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/static/*)
set(ET_UI_STATIC_CPP ${CMAKE_CURRENT_BINARY_DIR}/ui/static_files_data.cpp)
add_custom_command(
  OUTPUT ${ET_UI_STATIC_CPP}
  COMMAND ${CMAKE_COMMAND} -DSTATIC_DIR=${CMAKE_CURRENT_LIST_DIR}/static
          -DOUTPUT=${ET_UI_STATIC_CPP} -P ${CMAKE_CURRENT_LIST_DIR}/embed_static.cmake
  DEPENDS ${ET_UI_STATIC_FILES} ${CMAKE_CURRENT_LIST_DIR}/embed_static.cmake
  COMMENT "Embedding the web viewer (apps/edgetraced/ui/static)"
  VERBATIM)

target_sources(edgetraced_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/jaeger_json.cpp
  ${CMAKE_CURRENT_LIST_DIR}/query_params.cpp
  ${CMAKE_CURRENT_LIST_DIR}/query_api.cpp
  ${CMAKE_CURRENT_LIST_DIR}/static_files.cpp
  ${ET_UI_STATIC_CPP})
target_link_libraries(edgetraced_core PRIVATE simdjson::simdjson)

if(EDGETRACE_BUILD_TESTS)
  et_test(edgetraced_ui_test SOURCES
      ${CMAKE_CURRENT_LIST_DIR}/jaeger_json_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/query_params_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/query_api_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/static_files_test.cpp
    LIBS edgetraced_core edgetrace::testing_support simdjson::simdjson)
  if(TARGET edgetraced_ui_test)
    target_compile_definitions(edgetraced_ui_test PRIVATE
      ET_UI_TESTDATA="${CMAKE_CURRENT_LIST_DIR}/testdata"
      ET_UI_STATIC_DIR="${CMAKE_CURRENT_LIST_DIR}/static")
    target_include_directories(edgetraced_ui_test PRIVATE ${PROJECT_SOURCE_DIR}/src/net
      ${PROJECT_SOURCE_DIR}/src)
  endif()
endif()
