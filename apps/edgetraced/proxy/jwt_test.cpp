// JwtVerifier: every rejection reason with real keys, PEM and JWKS files, the JWKS reload by
// mtime, the verified-token cache, and that no token or key material reaches an error text.
#include "proxy/jwt.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/jwt_testing.hpp"
#include "testing/temp_dir.hpp"

namespace edgetrace::daemon {
namespace {

using namespace std::chrono_literals;
using testing::TestClaims;
using testing::TestHeader;
using testing::TestKey;
using Clock = std::chrono::system_clock;

constexpr std::int64_t kNow = 1'800'000'000;
const Clock::time_point kNowTp = Clock::time_point(std::chrono::seconds(kNow));
constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef-hs256";
constexpr std::string_view kIssuer = "https://auth.example.com/";
constexpr std::string_view kAudience = "edgetrace";

void write_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Moves the file's mtime forward so a rewrite is seen as a change whatever the file
// system's timestamp granularity.
void touch_later(const std::string& path, std::chrono::seconds by) {
  auto t = std::filesystem::last_write_time(path);
  std::filesystem::last_write_time(path, t + by);
}

class JwtTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = new TestKey(TestKey::generate_rsa("rsa-1"));
    rsa_other_ = new TestKey(TestKey::generate_rsa("rsa-1"));  // same kid, other key
    ec_ = new TestKey(TestKey::generate_ec("ec-1"));
    ec_other_ = new TestKey(TestKey::generate_ec("ec-1"));
    ec2_ = new TestKey(TestKey::generate_ec("ec-2"));
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete rsa_other_;
    delete ec_;
    delete ec_other_;
    delete ec2_;
  }

  void SetUp() override {
    jwks_path_ = dir_.file("jwks.json");
    pem_path_ = dir_.file("rsa.pem");
    write_file(jwks_path_, testing::jwks_json({rsa_, ec_}));
    write_file(pem_path_, rsa_->public_pem);
  }

  JwtOptions options() const {
    JwtOptions o;
    o.hs256_secret = std::string(kSecret);
    o.jwks_file = jwks_path_;
    o.issuer = std::string(kIssuer);
    o.audience = std::string(kAudience);
    return o;
  }

  std::unique_ptr<JwtVerifier> make(JwtOptions o) {
    auto v = JwtVerifier::create(std::move(o));
    EXPECT_TRUE(v.ok()) << v.status().to_string();
    return v.ok() ? std::move(v.value()) : nullptr;
  }

  static TestClaims good_claims() {
    TestClaims c;
    c.sub = "user-42";
    c.iss = std::string(kIssuer);
    c.aud = std::string(kAudience);
    c.exp = kNow + 600;
    c.nbf = kNow - 10;
    c.iat = kNow - 10;
    return c;
  }
  static std::string es256(const TestClaims& claims, const TestKey& key = *ec_,
                           std::string kid = "ec-1") {
    return testing::sign_es256({"ES256", std::move(kid)}, claims.json(), key);
  }

  static JwtError error_of(const std::variant<VerifiedToken, JwtError>& r) {
    if (auto* e = std::get_if<JwtError>(&r))
      return *e;
    ADD_FAILURE() << "token accepted";
    return JwtError::kMissing;
  }
  static std::string subject_of(const std::variant<VerifiedToken, JwtError>& r) {
    if (auto* t = std::get_if<VerifiedToken>(&r))
      return t->subject;
    ADD_FAILURE() << "rejected: " << reason_code(std::get<JwtError>(r));
    return "";
  }

  static inline TestKey* rsa_ = nullptr;
  static inline TestKey* rsa_other_ = nullptr;
  static inline TestKey* ec_ = nullptr;
  static inline TestKey* ec_other_ = nullptr;
  static inline TestKey* ec2_ = nullptr;
  edgetrace::testing::TempDir dir_{"edgetrace-jwt"};
  std::string jwks_path_;
  std::string pem_path_;
};

