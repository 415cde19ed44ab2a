// Token buckets with a controlled clock: burst, sustained rate, Retry-After rounding, keys,
// eviction bounds and exact totals under concurrent use.
#include "proxy/token_bucket.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace edgetrace::daemon {
namespace {

using namespace std::chrono_literals;

const RateClock::time_point kT0 = RateClock::time_point(1000s);

TEST(TokenBucketTest, BurstThenSustainedRate) {
  TokenBucket bucket({.per_second = 2, .burst = 5}, kT0);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(bucket.take(kT0), 0s) << i;
  EXPECT_EQ(bucket.take(kT0), 1s);  // 0.5 s to the next token, rounded up
  // Refused requests take nothing: half a second later there is exactly one token.
  EXPECT_EQ(bucket.take(kT0 + 500ms), 0s);
  EXPECT_EQ(bucket.take(kT0 + 500ms), 1s);
  // Two seconds refill four tokens.
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(bucket.take(kT0 + 2500ms), 0s) << i;
  EXPECT_EQ(bucket.take(kT0 + 2500ms), 1s);
  // A long pause refills to the burst, not beyond.
  const auto later = kT0 + 1h;
  EXPECT_TRUE(bucket.full(later));
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(bucket.take(later), 0s) << i;
  EXPECT_EQ(bucket.take(later), 1s);
}

TEST(TokenBucketTest, RetryAfterIsRoundedUpAndAtLeastOneSecond) {
  TokenBucket slow({.per_second = 0.25, .burst = 1}, kT0);
  EXPECT_EQ(slow.take(kT0), 0s);
  EXPECT_EQ(slow.take(kT0), 4s);
  EXPECT_EQ(slow.take(kT0 + 1s), 3s);
  EXPECT_EQ(slow.take(kT0 + 3500ms), 1s);  // 0.5 s left, rounded up
  EXPECT_EQ(slow.take(kT0 + 4s), 0s);

  TokenBucket fast({.per_second = 1000, .burst = 1}, kT0);
  EXPECT_EQ(fast.take(kT0), 0s);
  EXPECT_EQ(fast.take(kT0), 1s);  // 1 ms, but Retry-After is whole seconds
  EXPECT_EQ(fast.take(kT0 + 1ms), 0s);

  TokenBucket glacial({.per_second = 1e-9, .burst = 1}, kT0);
  EXPECT_EQ(glacial.take(kT0), 0s);
  EXPECT_EQ(glacial.take(kT0), 86400s);  // capped at a day
}

TEST(TokenBucketTest, DefaultBurstAndUnlimited) {
  TokenBucket b({.per_second = 3, .burst = 0}, kT0);  // burst defaults to the rate
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(b.take(kT0), 0s);
  EXPECT_EQ(b.take(kT0), 1s);
  TokenBucket tiny({.per_second = 0.1, .burst = 0}, kT0);  // at least one token
  EXPECT_EQ(tiny.take(kT0), 0s);
  EXPECT_EQ(tiny.take(kT0), 10s);
  TokenBucket unlimited({.per_second = 0, .burst = 0}, kT0);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(unlimited.take(kT0), 0s);
  EXPECT_TRUE(TokenBucket::unlimited({.per_second = 0, .burst = 5}));
}

TEST(TokenBucketTest, ClockGoingBackwardsAddsNothing) {
  TokenBucket b({.per_second = 1, .burst = 1}, kT0);
  EXPECT_EQ(b.take(kT0 + 10s), 0s);
  EXPECT_EQ(b.take(kT0), 1s);
  EXPECT_EQ(b.take(kT0 + 10s), 1s);
  EXPECT_EQ(b.take(kT0 + 11s), 0s);
}

TEST(RateLimiterTest, KeysHaveTheirOwnBuckets) {
  RateLimiter limiter({.per_second = 1, .burst = 2});
  EXPECT_EQ(limiter.take("10.0.0.1", kT0), 0s);
  EXPECT_EQ(limiter.take("10.0.0.1", kT0), 0s);
  EXPECT_EQ(limiter.take("10.0.0.1", kT0), 1s);
  EXPECT_EQ(limiter.take("10.0.0.2", kT0), 0s);
  EXPECT_EQ(limiter.take("10.0.0.2", kT0), 0s);
  EXPECT_EQ(limiter.take("10.0.0.2", kT0), 1s);
  EXPECT_EQ(limiter.take("10.0.0.1", kT0 + 1s), 0s);
  EXPECT_EQ(limiter.take("10.0.0.1", kT0 + 1s), 1s);
  EXPECT_EQ(limiter.size(), 2u);
  EXPECT_EQ(limiter.counters().allowed.load(), 5u);
  EXPECT_EQ(limiter.counters().limited.load(), 3u);
}

TEST(RateLimiterTest, UnlimitedStoresNothing) {
  RateLimiter limiter({.per_second = 0, .burst = 0});
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(limiter.take("k" + std::to_string(i), kT0), 0s);
  EXPECT_EQ(limiter.size(), 0u);
  EXPECT_EQ(limiter.counters().allowed.load(), 100u);
}

TEST(RateLimiterTest, BoundedNumberOfKeys) {
  RateLimiter limiter({.per_second = 1, .burst = 2}, /*max_keys=*/32);  // 2 per shard
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(limiter.take("key-" + std::to_string(i), kT0), 0s);
  EXPECT_LE(limiter.size(), 32u);
  EXPECT_GE(limiter.counters().evicted.load(), 1000u - 32u);
  // Each evicted bucket had a token taken and no time to refill: all were active.
  EXPECT_EQ(limiter.counters().evicted_active.load(), limiter.counters().evicted.load());
  // An hour later the 32 buckets held have refilled: dropping them is not counted as active,
  // every later victim (a new key drained at kT0 + 1h) is.
  const std::uint64_t evicted = limiter.counters().evicted.load();
  const std::uint64_t active = limiter.counters().evicted_active.load();
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(limiter.take("new-" + std::to_string(i), kT0 + 1h), 0s);
  EXPECT_EQ(limiter.size(), 32u);
  EXPECT_EQ(limiter.counters().evicted.load() - evicted, 1000u);
  EXPECT_EQ(limiter.counters().evicted_active.load() - active, 1000u - 32u);
}

TEST(RateLimiterTest, EvictedKeyComesBackWithAFullBucket) {
  // One bucket per shard: a drained key is dropped when another key of its shard arrives.
  RateLimiter limiter({.per_second = 1, .burst = 1}, /*max_keys=*/16);
  EXPECT_EQ(limiter.take("a", kT0), 0s);
  EXPECT_EQ(limiter.take("a", kT0), 1s);
  for (int i = 0; i < 200; ++i)
    limiter.take("other-" + std::to_string(i), kT0).count();
  EXPECT_LE(limiter.size(), 16u);
  // "a" shared its shard with some of the 200 keys, so it was dropped: fresh bucket again.
  EXPECT_EQ(limiter.take("a", kT0), 0s);
}

TEST(RateLimiterTest, ExactTotalsUnderConcurrency) {
  // With time standing still, exactly `burst` requests pass however the threads interleave.
  RateLimiter limiter({.per_second = 1, .burst = 100});
  SharedTokenBucket global({.per_second = 1, .burst = 250}, kT0);
  std::atomic<int> key_allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (limiter.take("shared", kT0).count() == 0)
          key_allowed.fetch_add(1);
        limiter.take("own-" + std::to_string(t), kT0).count();
        global.take(kT0).count();
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(key_allowed.load(), 100);
  EXPECT_EQ(limiter.counters().allowed.load(), 100u + 4u * 100u);
  EXPECT_EQ(limiter.counters().limited.load(), 4u * 1000u - 500u);
  EXPECT_EQ(global.allowed(), 250u);
  EXPECT_EQ(global.limited(), 2000u - 250u);
}

TEST(SharedTokenBucketTest, GlobalLimit) {
  SharedTokenBucket global({.per_second = 10, .burst = 10}, kT0);
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(global.take(kT0), 0s);
  EXPECT_EQ(global.take(kT0), 1s);
  EXPECT_EQ(global.take(kT0 + 100ms), 0s);
  SharedTokenBucket unlimited({.per_second = 0, .burst = 0});
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(unlimited.take(kT0), 0s);
  EXPECT_EQ(unlimited.allowed(), 100u);
}

TEST(ProxyRateLimitsTest, AddressThenGlobalBeforeAuthSubjectAfter) {
  ProxyRateLimits::Options o;
  o.per_address = {.per_second = 1, .burst = 2};
  o.global = {.per_second = 1, .burst = 3};
  o.per_subject = {.per_second = 0.5, .burst = 1};
  ProxyRateLimits limits(o, kT0);
  EXPECT_TRUE(limits.before_auth("10.0.0.1", kT0).allowed());
  EXPECT_TRUE(limits.before_auth("10.0.0.1", kT0).allowed());
  auto d = limits.before_auth("10.0.0.1", kT0);
  EXPECT_FALSE(d.allowed());
  EXPECT_EQ(d.limit, "address");
  EXPECT_EQ(d.retry_after, 1s);
  EXPECT_TRUE(limits.before_auth("10.0.0.2", kT0).allowed());  // global: 3 of 3
  d = limits.before_auth("10.0.0.3", kT0);
  EXPECT_EQ(d.limit, "global");
  EXPECT_EQ(d.retry_after, 1s);

  EXPECT_TRUE(limits.after_auth("user-1", kT0).allowed());
  d = limits.after_auth("user-1", kT0);
  EXPECT_EQ(d.limit, "subject");
  EXPECT_EQ(d.retry_after, 2s);
  EXPECT_TRUE(limits.after_auth("user-2", kT0).allowed());
  EXPECT_TRUE(limits.after_auth("user-1", kT0 + 2s).allowed());

  EXPECT_EQ(limits.per_address().counters().limited.load(), 1u);
  EXPECT_EQ(limits.global().limited(), 1u);
  EXPECT_EQ(limits.per_subject().counters().limited.load(), 1u);
}

TEST(ProxyRateLimitsTest, UnsetLimitsAllowEverything) {
  ProxyRateLimits limits(ProxyRateLimits::Options{});
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(limits.before_auth("10.0.0.1", kT0).allowed());
    EXPECT_TRUE(limits.after_auth("user", kT0).allowed());
  }
  EXPECT_EQ(limits.per_address().size(), 0u);
}

}  // namespace
}  // namespace edgetrace::daemon
