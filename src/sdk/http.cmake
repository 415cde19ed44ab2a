# HTTP instrumentation (include/edgetrace/sdk/http.hpp): the server and client helpers are
# part of edgetrace::sdk and need no HTTP library. Each adapter is a header-only INTERFACE
# target that adds its library, so that a program links only the ones it uses:
#
#   edgetrace::sdk_http_beast    edgetrace/sdk/http/beast.hpp    Boost.Beast (headers)
#   edgetrace::sdk_http_httplib  edgetrace/sdk/http/httplib.hpp  cpp-httplib (libcpp-httplib-dev)
#   edgetrace::sdk_http_curl     edgetrace/sdk/http/curl.hpp     libcurl
# The adapters are defined when their library is on the machine (a consumer's subproject
# build needs none of them); the edgetrace build itself has all three (scripts/setup).
find_package(Boost 1.74 QUIET)
find_package(CURL QUIET)
find_package(PkgConfig REQUIRED)
pkg_check_modules(CPP_HTTPLIB QUIET IMPORTED_TARGET cpp-httplib)

target_sources(edgetrace_sdk PRIVATE ${CMAKE_CURRENT_LIST_DIR}/http.cpp)

if(Boost_FOUND)
  add_library(edgetrace_sdk_http_beast INTERFACE)
  add_library(edgetrace::sdk_http_beast ALIAS edgetrace_sdk_http_beast)
  target_link_libraries(edgetrace_sdk_http_beast INTERFACE edgetrace::sdk Boost::boost)
endif()

if(CPP_HTTPLIB_FOUND)
  add_library(edgetrace_sdk_http_httplib INTERFACE)
  add_library(edgetrace::sdk_http_httplib ALIAS edgetrace_sdk_http_httplib)
  target_link_libraries(edgetrace_sdk_http_httplib INTERFACE edgetrace::sdk PkgConfig::CPP_HTTPLIB)
endif()

if(CURL_FOUND)
  add_library(edgetrace_sdk_http_curl INTERFACE)
  add_library(edgetrace::sdk_http_curl ALIAS edgetrace_sdk_http_curl)
  target_link_libraries(edgetrace_sdk_http_curl INTERFACE edgetrace::sdk CURL::libcurl)
endif()

et_test(sdk_http_test SOURCES ${CMAKE_CURRENT_LIST_DIR}/http_test.cpp LIBS edgetrace::sdk)
# Every adapter end to end over real sockets on 127.0.0.1: each server (Beast, cpp-httplib)
# against each client (Beast, cpp-httplib, libcurl).
if(EDGETRACE_BUILD_TESTS AND NOT (Boost_FOUND AND CURL_FOUND AND CPP_HTTPLIB_FOUND))
  message(FATAL_ERROR "the HTTP adapter tests need Boost, libcurl and cpp-httplib (scripts/setup)")
endif()
et_test(sdk_http_adapters_test E2E
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/http_adapters_test.cpp
  LIBS edgetrace::sdk_http_beast edgetrace::sdk_http_httplib edgetrace::sdk_http_curl)
if(TARGET sdk_http_adapters_test)
  target_include_directories(sdk_http_adapters_test PRIVATE ${PROJECT_SOURCE_DIR}/src)
endif()
