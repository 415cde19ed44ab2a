// The proxy's JWT verifier (apps/edgetraced/proxy/jwt.hpp): token strings and JWKS documents.
// Input: a mode byte, then
//   0: a raw token, verified against a fixed verifier (HS256 secret + JWKS of a P-256 and an
//      RSA key); it must never be accepted (that would be a forged signature);
//   1: a JWKS document, written to a file and loaded by JwtVerifier::create; if loaded, a
//      fixed token is verified with it;
//   2: "header JSON\nclaims JSON\nsignature bytes", each base64url-encoded into a token by
//      the harness (so the JSON parsers are reached without the fuzzer learning base64);
//      never accepted;
//   3: "header JSON\nclaims JSON", signed with the verifier's HS256 secret (the claims
//      checks are reached); if accepted, the subject is non-empty.
// Every rejection must have a reason code; key loading errors must not echo the document.
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/jwt.hpp"
#include "proxy/jwt_testing.hpp"

namespace {

using namespace edgetrace::daemon;
using Clock = std::chrono::system_clock;

constexpr std::string_view kSecret = "fuzz-secret-fuzz-secret-fuzz-secret!";
const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1'800'000'000));

std::string temp_path(std::string_view name) {
  return "/tmp/edgetrace-jwt-fuzz-" + std::to_string(::getpid()) + "-" + std::string(name);
}

void write_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

struct Fixture {
  testing::TestKey ec = testing::TestKey::generate_ec("ec-1");
  testing::TestKey rsa = testing::TestKey::generate_rsa("rsa-1");
  std::string jwks_path = temp_path("keys.json");
  std::string fuzzed_jwks_path = temp_path("fuzzed.json");
  std::unique_ptr<JwtVerifier> verifier;
  std::string es256_token;

  Fixture() {
    write_file(jwks_path, testing::jwks_json({&ec, &rsa}));
    JwtOptions options;
    options.hs256_secret = std::string(kSecret);
    options.jwks_file = jwks_path;
    options.audience = "edgetrace";
    options.cache_entries = 64;  // small, so eviction runs too
    auto v = JwtVerifier::create(options);
    if (!v)
      std::abort();
    verifier = std::move(v.value());
    testing::TestClaims claims;
    claims.sub = "user";
    claims.aud = "edgetrace";
    claims.exp = 1'800'000'600;
    es256_token = testing::sign_es256({"ES256", "ec-1"}, claims.json(), ec);
  }
  ~Fixture() {
    std::remove(jwks_path.c_str());
    std::remove(fuzzed_jwks_path.c_str());
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

std::string_view next_line(std::string_view& in) {
  const std::size_t nl = in.find('\n');
  const std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

// Checks the invariants of a result; returns true if the token was accepted.
bool check(const std::variant<VerifiedToken, JwtError>& result) {
  if (const auto* error = std::get_if<JwtError>(&result)) {
    if (reason_code(*error).empty())
      std::abort();
    return false;
  }
  if (std::get<VerifiedToken>(result).subject.empty())
    std::abort();
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  Fixture& f = fixture();
  const int mode = data[0] % 4;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (mode) {
    case 0:
      if (check(f.verifier->verify(in, kNow)))
        std::abort();
      break;
    case 1: {
      write_file(f.fuzzed_jwks_path, in);
      JwtOptions options;
      options.jwks_file = f.fuzzed_jwks_path;
      auto v = JwtVerifier::create(options);
      if (!v) {
        // "proxy.jwt jwks_file '<path>': <fixed phrase>": the file is named, the document
        // never quoted (its phrases are at most ~60 bytes, so a longer document cannot be
        // in them unless echoed).
        const std::string prefix = "proxy.jwt jwks_file '" + f.fuzzed_jwks_path + "': ";
        const std::string message = v.status().message();
        if (message.compare(0, prefix.size(), prefix) != 0)
          std::abort();
        if (in.size() > 96 && message.find(in, prefix.size()) != std::string::npos)
          std::abort();
        break;
      }
      check(v.value()->verify(f.es256_token, kNow));
      break;
    }
    case 2: {
      const std::string_view header = next_line(in);
      const std::string_view claims = next_line(in);
      const std::string token = testing::base64url(header) + "." + testing::base64url(claims) +
                                "." + testing::base64url(in);
      if (check(f.verifier->verify(token, kNow)))
        std::abort();
      break;
    }
    case 3: {
      const std::string_view header = next_line(in);
      const std::string_view claims = next_line(in);
      const std::string input = testing::base64url(header) + "." + testing::base64url(claims);
      const std::string token = testing::sign_hs256_input(input, kSecret);
      check(f.verifier->verify(token, kNow));
      break;
    }
    default:
      break;
  }
  return 0;
}
