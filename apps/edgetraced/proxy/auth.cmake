# The proxy's authentication (JWT verification, verified-token cache) and rate limiting.
find_package(OpenSSL REQUIRED)

# Test-only signer (keys, JWKS, HS256/RS256/ES256 and unsigned tokens) for the verifier's
# tests and the proxy's end-to-end tests.
if(EDGETRACE_BUILD_TESTS)
  add_library(edgetraced_testing_jwt STATIC ${CMAKE_CURRENT_LIST_DIR}/jwt_testing.cpp)
  target_include_directories(edgetraced_testing_jwt PUBLIC ${PROJECT_SOURCE_DIR}/apps/edgetraced)
  target_link_libraries(edgetraced_testing_jwt PRIVATE OpenSSL::Crypto)
  et_project_target(edgetraced_testing_jwt)
endif()

find_package(simdjson CONFIG REQUIRED)
target_sources(edgetraced_core PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/jwt.cpp
  ${CMAKE_CURRENT_LIST_DIR}/token_bucket.cpp)
target_link_libraries(edgetraced_core PUBLIC OpenSSL::Crypto PRIVATE simdjson::simdjson)

# Every rejection reason with real keys and files (JWKS reload by mtime), the cache, and the
# buckets with a controlled clock.
if(EDGETRACE_BUILD_TESTS)
  include(${PROJECT_SOURCE_DIR}/src/testing/support.cmake)
  et_test(edgetraced_auth_test
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/jwt_test.cpp
            ${CMAKE_CURRENT_LIST_DIR}/token_bucket_test.cpp
    LIBS edgetraced_core edgetraced_testing_jwt edgetrace::testing_support)
endif()
