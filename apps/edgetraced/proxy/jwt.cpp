// JWT verification for the proxy (see jwt.hpp). OpenSSL 3 directly rather than libjwt:
// libjwt 1.10 has no JWKS, no per-key algorithm allow-list and would accept an RSA PEM as an
// HS256 secret if the caller passed it; here each key verifies exactly one algorithm.
#include "proxy/jwt.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <unordered_map>
#include <vector>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <simdjson.h>

namespace edgetrace::daemon {

std::string_view reason_code(JwtError error) noexcept {
  switch (error) {
    case JwtError::kMissing:
      return "token_missing";
    case JwtError::kMalformed:
      return "token_malformed";
    case JwtError::kTooLarge:
      return "token_too_large";
    case JwtError::kAlgNone:
      return "alg_none";
    case JwtError::kUnsupportedAlgorithm:
      return "alg_unsupported";
    case JwtError::kUnknownKid:
      return "unknown_kid";
    case JwtError::kBadSignature:
      return "bad_signature";
    case JwtError::kExpired:
      return "token_expired";
    case JwtError::kNotYetValid:
      return "token_not_yet_valid";
    case JwtError::kWrongIssuer:
      return "wrong_issuer";
    case JwtError::kWrongAudience:
      return "wrong_audience";
    case JwtError::kNoSubject:
      return "no_subject";
  }
  return "token_malformed";
}

std::string_view bearer_token(std::string_view authorization) noexcept {
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!authorization.empty() && is_space(authorization.front()))
    authorization.remove_prefix(1);
  while (!authorization.empty() && is_space(authorization.back()))
    authorization.remove_suffix(1);
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() || !is_space(authorization[kScheme.size()]))
    return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i])
      return {};
  }
  authorization.remove_prefix(kScheme.size());
  while (!authorization.empty() && is_space(authorization.front()))
    authorization.remove_prefix(1);
  return authorization;
}

namespace internal {
namespace {

using Clock = std::chrono::system_clock;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

// Key files are small; a larger one is a configuration mistake, not something to read.
constexpr std::uintmax_t kMaxKeyFileBytes = 1 << 20;
// A token without exp stays in the cache this long.
constexpr std::chrono::seconds kCacheWithoutExp{60};
// Tokens with a longer subject are verified each time rather than held in the cache.
constexpr std::size_t kMaxCachedSubjectBytes = 1024;
// NumericDates beyond this (year 2255) are treated as "never" (system_clock's ns range ends
// in 2262).
constexpr double kMaxNumericDate = 9.0e9;

// --- base64url (RFC 4648 section 5), strict: no padding, no other characters, and the
// unused low bits of the last character zero (one encoding per byte string).

constexpr std::array<std::int8_t, 256> kBase64UrlValues = [] {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t)
    v = -1;
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}();

// Appends the decoded bytes of `in` to `out`; false (out unspecified) if `in` is not strict
// unpadded base64url.
bool base64url_decode(std::string_view in, std::string& out) {
  if (in.size() % 4 == 1)
    return false;
  out.reserve(out.size() + in.size() / 4 * 3 + 2);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    std::int8_t v = kBase64UrlValues[static_cast<unsigned char>(c)];
    if (v < 0)
      return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Leftover bits (2 or 4) must be zero.
  return (acc & ((1U << bits) - 1)) == 0;
}

// --- keys

struct Key {
  enum class Type : std::uint8_t { kRsa, kEc };
  Type type = Type::kRsa;
  Pkey pkey;
  std::optional<std::string> kid;  // none: matches any token kid (the PEM key)
};

core::Status key_error(std::string_view option, std::string_view path, std::string_view what) {
  ERR_clear_error();  // OpenSSL's queue may describe the input; it is dropped, not shown
  return core::invalid_argument("proxy.jwt " + std::string(option) + " '" + std::string(path) +
                                "': " + std::string(what));
}

core::Result<std::string> read_key_file(std::string_view option, const std::string& path) {
  std::error_code ec;
  std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec)
    return key_error(option, path, "cannot read: " + ec.message());
  if (size > kMaxKeyFileBytes)
    return key_error(option, path, "larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return key_error(option, path, "cannot open");
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

// Checks that an RSA or EC key is one this verifier uses; returns its type or an error text.
std::variant<Key::Type, std::string_view> classify(EVP_PKEY* pkey) {
  bool ok = false;
  {
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
        EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    ok = ctx && EVP_PKEY_public_check(ctx.get()) == 1;
  }
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    if (!ok)
      return std::string_view("invalid RSA public key");
    if (EVP_PKEY_get_bits(pkey) < 2048)
      return std::string_view("RSA key shorter than 2048 bits");
    return Key::Type::kRsa;
  }
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) != 1 ||
        std::string_view(group, len) != "prime256v1")
      return std::string_view("EC key not on P-256");
    if (!ok)
      return std::string_view("invalid EC public key");
    return Key::Type::kEc;
  }
  return std::string_view("not an RSA or EC P-256 public key");
}

