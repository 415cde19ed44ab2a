// JWT verification for the browser/phone proxy: "Authorization: Bearer <JWT>" checked
// against configured keys, with a bounded cache of verified tokens.
//
//   JwtOptions options;
//   options.jwks_file = "/etc/edgetrace/jwks.json";
//   options.issuer = "https://auth.example.com/";
//   options.audience = "edgetrace";
//   auto verifier = JwtVerifier::create(std::move(options));
//   if (!verifier) return verifier.status();          // names the file, never key material
//   auto result = verifier.value()->verify(bearer_token(request_authorization_header),
//                                          std::chrono::system_clock::now());
//   if (auto* error = std::get_if<JwtError>(&result))
//     return reply(401, reason_code(*error));          // e.g. "token_expired"
//   const VerifiedToken& ok = std::get<VerifiedToken>(result);   // ok.subject
//
// Algorithms: a strict allow-list. HS256 verifies only with hs256_secret; RS256 only with
// RSA keys (at least 2048 bits); ES256 only with P-256 keys. `alg` "none" (any case) is
// kAlgNone; any other algorithm, or one of the three without a key of its type, is
// kUnsupportedAlgorithm. An RSA or EC public key is never used as an HMAC secret
// (algorithm confusion), and a JWK whose "alg" or "use" names something else is not used.
// Keys: a PEM public key (no kid: it matches any token kid) and/or a local JWKS. A token
// with a kid matches the JWKS keys of that kid (and the PEM key); with no match, the JWKS
// file is re-read if its mtime or size changed, then the token is kUnknownKid. A token
// without a kid is tried against every key of its algorithm's type. The JWKS file is
// also re-read when it changed, looked at most once a second (by the `now` of verify);
// a reload that fails keeps the previous keys (counted in jwks_reload_failures). A
// change of keys empties the cache.
// Claims: exp and nbf (NumericDate, with clock_skew either way), iss and aud when
// configured (aud a string or an array of strings), and the subject claim (a non-empty
// string). A token without exp is accepted (RFC 7519 makes it optional) and cached for
// at most a minute. Duplicate header or claim members that are read are kMalformed, as
// is a "crit" header (no extension is understood).
// Secrets: tokens, secrets and key material never appear in an error, a counter or a log.
//
// Cache: keyed by SHA-256 of the token, 16 shards each with its own mutex, bounded to
// cache_entries (oldest inserted evicted first), an entry kept until the token's exp. A
// hit costs one SHA-256 of the token and one map lookup: no signature, no JSON.
// Thread-safety: verify() and counters() may be called from any thread concurrently.
// Blocking: verify() takes short mutexes; it reads the JWKS file (stat, and a read when it
// changed) at most once a second. Memory: bounded by cache_entries (each entry holds the
// subject, of at most 1 KiB: a token with a longer one is not cached) plus the key set.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>

#include "edgetrace/core/result.hpp"