TEST_F(JwtTest, ReasonCodes) {
  EXPECT_EQ(reason_code(JwtError::kMissing), "token_missing");
  EXPECT_EQ(reason_code(JwtError::kMalformed), "token_malformed");
  EXPECT_EQ(reason_code(JwtError::kTooLarge), "token_too_large");
  EXPECT_EQ(reason_code(JwtError::kAlgNone), "alg_none");
  EXPECT_EQ(reason_code(JwtError::kUnsupportedAlgorithm), "alg_unsupported");
  EXPECT_EQ(reason_code(JwtError::kUnknownKid), "unknown_kid");
  EXPECT_EQ(reason_code(JwtError::kBadSignature), "bad_signature");
  EXPECT_EQ(reason_code(JwtError::kExpired), "token_expired");
  EXPECT_EQ(reason_code(JwtError::kNotYetValid), "token_not_yet_valid");
  EXPECT_EQ(reason_code(JwtError::kWrongIssuer), "wrong_issuer");
  EXPECT_EQ(reason_code(JwtError::kWrongAudience), "wrong_audience");
  EXPECT_EQ(reason_code(JwtError::kNoSubject), "no_subject");
}

TEST(BearerTokenTest, TakesTheTokenOfTheBearerScheme) {
  EXPECT_EQ(bearer_token("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(bearer_token("bearer abc"), "abc");
  EXPECT_EQ(bearer_token("BEARER   abc  "), "abc");
  EXPECT_EQ(bearer_token("  Bearer\tabc"), "abc");
  EXPECT_EQ(bearer_token("Bearer"), "");
  EXPECT_EQ(bearer_token("Bearer "), "");
  EXPECT_EQ(bearer_token("Bearerabc"), "");
  EXPECT_EQ(bearer_token("Basic dXNlcjpwYXNz"), "");
  EXPECT_EQ(bearer_token(""), "");
}

TEST_F(JwtTest, AcceptsEs256Rs256AndHs256) {
  auto v = make(options());
  ASSERT_TRUE(v);
  auto es = v->verify(es256(good_claims()), kNowTp);
  EXPECT_EQ(subject_of(es), "user-42");
  ASSERT_TRUE(std::holds_alternative<VerifiedToken>(es));
  EXPECT_EQ(std::get<VerifiedToken>(es).expires,
            Clock::time_point(std::chrono::seconds(kNow + 600)));
  EXPECT_EQ(subject_of(v->verify(
                testing::sign_rs256({"RS256", "rsa-1"}, good_claims().json(), *rsa_), kNowTp)),
            "user-42");
  EXPECT_EQ(
      subject_of(v->verify(testing::sign_hs256({"HS256"}, good_claims().json(), kSecret), kNowTp)),
      "user-42");
  // Without a kid every key of the algorithm's type is tried.
  EXPECT_EQ(
      subject_of(v->verify(testing::sign_es256({"ES256"}, good_claims().json(), *ec_), kNowTp)),
      "user-42");
  EXPECT_EQ(v->counters().verified.load(), 4u);
  EXPECT_EQ(v->counters().cache_hits.load(), 0u);
}

TEST_F(JwtTest, AcceptsRs256AndEs256FromPemFile) {
  JwtOptions o = options();
  o.jwks_file.clear();
  o.public_key_file = pem_path_;
  auto v = make(o);
  ASSERT_TRUE(v);
  // The PEM key has no kid: it matches a token with any kid.
  EXPECT_EQ(subject_of(v->verify(testing::sign_rs256({"RS256", "any"}, good_claims().json(), *rsa_),
                                 kNowTp)),
            "user-42");
  EXPECT_EQ(error_of(v->verify(testing::sign_rs256({"RS256"}, good_claims().json(), *rsa_other_),
                               kNowTp)),
            JwtError::kBadSignature);
  // No EC key configured.
  EXPECT_EQ(error_of(v->verify(es256(good_claims()), kNowTp)), JwtError::kUnsupportedAlgorithm);

  write_file(pem_path_, ec_->public_pem);
  auto ec = make(o);
  ASSERT_TRUE(ec);
  EXPECT_EQ(subject_of(ec->verify(es256(good_claims()), kNowTp)), "user-42");
}

TEST_F(JwtTest, Expired) {
  auto v = make(options());
  ASSERT_TRUE(v);
  TestClaims c = good_claims();
  c.exp = kNow - 31;  // beyond the 30 s skew
  EXPECT_EQ(error_of(v->verify(es256(c), kNowTp)), JwtError::kExpired);
  c.exp = kNow - 29;  // within it
  EXPECT_EQ(subject_of(v->verify(es256(c), kNowTp)), "user-42");
  EXPECT_EQ(v->counters().rejected(JwtError::kExpired), 1u);
}

TEST_F(JwtTest, NotYetValid) {
  auto v = make(options());
  ASSERT_TRUE(v);
  TestClaims c = good_claims();
  c.nbf = kNow + 31;
  EXPECT_EQ(error_of(v->verify(es256(c), kNowTp)), JwtError::kNotYetValid);
  c.nbf = kNow + 29;
  EXPECT_EQ(subject_of(v->verify(es256(c), kNowTp)), "user-42");
}

TEST_F(JwtTest, ClockSkewIsConfigurable) {
  JwtOptions o = options();
  o.clock_skew = 0s;
  auto v = make(o);
  ASSERT_TRUE(v);
  TestClaims c = good_claims();
  c.exp = kNow;  // exp is exclusive: at exp the token is expired
  EXPECT_EQ(error_of(v->verify(es256(c), kNowTp)), JwtError::kExpired);
  c.exp = kNow + 1;
  c.nbf = kNow + 1;
  EXPECT_EQ(error_of(v->verify(es256(c), kNowTp)), JwtError::kNotYetValid);
  c.nbf = kNow;
  EXPECT_EQ(subject_of(v->verify(es256(c), kNowTp)), "user-42");
}

TEST_F(JwtTest, WrongIssuer) {
  auto v = make(options());
  ASSERT_TRUE(v);
  TestClaims c = good_claims();
  c.iss = "https://evil.example.com/";
  EXPECT_EQ(error_of(v->verify(es256(c), kNowTp)), JwtError::kWrongIssuer);
  c.iss.clear();  // absent
  EXPECT_EQ(error_of(v->verify(es256(c), kNowTp)), JwtError::kWrongIssuer);
  EXPECT_EQ(v->counters().rejected(JwtError::kWrongIssuer), 2u);

  JwtOptions o = options();
  o.issuer.clear();  // not checked
  auto unchecked = make(o);
  ASSERT_TRUE(unchecked);
  EXPECT_EQ(subject_of(unchecked->verify(es256(c), kNowTp)), "user-42");
}

TEST_F(JwtTest, WrongAudience) {
  auto v = make(options());
  ASSERT_TRUE(v);
  TestClaims c = good_claims();
  c.aud = "other";
  EXPECT_EQ(error_of(v->verify(es256(c), kNowTp)), JwtError::kWrongAudience);
  c.aud.clear();  // absent
  EXPECT_EQ(error_of(v->verify(es256(c), kNowTp)), JwtError::kWrongAudience);
  c.aud_list = {"a", "b"};
  EXPECT_EQ(error_of(v->verify(es256(c), kNowTp)), JwtError::kWrongAudience);
  c.aud_list = {"a", std::string(kAudience)};
  EXPECT_EQ(subject_of(v->verify(es256(c), kNowTp)), "user-42");
  c.aud_list.clear();
  c.aud = "edgetrace-not";  // exact match only
  EXPECT_EQ(error_of(v->verify(es256(c), kNowTp)), JwtError::kWrongAudience);
}

TEST_F(JwtTest, WrongKey) {
  auto v = make(options());
  ASSERT_TRUE(v);
  // Same kid, different key pair.
  EXPECT_EQ(error_of(v->verify(es256(good_claims(), *ec_other_), kNowTp)), JwtError::kBadSignature);
  EXPECT_EQ(
      error_of(v->verify(testing::sign_rs256({"RS256", "rsa-1"}, good_claims().json(), *rsa_other_),
                         kNowTp)),
      JwtError::kBadSignature);
  EXPECT_EQ(error_of(v->verify(testing::sign_hs256({"HS256"}, good_claims().json(),
                                                   "another-secret-another-secret-!!"),
                               kNowTp)),
            JwtError::kBadSignature);
  // No kid: every EC key tried, none verifies.
  EXPECT_EQ(
      error_of(v->verify(testing::sign_es256({"ES256"}, good_claims().json(), *ec_other_), kNowTp)),
      JwtError::kBadSignature);
  EXPECT_EQ(v->counters().rejected(JwtError::kBadSignature), 4u);
}

TEST_F(JwtTest, UnknownKid) {
  auto v = make(options());
  ASSERT_TRUE(v);
  EXPECT_EQ(error_of(v->verify(es256(good_claims(), *ec2_, "ec-2"), kNowTp)),
            JwtError::kUnknownKid);
  // A kid naming a key of the other type is not a key for this algorithm either.
  EXPECT_EQ(error_of(v->verify(es256(good_claims(), *ec_, "rsa-1"), kNowTp)),
            JwtError::kUnknownKid);
  EXPECT_EQ(v->counters().rejected(JwtError::kUnknownKid), 2u);
}

TEST_F(JwtTest, TamperedPayload) {
  auto v = make(options());
  ASSERT_TRUE(v);
  for (const std::string& token :
       {es256(good_claims()), testing::sign_rs256({"RS256", "rsa-1"}, good_claims().json(), *rsa_),
        testing::sign_hs256({"HS256"}, good_claims().json(), kSecret)}) {
    TestClaims admin = good_claims();
    admin.sub = "admin";
    const std::size_t dot1 = token.find('.');
    const std::size_t dot2 = token.find('.', dot1 + 1);
    std::string tampered =
        token.substr(0, dot1 + 1) + testing::base64url(admin.json()) + token.substr(dot2);
    EXPECT_EQ(error_of(v->verify(tampered, kNowTp)), JwtError::kBadSignature);
    // A changed header (same alg and kid, another typ) breaks the signature too.
    std::string header = token.substr(0, dot1);
    std::string retyped = testing::base64url(R"({"alg":"ES256","kid":"ec-1","typ":"at+jwt"})");
    if (token.find(testing::base64url(R"({"alg":"ES256","kid":"ec-1","typ":"JWT"})")) == 0) {
      EXPECT_EQ(error_of(v->verify(retyped + token.substr(dot1), kNowTp)), JwtError::kBadSignature);
    }
    // The untouched token passes (so the rejections above are the tampering's).
    EXPECT_EQ(subject_of(v->verify(token, kNowTp)), "user-42");
  }
}

TEST_F(JwtTest, AlgNone) {
  auto v = make(options());
  ASSERT_TRUE(v);
  const std::string claims = good_claims().json();
  EXPECT_EQ(error_of(v->verify(testing::unsigned_token({"none"}, claims), kNowTp)),
            JwtError::kAlgNone);
  EXPECT_EQ(error_of(v->verify(testing::unsigned_token({"NoNe"}, claims), kNowTp)),
            JwtError::kAlgNone);
  // With a signature part or without the final dot: still alg none.
  std::string with_sig =
      testing::unsigned_token({"none", "ec-1"}, claims) + testing::base64url("signature");
  EXPECT_EQ(error_of(v->verify(with_sig, kNowTp)), JwtError::kAlgNone);
  std::string two_parts = testing::signing_input({"none"}, claims);
  EXPECT_EQ(error_of(v->verify(two_parts, kNowTp)), JwtError::kAlgNone);
  EXPECT_EQ(v->counters().rejected(JwtError::kAlgNone), 4u);
  EXPECT_EQ(v->counters().verified.load(), 0u);
}

TEST_F(JwtTest, AlgorithmConfusion) {
  // The classic attack: the server's RSA public key (PEM text, which is public) used as an
  // HS256 secret. With no HS256 secret configured, HS256 is not an accepted algorithm.
  JwtOptions o = options();
  o.hs256_secret.clear();
  o.jwks_file.clear();
  o.public_key_file = pem_path_;
  auto v = make(o);
  ASSERT_TRUE(v);
  const std::string claims = good_claims().json();
  for (const std::string& secret : {rsa_->public_pem, std::string(rsa_->public_jwk)}) {
    EXPECT_EQ(error_of(v->verify(testing::sign_hs256({"HS256"}, claims, secret), kNowTp)),
              JwtError::kUnsupportedAlgorithm);
  }
  // With an HS256 secret configured as well, the RSA key is still never an HMAC key.
  o.hs256_secret = std::string(kSecret);
  auto both = make(o);
  ASSERT_TRUE(both);
  EXPECT_EQ(
      error_of(both->verify(testing::sign_hs256({"HS256"}, claims, rsa_->public_pem), kNowTp)),
      JwtError::kBadSignature);
  // An RS256 signature presented as ES256 (and the reverse) is not accepted.
  std::string rs = testing::sign_rs256({"RS256", "rsa-1"}, claims, *rsa_);
  std::string relabelled =
      testing::base64url(R"({"alg":"ES256","kid":"ec-1"})") + rs.substr(rs.find('.'));
  auto jwks = make(options());
  ASSERT_TRUE(jwks);
  EXPECT_EQ(error_of(jwks->verify(relabelled, kNowTp)), JwtError::kBadSignature);
  // An HS256 token whose secret is an EC key's JWK, against a JWKS-only verifier.
  JwtOptions jwks_only = options();
  jwks_only.hs256_secret.clear();
  auto j = make(jwks_only);
  ASSERT_TRUE(j);
  EXPECT_EQ(
      error_of(j->verify(testing::sign_hs256({"HS256", "ec-1"}, claims, ec_->public_jwk), kNowTp)),
      JwtError::kUnsupportedAlgorithm);
}

TEST_F(JwtTest, UnsupportedAlgorithms) {
  auto v = make(options());
  ASSERT_TRUE(v);
  const std::string claims = good_claims().json();
  for (std::string alg :
       {"HS384", "HS512", "RS384", "PS256", "ES384", "ES512", "EdDSA", "hs256", "RSA-OAEP", ""}) {
    // Signed with the HS256 secret: only the alg label differs.
    std::string token = testing::sign_hs256({alg}, claims, kSecret);
    JwtError expected = alg.empty() ? JwtError::kMalformed : JwtError::kUnsupportedAlgorithm;
    EXPECT_EQ(error_of(v->verify(token, kNowTp)), expected) << alg;
  }
  // A JWK whose alg names another algorithm is not used.
  std::string jwk = ec_->public_jwk;
  jwk.replace(jwk.find("\"ES256\""), 7, "\"ES384\"");
  write_file(jwks_path_, R"({"keys":[)" + rsa_->public_jwk + "," + jwk + "]}");
  auto relabelled = make(options());
  ASSERT_TRUE(relabelled);
  EXPECT_EQ(error_of(relabelled->verify(es256(good_claims()), kNowTp)),
            JwtError::kUnsupportedAlgorithm);
}

TEST_F(JwtTest, OversizedToken) {
  JwtOptions o = options();
  o.max_token_bytes = 1024;
  auto v = make(o);
  ASSERT_TRUE(v);
  TestClaims c = good_claims();
  c.extra = R"("pad":")" + std::string(2000, 'x') + "\"";
  std::string big = es256(c);
  ASSERT_GT(big.size(), 1024u);
  EXPECT_EQ(error_of(v->verify(big, kNowTp)), JwtError::kTooLarge);
  // Even garbage is refused on size alone, before any decoding.
  EXPECT_EQ(error_of(v->verify(std::string(1025, '.'), kNowTp)), JwtError::kTooLarge);
  EXPECT_EQ(v->counters().rejected(JwtError::kTooLarge), 2u);
  // The default limit is 8 KiB.
  auto dflt = make(options());
  ASSERT_TRUE(dflt);
  c.extra = R"("pad":")" + std::string(9000, 'x') + "\"";
  EXPECT_EQ(error_of(dflt->verify(es256(c), kNowTp)), JwtError::kTooLarge);
}