core::Result<Key> load_pem(const std::string& path) {
  constexpr std::string_view kOption = "public_key_file";
  auto text = read_key_file(kOption, path);
  if (!text)
    return text.status();
  std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(text.value().data(), static_cast<int>(text.value().size())));
  if (!bio)
    return key_error(kOption, path, "out of memory");
  Pkey pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  OPENSSL_cleanse(text.value().data(), text.value().size());
  if (!pkey)
    return key_error(kOption, path, "no PEM public key (\"BEGIN PUBLIC KEY\") in the file");
  auto type = classify(pkey.get());
  if (auto* what = std::get_if<std::string_view>(&type))
    return key_error(kOption, path, *what);
  ERR_clear_error();
  return Key{std::get<Key::Type>(type), std::move(pkey), std::nullopt};
}

// A string member of a JWK, or nullopt if absent; false in `ok` if present but not a string.
std::optional<std::string_view> jwk_string(simdjson::dom::object key, std::string_view name,
                                           bool& ok) {
  simdjson::dom::element e;
  if (key[name].get(e) != simdjson::SUCCESS)
    return std::nullopt;
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) {
    ok = false;
    return std::nullopt;
  }
  return s;
}

Pkey key_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return nullptr;
  return Pkey(raw);
}

// One JWK -> a key; nullopt for a key this verifier ignores (other kty/crv/use/alg); an error
// text for a malformed key of a supported kind.
std::variant<std::optional<Key>, std::string> parse_jwk(simdjson::dom::element element,
                                                        std::size_t index) {
  const std::string where = "key " + std::to_string(index) + ": ";
  simdjson::dom::object key;
  if (element.get_object().get(key) != simdjson::SUCCESS)
    return where + "not an object";
  bool ok = true;
  auto kty = jwk_string(key, "kty", ok);
  auto kid = jwk_string(key, "kid", ok);
  auto use = jwk_string(key, "use", ok);
  auto alg = jwk_string(key, "alg", ok);
  if (!ok)
    return where + "kty, kid, use or alg not a string";
  if (!kty)
    return where + "no kty";
  if (use && *use != "sig")
    return std::optional<Key>();
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld)
    return where + "out of memory";
  Pkey pkey;
  if (*kty == "RSA") {
    if (alg && *alg != "RS256")
      return std::optional<Key>();
    auto n = jwk_string(key, "n", ok);
    auto e = jwk_string(key, "e", ok);
    std::string n_bytes, e_bytes;
    if (!ok || !n || !e || !base64url_decode(*n, n_bytes) || !base64url_decode(*e, e_bytes) ||
        n_bytes.empty() || e_bytes.empty())
      return where + "RSA key without valid base64url n and e";
    Bn bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n_bytes.data()),
                      static_cast<int>(n_bytes.size()), nullptr));
    Bn bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e_bytes.data()),
                      static_cast<int>(e_bytes.size()), nullptr));
    if (!bn_n || !bn_e ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
      return where + "out of memory";
    pkey = key_from_params("RSA", bld.get());
  } else if (*kty == "EC") {
    auto crv = jwk_string(key, "crv", ok);
    if (!ok || !crv)
      return where + "EC key without crv";
    if (*crv != "P-256")
      return std::optional<Key>();
    if (alg && *alg != "ES256")
      return std::optional<Key>();
    auto x = jwk_string(key, "x", ok);
    auto y = jwk_string(key, "y", ok);
    std::string point = "\x04";
    if (!ok || !x || !y || !base64url_decode(*x, point) || point.size() != 33 ||
        !base64url_decode(*y, point) || point.size() != 65)
      return where + "P-256 key without 32-byte base64url x and y";
    if (OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
            1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1)
      return where + "out of memory";
    pkey = key_from_params("EC", bld.get());
  } else {
    return std::optional<Key>();  // "oct" (never used as an HMAC secret), "OKP", ...
  }
  if (!pkey)
    return where + "invalid " + std::string(*kty) + " public key";
  auto type = classify(pkey.get());
  if (auto* what = std::get_if<std::string_view>(&type))
    return where + std::string(*what);
  Key out{std::get<Key::Type>(type), std::move(pkey), std::nullopt};
  if (kid)
    out.kid = std::string(*kid);
  return std::optional<Key>(std::move(out));
}

