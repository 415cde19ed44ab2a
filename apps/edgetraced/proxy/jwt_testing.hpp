// Test-only JWT signer: key pairs and tokens for the proxy's verifier tests and end-to-end
// tests. Never linked into the daemon (library edgetraced_testing_jwt, tests only).
//
//   using namespace edgetrace::daemon::testing;
//   TestKey ec = TestKey::generate_ec("ec-1");            // P-256 pair, JWK with kid "ec-1"
//   write_file(dir.file("jwks.json"), jwks_json({&ec}));  // {"keys":[<ec.public_jwk>]}
//   TestClaims claims;
//   claims.sub = "user-1";
//   claims.exp = unix_now + 600;
//   std::string token = sign_es256({"ES256", "ec-1"}, claims.json(), ec);
//   std::string none = unsigned_token({"none"}, claims.json());     // "<h>.<p>."
//
// The header and claims are written exactly as given (the header's alg is not checked
// against the key), so a test can make any wrong token: an HS256 token whose secret is an
// RSA public key's PEM, an RS256 token signed by a different key, a tampered payload.
// Failures of OpenSSL abort the test program (they mean a broken test environment).
// Thread-safety: free functions are reentrant; a TestKey is a value. Never use these keys
// for anything but tests: they are generated per process and never protected.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgetrace::daemon::testing {

// One generated asymmetric key pair.
struct TestKey {
  enum class Type : std::uint8_t { kRsa, kEc };
  Type type = Type::kRsa;
  std::string kid;
  std::string private_pem;  // PKCS#8 "BEGIN PRIVATE KEY"
  std::string public_pem;   // SubjectPublicKeyInfo "BEGIN PUBLIC KEY" (public_key_file)
  std::string public_jwk;   // {"kty":"RSA","kid":..,"use":"sig","alg":"RS256","n":..,"e":..}
                            // or {"kty":"EC","crv":"P-256","kid":..,"use":"sig","alg":"ES256",..}

  // RSA-2048 (e = 65537).
  static TestKey generate_rsa(std::string kid);
  // EC on P-256.
  static TestKey generate_ec(std::string kid);
};

// {"keys":[<jwk>,...]} of the given keys' public JWKs.
std::string jwks_json(std::initializer_list<const TestKey*> keys);

// JOSE header fields; an empty field is left out of the header.
struct TestHeader {
  TestHeader() = default;
  TestHeader(std::string alg_value, std::string kid_value = "")  // NOLINT: {"ES256", "kid"}
      : alg(std::move(alg_value)), kid(std::move(kid_value)) {}

  std::string alg;
  std::string kid;
  std::string typ = "JWT";
  // Appended verbatim inside the header object, e.g. R"("crit":["exp"])".
  std::string extra;
  std::string json() const;
};

// Registered claims; absent optionals and empty strings are left out.
struct TestClaims {
  std::string sub;
  std::string iss;
  std::string aud;                    // a single string
  std::vector<std::string> aud_list;  // written as an array when non-empty (instead of aud)
  std::optional<std::int64_t> exp;    // seconds since the Unix epoch
  std::optional<std::int64_t> nbf;
  std::optional<std::int64_t> iat;
  // Appended verbatim inside the claims object, e.g. R"("scope":"logs")".
  std::string extra;
  std::string json() const;
};

// Unpadded base64url (RFC 4648 section 5) of bytes.
std::string base64url(std::string_view bytes);

// "<b64(header)>.<b64(claims)>": the signing input.
std::string signing_input(const TestHeader& header, std::string_view claims_json);

// Signed tokens. The header is used as given (set alg yourself); claims_json is any text.
std::string sign_hs256(const TestHeader& header, std::string_view claims_json,
                       std::string_view secret);
// "<signing_input>.<b64(HMAC-SHA256(secret, signing_input))>": for a header that is not a
// TestHeader (raw JSON text, duplicate members, ...).
std::string sign_hs256_input(std::string_view signing_input, std::string_view secret);
// RSASSA-PKCS1-v1_5 with SHA-256; `key` must be an RSA key.
std::string sign_rs256(const TestHeader& header, std::string_view claims_json, const TestKey& key);
// ECDSA P-256 with SHA-256, signature as the 64-byte R||S of RFC 7518 section 3.4.
std::string sign_es256(const TestHeader& header, std::string_view claims_json, const TestKey& key);
// An unsecured JWS (RFC 7515 appendix A.5): "<h>.<p>." with an empty signature.
std::string unsigned_token(const TestHeader& header, std::string_view claims_json);

}  // namespace edgetrace::daemon::testing
