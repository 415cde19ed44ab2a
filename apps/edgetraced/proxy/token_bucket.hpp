// Token-bucket rate limiting for the proxy: one bucket per client address (before
// authentication), one per authenticated subject (after it), and one global bucket.
//
//   RateLimiter per_address({.per_second = 20, .burst = 40}, /*max_keys=*/100000);
//   SharedTokenBucket global({.per_second = 5000, .burst = 10000});
//   auto now = std::chrono::steady_clock::now();
//   if (auto wait = per_address.take(peer_ip, now); wait.count() > 0)
//     return reply_429(wait);                       // "Retry-After: <wait.count()>"
//   if (auto wait = global.take(now); wait.count() > 0) return reply_429(wait);
//
// A bucket holds up to `burst` tokens and gains `per_second` tokens a second; each request
// takes one. A limit with per_second == 0 is unlimited (nothing is stored). A refused
// request takes nothing, so a client that keeps retrying is admitted again at the sustained
// rate. take() returns 0 s when allowed, else the time until a token is there, rounded up
// to whole seconds and at least 1 s (the Retry-After value). Time is the caller's `now`
// (steady_clock); a `now` earlier than a bucket's last update adds nothing.
//
// RateLimiter keeps at most max_keys buckets in 16 shards, each with its own mutex and its
// own LRU order. When a shard is full, its least recently used bucket is dropped; a bucket
// that had refilled to full is the same as a new one, so dropping it changes nothing, and
// dropping a partly drained one (a key idle for longer than the others) is counted in
// evicted_active. Thread-safety: RateLimiter and SharedTokenBucket are safe to call from any
// thread; TokenBucket is a plain value (the caller synchronises). Blocking: short mutexes,
// no I/O. Memory: RateLimiter is bounded by max_keys (each key's bytes + ~100 bytes).
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

namespace edgetrace::daemon {

using RateClock = std::chrono::steady_clock;

class TokenBucket {
 public:
  struct Limit {
    double per_second = 0;  // sustained rate; 0 = unlimited
    double burst = 0;       // bucket size; <= 0 means max(1, per_second)
  };

  // A full bucket.
  TokenBucket(Limit limit, RateClock::time_point now) noexcept;

  // Takes one token: 0 s if there was one, else the seconds to wait (>= 1).
  std::chrono::seconds take(RateClock::time_point now) noexcept;
  // True if the bucket has refilled to its burst by `now` (it is then like a new one).
  bool full(RateClock::time_point now) const noexcept;
  double tokens(RateClock::time_point now) const noexcept;

  static bool unlimited(const Limit& limit) noexcept { return !(limit.per_second > 0); }

 private:
  double refilled(RateClock::time_point now) const noexcept;

  double rate_;
  double burst_;
  double tokens_;
  RateClock::time_point updated_;
};

// One bucket shared by all threads (the global limit).
class SharedTokenBucket {
 public:
  explicit SharedTokenBucket(TokenBucket::Limit limit,
                             RateClock::time_point now = RateClock::time_point{});
  std::chrono::seconds take(RateClock::time_point now);
  std::uint64_t allowed() const noexcept { return allowed_.load(std::memory_order_relaxed); }
  std::uint64_t limited() const noexcept { return limited_.load(std::memory_order_relaxed); }

 private:
  bool unlimited_;
  std::mutex mutex_;
  TokenBucket bucket_;
  std::atomic<std::uint64_t> allowed_{0};
  std::atomic<std::uint64_t> limited_{0};
};

// Buckets by key (a client address, a subject), bounded in number.
class RateLimiter {
 public:
  using Limit = TokenBucket::Limit;
  struct Counters {
    std::atomic<std::uint64_t> allowed{0};
    std::atomic<std::uint64_t> limited{0};
    std::atomic<std::uint64_t> evicted{0};         // buckets dropped for room
    std::atomic<std::uint64_t> evicted_active{0};  // of which not yet refilled
  };

  // max_keys is spread over 16 shards (at least one bucket each).
  explicit RateLimiter(Limit limit, std::size_t max_keys = 100000);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token from `key`'s bucket (a new key starts full). 0 s = allowed, else the
  // Retry-After seconds (>= 1).
  std::chrono::seconds take(std::string_view key, RateClock::time_point now);

  // Buckets held now.
  std::size_t size() const;
  const Counters& counters() const noexcept { return counters_; }

 private:
  struct Shard;
  Shard& shard_of(std::string_view key) const;

  Limit limit_;
  bool unlimited_;
  std::size_t per_shard_;
  std::unique_ptr<Shard[]> shards_;
  Counters counters_;
};

// The proxy's three limits in their order: before authentication the client address's
// bucket, then the global one (so that signature checks are bounded too); after it the
// subject's bucket. Each refusal names its limit (for a counter label and a log line).
//
//   ProxyRateLimits limits(options);
//   if (auto d = limits.before_auth(peer_address, now); !d.allowed()) return reply_429(d);
//   ... verify the token ...
//   if (auto d = limits.after_auth(token.subject, now); !d.allowed()) return reply_429(d);
//
// Thread-safety: as RateLimiter. A request refused by the global bucket has already taken
// a token from its address's bucket (it did arrive).
class ProxyRateLimits {
 public:
  struct Options {
    TokenBucket::Limit per_address;
    TokenBucket::Limit per_subject;
    TokenBucket::Limit global;
    std::size_t max_keys = 100000;  // for each of the address and subject maps
  };
  struct Decision {
    std::chrono::seconds retry_after{0};  // 0 = allowed
    std::string_view limit;               // "" when allowed, else "address", "global", "subject"
    bool allowed() const noexcept { return retry_after.count() == 0; }
  };

  explicit ProxyRateLimits(const Options& options,
                           RateClock::time_point now = RateClock::time_point{});

  Decision before_auth(std::string_view address, RateClock::time_point now);
  Decision after_auth(std::string_view subject, RateClock::time_point now);

  const RateLimiter& per_address() const noexcept { return per_address_; }
  const RateLimiter& per_subject() const noexcept { return per_subject_; }
  const SharedTokenBucket& global() const noexcept { return global_; }

 private:
  RateLimiter per_address_;
  RateLimiter per_subject_;
  SharedTokenBucket global_;
};

}  // namespace edgetrace::daemon