core::Result<std::vector<Key>> load_jwks(const std::string& path) {
  constexpr std::string_view kOption = "jwks_file";
  auto text = read_key_file(kOption, path);
  if (!text)
    return text.status();
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text.value());
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS)
    return key_error(kOption, path, "not valid JSON");
  simdjson::dom::array keys;
  if (root["keys"].get_array().get(keys) != simdjson::SUCCESS)
    return key_error(kOption, path, "no \"keys\" array");
  std::vector<Key> out;
  std::size_t index = 0;
  for (simdjson::dom::element element : keys) {
    auto parsed = parse_jwk(element, index++);
    if (auto* what = std::get_if<std::string>(&parsed))
      return key_error(kOption, path, *what);
    auto& key = std::get<std::optional<Key>>(parsed);
    if (key)
      out.push_back(std::move(*key));
  }
  ERR_clear_error();
  if (out.empty())
    return key_error(kOption, path, "no RSA or EC P-256 signature key");
  return out;
}

// --- verification

const EVP_MD* sha256_md() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

bool verify_digest_signature(EVP_PKEY* pkey, std::string_view input, const unsigned char* sig,
                             std::size_t sig_len) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, sha256_md(), nullptr, pkey) == 1 &&
      EVP_DigestVerify(ctx.get(), sig, sig_len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  if (!ok)
    ERR_clear_error();
  return ok;
}

bool verify_rs256(EVP_PKEY* pkey, std::string_view input, std::string_view sig) {
  if (static_cast<int>(sig.size()) != EVP_PKEY_get_size(pkey))
    return false;
  return verify_digest_signature(pkey, input, reinterpret_cast<const unsigned char*>(sig.data()),
                                 sig.size());
}

// JWS carries R||S (32 bytes each, RFC 7518 section 3.4); OpenSSL wants DER.
bool verify_es256(EVP_PKEY* pkey, std::string_view input, std::string_view sig) {
  if (sig.size() != 64)
    return false;
  const auto* raw = reinterpret_cast<const unsigned char*>(sig.data());
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> ecdsa(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw, 32, nullptr);
  BIGNUM* s = BN_bin2bn(raw + 32, 32, nullptr);
  if (!ecdsa || !r || !s || ECDSA_SIG_set0(ecdsa.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char der[80];
  unsigned char* p = der;
  int der_len = i2d_ECDSA_SIG(ecdsa.get(), nullptr);
  if (der_len <= 0 || der_len > static_cast<int>(sizeof der))
    return false;
  der_len = i2d_ECDSA_SIG(ecdsa.get(), &p);
  if (der_len <= 0)
    return false;
  return verify_digest_signature(pkey, input, der, static_cast<std::size_t>(der_len));
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) {
             return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
           };
           return lower(x) == lower(y);
         });
}

