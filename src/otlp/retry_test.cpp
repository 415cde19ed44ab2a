#include "edgetrace/otlp/retry.hpp"

#include <gtest/gtest.h>

#include <set>

namespace edgetrace::otlp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// 2015-10-21T07:28:00Z
const std::chrono::system_clock::time_point kNow{seconds(1445412480)};

TEST(RetryTest, HttpClassificationFollowsOtlp) {
  EXPECT_EQ(classify_http(200, std::nullopt, kNow).action, Action::kSuccess);
  EXPECT_EQ(classify_http(202, std::nullopt, kNow).action, Action::kSuccess);
  for (int s : {429, 502, 503, 504}) {
    EXPECT_EQ(classify_http(s, std::nullopt, kNow).action, Action::kRetry) << s;
  }
  EXPECT_EQ(classify_http(413, std::nullopt, kNow).action, Action::kSplit);
  EXPECT_EQ(classify_http(401, std::nullopt, kNow).action, Action::kFatal);
  EXPECT_EQ(classify_http(403, std::nullopt, kNow).action, Action::kFatal);
  for (int s : {400, 404, 405, 415, 500, 501}) {
    EXPECT_EQ(classify_http(s, std::nullopt, kNow).action, Action::kDrop) << s;
  }
  EXPECT_EQ(classify_connection_failure().action, Action::kRetry);
}

TEST(RetryTest, HttpRetryAfterIsHonoured) {
  EXPECT_EQ(classify_http(429, "7", kNow).retry_after, milliseconds(7000));
  EXPECT_EQ(classify_http(503, "Wed, 21 Oct 2015 07:28:30 GMT", kNow).retry_after,
            milliseconds(30000));
  EXPECT_FALSE(classify_http(503, "soon", kNow).retry_after.has_value());
  // Retry-After on a non-retryable status does not make it retryable.
  EXPECT_EQ(classify_http(400, "5", kNow).action, Action::kDrop);
}

TEST(RetryTest, RetryAfterFormats) {
  EXPECT_EQ(parse_retry_after("0", kNow), milliseconds(0));
  EXPECT_EQ(parse_retry_after(" 120 ", kNow), milliseconds(120000));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:29:00 GMT", kNow), milliseconds(60000));
  EXPECT_EQ(parse_retry_after("Wednesday, 21-Oct-15 07:29:00 GMT", kNow), milliseconds(60000));
  EXPECT_EQ(parse_retry_after("Wed Oct 21 07:29:00 2015", kNow), milliseconds(60000));
  EXPECT_EQ(parse_retry_after("Wed Oct  1 07:29:00 2015", kNow), milliseconds(0));  // past
  EXPECT_EQ(parse_retry_after("99999999999999999999", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("1000000", kNow), milliseconds(86400000));  // capped at a day
  EXPECT_EQ(parse_retry_after("-5", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 32 Oct 2015 07:29:00 GMT", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 21 Foo 2015 07:29:00 GMT", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 25:29:00 GMT", kNow), std::nullopt);
  EXPECT_EQ(parse_retry_after("", kNow), std::nullopt);
}

TEST(RetryTest, GrpcClassificationFollowsOtlp) {
  using G = GrpcCode;
  EXPECT_EQ(classify_grpc(G::kOk, std::nullopt).action, Action::kSuccess);
  for (G g : {G::kCancelled, G::kDeadlineExceeded, G::kAborted, G::kOutOfRange, G::kUnavailable,
              G::kDataLoss}) {
    EXPECT_EQ(classify_grpc(g, std::nullopt).action, Action::kRetry) << static_cast<int>(g);
  }
  Verdict with_info = classify_grpc(G::kResourceExhausted, milliseconds(2500));
  EXPECT_EQ(with_info.action, Action::kRetry);
  EXPECT_EQ(with_info.retry_after, milliseconds(2500));
  EXPECT_EQ(classify_grpc(G::kResourceExhausted, std::nullopt).action, Action::kSplit);
  EXPECT_EQ(classify_grpc(G::kUnauthenticated, std::nullopt).action, Action::kFatal);
  EXPECT_EQ(classify_grpc(G::kPermissionDenied, std::nullopt).action, Action::kFatal);
  for (G g : {G::kUnknown, G::kInvalidArgument, G::kNotFound, G::kAlreadyExists,
              G::kFailedPrecondition, G::kUnimplemented, G::kInternal}) {
    EXPECT_EQ(classify_grpc(g, std::nullopt).action, Action::kDrop) << static_cast<int>(g);
  }
  EXPECT_EQ(classify_grpc(G::kUnavailable, milliseconds(10)).retry_after, milliseconds(10));
}

TEST(RetryTest, BackoffGrowsExponentiallyWithJitterUpToTheCap) {
  RetryPolicy p;
  p.initial_backoff = milliseconds(1000);
  p.max_backoff = milliseconds(32000);
  p.jitter = 0.2;
  Backoff b(p);
  double expected = 1000;
  for (int i = 0; i < 10; ++i) {
    const auto d = b.next().count();
    const double base = std::min(expected, 32000.0);
    EXPECT_GE(d, static_cast<long>(base * 0.8) - 1) << "attempt " << i;
    EXPECT_LE(d, std::min<long>(static_cast<long>(base * 1.2) + 1, 32000)) << "attempt " << i;
    expected *= 2;
  }
  EXPECT_EQ(b.attempts(), 10);
}

TEST(RetryTest, BackoffJitterVaries) {
  RetryPolicy p;
  std::set<long> seen;
  for (int i = 0; i < 50; ++i)
    seen.insert(Backoff(p).next().count());
  EXPECT_GT(seen.size(), 10u);
}

TEST(RetryTest, CircuitBreakerOpensAfterThreeConsecutiveFatal) {
  CircuitBreaker cb;
  EXPECT_FALSE(cb.record(Action::kFatal));
  EXPECT_FALSE(cb.record(Action::kFatal));
  EXPECT_FALSE(cb.open());
  EXPECT_TRUE(cb.record(Action::kFatal));
  EXPECT_TRUE(cb.open());
  EXPECT_FALSE(cb.record(Action::kFatal));  // already open: reported once
  cb.reset();
  EXPECT_FALSE(cb.open());
  EXPECT_EQ(cb.consecutive_fatal(), 0);
}

TEST(RetryTest, CircuitBreakerNeedsConsecutiveFatals) {
  CircuitBreaker cb;
  cb.record(Action::kFatal);
  cb.record(Action::kFatal);
  cb.record(Action::kSuccess);
  cb.record(Action::kFatal);
  cb.record(Action::kFatal);
  EXPECT_FALSE(cb.open());
  cb.record(Action::kRetry);
  cb.record(Action::kFatal);
  EXPECT_FALSE(cb.open());
}

}  // namespace
}  // namespace edgetrace::otlp