TEST_F(JwtTest, MissingAndMalformed) {
  auto v = make(options());
  ASSERT_TRUE(v);
  EXPECT_EQ(error_of(v->verify("", kNowTp)), JwtError::kMissing);
  const std::string good = es256(good_claims());
  const std::size_t dot1 = good.find('.');
  const std::size_t dot2 = good.find('.', dot1 + 1);
  std::vector<std::string> bad = {
      "abc",
      "...",
      good.substr(0, dot2),                                    // two parts
      good + ".x.y",                                           // five parts (JWE shape)
      good + "=",                                              // padding
      good.substr(0, dot1) + "=" + good.substr(dot1),          // padding in the header
      "*" + good,                                              // invalid character
      good.substr(0, dot2 + 1) + "+" + good.substr(dot2 + 2),  // base64 (not url) character
      testing::base64url("not json") + good.substr(dot1),
      testing::base64url("[1,2]") + good.substr(dot1),
      testing::base64url(R"({"kid":"ec-1"})") + good.substr(dot1),                // no alg
      testing::base64url(R"({"alg":"ES256","alg":"none"})") + good.substr(dot1),  // duplicate
      testing::base64url(R"({"alg":7})") + good.substr(dot1),
      testing::base64url(R"({"alg":"ES256","kid":1})") + good.substr(dot1),
      testing::base64url(R"({"alg":"ES256","crit":["exp"]})") + good.substr(dot1),
  };
  // A non-canonical last character (unused low bits set) in the signature.
  std::string noncanonical = good;
  // 64 bytes end in one byte: the last character carries 2 bits and 4 zero bits ('A', 'Q',
  // 'g' or 'w'); 'B' sets one of the unused bits.
  noncanonical.back() = 'B';
  bad.push_back(noncanonical);
  for (const std::string& token : bad)
    EXPECT_EQ(error_of(v->verify(token, kNowTp)), JwtError::kMalformed) << token.substr(0, 40);
  EXPECT_EQ(v->counters().rejected(JwtError::kMalformed), bad.size());
  EXPECT_EQ(v->counters().rejected(JwtError::kMissing), 1u);
}