// Decodes one base64url JSON part into `buffer` (padded for simdjson) and parses it as an
// object with `parser`.
bool parse_part(std::string_view b64, std::string& buffer, simdjson::dom::parser& parser,
                simdjson::dom::object& out) {
  buffer.clear();
  if (!base64url_decode(b64, buffer))
    return false;
  std::size_t n = buffer.size();
  buffer.resize(n + simdjson::SIMDJSON_PADDING, '\0');
  simdjson::dom::element root;
  if (parser.parse(reinterpret_cast<const std::uint8_t*>(buffer.data()), n, false).get(root) !=
      simdjson::SUCCESS)
    return false;
  return root.get_object().get(out) == simdjson::SUCCESS;
}

struct ThreadScratch {
  simdjson::dom::parser parser;
  std::string header;
  std::string payload;
  std::string signature;
};

ThreadScratch& scratch() {
  thread_local ThreadScratch s;
  return s;
}

Clock::time_point to_time_point(double seconds) {
  if (seconds >= kMaxNumericDate)
    return Clock::time_point::max();
  if (seconds <= -kMaxNumericDate)
    return Clock::time_point::min();
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
}

// The JWKS file's modification time (in the file clock's nanoseconds, which may be
// negative) and size; size -1 if the file cannot be looked at.
void file_identity(const std::string& path, std::int64_t& mtime_ns, std::int64_t& size) {
  std::error_code ec;
  mtime_ns = 0;
  size = -1;
  auto mtime = std::filesystem::last_write_time(path, ec);
  if (ec)
    return;
  std::uintmax_t bytes = std::filesystem::file_size(path, ec);
  if (ec)
    return;
  mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
  size = static_cast<std::int64_t>(bytes);
}

}  // namespace

// HMAC-SHA256 keyed once; each use duplicates the keyed context (the key schedule and the
// algorithm fetch are not repeated per token). The template is only read, so concurrent
// verify() calls may duplicate it.
class HmacKey {
 public:
  static std::unique_ptr<HmacKey> create(std::string_view secret) {
    auto key = std::unique_ptr<HmacKey>(new HmacKey());
    key->mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (key->mac_ != nullptr)
      key->keyed_ = EVP_MAC_CTX_new(key->mac_);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                           OSSL_PARAM_construct_end()};
    if (key->keyed_ == nullptr ||
        EVP_MAC_init(key->keyed_, reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size(), params) != 1) {
      ERR_clear_error();
      return nullptr;
    }
    return key;
  }
  ~HmacKey() {
    EVP_MAC_CTX_free(keyed_);
    EVP_MAC_free(mac_);
  }

  // True if `sig` is the HMAC of `input` (compared in constant time).
  bool verify(std::string_view input, std::string_view sig) const {
    if (sig.size() != 32)
      return false;
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed_);
    unsigned char mac[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    bool ok = ctx != nullptr &&
              EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1 &&
              EVP_MAC_final(ctx, mac, &len, sizeof mac) == 1 && len == 32;
    EVP_MAC_CTX_free(ctx);
    if (!ok) {
      ERR_clear_error();
      return false;
    }
    ok = CRYPTO_memcmp(mac, sig.data(), 32) == 0;
    OPENSSL_cleanse(mac, sizeof mac);
    return ok;
  }

 private:
  HmacKey() = default;
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* keyed_ = nullptr;
};

class JwtKeys {
 public:
  std::vector<Key> keys;
  std::uint64_t generation = 0;
};

// --- the verified-token cache

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

class JwtCache {
 public:
  struct Entry {
    std::string subject;
    Clock::time_point expires;      // the token's exp (max() without one)
    Clock::time_point valid_until;  // exp + skew, or insertion + kCacheWithoutExp
    bool has_exp = false;
    std::uint64_t generation = 0;
  };

  explicit JwtCache(std::size_t capacity)
      : per_shard_(std::max<std::size_t>(1, (capacity + kShards - 1) / kShards)) {}

