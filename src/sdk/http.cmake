# HTTP instrumentation (include/edgetrace/sdk/http.hpp): the server and client helpers are
# part of edgetrace::sdk and need no HTTP library. Each adapter is a header-only INTERFACE
# target that adds its library, so that a program links only the ones it uses:
#
#   edgetrace::sdk_http_beast    edgetrace/sdk/http/beast.hpp    Boost.Beast (headers)
#   edgetrace::sdk_http_httplib  edgetrace/sdk/http/httplib.hpp  cpp-httplib (libcpp-httplib-dev)
#   edgetrace::sdk_http_curl     edgetrace/sdk/http/curl.hpp     libcurl
find_package(Boost 1.74 REQUIRED)
find_package(CURL REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(CPP_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

target_sources(edgetrace_sdk PRIVATE ${CMAKE_CURRENT_LIST_DIR}/http.cpp)

add_library(edgetrace_sdk_http_beast INTERFACE)
add_library(edgetrace::sdk_http_beast ALIAS edgetrace_sdk_http_beast)
target_link_libraries(edgetrace_sdk_http_beast INTERFACE edgetrace::sdk Boost::boost)

add_library(edgetrace_sdk_http_httplib INTERFACE)
add_library(edgetrace::sdk_http_httplib ALIAS edgetrace_sdk_http_httplib)
target_link_libraries(edgetrace_sdk_http_httplib INTERFACE edgetrace::sdk PkgConfig::CPP_HTTPLIB)

add_library(edgetrace_sdk_http_curl INTERFACE)
add_library(edgetrace::sdk_http_curl ALIAS edgetrace_sdk_http_curl)
target_link_libraries(edgetrace_sdk_http_curl INTERFACE edgetrace::sdk CURL::libcurl)

# The helpers without sockets: names, attributes, status rules, request ids, URL redaction.
et_test(sdk_http_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/http_test.cpp LIBS edgetrace::sdk)
# Every adapter end to end over real sockets on 127.0.0.1: each server (Beast, cpp-httplib)
# against each client (Beast, cpp-httplib, libcurl).
et_test(sdk_http_adapters_test E2E
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/http_adapters_test.cpp
  LIBS edgetrace::sdk_http_beast edgetrace::sdk_http_httplib edgetrace::sdk_http_curl)
if(TARGET sdk_http_adapters_test)
  target_include_directories(sdk_http_adapters_test PRIVATE ${PROJECT_SOURCE_DIR}/src)
endif()
