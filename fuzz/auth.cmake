# The proxy's JWT parsing and verification (apps/edgetraced/proxy/jwt.cpp): its own sources
# and the test signer (the fuzz preset builds no apps).
find_package(OpenSSL REQUIRED)
find_package(simdjson CONFIG REQUIRED)
et_fuzz_target(jwt_fuzz edgetrace::core OpenSSL::Crypto simdjson::simdjson)
target_sources(jwt_fuzz PRIVATE
  ${PROJECT_SOURCE_DIR}/apps/edgetraced/proxy/jwt.cpp
  ${PROJECT_SOURCE_DIR}/apps/edgetraced/proxy/jwt_testing.cpp)
target_include_directories(jwt_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/apps/edgetraced)