  // SHA-256 through a per-thread EVP_MD_CTX and a fetched-once EVP_MD: the one-shot SHA256()
  // of OpenSSL 3 fetches the algorithm (a global lock) on every call.
  static Digest digest(std::string_view token) {
    struct Ctx {
      EVP_MD_CTX* ctx = EVP_MD_CTX_new();
      ~Ctx() { EVP_MD_CTX_free(ctx); }
    };
    thread_local Ctx t;
    Digest d{};
    unsigned int len = 0;
    if (t.ctx == nullptr || EVP_DigestInit_ex2(t.ctx, sha256_md(), nullptr) != 1 ||
        EVP_DigestUpdate(t.ctx, token.data(), token.size()) != 1 ||
        EVP_DigestFinal_ex(t.ctx, d.data(), &len) != 1) {
      // Out of memory: a one-shot digest is still correct, only slower.
      SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), d.data());
    }
    return d;
  }

  // Copies the entry of `d` into `out`; false if absent.
  bool find(const Digest& d, Entry& out) {
    Shard& shard = shard_of(d);
    std::lock_guard lock(shard.mutex);
    auto it = shard.map.find(d);
    if (it == shard.map.end())
      return false;
    out = it->second;
    return true;
  }

  void insert(const Digest& d, Entry entry) {
    Shard& shard = shard_of(d);
    std::lock_guard lock(shard.mutex);
    auto it = shard.map.find(d);
    if (it != shard.map.end()) {
      it->second = std::move(entry);
      return;
    }
    while (shard.map.size() >= per_shard_ && !shard.order.empty()) {
      shard.map.erase(shard.order.front());
      shard.order.pop_front();
    }
    shard.map.emplace(d, std::move(entry));
    shard.order.push_back(d);
  }

  void clear() {
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mutex);
      shard.map.clear();
      shard.order.clear();
    }
  }

  std::size_t size() {
    std::size_t n = 0;
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mutex);
      n += shard.map.size();
    }
    return n;
  }

 private:
  static constexpr std::size_t kShards = 16;
  struct DigestHash {
    std::size_t operator()(const Digest& d) const noexcept {
      std::size_t h;
      std::memcpy(&h, d.data(), sizeof h);
      return h;
    }
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<Digest, Entry, DigestHash> map;
    std::deque<Digest> order;  // insertion order, same members as map
  };
  Shard& shard_of(const Digest& d) { return shards_[d[31] % kShards]; }

  std::size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace internal

using internal::Clock;

JwtVerifier::JwtVerifier(JwtOptions options) : options_(std::move(options)) {
  if (options_.cache_entries > 0)
    cache_ = std::make_unique<internal::JwtCache>(options_.cache_entries);
}

JwtVerifier::~JwtVerifier() = default;

core::Result<std::unique_ptr<JwtVerifier>> JwtVerifier::create(JwtOptions options) {
  if (!options.hs256_secret.empty() && options.hs256_secret.size() < 32)
    return core::invalid_argument(
        "proxy.jwt hs256_secret_file: the secret is shorter than 32 bytes (RFC 7518 3.2)");
  if (options.hs256_secret.empty() && options.public_key_file.empty() && options.jwks_file.empty())
    return core::invalid_argument(
        "proxy.jwt: no key configured (hs256_secret_file, public_key_file or jwks_file)");
  if (options.max_token_bytes == 0)
    return core::invalid_argument("proxy.jwt max_token_bytes: must be > 0");
  if (options.clock_skew.count() < 0)
    return core::invalid_argument("proxy.jwt clock_skew: must be >= 0");
  if (options.subject_claim.empty())
    return core::invalid_argument("proxy.jwt subject_claim: must not be empty");
  auto keys = std::make_shared<internal::JwtKeys>();
  if (!options.public_key_file.empty()) {
    auto key = internal::load_pem(options.public_key_file);
    if (!key)
      return key.status();
    keys->keys.push_back(std::move(key.value()));
  }
  std::int64_t mtime_ns = 0;
  std::int64_t size = -1;
  if (!options.jwks_file.empty()) {
    internal::file_identity(options.jwks_file, mtime_ns, size);
    auto jwks = internal::load_jwks(options.jwks_file);
    if (!jwks)
      return jwks.status();
    for (auto& key : jwks.value())
      keys->keys.push_back(std::move(key));
  }
  std::unique_ptr<internal::HmacKey> hmac;
  if (!options.hs256_secret.empty()) {
    hmac = internal::HmacKey::create(options.hs256_secret);
    if (!hmac)
      return core::internal_error("proxy.jwt: OpenSSL has no HMAC-SHA256");
  }
  std::unique_ptr<JwtVerifier> verifier(new JwtVerifier(std::move(options)));
  verifier->hmac_ = std::move(hmac);
  verifier->keys_ = std::move(keys);
  verifier->jwks_mtime_ns_ = mtime_ns;
  verifier->jwks_size_ = size;
  return verifier;
}

