// The proxy's JWT verification cost: a cached token (SHA-256 of the token + one sharded map
// lookup) against full ES256, RS256 and HS256 checks, and the rate limiter's take().
//   build/h/bench/jwt_bench --benchmark_min_time=0.2
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "proxy/jwt.hpp"
#include "proxy/jwt_testing.hpp"
#include "proxy/token_bucket.hpp"

namespace {

using namespace edgetrace::daemon;
using Clock = std::chrono::system_clock;

constexpr std::string_view kSecret = "bench-secret-bench-secret-bench-secret";
const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1'800'000'000));

struct Keys {
  testing::TestKey ec = testing::TestKey::generate_ec("ec-1");
  testing::TestKey rsa = testing::TestKey::generate_rsa("rsa-1");
  std::string jwks_path = "/tmp/edgetrace-jwt-bench-" + std::to_string(::getpid()) + ".json";
  Keys() {
    std::ofstream out(jwks_path, std::ios::trunc);
    out << testing::jwks_json({&ec, &rsa});
  }
  ~Keys() { std::remove(jwks_path.c_str()); }

  std::string claims() const {
    testing::TestClaims c;
    c.sub = "user-1234567890";
    c.iss = "https://auth.example.com/";
    c.aud = "edgetrace";
    c.exp = 1'800'000'000 + 3600;
    c.iat = 1'800'000'000;
    return c.json();
  }

  std::unique_ptr<JwtVerifier> verifier(std::size_t cache_entries) const {
    JwtOptions o;
    o.hs256_secret = std::string(kSecret);
    o.jwks_file = jwks_path;
    o.issuer = "https://auth.example.com/";
    o.audience = "edgetrace";
    o.cache_entries = cache_entries;
    auto v = JwtVerifier::create(o);
    if (!v)
      std::abort();
    return std::move(v.value());
  }
};

Keys& keys() {
  static Keys k;
  return k;
}

void run(benchmark::State& state, JwtVerifier& v, const std::string& token) {
  for (auto _ : state) {
    auto r = v.verify(token, kNow);
    if (!std::holds_alternative<VerifiedToken>(r)) {
      state.SkipWithError("token rejected");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
}

void BM_VerifyCachedEs256(benchmark::State& state) {
  static std::unique_ptr<JwtVerifier> v = keys().verifier(65536);
  static const std::string token =
      testing::sign_es256({"ES256", "ec-1"}, keys().claims(), keys().ec);
  run(state, *v, token);
}
BENCHMARK(BM_VerifyCachedEs256)->Threads(1)->Threads(2);

void BM_VerifyUncachedEs256(benchmark::State& state) {
  auto v = keys().verifier(0);
  run(state, *v, testing::sign_es256({"ES256", "ec-1"}, keys().claims(), keys().ec));
}
BENCHMARK(BM_VerifyUncachedEs256);

void BM_VerifyUncachedRs256(benchmark::State& state) {
  auto v = keys().verifier(0);
  run(state, *v, testing::sign_rs256({"RS256", "rsa-1"}, keys().claims(), keys().rsa));
}
BENCHMARK(BM_VerifyUncachedRs256);

void BM_VerifyUncachedHs256(benchmark::State& state) {
  auto v = keys().verifier(0);
  run(state, *v, testing::sign_hs256({"HS256"}, keys().claims(), kSecret));
}
BENCHMARK(BM_VerifyUncachedHs256);

void BM_VerifyCachedHs256(benchmark::State& state) {
  auto v = keys().verifier(65536);
  run(state, *v, testing::sign_hs256({"HS256"}, keys().claims(), kSecret));
}
BENCHMARK(BM_VerifyCachedHs256);

// A rejected token (bad signature) costs a full check each time: rate limiting by address
// happens before, for that reason.
void BM_RejectBadSignatureEs256(benchmark::State& state) {
  auto v = keys().verifier(65536);
  std::string token = testing::sign_es256({"ES256", "ec-1"}, keys().claims(), keys().ec);
  token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';
  for (auto _ : state)
    benchmark::DoNotOptimize(v->verify(token, kNow));
}
BENCHMARK(BM_RejectBadSignatureEs256);

void BM_RateLimiterTake(benchmark::State& state) {
  static RateLimiter limiter({.per_second = 1e9, .burst = 1e9});
  const std::string key = "10.1.2." + std::to_string(state.thread_index());
  const auto now = std::chrono::steady_clock::now();
  for (auto _ : state)
    benchmark::DoNotOptimize(limiter.take(key, now));
}
BENCHMARK(BM_RateLimiterTake)->Threads(1)->Threads(2);

}  // namespace

BENCHMARK_MAIN();