TEST_F(JwtTest, MalformedClaimsWithAValidSignature) {
  auto v = make(options());
  ASSERT_TRUE(v);
  for (std::string claims :
       {std::string("not json"), std::string("[]"), std::string(R"({"sub":"a","exp":"soon"})"),
        std::string(R"({"sub":"a","exp":1,"exp":2})"), std::string(R"({"sub":"a","aud":7})"),
        std::string(R"({"sub":"a","aud":["edgetrace",7]})"),
        std::string(R"({"sub":"a","iss":["x"]})")}) {
    std::string token = testing::sign_es256({"ES256", "ec-1"}, claims, *ec_);
    EXPECT_EQ(error_of(v->verify(token, kNowTp)), JwtError::kMalformed) << claims;
  }
}

TEST_F(JwtTest, NoSubjectAndCustomSubjectClaim) {
  auto v = make(options());
  ASSERT_TRUE(v);
  TestClaims c = good_claims();
  c.sub.clear();
  EXPECT_EQ(error_of(v->verify(es256(c), kNowTp)), JwtError::kNoSubject);
  c.extra = R"("sub":17)";
  EXPECT_EQ(error_of(v->verify(es256(c), kNowTp)), JwtError::kNoSubject);
  c.extra = R"("client_id":"app-7")";
  EXPECT_EQ(error_of(v->verify(es256(c), kNowTp)), JwtError::kNoSubject);

  JwtOptions o = options();
  o.subject_claim = "client_id";
  auto custom = make(o);
  ASSERT_TRUE(custom);
  EXPECT_EQ(subject_of(custom->verify(es256(c), kNowTp)), "app-7");
}