std::size_t JwtVerifier::cache_size() const {
  return cache_ ? cache_->size() : 0;
}

std::shared_ptr<const internal::JwtKeys> JwtVerifier::current_keys() const {
  std::lock_guard lock(keys_mutex_);
  return keys_;
}

JwtError JwtVerifier::reject(JwtError error) {
  counters_.rejected_by_reason[static_cast<std::size_t>(error)].fetch_add(
      1, std::memory_order_relaxed);
  return error;
}

bool JwtVerifier::reload_if_changed() {
  if (options_.jwks_file.empty())
    return false;
  std::lock_guard reload_lock(reload_mutex_);
  std::int64_t mtime_ns = 0;
  std::int64_t size = -1;  // -1: the file could not be looked at
  internal::file_identity(options_.jwks_file, mtime_ns, size);
  if (mtime_ns == jwks_mtime_ns_ && size == jwks_size_)
    return false;
  jwks_mtime_ns_ = mtime_ns;
  jwks_size_ = size;
  if (size < 0) {  // gone or unreadable: keep the keys (a rename in progress, a mistake)
    counters_.jwks_reload_failures.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  auto jwks = internal::load_jwks(options_.jwks_file);
  if (!jwks) {
    counters_.jwks_reload_failures.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  auto old_keys = current_keys();
  auto keys = std::make_shared<internal::JwtKeys>();
  // The PEM key (no kid) stays; the JWKS keys are replaced.
  for (const auto& key : old_keys->keys) {
    if (key.kid || options_.public_key_file.empty())
      continue;
    EVP_PKEY_up_ref(key.pkey.get());
    keys->keys.push_back(internal::Key{key.type, internal::Pkey(key.pkey.get()), std::nullopt});
    break;
  }
  for (auto& key : jwks.value())
    keys->keys.push_back(std::move(key));
  keys->generation = old_keys->generation + 1;
  {
    std::lock_guard lock(keys_mutex_);
    keys_ = std::move(keys);
    generation_.store(keys_->generation, std::memory_order_release);
  }
  if (cache_)
    cache_->clear();
  counters_.jwks_reloads.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void JwtVerifier::maybe_reload(Clock::time_point now) {
  if (options_.jwks_file.empty())
    return;
  const std::int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  std::int64_t last = last_jwks_check_s_.load(std::memory_order_relaxed);
  if (now_s >= last && now_s - last < 1)
    return;
  if (!last_jwks_check_s_.compare_exchange_strong(last, now_s, std::memory_order_relaxed))
    return;
  reload_if_changed();
}

std::variant<VerifiedToken, JwtError> JwtVerifier::verify(std::string_view token,
                                                          Clock::time_point now) {
  if (token.empty())
    return reject(JwtError::kMissing);
  if (token.size() > options_.max_token_bytes)
    return reject(JwtError::kTooLarge);
  // Before the cache, so that a revoked key stops its cached tokens within a second.
  maybe_reload(now);
  internal::Digest digest{};
  if (cache_) {
    digest = internal::JwtCache::digest(token);
    internal::JwtCache::Entry entry;
    if (cache_->find(digest, entry) &&
        entry.generation == generation_.load(std::memory_order_acquire)) {
      if (now < entry.valid_until) {
        counters_.cache_hits.fetch_add(1, std::memory_order_relaxed);
        counters_.verified.fetch_add(1, std::memory_order_relaxed);
        return VerifiedToken{std::move(entry.subject), entry.expires};
      }
      if (entry.has_exp)
        return reject(JwtError::kExpired);
    }
  }
  std::uint64_t generation = 0;
  auto result = verify_uncached(token, now, generation);
  if (auto* ok = std::get_if<VerifiedToken>(&result)) {
    counters_.verified.fetch_add(1, std::memory_order_relaxed);
    if (cache_ && ok->subject.size() <= internal::kMaxCachedSubjectBytes) {
      bool has_exp = ok->expires != Clock::time_point::max();
      Clock::time_point valid_until =
          has_exp ? (ok->expires >= Clock::time_point::max() - options_.clock_skew
                         ? Clock::time_point::max()
                         : ok->expires + options_.clock_skew)
                  : now + internal::kCacheWithoutExp;
      cache_->insert(digest, {ok->subject, ok->expires, valid_until, has_exp, generation});
    }
  } else {
    reject(std::get<JwtError>(result));
  }
  return result;
}

std::variant<VerifiedToken, JwtError> JwtVerifier::verify_uncached(std::string_view token,
                                                                   Clock::time_point now,
                                                                   std::uint64_t& generation) {
  using internal::Key;
  internal::ThreadScratch& s = internal::scratch();

  // Header first, so that an unsecured token is named as such whatever its shape.
  const std::size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos)
    return JwtError::kMalformed;
  std::string alg;
  std::optional<std::string> kid;
  {
    simdjson::dom::object header;
    if (!internal::parse_part(token.substr(0, dot1), s.header, s.parser, header))
      return JwtError::kMalformed;
    bool seen_alg = false;
    for (simdjson::dom::key_value_pair member : header) {
      std::string_view value;
      if (member.key == "alg") {
        if (seen_alg || member.value.get_string().get(value) != simdjson::SUCCESS)
          return JwtError::kMalformed;
        seen_alg = true;
        alg = value;
      } else if (member.key == "kid") {
        if (kid || member.value.get_string().get(value) != simdjson::SUCCESS)
          return JwtError::kMalformed;
        kid = std::string(value);
      } else if (member.key == "crit") {
        return JwtError::kMalformed;  // RFC 7515 4.1.11: no extension is understood here
      }
    }
    if (!seen_alg)
      return JwtError::kMalformed;
  }
  if (internal::equals_ignoring_case(alg, "none"))
    return JwtError::kAlgNone;
  Key::Type key_type = Key::Type::kRsa;
  const bool hmac = alg == "HS256";
  if (hmac) {
    if (!hmac_)
      return JwtError::kUnsupportedAlgorithm;
  } else if (alg == "RS256") {
    key_type = Key::Type::kRsa;
  } else if (alg == "ES256") {
    key_type = Key::Type::kEc;
  } else {
    return JwtError::kUnsupportedAlgorithm;
  }

  const std::size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return JwtError::kMalformed;  // not a JWS compact serialization (a JWE has 5 parts)
  const std::string_view signing_input = token.substr(0, dot2);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  s.signature.clear();
  if (!internal::base64url_decode(token.substr(dot2 + 1), s.signature))
    return JwtError::kMalformed;
  s.payload.clear();
  if (!internal::base64url_decode(payload_b64, s.payload))
    return JwtError::kMalformed;

  // Signature: the secret for HS256, else the keys of the algorithm's type and the kid.
  std::shared_ptr<const internal::JwtKeys> keys = current_keys();
  generation = keys->generation;
  if (hmac) {
    if (!hmac_->verify(signing_input, s.signature))
      return JwtError::kBadSignature;
  } else {
    auto matches = [&](const Key& key) {
      return key.type == key_type && (!kid || !key.kid || *key.kid == *kid);
    };
    auto has_type = [&](const Key& key) { return key.type == key_type; };
    if (!std::any_of(keys->keys.begin(), keys->keys.end(), matches)) {
      // An unknown kid may be a key added since the last look at the JWKS file.
      if (kid && reload_if_changed()) {
        keys = current_keys();
        generation = keys->generation;
      }
      if (!std::any_of(keys->keys.begin(), keys->keys.end(), has_type))
        return JwtError::kUnsupportedAlgorithm;
      if (!std::any_of(keys->keys.begin(), keys->keys.end(), matches))
        return JwtError::kUnknownKid;
    }
    bool ok = false;
    for (const Key& key : keys->keys) {
      if (!matches(key))
        continue;
      ok = key_type == Key::Type::kRsa
               ? internal::verify_rs256(key.pkey.get(), signing_input, s.signature)
               : internal::verify_es256(key.pkey.get(), signing_input, s.signature);
      if (ok)
        break;
    }
    if (!ok)
      return JwtError::kBadSignature;
  }

  // Claims.
  std::size_t n = s.payload.size();
  s.payload.resize(n + simdjson::SIMDJSON_PADDING, '\0');
  simdjson::dom::element root;
  simdjson::dom::object claims;
  if (s.parser.parse(reinterpret_cast<const std::uint8_t*>(s.payload.data()), n, false).get(root) !=
          simdjson::SUCCESS ||
      root.get_object().get(claims) != simdjson::SUCCESS)
    return JwtError::kMalformed;
  std::optional<double> exp, nbf;
  std::optional<std::string_view> iss, subject;
  bool seen_aud = false, seen_subject = false, audience_ok = false;
  for (simdjson::dom::key_value_pair member : claims) {
    if (member.key == "exp" || member.key == "nbf") {
      std::optional<double>& date = member.key == "exp" ? exp : nbf;
      double value = 0;
      if (date || member.value.get_double().get(value) != simdjson::SUCCESS ||
          !std::isfinite(value))
        return JwtError::kMalformed;
      date = value;
    } else if (member.key == "iss") {
      std::string_view value;
      if (iss || member.value.get_string().get(value) != simdjson::SUCCESS)
        return JwtError::kMalformed;
      iss = value;
    } else if (member.key == "aud") {
      if (seen_aud)
        return JwtError::kMalformed;
      seen_aud = true;
      std::string_view value;
      simdjson::dom::array list;
      if (member.value.get_string().get(value) == simdjson::SUCCESS) {
        audience_ok = value == options_.audience;
      } else if (member.value.get_array().get(list) == simdjson::SUCCESS) {
        for (simdjson::dom::element item : list) {
          if (item.get_string().get(value) != simdjson::SUCCESS)
            return JwtError::kMalformed;
          if (value == options_.audience)
            audience_ok = true;
        }
      } else {
        return JwtError::kMalformed;
      }
    }
    if (member.key == options_.subject_claim) {
      if (seen_subject)
        return JwtError::kMalformed;
      seen_subject = true;
      std::string_view value;
      if (member.value.get_string().get(value) == simdjson::SUCCESS && !value.empty())
        subject = value;
    }
  }
  const double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double skew = static_cast<double>(options_.clock_skew.count());
  if (exp && now_s >= *exp + skew)
    return JwtError::kExpired;
  if (nbf && now_s + skew < *nbf)
    return JwtError::kNotYetValid;
  if (!options_.issuer.empty() && iss != std::string_view(options_.issuer))
    return JwtError::kWrongIssuer;
  if (!options_.audience.empty() && !audience_ok)
    return JwtError::kWrongAudience;
  if (!subject)
    return JwtError::kNoSubject;
  return VerifiedToken{std::string(*subject),
                       exp ? internal::to_time_point(*exp) : Clock::time_point::max()};
}

}  // namespace edgetrace::daemon
