// Test-only JWT signer (see jwt_testing.hpp).
#include "proxy/jwt_testing.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace edgetrace::daemon::testing {
namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "jwt_testing: %s failed\n", what);
  ERR_print_errors_fp(stderr);
  std::abort();
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

void add_string_member(std::string& out, std::string_view name, std::string_view value) {
  if (value.empty())
    return;
  if (out.size() > 1)
    out += ',';
  append_json_string(out, name);
  out += ':';
  append_json_string(out, value);
}

void add_int_member(std::string& out, std::string_view name, std::optional<std::int64_t> v) {
  if (!v)
    return;
  if (out.size() > 1)
    out += ',';
  append_json_string(out, name);
  out += ':';
  out += std::to_string(*v);
}

void add_raw(std::string& out, std::string_view raw) {
  if (raw.empty())
    return;
  if (out.size() > 1)
    out += ',';
  out += raw;
}

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string pem_private(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    die("PEM_write_bio_PrivateKey");
  return bio_to_string(bio.get());
}

std::string pem_public(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1)
    die("PEM_write_bio_PUBKEY");
  return bio_to_string(bio.get());
}

// Big-endian bytes of a BIGNUM parameter, left-padded to `width` when width > 0.
std::string bn_param(EVP_PKEY* key, const char* name, int width) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1)
    die("EVP_PKEY_get_bn_param");
  Bn bn(raw);
  int n = width > 0 ? width : BN_num_bytes(bn.get());
  std::string out(static_cast<std::size_t>(n), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), n) != n)
    die("BN_bn2binpad");
  return out;
}

Pkey load_private(const TestKey& key) {
  Bio bio(BIO_new_mem_buf(key.private_pem.data(), static_cast<int>(key.private_pem.size())));
  if (!bio)
    die("BIO_new_mem_buf");
  Pkey pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey)
    die("PEM_read_bio_PrivateKey");
  return pkey;
}

std::string digest_sign(const TestKey& key, std::string_view input) {
  Pkey pkey = load_private(key);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1)
    die("EVP_DigestSignInit");
  std::size_t len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size()) != 1)
    die("EVP_DigestSign");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, data,
                     input.size()) != 1)
    die("EVP_DigestSign");
  sig.resize(len);
  return sig;
}

std::string finish(std::string input, std::string_view signature) {
  input += '.';
  input += base64url(signature);
  return input;
}

}  // namespace

TestKey TestKey::generate_rsa(std::string kid) {
  Pkey pkey(EVP_RSA_gen(2048));
  if (!pkey)
    die("EVP_RSA_gen");
  TestKey key;
  key.type = Type::kRsa;
  key.kid = std::move(kid);
  key.private_pem = pem_private(pkey.get());
  key.public_pem = pem_public(pkey.get());
  std::string jwk = "{";
  add_string_member(jwk, "kty", "RSA");
  add_string_member(jwk, "kid", key.kid);
  add_string_member(jwk, "use", "sig");
  add_string_member(jwk, "alg", "RS256");
  add_string_member(jwk, "n", base64url(bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N, 0)));
  add_string_member(jwk, "e", base64url(bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E, 0)));
  jwk += '}';
  key.public_jwk = std::move(jwk);
  return key;
}

TestKey TestKey::generate_ec(std::string kid) {
  Pkey pkey(EVP_EC_gen("P-256"));
  if (!pkey)
    die("EVP_EC_gen");
  TestKey key;
  key.type = Type::kEc;
  key.kid = std::move(kid);
  key.private_pem = pem_private(pkey.get());
  key.public_pem = pem_public(pkey.get());
  std::string jwk = "{";
  add_string_member(jwk, "kty", "EC");
  add_string_member(jwk, "crv", "P-256");
  add_string_member(jwk, "kid", key.kid);
  add_string_member(jwk, "use", "sig");
  add_string_member(jwk, "alg", "ES256");
  add_string_member(jwk, "x", base64url(bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32)));
  add_string_member(jwk, "y", base64url(bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32)));
  jwk += '}';
  key.public_jwk = std::move(jwk);
  return key;
}

std::string jwks_json(std::initializer_list<const TestKey*> keys) {
  std::string out = R"({"keys":[)";
  bool first = true;
  for (const TestKey* key : keys) {
    if (!first)
      out += ',';
    first = false;
    out += key->public_jwk;
  }
  out += "]}";
  return out;
}

std::string TestHeader::json() const {
  std::string out = "{";
  add_string_member(out, "alg", alg);
  add_string_member(out, "kid", kid);
  add_string_member(out, "typ", typ);
  add_raw(out, extra);
  out += '}';
  return out;
}

std::string TestClaims::json() const {
  std::string out = "{";
  add_string_member(out, "sub", sub);
  add_string_member(out, "iss", iss);
  if (!aud_list.empty()) {
    if (out.size() > 1)
      out += ',';
    out += R"("aud":[)";
    for (std::size_t i = 0; i < aud_list.size(); ++i) {
      if (i > 0)
        out += ',';
      append_json_string(out, aud_list[i]);
    }
    out += ']';
  } else {
    add_string_member(out, "aud", aud);
  }
  add_int_member(out, "exp", exp);
  add_int_member(out, "nbf", nbf);
  add_int_member(out, "iat", iat);
  add_raw(out, extra);
  out += '}';
  return out;
}

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t v = byte(i) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string signing_input(const TestHeader& header, std::string_view claims_json) {
  return base64url(header.json()) + "." + base64url(claims_json);
}

std::string sign_hs256(const TestHeader& header, std::string_view claims_json,
                       std::string_view secret) {
  return sign_hs256_input(signing_input(header, claims_json), secret);
}

std::string sign_hs256_input(std::string_view signing_input_text, std::string_view secret) {
  std::string input(signing_input_text);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
           &len) == nullptr)
    die("HMAC");
  return finish(std::move(input), std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::string sign_rs256(const TestHeader& header, std::string_view claims_json, const TestKey& key) {
  if (key.type != TestKey::Type::kRsa)
    die("sign_rs256 with a non-RSA key");
  std::string input = signing_input(header, claims_json);
  std::string sig = digest_sign(key, input);
  return finish(std::move(input), sig);
}

std::string sign_es256(const TestHeader& header, std::string_view claims_json, const TestKey& key) {
  if (key.type != TestKey::Type::kEc)
    die("sign_es256 with a non-EC key");
  std::string input = signing_input(header, claims_json);
  std::string der = digest_sign(key, input);
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig)
    die("d2i_ECDSA_SIG");
  unsigned char raw[64];
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw + 32, 32) != 32)
    die("BN_bn2binpad");
  return finish(std::move(input), std::string_view(reinterpret_cast<const char*>(raw), 64));
}

std::string unsigned_token(const TestHeader& header, std::string_view claims_json) {
  return signing_input(header, claims_json) + ".";
}

}  // namespace edgetrace::daemon::testing