TEST_F(JwtTest, TokenWithoutExpIsAcceptedWithMaxExpiry) {
  auto v = make(options());
  ASSERT_TRUE(v);
  TestClaims c = good_claims();
  c.exp.reset();
  auto r = v->verify(es256(c), kNowTp);
  ASSERT_TRUE(std::holds_alternative<VerifiedToken>(r));
  EXPECT_EQ(std::get<VerifiedToken>(r).expires, Clock::time_point::max());
}

TEST_F(JwtTest, CacheServesRepeatsAndHonoursExpiry) {
  auto v = make(options());
  ASSERT_TRUE(v);
  TestClaims c = good_claims();
  c.exp = kNow + 100;
  const std::string token = es256(c);
  EXPECT_EQ(subject_of(v->verify(token, kNowTp)), "user-42");
  EXPECT_EQ(v->counters().cache_hits.load(), 0u);
  EXPECT_EQ(v->cache_size(), 1u);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(subject_of(v->verify(token, kNowTp + 10s)), "user-42");
  EXPECT_EQ(v->counters().cache_hits.load(), 5u);
  EXPECT_EQ(v->counters().verified.load(), 6u);
  // Still within the skew after exp, then expired from the cache.
  EXPECT_EQ(subject_of(v->verify(token, kNowTp + 129s)), "user-42");
  EXPECT_EQ(v->counters().cache_hits.load(), 6u);
  EXPECT_EQ(error_of(v->verify(token, kNowTp + 130s)), JwtError::kExpired);
  EXPECT_EQ(v->counters().rejected(JwtError::kExpired), 1u);
  // A rejected token is not cached: the same bad token is checked (and counted) each time.
  std::string bad = es256(good_claims(), *ec_other_);
  EXPECT_EQ(error_of(v->verify(bad, kNowTp)), JwtError::kBadSignature);
  EXPECT_EQ(error_of(v->verify(bad, kNowTp)), JwtError::kBadSignature);
  EXPECT_EQ(v->counters().rejected(JwtError::kBadSignature), 2u);
}

