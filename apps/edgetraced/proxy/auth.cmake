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