namespace edgetrace::daemon {

struct JwtOptions {
  // Contents of proxy.jwt.hs256_secret_file (the caller reads the file), used byte for byte
  // (strip a trailing newline before if the file has one). At least 32 bytes (RFC 7518
  // section 3.2). "" = HS256 not accepted.
  std::string hs256_secret;
  // PEM "BEGIN PUBLIC KEY" file: RSA (>= 2048 bits) or EC P-256. "" = none.
  std::string public_key_file;
  // Local JWKS file ({"keys":[...]}, RSA and EC P-256 keys used; "oct" keys and other
  // curves ignored), reloaded when its mtime or size changes. "" = none.
  std::string jwks_file;
  // "" = not checked. aud may be a string or an array in the token.
  std::string issuer;
  std::string audience;
  // Allowed clock difference for exp and nbf.
  std::chrono::seconds clock_skew{30};
  // Longer tokens are kTooLarge before any decoding.
  std::size_t max_token_bytes = 8192;
  // Verified tokens kept, keyed by SHA-256 of the token, until their exp. 0 = no cache.
  std::size_t cache_entries = 65536;
  // The claim that names the client (rate limiting per subject, resource attributes).
  std::string subject_claim = "sub";
};

enum class JwtError : std::uint8_t {
  kMissing,
  kMalformed,
  kTooLarge,
  kAlgNone,
  kUnsupportedAlgorithm,
  kUnknownKid,
  kBadSignature,
  kExpired,
  kNotYetValid,
  kWrongIssuer,
  kWrongAudience,
  kNoSubject,
};
inline constexpr std::size_t kJwtErrorCount = static_cast<std::size_t>(JwtError::kNoSubject) + 1;

// Short snake_case code for a 401 body and a counter label: "token_missing",
// "token_malformed", "token_too_large", "alg_none", "alg_unsupported", "unknown_kid",
// "bad_signature", "token_expired", "token_not_yet_valid", "wrong_issuer",
// "wrong_audience", "no_subject".
std::string_view reason_code(JwtError error) noexcept;

// The token of an "Authorization" header value "Bearer <token>" (RFC 6750 2.1: the scheme
// in any case, then spaces; surrounding whitespace ignored), or "" for another scheme or
// none, which verify() reports as kMissing. The view borrows `authorization`.
std::string_view bearer_token(std::string_view authorization) noexcept;

struct VerifiedToken {
  std::string subject;
  // The token's exp; time_point::max() when it has none.
  std::chrono::system_clock::time_point expires;
};

namespace internal {
class JwtKeys;
class JwtCache;
class HmacKey;
}  // namespace internal

class JwtVerifier {
 public:
  struct Counters {
    std::atomic<std::uint64_t> verified{0};    // accepted tokens, cache hits included
    std::atomic<std::uint64_t> cache_hits{0};  // accepted from the cache
    std::array<std::atomic<std::uint64_t>, kJwtErrorCount> rejected_by_reason{};
    std::atomic<std::uint64_t> jwks_reloads{0};
    std::atomic<std::uint64_t> jwks_reload_failures{0};

    std::uint64_t rejected(JwtError error) const noexcept {
      return rejected_by_reason[static_cast<std::size_t>(error)].load(std::memory_order_relaxed);
    }
  };

  // Loads the keys. A missing, unreadable or bad PEM/JWKS file, a short secret or no key
  // source at all is an invalid_argument error naming the option and file.
  static core::Result<std::unique_ptr<JwtVerifier>> create(JwtOptions options);

  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // Verifies the raw token (without "Bearer "); an empty token is kMissing. Uses and fills
  // the cache. Thread-safe.
  std::variant<VerifiedToken, JwtError> verify(std::string_view token,
                                               std::chrono::system_clock::time_point now);

  const Counters& counters() const noexcept { return counters_; }
  // Number of tokens in the cache now.
  std::size_t cache_size() const;

 private:
  explicit JwtVerifier(JwtOptions options);
  // `generation` receives the generation of the keys the token was checked with.
  std::variant<VerifiedToken, JwtError> verify_uncached(std::string_view token,
                                                        std::chrono::system_clock::time_point now,
                                                        std::uint64_t& generation);
  std::shared_ptr<const internal::JwtKeys> current_keys() const;
  // Re-reads the JWKS file when its mtime or size changed; true if the keys changed.
  bool reload_if_changed();
  void maybe_reload(std::chrono::system_clock::time_point now);
  JwtError reject(JwtError error);

  JwtOptions options_;
  Counters counters_;
  std::unique_ptr<internal::JwtCache> cache_;
  std::unique_ptr<internal::HmacKey> hmac_;  // keyed once with hs256_secret
  mutable std::mutex keys_mutex_;            // guards keys_ (held only to copy or swap the pointer)
  std::shared_ptr<const internal::JwtKeys> keys_;
  std::atomic<std::uint64_t> generation_{0};  // of keys_; cache entries of others are stale
  std::mutex reload_mutex_;                   // one reload at a time; guards the two below
  std::int64_t jwks_mtime_ns_ = 0;            // identity of the JWKS file last read
  std::int64_t jwks_size_ = 0;
  std::atomic<std::int64_t> last_jwks_check_s_{0};
};

}  // namespace edgetrace::daemon