TEST_F(JwtTest, TokenWithAHugeSubjectIsNotCached) {
  auto v = make(options());
  ASSERT_TRUE(v);
  TestClaims c = good_claims();
  c.sub = std::string(2000, 's');
  const std::string token = es256(c);
  EXPECT_EQ(subject_of(v->verify(token, kNowTp)), c.sub);
  EXPECT_EQ(subject_of(v->verify(token, kNowTp)), c.sub);
  EXPECT_EQ(v->counters().cache_hits.load(), 0u);
  EXPECT_EQ(v->cache_size(), 0u);
}

TEST_F(JwtTest, CacheIsBounded) {
  JwtOptions o = options();
  o.cache_entries = 32;
  auto v = make(o);
  ASSERT_TRUE(v);
  for (int i = 0; i < 200; ++i) {
    TestClaims c = good_claims();
    c.sub = "user-" + std::to_string(i);
    EXPECT_EQ(subject_of(v->verify(testing::sign_hs256({"HS256"}, c.json(), kSecret), kNowTp)),
              c.sub);
  }
  EXPECT_LE(v->cache_size(), 32u);
  EXPECT_GT(v->cache_size(), 0u);

  o.cache_entries = 0;  // no cache
  auto uncached = make(o);
  ASSERT_TRUE(uncached);
  std::string token = es256(good_claims());
  EXPECT_EQ(subject_of(uncached->verify(token, kNowTp)), "user-42");
  EXPECT_EQ(subject_of(uncached->verify(token, kNowTp)), "user-42");
  EXPECT_EQ(uncached->counters().cache_hits.load(), 0u);
  EXPECT_EQ(uncached->cache_size(), 0u);
}

