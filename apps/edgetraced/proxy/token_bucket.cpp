// Token buckets for the proxy's rate limits (see token_bucket.hpp).
#include "proxy/token_bucket.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <list>
#include <unordered_map>

namespace edgetrace::daemon {
namespace {

constexpr std::size_t kShards = 16;
// Retry-After beyond a day says nothing more useful (and a tiny rate must not overflow).
constexpr double kMaxWaitSeconds = 86400;

}  // namespace

TokenBucket::TokenBucket(Limit limit, RateClock::time_point now) noexcept
    : rate_(limit.per_second > 0 ? limit.per_second : 0),
      burst_(std::max(1.0, limit.burst > 0 ? limit.burst : limit.per_second)),
      tokens_(burst_),
      updated_(now) {}

double TokenBucket::refilled(RateClock::time_point now) const noexcept {
  if (now <= updated_)
    return tokens_;
  const double elapsed = std::chrono::duration<double>(now - updated_).count();
  return std::min(burst_, tokens_ + elapsed * rate_);
}

double TokenBucket::tokens(RateClock::time_point now) const noexcept {
  return refilled(now);
}

bool TokenBucket::full(RateClock::time_point now) const noexcept {
  return refilled(now) >= burst_;
}

std::chrono::seconds TokenBucket::take(RateClock::time_point now) noexcept {
  tokens_ = refilled(now);
  updated_ = std::max(updated_, now);
  if (rate_ <= 0 || tokens_ >= 1) {
    if (rate_ > 0)
      tokens_ -= 1;
    return std::chrono::seconds(0);
  }
  const double wait = std::min(kMaxWaitSeconds, std::ceil((1 - tokens_) / rate_));
  return std::chrono::seconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(wait)));
}

SharedTokenBucket::SharedTokenBucket(TokenBucket::Limit limit, RateClock::time_point now)
    : unlimited_(TokenBucket::unlimited(limit)), bucket_(limit, now) {}

std::chrono::seconds SharedTokenBucket::take(RateClock::time_point now) {
  if (unlimited_) {
    allowed_.fetch_add(1, std::memory_order_relaxed);
    return std::chrono::seconds(0);
  }
  std::chrono::seconds wait;
  {
    std::lock_guard lock(mutex_);
    wait = bucket_.take(now);
  }
  (wait.count() == 0 ? allowed_ : limited_).fetch_add(1, std::memory_order_relaxed);
  return wait;
}

struct RateLimiter::Shard {
  struct Node {
    std::string key;
    TokenBucket bucket;
  };
  mutable std::mutex mutex;
  std::list<Node> lru;  // most recently used first
  // Keys are views of the nodes' strings (list nodes never move).
  std::unordered_map<std::string_view, std::list<Node>::iterator> map;
};

RateLimiter::RateLimiter(Limit limit, std::size_t max_keys)
    : limit_(limit),
      unlimited_(TokenBucket::unlimited(limit)),
      per_shard_(std::max<std::size_t>(1, (max_keys + kShards - 1) / kShards)),
      shards_(new Shard[kShards]) {}

RateLimiter::~RateLimiter() = default;

RateLimiter::Shard& RateLimiter::shard_of(std::string_view key) const {
  return shards_[std::hash<std::string_view>{}(key) % kShards];
}

std::chrono::seconds RateLimiter::take(std::string_view key, RateClock::time_point now) {
  if (unlimited_) {
    counters_.allowed.fetch_add(1, std::memory_order_relaxed);
    return std::chrono::seconds(0);
  }
  Shard& shard = shard_of(key);
  std::chrono::seconds wait;
  {
    std::lock_guard lock(shard.mutex);
    auto it = shard.map.find(key);
    if (it != shard.map.end()) {
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    } else {
      if (shard.map.size() >= per_shard_) {
        Shard::Node& victim = shard.lru.back();
        if (!victim.bucket.full(now))
          counters_.evicted_active.fetch_add(1, std::memory_order_relaxed);
        counters_.evicted.fetch_add(1, std::memory_order_relaxed);
        shard.map.erase(std::string_view(victim.key));
        shard.lru.pop_back();
      }
      shard.lru.push_front(Shard::Node{std::string(key), TokenBucket(limit_, now)});
      shard.map.emplace(std::string_view(shard.lru.front().key), shard.lru.begin());
    }
    wait = shard.lru.front().bucket.take(now);
  }
  (wait.count() == 0 ? counters_.allowed : counters_.limited)
      .fetch_add(1, std::memory_order_relaxed);
  return wait;
}

std::size_t RateLimiter::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    n += shards_[i].map.size();
  }
  return n;
}

ProxyRateLimits::ProxyRateLimits(const Options& options, RateClock::time_point now)
    : per_address_(options.per_address, options.max_keys),
      per_subject_(options.per_subject, options.max_keys),
      global_(options.global, now) {}

ProxyRateLimits::Decision ProxyRateLimits::before_auth(std::string_view address,
                                                       RateClock::time_point now) {
  if (auto wait = per_address_.take(address, now); wait.count() > 0)
    return {wait, "address"};
  if (auto wait = global_.take(now); wait.count() > 0)
    return {wait, "global"};
  return {};
}

ProxyRateLimits::Decision ProxyRateLimits::after_auth(std::string_view subject,
                                                      RateClock::time_point now) {
  if (auto wait = per_subject_.take(subject, now); wait.count() > 0)
    return {wait, "subject"};
  return {};
}

}  // namespace edgetrace::daemon