TEST_F(JwtTest, JwksReloadedForAnUnknownKidWhenTheFileChanged) {
  auto v = make(options());
  ASSERT_TRUE(v);
  const std::string token2 = es256(good_claims(), *ec2_, "ec-2");
  EXPECT_EQ(error_of(v->verify(token2, kNowTp)), JwtError::kUnknownKid);
  EXPECT_EQ(v->counters().jwks_reloads.load(), 0u);

  write_file(jwks_path_, testing::jwks_json({rsa_, ec_, ec2_}));
  touch_later(jwks_path_, 5s);
  // Same `now`: the once-a-second look has not come round, the unknown kid triggers it.
  EXPECT_EQ(subject_of(v->verify(token2, kNowTp)), "user-42");
  EXPECT_EQ(v->counters().jwks_reload_failures.load(), 0u);
  EXPECT_EQ(v->counters().jwks_reloads.load(), 1u);
  // Unchanged file: an unknown kid does not reload again.
  EXPECT_EQ(error_of(v->verify(es256(good_claims(), *ec2_, "ec-3"), kNowTp)),
            JwtError::kUnknownKid);
  EXPECT_EQ(v->counters().jwks_reloads.load(), 1u);
}

TEST_F(JwtTest, JwksReloadDropsRemovedKeysAndEmptiesTheCache) {
  auto v = make(options());
  ASSERT_TRUE(v);
  const std::string token1 = es256(good_claims());
  EXPECT_EQ(subject_of(v->verify(token1, kNowTp)), "user-42");
  EXPECT_EQ(subject_of(v->verify(token1, kNowTp)), "user-42");
  EXPECT_EQ(v->counters().cache_hits.load(), 1u);

  // ec-1 revoked.
  write_file(jwks_path_, testing::jwks_json({rsa_, ec2_}));
  touch_later(jwks_path_, 5s);
  // Within the same second the file is not looked at: the cached token still passes.
  EXPECT_EQ(subject_of(v->verify(token1, kNowTp)), "user-42");
  // A second later the change is seen; the cache no longer vouches for the token.
  EXPECT_EQ(error_of(v->verify(token1, kNowTp + 2s)), JwtError::kUnknownKid);
  EXPECT_EQ(v->counters().jwks_reloads.load(), 1u);
  EXPECT_EQ(v->cache_size(), 0u);
  EXPECT_EQ(subject_of(v->verify(es256(good_claims(), *ec2_, "ec-2"), kNowTp + 2s)), "user-42");
}

TEST_F(JwtTest, JwksReloadFailureKeepsTheKeys) {
  auto v = make(options());
  ASSERT_TRUE(v);
  write_file(jwks_path_, R"({"keys":[{"kty":"EC","crv":"P-256","x":"!!"}])");
  touch_later(jwks_path_, 5s);
  const std::string token = es256(good_claims());
  EXPECT_EQ(subject_of(v->verify(token, kNowTp + 2s)), "user-42");
  EXPECT_EQ(v->counters().jwks_reload_failures.load(), 1u);
  EXPECT_EQ(v->counters().jwks_reloads.load(), 0u);
  // Not retried until the file changes again.
  EXPECT_EQ(error_of(v->verify(es256(good_claims(), *ec2_, "ec-2"), kNowTp + 4s)),
            JwtError::kUnknownKid);
  EXPECT_EQ(v->counters().jwks_reload_failures.load(), 1u);
  // Deleted: keys kept too.
  std::filesystem::remove(jwks_path_);
  EXPECT_EQ(subject_of(v->verify(es256(good_claims(), *ec_, ""), kNowTp + 6s)), "user-42");
  EXPECT_EQ(v->counters().jwks_reload_failures.load(), 2u);
}

TEST_F(JwtTest, CreateErrorsNameTheFileButNoKeyMaterial) {
  const std::string secret_marker = "TOPSECRETKEYMATERIAL";
  struct Case {
    std::string name;
    std::function<void(JwtOptions&)> setup;
    std::string expect_in_message;
  };
  std::vector<Case> cases = {
      {"no keys",
       [](JwtOptions& o) {
         o.hs256_secret.clear();
         o.jwks_file.clear();
       },
       "no key configured"},
      {"short secret", [](JwtOptions& o) { o.hs256_secret = "TOPSECRETKEYMATERIAL"; },
       "shorter than 32 bytes"},
      {"missing pem", [this](JwtOptions& o) { o.public_key_file = dir_.file("missing.pem"); },
       "missing.pem"},
      {"garbage pem",
       [&](JwtOptions& o) {
         write_file(dir_.file("bad.pem"), "-----BEGIN PUBLIC KEY-----\n" + secret_marker +
                                              "\n-----END PUBLIC KEY-----\n");
         o.public_key_file = dir_.file("bad.pem");
       },
       "bad.pem"},
      {"private key as public key file",
       [&](JwtOptions& o) {
         write_file(dir_.file("private.pem"), ec_->private_pem);
         o.public_key_file = dir_.file("private.pem");
       },
       "private.pem"},
      {"jwks not json", [&](JwtOptions&) { write_file(jwks_path_, "{" + secret_marker); },
       "jwks.json"},
      {"jwks without keys", [&](JwtOptions&) { write_file(jwks_path_, R"({"keys":[]})"); },
       "no RSA or EC P-256"},
      {"jwks bad rsa key",
       [&](JwtOptions&) {
         write_file(jwks_path_,
                    R"({"keys":[{"kty":"RSA","n":")" + secret_marker + R"(=","e":"AQAB"}]})");
       },
       "key 0"},
      {"jwks with only a symmetric key",
       [&](JwtOptions&) {
         write_file(jwks_path_, R"({"keys":[{"kty":"oct","k":")" + secret_marker + R"("}]})");
       },
       "no RSA or EC P-256"},
      {"jwks ec point not on the curve",
       [&](JwtOptions&) {
         std::string jwk = ec_->public_jwk;
         std::size_t y = jwk.find("\"y\":\"") + 5;
         jwk[y] = jwk[y] == 'A' ? 'B' : 'A';
         write_file(jwks_path_, R"({"keys":[)" + jwk + "]}");
       },
       "key 0"},
  };
  for (Case& c : cases) {
    SetUp();  // fresh files
    JwtOptions o = options();
    c.setup(o);
    auto v = JwtVerifier::create(o);
    ASSERT_FALSE(v.ok()) << c.name;
    const std::string message = v.status().to_string();
    EXPECT_NE(message.find(c.expect_in_message), std::string::npos) << c.name << ": " << message;
    EXPECT_EQ(message.find(secret_marker), std::string::npos) << c.name << ": " << message;
    EXPECT_EQ(message.find("-----BEGIN"), std::string::npos) << c.name << ": " << message;
    EXPECT_EQ(message.find(kSecret), std::string::npos) << c.name << ": " << message;
  }
}

TEST_F(JwtTest, ConcurrentVerifyOfTheSameAndDistinctTokens) {
  auto v = make(options());
  ASSERT_TRUE(v);
  const std::string shared = es256(good_claims());
  std::vector<std::string> own;
  for (int t = 0; t < 4; ++t) {
    TestClaims c = good_claims();
    c.sub = "thread-" + std::to_string(t);
    own.push_back(testing::sign_hs256({"HS256"}, c.json(), kSecret));
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto a = v->verify(shared, kNowTp);
        auto b = v->verify(own[static_cast<std::size_t>(t)], kNowTp);
        if (!std::holds_alternative<VerifiedToken>(a) ||
            std::get<VerifiedToken>(a).subject != "user-42" ||
            !std::holds_alternative<VerifiedToken>(b) ||
            std::get<VerifiedToken>(b).subject != "thread-" + std::to_string(t))
          failures.fetch_add(1);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(v->counters().verified.load(), 1600u);
  EXPECT_GE(v->counters().cache_hits.load(), 1600u - 8u * 4u);
}

}  // namespace
}  // namespace edgetrace::daemon
